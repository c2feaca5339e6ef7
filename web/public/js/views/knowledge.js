// knowledge.js — 定题服务 Knowledge services (D27): the list for staff, one service
// (milestones, deliveries with the records handed over, closing with the patron's
// satisfaction), the "research projects" section on a patron's page, and the portal's
// 我的定题服务 (a patron's own services, read-only).

import { get, post } from '../api.js';
import { bi, h, mount } from '../dom.js';
import { fmtDay, fmtTime } from '../format.js';
import { zh } from '../labels.js';
import { navigate, setQuery } from '../router.js';
import { can, session } from '../session.js';
import { badge, busy, dialog, errorPage, field, input, loading, notice, pageHeader, pager, section, select, textarea, toast } from '../ui.js';
import { patronLink } from './patrons.js';

export const KNOWLEDGE_STATUS = {
  active: ['进行中', 'Active'],
  completed: ['已完成', 'Completed'],
  cancelled: ['已取消', 'Cancelled'],
};
const SATISFACTION = { 5: ['5 非常满意', 'very satisfied'], 4: ['4 满意', 'satisfied'], 3: ['3 一般', 'neutral'], 2: ['2 不满意', 'dissatisfied'], 1: ['1 非常不满意', 'very dissatisfied'] };

const href = (id) => `/knowledge-services/${id}`;
const today = () => new Date().toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' });
const statusBadge = (s) => badge(zh(KNOWLEDGE_STATUS, s), s === 'active' ? 'type' : s === 'completed' ? 'ok' : '');
const stars = (n) => h('span', { class: 'satisfaction', title: '满意度 satisfaction' }, `${'★'.repeat(n)}${'☆'.repeat(5 - n)} ${n}/5`);
const dueCell = (iso, isDate) => {
  if (!iso) return '—';
  const late = isDate ? iso < today() : new Date(iso).getTime() < Date.now();
  return h('span', { class: ['due', late && 'overdue'] }, isDate ? iso : fmtDay(iso), late ? h('span', { class: 'badge bad' }, '逾期 overdue') : null);
};

// Starts a service for `patronId` (asked for when not given); resolves with it.
function startDialog(patronId) {
  const patron = input({ type: 'number', min: 1, value: patronId ?? '' });
  const topic = input({ maxlength: 200 });
  const scope = textarea({ rows: 3, maxlength: 4000 });
  const interval = input({ type: 'number', min: 1, max: 366, value: '14' });
  const mTitle = input({ maxlength: 200 });
  const mDue = input({ type: 'date' });
  return dialog({
    title: ['新建定题服务', 'Start a knowledge service'],
    intro: h('p', { class: 'muted' }, '专人负责，按期交付检索成果。The specialist is you; change it on the service.'),
    fields: [
      patronId ? null : field({ name: 'patron_id', label: ['用户编号', 'Patron id'], control: patron, required: true }),
      field({ name: 'topic', label: ['课题', 'Topic'], control: topic, required: true }),
      field({ name: 'scope', label: ['范围', 'Scope'], control: scope, wide: true }),
      field({ name: 'delivery_interval_days', label: ['交付周期（天）', 'Deliver every (days)'], control: interval, hint: '留空表示不定期。Empty: when ready.' }),
      field({ name: 'milestones', label: ['首个里程碑', 'First milestone'], control: mTitle }),
      field({ name: 'milestones.due_on', label: ['里程碑期限', 'Milestone due'], control: mDue }),
    ].filter(Boolean),
    submit: ['开始', 'Start'],
    onSubmit: () => {
      const body = {
        patron_id: Number(patron.value),
        topic: topic.value.trim(),
        scope: scope.value.trim(),
        specialist_id: session.user?.id,
        delivery_interval_days: interval.value ? Number(interval.value) : null,
      };
      if (mTitle.value.trim()) body.milestones = [{ title: mTitle.value.trim(), due_on: mDue.value }];
      return post('/api/v1/knowledge-services', body);
    },
  });
}

