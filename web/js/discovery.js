/* Message search (results jump to the message), the "browse groups" directory, the leader's
 * "copy invite link" and the invite landing page (#invite=<code>). Built into the page from here,
 * so the shared modules only import this one. */
import { $, api, el, hooks, show, state, timeLabel, toast } from "./core.js";
import { showMain } from "./shell.js";
import { joinGroup, loadGroups, renderGroups } from "./groups.js";
import { loadOlder, openRoom } from "./room.js";
import { stopTyping } from "./composer.js";

const INVITE_KEY = "studysync.invite";
const JUMP_PAGES = 40; // older pages fetched at most to reach a found message

function pane(id, title, ...body) {
  const back = el("button", { type: "button", className: "back ghost", "aria-label": "Back" }, "‹");
  back.addEventListener("click", () => {
    renderGroups();
    showMain("welcome");
  });
  return el(
    "div",
    { id, className: "discover", hidden: true, dataset: { pane: id } },
    el("header", { className: "pane-head" }, back, el("h2", {}, title)),
    el("div", { className: "pane-scroll" }, ...body),
  );
}

function openPane(id) {
  state.room = null;
  stopTyping();
  renderGroups();
  showMain(id);
}

/* ---- search ---- */
const search = { q: "", before: null };

function buildSearch() {
  const input = el("input", {
    id: "search-input", type: "search", maxLength: 200, placeholder: "Search messages",
    "aria-label": "Search messages",
  });
  const form = el("form", { id: "search-form", className: "inline-form", role: "search" }, input,
    el("button", { type: "submit" }, "🔎"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const q = input.value.trim();
    if (!q) return;
    search.q = q;
    search.before = null;
    $("search-results").replaceChildren();
    openPane("search-pane");
    loadResults();
  });
  $("sidebar").querySelector(".side-nav").after(form);
  const more = el("button", { id: "search-more", type: "button", className: "ghost", hidden: true }, "Older results");
  more.addEventListener("click", loadResults);
  $("main").append(pane("search-pane", "Search results",
    el("p", { id: "search-status", className: "muted" }),
    el("ul", { id: "search-results", className: "cards search-results" }), more));
}

async function loadResults() {
  const status = $("search-status");
  status.textContent = "Searching…";
  const params = new URLSearchParams({ q: search.q, limit: "20" });
  if (search.before) params.set("before", String(search.before));
  try {
    const data = await api("GET", `/api/chat/search?${params}`);
    for (const result of data.results) $("search-results").append(resultRow(result));
    const shown = $("search-results").children.length;
    status.textContent = shown ? `Results for “${search.q}”` : `No messages match “${search.q}”.`;
    if (data.results.length) search.before = data.results[data.results.length - 1].message.id;
    show($("search-more"), data.hasMore);
  } catch (error) {
    status.textContent = error.message;
  }
}

function resultRow(result) {
  const excerpt = el("p", { className: "search-excerpt" });
  // The server escapes the text; only its <mark> tags are markup (wire/search.py).
  excerpt.innerHTML = result.highlight;
  const message = result.message;
  return el(
    "li",
    { className: "card search-hit", dataset: { messageId: message.id },
      onclick: () => jumpTo(result.groupId, message.id) },
    el("div", { className: "msg-meta" }, el("strong", {}, result.groupTitle), " · ",
      el("span", { className: "author" }, message.userName), " ",
      el("time", { dateTime: message.timestamp }, timeLabel(message.timestamp))),
    excerpt,
  );
}

export async function jumpTo(groupId, messageId) {
  await openRoom(groupId);
  const room = state.room;
  for (let page = 0; room && !room.elements.has(messageId) && page < JUMP_PAGES; page += 1) {
    if (state.room !== room || !(await loadOlder())) break;
  }
  const node = room && room.elements.get(messageId);
  if (!node) {
    toast("That message is no longer in the history.", "info");
    return;
  }
  node.scrollIntoView({ block: "center" });
  node.classList.add("flash");
  setTimeout(() => node.classList.remove("flash"), 2500);
}

/* ---- directory ---- */
const directory = { before: null };

