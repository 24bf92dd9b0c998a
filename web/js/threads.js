/* Replies (quote above the composer, jump to the parent), @mentions with autocomplete from the
 * member list, and the pins panel. Registered through core.js hooks. */
import { $, api, el, hooks, state, toast } from "./core.js";
import { loadOlder } from "./room.js";

const MAX_SUGGESTIONS = 6;
let replyingTo = null; // the message the next send answers
let suggestions = []; // members offered by the @ autocomplete
let chosen = 0;

// ---- replies ----------------------------------------------------------------------------------

function quoteBox() {
  let box = $("reply-quote");
  if (!box) {
    box = el("div", { id: "reply-quote", className: "reply-quote", hidden: true });
    $("composer").before(box);
  }
  return box;
}

export function startReply(message) {
  replyingTo = message;
  const box = quoteBox();
  box.replaceChildren(
    el(
      "div",
      { className: "reply-quote-text" },
      el("span", { className: "reply-author" }, `Replying to ${message.userName}`),
      el("span", { className: "reply-excerpt" }, message.content || "(image)"),
    ),
    el("button", { type: "button", className: "ghost small", "aria-label": "Cancel reply", onclick: cancelReply }, "✕"),
  );
  box.hidden = false;
  $("composer-input").focus();
}

export function cancelReply() {
  replyingTo = null;
  quoteBox().hidden = true;
}

/** Scroll to a message (loading older pages until it is there) and flash it. */
export async function jumpTo(messageId) {
  const room = state.room;
  if (!room) return;
  for (let page = 0; page < 50 && !room.elements.has(messageId); page += 1) {
    if (room.oldest === null || room.oldest < messageId || !(await loadOlder())) break;
  }
  const node = room.elements.get(messageId);
  if (!node) {
    toast("That message is no longer available.", "info");
    return;
  }
  node.scrollIntoView({ block: "center" });
  node.classList.add("flash");
  setTimeout(() => node.classList.remove("flash"), 1600);
}

function replyRef(reply) {
  const text = reply.deleted ? "Original message deleted" : reply.excerpt || "(image)";
  return el(
    "button",
    {
      type: "button",
      className: `reply-ref${reply.deleted ? " deleted" : ""}`,
      title: reply.deleted ? "The message was deleted" : "Show the message this replies to",
      disabled: reply.deleted || reply.id === null,
      onclick: () => jumpTo(reply.id),
    },
    el("span", { className: "reply-author" }, `↩ ${reply.userName || "Someone"}`),
    el("span", { className: "reply-excerpt" }, text),
  );
}

// ---- mentions ---------------------------------------------------------------------------------

function members() {
  return state.room ? state.room.members.filter((m) => m.userId !== state.me.id) : [];
}

/** Everyone whose "@Name" is in the text. */
export function mentionedIds(content) {
  return members()
    .filter((m) => content.includes(`@${m.name}`))
    .map((m) => m.userId);
}

function suggestionBox() {
  let box = $("mention-list");
  if (!box) {
    box = el("ul", { id: "mention-list", className: "mention-list", role: "listbox", hidden: true });
    $("composer").before(box);
  }
  return box;
}

function pendingMention() {
  const input = $("composer-input");
  const before = input.value.slice(0, input.selectionStart);
  const match = /(^|\s)@([^\s@]{0,30})$/.exec(before);
  return match ? { query: match[2], start: before.length - match[2].length - 1 } : null;
}

function updateSuggestions() {
  const box = suggestionBox();
  const mention = pendingMention();
  const query = mention ? mention.query.toLowerCase() : null;
  suggestions = query === null ? [] : members().filter((m) => m.name.toLowerCase().includes(query)).slice(0, MAX_SUGGESTIONS);
  chosen = 0;
  box.replaceChildren(
    ...suggestions.map((member, index) =>
      el(
        "li",
        {
          role: "option",
          className: index === chosen ? "chosen" : "",
          onmousedown: (event) => {
            event.preventDefault(); // keep the focus in the composer
            pick(member);
          },
        },
        member.name,
      ),
    ),
  );
  box.hidden = suggestions.length === 0;
}

function pick(member) {
  const input = $("composer-input");
  const mention = pendingMention();
  if (!mention) return;
  const end = input.selectionStart;
  input.value = `${input.value.slice(0, mention.start)}@${member.name} ${input.value.slice(end)}`;
  const caret = mention.start + member.name.length + 2;
  input.setSelectionRange(caret, caret);
  suggestionBox().hidden = true;
  suggestions = [];
}

function onKeys(event) {
  if (event.target.id !== "composer-input") return;
  if (event.key === "Escape" && replyingTo && !suggestions.length) cancelReply();
  if (!suggestions.length) return;
  const moves = { ArrowDown: 1, ArrowUp: -1 };
  if (event.key in moves) {
    chosen = (chosen + moves[event.key] + suggestions.length) % suggestions.length;
    [...suggestionBox().children].forEach((item, index) => item.classList.toggle("chosen", index === chosen));
  } else if (event.key === "Enter" || event.key === "Tab") {
    pick(suggestions[chosen]);
  } else if (event.key === "Escape") {
    suggestionBox().hidden = true;
    suggestions = [];
  } else {
    return;
  }
  event.preventDefault();
  event.stopPropagation(); // capture phase: the composer's own Enter (send) never sees it
}

