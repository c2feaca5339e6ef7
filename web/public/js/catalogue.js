// catalogue.js — what the catalogue screens share: the reference data (fonds, category
// tree, retention periods) loaded once per page view, selects built from it, the badges
// for access level and status, search snippets made safe, and the location picker.

import { get } from './api.js';
import { bi, h, mount } from './dom.js';
import { ACCESS_LEVELS, LOCATION_KINDS, RECORD_STATUS, label, zh } from './labels.js';
import { badge, dialog } from './ui.js';

// ------------------------------------------------------------------ reference data

let cache = null;

// {fonds, categories, retention} as lists, plus lookups by id/code. Cached until
// forgetReference() (settings changes call it) so a page does not ask three times.
export async function reference() {
  if (cache) return cache;
  const [fonds, categories, retention] = await Promise.all([
    get('/api/v1/fonds'),
    get('/api/v1/categories'),
    get('/api/v1/retention-periods'),
  ]);
  const out = {
    fonds: fonds.items || [],
    categories: categories.items || [],
    retention: retention.items || [],
  };
  out.fondsById = new Map(out.fonds.map((f) => [f.id, f]));
  out.categoryById = new Map(out.categories.map((c) => [c.id, c]));
  out.retentionByCode = new Map(out.retention.map((r) => [r.code, r]));
  cache = out;
  return out;
}

export function forgetReference() {
  cache = null;
}

// "科技 › 基建" for a category id.
export function categoryPath(ref, id) {
  const parts = [];
  let c = ref.categoryById.get(id);
  for (let guard = 0; c && guard < 20; guard++) {
    parts.unshift(c.name);
    c = c.parent_id ? ref.categoryById.get(c.parent_id) : null;
  }
  return parts.join(' › ');
}

// The category tree as one <select>: children indented under their parent (the API
// lists it depth-first). `blank`: the label of an empty first option, or none.
export function categorySelect(ref, { value, blank, ...attrs } = {}) {
  const opts = [];
  if (blank !== undefined) opts.push(h('option', { value: '' }, blank));
  for (const c of ref.categories) {
    const indent = '\u3000'.repeat(c.depth || 0);
    opts.push(h('option', { value: String(c.id) }, `${indent}${c.depth ? '└ ' : ''}${c.name} (${c.code})`));
  }
  return h('select', { ...attrs, value: value == null ? '' : String(value) }, opts);
}

export function fondsSelect(ref, { value, blank, ...attrs } = {}) {
  const opts = [];
  if (blank !== undefined) opts.push(h('option', { value: '' }, blank));
  for (const f of ref.fonds) opts.push(h('option', { value: String(f.id) }, `${f.code} ${f.name}`));
  return h('select', { ...attrs, value: value == null ? '' : String(value) }, opts);
}

export function retentionSelect(ref, { value, blank, ...attrs } = {}) {
  const opts = [];
  if (blank !== undefined) opts.push(h('option', { value: '' }, blank));
  for (const r of ref.retention) opts.push(h('option', { value: r.code }, `${r.name} (${r.code})`));
  return h('select', { ...attrs, value: value ?? '' }, opts);
}

export function retentionText(r) {
  if (!r) return '—';
  const base = r.code ? `${r.name} (${r.code})` : r.name;
  if (r.years == null) return r.name.includes('永久') ? base : `${base} · 永久 permanent`;
  return r.name.includes(String(r.years)) ? base : `${base} · ${r.years} 年 years`;
}

// ------------------------------------------------------------------ badges

export function accessBadge(level) {
  return badge(label(ACCESS_LEVELS, level), `access-${level}`);
}

export function statusBadge(status) {
  return badge(label(RECORD_STATUS, status), `rstatus-${status}`);
}

// ------------------------------------------------------------------ snippets

// A search snippet is HTML-escaped by the server except for <mark>…</mark>. It is never
// parsed as HTML (even an inert parse may fetch an <img>): it is split at the <mark>
// tags, and the rest is unescaped into text nodes, so any other tag shows as text.
const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };
function unescapeHtml(s) {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e) => {
    if (e[0] !== '#') return ENTITIES[e.toLowerCase()] ?? m;
    const n = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    return n > 0 && n <= 0x10ffff ? String.fromCodePoint(n) : m;
  });
}

