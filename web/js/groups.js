/* The sidebar's groups: list, join, create. */
import { $, api, colorClass, el, initials, show, state, toast } from "./core.js";
import { openRoom } from "./room.js";

export async function loadGroups() {
  try {
    const data = await api("GET", "/api/groups/mine");
    state.groups = new Map(data.groups.map((g) => [g.id, g]));
    renderGroups();
  } catch (error) {
    toast(`Could not load your groups: ${error.message}`);
  }
}

export function renderGroups() {
  const list = $("group-list");
  list.replaceChildren();
  const groups = [...state.groups.values()].sort((a, b) => {
    const at = a.lastMessage ? a.lastMessage.id : 0;
    const bt = b.lastMessage ? b.lastMessage.id : 0;
    return bt - at || b.id - a.id;
  });
  for (const group of groups) list.append(groupRow(group));
  show($("groups-empty"), groups.length === 0);
}

export function groupRow(group) {
  const current = state.room && state.room.id === group.id;
  const last = group.lastMessage;
  const preview = group.status === "pending"
    ? "Waiting for the leader to approve"
    : last ? `${last.userName}: ${last.content || "(image)"}` : group.subject;
  const unread = group.status === "active" && group.unreadCount > 0 && !current;
  return el(
    "li",
    {},
    el(
      "button",
      {
        type: "button",
        className: `group-row${current ? " current" : ""}`,
        dataset: { groupId: group.id },
        onclick: () => openRoom(group.id),
      },
      el("span", { className: `avatar ${colorClass(group.id)}` }, initials(group.title)),
      el(
        "span",
        { className: "group-text" },
        el("span", { className: "group-name" }, group.title),
        el("span", { className: "group-preview" }, preview),
      ),
      group.status === "pending" ? el("span", { className: "tag" }, "pending") : null,
      unread ? el("span", { className: "badge", title: "unread messages" }, String(group.unreadCount)) : null,
    ),
  );
}

export async function joinGroup(groupId) {
  try {
    const data = await api("POST", `/api/groups/${groupId}/join`, {});
    toast(data.message, "info");
    await loadGroups();
    if (data.status === "active") openRoom(groupId);
    return true;
  } catch (error) {
    toast(error.message);
    return false;
  }
}

export async function createGroup(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const body = {
    title: $("create-title").value.trim(),
    subject: $("create-subject").value.trim(),
    description: $("create-description").value.trim(),
    maxMembers: Number($("create-max").value || 6),
    joinPolicy: $("create-policy").value,
  };
  const schedule = $("create-schedule").value.trim();
  const location = $("create-location").value.trim();
  if (schedule) body.schedule = schedule;
  if (location) body.location = location;
  try {
    const data = await api("POST", "/api/groups/create", body);
    form.reset();
    $("create-box").open = false;
    toast(`Created “${data.group.title}” (group number ${data.group.id})`, "info");
    await loadGroups();
    openRoom(data.group.id);
  } catch (error) {
    toast(error.message);
  }
}