export async function knowledgeServicesView({ query, root }) {
  const status = select(KNOWLEDGE_STATUS, { value: query.status ?? 'active', blank: '全部 All', 'aria-label': '状态 Status', id: 'knowledge-status' });
  const mine = h('input', { type: 'checkbox', id: 'knowledge-mine', checked: query.mine === 'true' });
  const tbody = h('tbody');
  const heads = ['课题 Topic', '用户 Patron', '专员 Specialist', '下次交付 Next delivery', '下个里程碑 Next milestone', '交付 Deliveries', '状态 Status'];
  const table = h('table', { class: 'grid knowledge-table', 'aria-label': '定题服务 Knowledge services' }, h('thead', null, h('tr', null, heads.map((t) => h('th', { scope: 'col' }, t)))), tbody);
  const row = (k) =>
    h(
      'tr',
      { dataset: { id: k.id } },
      h('td', { class: 'wrap' }, h('a', { href: href(k.id) }, k.topic)),
      h('td', null, patronLink(k.patron_id, k.patron_name)),
      h('td', null, k.specialist_name || '—'),
      h('td', { class: 'nowrap' }, k.status === 'active' ? dueCell(k.next_delivery_due) : '—'),
      h('td', { class: 'nowrap' }, k.status === 'active' ? dueCell(k.next_milestone_due, true) : '—'),
      h('td', { class: 'num' }, String(k.delivery_count)),
      h('td', null, statusBadge(k.status), k.satisfaction ? h('div', { class: 'sub' }, stars(k.satisfaction)) : null),
    );
  const list = pager(
    (cursor) => get('/api/v1/knowledge-services', { status: status.value, mine: mine.checked ? 'true' : undefined, cursor, limit: 50 }),
    (items, first) => {
      if (first) tbody.replaceChildren();
      tbody.append(...items.map(row));
    },
    { empty: '没有定题服务。No knowledge services.' },
  );
  const refresh = () => {
    setQuery({ status: status.value || 'all', ...(mine.checked ? { mine: 'true' } : {}) });
    list.reset();
  };
  status.addEventListener('change', refresh);
  mine.addEventListener('change', refresh);
  if (query.status === 'all') status.value = '';
  const startBtn = can('ticket_write')
    ? h('button', {
        type: 'button',
        class: 'btn primary',
        onclick: async () => {
          const k = await startDialog();
          if (k) navigate(href(k.id));
        },
      }, bi('新建定题服务', 'New service'))
    : null;
  mount(
    root,
    pageHeader(['定题服务', 'Knowledge services'], startBtn),
    h(
      'div',
      { class: 'toolbar' },
      h('label', { class: 'inline', for: 'knowledge-status' }, bi('状态', 'Status')),
      status,
      h('label', { class: 'inline', for: 'knowledge-mine' }, mine, ' ', bi('我负责的', 'Mine')),
    ),
    h('div', { class: 'table-wrap' }, table),
    list.el,
  );
  await list.load();
}

// The milestones and deliveries of one service; `actions` adds the staff's buttons.
function serviceBody(k, actions) {
  const milestones = h(
    'ul',
    { class: 'milestones', 'aria-label': '里程碑 Milestones' },
    k.milestones.length
      ? k.milestones.map((m) =>
          h(
            'li',
            { dataset: { id: m.id, done: m.done_at ? 'true' : 'false' } },
            h('span', { class: 'milestone-mark', 'aria-hidden': 'true' }, m.done_at ? '✔' : '○'),
            ' ',
            h('strong', null, m.title),
            ' ',
            m.done_at ? h('span', { class: 'muted' }, `完成于 done ${fmtTime(m.done_at)}`) : dueCell(m.due_on, true),
            actions?.milestone(m),
          ),
        )
      : h('li', { class: 'muted' }, '暂无里程碑。No milestones.'),
  );
  const deliveries = h(
    'ol',
    { class: 'deliveries', reversed: true, 'aria-label': '交付记录 Deliveries' },
    k.deliveries.length
      ? k.deliveries.map((d) =>
          h(
            'li',
            { dataset: { id: d.id } },
            h('div', null, h('strong', null, fmtTime(d.delivered_at)), d.delivered_by_name ? h('span', { class: 'muted' }, ` · ${d.delivered_by_name}`) : null),
            h('p', { class: 'wrap' }, d.summary),
            d.records.length
              ? h('ul', { class: 'delivered-records' }, d.records.map((r) => h('li', null, h('a', { href: `/records/${r.id}` }, h('span', { class: 'mono' }, r.reference_code), ' ', r.title))))
              : null,
          ),
        )
      : h('li', { class: 'muted' }, '尚未交付。Nothing delivered yet.'),
  );
  return [section(['里程碑', 'Milestones'], milestones, actions?.addMilestone), section(['交付记录', 'Deliveries'], actions?.deliver, deliveries)];
}

