// tickets.js — 工单 Tickets: the service desk's queue (filters, search, sort, "load more")
// with each ticket's resolution deadline, red once it has passed or was breached, and the
// form an agent fills in for a patron at the counter or on the phone.

import { get, post } from '../api.js';
import { bi, h, mount } from '../dom.js';
import { navigate, setQuery } from '../router.js';
import { can, session } from '../session.js';
import { busy, field, formError, input, pageHeader, pager, section, select, showError, textarea, toast } from '../ui.js';
import { patronFinder } from './patrons.js';
import { PRIORITIES, TICKET_CHANNELS, TICKET_KINDS, TICKET_STATUS, dueCell, priorityBadge, statusBadge, ticketHref } from '../service.js';
import { zh } from '../labels.js';
import { staffSpan } from '../staff.js';

const SORTS = {
  '-id': ['最新', 'Newest'],
  id: ['最早', 'Oldest'],
  resolution_due: ['解决期限（近→远）', 'Resolution due, soonest'],
  '-resolution_due': ['解决期限（远→近）', 'Resolution due, latest'],
  '-created_at': ['创建时间（新→旧）', 'Created, newest'],
};
const STATUSES = { active: ['未结', 'Active (not resolved)'], ...TICKET_STATUS };
const FLAGS = { true: ['是', 'Yes'], false: ['否', 'No'] };

export function assigneeText(id) {
  if (!id) return h('span', { class: 'muted' }, '未分派 unassigned');
  if (id === session.user?.id) return bi('我', 'Me');
  return staffSpan(id, '', { class: 'staff-name', dataset: { userId: id } });
}

export async function ticketsView({ query, root }) {
  const q = input({ type: 'search', value: query.q || '', class: 'search-input', 'aria-label': '搜索工单 Search tickets', placeholder: '主题或工单号 Subject or number (T2026-…)' });
  const go = h('button', { type: 'submit', class: 'btn primary' }, bi('搜索', 'Search'));
  const clear = h('button', { type: 'button', class: 'btn ghost' }, bi('清除', 'Clear'));
  const c = {
    status: select(STATUSES, { value: query.status ?? 'active', blank: '全部 All' }),
    kind: select(TICKET_KINDS, { value: query.kind || '', blank: '全部 All' }),
    priority: select(PRIORITIES, { value: query.priority || '', blank: '全部 All' }),
    channel: select(TICKET_CHANNELS, { value: query.channel || '', blank: '全部 All' }),
    mine: select({ true: ['只看我的', 'Mine only'] }, { value: query.mine || '', blank: '全部 All' }),
    breached: select(FLAGS, { value: query.breached || '', blank: '全部 All' }),
    escalated: select({ true: ['升级给我', 'Escalated to me'] }, { value: query.escalated || '', blank: '全部 All' }),
    sort: select(SORTS, { value: query.sort || '-id' }),
  };
  const err = formError();
  const form = h(
    'form',
    { class: 'ticket-filters', role: 'search', novalidate: true },
    h('div', { class: 'toolbar' }, q, go, clear),
    h(
      'div',
      { class: 'filters' },
      err,
      field({ name: 'status', label: ['状态', 'Status'], control: c.status }),
      field({ name: 'kind', label: ['类型', 'Kind'], control: c.kind }),
      field({ name: 'priority', label: ['优先级', 'Priority'], control: c.priority }),
      field({ name: 'channel', label: ['渠道', 'Channel'], control: c.channel }),
      field({ name: 'mine', label: ['负责人', 'Assignee'], control: c.mine }),
      field({ name: 'breached', label: ['已超时', 'Breached'], control: c.breached }),
      can('ticket_escalation') ? field({ name: 'escalated', label: ['升级', 'Escalated'], control: c.escalated }) : null,
      field({ name: 'sort', label: ['排序', 'Sort'], control: c.sort }),
    ),
  );

  const params = () => {
    const out = { q: q.value.trim() };
    for (const k of Object.keys(c)) out[k] = c[k].value;
    if (out.sort === '-id') delete out.sort;
    return out;
  };
  // The URL keeps "all statuses" apart from the default (active).
  const urlParams = (p) => ({ ...p, status: p.status === '' ? 'all' : p.status === 'active' ? '' : p.status });
  if (query.status === 'all') c.status.value = '';

  const row = (t) => {
    const href = ticketHref(t.id);
    const tr = h(
      'tr',
      { class: ['clickable', (t.breached?.resolution || t.breached?.first_response) && 'breached'], dataset: { id: t.id, number: t.number } },
      h('td', { class: 'mono nowrap' }, h('a', { href, class: 'name-link' }, t.number)),
      h('td', { class: 'wrap' }, t.subject),
      h('td', null, zh(TICKET_KINDS, t.kind)),
      h('td', null, priorityBadge(t.priority)),
      h('td', null, statusBadge(t.status)),
      h('td', null, zh(TICKET_CHANNELS, t.channel)),
      h('td', { class: 'nowrap' }, dueCell(t)),
      h('td', null, assigneeText(t.assignee_id)),
    );
    tr.addEventListener('click', (e) => {
      if (!e.target.closest('a')) navigate(href);
    });
    return tr;
  };
  const tbody = h('tbody');
  const heads = ['工单号 Number', '主题 Subject', '类型 Kind', '优先级 Priority', '状态 Status', '渠道 Channel', '解决期限 Due', '负责人 Assignee'];
  const table = h('table', { class: 'grid tickets-table', 'aria-label': '工单列表 Ticket list' }, h('thead', null, h('tr', null, heads.map((t) => h('th', { scope: 'col' }, t)))), tbody);
  const list = pager(
    async (cursor) => {
      const p = params();
      if (p.status === '') delete p.status;
      try {
        return await get('/api/v1/tickets', { ...p, cursor, limit: 50 });
      } catch (e) {
        showError(form, e);
        throw e;
      }
    },
    (items, first) => {
      if (first) tbody.replaceChildren();
      tbody.append(...items.map(row));
    },
    { empty: '没有符合条件的工单。No tickets match.' },
  );

  const run = (e) => {
    e?.preventDefault();
    setQuery(urlParams(params()));
    return list.reset();
  };
  form.addEventListener('submit', run);
  for (const k of Object.keys(c)) c[k].addEventListener('change', () => run());
  clear.addEventListener('click', () => {
    q.value = '';
    for (const k of Object.keys(c)) c[k].value = '';
    c.status.value = 'active';
    c.sort.value = '-id';
    run();
  });

  const creator = newTicketForm();
  const newBtn = can('ticket_write')
    ? h(
        'button',
        {
          type: 'button',
          class: 'btn primary',
          'aria-expanded': 'false',
          onclick: (e) => {
            creator.el.hidden = !creator.el.hidden;
            e.currentTarget.setAttribute('aria-expanded', String(!creator.el.hidden));
            if (!creator.el.hidden) creator.focus();
          },
        },
        bi('新建工单', 'New ticket'),
      )
    : null;
  creator.el.hidden = query.new !== '1';
  mount(root, pageHeader(['工单', 'Tickets'], newBtn), can('ticket_write') ? creator.el : null, form, h('div', { class: 'table-wrap' }, table), list.el);
  if (!creator.el.hidden) creator.focus();
  await list.load();
}

