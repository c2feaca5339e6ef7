// onsite-visits.js — 上门服务 On-site visits: staff going to the patron to consult, collect,
// deliver or appraise. The staff list (soonest window first, by status and staff member),
// booking, confirming a request with staff, recording the outcome or a no-show,
// cancelling; the block on the patron page; the portal's request form and own visits.

import { get, patch, post } from '../api.js';
import { bi, h, mount, nextId } from '../dom.js';
import { fmtTime } from '../format.js';
import { zh } from '../labels.js';
import { setQuery } from '../router.js';
import { can, session } from '../session.js';
import { badge, busy, dialog, field, formError, input, notice, pageHeader, pager, section, select, textarea, toast } from '../ui.js';
import { ticketHref } from '../service.js';
import { patronLink } from './patrons.js';

export const ONSITE_PURPOSES = {
  consultation: ['咨询', 'Consultation'],
  collection: ['接收档案/捐赠', 'Collection'],
  delivery: ['送达复印件', 'Delivery'],
  appraisal: ['鉴定', 'Appraisal'],
  other: ['其他', 'Other'],
};
export const ONSITE_STATUS = {
  requested: ['待确认', 'Requested'],
  booked: ['已预约', 'Booked'],
  done: ['已完成', 'Done'],
  cancelled: ['已取消', 'Cancelled'],
  no_show: ['未遇', 'No-show'],
};
const FILTER_STATUS = { active: ['待办', 'Requested or booked'], ...ONSITE_STATUS };
const SATISFACTION = { '': ['未评价', 'not given'], 5: ['5 非常满意', 'very satisfied'], 4: ['4 满意', 'satisfied'], 3: ['3 一般', 'neutral'], 2: ['2 不满意', 'dissatisfied'], 1: ['1 非常不满意', 'very dissatisfied'] };

const statusBadge = (s) => badge(zh(ONSITE_STATUS, s) || s, s === 'done' ? 'ok' : s === 'booked' ? 'type' : s === 'requested' ? 'warn' : '');
const localDay = (iso) => new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(iso));
const localTime = (iso) => new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit' }).format(new Date(iso));
const windowText = (v) => `${fmtTime(v.starts_at)}–${localTime(v.ends_at)}`;
const begun = (v) => Date.parse(v.starts_at) <= Date.now();
const staffNames = (v) => (v.staff || []).map((s) => s.display_name).join('、') || '—';

// The window controls: a date and two times (Beijing time), named after the API's fields
// so that the server's message lands beside the right one.
function windowFields(v) {
  const day = input({ type: 'date', required: true, value: v ? localDay(v.starts_at) : '' });
  const from = input({ type: 'time', required: true, value: v ? localTime(v.starts_at) : '09:00' });
  const to = input({ type: 'time', required: true, value: v ? localTime(v.ends_at) : '11:00' });
  return {
    fields: [
      field({ name: 'starts_at', label: ['日期', 'Date'], control: day, required: true, hint: '须为工作日。A working day.' }),
      field({ name: 'from', label: ['开始', 'From'], control: from, required: true }),
      field({ name: 'ends_at', label: ['结束', 'Until'], control: to, required: true }),
    ],
    value: () => ({ starts_at: `${day.value}T${from.value}:00+08:00`, ends_at: `${day.value}T${to.value}:00+08:00` }),
    // After a form reset: the usual morning window again.
    reset: () => {
      from.value = '09:00';
      to.value = '11:00';
    },
  };
}

