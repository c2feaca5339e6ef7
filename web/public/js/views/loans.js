// loans.js — 借阅 Loans: the loans desk for staff (loan_read; lending, renewing and taking
// back need loan_write): the list with a status filter and sort, overdue rows marked with
// the days overdue, the lending form (a scanned or typed reference code, or a record id,
// and the patron), renewal, and the return with a note on the record's condition. The
// same table, without actions, is the patron page's "Loans 借阅" and the portal's
// "My loans 我的借阅".

import { get, post } from '../api.js';
import { bi, h, mount } from '../dom.js';
import { fmtDay, fmtTime } from '../format.js';
import { setQuery } from '../router.js';
import { can } from '../session.js';
import { badge, busy, dialog, field, formError, input, pageHeader, pager, section, select, showError, textarea, toast } from '../ui.js';
import { patronFinder, patronLink } from './patrons.js';
import { staffSpan } from '../staff.js';

export const LOAN_STATUS = { open: ['借出中', 'Open'], overdue: ['已逾期', 'Overdue'], returned: ['已归还', 'Returned'] };
const SORTS = {
  '-id': ['最新借出', 'Newest'],
  due_at: ['应还日期（近→远）', 'Due, soonest'],
  '-due_at': ['应还日期（远→近）', 'Due, latest'],
  lent_at: ['借出时间（早→晚）', 'Lent, oldest'],
  '-lent_at': ['借出时间（晚→早）', 'Lent, newest'],
};
const BY = { reference_code: ['档号', 'Reference code'], record_id: ['记录编号', 'Record id'] };

export function loanStatus(l) {
  if (l.status === 'overdue') return badge(`逾期 ${l.days_overdue} 天 · ${l.days_overdue} days overdue`, 'bad');
  if (l.status === 'returned') return badge('已归还 Returned', '');
  return badge('借出中 Open', 'ok');
}

function recordCell(l, portal) {
  if (l.record_id == null) return h('span', { class: 'muted' }, '涉密档案 Secret record');
  const text = [h('span', { class: 'mono' }, l.reference_code), ' ', l.title || ''];
  return portal ? h('span', null, text) : h('a', { href: `/records/${l.record_id}` }, text);
}

// The loans table; `actions` (staff with loan_write) adds renew and return buttons.
// Returns {el, reset, tbody}; `params()` gives the query for each page.
export function loansTable({ params, actions = false, portal = false, showPatron = true, label = '借阅列表 Loans', empty }) {
  const tbody = h('tbody');
  const heads = ['档案 Record', showPatron ? '用户 Patron' : null, '借出 Lent', '应还 Due', '续借 Renewals', '状态 Status', '归还 Returned', actions ? '操作 Actions' : null].filter(Boolean);
  const table = h('table', { class: 'grid compact loans-table', 'aria-label': label }, h('thead', null, h('tr', null, heads.map((t) => h('th', { scope: 'col' }, t)))), tbody);
  let list;
  // Patron names as the list gave them: a renewed or returned loan comes back without one.
  const names = new Map();
  const row = (l) => {
    if (l.patron_name) names.set(l.patron_id, l.patron_name);
    const tr = h(
      'tr',
      { class: [l.status === 'overdue' && 'overdue'], dataset: { loan: l.id, status: l.status } },
      h('td', { class: 'wrap' }, recordCell(l, portal)),
      showPatron ? h('td', null, patronLink(l.patron_id, l.patron_name ?? names.get(l.patron_id))) : null,
      h('td', { class: 'nowrap' }, fmtDay(l.lent_at), !portal && l.lent_by ? h('div', { class: 'sub' }, staffSpan(l.lent_by, '经办 by ')) : null),
      h('td', { class: 'nowrap' }, fmtDay(l.due_at)),
      h('td', { class: 'num' }, String(l.renewals)),
      h('td', null, loanStatus(l)),
      h('td', { class: 'wrap' }, l.returned_at ? fmtTime(l.returned_at) : '—', l.return_note ? h('div', { class: 'sub' }, l.return_note) : null),
      actions
        ? h(
            'td',
            { class: 'nowrap row-actions' },
            l.returned_at
              ? null
              : [
                  h('button', { type: 'button', class: 'btn tiny renew', onclick: (e) => renew(l, e.currentTarget, replace) }, bi('续借', 'Renew')),
                  h('button', { type: 'button', class: 'btn tiny primary give-back', onclick: () => giveBack(l, replace) }, bi('归还', 'Return')),
                ],
          )
        : null,
    );
    return tr;
  };
  const replace = (l) => {
    const old = tbody.querySelector(`tr[data-loan="${l.id}"]`);
    if (old) old.replaceWith(row(l));
  };
  list = pager(
    (cursor) => get('/api/v1/loans', { ...params(), cursor, limit: 50 }),
    (items, first) => {
      if (first) tbody.replaceChildren();
      tbody.append(...items.map(row));
    },
    { empty: empty || '没有借阅记录。No loans.' },
  );
  return { el: h('div', null, h('div', { class: 'table-wrap' }, table), list.el), load: list.load, reset: list.reset, tbody };
}


