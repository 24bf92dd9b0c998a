/* Safety and reach (issue 17): block / report / mute actions, hidden messages of blocked users,
 * web push ("Enable notifications") and the service worker. Registered through core.js hooks. */
import { $, api, describe, el, hooks, state, toast } from "./core.js";
import { openRoom } from "./room.js";

const blocked = new Set(); // ids of the users the caller blocked
const REASONS = ["spam", "harassment", "inappropriate", "other"];

function isLeader(room) {
  return Boolean(room && room.group && state.me && room.group.leaderId === state.me.id);
}

async function loadBlocked() {
  try {
    const data = await api("GET", "/api/users/blocked");
    blocked.clear();
    for (const user of data.users) blocked.add(user.id);
  } catch (error) {
    console.warn("blocked list", error);
  }
}

async function act(run, done) {
  try {
    await run();
    if (done) toast(done, "info");
  } catch (error) {
    toast(describe(error, "That did not work"));
  }
}

export async function blockUser(userId, name) {
  if (!confirm(`Block ${name}? Their messages will be hidden for you.`)) return;
  await act(async () => {
    await api("POST", `/api/users/${userId}/block`);
    blocked.add(userId);
    hideBlockedInRoom();
  }, `${name} is blocked`);
}

export async function reportMessage(message) {
  const reason = prompt(`Why report this message? (${REASONS.join(", ")})`, "spam");
  if (reason === null) return;
  const choice = reason.trim().toLowerCase();
  if (!REASONS.includes(choice)) {
    toast(`Choose one of: ${REASONS.join(", ")}`);
    return;
  }
  await act(() => api("POST", `/api/chat/message/${message.id}/report`, { reason: choice }),
    "Reported to the group leader and the moderators");
}

export async function muteMember(groupId, userId, name) {
  const answer = prompt(`Mute ${name} for how many minutes? (1-10080)`, "60");
  if (answer === null) return;
  const minutes = Number(answer);
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 10080) {
    toast("Enter whole minutes between 1 and 10080.");
    return;
  }
  await act(() => api("POST", `/api/groups/${groupId}/members/${userId}/mute`, { minutes }),
    `${name} is muted for ${minutes} min`);
}

function menu(items) {
  const list = el("div", { className: "safety-menu", hidden: true });
  for (const [label, run] of items) {
    list.append(el("button", { type: "button", className: "ghost small", onclick: (event) => {
      event.stopPropagation();
      list.hidden = true;
      run();
    } }, label));
  }
  const toggle = el("button", {
    type: "button", className: "ghost small safety-toggle", title: "More actions",
    onclick: (event) => {
      event.stopPropagation();
      list.hidden = !list.hidden;
    },
  }, "⋯");
  return el("span", { className: "safety" }, toggle, list);
}

function collapse(body) {
  if (body.dataset.blockedHidden) return;
  body.dataset.blockedHidden = "1";
  const original = [...body.childNodes];
  const reveal = el("button", { type: "button", className: "ghost small", onclick: () => {
    body.replaceChildren(...original);
  } }, "Show");
  body.replaceChildren(el("span", { className: "muted" }, "Message from a user you blocked. "), reveal);
}

function decorate(message, node, { bubble, body, pending }) {
  if (pending || !message.id || !state.me || message.userId === state.me.id) return;
  if (message.hiddenByBlock || blocked.has(message.userId)) collapse(body);
  const room = state.room;
  const items = [
    ["Report", () => reportMessage(message)],
    ["Block " + message.userName, () => blockUser(message.userId, message.userName)],
  ];
  if (isLeader(room)) {
    items.push(["Mute " + message.userName, () => muteMember(room.id, message.userId, message.userName)]);
  }
  bubble.querySelector(".msg-meta").append(menu(items));
  node.dataset.author = String(message.userId);
}

