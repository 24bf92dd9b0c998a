// Renders /api/openapi.json: operations by tag, parameters, request and response schemas
// (component references resolved, shown as an indented outline) and examples. Text only goes
// through textContent, so nothing in the document can inject markup.

const MAX_DEPTH = 6;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  for (const child of children) node.append(child);
  return node;
}

function resolve(doc, schema) {
  if (schema && schema.$ref) return doc.components.schemas[schema.$ref.split("/").pop()] || {};
  return schema || {};
}

function typeName(doc, schema) {
  if (schema.$ref) return schema.$ref.split("/").pop();
  if (schema.anyOf) return schema.anyOf.map((s) => typeName(doc, s)).join(" | ");
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (schema.type === "array") return `${typeName(doc, schema.items || {})}[]`;
  return schema.type || (schema.const !== undefined ? JSON.stringify(schema.const) : "any");
}

function outline(doc, schema, depth = 0, seen = new Set()) {
  const lines = [];
  const named = schema.$ref ? schema.$ref.split("/").pop() : null;
  const target = resolve(doc, schema.type === "array" ? schema.items || {} : schema);
  if (depth > MAX_DEPTH || (named && seen.has(named))) return lines;
  const nextSeen = new Set(seen);
  if (named) nextSeen.add(named);
  const required = new Set(target.required || []);
  for (const [name, property] of Object.entries(target.properties || {})) {
    const mark = required.has(name) ? "" : "?";
    lines.push(`${"  ".repeat(depth)}${name}${mark}: ${typeName(doc, property)}`);
    const inner = property.type === "array" ? property.items || {} : property;
    if (inner.$ref || inner.properties) lines.push(...outline(doc, inner, depth + 1, nextSeen));
  }
  return lines;
}

function schemaBlock(doc, title, schema) {
  const text = outline(doc, schema).join("\n") || typeName(doc, schema);
  return [el("h4", {}, title), el("pre", {}, text)];
}

function operationView(doc, path, method, op) {
  const head = el(
    "summary",
    {},
    el("span", { class: `method ${method}` }, method),
    el("span", { class: "path" }, path),
    ` ${op.summary || ""}`,
  );
  if (op.security) head.append(el("span", { class: "lock" }, "token"));
  const body = el("div");
  if (op.parameters && op.parameters.length) {
    const rows = op.parameters.map((p) =>
      el("tr", {}, el("td", {}, p.name), el("td", {}, p.in), el("td", {}, typeName(doc, p.schema || {}))),
    );
    body.append(el("h4", {}, "Parameters"), el("table", {}, ...rows));
  }
  const request = op.requestBody && op.requestBody.content["application/json"];
  if (request) body.append(...schemaBlock(doc, `Body${op.requestBody.required ? " (required)" : ""}`, request.schema));
  for (const [status, response] of Object.entries(op.responses)) {
    for (const [media, content] of Object.entries(response.content || {})) {
      body.append(...schemaBlock(doc, `${status} ${response.description} (${media})`, content.schema || {}));
      if (content.example !== undefined) {
        body.append(el("pre", {}, JSON.stringify(content.example, null, 2)));
      }
    }
  }
  const view = el("details", { "data-search": `${path} ${op.summary || ""}`.toLowerCase() }, head, body);
  return view;
}

async function render() {
  const main = document.getElementById("operations");
  const doc = await (await fetch("/api/openapi.json")).json();
  const byTag = new Map();
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(operations)) {
      const tag = (op.tags && op.tags[0]) || "other";
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push(operationView(doc, path, method, op));
    }
  }
  main.replaceChildren();
  document.title = `StudySync API ${doc.info.version}`;
  for (const [tag, views] of byTag) main.append(el("h2", {}, tag), ...views);
  document.getElementById("filter").addEventListener("input", (event) => {
    const query = event.target.value.toLowerCase();
    for (const view of main.querySelectorAll("details")) {
      view.hidden = query !== "" && !view.dataset.search.includes(query);
    }
  });
}

render().catch((error) => {
  document.getElementById("operations").textContent = `Could not load the document: ${error}`;
});
