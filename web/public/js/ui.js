// ui.js — the console's building blocks: labelled fields with their error slot, the
// server's error shown next to the field it names, dialogs, toasts, badges, tables.

import { ApiError } from './api.js';
import { bi, h, mount, nextId } from './dom.js';
import { fieldLabel } from './labels.js';

// ------------------------------------------------------------------ fields and errors

// A label, its control, an optional hint and the slot where the server's message for
// this field appears. `name` is the API's field name (e.g. "id_document.number").
export function field({ name, label, control, hint, wide, required }) {
  const id = control.id || (control.id = nextId(name ? name.replace(/[^a-z0-9]+/gi, '-') : 'f'));
  if (name && !control.name) control.name = name;
  if (required) control.required = true;
  const errId = `${id}-err`;
  const hintId = hint ? `${id}-hint` : null;
  control.setAttribute('aria-describedby', [hintId, errId].filter(Boolean).join(' '));
  const [zhLabel, enLabel] = Array.isArray(label) ? label : [label, ''];
  return h(
    'div',
    { class: ['field', wide && 'wide'], dataset: { field: name || '' } },
    h('label', { for: id }, bi(zhLabel, enLabel), required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null),
    control,
    hint ? h('div', { class: 'hint', id: hintId }, hint) : null,
    h('div', { class: 'field-error', id: errId }),
  );
}

export const input = (attrs = {}) => h('input', { type: 'text', autocomplete: 'off', ...attrs });
export const textarea = (attrs = {}) => h('textarea', { rows: 2, ...attrs });

// A <select> from a labels table: {value: [zh, en]}; `blank` adds an empty first option.
export function select(table, { value, blank, ...attrs } = {}) {
  const opts = [];
  if (blank !== undefined) opts.push(h('option', { value: '' }, blank));
  for (const [k, v] of Object.entries(table)) opts.push(h('option', { value: k }, Array.isArray(v) ? `${v[0]} ${v[1]}` : v));
  return h('select', { ...attrs, value: value ?? '' }, opts);
}

export function formError() {
  return h('div', { class: 'form-error', role: 'alert', hidden: true });
}

export function clearErrors(root) {
  for (const el of root.querySelectorAll('.field.has-error')) {
    el.classList.remove('has-error');
    el.querySelector('.field-error').textContent = '';
    el.querySelector('input,select,textarea')?.removeAttribute('aria-invalid');
  }
  for (const el of root.querySelectorAll('.form-error')) {
    el.hidden = true;
    el.textContent = '';
  }
}

// Candidate data-field names for an API field: "phones[1]" → phones; "consents.contact"
// → consents.contact, consents.
function fieldCandidates(name) {
  const out = [name];
  const noIndex = name.replace(/\[\d+\]/g, '');
  out.push(noIndex);
  if (noIndex.includes('.')) out.push(noIndex.split('.')[0]);
  return [...new Set(out)];
}

// Shows `err` next to the field it names inside `root`, or in root's .form-error box.
// Returns true when it found a field.
export function showError(root, err) {
  clearErrors(root);
  const message = err instanceof ApiError || err?.message ? err.message : String(err);
  const name = err?.field || '';
  if (name) {
    for (const cand of fieldCandidates(name)) {
      const box = root.querySelector(`.field[data-field="${CSS.escape(cand)}"]`);
      if (!box) continue;
      box.classList.add('has-error');
      box.querySelector('.field-error').textContent = message;
      const control = box.querySelector('input,select,textarea');
      if (control) {
        control.setAttribute('aria-invalid', 'true');
        control.focus();
      }
      return true;
    }
  }
  const box = root.querySelector('.form-error');
  if (box) {
    box.hidden = false;
    box.textContent = name && name !== 'body' ? `${fieldLabel(name)}: ${message}` : message;
    return false;
  }
  toast(message, 'error');
  return false;
}

