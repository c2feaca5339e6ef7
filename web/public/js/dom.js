// dom.js — building the page without innerHTML, so server data is always text.
//
//   h('button', {class: 'btn', onclick: save, disabled: busy}, '保存 Save')
//
// Attributes: `class` (string or array, falsy entries dropped), `dataset` (object),
// `on<event>` (function), `value`/`checked`/`selected` (set as properties, after the
// children, so a <select> gets its value once its options exist); `true` gives an
// empty attribute, `false`/null/undefined leave it out. Children: nodes, strings,
// numbers, arrays of those; null/false/undefined are skipped.

const PROPS = new Set(['value', 'checked', 'selected', 'indeterminate']);

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  const later = [];
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (PROPS.has(k)) later.push([k, v]);
      else if (v === true) el.setAttribute(k, '');
      else el.setAttribute(k, String(v));
    }
  }
  append(el, children);
  for (const [k, v] of later) el[k] = v;
  return el;
}

export function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
  return el;
}

// Replaces everything inside `el`.
export function mount(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

let uid = 0;
// A unique id for label/input pairs and aria references.
export const nextId = (prefix = 'f') => `${prefix}-${++uid}`;

// "中文 English" as two spans, so the English can be set lighter.
export function bi(zh, en) {
  if (!en) return h('span', null, zh);
  return h('span', { class: 'bi' }, zh, ' ', h('span', { class: 'en' }, en));
}
