/* StudySync browser test client: plain JS, no build step.
 * REST for accounts, groups, history and recommendations; Socket.IO namespace /chat for live
 * messages, reactions, typing, presence and session announcements.
 * All user text goes into the page through textContent (never innerHTML). */
"use strict";

(() => {
  const TOKEN_KEY = "studysync.token";
  const PAGE = 30;
  const EMOJIS = ["👍", "❤️", "😂", "🎉", "🤔", "👀"];
  const DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
  const SLOTS = ["morning", "afternoon", "evening", "night"];
  const TYPING_SEND_EVERY = 2500;
  const TYPING_IDLE = 3000;
  const TYPING_SHOWN_FOR = 6000;

  const state = {
    token: localStorage.getItem(TOKEN_KEY) || "",
    me: null,
    socket: null,
    connectedOnce: false,
    groups: new Map(), // id -> group JSON from /api/groups/mine
    room: null, // the open room, see openRoom()
    typingSentAt: 0,
    typingTimer: null,
  };

  // ---- small DOM helpers ------------------------------------------------------------------

  const $ = (id) => document.getElementById(id);

  /** el("div", {className: "x", onclick}, "text", childNode): strings become text nodes. */
  function el(tag, props, ...children) {
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

  function show(node, visible) {
    node.hidden = !visible;
  }

  function toast(text, kind = "error") {
    const item = el("div", { className: `toast ${kind}` }, text);
    $("toasts").append(item);
    setTimeout(() => item.remove(), kind === "error" ? 7000 : 4500);
  }

  function initials(name) {
    const parts = String(name || "?").trim().split(/\s+/);
    return (parts[0][0] + (parts.length > 1 ? parts[parts.length - 1][0] : "")).toUpperCase();
  }

  function colorClass(id) {
    return `c${Math.abs(Number(id) || 0) % 8}`;
  }

  function timeLabel(iso) {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return "";
    const today = new Date().toDateString() === date.toDateString();
    const time = date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    return today ? time : `${date.toLocaleDateString([], { month: "short", day: "numeric" })} ${time}`;
  }

  function newClientId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
  }

  // ---- REST ---------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(message, code, status) {
      super(message);
      this.code = code;
      this.status = status;
    }
  }

  /** Plain words from the error envelope: the message, plus which fields were wrong. */
  function describe(error, fallback) {
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

  async function api(method, path, body) {
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

  // ---- auth ---------------------------------------------------------------------------------

  function buildScheduleGrid() {
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

  function registerBody() {
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

  function switchAuthTab(register) {
    $("tab-login").classList.toggle("active", !register);
    $("tab-register").classList.toggle("active", register);
    show($("login-form"), !register);
    show($("register-form"), register);
    $("auth-error").textContent = "";
  }

  async function submitAuth(event, path, body) {
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

  function signOut(message) {
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
  }

  async function logout() {
    try {
      await api("POST", "/api/auth/logout", {});
    } catch {
      // Logging out locally is what matters to the user.
    }
    signOut("");
  }

  // ---- app shell ----------------------------------------------------------------------------

  function enterApp() {
    show($("auth-view"), false);
    show($("app-view"), true);
    show($("me-box"), true);
    $("me-name").textContent = state.me.name;
    showMain("welcome");
    connectSocket();
    loadGroups();
  }

  /** Which pane the main area shows; on a phone the main area replaces the sidebar. */
  function showMain(which) {
    show($("welcome"), which === "welcome");
    show($("discover"), which === "discover");
    show($("room"), which === "room");
    $("app-view").classList.toggle("main-open", which !== "welcome");
  }

  function setConnection(text, kind) {
    const badge = $("conn");
    badge.textContent = text;
    badge.className = `conn ${kind}`;
    show(badge, true);
  }

  // ---- groups -------------------------------------------------------------------------------

  async function loadGroups() {
    try {
      const data = await api("GET", "/api/groups/mine");
      state.groups = new Map(data.groups.map((g) => [g.id, g]));
      renderGroups();
    } catch (error) {
      toast(`Could not load your groups: ${error.message}`);
    }
  }

  function renderGroups() {
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

  function groupRow(group) {
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

  async function joinGroup(groupId) {
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

  async function createGroup(event) {
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

  // ---- the room -----------------------------------------------------------------------------

  async function openRoom(groupId) {
    const group = state.groups.get(groupId);
    if (group && group.status === "pending") {
      toast("Your request to join is waiting for the group leader.", "info");
      return;
    }
    stopTyping();
    state.room = {
      id: groupId,
      group: group || null,
      elements: new Map(), // message id -> <li>
      messages: new Map(), // message id -> message
      pending: new Map(), // clientId -> {payload, element}
      oldest: null,
      newest: null,
      hasOlder: false,
      loadingOlder: false,
      members: [],
      online: new Set(),
      typing: new Map(), // userId -> {name, timer}
    };
    const room = state.room;
    $("room-title").textContent = group ? group.title : `Group ${groupId}`;
    $("room-sub").textContent = group ? group.subject : "";
    $("message-list").replaceChildren();
    $("members").replaceChildren();
    $("older-status").textContent = "";
    renderTyping();
    showMain("room");
    renderGroups();
    try {
      const [details, history] = await Promise.all([
        api("GET", `/api/groups/${groupId}`),
        api("GET", `/api/chat/${groupId}/messages?limit=${PAGE}`),
      ]);
      if (state.room !== room) return;
      room.group = details.group;
      room.members = details.group.members || [];
      $("room-title").textContent = details.group.title;
      renderRoomSubtitle();
      addMessages(history.messages);
      room.hasOlder = history.hasMore;
      updateOlderStatus();
      scrollToBottom();
      await fillViewport();
      markRead();
      refreshPresence();
      loadSessions(room);
    } catch (error) {
      if (state.room === room) $("older-status").textContent = error.message;
      toast(error.message);
    }
    $("composer-input").focus({ preventScroll: true });
  }

  function renderRoomSubtitle() {
    const room = state.room;
    if (!room || !room.group) return;
    const g = room.group;
    const online = room.members.filter((m) => room.online.has(m.userId)).length;
    const bits = [g.subject, `${g.currentMembers}/${g.maxMembers} members`, `${online} online`];
    if (g.schedule && g.schedule !== "Flexible") bits.push(g.schedule);
    $("room-sub").textContent = bits.join(" · ");
    const box = $("members");
    box.replaceChildren();
    const members = [...room.members].sort(
      (a, b) => Number(room.online.has(b.userId)) - Number(room.online.has(a.userId)),
    );
    for (const member of members) {
      const online = room.online.has(member.userId);
      box.append(
        el(
          "span",
          {
            className: `member${online ? " online" : ""}`,
            dataset: { userId: member.userId },
            title: `${member.name}${member.role === "leader" ? " (leader)" : ""} — ${online ? "online" : "offline"}`,
          },
          el("span", { className: "dot" }),
          member.userId === state.me.id ? `${member.name} (you)` : member.name,
          member.role === "leader" ? el("span", { className: "crown", title: "leader" }, "★") : null,
        ),
      );
    }
  }

  function refreshPresence() {
    const room = state.room;
    if (!room || !state.socket || !state.socket.connected) return;
    state.socket.timeout(8000).emit("presence:list", { groupId: room.id }, (err, ack) => {
      if (err || !ack || !ack.ok || state.room !== room) return;
      room.online = new Set(ack.online);
      renderRoomSubtitle();
    });
  }

  function isNearBottom() {
    const box = $("messages");
    return box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  }

  function scrollToBottom() {
    const box = $("messages");
    box.scrollTop = box.scrollHeight;
  }

  function updateOlderStatus() {
    const room = state.room;
    $("older-status").textContent = room.hasOlder
      ? "Scroll up for older messages"
      : room.messages.size ? "This is the start of the conversation" : "No messages yet — say hello!";
  }

  /** Keep loading older pages until the list can scroll (so "scroll up" is possible). */
  async function fillViewport() {
    const box = $("messages");
    while (state.room && state.room.hasOlder && box.scrollHeight <= box.clientHeight + 10) {
      if (!(await loadOlder())) break;
    }
  }

  async function loadOlder() {
    const room = state.room;
    if (!room || room.loadingOlder || !room.hasOlder || room.oldest === null) return false;
    room.loadingOlder = true;
    $("older-status").textContent = "Loading older messages…";
    const box = $("messages");
    try {
      const data = await api("GET", `/api/chat/${room.id}/messages?before=${room.oldest}&limit=${PAGE}`);
      if (state.room !== room) return false;
      const before = box.scrollHeight;
      addMessages(data.messages);
      room.hasOlder = data.hasMore;
      box.scrollTop += box.scrollHeight - before;
      return true;
    } catch (error) {
      toast(error.message);
      return false;
    } finally {
      room.loadingOlder = false;
      if (state.room === room) updateOlderStatus();
    }
  }

  /** Insert stored messages in id order; a message already shown is updated, never doubled. */
  function addMessages(messages) {
    const room = state.room;
    const list = $("message-list");
    for (const message of messages) {
      if (message.groupId !== room.id) continue;
      if (room.messages.has(message.id)) {
        updateMessage(message);
        continue;
      }
      const pending = message.clientId && message.userId === state.me.id && room.pending.get(message.clientId);
      const node = renderMessage(message);
      if (pending) {
        pending.element.remove();
        room.pending.delete(message.clientId);
      }
      room.messages.set(message.id, message);
      room.elements.set(message.id, node);
      let after = null; // the first stored message with a larger id
      for (const [id, element] of room.elements) {
        if (id > message.id && (after === null || id < Number(after.dataset.id))) after = element;
      }
      if (after) list.insertBefore(node, after);
      else {
        const firstPending = list.querySelector("li.pending");
        list.insertBefore(node, firstPending);
      }
      room.oldest = room.oldest === null ? message.id : Math.min(room.oldest, message.id);
      room.newest = room.newest === null ? message.id : Math.max(room.newest, message.id);
    }
    if (!room.loadingOlder) updateOlderStatus();
  }

  function updateMessage(message) {
    const room = state.room;
    if (!room || !room.elements.has(message.id)) return;
    room.messages.set(message.id, message);
    const old = room.elements.get(message.id);
    const node = renderMessage(message);
    old.replaceWith(node);
    room.elements.set(message.id, node);
  }

  function renderMessage(message, pending) {
    const mine = message.userId === state.me.id;
    const kind = message.messageType || "text";
    const classes = ["msg", kind, mine ? "mine" : "theirs"];
    if (pending) classes.push("pending");
    const body = el("div", { className: "msg-body" }, message.content);
    if (kind === "image" && message.imageUrl && /^https?:\/\//.test(message.imageUrl)) {
      body.append(el("img", { src: message.imageUrl, alt: "shared image", loading: "lazy" }));
    }
    return el(
      "li",
      { className: classes.join(" "), dataset: message.id ? { id: message.id } : { clientId: message.clientId } },
      mine ? null : el("span", { className: `avatar small ${colorClass(message.userId)}` }, initials(message.userName)),
      el(
        "div",
        { className: "bubble" },
        el(
          "div",
          { className: "msg-meta" },
          el("span", { className: "author" }, mine ? "You" : message.userName),
          kind === "announcement" ? el("span", { className: "tag" }, "announcement") : null,
          el("time", { dateTime: message.timestamp || "" }, message.timestamp ? timeLabel(message.timestamp) : ""),
          message.editedAt ? el("span", { className: "muted" }, "(edited)") : null,
        ),
        body,
        pending ? el("div", { className: "msg-status" }, "Sending…") : reactionBar(message),
      ),
      pending ? null : reactionTools(message),
    );
  }

  function reactionBar(message) {
    if (!message.reactions || !message.reactions.length) return null;
    const bar = el("div", { className: "reactions" });
    for (const reaction of message.reactions || []) {
      const mineToo = reaction.userIds.includes(state.me.id);
      bar.append(
        el(
          "button",
          {
            type: "button",
            className: `reaction${mineToo ? " mine" : ""}`,
            title: mineToo ? "You reacted — click to remove" : "Click to react too",
            dataset: { emoji: reaction.emoji },
            onclick: () => react(message.id, reaction.emoji),
          },
          el("span", { className: "emoji" }, reaction.emoji),
          el("span", { className: "count" }, String(reaction.count)),
        ),
      );
    }
    return bar;
  }

  /** The "add a reaction" button beside the bubble, with its small emoji picker. */
  function reactionTools(message) {
    const picker = el("span", { className: "picker", hidden: true });
    for (const emoji of EMOJIS) {
      picker.append(
        el("button", {
          type: "button",
          className: "pick",
          textContent: emoji,
          "aria-label": `react ${emoji}`,
          onclick: () => {
            picker.hidden = true;
            react(message.id, emoji);
          },
        }),
      );
    }
    return el(
      "span",
      { className: "react-tools" },
      el("button", {
        type: "button",
        className: "add-reaction",
        title: "Add a reaction",
        "aria-label": "Add a reaction",
        textContent: "☺+",
        onclick: () => {
          picker.hidden = !picker.hidden;
        },
      }),
      picker,
    );
  }

  function react(messageId, emoji) {
    emitAcked("message:react", { messageId, emoji }, (ack) => {
      applyReactions(messageId, ack.reactions);
    });
  }

  function applyReactions(messageId, reactions) {
    const room = state.room;
    if (!room || !room.messages.has(messageId)) return;
    updateMessage({ ...room.messages.get(messageId), reactions });
  }

  /** Emit with an ack; failures (no answer, or {ok:false}) become a toast in plain words. */
  function emitAcked(event, payload, onOk, onFail) {
    const fail = (text) => (onFail ? onFail(text) : toast(text));
    if (!state.socket) return fail("Not connected to the chat server.");
    state.socket.timeout(10000).emit(event, payload, (err, ack) => {
      if (err) return fail("The server did not answer in time. Check your connection and try again.");
      if (!ack || !ack.ok) return fail(describe(ack && ack.error, "The server refused that."));
      onOk(ack);
    });
  }

  // ---- sending ------------------------------------------------------------------------------

  function sendFromComposer(event) {
    event.preventDefault();
    const input = $("composer-input");
    const content = input.value.trim();
    const room = state.room;
    if (!content || !room) return;
    input.value = "";
    autosize();
    stopTyping();
    const keepBottom = true;
    const payload = { groupId: room.id, content, clientId: newClientId() };
    const element = renderMessage(
      { ...payload, userId: state.me.id, userName: state.me.name, timestamp: new Date().toISOString() },
      true,
    );
    room.pending.set(payload.clientId, { payload, element });
    $("message-list").append(element);
    if (keepBottom) scrollToBottom();
    deliver(room, payload);
  }

  function deliver(room, payload) {
    const entry = room.pending.get(payload.clientId);
    if (!entry) return;
    setPendingStatus(entry, "Sending…", false);
    emitAcked(
      "message:send",
      payload,
      (ack) => {
        if (state.room !== room) return;
        const bottom = isNearBottom();
        addMessages([ack.message]);
        if (bottom) scrollToBottom();
        markRead();
      },
      (text) => {
        if (state.room === room) setPendingStatus(entry, text, true);
      },
    );
  }

  function setPendingStatus(entry, text, failed) {
    const status = entry.element.querySelector(".msg-status");
    entry.element.classList.toggle("failed", failed);
    status.replaceChildren(text);
    if (failed) {
      // Retrying reuses the same clientId: the server never stores it twice.
      status.append(
        " ",
        el("button", { type: "button", className: "link", onclick: () => deliver(state.room, entry.payload) }, "Retry"),
      );
    }
  }

  function autosize() {
    const input = $("composer-input");
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight, 140)}px`;
  }

  // ---- typing -------------------------------------------------------------------------------

  function onComposerInput() {
    autosize();
    const room = state.room;
    if (!room || !state.socket || !state.socket.connected) return;
    const now = Date.now();
    if (now - state.typingSentAt > TYPING_SEND_EVERY) {
      state.typingSentAt = now;
      state.socket.emit("typing", { groupId: room.id, isTyping: true }, () => {});
    }
    clearTimeout(state.typingTimer);
    state.typingTimer = setTimeout(stopTyping, TYPING_IDLE);
  }

  function stopTyping() {
    clearTimeout(state.typingTimer);
    state.typingTimer = null;
    if (state.typingSentAt && state.room && state.socket && state.socket.connected) {
      state.socket.emit("typing", { groupId: state.room.id, isTyping: false }, () => {});
    }
    state.typingSentAt = 0;
  }

  function onTyping(data) {
    const room = state.room;
    if (!room || data.groupId !== room.id || data.userId === state.me.id) return;
    const existing = room.typing.get(data.userId);
    if (existing) clearTimeout(existing.timer);
    if (data.isTyping) {
      const timer = setTimeout(() => {
        room.typing.delete(data.userId);
        renderTyping();
      }, TYPING_SHOWN_FOR);
      room.typing.set(data.userId, { name: data.userName, timer });
    } else {
      room.typing.delete(data.userId);
    }
    renderTyping();
  }

  function renderTyping() {
    const names = state.room ? [...state.room.typing.values()].map((t) => t.name) : [];
    let text = "";
    if (names.length === 1) text = `${names[0]} is typing…`;
    else if (names.length === 2) text = `${names[0]} and ${names[1]} are typing…`;
    else if (names.length > 2) text = "Several people are typing…";
    $("typing").textContent = text;
  }

  // ---- read markers and unread counts ------------------------------------------------------

  let readTimer = null;
  function markRead() {
    clearTimeout(readTimer);
    readTimer = setTimeout(() => {
      const room = state.room;
      if (!room || room.newest === null || !state.socket || document.hidden) return;
      const messageId = room.newest;
      emitAcked(
        "message:read",
        { groupId: room.id, messageId },
        (ack) => {
          const group = state.groups.get(room.id);
          if (group) {
            group.unreadCount = ack.unread;
            renderGroups();
          }
        },
        () => {},
      );
    }, 400);
  }

  function noteGroupMessage(message) {
    const group = state.groups.get(message.groupId);
    if (!group) return;
    group.lastMessage = message;
    const viewing = state.room && state.room.id === message.groupId && !document.hidden;
    if (!viewing && message.userId !== state.me.id) group.unreadCount = (group.unreadCount || 0) + 1;
    renderGroups();
  }

  // ---- sessions -----------------------------------------------------------------------------

  async function loadSessions(room) {
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

  function sessionText(session) {
    const when = session.scheduledTime ? timeLabel(session.scheduledTime) : "";
    const parts = [session.title, when, session.location].filter(Boolean);
    return parts.join(" · ");
  }

  function showSessionNote(session, label) {
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

  function onSessionAnnounced(data) {
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

  // ---- recommendations ----------------------------------------------------------------------

  async function openDiscover() {
    state.room = null;
    stopTyping();
    renderGroups();
    showMain("discover");
    await loadRecommendations();
  }

  async function loadRecommendations() {
    const status = $("recs-status");
    status.textContent = "Finding matches…";
    $("rec-groups").replaceChildren();
    $("rec-partners").replaceChildren();
    try {
      const data = await api("POST", "/api/recommend", {});
      status.textContent = "";
      for (const card of data.recommendations) $("rec-groups").append(recommendationCard(card));
      for (const card of data.partners) $("rec-partners").append(recommendationCard(card));
      if (!data.partners.length) {
        $("rec-partners").append(el("li", { className: "empty" }, "No study partners match your profile yet."));
      }
    } catch (error) {
      status.replaceChildren(
        error.message,
        " ",
        el("button", { type: "button", className: "link", onclick: loadRecommendations }, "Try again"),
      );
    }
  }

  const FACTORS = [
    ["subject", "Subjects"],
    ["schedule", "Schedule"],
    ["learningStyle", "Learning style"],
    ["performance", "Level"],
  ];

  function recommendationCard(card) {
    const isCreate = card.kind === "create";
    const head = el(
      "div",
      { className: "card-head" },
      el(
        "div",
        {},
        el("h4", {}, card.title),
        el("p", { className: "muted" }, card.memberInfo || ""),
      ),
      card.matchPercentage === null || card.matchPercentage === undefined
        ? null
        : el("span", { className: "match", title: "match" }, `${Math.round(card.matchPercentage)}%`),
    );
    const facts = el("dl", { className: "facts" });
    for (const [label, value] of [["Focus", card.focus], ["When", card.schedule], ["Where", card.location]]) {
      if (value) facts.append(el("dt", {}, label), el("dd", {}, value));
    }
    const bars = el("div", { className: "bars" });
    if (!isCreate && card.compatibility) {
      for (const [key, label] of FACTORS) {
        const value = Math.max(0, Math.min(1, Number(card.compatibility[key]) || 0));
        const fill = el("span", { className: "fill" });
        fill.style.width = `${Math.round(value * 100)}%`;
        bars.append(
          el("span", { className: "bar-label" }, label),
          el("span", { className: "bar" }, fill),
          el("span", { className: "bar-value" }, `${Math.round(value * 100)}%`),
        );
      }
    }
    let action = null;
    if (card.kind === "group") {
      action = el("button", {
        type: "button",
        className: "primary",
        textContent: card.action || "Join",
        onclick: async (event) => {
          const button = event.currentTarget;
          button.disabled = true;
          if (!(await joinGroup(card.id))) button.disabled = false;
        },
      });
    } else if (isCreate) {
      action = el("button", {
        type: "button",
        textContent: card.action || "Start Group",
        onclick: () => {
          showMain("welcome");
          $("create-box").open = true;
          $("create-title").focus();
        },
      });
    }
    return el(
      "li",
      { className: `card rec ${card.kind}`, dataset: { kind: card.kind, id: card.id } },
      head,
      card.explanation ? el("p", { className: "explanation" }, card.explanation) : null,
      facts,
      bars,
      action ? el("div", { className: "card-actions" }, action) : null,
    );
  }

  // ---- socket -------------------------------------------------------------------------------

  function connectSocket() {
    if (state.socket) state.socket.disconnect();
    if (typeof io !== "function") {
      setConnection("live chat unavailable", "offline");
      toast("The chat library did not load; live updates are off.");
      return;
    }
    setConnection("connecting…", "connecting");
    const socket = io("/chat", { auth: (cb) => cb({ token: state.token }) });
    state.socket = socket;

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
  async function catchUp() {
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

  // ---- wiring -------------------------------------------------------------------------------

  function wire() {
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

  async function boot() {
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
})();
