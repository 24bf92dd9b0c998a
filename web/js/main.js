/* Wiring of the page's controls, and start-up. */
import { $, api, show, state, toast } from "./core.js";
import { buildScheduleGrid, logout, registerBody, submitAuth, switchAuthTab } from "./auth.js";
import { enterApp, showMain } from "./shell.js";
import { createGroup, joinGroup, renderGroups } from "./groups.js";
import { loadOlder } from "./room.js";
import { markRead, onComposerInput, sendFromComposer, stopTyping } from "./composer.js";
import { loadRecommendations, openDiscover } from "./discover.js";

export function wire() {
  buildScheduleGrid();
  $("tab-login").addEventListener("click", () => switchAuthTab(false));
  $("tab-register").addEventListener("click", () => switchAuthTab(true));
  $("login-form").addEventListener("submit", (event) =>
    submitAuth(event, "/api/auth/login", {
      email: $("login-email").value.trim(),
      password: $("login-password").value,
    }),
  );
  $("register-form").addEventListener("submit", (event) =>
    submitAuth(event, "/api/auth/register", registerBody()),
  );
  $("logout").addEventListener("click", logout);
  $("nav-discover").addEventListener("click", openDiscover);
  $("refresh-recs").addEventListener("click", loadRecommendations);
  $("create-form").addEventListener("submit", createGroup);
  $("join-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const id = Number($("join-id").value);
    if (!Number.isInteger(id) || id < 1) {
      toast("Enter the group's number (a whole number, e.g. 12).");
      return;
    }
    if (await joinGroup(id)) $("join-id").value = "";
  });
  for (const back of document.querySelectorAll(".back")) {
    back.addEventListener("click", () => {
      stopTyping();
      state.room = null;
      renderGroups();
      showMain("welcome");
    });
  }
  $("composer").addEventListener("submit", sendFromComposer);
  $("composer-input").addEventListener("input", onComposerInput);
  $("composer-input").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("composer").requestSubmit();
    }
  });
  $("messages").addEventListener("scroll", () => {
    if ($("messages").scrollTop < 60) loadOlder();
  });
  document.addEventListener("click", (event) => {
    // A click anywhere else closes an open emoji picker.
    for (const picker of document.querySelectorAll(".picker:not([hidden])")) {
      if (!picker.parentElement.contains(event.target)) picker.hidden = true;
    }
  });
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && state.room) markRead();
  });
}

export async function boot() {
  wire();
  if (!state.token) {
    show($("auth-view"), true);
    return;
  }
  try {
    const data = await api("GET", "/api/auth/me");
    state.me = data.user;
    enterApp();
  } catch (error) {
    if (state.token) {
      // Keep the token when the server is merely unreachable; ask again on reload.
      show($("auth-view"), true);
      $("auth-error").textContent = error.message;
    }
  }
}
boot();
