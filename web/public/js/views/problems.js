// problems.js — 问题管理 Problem management (D13): the cause trends (counts per cause per
// week or month, rising causes first), the problems with their overdue actions, a new
// problem gathering the tickets of a cause; one problem with its tickets and improvement
// actions (department, owner, due date, overdue), which the owner reports on.

import { get, patch, post } from '../api.js';
import { bi, h, mount } from '../dom.js';
import { fmtTime } from '../format.js';
import { zh } from '../labels.js';
import { navigate, setQuery } from '../router.js';
import { can, session } from '../session.js';
import { staffSelect } from '../staff.js';
import { badge, dialog, errorPage, field, input, loading, notice, pageHeader, pager, section, select, textarea, toast } from '../ui.js';
import { put, statusBadge, ticketHref } from '../service.js';

export const PROBLEM_STATUS = { open: ['待处理', 'Open'], analysing: ['分析中', 'Analysing'], resolved: ['已解决', 'Resolved'], closed: ['已关闭', 'Closed'] };
export const ACTION_STATUS = { planned: ['计划', 'Planned'], in_progress: ['进行中', 'In progress'], done: ['已完成', 'Done'], cancelled: ['已取消', 'Cancelled'] };
const PERIODS = { week: ['按周', 'By week'], month: ['按月', 'By month'] };
const LEVELS = { code: ['细分原因', 'Each code'], top: ['一级原因', 'Top causes'] };

const causeOptions = (causes, { activeOnly = true } = {}) =>
  Object.fromEntries(causes.filter((c) => !activeOnly || c.active).map((c) => [String(c.id), c.path]));

// A bar n/max high; set through the CSSOM, which the page's CSP allows (style attributes
// it does not).
function bar(n, max) {
  const el = h('span', { class: 'bar', 'aria-hidden': 'true' });
  el.style.height = `${Math.round((n / max) * 28) + (n ? 2 : 0)}px`;
  return el;
}

// The trends: one row per cause, a bar per period.
function trendsCard(query) {
  const period = select(PERIODS, { value: query.period ?? 'week', 'aria-label': '周期 Period' });
  const level = select(LEVELS, { value: query.level ?? 'code', 'aria-label': '层级 Level' });
  const body = h('div', { class: 'trend-body' }, loading());
  const load = async () => {
    setQuery({ ...query, period: period.value, level: level.value });
    try {
      const r = await get('/api/v1/reports/cause-trends', { period: period.value, level: level.value });
      const max = Math.max(1, ...r.items.flatMap((i) => i.counts));
      const label = (b) => (period.value === 'month' ? b.slice(0, 7) : b.slice(5));
      if (!r.items.length) {
        mount(body, h('p', { class: 'muted' }, `${r.from} – ${r.to}：没有记录原因的工单。No tickets with a cause.`));
        return;
      }
      mount(
        body,
        h(
          'table',
          { class: 'grid trends-table', 'aria-label': '原因趋势 Cause trends' },
          h('thead', null, h('tr', null, h('th', { scope: 'col' }, bi('原因', 'Cause')), r.buckets.map((b) => h('th', { scope: 'col', class: 'num' }, label(b))), h('th', { scope: 'col', class: 'num' }, bi('合计', 'Total')))),
          h(
            'tbody',
            null,
            r.items.map((i) =>
              h(
                'tr',
                { dataset: { code: i.code }, class: i.rising ? 'rising' : '' },
                h('th', { scope: 'row' }, i.path, ' ', i.rising ? badge('上升 rising', 'bad') : null),
                i.counts.map((n, k) =>
                  h('td', { class: 'num', title: `${r.buckets[k]}: ${n}` }, bar(n, max), h('span', { class: 'bar-n' }, n || '')),
                ),
                h('td', { class: 'num' }, h('strong', null, i.total)),
              ),
            ),
          ),
        ),
        h('p', { class: 'muted small' }, `${r.from} – ${r.to}。上升：最近一期比之前各期平均多 2 件以上且达 1.5 倍。Rising: the last period at least 2 above and 1.5× the mean before.`),
      );
    } catch (e) {
      mount(body, notice('bad', e.message));
    }
  };
  period.addEventListener('change', load);
  level.addEventListener('change', load);
  load();
  return section(['原因趋势', 'Cause trends'], h('div', { class: 'toolbar' }, period, level), body);
}

