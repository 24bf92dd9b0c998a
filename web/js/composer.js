/* Sending (with retry by clientId), typing, read markers, unread counts. */
import { $, el, hooks, newClientId, runHooks, state, TYPING_IDLE, TYPING_SEND_EVERY, TYPING_SHOWN_FOR } from "./core.js";
import { renderGroups } from "./groups.js";
import { addMessages, isNearBottom, scrollToBottom } from "./room.js";
import { emitAcked, renderMessage } from "./messages.js";

export function sendFromComposer(event) {
  event.preventDefault();
  const input = $("composer-input");
  const content = input.value.trim();
  const room = state.room;
  if (!content || !room) return;
  input.value = "";
  autosize();
  stopTyping();
  const keepBottom = true;
  const payload = { groupId: room.id, content, clientId: newClientId() };
  runHooks(hooks.beforeSend, payload, room);
  const element = renderMessage(
    { ...payload, userId: state.me.id, userName: state.me.name, timestamp: new Date().toISOString() },
    true,
  );
  room.pending.set(payload.clientId, { payload, element });
  $("message-list").append(element);
  if (keepBottom) scrollToBottom();
  deliver(room, payload);
}

export function deliver(room, payload) {
  const entry = room.pending.get(payload.clientId);
  if (!entry) return;
  setPendingStatus(entry, "Sending…", false);
  emitAcked(
    "message:send",
    payload,
    (ack) => {
      if (state.room !== room) return;
      const bottom = isNearBottom();
      addMessages([ack.message]);
      if (bottom) scrollToBottom();
      markRead();
    },
    (text) => {
      if (state.room === room) setPendingStatus(entry, text, true);
    },
  );
}

export function setPendingStatus(entry, text, failed) {
  const status = entry.element.querySelector(".msg-status");
  entry.element.classList.toggle("failed", failed);
  status.replaceChildren(text);
  if (failed) {
    // Retrying reuses the same clientId: the server never stores it twice.
    status.append(
      " ",
      el("button", { type: "button", className: "link", onclick: () => deliver(state.room, entry.payload) }, "Retry"),
    );
  }
}

export function autosize() {
  const input = $("composer-input");
  input.style.height = "auto";
  input.style.height = `${Math.min(input.scrollHeight, 140)}px`;
}

export function onComposerInput() {
  autosize();
  const room = state.room;
  if (!room || !state.socket || !state.socket.connected) return;
  const now = Date.now();
  if (now - state.typingSentAt > TYPING_SEND_EVERY) {
    state.typingSentAt = now;
    state.socket.emit("typing", { groupId: room.id, isTyping: true }, () => {});
  }
  clearTimeout(state.typingTimer);
  state.typingTimer = setTimeout(stopTyping, TYPING_IDLE);
}

export function stopTyping() {
  clearTimeout(state.typingTimer);
  state.typingTimer = null;
  if (state.typingSentAt && state.room && state.socket && state.socket.connected) {
    state.socket.emit("typing", { groupId: state.room.id, isTyping: false }, () => {});
  }
  state.typingSentAt = 0;
}

export function onTyping(data) {
  const room = state.room;
  if (!room || data.groupId !== room.id || data.userId === state.me.id) return;
  const existing = room.typing.get(data.userId);
  if (existing) clearTimeout(existing.timer);
  if (data.isTyping) {
    const timer = setTimeout(() => {
      room.typing.delete(data.userId);
      renderTyping();
    }, TYPING_SHOWN_FOR);
    room.typing.set(data.userId, { name: data.userName, timer });
  } else {
    room.typing.delete(data.userId);
  }
  renderTyping();
}

export function renderTyping() {
  const names = state.room ? [...state.room.typing.values()].map((t) => t.name) : [];
  let text = "";
  if (names.length === 1) text = `${names[0]} is typing…`;
  else if (names.length === 2) text = `${names[0]} and ${names[1]} are typing…`;
  else if (names.length > 2) text = "Several people are typing…";
  $("typing").textContent = text;
}

let readTimer = null;
export function markRead() {
  clearTimeout(readTimer);
  readTimer = setTimeout(() => {
    const room = state.room;
    if (!room || room.newest === null || !state.socket || document.hidden) return;
    const messageId = room.newest;
    emitAcked(
      "message:read",
      { groupId: room.id, messageId },
      (ack) => {
        const group = state.groups.get(room.id);
        if (group) {
          group.unreadCount = ack.unread;
          renderGroups();
        }
      },
      () => {},
    );
  }, 400);
}

export function noteGroupMessage(message) {
  const group = state.groups.get(message.groupId);
  if (!group) return;
  group.lastMessage = message;
  const viewing = state.room && state.room.id === message.groupId && !document.hidden;
  if (!viewing && message.userId !== state.me.id) group.unreadCount = (group.unreadCount || 0) + 1;
  renderGroups();
}
