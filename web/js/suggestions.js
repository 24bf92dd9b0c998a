/* Suggested new groups (POST /api/recommend → suggestedGroups): create one, or dismiss it. */
import { $, api, el, toast } from "./core.js";
import { loadGroups } from "./groups.js";

export function renderSuggested(groups) {
  const list = $("rec-suggested");
  if (!list) return;
  list.replaceChildren(...(groups || []).map(suggestedCard));
  if (!list.children.length) {
    list.append(el("li", { className: "empty" }, "No new groups to suggest right now."));
  }
}

function suggestedCard(group) {
  const slots = group.commonSlots.slice(0, 3).map((s) => `${s.day} ${s.slot}`).join(", ");
  const names = group.members.map((m) => m.name).join(", ");
  const card = el(
    "li",
    { className: "card rec suggested", dataset: { kind: "suggested", key: group.key } },
    el(
      "div",
      { className: "card-head" },
      el("div", {}, el("h4", {}, group.subjects.join(", ")), el("p", { className: "muted" }, names)),
      el("span", { className: "match", title: "least-matched member" }, `${group.matchPercentage}%`),
    ),
    el("p", { className: "explanation" }, group.explanation),
    el("dl", { className: "facts" }, el("dt", {}, "When"), el("dd", {}, slots)),
  );
  const create = el("button", { type: "button", className: "primary", textContent: "Create this group" });
  const dismiss = el("button", { type: "button", textContent: "Not interested" });
  create.onclick = async () => {
    create.disabled = true;
    try {
      const data = await api("POST", "/api/groups/from-suggestion", { key: group.key });
      toast(`Created “${data.group.title}”; the others are invited`, "info");
      card.remove();
      await loadGroups();
    } catch (error) {
      toast(error.message);
      create.disabled = false;
    }
  };
  dismiss.onclick = async () => {
    dismiss.disabled = true;
    try {
      await api("POST", "/api/recommend/dismiss", { kind: "suggested", id: group.key });
      card.remove();
    } catch (error) {
      toast(error.message);
      dismiss.disabled = false;
    }
  };
  card.append(el("div", { className: "card-actions" }, create, dismiss));
  return card;
}
