/* The open room: history pages, message list, members and presence. */
import { $, api, el, hooks, PAGE, runHooks, state, toast } from "./core.js";
import { showMain } from "./shell.js";
import { renderGroups } from "./groups.js";
import { renderMessage } from "./messages.js";
import { markRead, renderTyping, stopTyping } from "./composer.js";
import { loadSessions } from "./sessions.js";

export async function openRoom(groupId) {
  const group = state.groups.get(groupId);
  if (group && group.status === "pending") {
    toast("Your request to join is waiting for the group leader.", "info");
    return;
  }
  stopTyping();
  state.room = {
    id: groupId,
    group: group || null,
    elements: new Map(), // message id -> <li>
    messages: new Map(), // message id -> message
    pending: new Map(), // clientId -> {payload, element}
    oldest: null,
    newest: null,
    hasOlder: false,
    loadingOlder: false,
    members: [],
    online: new Set(),
    typing: new Map(), // userId -> {name, timer}
  };
  const room = state.room;
  $("room-title").textContent = group ? group.title : `Group ${groupId}`;
  $("room-sub").textContent = group ? group.subject : "";
  $("message-list").replaceChildren();
  $("members").replaceChildren();
  $("older-status").textContent = "";
  renderTyping();
  showMain("room");
  renderGroups();
  try {
    const [details, history] = await Promise.all([
      api("GET", `/api/groups/${groupId}`),
      api("GET", `/api/chat/${groupId}/messages?limit=${PAGE}`),
    ]);
    if (state.room !== room) return;
    room.group = details.group;
    room.members = details.group.members || [];
    $("room-title").textContent = details.group.title;
    renderRoomSubtitle();
    addMessages(history.messages);
    room.hasOlder = history.hasMore;
    updateOlderStatus();
    scrollToBottom();
    await fillViewport();
    markRead();
    refreshPresence();
    loadSessions(room);
    runHooks(hooks.roomOpened, room);
  } catch (error) {
    if (state.room === room) $("older-status").textContent = error.message;
    toast(error.message);
  }
  $("composer-input").focus({ preventScroll: true });
}

export function renderRoomSubtitle() {
  const room = state.room;
  if (!room || !room.group) return;
  const g = room.group;
  const online = room.members.filter((m) => room.online.has(m.userId)).length;
  const bits = [g.subject, `${g.currentMembers}/${g.maxMembers} members`, `${online} online`];
  if (g.schedule && g.schedule !== "Flexible") bits.push(g.schedule);
  $("room-sub").textContent = bits.join(" · ");
  const box = $("members");
  box.replaceChildren();
  const members = [...room.members].sort(
    (a, b) => Number(room.online.has(b.userId)) - Number(room.online.has(a.userId)),
  );
  for (const member of members) {
    const online = room.online.has(member.userId);
    box.append(
      el(
        "span",
        {
          className: `member${online ? " online" : ""}`,
          dataset: { userId: member.userId },
          title: `${member.name}${member.role === "leader" ? " (leader)" : ""} — ${online ? "online" : "offline"}`,
        },
        el("span", { className: "dot" }),
        member.userId === state.me.id ? `${member.name} (you)` : member.name,
        member.role === "leader" ? el("span", { className: "crown", title: "leader" }, "★") : null,
      ),
    );
  }
}

export function refreshPresence() {
  const room = state.room;
  if (!room || !state.socket || !state.socket.connected) return;
  state.socket.timeout(8000).emit("presence:list", { groupId: room.id }, (err, ack) => {
    if (err || !ack || !ack.ok || state.room !== room) return;
    room.online = new Set(ack.online);
    renderRoomSubtitle();
  });
}

export function isNearBottom() {
  const box = $("messages");
  return box.scrollHeight - box.scrollTop - box.clientHeight < 80;
}

export function scrollToBottom() {
  const box = $("messages");
  box.scrollTop = box.scrollHeight;
}

export function updateOlderStatus() {
  const room = state.room;
  $("older-status").textContent = room.hasOlder
    ? "Scroll up for older messages"
    : room.messages.size ? "This is the start of the conversation" : "No messages yet — say hello!";
}

/** Keep loading older pages until the list can scroll (so "scroll up" is possible). */
export async function fillViewport() {
  const box = $("messages");
  while (state.room && state.room.hasOlder && box.scrollHeight <= box.clientHeight + 10) {
    if (!(await loadOlder())) break;
  }
}

export async function loadOlder() {
  const room = state.room;
  if (!room || room.loadingOlder || !room.hasOlder || room.oldest === null) return false;
  room.loadingOlder = true;
  $("older-status").textContent = "Loading older messages…";
  const box = $("messages");
  try {
    const data = await api("GET", `/api/chat/${room.id}/messages?before=${room.oldest}&limit=${PAGE}`);
    if (state.room !== room) return false;
    const before = box.scrollHeight;
    addMessages(data.messages);
    room.hasOlder = data.hasMore;
    box.scrollTop += box.scrollHeight - before;
    return true;
  } catch (error) {
    toast(error.message);
    return false;
  } finally {
    room.loadingOlder = false;
    if (state.room === room) updateOlderStatus();
  }
}

/** Insert stored messages in id order; a message already shown is updated, never doubled. */
export function addMessages(messages) {
  const room = state.room;
  const list = $("message-list");
  for (const message of messages) {
    if (message.groupId !== room.id) continue;
    if (room.messages.has(message.id)) {
      updateMessage(message);
      continue;
    }
    const pending = message.clientId && message.userId === state.me.id && room.pending.get(message.clientId);
    const node = renderMessage(message);
    if (pending) {
      pending.element.remove();
      room.pending.delete(message.clientId);
    }
    room.messages.set(message.id, message);
    room.elements.set(message.id, node);
    let after = null; // the first stored message with a larger id
    for (const [id, element] of room.elements) {
      if (id > message.id && (after === null || id < Number(after.dataset.id))) after = element;
    }
    if (after) list.insertBefore(node, after);
    else {
      const firstPending = list.querySelector("li.pending");
      list.insertBefore(node, firstPending);
    }
    room.oldest = room.oldest === null ? message.id : Math.min(room.oldest, message.id);
    room.newest = room.newest === null ? message.id : Math.max(room.newest, message.id);
  }
  if (!room.loadingOlder) updateOlderStatus();
}

export function updateMessage(message) {
  const room = state.room;
  if (!room || !room.elements.has(message.id)) return;
  room.messages.set(message.id, message);
  const old = room.elements.get(message.id);
  const node = renderMessage(message);
  old.replaceWith(node);
  room.elements.set(message.id, node);
}
