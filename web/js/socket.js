/* The Socket.IO connection: live events and catch-up after a reconnect. */
import { $, api, el, hooks, runHooks, state, toast } from "./core.js";
import { signOut } from "./auth.js";
import { setConnection } from "./shell.js";
import { loadGroups } from "./groups.js";
import { addMessages, isNearBottom, refreshPresence, renderRoomSubtitle, scrollToBottom, updateMessage } from "./room.js";
import { applyReactions } from "./messages.js";
import { deliver, markRead, noteGroupMessage, onTyping, renderTyping } from "./composer.js";
import { onSessionAnnounced } from "./sessions.js";

export function connectSocket() {
  if (state.socket) state.socket.disconnect();
  if (typeof io !== "function") {
    setConnection("live chat unavailable", "offline");
    toast("The chat library did not load; live updates are off.");
    return;
  }
  setConnection("connecting…", "connecting");
  const socket = io("/chat", { auth: (cb) => cb({ token: state.token }) });
  state.socket = socket;
  runHooks(hooks.socket, socket);

  socket.on("connect", () => {
    setConnection("live", "online");
    if (state.connectedOnce) catchUp();
    state.connectedOnce = true;
    refreshPresence();
  });
  socket.on("disconnect", async (reason) => {
    setConnection("reconnecting…", "offline");
    if (reason !== "io server disconnect") return; // the client reconnects by itself
    // The server closed this socket (e.g. the token was logged out): ask whether the token
    // still works; a 401 signs out, anything else reconnects.
    try {
      await api("GET", "/api/auth/me");
      if (state.socket === socket) socket.connect();
    } catch {
      // api() has signed out on 401; otherwise the next reload retries.
    }
  });
  socket.on("connect_error", (err) => {
    const code = err && err.data && err.data.code;
    if (code === "unauthorized") {
      signOut((err.data && err.data.message) || "Please log in again.");
      return;
    }
    setConnection("offline — retrying", "offline");
  });

  socket.on("message:new", ({ message }) => {
    noteGroupMessage(message);
    if (state.room && message.groupId === state.room.id) {
      const bottom = isNearBottom();
      addMessages([message]);
      if (state.room.typing.delete(message.userId)) renderTyping();
      if (bottom) scrollToBottom();
      markRead();
    }
  });
  socket.on("message:updated", ({ message }) => updateMessage(message));
  socket.on("message:deleted", ({ groupId, messageId }) => {
    const room = state.room;
    if (!room || room.id !== groupId || !room.elements.has(messageId)) return;
    room.elements.get(messageId).remove();
    room.elements.delete(messageId);
    room.messages.delete(messageId);
  });
  socket.on("message:reaction", ({ messageId, reactions }) => applyReactions(messageId, reactions));
  socket.on("typing", onTyping);
  socket.on("presence", ({ groupId, userId, online }) => {
    const room = state.room;
    if (!room || room.id !== groupId) return;
    if (online) room.online.add(userId);
    else room.online.delete(userId);
    renderRoomSubtitle();
  });
  socket.on("member:joined", ({ groupId, member }) => {
    const room = state.room;
    if (room && room.id === groupId && !room.members.some((m) => m.userId === member.userId)) {
      room.members.push(member);
      if (room.group) room.group.currentMembers += 1;
      refreshPresence();
      renderRoomSubtitle();
    }
    if (member.userId === state.me.id || !state.groups.has(groupId)) loadGroups();
  });
  socket.on("member:left", ({ groupId, userId }) => {
    const room = state.room;
    if (room && room.id === groupId) {
      room.members = room.members.filter((m) => m.userId !== userId);
      if (room.group) room.group.currentMembers = room.members.length;
      room.online.delete(userId);
      renderRoomSubtitle();
    }
    if (userId === state.me.id) loadGroups();
  });
  socket.on("member:requested", ({ groupId, member }) => {
    const group = state.groups.get(groupId);
    const item = el("div", { className: "toast info request" },
      `${member.name} asked to join ${group ? group.title : "your group"}`);
    const decide = async (verb) => {
      item.remove();
      try {
        const data = await api("POST", `/api/groups/${groupId}/requests/${member.userId}/${verb}`, {});
        toast(data.message, "info");
      } catch (error) {
        toast(error.message);
      }
    };
    item.append(
      el("span", { className: "toast-actions" },
        el("button", { type: "button", className: "primary small", onclick: () => decide("approve") }, "Approve"),
        el("button", { type: "button", className: "small", onclick: () => decide("reject") }, "Decline"),
      ),
    );
    $("toasts").append(item);
    setTimeout(() => item.remove(), 60000);
  });
  socket.on("session:announced", onSessionAnnounced);
}

/** After a reconnect: everything missed in the open room (in order, no gaps), fresh counts. */
export async function catchUp() {
  loadGroups();
  const room = state.room;
  if (!room) return;
  let more = true;
  while (more && state.room === room && state.socket) {
    const ack = await new Promise((resolve) => {
      state.socket.timeout(10000).emit(
        "messages:sync",
        { groupId: room.id, after: room.newest === null ? 0 : room.newest, limit: 200 },
        (err, answer) => resolve(err ? null : answer),
      );
    });
    if (!ack || !ack.ok) break;
    const bottom = isNearBottom();
    addMessages(ack.messages);
    if (bottom) scrollToBottom();
    more = ack.hasMore && ack.messages.length > 0;
  }
  markRead();
  // Anything still waiting from before the disconnect is sent again (same clientId).
  for (const entry of room.pending.values()) deliver(room, entry.payload);
}
