// visits.js — 回访 Follow-up visits: the visits due, soonest first, and recording one:
// done with the patron's satisfaction (1–5) and comments, unreachable, or cancelled.

import { get, post } from '../api.js';
import { bi, h, mount } from '../dom.js';
import { fmtTime } from '../format.js';
import { zh } from '../labels.js';
import { setQuery } from '../router.js';
import { can } from '../session.js';
import { badge, dialog, field, pageHeader, pager, select, textarea, toast } from '../ui.js';
import { VISIT_CHANNELS, VISIT_STATUS, ticketHref } from '../service.js';

const REASONS = { complaint: ['投诉回访', 'Complaint'], sample: ['抽样回访', 'Sampled'], manual: ['人工安排', 'Scheduled by hand'] };
const SATISFACTION = { 5: ['5 非常满意', 'very satisfied'], 4: ['4 满意', 'satisfied'], 3: ['3 一般', 'neutral'], 2: ['2 不满意', 'dissatisfied'], 1: ['1 非常不满意', 'very dissatisfied'] };

export async function visitsView({ query, root }) {
  const status = select(VISIT_STATUS, { value: query.status ?? 'scheduled', blank: '全部 All', 'aria-label': '状态 Status' });
  const tbody = h('tbody');
  const heads = ['期限 Due', '用户 Patron', '工单 Ticket', '原因 Reason', '状态 Status', '结果 Outcome', ''];
  const table = h('table', { class: 'grid visits-table', 'aria-label': '回访列表 Follow-up visits' }, h('thead', null, h('tr', null, heads.map((t) => h('th', { scope: 'col' }, t)))), tbody);

  const record = (v, tr) => {
    const outcome = select({ done: ['已回访', 'Done'], unreachable: ['未联系上', 'Unreachable'], cancelled: ['取消', 'Cancelled'] }, { value: 'done' });
    const satisfaction = select(SATISFACTION, { value: '5' });
    const channel = select(VISIT_CHANNELS, { value: 'phone' });
    const comments = textarea({ rows: 3, maxlength: 2000 });
    const satField = field({ name: 'satisfaction', label: ['满意度', 'Satisfaction (1–5)'], control: satisfaction });
    outcome.addEventListener('change', () => (satField.hidden = outcome.value !== 'done'));
    return dialog({
      title: ['记录回访', 'Record the visit'],
      fields: [
        field({ name: 'outcome', label: ['结果', 'Outcome'], control: outcome }),
        satField,
        field({ name: 'channel', label: ['方式', 'Channel'], control: channel }),
        field({ name: 'comments', label: ['用户意见', 'Comments'], control: comments, wide: true }),
      ],
      submit: ['保存', 'Save'],
      onSubmit: async () => {
        const body = { outcome: outcome.value, channel: channel.value, comments: comments.value.trim() };
        if (outcome.value === 'done') body.satisfaction = Number(satisfaction.value);
        const saved = await post(`/api/v1/follow-up-visits/${v.id}/record`, body);
        tr.replaceWith(row(saved && saved.id ? saved : { ...v, ...body, status: body.outcome }));
        toast('已记录回访。Visit recorded.');
      },
    });
  };

  const row = (v) => {
    const late = v.status === 'scheduled' && new Date(v.due_at).getTime() < Date.now();
    const tr = h(
      'tr',
      { dataset: { id: v.id, status: v.status } },
      h('td', { class: 'nowrap' }, h('span', { class: ['due', late && 'overdue'] }, fmtTime(v.due_at), late ? h('span', { class: 'badge bad' }, '逾期 overdue') : null)),
      h('td', null, h('a', { href: `/patrons/${v.patron_id}` }, `#${v.patron_id}`)),
      h('td', null, v.ticket_id ? h('a', { href: ticketHref(v.ticket_id) }, `#${v.ticket_id}`) : '—'),
      h('td', null, zh(REASONS, v.reason) || v.reason),
      h('td', null, badge(zh(VISIT_STATUS, v.status), v.status === 'done' ? 'ok' : v.status === 'scheduled' ? 'type' : '')),
      h(
        'td',
        { class: 'wrap' },
        v.satisfaction != null ? h('span', { class: 'satisfaction', title: '满意度 satisfaction' }, `${'★'.repeat(v.satisfaction)}${'☆'.repeat(5 - v.satisfaction)} ${v.satisfaction}/5`) : null,
        v.comments ? h('div', { class: 'sub' }, v.comments) : null,
        v.done_at ? h('div', { class: 'sub' }, fmtTime(v.done_at)) : null,
      ),
      h('td', null, v.status === 'scheduled' && can('ticket_write') ? h('button', { type: 'button', class: 'btn small', onclick: () => record(v, tr) }, bi('记录回访', 'Record')) : null),
    );
    return tr;
  };

  const list = pager(
    (cursor) => get('/api/v1/follow-up-visits', { status: status.value, cursor, limit: 50 }),
    (items, first) => {
      if (first) tbody.replaceChildren();
      tbody.append(...items.map(row));
    },
    { empty: '没有回访。No visits.' },
  );
  status.addEventListener('change', () => {
    setQuery({ status: status.value || 'all' });
    list.reset();
  });
  if (query.status === 'all') status.value = '';
  mount(
    root,
    pageHeader(['回访', 'Follow-up visits']),
    h('div', { class: 'toolbar' }, h('label', { class: 'inline', for: status.id || (status.id = 'visit-status') }, bi('状态', 'Status')), status),
    h('div', { class: 'table-wrap' }, table),
    list.el,
  );
  await list.load();
}