async function renew(l, button, replace) {
  await busy(button, async () => {
    const out = await post(`/api/v1/loans/${l.id}/renew`, {});
    replace(out);
    toast(`已续借，应还 ${fmtDay(out.due_at)}。Renewed; due ${fmtDay(out.due_at)}.`);
  });
}

function giveBack(l, replace) {
  const note = textarea({ rows: 3, maxlength: 1000, placeholder: '如：完好；第3页有折痕 e.g. intact; crease on page 3' });
  return dialog({
    title: ['归还档案', 'Return a record'],
    intro: h('p', null, `${l.reference_code ?? ''} ${l.title ?? ''}`, l.overdue ? h('span', { class: 'error-text' }, ` — 逾期 ${l.days_overdue} 天 ${l.days_overdue} days overdue`) : null),
    fields: [field({ name: 'note', label: ['档案状况', 'Condition'], control: note, wide: true })],
    submit: ['确认归还', 'Take back'],
    onSubmit: async () => {
      const body = note.value.trim() ? { note: note.value.trim() } : {};
      const out = await post(`/api/v1/loans/${l.id}/return`, body);
      replace(out);
      toast('已归还。Returned.');
    },
  });
}

// ------------------------------------------------------------------ the page
export async function loansView({ query, root }) {
  const c = {
    status: select(LOAN_STATUS, { value: query.status || '', blank: '全部 All' }),
    sort: select(SORTS, { value: query.sort || '-id' }),
    patron_id: input({ type: 'number', min: 1, step: 1, inputmode: 'numeric', value: query.patron_id || '', class: 'narrow' }),
  };
  const err = formError();
  const filters = h(
    'form',
    { class: 'filters loan-filters', role: 'search', novalidate: true },
    err,
    field({ name: 'status', label: ['状态', 'Status'], control: c.status }),
    field({ name: 'sort', label: ['排序', 'Sort'], control: c.sort }),
    field({ name: 'patron_id', label: ['用户编号', 'Patron id'], control: c.patron_id }),
  );
  const params = () => {
    const out = { status: c.status.value, sort: c.sort.value, patron_id: c.patron_id.value.trim() };
    for (const k of Object.keys(out)) if (!out[k]) delete out[k];
    return out;
  };
  const table = loansTable({ params, actions: can('loan_write') });
  const run = (e) => {
    e?.preventDefault();
    const p = params();
    if (p.sort === '-id') delete p.sort;
    setQuery(p);
    return table.reset().catch((ex) => showError(filters, ex));
  };
  filters.addEventListener('submit', run);
  c.status.addEventListener('change', () => run());
  c.sort.addEventListener('change', () => run());
  c.patron_id.addEventListener('change', () => run());
  const lend = can('loan_write') ? lendForm(() => run()) : null;
  mount(root, pageHeader(['借阅', 'Loans']), lend?.el, filters, table.el);
  lend?.focus();
  await table.load();
}

