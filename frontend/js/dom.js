// Tiny DOM helpers: build elements without innerHTML, so user text is never parsed as markup.

const PROPS = new Set(["value", "checked", "disabled", "selected", "hidden", "readOnly", "indeterminate"]);

/** h("button", {class: "primary", onclick: fn}, "Save") -> <button class="primary">Save</button> */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (PROPS.has(key)) el[key] = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replace the children of `el`. */
export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

export function $$(selector, root = document) {
  return [...root.querySelectorAll(selector)];
}

/** A message box: kind is "error", "ok", "note" or "empty". */
export function message(kind, ...children) {
  return h("div", { class: kind, role: kind === "error" ? "alert" : "status" }, ...children);
}
