/* Day separators in the message list ("Today", "Yesterday", "Mon 30 Nov"), kept right whichever
 * way messages arrive (history pages, live, catch-up): redrawn after each change of the list. */
import { $, el, hooks } from "./core.js";

function dayLabel(date) {
  const today = new Date();
  const yesterday = new Date(today);
  yesterday.setDate(today.getDate() - 1);
  if (date.toDateString() === today.toDateString()) return "Today";
  if (date.toDateString() === yesterday.toDateString()) return "Yesterday";
  const sameYear = date.getFullYear() === today.getFullYear();
  return date.toLocaleDateString([], { weekday: "short", day: "numeric", month: "short", year: sameYear ? undefined : "numeric" });
}

function redraw(list, observer) {
  observer.disconnect();
  for (const old of list.querySelectorAll("li.day-sep")) old.remove();
  let previous = null;
  for (const item of [...list.children]) {
    const time = item.querySelector("time");
    const stamp = time && time.dateTime ? new Date(time.dateTime) : null;
    if (!stamp || Number.isNaN(stamp.getTime())) continue;
    const day = stamp.toDateString();
    if (day !== previous) item.before(el("li", { className: "day-sep", role: "separator" }, el("span", {}, dayLabel(stamp))));
    previous = day;
  }
  observer.observe(list, { childList: true });
}

let started = false;
hooks.enterApp.push(() => {
  if (started) return;
  started = true;
  const list = $("message-list");
  let queued = false;
  const observer = new MutationObserver(() => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      redraw(list, observer);
    });
  });
  observer.observe(list, { childList: true });
});