export function snippet(html) {
  const out = h('span', { class: 'snippet' });
  let marked = false;
  for (const part of String(html || '').split(/(<mark>|<\/mark>)/i)) {
    if (/^<mark>$/i.test(part)) marked = true;
    else if (/^<\/mark>$/i.test(part)) marked = false;
    else if (part) {
      const text = document.createTextNode(unescapeHtml(part));
      out.append(marked ? h('mark', null, text) : text);
    }
  }
  return out;
}

// ------------------------------------------------------------------ locations

export function locationKind(kind) {
  return h('span', { class: ['loc-kind', `loc-${kind}`] }, zh(LOCATION_KINDS, kind));
}

// Capacity as "12 / 20" with a meter, or the record count when the place has no limit.
export function occupancy(loc) {
  if (loc.capacity == null) return loc.records ? h('span', { class: 'muted small' }, `${loc.records} 件 records`) : null;
  return h(
    'span',
    { class: 'occupancy' },
    h('meter', { min: 0, max: loc.capacity, low: loc.capacity * 0.7, high: loc.capacity * 0.9, optimum: 0, value: loc.records, 'aria-label': `已用 used ${loc.records} / ${loc.capacity}` }),
    h('span', { class: 'small' }, `${loc.records} / ${loc.capacity}`),
  );
}

// A lazily loaded location tree. `onPick(loc)` (optional) puts a 选择 button on each
// node; `onSelect(loc)` marks a node as the current one (e.g. a parent for a new place);
// `extra(loc)` adds nodes to a row.
// Returns {el, reload()}.
export function locationTree({ onPick, onSelect, pickable = () => true, extra = () => null } = {}) {
  const root = h('ul', { class: 'loc-tree' });
  let selected = null;
  const nodes = new Map();
  const node = (loc) => {
    const children = h('ul', { class: 'loc-children', hidden: true });
    let loaded = false;
    const leaf = loc.kind === 'box';
    const toggle = h(
      'button',
      { type: 'button', class: 'loc-toggle', 'aria-expanded': 'false', 'aria-label': `展开 Expand ${loc.label}`, disabled: leaf },
      leaf ? '·' : '▸',
    );
    const expand = async (force = false) => {
      if (!loaded || force) {
        toggle.disabled = true;
        try {
          await fill(children, loc.id);
          loaded = true;
        } finally {
          toggle.disabled = false;
        }
      }
      toggle.setAttribute('aria-expanded', 'true');
      toggle.textContent = '▾';
      children.hidden = false;
    };
    nodes.set(loc.id, { expand });
    toggle.addEventListener('click', async () => {
      const open = toggle.getAttribute('aria-expanded') === 'true';
      if (open) {
        toggle.setAttribute('aria-expanded', 'false');
        toggle.textContent = '▸';
        children.hidden = true;
        return;
      }
      await expand();
    });
    const name = onSelect
      ? h('button', { type: 'button', class: 'loc-name linkish', 'aria-pressed': 'false', onclick: () => select(row, loc) }, loc.name || loc.code)
      : h('span', { class: 'loc-name' }, loc.name || loc.code);
    const row = h(
      'div',
      { class: 'loc-row', dataset: { locationId: loc.id, kind: loc.kind } },
      toggle,
      locationKind(loc.kind),
      name,
      h('span', { class: 'mono muted small' }, loc.code),
      occupancy(loc),
      loc.vacant != null ? h('span', { class: ['small', loc.vacant ? 'vacant' : 'full'] }, loc.vacant ? `空 ${loc.vacant}` : '已满 full') : null,
      onPick && pickable(loc)
        ? h('button', { type: 'button', class: 'btn tiny', onclick: () => onPick(loc), 'aria-label': `选择 Choose ${loc.label}` }, bi('选择', 'Choose'))
        : null,
      extra(loc),
    );
    return h('li', null, row, children);
  };
  const select = (row, loc) => {
    for (const r of root.querySelectorAll('.loc-row.selected')) {
      r.classList.remove('selected');
      r.querySelector('.loc-name')?.setAttribute('aria-pressed', 'false');
    }
    if (selected && selected.id === loc.id) {
      selected = null;
      onSelect(null);
      return;
    }
    selected = loc;
    row.classList.add('selected');
    row.querySelector('.loc-name')?.setAttribute('aria-pressed', 'true');
    onSelect(loc);
  };
  const fill = async (ul, parentId) => {
    const out = await get('/api/v1/locations', parentId ? { parent_id: parentId } : undefined);
    const items = out.items || [];
    mount(ul, items.length ? items.map(node) : h('li', { class: 'muted small loc-empty' }, '（空 empty）'));
    // A few buildings: open them, so the rooms show at once.
    if (!parentId && items.length <= 3) await Promise.all(items.map((l) => nodes.get(l.id)?.expand()));
  };
  return {
    el: root,
    reload: () => {
      selected = null;
      nodes.clear();
      return fill(root, null);
    },
    // Shows the current children of a place (after one was added to it).
    refresh: (parentId) => {
      const n = parentId ? nodes.get(parentId) : null;
      if (!n) {
        selected = null;
        return fill(root, null);
      }
      return n.expand(true);
    },
  };
}