function facts(k) {
  const dl = (pairs) => h('dl', { class: 'facts' }, pairs.filter(Boolean).map(([t, d]) => [h('dt', null, bi(...t)), h('dd', null, d)]));
  return dl([
    [['课题', 'Topic'], k.topic],
    [['范围', 'Scope'], k.scope || '—'],
    [['专员', 'Specialist'], k.specialist_name || '—'],
    [['开始', 'Started'], fmtTime(k.started_at)],
    [['交付周期', 'Delivery rhythm'], k.delivery_interval_days ? `每 ${k.delivery_interval_days} 天 every ${k.delivery_interval_days} days` : '不定期 when ready'],
    k.status === 'active' ? [['下次交付', 'Next delivery'], dueCell(k.next_delivery_due)] : null,
    k.closed_at ? [['结束', 'Closed'], fmtTime(k.closed_at)] : null,
    k.satisfaction ? [['满意度', 'Satisfaction'], stars(k.satisfaction)] : null,
    k.closing_comment ? [['用户意见', 'Comment'], k.closing_comment] : null,
  ]);
}

export async function knowledgeServiceView({ params, root }) {
  mount(root, loading());
  let k;
  try {
    k = await get(`/api/v1/knowledge-services/${params.id}`);
  } catch (e) {
    mount(root, errorPage(e));
    return;
  }
  const render = () => {
    const writable = can('ticket_write') && k.status === 'active';
    const replace = (next) => {
      k = next;
      render();
    };
    const actions = writable
      ? {
          milestone: (m) =>
            m.done_at
              ? null
              : h('button', { type: 'button', class: 'btn small', onclick: (e) => busy(e.currentTarget, async () => replace(await post(`/api/v1/knowledge-services/${k.id}/milestones/${m.id}/done`, {})), root) }, bi('完成', 'Done')),
          addMilestone: h('button', {
            type: 'button',
            class: 'btn small',
            onclick: async () => {
              const title = input({ maxlength: 200 });
              const due = input({ type: 'date' });
              const next = await dialog({
                title: ['添加里程碑', 'Add a milestone'],
                fields: [field({ name: 'title', label: ['名称', 'Title'], control: title, required: true }), field({ name: 'due_on', label: ['期限', 'Due'], control: due, required: true })],
                submit: ['添加', 'Add'],
                onSubmit: () => post(`/api/v1/knowledge-services/${k.id}/milestones`, { title: title.value.trim(), due_on: due.value }),
              });
              if (next) replace(next);
            },
          }, bi('添加里程碑', 'Add milestone')),
          deliver: h('button', {
            type: 'button',
            class: 'btn primary small',
            onclick: async () => {
              const summary = textarea({ rows: 4, maxlength: 4000 });
              const ids = input({ placeholder: '12, 15' });
              const next = await dialog({
                title: ['记录交付', 'Record a delivery'],
                fields: [
                  field({ name: 'summary', label: ['交付内容', 'What was delivered'], control: summary, required: true, wide: true }),
                  field({ name: 'record_ids', label: ['档案编号', 'Record ids'], control: ids, hint: '以逗号分隔。Separated by commas.', wide: true }),
                ],
                submit: ['保存', 'Save'],
                onSubmit: () =>
                  post(`/api/v1/knowledge-services/${k.id}/deliveries`, {
                    summary: summary.value.trim(),
                    record_ids: ids.value.split(/[,，\s]+/).filter(Boolean).map(Number),
                  }),
              });
              if (next) {
                replace(next);
                toast('已记录交付。Delivery recorded.');
              }
            },
          }, bi('记录交付', 'Record delivery')),
        }
      : null;
    const close = writable
      ? h('button', {
          type: 'button',
          class: 'btn',
          onclick: async () => {
            const outcome = select({ completed: ['完成', 'Completed'], cancelled: ['取消', 'Cancelled'] }, { value: 'completed' });
            const satisfaction = select(SATISFACTION, { value: '5' });
            const comment = textarea({ rows: 3, maxlength: 2000 });
            const satField = field({ name: 'satisfaction', label: ['用户满意度', "Patron's satisfaction"], control: satisfaction });
            outcome.addEventListener('change', () => (satField.hidden = outcome.value !== 'completed'));
            const next = await dialog({
              title: ['结束定题服务', 'Close the service'],
              fields: [field({ name: 'outcome', label: ['结果', 'Outcome'], control: outcome }), satField, field({ name: 'comment', label: ['用户意见', 'Comment'], control: comment, wide: true })],
              submit: ['结束', 'Close'],
              onSubmit: () => {
                const body = { outcome: outcome.value, comment: comment.value.trim() };
                if (outcome.value === 'completed') body.satisfaction = Number(satisfaction.value);
                return post(`/api/v1/knowledge-services/${k.id}/close`, body);
              },
            });
            if (next) replace(next);
          },
        }, bi('结束服务', 'Close'))
      : null;
    mount(
      root,
      pageHeader([`定题服务：${k.topic}`, 'Knowledge service'], close),
      h('p', null, statusBadge(k.status), ' ', h('a', { href: `/patrons/${k.patron_id}` }, `用户 Patron #${k.patron_id}`)),
      section(['概况', 'Overview'], facts(k)),
      ...serviceBody(k, actions),
    );
  };
  render();
}