// Check boxes of the staff who work tickets; the server's staff_ids message shows below.
async function staffPicker(chosen = []) {
  let people = [];
  try {
    people = (await get('/api/v1/agents/availability')).items || [];
  } catch {
    people = [];
  }
  const legendId = nextId('staff');
  const boxes = people.map((p) => {
    const id = nextId('staff');
    const box = h('input', { type: 'checkbox', id, value: String(p.user_id), checked: chosen.includes(p.user_id) });
    return h('label', { for: id }, box, ` ${p.display_name || p.username}`);
  });
  const el = h(
    'div',
    { class: 'field wide', dataset: { field: 'staff_ids' }, role: 'group', 'aria-labelledby': legendId },
    h('span', { class: 'group-label', id: legendId }, bi('上门人员', 'Staff who go')),
    h('div', { class: 'staff-checks' }, boxes.length ? boxes : h('span', { class: 'muted' }, '没有可选人员。No staff found.')),
    h('div', { class: 'field-error' }),
  );
  return { el, value: () => [...el.querySelectorAll('input:checked')].map((b) => Number(b.value)) };
}

// Booking (staff) for a patron; `patronId` fixes the patron (the patron page).
export async function bookVisit({ patronId, onSaved } = {}) {
  const c = {
    patron_id: input({ type: 'number', min: 1, step: 1, inputmode: 'numeric', value: patronId ? String(patronId) : '' }),
    purpose: select(ONSITE_PURPOSES, { value: 'consultation' }),
    address: input({ maxlength: 500 }),
    contact_phone: input({ type: 'tel', maxlength: 30 }),
    ticket_id: input({ type: 'number', min: 1, step: 1, inputmode: 'numeric' }),
    notes: textarea({ rows: 2, maxlength: 4000 }),
  };
  const win = windowFields();
  const staff = await staffPicker(session.user ? [session.user.id] : []);
  return dialog({
    title: ['预约上门服务', 'Book an on-site visit'],
    wide: true,
    fields: [
      field({ name: 'patron_id', label: ['用户编号', 'Patron id'], control: c.patron_id, required: true }),
      field({ name: 'purpose', label: ['事由', 'Purpose'], control: c.purpose, required: true }),
      ...win.fields,
      field({ name: 'address', label: ['地址', 'Address'], control: c.address, wide: true, required: true }),
      field({ name: 'contact_phone', label: ['联系电话', 'Contact phone'], control: c.contact_phone }),
      field({ name: 'ticket_id', label: ['关联工单', 'Ticket id'], control: c.ticket_id }),
      staff.el,
      field({ name: 'notes', label: ['内部备注', 'Internal notes'], control: c.notes, wide: true }),
    ],
    submit: ['预约', 'Book'],
    onSubmit: async () => {
      const body = { patron_id: Number(c.patron_id.value), purpose: c.purpose.value, address: c.address.value.trim(), ...win.value(), staff_ids: staff.value() };
      if (c.contact_phone.value.trim()) body.contact_phone = c.contact_phone.value.trim();
      if (c.ticket_id.value.trim()) body.ticket_id = Number(c.ticket_id.value);
      if (c.notes.value.trim()) body.notes = c.notes.value.trim();
      const v = await post('/api/v1/onsite-visits', body);
      toast(v.status === 'booked' ? '已预约。Visit booked.' : '已登记，待安排人员。Requested; staff still to be named.');
      onSaved?.(v);
      return v;
    },
  });
}

async function confirmVisit(v, onSaved) {
  const staff = await staffPicker((v.staff || []).map((s) => s.id));
  const win = windowFields(v);
  return dialog({
    title: ['确认上门', 'Confirm the visit'],
    intro: `${zh(ONSITE_PURPOSES, v.purpose)} · ${v.address}`,
    fields: [...win.fields, staff.el],
    submit: ['确认', 'Confirm'],
    onSubmit: async () => {
      const saved = await patch(`/api/v1/onsite-visits/${v.id}`, { status: 'booked', staff_ids: staff.value(), ...win.value() });
      toast('已确认预约。Visit booked.');
      onSaved?.(saved);
    },
  });
}

