// alerts.js — 风险预警 Risk alerts (seed 004 篇4): the alerts the rules raised, newest first,
// filtered by state and kind, each assigned to a member of staff, acknowledged and resolved
// with a note (every step audited by the server); and, for service_config, the rules
// themselves: on/off and their thresholds.

import { get, post, request } from '../api.js';
import { bi, h, mount } from '../dom.js';
import { fmtTime } from '../format.js';
import { setQuery } from '../router.js';
import { can } from '../session.js';
import { badge, busy, dialog, field, input, pageHeader, pager, section, select, showError, textarea, toast } from '../ui.js';
import { staffSelect, staffSpan } from '../staff.js';
import { patronLink } from './patrons.js';

export const ALERT_KINDS = {
  repeat_contact: ['重复来电来访', 'Repeat contact'],
  repeat_complaint: ['再次投诉（敏感客户）', 'Repeat complaint (sensitive)'],
  sla_warning: ['即将超时', 'SLA about to breach'],
  privacy_reads: ['个人信息异常查阅', 'Unusual personal-data reads'],
  loan_overdue: ['借阅逾期', 'Loan overdue'],
};
const STATES = {
  unresolved: ['未解决', 'Unresolved'],
  all: ['全部', 'All'],
  open: ['新预警', 'Open'],
  assigned: ['已指派', 'Assigned'],
  acknowledged: ['已确认', 'Acknowledged'],
  resolved: ['已解决', 'Resolved'],
};
const PARAMS = {
  count: ['次数', 'Times'],
  days: ['天数', 'Days'],
  minutes_before: ['提前（工作分钟）', 'Minutes before (working)'],
  reads: ['查阅次数', 'Reads'],
  minutes: ['分钟内', 'Within minutes'],
};

function stateBadge(a) {
  const [z, en] = STATES[a.status] || [a.status, ''];
  return badge(`${z} ${en}`, a.status === 'resolved' ? '' : a.status === 'open' ? 'bad' : 'warn');
}

function alertRow(a, write, replace) {
  const [kz, ken] = ALERT_KINDS[a.kind] || [a.kind, ''];
  const act = (path, body, done) => (e) =>
    busy(e.currentTarget, async () => {
      replace(await post(`/api/v1/alerts/${a.id}/${path}`, body ?? {}));
      toast(done);
    });
  const open = a.status !== 'resolved';
  return h(
    'tr',
    { dataset: { alert: a.id, status: a.status, kind: a.kind } },
    h('td', { class: 'nowrap' }, fmtTime(a.created_at)),
    h('td', null, bi(kz, ken)),
    h(
      'td',
      { class: 'wrap' },
      a.summary,
      a.resolution ? h('div', { class: 'sub' }, `处理结果 Resolution: ${a.resolution}`) : null,
    ),
    h(
      'td',
      { class: 'nowrap' },
      a.patron_id ? patronLink(a.patron_id, a.patron_name, '用户 ') : null,
      a.ticket_id ? h('div', null, h('a', { href: `/tickets/${a.ticket_id}` }, `工单 Ticket #${a.ticket_id}`)) : null,
      a.subject_user_id ? h('div', null, staffSpan(a.subject_user_id, '员工 Staff: ')) : null,
    ),
    h('td', null, stateBadge(a)),
    h('td', { class: 'nowrap' }, a.assignee_id ? staffSpan(a.assignee_id) : h('span', { class: 'muted' }, '—')),
    write && open
      ? h(
          'td',
          { class: 'nowrap row-actions' },
          h('button', { type: 'button', class: 'btn tiny assign', onclick: () => assign(a, replace) }, bi('指派', 'Assign')),
          a.status !== 'acknowledged' ? h('button', { type: 'button', class: 'btn tiny ack', onclick: act('acknowledge', {}, '已确认。Acknowledged.') }, bi('确认', 'Acknowledge')) : null,
          h('button', { type: 'button', class: 'btn tiny primary resolve', onclick: () => resolve(a, replace) }, bi('解决', 'Resolve')),
        )
      : h('td', null),
  );
}

function assign(a, replace) {
  const pick = staffSelect({ value: a.assignee_id, blank: '— 请选择 Choose', 'aria-label': '指派给 Assign to' });
  return dialog({
    title: ['指派预警', 'Assign the alert'],
    intro: h('p', null, a.summary),
    fields: [field({ name: 'assignee_id', label: ['指派给', 'Assign to'], control: pick, required: true })],
    submit: ['指派', 'Assign'],
    onSubmit: async () => {
      if (!pick.value) throw { field: 'assignee_id', message: '请选择人员。Choose someone.' };
      replace(await post(`/api/v1/alerts/${a.id}/assign`, { assignee_id: Number(pick.value) }));
      toast('已指派。Assigned.');
    },
  });
}

function resolve(a, replace) {
  const text = textarea({ rows: 3, maxlength: 2000, placeholder: '如：已电话回访并致歉 e.g. called back and apologised' });
  return dialog({
    title: ['解决预警', 'Resolve the alert'],
    intro: h('p', null, a.summary),
    fields: [field({ name: 'resolution', label: ['处理结果', 'Resolution'], control: text, wide: true, required: true })],
    submit: ['解决', 'Resolve'],
    onSubmit: async () => {
      replace(await post(`/api/v1/alerts/${a.id}/resolve`, { resolution: text.value.trim() }));
      toast('已解决。Resolved.');
    },
  });
}

