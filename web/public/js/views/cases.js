// cases.js — 案件 Cases (D32): one matter followed across channels. The list and a new
// case; one case replayed as a scene: every contact and back-office step in time order
// (channel, who, what) with the waiting time between steps, the effort in contacts and
// working time; linking tickets and visits, adding a back-office step. The touchpoint
// report (per channel: volume, satisfaction, effort) for managers and analysts.

import { get, patch, post } from '../api.js';
import { bi, h, mount } from '../dom.js';
import { fmtTime } from '../format.js';
import { zh } from '../labels.js';
import { navigate, setQuery } from '../router.js';
import { can } from '../session.js';
import { badge, dialog, errorPage, field, input, loading, notice, pageHeader, pager, section, select, textarea, toast } from '../ui.js';
import { TICKET_CHANNELS, ticketHref } from '../service.js';

const CASE_STATUS = { open: ['处理中', 'Open'], resolved: ['已解决', 'Resolved'], closed: ['已关闭', 'Closed'] };
const KINDS = { ticket: ['工单', 'Ticket'], visit: ['回访', 'Follow-up visit'], interaction: ['接触', 'Interaction'] };
const STEP_KINDS = { patron: ['用户', 'Patron'], reply: ['答复', 'Reply'], note: ['内部备注', 'Note'], system: ['系统', 'System'], visit: ['回访', 'Visit'], step: ['后台处理', 'Back office'] };
const CHANNEL_ICONS = { phone: '☎', counter: '▣', email: '✉', web_form: '⌨', chat: '💬', letter: '✉', back_office: '⚙', sms: '✆', instant_message: '💬' };
const channelName = (c) => (c === 'back_office' ? '后台 Back office' : zh(TICKET_CHANNELS, c) || c);

// "2 小时 5 分 (2h05)" from seconds.
export function span(seconds) {
  if (seconds == null) return '';
  if (seconds < 60) return `${seconds} 秒 s`;
  const m = Math.round(seconds / 60);
  if (m < 60) return `${m} 分 min`;
  const hrs = Math.floor(m / 60);
  if (hrs < 48) return `${hrs} 小时 ${m % 60} 分 (${hrs}h${String(m % 60).padStart(2, '0')})`;
  return `${Math.floor(hrs / 24)} 天 ${hrs % 24} 小时 (${Math.floor(hrs / 24)}d ${hrs % 24}h)`;
}

function touchpointsCard() {
  const body = h('div', null, loading());
  get('/api/v1/reports/touchpoints').then(
    (r) =>
      mount(
        body,
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'grid touchpoints-table', 'aria-label': '触点报告 Touchpoints' },
            h('thead', null, h('tr', null, ['渠道 Channel', '工单 Tickets', '每单接触 Contacts / ticket', '办结工时 Working h to resolve', '满意度 Satisfaction', '回访数 Responses'].map((t) => h('th', { scope: 'col' }, t)))),
            h(
              'tbody',
              null,
              r.channels.map((c) =>
                h('tr', { dataset: { channel: c.channel } }, h('th', { scope: 'row' }, channelName(c.channel)), h('td', { class: 'num' }, c.tickets), h('td', { class: 'num' }, c.contacts_per_ticket ?? '—'), h('td', { class: 'num' }, c.working_hours_to_resolution ?? '—'), h('td', { class: 'num' }, c.satisfaction ?? '—'), h('td', { class: 'num' }, c.satisfaction_responses)),
              ),
            ),
          ),
        ),
        h('p', { class: 'muted small' }, `${r.from} – ${r.to}。案件 Cases: ${r.cases.cases}，每案接触 contacts/case ${r.cases.contacts_per_case ?? '—'}，渠道 channels/case ${r.cases.channels_per_case ?? '—'}，办结工时 working h to resolve ${r.cases.working_hours_to_resolution ?? '—'}`),
      ),
    (e) => mount(body, notice('bad', e.message)),
  );
  return section(['触点报告', 'Touchpoints'], body);
}

