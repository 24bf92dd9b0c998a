/* One message bubble, reactions, and acked socket emits. */
import { colorClass, describe, el, EMOJIS, hooks, initials, runHooks, state, timeLabel, toast } from "./core.js";
import { updateMessage } from "./room.js";

export function renderMessage(message, pending) {
  const mine = message.userId === state.me.id;
  const kind = message.messageType || "text";
  const classes = ["msg", kind, mine ? "mine" : "theirs"];
  if (pending) classes.push("pending");
  const body = el("div", { className: "msg-body" }, message.content);
  if (kind === "image" && message.imageUrl && /^https?:\/\//.test(message.imageUrl)) {
    body.append(el("img", { src: message.imageUrl, alt: "shared image", loading: "lazy" }));
  }
  const bubble = el(
    "div",
    { className: "bubble" },
    el(
      "div",
      { className: "msg-meta" },
      el("span", { className: "author" }, mine ? "You" : message.userName),
      kind === "announcement" ? el("span", { className: "tag" }, "announcement") : null,
      el("time", { dateTime: message.timestamp || "" }, message.timestamp ? timeLabel(message.timestamp) : ""),
      message.editedAt ? el("span", { className: "muted" }, "(edited)") : null,
    ),
    body,
    pending ? el("div", { className: "msg-status" }, "Sending…") : reactionBar(message),
  );
  const node = el(
    "li",
    { className: classes.join(" "), dataset: message.id ? { id: message.id } : { clientId: message.clientId } },
    mine ? null : el("span", { className: `avatar small ${colorClass(message.userId)}` }, initials(message.userName)),
    bubble,
    pending ? null : reactionTools(message),
  );
  runHooks(hooks.messageRendered, message, node, { bubble, body, pending: Boolean(pending) });
  return node;
}

export function reactionBar(message) {
  if (!message.reactions || !message.reactions.length) return null;
  const bar = el("div", { className: "reactions" });
  for (const reaction of message.reactions || []) {
    const mineToo = reaction.userIds.includes(state.me.id);
    bar.append(
      el(
        "button",
        {
          type: "button",
          className: `reaction${mineToo ? " mine" : ""}`,
          title: mineToo ? "You reacted — click to remove" : "Click to react too",
          dataset: { emoji: reaction.emoji },
          onclick: () => react(message.id, reaction.emoji),
        },
        el("span", { className: "emoji" }, reaction.emoji),
        el("span", { className: "count" }, String(reaction.count)),
      ),
    );
  }
  return bar;
}

/** The "add a reaction" button beside the bubble, with its small emoji picker. */
export function reactionTools(message) {
  const picker = el("span", { className: "picker", hidden: true });
  for (const emoji of EMOJIS) {
    picker.append(
      el("button", {
        type: "button",
        className: "pick",
        textContent: emoji,
        "aria-label": `react ${emoji}`,
        onclick: () => {
          picker.hidden = true;
          react(message.id, emoji);
        },
      }),
    );
  }
  return el(
    "span",
    { className: "react-tools" },
    el("button", {
      type: "button",
      className: "add-reaction",
      title: "Add a reaction",
      "aria-label": "Add a reaction",
      textContent: "☺+",
      onclick: () => {
        picker.hidden = !picker.hidden;
      },
    }),
    picker,
  );
}

export function react(messageId, emoji) {
  emitAcked("message:react", { messageId, emoji }, (ack) => {
    applyReactions(messageId, ack.reactions);
  });
}

export function applyReactions(messageId, reactions) {
  const room = state.room;
  if (!room || !room.messages.has(messageId)) return;
  updateMessage({ ...room.messages.get(messageId), reactions });
}

/** Emit with an ack; failures (no answer, or {ok:false}) become a toast in plain words. */
export function emitAcked(event, payload, onOk, onFail) {
  const fail = (text) => (onFail ? onFail(text) : toast(text));
  if (!state.socket) return fail("Not connected to the chat server.");
  state.socket.timeout(10000).emit(event, payload, (err, ack) => {
    if (err) return fail("The server did not answer in time. Check your connection and try again.");
    if (!ack || !ack.ok) return fail(describe(ack && ack.error, "The server refused that."));
    onOk(ack);
  });
}