// The patron page's section: the patron's current research projects.
export function researchProjects(patronId) {
  const el = section(['定题服务', 'Research projects'], h('p', { class: 'muted' }, '加载中… Loading…'));
  el.classList.add('research-projects');
  get('/api/v1/knowledge-services', { patron_id: patronId, status: 'active', limit: 20 })
    .then((page) => {
      const items = page.items || [];
      const start = can('ticket_write')
        ? h('button', {
            type: 'button',
            class: 'btn small',
            onclick: async () => {
              const k = await startDialog(patronId);
              if (k) navigate(href(k.id));
            },
          }, bi('新建', 'Start one'))
        : null;
      mount(
        el,
        h('h2', null, bi('定题服务', 'Research projects')),
        items.length
          ? h('ul', { class: 'plain' }, items.map((k) => h('li', null, h('a', { href: href(k.id) }, k.topic), h('span', { class: 'muted' }, ` · ${k.specialist_name || '—'} · 交付 ${k.delivery_count}`))))
          : h('p', { class: 'muted' }, '当前没有定题服务。No current research projects.'),
        start,
      );
    })
    .catch((e) => mount(el, h('h2', null, bi('定题服务', 'Research projects')), h('p', { class: 'error-text' }, e.message)));
  return el;
}

// 我的定题服务 on the portal: the patron's services, each with its milestones and what
// was delivered.
export async function portalResearchView({ root }) {
  mount(root, loading());
  const page = await get('/api/v1/knowledge-services', { limit: 50 });
  const items = page.items || [];
  const full = await Promise.all(items.map((k) => get(`/api/v1/knowledge-services/${k.id}`)));
  mount(
    root,
    pageHeader(['我的定题服务', 'My research projects']),
    full.length
      ? full.map((k) =>
          h(
            'article',
            { class: 'card research', dataset: { id: k.id } },
            h('h2', null, k.topic, ' ', statusBadge(k.status)),
            facts(k),
            ...serviceBody(k, null),
          ),
        )
      : notice('info', '您目前没有定题服务。如需长期课题支持，请联系档案馆。You have no research projects; ask the archive to start one.'),
  );
}