// The rules: one line each, on/off and its numbers; saved one rule at a time.
function rulesCard() {
  const body = h('div', { class: 'alert-rules' });
  const load = async () => {
    const page = await get('/api/v1/alert-rules');
    mount(
      body,
      h(
        'table',
        { class: 'grid compact', 'aria-label': '预警规则 Alert rules' },
        h('thead', null, h('tr', null, ['规则 Rule', '启用 On', '参数 Thresholds', ''].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', null, (page.items || []).map(ruleRow)),
      ),
    );
  };
  const ruleRow = (r) => {
    const [z, en] = ALERT_KINDS[r.kind] || [r.kind, ''];
    const on = h('input', { type: 'checkbox', checked: !!r.enabled, 'aria-label': `启用 ${z} Enable ${en}` });
    const params = r.params && typeof r.params === 'object' ? r.params : {};
    const inputs = Object.entries(params).map(([k, v]) => [k, input({ type: 'number', min: 0, step: 1, value: String(v), class: 'narrow', 'aria-label': `${z} ${(PARAMS[k] || [k, k])[1]}` })]);
    const save = h('button', { type: 'button', class: 'btn small' }, bi('保存', 'Save'));
    const tr = h(
      'tr',
      { dataset: { rule: r.kind } },
      h('td', null, bi(z, en)),
      h('td', null, on),
      h('td', { class: 'rule-params' }, inputs.map(([k, el]) => h('label', { class: 'inline' }, `${(PARAMS[k] || [k])[0]} `, el))),
      h('td', null, save),
    );
    save.addEventListener('click', () =>
      busy(
        save,
        async () => {
          const p = {};
          for (const [k, el] of inputs) p[k] = Number(el.value);
          await request('PUT', `/api/v1/alert-rules/${r.kind}`, { body: { enabled: on.checked, params: p } });
          toast('规则已保存。Rule saved.');
        },
        tr,
      ),
    );
    return tr;
  };
  return { el: section(['预警规则', 'Alert rules'], body), load };
}

export async function alertsView({ query, root }) {
  const write = can('ticket_write');
  const c = {
    status: select(STATES, { value: query.status || 'unresolved' }),
    kind: select(ALERT_KINDS, { value: query.kind || '', blank: '全部 All' }),
    patron_id: input({ type: 'number', min: 1, step: 1, inputmode: 'numeric', value: query.patron_id || '', class: 'narrow' }),
  };
  const filters = h(
    'form',
    { class: 'filters', role: 'search', novalidate: true },
    field({ name: 'status', label: ['状态', 'State'], control: c.status }),
    field({ name: 'kind', label: ['类型', 'Kind'], control: c.kind }),
    field({ name: 'patron_id', label: ['用户编号', 'Patron id'], control: c.patron_id }),
  );
  const params = () => {
    const out = { status: c.status.value, kind: c.kind.value, patron_id: c.patron_id.value.trim() };
    for (const k of Object.keys(out)) if (!out[k] || out[k] === 'all') delete out[k];
    return out;
  };
  const tbody = h('tbody');
  // Patron names as the list gave them: an alert acted on comes back without one.
  const names = new Map();
  const remember = (a) => {
    if (a.patron_name) names.set(a.patron_id, a.patron_name);
    return a;
  };
  const replace = (a) => tbody.querySelector(`tr[data-alert="${a.id}"]`)?.replaceWith(alertRow({ patron_name: names.get(a.patron_id) ?? null, ...a }, write, replace));
  const list = pager(
    (cursor) => get('/api/v1/alerts', { ...params(), cursor, limit: 50 }),
    (items, first) => {
      if (first) tbody.replaceChildren();
      tbody.append(...items.map((a) => alertRow(remember(a), write, replace)));
    },
    { empty: '没有预警。No alerts.' },
  );
  const table = h(
    'table',
    { class: 'grid compact alerts-table', 'aria-label': '预警列表 Alerts' },
    h('thead', null, h('tr', null, ['时间 Raised', '类型 Kind', '内容 What', '涉及 About', '状态 State', '负责人 Assignee', '操作 Actions'].map((t) => h('th', { scope: 'col' }, t)))),
    tbody,
  );
  const run = (e) => {
    e?.preventDefault();
    const p = params();
    if (p.status === 'unresolved') delete p.status;
    else if (!p.status) p.status = 'all';
    setQuery(p);
    return list.reset().catch((ex) => showError(filters, ex));
  };
  filters.addEventListener('submit', run);
  for (const el of [c.status, c.kind, c.patron_id]) el.addEventListener('change', () => run());
  const rules = can('service_config') ? rulesCard() : null;
  mount(root, pageHeader(['风险预警', 'Risk alerts']), filters, h('div', { class: 'table-wrap' }, table), list.el, rules?.el);
  await Promise.all([list.load(), rules?.load()]);
}