// Runs `fn` with the button disabled; shows a failure in `root` (or as a toast).
export async function busy(button, fn, root) {
  if (button) button.disabled = true;
  try {
    return await fn();
  } catch (e) {
    if (root) showError(root, e);
    else toast(e.message || String(e), 'error');
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

// ------------------------------------------------------------------ feedback

export function toast(message, kind = 'ok') {
  const box = document.getElementById('toasts');
  if (!box) return;
  const t = h('div', { class: ['toast', kind] }, message);
  box.appendChild(t);
  setTimeout(() => t.remove(), kind === 'error' ? 8000 : 4000);
}

export function notice(kind, ...children) {
  return h('div', { class: ['notice', kind], role: kind === 'error' ? 'alert' : 'status' }, ...children);
}

export function loading() {
  return h('p', { class: 'loading' }, '加载中… Loading…');
}

export function errorPage(err) {
  const status = err?.status;
  const title =
    status === 403
      ? bi('无权访问', 'Not permitted')
      : status === 404
        ? bi('未找到', 'Not found')
        : bi('出错了', 'Something went wrong');
  return h('section', { class: 'error-page' }, h('h1', null, title), h('p', null, err?.message || String(err)));
}

export function badge(text, kind = '') {
  return h('span', { class: ['badge', kind] }, text);
}

export function chips(list, kind = 'tag') {
  if (!list || !list.length) return h('span', { class: 'muted' }, '—');
  return h('span', { class: 'chips' }, list.map((t) => h('span', { class: ['chip', kind] }, t)));
}

// ------------------------------------------------------------------ dialogs

// A modal form. `fields` are nodes made with field(); `onSubmit(form)` may throw an
// ApiError, shown next to its field. Resolves with onSubmit's result, or null when
// cancelled.
// `submit: null` leaves only a close button; `wide` makes room for a tree or a table;
// `onOpen(close)` hands over a function that closes the dialog (resolving with null).
export function dialog({ title, intro, fields = [], submit = ['确定', 'OK'], danger = false, wide = false, onSubmit, onOpen }) {
  return new Promise((resolve) => {
    const err = formError();
    const ok = submit ? h('button', { type: 'submit', class: ['btn', danger ? 'danger' : 'primary'] }, bi(...submit)) : null;
    const cancel = h('button', { type: 'button', class: 'btn', value: 'cancel' }, submit ? bi('取消', 'Cancel') : bi('关闭', 'Close'));
    const titleId = nextId('dlg');
    const form = h(
      'form',
      { method: 'dialog', class: 'dialog-form', novalidate: true },
      h('h2', { id: titleId }, Array.isArray(title) ? bi(...title) : title),
      intro ? h('div', { class: 'dialog-intro' }, intro) : null,
      err,
      h('div', { class: 'dialog-fields' }, fields),
      h('div', { class: 'dialog-actions' }, cancel, ok),
    );
    const dlg = h('dialog', { class: ['dialog', wide && 'wide'], 'aria-labelledby': titleId }, form);
    let result = null;
    const close = () => {
      dlg.close();
      dlg.remove();
      resolve(result);
    };
    cancel.addEventListener('click', close);
    dlg.addEventListener('cancel', (e) => {
      e.preventDefault();
      close();
    });
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!ok) return;
      clearErrors(form);
      ok.disabled = true;
      try {
        result = onSubmit ? await onSubmit(form) : true;
        if (result === undefined) result = true;
        close();
      } catch (ex) {
        showError(form, ex);
      } finally {
        ok.disabled = false;
      }
    });
    document.body.appendChild(dlg);
    dlg.showModal();
    onOpen?.(() => {
      if (dlg.open) close();
    });
    const first = form.querySelector('.dialog-fields input, .dialog-fields select, .dialog-fields textarea, .dialog-fields button');
    (first || ok || cancel).focus();
  });
}

// Asks for a reason (the server wants one for reveals, merges, erasure, corrections).
export function askReason({ title, intro, submit, danger, onSubmit, extra = [], label = ['理由', 'Reason'], hint }) {
  const reason = textarea({ rows: 3, maxlength: 500 });
  return dialog({
    title,
    intro,
    submit,
    danger,
    fields: [...extra, field({ name: 'reason', label, control: reason, hint: hint ?? '至少 4 个字。At least 4 characters.', wide: true, required: true })],
    onSubmit: (form) => onSubmit(reason.value.trim(), form),
  });
}

export function confirm({ title, intro, submit, danger }) {
  return dialog({ title, intro, submit, danger, onSubmit: async () => true });
}

// ------------------------------------------------------------------ tables and paging

// A "load more" button bound to a cursor-paged endpoint. `fetchPage(cursor)` returns
// {items, next_cursor}; `addItems(items, first)` renders them.
//
// Loads may overlap (a filter clicked twice while a page is on its way): each reset()
// starts a new generation, and an answer from an older generation is dropped, so a
// page is never added twice nor after the list was cleared. A load() while one of the
// same generation is in flight returns that one.
export function pager(fetchPage, addItems, { empty } = {}) {
  let cursor = null;
  let first = true;
  let generation = 0;
  let inflight = null; // {generation, promise}
  const status = h('p', { class: 'pager-status muted', role: 'status' });
  const more = h('button', { type: 'button', class: 'btn' }, bi('加载更多', 'Load more'));
  const el = h('div', { class: 'pager' }, status, more);
  el.dataset.generation = '0';
  const run = async (gen, isFirst, from) => {
    more.disabled = true;
    status.classList.remove('error-text');
    status.textContent = '加载中… Loading…';
    try {
      const page = await fetchPage(isFirst ? null : from);
      if (gen !== generation) return; // a newer reset owns the list now
      addItems(page.items || [], isFirst);
      if (isFirst && !(page.items || []).length) status.textContent = empty || '没有记录。Nothing found.';
      else status.textContent = '';
      first = false;
      cursor = page.next_cursor;
      more.hidden = !cursor;
    } catch (e) {
      if (gen !== generation) return;
      status.textContent = e.message;
      status.classList.add('error-text');
    } finally {
      if (gen === generation) {
        more.disabled = false;
        inflight = null;
        el.dataset.loaded = String(gen);
      }
    }
  };
  const load = () => {
    if (inflight && inflight.generation === generation) return inflight.promise;
    const promise = run(generation, first, cursor);
    inflight = { generation, promise };
    return promise;
  };
  more.addEventListener('click', () => load());
  return {
    el,
    load,
    reset() {
      generation += 1;
      el.dataset.generation = String(generation);
      first = true;
      cursor = null;
      inflight = null;
      return load();
    },
  };
}

export function pageHeader(title, ...actions) {
  return h('header', { class: 'page-header' }, h('h1', null, Array.isArray(title) ? bi(...title) : title), h('div', { class: 'actions' }, actions));
}

export function section(title, ...children) {
  return h('section', { class: 'card' }, h('h2', null, Array.isArray(title) ? bi(...title) : title), ...children);
}

export { mount };