function recordVisit(v, onSaved) {
  const outcome = textarea({ rows: 3, maxlength: 4000 });
  const minutes = input({ type: 'number', min: 1, max: 1440, step: 1, inputmode: 'numeric', value: '60' });
  const items = textarea({ rows: 3, placeholder: '每行一项 One per line' });
  const satisfaction = select(SATISFACTION, { value: '' });
  return dialog({
    title: ['记录上门结果', 'Record the visit'],
    fields: [
      field({ name: 'outcome', label: ['经过与结果', 'What happened'], control: outcome, wide: true, required: true }),
      field({ name: 'duration_minutes', label: ['用时（分钟）', 'Minutes'], control: minutes, required: true }),
      field({ name: 'satisfaction', label: ['满意度', 'Satisfaction'], control: satisfaction }),
      field({ name: 'items', label: ['接收/送达物品', 'Items taken or delivered'], control: items, wide: true }),
    ],
    submit: ['保存', 'Save'],
    onSubmit: async () => {
      const body = {
        outcome: outcome.value.trim(),
        duration_minutes: Number(minutes.value),
        items: items.value.split('\n').map((s) => s.trim()).filter(Boolean),
      };
      if (satisfaction.value) body.satisfaction = Number(satisfaction.value);
      const saved = await post(`/api/v1/onsite-visits/${v.id}/done`, body);
      toast('已记录。Visit recorded.');
      onSaved?.(saved);
    },
  });
}

function cancelVisit(v, onSaved) {
  const reason = textarea({ rows: 2, maxlength: 1000 });
  return dialog({
    title: ['取消上门', 'Cancel the visit'],
    intro: `${windowText(v)} · ${zh(ONSITE_PURPOSES, v.purpose)}`,
    fields: [field({ name: 'reason', label: ['原因', 'Reason'], control: reason, wide: true })],
    submit: ['取消上门', 'Cancel visit'],
    danger: true,
    onSubmit: async () => {
      const saved = await post(`/api/v1/onsite-visits/${v.id}/cancel`, reason.value.trim() ? { reason: reason.value.trim() } : {});
      toast('已取消。Visit cancelled.');
      onSaved?.(saved);
    },
  });
}

// The moves a visit allows, as small buttons; `onSaved(visit)` redraws.
function actions(v, onSaved) {
  if (!can('ticket_write')) return [];
  const btn = (zhText, en, fn, cls = '') => h('button', { type: 'button', class: ['btn', 'small', cls], dataset: { action: en.toLowerCase().replace(/\s+/g, '-') }, onclick: fn }, bi(zhText, en));
  const out = [];
  if (v.status === 'requested') out.push(btn('确认', 'Confirm', () => confirmVisit(v, onSaved)));
  if (v.status === 'booked' && begun(v)) {
    out.push(btn('记录结果', 'Record', () => recordVisit(v, onSaved), 'primary'));
    out.push(
      btn('未遇', 'No-show', async (e) =>
        busy(e.currentTarget, async () => {
          onSaved(await patch(`/api/v1/onsite-visits/${v.id}`, { status: 'no_show' }));
          toast('已记为未遇。Marked as a no-show.');
        }),
      ),
    );
  }
  if (v.status === 'requested' || v.status === 'booked') out.push(btn('取消', 'Cancel', () => cancelVisit(v, onSaved), 'ghost'));
  return out;
}

function outcomeCell(v) {
  return h(
    'td',
    { class: 'wrap' },
    v.outcome ? h('div', null, v.outcome) : null,
    v.items?.length ? h('div', { class: 'sub' }, `物品 Items: ${v.items.join('；')}`) : null,
    v.duration_minutes ? h('div', { class: 'sub' }, `${v.duration_minutes} 分钟 min`) : null,
    v.satisfaction != null ? h('div', { class: 'sub satisfaction' }, `${'★'.repeat(v.satisfaction)}${'☆'.repeat(5 - v.satisfaction)} ${v.satisfaction}/5`) : null,
    v.cancel_reason ? h('div', { class: 'sub' }, `取消原因 Reason: ${v.cancel_reason}`) : null,
    v.notes ? h('div', { class: 'sub muted' }, `备注 Note: ${v.notes}`) : null,
    v.patron_note ? h('div', { class: 'sub' }, `用户留言 Patron: ${v.patron_note}`) : null,
  );
}