function hideBlockedInRoom() {
  const room = state.room;
  if (!room) return;
  for (const [id, node] of room.elements) {
    const message = room.messages.get(id);
    const body = node.querySelector(".msg-body");
    if (message && body && blocked.has(message.userId)) collapse(body);
  }
}

/** The member list: click a member for Block (and Mute, for the leader). */
function memberMenu(event) {
  const chip = event.target.closest("[data-user-id]");
  const room = state.room;
  if (!chip || !room || !state.me) return;
  const userId = Number(chip.dataset.userId);
  if (userId === state.me.id) return;
  const member = room.members.find((m) => m.userId === userId);
  const name = member ? member.name : `user ${userId}`;
  const old = chip.querySelector(".safety");
  if (old) {
    old.remove();
    return;
  }
  const items = [["Block", () => blockUser(userId, name)]];
  if (isLeader(room)) items.push(["Mute", () => muteMember(room.id, userId, name)]);
  const box = menu(items);
  box.querySelector(".safety-menu").hidden = false;
  chip.append(box);
}

// ---- push ------------------------------------------------------------------------------------

function keyBytes(base64url) {
  const padded = base64url.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (base64url.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

function pushSupported() {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

export async function enableNotifications() {
  if (!pushSupported()) {
    toast("This browser cannot show push notifications.");
    return;
  }
  await act(async () => {
    const permission = await Notification.requestPermission();
    if (permission !== "granted") throw new Error("Notifications were not allowed");
    const registration = await navigator.serviceWorker.register("/sw.js");
    await navigator.serviceWorker.ready;
    const { publicKey } = await api("GET", "/api/push/vapid-public-key");
    let subscription = await registration.pushManager.getSubscription();
    if (!subscription) {
      subscription = await registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: keyBytes(publicKey),
      });
    }
    await api("POST", "/api/push/subscriptions", { ...subscription.toJSON(), platform: "web" });
    renderPushButton(true);
  }, "Notifications are on for when you are away");
}

export async function disableNotifications() {
  await act(async () => {
    const registration = await navigator.serviceWorker.getRegistration("/");
    const subscription = registration && (await registration.pushManager.getSubscription());
    if (subscription) {
      await api("DELETE", "/api/push/subscriptions", { endpoint: subscription.endpoint });
      await subscription.unsubscribe();
    }
    renderPushButton(false);
  }, "Notifications are off");
}

function renderPushButton(on) {
  let button = $("push-toggle");
  if (!button) {
    button = el("button", { id: "push-toggle", type: "button", className: "ghost small" });
    $("me-box").prepend(button);
  }
  button.textContent = on ? "Notifications on" : "Enable notifications";
  button.onclick = on ? disableNotifications : enableNotifications;
}

async function initPush() {
  if (!pushSupported()) return;
  const registration = await navigator.serviceWorker.getRegistration("/");
  const subscription = registration && (await registration.pushManager.getSubscription());
  renderPushButton(Boolean(subscription) && Notification.permission === "granted");
}

function openLinkedGroup() {
  const wanted = Number(new URLSearchParams(location.search).get("group"));
  if (Number.isInteger(wanted) && wanted > 0) {
    history.replaceState(null, "", "/");
    setTimeout(() => openRoom(wanted), 300); // after the group list has loaded
  }
}

function onNotification({ notification }) {
  if (notification && notification.type === "report") toast(notification.text, "info");
}

let wired = false;
hooks.enterApp.push(() => {
  loadBlocked().then(hideBlockedInRoom);
  initPush().catch((error) => console.warn("push", error));
  openLinkedGroup();
  if (!wired) {
    wired = true;
    $("members").addEventListener("click", memberMenu);
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.addEventListener("message", (event) => {
        if (event.data && event.data.type === "open-group") openRoom(Number(event.data.groupId));
      });
    }
  }
});
hooks.signOut.push(() => blocked.clear());
hooks.messageRendered.push(decorate);
hooks.socket.push((socket) => socket.on("notification:new", onNotification));
