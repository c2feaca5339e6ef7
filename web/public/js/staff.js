// staff.js — picking a member of staff by name instead of typing a user id: the staff
// directory (GET /api/v1/staff: id, name, role, teams, availability; never contacts),
// loaded once per page load and kept for a minute, and a <select> built from it.

import { get } from './api.js';
import { h } from './dom.js';
import { zh, ROLES } from './labels.js';

const AVAILABILITY = { available: '在线', away: '离开', offline: '离线' };
let cached = null;
let cachedAt = 0;

// Every active staff account (the directory pages through them), newest copy within 60 s.
export function staffDirectory() {
  if (cached && Date.now() - cachedAt < 60_000) return cached;
  cachedAt = Date.now();
  cached = (async () => {
    const out = [];
    let cursor = null;
    do {
      const page = await get('/api/v1/staff', { limit: 200, cursor });
      out.push(...(page.items || []));
      cursor = page.next_cursor;
    } while (cursor && out.length < 5000);
    return out;
  })().catch((e) => {
    cached = null;
    throw e;
  });
  return cached;
}

// "王芳 · 受理员 · 客服一组 · 在线"
export function staffLabel(p) {
  const parts = [p.name, zh(ROLES, p.role)];
  if (p.teams?.length) parts.push(p.teams.map((t) => t.name).join('、'));
  if (p.availability && p.availability !== 'offline') parts.push(AVAILABILITY[p.availability] || p.availability);
  return parts.join(' · ');
}

// A <select> of staff (only `roles` when given). Its value is the user id as text ("" for
// none). The current `value` is kept even before the directory arrives or when the
// account is no longer listed (disabled). `dataset.loaded` is set once it is filled.
export function staffSelect({ value, roles, blank = '— 无 None', ...attrs } = {}) {
  const current = value == null || value === '' ? '' : String(value);
  const sel = h('select', attrs, h('option', { value: '' }, blank), current ? h('option', { value: current }, `#${current}`) : null);
  sel.value = current;
  staffDirectory()
    .then((list) => {
      const keep = sel.value;
      const shown = list.filter((p) => !roles || roles.includes(p.role));
      const opts = [h('option', { value: '' }, blank)];
      if (keep && !shown.some((p) => String(p.id) === keep)) opts.push(h('option', { value: keep }, `#${keep}`));
      for (const p of shown) opts.push(h('option', { value: String(p.id) }, staffLabel(p)));
      sel.replaceChildren(...opts);
      sel.value = keep;
      sel.dataset.loaded = '1';
    })
    .catch(() => {
      sel.dataset.loaded = 'error';
    });
  return sel;
}

// The name of user `id` for display, "#id" until (or unless) the directory knows it.
export async function staffName(id) {
  if (!id) return '';
  try {
    const p = (await staffDirectory()).find((x) => x.id === id);
    return p ? p.name : `#${id}`;
  } catch {
    return `#${id}`;
  }
}

// A <span> naming user `id` after `prefix`: "#id" at once, the name once the directory has it.
export function staffSpan(id, prefix = '', attrs = {}) {
  const el = h('span', attrs, `${prefix}#${id}`);
  staffName(id).then((n) => (el.textContent = `${prefix}${n}`));
  return el;
}
