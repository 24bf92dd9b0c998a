/* The app shell: which pane shows, the connection badge. */
import { $, hooks, runHooks, show, state } from "./core.js";
import { loadGroups } from "./groups.js";
import { connectSocket } from "./socket.js";

export function enterApp() {
  show($("auth-view"), false);
  show($("app-view"), true);
  show($("me-box"), true);
  $("me-name").textContent = state.me.name;
  showMain("welcome");
  connectSocket();
  loadGroups();
  runHooks(hooks.enterApp);
}

/** Which pane the main area shows; on a phone the main area replaces the sidebar. */
export function showMain(which) {
  show($("welcome"), which === "welcome");
  show($("discover"), which === "discover");
  show($("room"), which === "room");
  $("app-view").classList.toggle("main-open", which !== "welcome");
}

export function setConnection(text, kind) {
  const badge = $("conn");
  badge.textContent = text;
  badge.className = `conn ${kind}`;
  show(badge, true);
}