export async function casesView({ query, root }) {
  const status = select(CASE_STATUS, { value: query.status ?? 'open', blank: '全部 All', 'aria-label': '状态 Status' });
  if (query.status === 'all') status.value = '';
  const tbody = h('tbody');
  const table = h('table', { class: 'grid cases-table', 'aria-label': '案件列表 Cases' }, h('thead', null, h('tr', null, ['案件 Case', '用户 Patron', '状态 Status', '关联 Links', '更新 Updated'].map((t) => h('th', { scope: 'col' }, t)))), tbody);
  const row = (c) =>
    h('tr', { dataset: { id: c.id } }, h('td', null, h('a', { href: `/cases/${c.id}` }, c.title)), h('td', null, c.patron_id ? h('a', { href: `/patrons/${c.patron_id}` }, c.patron_name ?? `#${c.patron_id}`) : '—'), h('td', null, badge(zh(CASE_STATUS, c.status), c.status === 'open' ? 'type' : 'ok')), h('td', { class: 'num' }, c.link_count), h('td', { class: 'nowrap' }, fmtTime(c.updated_at)));
  const list = pager(
    (cursor) => get('/api/v1/cases', { status: status.value, cursor, limit: 50 }),
    (items, first) => {
      if (first) tbody.replaceChildren();
      tbody.append(...items.map(row));
    },
    { empty: '没有案件。No cases.' },
  );
  status.addEventListener('change', () => {
    setQuery({ status: status.value || 'all' });
    list.reset();
  });
  const create = can('ticket_write')
    ? h('button', {
        type: 'button',
        class: 'btn primary',
        onclick: async () => {
          const title = input({ maxlength: 200 });
          const tickets = input({ placeholder: '12, 15', inputmode: 'numeric' });
          const c = await dialog({
            title: ['新建案件', 'New case'],
            fields: [field({ name: 'title', label: ['事项', 'Matter'], control: title, required: true, wide: true }), field({ name: 'links', label: ['关联工单编号 (id)', 'Ticket ids'], control: tickets, hint: '逗号分隔。Comma-separated.' })],
            submit: ['创建', 'Create'],
            onSubmit: () =>
              post('/api/v1/cases', {
                title: title.value.trim(),
                links: tickets.value.split(/[,，\s]+/).filter(Boolean).map((x) => ({ kind: 'ticket', id: Number(x) })),
              }),
          });
          if (c && c.id) navigate(`/cases/${c.id}`);
        },
      }, bi('新建案件', 'New case'))
    : null;
  mount(
    root,
    pageHeader(['案件', 'Cases'], create),
    can('service_report') ? touchpointsCard() : null,
    section(['案件', 'Cases'], h('div', { class: 'toolbar' }, h('label', { class: 'inline', for: status.id || (status.id = 'case-status') }, bi('状态', 'Status')), status), h('div', { class: 'table-wrap' }, table), list.el),
  );
  await list.load();
}