// The staff screen.
export async function onsiteVisitsView({ query, root }) {
  const status = select(FILTER_STATUS, { value: query.status ?? 'active', blank: '全部 All', 'aria-label': '状态 Status' });
  const who = select({ mine: ['我的', 'Mine'] }, { value: query.staff ?? '', blank: '全部人员 Everyone', 'aria-label': '人员 Staff' });
  const people = (await get('/api/v1/agents/availability').catch(() => ({ items: [] }))).items || [];
  for (const p of people) who.append(h('option', { value: String(p.user_id) }, p.display_name || p.username));
  who.value = query.staff ?? '';
  const tbody = h('tbody');
  const heads = ['时间 Window', '用户 Patron', '事由 Purpose', '地址 Address', '人员 Staff', '状态 Status', '结果 Outcome', ''];
  const table = h('table', { class: 'grid onsite-table', 'aria-label': '上门服务列表 On-site visits' }, h('thead', null, h('tr', null, heads.map((t) => h('th', { scope: 'col' }, t)))), tbody);
  const row = (v) => {
    const tr = h(
      'tr',
      { dataset: { id: v.id, status: v.status } },
      h('td', { class: 'nowrap' }, windowText(v)),
      h('td', null, patronLink(v.patron_id, v.patron_name), v.ticket_id ? h('div', { class: 'sub' }, h('a', { href: ticketHref(v.ticket_id) }, `工单 #${v.ticket_id}`)) : null),
      h('td', null, zh(ONSITE_PURPOSES, v.purpose)),
      h('td', { class: 'wrap' }, v.address, v.contact_phone ? h('div', { class: 'sub' }, v.contact_phone) : null),
      h('td', null, staffNames(v)),
      h('td', null, statusBadge(v.status), v.requested_by_patron ? h('div', { class: 'sub' }, '用户申请 by patron') : null),
      outcomeCell(v),
      h('td', { class: 'actions' }, actions(v, (saved) => tr.replaceWith(row({ patron_name: v.patron_name, ...saved })))),
    );
    return tr;
  };
  const staffId = () => (who.value === 'mine' ? session.user?.id : who.value ? Number(who.value) : undefined);
  const list = pager(
    (cursor) => get('/api/v1/onsite-visits', { status: status.value || undefined, staff_id: staffId(), cursor, limit: 50 }),
    (items, first) => {
      if (first) tbody.replaceChildren();
      tbody.append(...items.map(row));
    },
    { empty: '没有上门服务。No on-site visits.' },
  );
  const refilter = () => {
    setQuery({ status: status.value || 'all', staff: who.value || undefined });
    list.reset();
  };
  status.addEventListener('change', refilter);
  who.addEventListener('change', refilter);
  if (query.status === 'all') status.value = '';
  const book = can('ticket_write') ? h('button', { type: 'button', class: 'btn primary', onclick: () => bookVisit({ onSaved: () => list.reset() }) }, bi('预约上门', 'Book a visit')) : null;
  mount(
    root,
    pageHeader(['上门服务', 'On-site visits'], book),
    h('div', { class: 'toolbar' }, status, who),
    h('div', { class: 'table-wrap' }, table),
    list.el,
  );
  await list.load();
}

// The patron page's block: the patron's visits and "book a visit".
export function onsiteBlock(patronId) {
  const el = h('div');
  const load = async () => {
    let page;
    try {
      page = await get('/api/v1/onsite-visits', { patron_id: patronId, limit: 20 });
    } catch {
      return mount(el);
    }
    const items = page.items || [];
    const redraw = () => load();
    const list = items.length
      ? h(
          'ol',
          { class: 'onsite-visits', 'aria-label': '上门服务 On-site visits' },
          items.map((v) =>
            h(
              'li',
              { dataset: { id: v.id, status: v.status } },
              h('span', { class: 'muted small' }, `${windowText(v)} · `),
              h('strong', null, zh(ONSITE_PURPOSES, v.purpose)),
              ' ',
              statusBadge(v.status),
              h('div', { class: 'small' }, `${v.address} · ${staffNames(v)}`),
              v.outcome ? h('div', { class: 'small pre' }, v.outcome) : null,
              h('div', { class: 'actions' }, actions(v, redraw)),
            ),
          ),
        )
      : h('p', { class: 'muted' }, '暂无上门服务。No on-site visits yet.');
    const book = can('ticket_write') ? h('button', { type: 'button', class: 'btn small', onclick: () => bookVisit({ patronId, onSaved: redraw }) }, bi('预约上门', 'Book a visit')) : null;
    mount(el, section(['上门服务', 'On-site visits'], list, book));
  };
  return { el, load };
}

