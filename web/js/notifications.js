/* The notifications panel: a bell in the top bar with the unread count, the list from
 * /api/notifications, live additions from `notification:new`, mark read (one, or all shown). */
import { $, api, el, hooks, state, timeLabel, toast } from "./core.js";
import { openRoom } from "./room.js";
import { jumpTo } from "./threads.js";

const notes = new Map(); // id -> notification, newest first by id
let unread = 0;

function bell() {
  let button = $("notif-toggle");
  if (!button) {
    button = el("button", {
      id: "notif-toggle",
      type: "button",
      className: "ghost small notif-toggle",
      "aria-label": "Notifications",
      "aria-expanded": "false",
      onclick: () => {
        const panel = panelBox();
        panel.hidden = !panel.hidden;
        button.setAttribute("aria-expanded", String(!panel.hidden));
      },
    });
    $("me-box").before(button);
  }
  return button;
}

function panelBox() {
  let panel = $("notif-panel");
  if (!panel) {
    panel = el("section", { id: "notif-panel", className: "notif-panel card", hidden: true, "aria-label": "Notifications" });
    document.body.append(panel);
  }
  return panel;
}

function render() {
  const button = bell();
  button.replaceChildren("🔔", ...(unread ? [el("span", { className: "badge", id: "notif-count" }, String(unread))] : []));
  const items = [...notes.values()].sort((a, b) => b.id - a.id);
  panelBox().replaceChildren(
    el(
      "header",
      { className: "notif-head" },
      el("h3", {}, "Notifications"),
      el("button", { type: "button", className: "link", disabled: !unread, onclick: markAllRead }, "Mark all read"),
    ),
    ...(items.length ? [] : [el("p", { className: "muted" }, "Nothing yet.")]),
    el("ul", { className: "notif-list" }, ...items.map(row)),
  );
}

function row(note) {
  return el(
    "li",
    { className: `notif ${note.read ? "read" : "unread"}`, dataset: { id: note.id, type: note.type } },
    el(
      "button",
      { type: "button", className: "notif-open", onclick: () => openNote(note) },
      el("span", { className: "notif-title" }, note.title),
      el("span", { className: "notif-text" }, note.text),
      el("time", { dateTime: note.createdAt }, timeLabel(note.createdAt)),
    ),
  );
}

async function markRead(note) {
  if (note.read) return;
  try {
    await api("POST", `/api/notifications/${note.id}/read`);
    note.read = true;
    unread = Math.max(0, unread - 1);
  } catch (error) {
    toast(error.message);
  }
}

async function markAllRead() {
  await Promise.all([...notes.values()].filter((n) => !n.read).map(markRead));
  render();
}

async function openNote(note) {
  await markRead(note);
  render();
  panelBox().hidden = true;
  if (!note.groupId || !state.groups.has(note.groupId)) return;
  if (!state.room || state.room.id !== note.groupId) await openRoom(note.groupId);
  if (note.messageId) jumpTo(note.messageId);
}

async function load() {
  try {
    const data = await api("GET", "/api/notifications?limit=50");
    notes.clear();
    for (const note of data.notifications) notes.set(note.id, note);
    unread = data.unreadCount;
    render();
  } catch (error) {
    toast(error.message);
  }
}

hooks.enterApp.push(load);
hooks.signOut.push(() => {
  notes.clear();
  unread = 0;
  panelBox().hidden = true;
  const button = $("notif-toggle");
  if (button) button.remove();
});
hooks.socket.push((socket) => {
  socket.io.on("reconnect", load); // what arrived while offline
  socket.on("notification:new", ({ notification }) => {
    if (notes.has(notification.id)) return;
    notes.set(notification.id, notification);
    if (!notification.read) unread += 1;
    render();
    if (notification.type === "mention") toast(notification.title, "info");
  });
});