// A dialog to choose where a record goes: the tree, or the vacant finder (fullest boxes
// first). Resolves with the chosen location or null.
export function chooseLocation({ title = ['选择存放位置', 'Choose a location'] } = {}) {
  return new Promise((resolve) => {
    let chosen = null;
    let finish = null;
    const pick = (loc) => {
      chosen = loc;
      finish?.();
    };
    const tree = locationTree({ onPick: pick, pickable: (l) => l.capacity == null || l.vacant > 0 });
    const vacant = h('div', { class: 'vacant-results' });
    const find = h(
      'button',
      {
        type: 'button',
        class: 'btn small',
        onclick: async () => {
          find.disabled = true;
          try {
            const out = await get('/api/v1/locations/vacant', { needed: 1 });
            mount(
              vacant,
              (out.items || []).length
                ? h(
                    'ul',
                    { class: 'vacant-list' },
                    out.items.map((l) =>
                      h('li', null, h('span', null, l.label), ' ', h('span', { class: 'muted small' }, `空 vacant ${l.vacant}`), ' ', h('button', { type: 'button', class: 'btn tiny', onclick: () => pick(l) }, bi('选择', 'Choose'))),
                    ),
                  )
                : h('p', { class: 'muted' }, '没有空位。No vacant place.'),
            );
          } catch (e) {
            mount(vacant, h('p', { class: 'error-text' }, e.message));
          } finally {
            find.disabled = false;
          }
        },
      },
      bi('查找空位', 'Find a vacant place'),
    );
    tree.reload();
    const body = h('div', { class: 'loc-picker' }, h('div', { class: 'loc-picker-find' }, find, vacant), h('div', { class: 'loc-picker-tree' }, tree.el));
    dialog({ title, fields: [body], submit: null, wide: true, onOpen: (close) => (finish = close) }).then(() => resolve(chosen));
  });
}

// ------------------------------------------------------------------ customer files

// The records linked to a patron (customer files, 客户档案), for the patron's page and the
// portal. Returns {el, load()}; the block stays empty when the list cannot be read.
export function customerFiles(patronId) {
  const el = h('div', { class: 'customer-files' });
  const load = async () => {
    let items;
    try {
      items = (await get('/api/v1/records', { patron_id: patronId, limit: 50 })).items || [];
    } catch {
      mount(el);
      return;
    }
    const rows = items.map((r) =>
      h(
        'tr',
        { dataset: { recordId: r.id } },
        h('td', { class: 'mono nowrap' }, h('a', { href: `/records/${r.id}` }, r.reference_code)),
        h('td', null, r.title),
        h('td', { class: 'num' }, r.year ?? '—'),
        h('td', null, accessBadge(r.access_level)),
      ),
    );
    mount(
      el,
      h(
        'section',
        { class: 'card' },
        h('h2', null, bi('客户档案', 'Customer files')),
        rows.length
          ? h('table', { class: 'grid compact' }, h('thead', null, h('tr', null, ['档号 Code', '题名 Title', '年度 Year', '密级 Access'].map((t) => h('th', { scope: 'col' }, t)))), h('tbody', null, rows))
          : h('p', { class: 'muted' }, '没有关联的档案。No linked records.'),
      ),
    );
  };
  return { el, load };
}