// The portal: request a visit (when the patron's tier allows it) and the patron's visits.
export async function portalOnsiteView({ root }) {
  const listEl = h('div');
  const loadList = async () => {
    const page = await get('/api/v1/onsite-visits', { limit: 50 });
    const items = page.items || [];
    mount(
      listEl,
      items.length
        ? h(
            'ol',
            { class: 'onsite-visits portal', 'aria-label': '我的上门服务 My on-site visits' },
            items.map((v) =>
              h(
                'li',
                { dataset: { id: v.id, status: v.status } },
                h('strong', null, `${windowText(v)} · ${zh(ONSITE_PURPOSES, v.purpose)} `),
                statusBadge(v.status),
                h('div', { class: 'small' }, v.address),
                v.staff?.length ? h('div', { class: 'small' }, `上门人员 Staff: ${staffNames(v)}`) : null,
                v.items?.length ? h('div', { class: 'small' }, `物品 Items: ${v.items.join('；')}`) : null,
                (v.status === 'requested' || v.status === 'booked') && !begun(v)
                  ? h('button', { type: 'button', class: 'btn small ghost', dataset: { action: 'cancel' }, onclick: () => cancelVisit(v, loadList) }, bi('取消', 'Cancel'))
                  : null,
              ),
            ),
          )
        : h('p', { class: 'muted' }, '您还没有上门服务。You have no on-site visits.'),
    );
  };
  const c = {
    purpose: select(ONSITE_PURPOSES, { value: 'consultation' }),
    address: input({ maxlength: 500 }),
    contact_phone: input({ type: 'tel', maxlength: 30 }),
    note: textarea({ rows: 3, maxlength: 2000 }),
  };
  const win = windowFields();
  const err = formError();
  const send = h('button', { type: 'submit', class: 'btn primary' }, bi('提交申请', 'Send request'));
  const form = h(
    'form',
    { class: 'form-grid onsite-request', novalidate: true },
    err,
    field({ name: 'purpose', label: ['事由', 'Purpose'], control: c.purpose, required: true }),
    ...win.fields,
    field({ name: 'address', label: ['上门地址', 'Address'], control: c.address, wide: true, required: true }),
    field({ name: 'contact_phone', label: ['联系电话', 'Contact phone'], control: c.contact_phone }),
    field({ name: 'note', label: ['说明', 'Anything we should know'], control: c.note, wide: true }),
    h('div', { class: 'form-actions' }, send),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(
      send,
      async () => {
        const body = { purpose: c.purpose.value, address: c.address.value.trim(), ...win.value() };
        if (c.contact_phone.value.trim()) body.contact_phone = c.contact_phone.value.trim();
        if (c.note.value.trim()) body.note = c.note.value.trim();
        await post('/api/v1/onsite-visits', body);
        toast('已提交，工作人员将与您确认。Request sent; the archive will confirm it.');
        form.reset();
        win.reset();
        await loadList();
      },
      form,
    );
  });
  mount(
    root,
    pageHeader(['上门服务', 'On-site visits']),
    notice('info', '档案馆工作人员可上门咨询、接收档案或捐赠、送达复印件。须为工作日；是否可在线申请取决于您的服务等级。Archive staff can come to you to consult, collect records or donations, or deliver copies, on working days; requesting online depends on your service tier.'),
    section(['申请上门', 'Request a visit'], form),
    section(['我的上门服务', 'My on-site visits'], listEl),
  );
  await loadList();
}