// Opening a ticket for a patron (or for nobody: an anonymous caller).
function newTicketForm() {
  const c = {
    kind: select(TICKET_KINDS, { value: 'consultation' }),
    channel: select(TICKET_CHANNELS, { value: 'counter' }),
    priority: select(PRIORITIES, { value: 'normal' }),
    subject: input({ maxlength: 200 }),
    body: textarea({ rows: 4 }),
    patron_id: input({ type: 'number', min: 1, step: 1, inputmode: 'numeric' }),
  };
  const finder = patronFinder(
    c.patron_id,
    field({ name: 'patron_id', label: ['用户编号', 'Patron id'], control: c.patron_id, hint: '可留空（匿名来电）。Blank for an anonymous caller.' }),
    { phone: true },
  );

  const err = formError();
  const save = h('button', { type: 'submit', class: 'btn primary' }, bi('创建工单', 'Open ticket'));
  const form = h(
    'form',
    { class: 'form-grid new-ticket', novalidate: true },
    err,
    field({ name: 'kind', label: ['类型', 'Kind'], control: c.kind, required: true }),
    field({ name: 'channel', label: ['渠道', 'Channel'], control: c.channel, required: true }),
    field({ name: 'priority', label: ['优先级', 'Priority'], control: c.priority }),
    finder.el,
    field({ name: 'subject', label: ['主题', 'Subject'], control: c.subject, wide: true, required: true }),
    field({ name: 'body', label: ['内容', 'What the patron said'], control: c.body, wide: true, required: true }),
    h('div', { class: 'form-actions' }, save),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(
      save,
      async () => {
        const body = { kind: c.kind.value, channel: c.channel.value, priority: c.priority.value, subject: c.subject.value.trim(), body: c.body.value.trim() };
        if (c.patron_id.value.trim()) body.patron_id = Number(c.patron_id.value);
        const t = await post('/api/v1/tickets', body);
        toast(`已创建工单 ${t.number}。Ticket opened.`);
        navigate(ticketHref(t.id));
      },
      form,
    );
  });
  const el = section(['新建工单', 'New ticket'], form);
  el.classList.add('new-ticket-card');
  return { el, focus: () => c.subject.focus() };
}