async function newProblem(causes) {
  const title = input({ maxlength: 200 });
  const cause = select(causeOptions(causes), { blank: '— 选择 choose —' });
  const description = textarea({ rows: 3, maxlength: 5000 });
  const list = h('div', { class: 'pick-tickets' }, h('p', { class: 'muted small' }, '选择原因后列出尚未归入问题的工单。Pick a cause to list its tickets not yet in a problem.'));
  const picked = new Set();
  cause.addEventListener('change', async () => {
    picked.clear();
    if (!cause.value) return;
    const r = await get(`/api/v1/cause-codes/${cause.value}/tickets`, { unlinked: 'true', limit: 50 });
    mount(
      list,
      r.items.length
        ? h(
            'ul',
            { class: 'plain' },
            r.items.map((t) => {
              const box = h('input', { type: 'checkbox', checked: true, onchange: (e) => (e.target.checked ? picked.add(t.id) : picked.delete(t.id)) });
              picked.add(t.id);
              return h('li', null, h('label', null, box, ` ${t.number} ${t.subject} `, h('span', { class: 'muted small' }, t.cause)));
            }),
          )
        : h('p', { class: 'muted small' }, '没有未归入问题的工单。No tickets left.'),
    );
  });
  return dialog({
    title: ['新建问题', 'New problem'],
    wide: true,
    fields: [
      field({ name: 'title', label: ['标题', 'Title'], control: title, required: true, wide: true }),
      field({ name: 'cause_id', label: ['原因', 'Cause'], control: cause, required: true }),
      field({ name: 'description', label: ['说明', 'Description'], control: description, wide: true }),
      h('div', { class: 'field wide', dataset: { field: 'ticket_ids' } }, h('span', { class: 'label' }, bi('归入的工单', 'Tickets')), list, h('div', { class: 'field-error' })),
    ],
    submit: ['创建', 'Create'],
    onSubmit: () =>
      post('/api/v1/problems', { title: title.value.trim(), cause_id: cause.value ? Number(cause.value) : null, description: description.value.trim(), ticket_ids: [...picked] }),
  });
}

export async function problemsView({ query, root }) {
  mount(root, loading());
  let causes;
  try {
    causes = (await get('/api/v1/cause-codes')).items;
  } catch (e) {
    mount(root, errorPage(e));
    return;
  }
  const status = select(PROBLEM_STATUS, { value: query.status ?? 'active', blank: '全部 All', 'aria-label': '状态 Status' });
  status.prepend(h('option', { value: 'active' }, '未解决 Active'));
  status.value = query.status === 'all' ? '' : query.status ?? 'active';
  const tbody = h('tbody');
  const heads = ['问题 Problem', '原因 Cause', '状态 Status', '工单 Tickets', '逾期措施 Overdue actions', '更新 Updated'];
  const table = h('table', { class: 'grid problems-table', 'aria-label': '问题列表 Problems' }, h('thead', null, h('tr', null, heads.map((t) => h('th', { scope: 'col' }, t)))), tbody);
  const row = (p) =>
    h(
      'tr',
      { dataset: { id: p.id } },
      h('td', null, h('a', { href: `/problems/${p.id}` }, p.title)),
      h('td', null, p.cause),
      h('td', null, badge(zh(PROBLEM_STATUS, p.status), p.status === 'resolved' || p.status === 'closed' ? 'ok' : 'type')),
      h('td', { class: 'num' }, p.ticket_count),
      h('td', { class: 'num' }, p.overdue_actions ? badge(`${p.overdue_actions} 逾期 overdue`, 'bad') : '0'),
      h('td', { class: 'nowrap' }, fmtTime(p.updated_at)),
    );
  const list = pager(
    (cursor) => get('/api/v1/problems', { status: status.value, cursor, limit: 50 }),
    (items, first) => {
      if (first) tbody.replaceChildren();
      tbody.append(...items.map(row));
    },
    { empty: '没有问题。No problems.' },
  );
  status.addEventListener('change', () => {
    setQuery({ ...query, status: status.value || 'all' });
    list.reset();
  });
  const create = can('problem_manage')
    ? h('button', {
        type: 'button',
        class: 'btn primary',
        onclick: async () => {
          const p = await newProblem(causes);
          if (p && p.id) {
            toast('问题已创建。Problem created.');
            navigate(`/problems/${p.id}`);
          }
        },
      }, bi('新建问题', 'New problem'))
    : null;
  mount(
    root,
    pageHeader(['问题管理', 'Problems'], create),
    can('service_report') ? trendsCard(query) : null,
    section(['问题', 'Problems'], h('div', { class: 'toolbar' }, h('label', { class: 'inline', for: status.id || (status.id = 'problem-status') }, bi('状态', 'Status')), status), h('div', { class: 'table-wrap' }, table), list.el),
  );
  await list.load();
}