export async function caseView({ params, root }) {
  const id = Number(params.id);
  mount(root, loading());
  let c;
  let r;
  const load = async () => {
    [c, r] = await Promise.all([get(`/api/v1/cases/${id}`), get(`/api/v1/cases/${id}/replay`)]);
  };
  try {
    await load();
  } catch (e) {
    mount(root, errorPage(e));
    return;
  }
  const write = can('ticket_write');
  const reload = async () => {
    await load();
    render();
  };

  const link = () => {
    const kind = select(Object.fromEntries(c.link_kinds.map((k) => [k, KINDS[k] ?? k])), { value: 'ticket' });
    const item = input({ type: 'number', min: 1, step: 1, inputmode: 'numeric' });
    return dialog({
      title: ['关联', 'Link an item'],
      fields: [field({ name: 'kind', label: ['类别', 'Kind'], control: kind }), field({ name: 'id', label: ['编号 (id)', 'Id'], control: item, required: true })],
      submit: ['关联', 'Link'],
      onSubmit: async () => {
        await post(`/api/v1/cases/${id}/links`, { kind: kind.value, id: Number(item.value) });
        await reload();
      },
    });
  };
  const step = () => {
    const what = textarea({ rows: 3, maxlength: 1000 });
    return dialog({
      title: ['后台处理', 'Back-office step'],
      fields: [field({ name: 'what', label: ['处理内容', 'What was done'], control: what, required: true, wide: true })],
      submit: ['记录', 'Record'],
      onSubmit: async () => {
        await post(`/api/v1/cases/${id}/steps`, { what: what.value.trim() });
        await reload();
      },
    });
  };
  const setStatus = async (status) => {
    await patch(`/api/v1/cases/${id}`, { status });
    toast('已更新。Updated.');
    await reload();
  };

  const scene = () =>
    h(
      'ol',
      { class: 'scene', 'aria-label': '案件回放 Case replay' },
      r.steps.map((s) => [
        s.wait_seconds != null
          ? h('li', { class: ['wait', s.wait_working_seconds > 8 * 3600 && 'long'], 'aria-label': `等待 waited ${span(s.wait_seconds)}` }, `等待 waited ${span(s.wait_seconds)}`, s.wait_working_seconds !== s.wait_seconds ? ` · 工作时间 working ${span(s.wait_working_seconds)}` : '')
          : null,
        h(
          'li',
          { class: ['step', `step-${s.kind}`, s.contact && 'contact'], dataset: { channel: s.channel, kind: s.kind } },
          h('span', { class: 'step-icon', 'aria-hidden': 'true' }, CHANNEL_ICONS[s.channel] ?? '•'),
          h(
            'div',
            { class: 'step-body' },
            h('div', { class: 'step-head' }, h('strong', null, channelName(s.channel)), ' · ', zh(STEP_KINDS, s.kind) || s.kind, ' · ', s.who === 'patron' ? '用户 Patron' : s.who === 'system' ? '系统 System' : s.who, ' · ', h('time', { datetime: s.at }, fmtTime(s.at)), s.ref ? [' · ', s.item_kind === 'ticket' ? h('a', { href: ticketHref(s.item_id) }, s.ref) : s.ref] : null),
            h('div', { class: 'step-what' }, s.what),
          ),
        ),
      ]),
    );

  const render = () => {
    const sm = r.summary;
    mount(
      root,
      pageHeader(
        c.title,
        write && c.status !== 'closed' ? h('button', { type: 'button', class: 'btn', onclick: link }, bi('关联', 'Link')) : null,
        write && c.status !== 'closed' ? h('button', { type: 'button', class: 'btn', onclick: step }, bi('后台处理', 'Back-office step')) : null,
        write && c.status === 'open' ? h('button', { type: 'button', class: 'btn primary', onclick: () => setStatus('resolved') }, bi('已解决', 'Resolved')) : null,
        write && c.status === 'resolved' ? h('button', { type: 'button', class: 'btn', onclick: () => setStatus('closed') }, bi('关闭', 'Close')) : null,
      ),
      h(
        'dl',
        { class: 'facts case-summary' },
        h('dt', null, bi('用户', 'Patron')),
        h('dd', null, c.patron_id ? h('a', { href: `/patrons/${c.patron_id}` }, c.patron_name ?? `#${c.patron_id}`) : '—'),
        h('dt', null, bi('状态', 'Status')),
        h('dd', null, badge(zh(CASE_STATUS, c.status), c.status === 'open' ? 'type' : 'ok')),
        h('dt', null, bi('接触次数', 'Contacts')),
        h('dd', { class: 'contacts' }, String(sm.contacts), ' · ', (sm.channels || []).map(channelName).join('、') || '—'),
        h('dt', null, bi('历时', 'Elapsed')),
        h('dd', null, sm.elapsed_seconds == null ? '—' : `${span(sm.elapsed_seconds)} · 工作时间 working ${span(sm.elapsed_working_seconds)}`),
      ),
      sm.hidden_items ? notice('warn', `${sm.hidden_items} 项无权查看，未显示。${sm.hidden_items} item(s) you may not see are left out.`) : null,
      section(['回放', 'Replay'], r.steps.length ? scene() : h('p', { class: 'muted' }, '还没有步骤。No steps yet.')),
    );
  };
  render();
}
