/* State, DOM helpers and the REST client shared by every module. */
import { signOut } from "./auth.js";

export const TOKEN_KEY = "studysync.token";
export const PAGE = 30;
export const EMOJIS = ["👍", "❤️", "😂", "🎉", "🤔", "👀"];
export const DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
export const SLOTS = ["morning", "afternoon", "evening", "night"];
export const TYPING_SEND_EVERY = 2500;
export const TYPING_IDLE = 3000;
export const TYPING_SHOWN_FOR = 6000;

export const state = {
  token: localStorage.getItem(TOKEN_KEY) || "",
  me: null,
  socket: null,
  connectedOnce: false,
  groups: new Map(), // id -> group JSON from /api/groups/mine
  room: null, // the open room, see openRoom()
  typingSentAt: 0,
  typingTimer: null,
};

/** Extension points: a feature module registers its functions here (and main.js imports the
 * module) instead of editing the core modules. Each list is called in registration order. */
export const hooks = {
  enterApp: [], // () => void, after log-in
  signOut: [], // () => void
  roomOpened: [], // (room) => void, after the room's history and members have loaded
  socket: [], // (socket) => void, for each new connection: add socket.on(...) handlers
  messageRendered: [], // (message, node, {bubble, body, pending}) => void: decorate a bubble
  beforeSend: [], // (payload, room) => void: add fields to a message:send payload
};

/** Call each hook; one failing feature never breaks the others. */
export function runHooks(list, ...args) {
  for (const hook of list) {
    try {
      hook(...args);
    } catch (error) {
      console.error(error);
    }
  }
}

export const $ = (id) => document.getElementById(id);

/** el("div", {className: "x", onclick}, "text", childNode): strings become text nodes. */
export function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key in node && key !== "list") node[key] = value;
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function show(node, visible) {
  node.hidden = !visible;
}

export function toast(text, kind = "error") {
  const item = el("div", { className: `toast ${kind}` }, text);
  $("toasts").append(item);
  setTimeout(() => item.remove(), kind === "error" ? 7000 : 4500);
}

export function initials(name) {
  const parts = String(name || "?").trim().split(/\s+/);
  return (parts[0][0] + (parts.length > 1 ? parts[parts.length - 1][0] : "")).toUpperCase();
}

export function colorClass(id) {
  return `c${Math.abs(Number(id) || 0) % 8}`;
}

export function timeLabel(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const today = new Date().toDateString() === date.toDateString();
  const time = date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return today ? time : `${date.toLocaleDateString([], { month: "short", day: "numeric" })} ${time}`;
}

export function newClientId() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

export class ApiError extends Error {
  constructor(message, code, status) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

/** Plain words from the error envelope: the message, plus which fields were wrong. */
export function describe(error, fallback) {
  if (!error) return fallback;
  let text = error.message || fallback;
  const details = error.details;
  if (details && typeof details === "object" && error.code === "invalid_input") {
    const parts = Object.entries(details)
      .filter(([, why]) => typeof why === "string")
      .map(([field, why]) => `${field.replace(/^body\./, "")}: ${why}`);
    if (parts.length) text += ` (${parts.join("; ")})`;
  }
  return text;
}

export async function api(method, path, body) {
  const headers = {};
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError("Cannot reach the server. Check your connection and try again.", "network", 0);
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok || !data || data.success === false) {
    const error = data && data.error;
    const fallback = (data && data.message) || `The server answered ${response.status}.`;
    const failure = new ApiError(describe(error, fallback), error ? error.code : "http", response.status);
    if (response.status === 401 && state.token && !path.startsWith("/api/auth/login")) {
      signOut("Your session has ended. Please log in again.");
    }
    throw failure;
  }
  return data;
}