// Lending: a scanner types the code and Enter, which moves on to the patron.
function lendForm(onLent) {
  const c = {
    by: select(BY, { value: 'reference_code' }),
    code: input({ maxlength: 100, autocomplete: 'off', placeholder: '扫描或输入 Scan or type', class: 'mono' }),
    patron_id: input({ type: 'number', min: 1, step: 1, inputmode: 'numeric' }),
    due: input({ type: 'date' }),
    note: input({ maxlength: 500 }),
  };
  const finder = patronFinder(c.patron_id, field({ name: 'patron_id', label: ['用户编号', 'Patron id'], control: c.patron_id, required: true }), { onPick: () => c.due.focus() });
  c.code.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !c.patron_id.value) {
      e.preventDefault();
      finder.focus();
    }
  });
  const err = formError();
  const save = h('button', { type: 'submit', class: 'btn primary' }, bi('借出', 'Lend'));
  const form = h(
    'form',
    { class: 'form-grid lend-form', novalidate: true },
    err,
    field({ name: 'by', label: ['按', 'By'], control: c.by }),
    field({ name: c.by.value, label: ['档号或记录编号', 'Reference code or record id'], control: c.code, required: true }),
    finder.el,
    field({ name: 'due_at', label: ['应还日期', 'Due'], control: c.due, hint: '留空按默认借期。Blank: the default loan period.' }),
    field({ name: 'note', label: ['备注', 'Note'], control: c.note, hint: '控制或涉密档案：写明审批依据。Controlled or secret: the approval.' }),
    h('div', { class: 'form-actions' }, save),
  );
  // The error slot follows the chosen kind of identifier.
  const codeField = c.code.closest('.field');
  c.by.addEventListener('change', () => (codeField.dataset.field = c.by.value));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(
      save,
      async () => {
        const code = c.code.value.trim();
        if (!code) throw { field: c.by.value, message: '请扫描或输入。Scan or type it.' };
        if (c.by.value === 'record_id' && !/^\d+$/.test(code)) throw { field: 'record_id', message: '记录编号是数字。A record id is a number.' };
        if (!c.patron_id.value) throw { field: 'patron_id', message: '请选择用户。Choose the patron.' };
        const body = { patron_id: Number(c.patron_id.value) };
        if (c.by.value === 'record_id') body.record_id = Number(code);
        else body.reference_code = code;
        if (c.due.value) body.due_at = `${c.due.value}T17:00:00+08:00`;
        if (c.note.value.trim()) body.note = c.note.value.trim();
        const out = await post('/api/v1/loans', body);
        toast(`已借出 ${out.reference_code ?? ''}，应还 ${fmtDay(out.due_at)}。Lent; due ${fmtDay(out.due_at)}.`);
        c.code.value = '';
        c.note.value = '';
        c.due.value = '';
        c.code.focus();
        onLent(out);
      },
      form,
    );
  });
  const el = section(['借出档案', 'Lend a record'], form);
  el.classList.add('lend-card');
  return { el, focus: () => c.code.focus() };
}

// The patron page's "Loans 借阅" section and the portal's "My loans 我的借阅".
export function patronLoans(pid, { portal = false } = {}) {
  const status = select(LOAN_STATUS, { value: '', blank: '全部 All', 'aria-label': '借阅状态 Loan status' });
  const table = loansTable({ params: () => (portal ? {} : { patron_id: pid, status: status.value || undefined }), actions: !portal && can('loan_write'), portal, showPatron: false, label: portal ? '我的借阅 My loans' : '借阅 Loans', empty: portal ? '您没有借阅记录。You have no loans.' : '没有借阅记录。No loans.' });
  if (portal) status.hidden = true;
  status.addEventListener('change', () => table.reset());
  const el = section(portal ? ['我的借阅', 'My loans'] : ['借阅', 'Loans'], portal ? null : h('div', { class: 'toolbar' }, status, can('loan_write') ? h('a', { class: 'btn small', href: `/loans?patron_id=${pid}` }, bi('借阅台', 'Loans desk')) : null), table.el);
  el.classList.add('patron-loans');
  return { el, load: table.load };
}