// ---- pins -------------------------------------------------------------------------------------

const pinned = new Set(); // ids pinned in the open room

function isLeader() {
  const room = state.room;
  return Boolean(room && room.group && room.group.leaderId === state.me.id);
}

async function setPinned(messageId, pin) {
  try {
    await api(pin ? "POST" : "DELETE", `/api/chat/message/${messageId}/pin`);
  } catch (error) {
    toast(error.message);
  }
}

function pinsButton() {
  let button = $("pins-toggle");
  if (!button) {
    button = el("button", {
      id: "pins-toggle",
      type: "button",
      className: "ghost small",
      "aria-expanded": "false",
      onclick: () => {
        const panel = pinsPanel();
        panel.hidden = !panel.hidden;
        button.setAttribute("aria-expanded", String(!panel.hidden));
      },
    });
    document.querySelector(".room-head").append(button);
  }
  return button;
}

function pinsPanel() {
  let panel = $("pins-panel");
  if (!panel) {
    panel = el("section", { id: "pins-panel", className: "pins-panel", hidden: true, "aria-label": "Pinned messages" });
    $("members").after(panel);
  }
  return panel;
}

async function loadPins(room) {
  let data;
  try {
    data = await api("GET", `/api/chat/${room.id}/pins`);
  } catch (error) {
    toast(error.message);
    return;
  }
  if (state.room !== room) return;
  pinned.clear();
  for (const message of data.messages) pinned.add(message.id);
  for (const [id, node] of room.elements) node.classList.toggle("pinned", pinned.has(id));
  pinsButton().textContent = `📌 ${data.messages.length}`;
  pinsButton().title = "Pinned messages";
  const panel = pinsPanel();
  panel.replaceChildren(
    el("h3", {}, "Pinned"),
    ...(data.messages.length ? [] : [el("p", { className: "muted" }, "Nothing pinned yet.")]),
    ...data.messages.map((message) =>
      el(
        "div",
        { className: "pin-item", dataset: { id: message.id } },
        el(
          "button",
          { type: "button", className: "pin-jump", onclick: () => jumpTo(message.id) },
          el("span", { className: "reply-author" }, message.userName),
          el("span", { className: "reply-excerpt" }, message.content || "(image)"),
        ),
        isLeader()
          ? el("button", { type: "button", className: "ghost small", onclick: () => setPinned(message.id, false) }, "Unpin")
          : null,
      ),
    ),
  );
}

// ---- hooks ------------------------------------------------------------------------------------

function decorate(message, node, { bubble, body, pending }) {
  if (message.replyTo && typeof message.replyTo === "object") bubble.insertBefore(replyRef(message.replyTo), body);
  if ((message.mentions || []).includes(state.me.id)) node.classList.add("mentions-me");
  if (pending || !message.id) return;
  if (pinned.has(message.id)) node.classList.add("pinned");
  const tools = node.querySelector(".react-tools");
  if (!tools) return;
  tools.prepend(
    el("button", { type: "button", className: "reply-button", title: "Reply", "aria-label": "Reply", onclick: () => startReply(message) }, "↩"),
  );
  if (isLeader()) {
    const pin = !pinned.has(message.id);
    tools.prepend(
      el(
        "button",
        {
          type: "button",
          className: "pin-button",
          title: pin ? "Pin" : "Unpin",
          "aria-label": pin ? "Pin" : "Unpin",
          onclick: () => setPinned(message.id, !pinned.has(message.id)),
        },
        "📌",
      ),
    );
  }
}

hooks.messageRendered.push(decorate);
hooks.beforeSend.push((payload, room) => {
  if (replyingTo && replyingTo.groupId === room.id) payload.replyTo = replyingTo.id;
  const mentions = mentionedIds(payload.content);
  if (mentions.length) payload.mentions = mentions;
  cancelReply();
  suggestionBox().hidden = true;
  suggestions = [];
});
hooks.roomOpened.push((room) => {
  cancelReply();
  pinsPanel().hidden = true;
  loadPins(room);
});
hooks.socket.push((socket) => {
  socket.on("message:pinned", ({ groupId }) => {
    if (state.room && state.room.id === groupId) loadPins(state.room);
  });
});
let wired = false;
hooks.enterApp.push(() => {
  if (wired) return; // a second log-in on the same page
  wired = true;
  const input = $("composer-input");
  input.addEventListener("input", updateSuggestions);
  input.addEventListener("blur", () => {
    suggestionBox().hidden = true;
    suggestions = [];
  });
  $("composer").addEventListener("keydown", onKeys, true);
});
