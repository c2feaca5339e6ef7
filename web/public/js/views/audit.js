// audit.js — the audit trail for auditors: filters by patron, actor and time, newest
// first, paged.

import { get } from '../api.js';
import { bi, h, mount } from '../dom.js';
import { dayAfter, dayStart, fmtTime } from '../format.js';
import { AUDIT_ACTIONS, ROLES, zh } from '../labels.js';
import { setQuery } from '../router.js';
import { field, formError, input, pageHeader, pager, showError } from '../ui.js';
import { patronLink } from './patrons.js';

function detailText(d) {
  if (!d || typeof d !== 'object' || !Object.keys(d).length) return '';
  return Object.entries(d)
    .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : x)).join(', ') : typeof v === 'object' ? JSON.stringify(v) : v}`)
    .join('; ');
}

export async function auditView({ query, root }) {
  const patronId = input({ type: 'number', min: 1, step: 1, inputmode: 'numeric', value: query.patron_id || '' });
  const actor = input({ value: query.actor || '', autocapitalize: 'off', spellcheck: 'false' });
  const action = input({ value: query.action || '', list: 'audit-actions', spellcheck: 'false' });
  const from = input({ type: 'date', value: query.from || '' });
  const to = input({ type: 'date', value: query.to || '' });
  const actions = h('datalist', { id: 'audit-actions' }, Object.keys(AUDIT_ACTIONS).map((a) => h('option', { value: a })));
  const err = formError();
  const form = h(
    'form',
    { class: 'filters', novalidate: true },
    err,
    field({ name: 'patron_id', label: ['用户编号', 'Patron id'], control: patronId }),
    field({ name: 'actor', label: ['操作人', 'Actor'], control: actor }),
    field({ name: 'action', label: ['操作', 'Action'], control: action }),
    field({ name: 'from', label: ['起始日期', 'From'], control: from }),
    field({ name: 'to', label: ['截止日期', 'To (inclusive)'], control: to }),
    h('div', { class: 'field' }, h('span', { class: 'label-spacer', 'aria-hidden': 'true' }, ' '), h('button', { type: 'submit', class: 'btn primary' }, bi('查询', 'Search'))),
    actions,
  );
  const tbody = h('tbody');
  const table = h(
    'table',
    { class: 'grid audit' },
    h('thead', null, h('tr', null, ['序号 Seq', '时间 Time', '操作人 Actor', '角色 Role', '操作 Action', '对象 Entity', '用户 Patron', '理由 Reason', '详情 Detail'].map((t) => h('th', { scope: 'col' }, t)))),
    tbody,
  );
  const params = () => ({
    patron_id: patronId.value.trim(),
    actor: actor.value.trim(),
    action: action.value.trim(),
    from: from.value ? dayStart(from.value) : '',
    to: to.value ? dayAfter(to.value) : '',
  });
  const list = pager(
    async (cursor) => {
      try {
        return await get('/api/v1/audit', { ...params(), cursor, limit: 50 });
      } catch (e) {
        showError(form, e);
        throw e;
      }
    },
    (items, first) => {
      if (first) tbody.replaceChildren();
      tbody.append(
        ...items.map((a) =>
          h(
            'tr',
            { dataset: { action: a.action } },
            h('td', { class: 'num' }, a.seq),
            h('td', { class: 'nowrap' }, fmtTime(a.at)),
            h('td', null, a.actor || '—'),
            h('td', null, zh(ROLES, a.actor_role) || a.actor_role),
            h('td', null, h('span', { class: 'mono small' }, a.action), AUDIT_ACTIONS[a.action] ? h('div', { class: 'sub' }, zh(AUDIT_ACTIONS, a.action)) : null),
            h('td', { class: 'nowrap' }, `${a.entity_type} ${a.entity_id}`),
            h('td', null, a.patron_id ? (a.patron_name ? patronLink(a.patron_id, a.patron_name) : `#${a.patron_id}`) : '—'),
            h('td', { class: 'wrap' }, a.reason || ''),
            h('td', { class: 'wrap small' }, detailText(a.detail)),
          ),
        ),
      );
    },
    { empty: '没有符合条件的记录。No entries match.' },
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    setQuery({ patron_id: patronId.value.trim(), actor: actor.value.trim(), action: action.value.trim(), from: from.value, to: to.value });
    list.reset();
  });
  mount(root, pageHeader(['审计日志', 'Audit trail']), form, h('div', { class: 'table-wrap' }, table), list.el);
  await list.load();
}