function buildDirectory() {
  const button = el("button", { id: "nav-browse", type: "button", className: "wide" }, "📚 Browse groups");
  button.addEventListener("click", () => {
    openPane("browse-pane");
    reloadDirectory();
  });
  $("sidebar").querySelector(".side-nav").append(button);
  const q = el("input", { id: "browse-q", type: "search", maxLength: 100, placeholder: "Title or subject",
    "aria-label": "Filter groups" });
  const open = el("input", { id: "browse-open", type: "checkbox" });
  const filter = el("form", { className: "inline-form" }, q, el("label", {}, open, " open only"),
    el("button", { type: "submit" }, "Filter"));
  filter.addEventListener("submit", (event) => {
    event.preventDefault();
    reloadDirectory();
  });
  const more = el("button", { id: "browse-more", type: "button", className: "ghost", hidden: true }, "More groups");
  more.addEventListener("click", loadDirectory);
  $("main").append(pane("browse-pane", "Browse groups", filter,
    el("p", { id: "browse-status", className: "muted" }), el("ul", { id: "browse-list", className: "cards" }), more));
}

function reloadDirectory() {
  directory.before = null;
  $("browse-list").replaceChildren();
  loadDirectory();
}

async function loadDirectory() {
  const params = new URLSearchParams({ limit: "20" });
  const q = $("browse-q").value.trim();
  if (q) params.set("q", q);
  if ($("browse-open").checked) params.set("open", "true");
  if (directory.before) params.set("before", String(directory.before));
  try {
    const data = await api("GET", `/api/groups?${params}`);
    for (const group of data.groups) $("browse-list").append(groupCard(group));
    if (data.groups.length) directory.before = data.groups[data.groups.length - 1].id;
    $("browse-status").textContent = $("browse-list").children.length ? "" : "No groups with room match.";
    show($("browse-more"), data.hasMore);
  } catch (error) {
    $("browse-status").textContent = error.message;
  }
}

function groupCard(group, action) {
  const mine = state.groups.get(group.id);
  const label = mine ? (mine.status === "pending" ? "Requested" : "Open chat")
    : group.joinPolicy === "approval" ? "Ask to join" : "Join";
  const button = el("button", { type: "button", className: "primary small" }, label);
  button.addEventListener("click", () => (action ? action() : mine ? openRoom(group.id) : joinGroup(group.id)));
  return el("li", { className: "card" },
    el("h4", {}, group.title),
    el("p", { className: "muted" }, `${group.subject} · ${group.currentMembers}/${group.maxMembers} members · led by ${group.leaderName}`),
    group.description ? el("p", {}, group.description) : null,
    button);
}

/* ---- invites ---- */
function addInviteButton(room) {
  const head = $("room").querySelector(".room-head");
  head.querySelector(".invite-link")?.remove();
  if (!room.group || room.group.leaderId !== state.me.id) return;
  const button = el("button", { type: "button", className: "ghost small invite-link" }, "🔗 Copy invite link");
  button.addEventListener("click", async () => {
    try {
      const data = await api("POST", `/api/groups/${room.id}/invites`, {});
      const url = data.invite.url;
      try {
        await navigator.clipboard.writeText(url);
        toast("Invite link copied (valid 7 days).", "info");
      } catch {
        window.prompt("Copy this invite link:", url);
      }
    } catch (error) {
      toast(error.message);
    }
  });
  head.append(button);
}

function rememberInvite() {
  const match = /^#invite=([A-Za-z0-9_-]{16,64})$/.exec(window.location.hash);
  if (!match) return;
  sessionStorage.setItem(INVITE_KEY, match[1]);
  history.replaceState(null, "", window.location.pathname + window.location.search);
}

async function showInvite() {
  const code = sessionStorage.getItem(INVITE_KEY);
  if (!code) return;
  sessionStorage.removeItem(INVITE_KEY);
  openPane("invite-pane");
  const box = $("invite-card");
  box.replaceChildren(el("p", { className: "muted" }, "Opening the invite…"));
  try {
    const data = await api("GET", `/api/invites/${code}`);
    const accept = async () => {
      try {
        const joined = await api("POST", `/api/invites/${code}/accept`, {});
        toast(joined.message, "info");
        await loadGroups();
        openRoom(joined.group.id);
      } catch (error) {
        toast(error.message);
      }
    };
    const member = data.membership === "active";
    const card = groupCard(data.group, member ? () => openRoom(data.group.id) : accept);
    card.querySelector("button").textContent = member ? "Open chat" : "Join with this invite";
    box.replaceChildren(el("p", {}, "You were invited to join:"), el("ul", { className: "cards" }, card));
  } catch (error) {
    box.replaceChildren(el("p", { className: "invite-error" }, error.message));
  }
}

function build() {
  if ($("search-form")) return;
  buildSearch();
  buildDirectory();
  $("main").append(pane("invite-pane", "Invitation", el("div", { id: "invite-card" })));
}

rememberInvite();
window.addEventListener("hashchange", () => {
  rememberInvite();
  if (state.me) showInvite();
});
hooks.enterApp.push(build, showInvite);
hooks.roomOpened.push(addInviteButton);