export async function problemView({ params, root }) {
  const id = Number(params.id);
  mount(root, loading());
  let p;
  let units = [];
  try {
    [p, units] = await Promise.all([get(`/api/v1/problems/${id}`), get('/api/v1/units').then((r) => r.items || r, () => [])]);
  } catch (e) {
    mount(root, errorPage(e));
    return;
  }
  const manage = can('problem_manage');
  const me = session.user.id;
  const unitTable = Object.fromEntries((Array.isArray(units) ? units : []).map((u) => [String(u.id), u.name]));

  const reload = async () => {
    p = await get(`/api/v1/problems/${id}`);
    render();
  };

  const editStatus = () => {
    const st = select(PROBLEM_STATUS, { value: p.status });
    const rootCause = textarea({ rows: 3, maxlength: 5000, value: p.root_cause });
    return dialog({
      title: ['问题状态', 'Problem status'],
      fields: [field({ name: 'status', label: ['状态', 'Status'], control: st }), field({ name: 'root_cause', label: ['根本原因', 'Root cause'], control: rootCause, wide: true, hint: '解决或关闭前必填。Required to resolve or close.' })],
      submit: ['保存', 'Save'],
      onSubmit: async () => {
        await patch(`/api/v1/problems/${id}`, { status: st.value, root_cause: rootCause.value.trim() });
        await reload();
      },
    });
  };

  const addTicket = () => {
    const t = input({ type: 'number', min: 1, step: 1, inputmode: 'numeric' });
    return dialog({
      title: ['归入工单', 'Add a ticket'],
      fields: [field({ name: 'ticket_id', label: ['工单编号 (id)', 'Ticket id'], control: t, required: true })],
      submit: ['归入', 'Add'],
      onSubmit: async () => {
        await post(`/api/v1/problems/${id}/tickets`, { ticket_id: Number(t.value) });
        await reload();
      },
    });
  };

  const addAction = () => {
    const title = input({ maxlength: 300 });
    const unit = select(unitTable, { blank: '— 选择 choose —' });
    const owner = staffSelect({ value: me, blank: '— 选择 choose —' });
    const due = input({ type: 'date' });
    return dialog({
      title: ['整改措施', 'Improvement action'],
      fields: [
        field({ name: 'title', label: ['措施', 'Action'], control: title, required: true, wide: true }),
        field({ name: 'unit_id', label: ['责任部门', 'Department'], control: unit, required: true }),
        field({ name: 'owner_id', label: ['负责人', 'Owner'], control: owner, required: true }),
        field({ name: 'due_on', label: ['完成期限', 'Due on'], control: due, required: true }),
      ],
      submit: ['添加', 'Add'],
      onSubmit: async () => {
        await post(`/api/v1/problems/${id}/actions`, { title: title.value.trim(), unit_id: unit.value ? Number(unit.value) : null, owner_id: owner.value ? Number(owner.value) : null, due_on: due.value });
        await reload();
      },
    });
  };

  const progress = (a) => {
    const st = select(ACTION_STATUS, { value: a.status });
    const result = textarea({ rows: 3, maxlength: 5000, value: a.result });
    return dialog({
      title: ['措施进展', 'Action progress'],
      intro: h('p', null, a.title),
      fields: [field({ name: 'status', label: ['状态', 'Status'], control: st }), field({ name: 'result', label: ['完成情况', 'Result'], control: result, wide: true, hint: '完成时必填。Required when done.' })],
      submit: ['保存', 'Save'],
      onSubmit: async () => {
        await patch(`/api/v1/improvement-actions/${a.id}`, { status: st.value, result: result.value.trim() });
        await reload();
      },
    });
  };

  const render = () => {
    const ticketRows = p.tickets.map((t) =>
      h('tr', { dataset: { id: t.id } }, h('td', null, h('a', { href: ticketHref(t.id) }, t.number)), h('td', null, t.subject), h('td', null, t.cause ?? '—'), h('td', null, statusBadge(t.status)), h('td', { class: 'nowrap' }, fmtTime(t.created_at))),
    );
    const actionRows = p.actions.map((a) =>
      h(
        'tr',
        { dataset: { id: a.id }, class: a.overdue ? 'overdue-row' : '' },
        h('td', null, a.title, a.result ? h('div', { class: 'sub' }, a.result) : null),
        h('td', null, a.unit_name),
        h('td', null, a.owner_name),
        h('td', { class: 'nowrap' }, a.due_on, a.overdue ? [' ', badge('逾期 overdue', 'bad')] : null),
        h('td', null, badge(zh(ACTION_STATUS, a.status), a.status === 'done' ? 'ok' : a.status === 'cancelled' ? '' : 'type')),
        h('td', null, manage || a.owner_id === me ? h('button', { type: 'button', class: 'btn small', onclick: () => progress(a) }, bi('更新', 'Update')) : null),
      ),
    );
    mount(
      root,
      pageHeader(
        p.title,
        manage ? h('button', { type: 'button', class: 'btn', onclick: editStatus }, bi('状态与根因', 'Status & root cause')) : null,
      ),
      h(
        'dl',
        { class: 'facts' },
        h('dt', null, bi('原因', 'Cause')),
        h('dd', null, p.cause),
        h('dt', null, bi('状态', 'Status')),
        h('dd', null, badge(zh(PROBLEM_STATUS, p.status), p.status === 'resolved' || p.status === 'closed' ? 'ok' : 'type')),
        h('dt', null, bi('根本原因', 'Root cause')),
        h('dd', null, p.root_cause || '—'),
        p.description ? [h('dt', null, bi('说明', 'Description')), h('dd', null, p.description)] : null,
      ),
      section(
        ['整改措施', 'Improvement actions'],
        manage && p.status !== 'closed' ? h('div', { class: 'toolbar' }, h('button', { type: 'button', class: 'btn primary', onclick: addAction }, bi('添加措施', 'Add action'))) : null,
        p.actions.length
          ? h('div', { class: 'table-wrap' }, h('table', { class: 'grid actions-table', 'aria-label': '整改措施 Improvement actions' }, h('thead', null, h('tr', null, ['措施 Action', '部门 Department', '负责人 Owner', '期限 Due', '状态 Status', ''].map((t) => h('th', { scope: 'col' }, t)))), h('tbody', null, actionRows)))
          : h('p', { class: 'muted' }, '还没有措施。No actions yet.'),
      ),
      section(
        ['相关工单', 'Tickets'],
        manage && p.status !== 'closed' ? h('div', { class: 'toolbar' }, h('button', { type: 'button', class: 'btn', onclick: addTicket }, bi('归入工单', 'Add a ticket'))) : null,
        h('div', { class: 'table-wrap' }, h('table', { class: 'grid', 'aria-label': '相关工单 Tickets' }, h('thead', null, h('tr', null, ['编号 Number', '主题 Subject', '原因 Cause', '状态 Status', '创建 Opened'].map((t) => h('th', { scope: 'col' }, t)))), h('tbody', null, ticketRows))),
      ),
    );
  };
  render();
}

