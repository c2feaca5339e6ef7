// key-changes.js — corrections of key fields (name, ID document) waiting for a second
// person (D11): approve or reject, with an optional note.

import { get, post } from '../api.js';
import { bi, h, mount } from '../dom.js';
import { fmtTime } from '../format.js';
import { FIELDS, ID_TYPES, KEY_CHANGE_STATUS, label, zh } from '../labels.js';
import { setQuery } from '../router.js';
import { can, session } from '../session.js';
import { dialog, field, notice, pageHeader, textarea, toast } from '../ui.js';
import { patronLink } from './patrons.js';

function showValue(v) {
  if (v === null || v === undefined) return h('span', { class: 'muted' }, '—');
  if (typeof v === 'object') return h('span', null, h('span', { class: 'muted' }, `${zh(ID_TYPES, v.type)} `), h('span', { class: 'mono' }, v.number));
  return String(v);
}

export async function keyChangesView({ query, root }) {
  const status = ['pending', 'approved', 'rejected'].includes(query.status) ? query.status : 'pending';
  const decide = can('key_change_decide');
  const tabs = h(
    'nav',
    { class: 'tabs', 'aria-label': '状态 Status' },
    Object.entries(KEY_CHANGE_STATUS).map(([k, [z, e]]) =>
      h('a', { href: `/key-changes${k === 'pending' ? '' : `?status=${k}`}`, 'aria-current': k === status ? 'page' : null, class: ['tab', k === status && 'active'] }, bi(z, e)),
    ),
  );
  const tbody = h('tbody');
  const showValues = session.user?.role === 'manager';
  const table = h(
    'table',
    { class: 'grid key-changes' },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        ['编号 #', '用户 Patron', '字段 Field', '原值 Old', '新值 New', '理由 Reason', '申请人 Requested by', '申请时间 At', status === 'pending' ? (decide ? '审批 Decision' : '状态 Status') : '决定 Decided'].map((t) => h('th', { scope: 'col' }, t)),
      ),
    ),
    tbody,
  );
  const info = h('div');

  const load = async () => {
    const out = await get('/api/v1/key-changes', { status });
    const items = out.items || [];
    tbody.replaceChildren(
      ...items.map((k) => {
        const mine = k.requested_by === session.user?.username;
        const act = (approve) =>
          h(
            'button',
            {
              type: 'button',
              class: ['btn', 'tiny', approve ? 'primary' : 'danger'],
              disabled: mine,
              title: mine ? '须由另一人审批 A second person must decide' : null,
              onclick: () => decideDialog(k, approve),
            },
            approve ? bi('批准', 'Approve') : bi('驳回', 'Reject'),
          );
        return h(
          'tr',
          { dataset: { changeId: k.id } },
          h('td', { class: 'num' }, k.id),
          h('td', null, patronLink(k.patron_id, k.patron_name)),
          h('td', null, label(FIELDS, k.field)),
          h('td', null, showValues || k.old_value !== null ? showValue(k.old_value) : h('span', { class: 'muted' }, '已遮蔽 masked')),
          h('td', null, showValues || k.new_value !== null ? h('strong', null, showValue(k.new_value)) : h('span', { class: 'muted' }, '已遮蔽 masked')),
          h('td', { class: 'wrap' }, k.reason),
          h('td', null, k.requested_by),
          h('td', { class: 'nowrap' }, fmtTime(k.requested_at)),
          status === 'pending'
            ? h('td', { class: 'nowrap' }, decide ? [act(true), ' ', act(false)] : label(KEY_CHANGE_STATUS, k.status))
            : h('td', null, `${label(KEY_CHANGE_STATUS, k.status)} · ${k.decided_by ?? ''} · ${fmtTime(k.decided_at)}`, k.decision_note ? h('div', { class: 'muted small' }, k.decision_note) : null),
        );
      }),
    );
    mount(info, items.length ? null : h('p', { class: 'muted' }, status === 'pending' ? '没有待审批的更正。Nothing waits for approval.' : '没有记录。Nothing here.'));
  };

  const decideDialog = (k, approve) => {
    const note = textarea({ rows: 2, maxlength: 500 });
    return dialog({
      title: approve ? ['批准更正', 'Approve correction'] : ['驳回更正', 'Reject correction'],
      intro: h('p', null, `${k.patron_name || `#${k.patron_id}`} ${zh(FIELDS, k.field)}: `, showValue(k.old_value), ' → ', showValue(k.new_value)),
      fields: [field({ name: 'note', label: ['备注', 'Note'], control: note, wide: true, hint: '可选。Optional.' })],
      submit: approve ? ['批准', 'Approve'] : ['驳回', 'Reject'],
      danger: !approve,
      onSubmit: async () => {
        const body = note.value.trim() ? { note: note.value.trim() } : {};
        await post(`/api/v1/key-changes/${k.id}/${approve ? 'approve' : 'reject'}`, body);
        toast(approve ? '已批准。Approved.' : '已驳回。Rejected.');
        await load();
      },
    });
  };

  mount(
    root,
    pageHeader(['关键字段更正', 'Key-field corrections']),
    decide ? null : notice('info', '您可以查看更正申请；审批需档案管理员或主管。Archivists and managers decide.'),
    tabs,
    h('div', { class: 'table-wrap' }, table),
    info,
  );
  setQuery(status === 'pending' ? {} : { status });
  await load();
}
