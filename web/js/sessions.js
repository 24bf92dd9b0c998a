/* Group study sessions shown in the room. */
import { $, api, el, state, timeLabel, toast } from "./core.js";
import { isNearBottom, scrollToBottom } from "./room.js";

export async function loadSessions(room) {
  // Upcoming group study sessions, when the server offers them.
  try {
    const data = await api("GET", `/api/groups/${room.id}/sessions`);
    if (state.room !== room) return;
    const now = Date.now();
    const upcoming = (data.sessions || [])
      .filter((s) => s.status !== "cancelled" && new Date(s.scheduledTime).getTime() > now)
      .sort((a, b) => new Date(a.scheduledTime) - new Date(b.scheduledTime));
    if (upcoming.length) showSessionNote(upcoming[0], "Next session");
  } catch {
    // Older servers have no sessions route; nothing to show.
  }
}

export function sessionText(session) {
  const when = session.scheduledTime ? timeLabel(session.scheduledTime) : "";
  const parts = [session.title, when, session.location].filter(Boolean);
  return parts.join(" · ");
}

export function showSessionNote(session, label) {
  const list = $("message-list");
  const status = session.status && session.status !== "scheduled" ? ` (${session.status})` : "";
  const bottom = isNearBottom();
  const note = el(
    "li",
    { className: "session-note", dataset: { sessionId: session.id } },
    el("span", { className: "session-icon", "aria-hidden": "true" }, "📅"),
    el("span", {}, el("b", {}, `${label}${status}: `), sessionText(session)),
  );
  const existing = list.querySelector(`li.session-note[data-session-id="${CSS.escape(String(session.id))}"]`);
  if (existing) existing.remove();
  list.insertBefore(note, list.querySelector("li.pending"));
  if (bottom) scrollToBottom();
}

export function onSessionAnnounced(data) {
  const session = data && data.session;
  if (!session) return;
  const groupId = session.groupId;
  if (state.room && state.room.id === groupId) {
    showSessionNote(session, session.status === "cancelled" ? "Session cancelled" : "Session announced");
  } else {
    const group = state.groups.get(groupId);
    toast(`New study session${group ? ` in ${group.title}` : ""}: ${sessionText(session)}`, "info");
  }
}

