// Renders /_allauth/openapi.json as a readable page: operations grouped by
// tag, with parameters, request bodies and responses. No dependencies, no
// network beyond the spec itself, nothing inline (the CSP forbids it).
"use strict";

(function () {
  const root = document.getElementById("openapi");
  if (!root) return;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      node.setAttribute(key, value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function resolve(spec, node) {
    while (node && node.$ref) {
      node = node.$ref.replace(/^#\//, "").split("/").reduce((at, key) => at[key], spec);
    }
    return node;
  }

  // A compact, readable rendering of a schema: {field: type, ...}.
  function shape(spec, schema, depth) {
    schema = resolve(spec, schema) || {};
    if (depth > 6) return "…";
    for (const combinator of ["allOf", "anyOf", "oneOf"]) {
      if (schema[combinator]) {
        const parts = schema[combinator].map((s) => shape(spec, s, depth + 1));
        if (combinator === "allOf") {
          return Object.assign({}, ...parts.filter((p) => typeof p === "object"));
        }
        return { [combinator === "anyOf" ? "any of" : "one of"]: parts };
      }
    }
    if (schema.type === "array") return [shape(spec, schema.items, depth + 1)];
    if (schema.properties) {
      const required = new Set(schema.required || []);
      const out = {};
      for (const [name, sub] of Object.entries(schema.properties)) {
        out[name + (required.has(name) ? "" : "?")] = shape(spec, sub, depth + 1);
      }
      return out;
    }
    if (schema.enum) return schema.enum.join(" | ");
    return schema.type || "any";
  }

  function block(spec, title, schema) {
    return el("div", { class: "schema" },
      el("h5", {}, title),
      el("pre", {}, JSON.stringify(shape(spec, schema, 0), null, 2)));
  }

  function operation(spec, path, method, op) {
    const body = resolve(spec, op.requestBody);
    const content = body && body.content && body.content["application/json"];
    const params = (op.parameters || []).map((p) => resolve(spec, p));
    return el("details", { class: "operation" },
      el("summary", {},
        el("span", { class: "method " + method }, method.toUpperCase()), " ",
        el("code", {}, path), " ", el("span", { class: "summary" }, op.summary || "")),
      op.description ? el("p", {}, op.description) : null,
      params.length ? el("div", {},
        el("h5", {}, "Parameters"),
        el("ul", {}, params.map((p) => el("li", {},
          el("code", {}, p.name), ` (${p.in}${p.required ? ", required" : ""}) `,
          p.description || "")))) : null,
      content ? block(spec, "Request body", content.schema) : null,
      el("h5", {}, "Responses"),
      el("ul", {}, Object.entries(op.responses || {}).map(([status, response]) => {
        response = resolve(spec, response) || {};
        const json = response.content && response.content["application/json"];
        return el("li", {}, el("strong", {}, status), " ", response.description || "",
          json ? el("pre", {}, JSON.stringify(shape(spec, json.schema, 0), null, 2)) : null);
      })));
  }

  function render(spec) {
    const byTag = new Map();
    for (const [path, item] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (method === "parameters") continue;
        const tag = (op.tags && op.tags[0]) || "Other";
        if (!byTag.has(tag)) byTag.set(tag, []);
        byTag.get(tag).push(operation(spec, path, method, op));
      }
    }
    root.replaceChildren(
      el("p", {}, `${spec.info.title} ${spec.info.version}`),
      ...[...byTag].map(([tag, ops]) => el("section", {}, el("h2", {}, tag), ops)));
  }

  fetch(root.dataset.specUrl, { headers: { Accept: "application/json" } })
    .then((response) => response.json())
    .then(render)
    .catch((error) => root.replaceChildren(el("p", {}, "Could not load the specification: " + error)));
})();