// On a ticket's page: the cause found (staff with ticket_write set it) and the problems
// the ticket is in.
export function causeCard(ticketId) {
  const body = h('div', null, loading());
  const card = section(['原因', 'Cause'], body);
  card.classList.add('cause-card');
  const load = async () => {
    try {
      const [c, causes] = await Promise.all([get(`/api/v1/tickets/${ticketId}/cause`), get('/api/v1/cause-codes')]);
      const pick = select(causeOptions(causes.items), { blank: '— 未定 none —', value: c.cause ? String(c.cause.id) : '', 'aria-label': '原因 Cause' });
      const save = h('button', {
        type: 'button',
        class: 'btn small',
        onclick: async () => {
          try {
            await put(`/api/v1/tickets/${ticketId}/cause`, { cause_id: pick.value ? Number(pick.value) : null });
            toast('已记录原因。Cause recorded.');
            load();
          } catch (e) {
            toast(e.message, 'bad');
          }
        },
      }, bi('记录', 'Set'));
      mount(
        body,
        c.cause ? h('p', null, h('strong', null, c.cause.path)) : h('p', { class: 'muted' }, '尚未记录原因。No cause yet.'),
        can('ticket_write') ? h('div', { class: 'inline-form' }, pick, save) : null,
        c.problems.length ? h('ul', { class: 'plain' }, c.problems.map((p) => h('li', null, h('a', { href: `/problems/${p.id}` }, p.title), ' ', badge(zh(PROBLEM_STATUS, p.status))))) : null,
      );
    } catch (e) {
      mount(body, h('p', { class: 'muted' }, e.message));
    }
  };
  load();
  return card;
}
