/* Image sharing: attach, paste or drop an image; it uploads with a progress bar, then goes out
 * as an image message (by uploadId); bubbles show the thumbnail, a click shows the full image. */
import { $, describe, el, hooks, newClientId, state, toast } from "./core.js";
import { deliver } from "./composer.js";
import { renderMessage } from "./messages.js";
import { scrollToBottom } from "./room.js";

const ACCEPTED = ["image/png", "image/jpeg", "image/gif", "image/webp"];
const MAX_BYTES = 10 * 1024 * 1024; // [uploads] max_bytes; the server decides, this saves a trip

function setUp() {
  const composer = $("composer");
  const input = el("input", {
    id: "attach-input",
    type: "file",
    accept: ACCEPTED.join(","),
    hidden: true,
    onchange: () => {
      for (const file of input.files) shareImage(file);
      input.value = "";
    },
  });
  const button = el("button", {
    id: "attach",
    type: "button",
    className: "ghost attach",
    title: "Share an image (or paste / drop one)",
    "aria-label": "Share an image",
    textContent: "📎",
    onclick: () => input.click(),
  });
  composer.prepend(button, input);
  composer.after(el("div", { id: "upload-status", className: "upload-status", hidden: true }));
  $("composer-input").addEventListener("paste", (event) => {
    const files = imagesIn(event.clipboardData);
    if (!files.length) return;
    event.preventDefault();
    files.forEach(shareImage);
  });
  const room = $("room");
  room.addEventListener("dragover", (event) => {
    if (!hasFiles(event.dataTransfer)) return;
    event.preventDefault();
    room.classList.add("dropping");
  });
  room.addEventListener("dragleave", (event) => {
    if (!room.contains(event.relatedTarget)) room.classList.remove("dropping");
  });
  room.addEventListener("drop", (event) => {
    room.classList.remove("dropping");
    if (!hasFiles(event.dataTransfer)) return;
    event.preventDefault();
    imagesIn(event.dataTransfer).forEach(shareImage);
  });
  document.body.append(
    el(
      "dialog",
      { id: "image-viewer", className: "image-viewer", onclick: (event) => event.currentTarget.close() },
      el("img", { id: "image-viewer-img", alt: "shared image, full size" }),
    ),
  );
}

function hasFiles(transfer) {
  return Boolean(transfer) && [...transfer.types].includes("Files");
}

function imagesIn(transfer) {
  if (!transfer) return [];
  return [...transfer.files].filter((file) => file.type.startsWith("image/") || !file.type);
}

/** Upload one file, then send it as an image message in the room that was open. */
export function shareImage(file) {
  const room = state.room;
  if (!room) return;
  if (file.type && !ACCEPTED.includes(file.type)) {
    toast("Only PNG, JPEG, GIF and WebP images can be shared.");
    return;
  }
  if (file.size > MAX_BYTES) {
    toast("That image is larger than 10 MB.");
    return;
  }
  const bar = el("progress", { max: 100, value: 0 });
  const row = el("div", { className: "upload-row" }, el("span", { className: "upload-name" }, file.name || "image"), bar);
  const status = $("upload-status");
  status.hidden = false;
  status.append(row);
  const finish = () => {
    row.remove();
    status.hidden = !status.children.length;
  };
  upload(file, (fraction) => {
    bar.value = Math.round(fraction * 100);
  })
    .then((item) => {
      finish();
      if (state.room !== room) return;
      sendImage(room, item);
    })
    .catch((error) => {
      finish();
      toast(error.message);
    });
}

function sendImage(room, item) {
  const payload = { groupId: room.id, messageType: "image", uploadId: item.id, content: "", clientId: newClientId() };
  const image = { url: item.url, thumbnailUrl: item.thumbnailUrl, width: item.width, height: item.height };
  const element = renderMessage(
    { ...payload, image, userId: state.me.id, userName: state.me.name, timestamp: new Date().toISOString() },
    true,
  );
  room.pending.set(payload.clientId, { payload, element });
  $("message-list").append(element);
  scrollToBottom();
  deliver(room, payload);
}

/** POST /api/uploads with XMLHttpRequest: fetch() reports no upload progress. */
function upload(file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/uploads");
    xhr.setRequestHeader("Authorization", `Bearer ${state.token}`);
    xhr.responseType = "json";
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener("load", () => {
      const data = xhr.response;
      if (xhr.status === 201 && data && data.upload) return resolve(data.upload);
      const fallback = `The upload was refused (${xhr.status}).`;
      reject(new Error(describe(data && data.error, fallback)));
    });
    xhr.addEventListener("error", () => reject(new Error("The upload failed. Check your connection and try again.")));
    const body = new FormData();
    body.append("file", file, file.name || "image");
    xhr.send(body);
  });
}

/** The thumbnail in the bubble (its size reserved, so the list does not jump), full size on click. */
function decorate(message, node, { body }) {
  const image = message.image;
  if (!image) return;
  const scale = Math.min(1, 320 / Math.max(image.width, image.height, 1));
  const thumb = el("img", {
    src: image.thumbnailUrl,
    alt: message.content || "shared image",
    loading: "lazy",
    width: Math.max(1, Math.round(image.width * scale)),
    height: Math.max(1, Math.round(image.height * scale)),
  });
  body.append(
    el(
      "button",
      { type: "button", className: "msg-image", title: "Show full size", onclick: () => openViewer(image.url) },
      thumb,
    ),
  );
}

function openViewer(url) {
  const viewer = $("image-viewer");
  $("image-viewer-img").src = url;
  viewer.showModal();
}

setUp();
hooks.messageRendered.push(decorate);
