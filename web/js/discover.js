/* Recommendations: groups, partners, create-your-own. */
import { $, api, el, state } from "./core.js";
import { showMain } from "./shell.js";
import { joinGroup, renderGroups } from "./groups.js";
import { stopTyping } from "./composer.js";

export async function openDiscover() {
  state.room = null;
  stopTyping();
  renderGroups();
  showMain("discover");
  await loadRecommendations();
}

export async function loadRecommendations() {
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

export const FACTORS = [
  ["subject", "Subjects"],
  ["schedule", "Schedule"],
  ["learningStyle", "Learning style"],
  ["performance", "Level"],
];

export function recommendationCard(card) {
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
