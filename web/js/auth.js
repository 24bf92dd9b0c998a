/* Log in, register, sign out. */
import { $, api, DAYS, el, hooks, runHooks, show, SLOTS, state, TOKEN_KEY } from "./core.js";
import { enterApp } from "./shell.js";

export function buildScheduleGrid() {
  const grid = $("reg-schedule");
  grid.append(el("span"));
  for (const slot of SLOTS) grid.append(el("span", { className: "slot-head" }, slot));
  for (const day of DAYS) {
    grid.append(el("span", { className: "day-head" }, day.slice(0, 3)));
    for (const slot of SLOTS) {
      grid.append(
        el("input", {
          type: "checkbox",
          className: "slot",
          dataset: { day, slot },
          title: `${day} ${slot}`,
          "aria-label": `${day} ${slot}`,
        }),
      );
    }
  }
}

export function registerBody() {
  const schedule = {};
  for (const box of document.querySelectorAll("#reg-schedule input:checked")) {
    (schedule[box.dataset.day] ||= []).push(box.dataset.slot);
  }
  const subjects = $("reg-subjects").value.split(",").map((s) => s.trim()).filter(Boolean);
  return {
    name: $("reg-name").value.trim(),
    email: $("reg-email").value.trim(),
    password: $("reg-password").value,
    university: $("reg-university").value.trim(),
    major: $("reg-major").value.trim(),
    year: $("reg-year").value,
    subjects,
    learningStyle: $("reg-style").value.trim(),
    performanceLevel: Number($("reg-level").value),
    schedule,
  };
}

export function switchAuthTab(register) {
  $("tab-login").classList.toggle("active", !register);
  $("tab-register").classList.toggle("active", register);
  show($("login-form"), !register);
  show($("register-form"), register);
  $("auth-error").textContent = "";
}

export async function submitAuth(event, path, body) {
  event.preventDefault();
  const form = event.currentTarget;
  const button = form.querySelector("button[type=submit]");
  $("auth-error").textContent = "";
  button.disabled = true;
  try {
    const data = await api("POST", path, body);
    state.token = data.token;
    localStorage.setItem(TOKEN_KEY, data.token);
    state.me = data.user;
    form.reset();
    enterApp();
  } catch (error) {
    $("auth-error").textContent = error.message;
  } finally {
    button.disabled = false;
  }
}

export function signOut(message) {
  const hadToken = Boolean(state.token);
  state.token = "";
  state.me = null;
  localStorage.removeItem(TOKEN_KEY);
  if (state.socket) {
    state.socket.disconnect();
    state.socket = null;
  }
  state.connectedOnce = false;
  state.room = null;
  state.groups.clear();
  show($("app-view"), false);
  show($("me-box"), false);
  show($("conn"), false);
  show($("auth-view"), true);
  $("auth-error").textContent = hadToken && message ? message : "";
  runHooks(hooks.signOut);
}

export async function logout() {
  try {
    await api("POST", "/api/auth/logout", {});
  } catch {
    // Logging out locally is what matters to the user.
  }
  signOut("");
}
