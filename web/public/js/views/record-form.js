// record-form.js — the record form: 新建档案 (with the reference code it will get, asked
// of the server while the form is filled in) and the archivist's edit.
//
// Creating sends what was filled in; fonds, category and retention left on "default"
// take the configured defaults. Editing sends only what changed, with If-Match: the
// version read, so two archivists cannot overwrite each other. The reference code never
// changes, and a record moves to another place through 移动 Move, not this form.

import { post, request } from '../api.js';
import { bi, h, mount } from '../dom.js';
import { splitList } from '../format.js';
import { ACCESS_LEVELS, CARRIERS } from '../labels.js';
import { navigate } from '../router.js';
import { can } from '../session.js';
import { clearErrors, field, formError, input, pageHeader, select, showError, textarea, toast } from '../ui.js';
import { categorySelect, chooseLocation, fondsSelect, reference, retentionSelect } from '../catalogue.js';

const DATE_HINT = 'YYYY、YYYY-MM 或 YYYY-MM-DD';

// Returns {el, focus()}. `record` is the record as read (edit) or null (create).
export function recordForm({ mode, record = null, ref, onSaved, onCancel }) {
  const creating = mode === 'create';
  const r = record || {};
  const err = formError();
  const levels = can('record_secret') ? ACCESS_LEVELS : { open: ACCESS_LEVELS.open, controlled: ACCESS_LEVELS.controlled };

  const c = {
    title: input({ maxlength: 500, value: r.title || '' }),
    description: textarea({ rows: 4, maxlength: 20000, value: r.description || '' }),
    keywords: input({ maxlength: 1000, value: (r.keywords || []).join('，') }),
    creator: input({ maxlength: 200, value: r.creator || '' }),
    year: input({ type: 'number', min: 1000, max: 9999, step: 1, inputmode: 'numeric', value: r.year ?? '' }),
    date_from: input({ maxlength: 10, value: r.date_from || '', placeholder: 'YYYY-MM-DD', spellcheck: 'false' }),
    date_to: input({ maxlength: 10, value: r.date_to || '', placeholder: 'YYYY-MM-DD', spellcheck: 'false' }),
    fonds_id: fondsSelect(ref, creating ? { blank: '默认 Default' } : { value: r.fonds?.id }),
    category_id: categorySelect(ref, creating ? { blank: '默认 Default' } : { value: r.category?.id }),
    retention: retentionSelect(ref, creating ? { blank: '默认 Default' } : { value: r.retention?.code }),
    access_level: select(levels, creating ? { blank: '— 请选择 Choose —' } : { value: r.access_level }),
    carrier: select(CARRIERS, { value: r.carrier || 'paper' }),
    pages: input({ type: 'number', min: 0, max: 1000000, step: 1, inputmode: 'numeric', value: r.pages ?? '' }),
    patron_id: input({ type: 'number', min: 1, step: 1, inputmode: 'numeric', value: r.patron_id ?? '' }),
    important: h('input', { type: 'checkbox', checked: !!r.important }),
    source_authority: input({ type: 'number', min: 0, max: 10, step: 1, inputmode: 'numeric', value: r.source_authority ?? '' }),
    holder: input({ maxlength: 500, value: r.rights?.holder || '' }),
    licence: input({ maxlength: 500, value: r.rights?.licence || '' }),
    reproduction: select({ '': ['未说明', 'Not stated'], yes: ['允许复制', 'Allowed'], no: ['不允许复制', 'Not allowed'] }, { value: r.rights?.reproduction_allowed === true ? 'yes' : r.rights?.reproduction_allowed === false ? 'no' : '' }),
    note: input({ maxlength: 500, value: r.rights?.note || '' }),
    embargo_until: input({ maxlength: 10, value: r.embargo_until || '', placeholder: 'YYYY-MM-DD', spellcheck: 'false' }),
  };
  // Where the record is filed (create only; later it moves with 移动 Move).
  let location = null;
  const locText = h('span', { class: 'loc-chosen muted', 'data-testid': 'chosen-location' }, '未指定 None');
  const locClear = h('button', { type: 'button', class: 'btn tiny', hidden: true }, bi('清除', 'Clear'));
  const locChoose = h('button', { type: 'button', class: 'btn small' }, bi('选择位置…', 'Choose a location…'));
  const setLocation = (loc) => {
    location = loc;
    locText.textContent = loc ? loc.label : '未指定 None';
    locText.classList.toggle('muted', !loc);
    locClear.hidden = !loc;
    refreshPreview();
  };
  locChoose.addEventListener('click', async () => {
    const loc = await chooseLocation();
    if (loc) setLocation(loc);
    locChoose.focus();
  });
  locClear.addEventListener('click', () => setLocation(null));
  const locationField = h(
    'div',
    { class: 'field span2', dataset: { field: 'location_id' } },
    h('span', { class: 'label-like' }, bi('存放位置', 'Location')),
    h('div', { class: 'loc-field' }, locText, locChoose, locClear),
    h('div', { class: 'hint' }, '从库房位置树中选择，或查找空位。From the storeroom tree or the vacant finder.'),
    h('div', { class: 'field-error' }),
  );

  // The code the record will get (create only).
  const preview = h('div', { class: 'code-preview', role: 'status', 'aria-live': 'polite', 'data-testid': 'code-preview' });
  let previewTimer = null;
  let previewSeq = 0;
  const previewBody = () => {
    const b = {};
    if (c.fonds_id.value) b.fonds_id = Number(c.fonds_id.value);
    if (c.category_id.value) b.category_id = Number(c.category_id.value);
    if (c.retention.value) b.retention = c.retention.value;
    if (c.year.value) b.year = Number(c.year.value);
    else if (/^\d{4}/.test(c.date_from.value.trim())) b.year = Number(c.date_from.value.trim().slice(0, 4));
    if (location) b.location_id = location.id;
    return b;
  };
  function refreshPreview() {
    if (!creating) return;
    clearTimeout(previewTimer);
    previewTimer = setTimeout(async () => {
      const seq = ++previewSeq;
      try {
        const out = await post('/api/v1/reference-schemes/preview', previewBody());
        if (seq !== previewSeq) return;
        mount(
          preview,
          h('div', { class: 'code-preview-label' }, bi('将获得档号', 'Reference code on saving')),
          h('div', { class: 'code-preview-code mono', 'data-testid': 'previewed-code' }, out.reference_code),
          h(
            'div',
            { class: 'muted small' },
            `方案 scheme ${out.scheme?.code ?? ''}: ${out.scheme?.template ?? ''}`,
            out.reuses_released_number ? ' · 复用已销户号码 reuses a closed file’s number' : '',
            ' · 保存时分配，同时建档时顺序号可能顺延 assigned on saving',
          ),
        );
        preview.classList.remove('bad');
      } catch (e) {
        if (seq !== previewSeq) return;
        mount(preview, h('div', { class: 'code-preview-label' }, bi('无法生成档号', 'No reference code yet')), h('div', { class: 'small' }, e.message));
        preview.classList.add('bad');
      }
    }, 250);
  }
  if (creating) for (const k of ['fonds_id', 'category_id', 'retention', 'year', 'date_from']) c[k].addEventListener('change', refreshPreview);

  const group = (title, nodes, cls) => h('fieldset', { class: ['form-group', cls] }, h('legend', null, bi(...title)), h('div', { class: 'form-grid' }, nodes));
  const check = (name, control, zhL, enL) => h('div', { class: 'field check', dataset: { field: name } }, h('label', null, control, ' ', bi(zhL, enL)), h('div', { class: 'field-error' }));

  const submit = h('button', { type: 'submit', class: 'btn primary' }, creating ? bi('建档', 'Create') : bi('保存', 'Save'));
  const cancel = onCancel ? h('button', { type: 'button', class: 'btn', onclick: onCancel }, bi('取消', 'Cancel')) : null;
  const form = h(
    'form',
    { class: 'record-form', novalidate: true },
    err,
    group(['著录', 'Description'], [
      field({ name: 'title', label: ['题名', 'Title'], control: c.title, wide: true, required: true }),
      field({ name: 'description', label: ['内容描述', 'Description'], control: c.description, wide: true }),
      field({ name: 'keywords', label: ['主题词', 'Keywords'], control: c.keywords, hint: '用逗号或顿号分隔。Separate with commas.' }),
      field({ name: 'creator', label: ['责任者', 'Creator'], control: c.creator }),
      field({ name: 'date_from', label: ['起始日期', 'Date from'], control: c.date_from, hint: DATE_HINT }),
      field({ name: 'date_to', label: ['截止日期', 'Date to'], control: c.date_to, hint: DATE_HINT }),
    ]),
    group(
      ['分类与档号', 'Classification and reference code'],
      [
        field({ name: 'fonds_id', label: ['全宗', 'Fonds'], control: c.fonds_id }),
        field({ name: 'category_id', label: ['类别', 'Category'], control: c.category_id }),
        field({ name: 'year', label: ['年度', 'Year'], control: c.year, hint: creating ? '空着则取起始日期的年份或今年。Empty: the start date’s year, else this year.' : null }),
        field({ name: 'retention', label: ['保管期限', 'Retention'], control: c.retention }),
        creating ? h('div', { class: 'wide' }, preview) : h('div', { class: 'field wide' }, h('span', { class: 'hint' }, `档号 ${r.reference_code} 不随修改而变。The reference code does not change.`)),
      ],
    ),
    group(['保管与利用', 'Custody and access'], [
      field({ name: 'access_level', label: ['密级', 'Access level'], control: c.access_level, required: true }),
      field({ name: 'carrier', label: ['载体', 'Carrier'], control: c.carrier }),
      field({ name: 'pages', label: ['页数', 'Pages'], control: c.pages }),
      creating ? locationField : null,
      field({ name: 'patron_id', label: ['关联用户编号', 'Linked patron id'], control: c.patron_id, hint: '客户档案所属的用户。The patron a customer file belongs to.' }),
      field({ name: 'source_authority', label: ['来源权威度', 'Source authority'], control: c.source_authority, hint: '0–10，影响检索排序。0–10; ranks search results.' }),
      check('important', c.important, '重要档案', 'Important'),
    ]),
    group(['权利', 'Rights'], [
      field({ name: 'rights.holder', label: ['权利人', 'Rights holder'], control: c.holder }),
      field({ name: 'rights.licence', label: ['许可', 'Licence'], control: c.licence }),
      field({ name: 'rights.reproduction_allowed', label: ['复制', 'Reproduction'], control: c.reproduction }),
      field({ name: 'embargo_until', label: ['限制利用至', 'Embargo until'], control: c.embargo_until, hint: DATE_HINT }),
      field({ name: 'rights.note', label: ['权利说明', 'Rights note'], control: c.note, wide: true }),
    ]),
    h('div', { class: 'form-actions' }, submit, cancel),
  );

  const rightsNow = () => {
    const out = {};
    if (c.holder.value.trim()) out.holder = c.holder.value.trim();
    if (c.licence.value.trim()) out.licence = c.licence.value.trim();
    if (c.reproduction.value) out.reproduction_allowed = c.reproduction.value === 'yes';
    if (c.note.value.trim()) out.note = c.note.value.trim();
    return out;
  };
  const num = (el) => (el.value.trim() === '' ? null : Number(el.value));

  const body = () => {
    const text = {
      title: c.title.value.trim(),
      description: c.description.value.trim(),
      creator: c.creator.value.trim(),
      date_from: c.date_from.value.trim(),
      date_to: c.date_to.value.trim(),
      embargo_until: c.embargo_until.value.trim(),
    };
    const keywords = splitList(c.keywords.value);
    const rights = rightsNow();
    const out = {};
    if (creating) {
      for (const [k, v] of Object.entries(text)) if (v) out[k] = v;
      if (keywords.length) out.keywords = keywords;
      if (c.year.value) out.year = num(c.year);
      if (c.fonds_id.value) out.fonds_id = Number(c.fonds_id.value);
      if (c.category_id.value) out.category_id = Number(c.category_id.value);
      if (c.retention.value) out.retention = c.retention.value;
      if (c.access_level.value) out.access_level = c.access_level.value;
      out.carrier = c.carrier.value;
      if (c.pages.value) out.pages = num(c.pages);
      if (c.patron_id.value) out.patron_id = num(c.patron_id);
      if (c.source_authority.value) out.source_authority = num(c.source_authority);
      if (c.important.checked) out.important = true;
      if (Object.keys(rights).length) out.rights = rights;
      if (location) out.location_id = location.id;
      return out;
    }
    for (const [k, v] of Object.entries(text)) {
      const before = r[k] ?? '';
      if (v !== before) out[k] = v === '' && k !== 'title' && k !== 'description' && k !== 'creator' ? null : v;
    }
    if (JSON.stringify(keywords) !== JSON.stringify(r.keywords || [])) out.keywords = keywords;
    if (num(c.year) !== (r.year ?? null)) out.year = num(c.year);
    if (Number(c.fonds_id.value) !== r.fonds?.id) out.fonds_id = Number(c.fonds_id.value);
    if (Number(c.category_id.value) !== r.category?.id) out.category_id = Number(c.category_id.value);
    if (c.retention.value !== r.retention?.code) out.retention = c.retention.value;
    if (c.access_level.value !== r.access_level) out.access_level = c.access_level.value;
    if (c.carrier.value !== r.carrier) out.carrier = c.carrier.value;
    if (num(c.pages) !== (r.pages ?? null)) out.pages = num(c.pages);
    if (num(c.patron_id) !== (r.patron_id ?? null)) out.patron_id = num(c.patron_id);
    if ((num(c.source_authority) ?? 0) !== (r.source_authority ?? 0)) out.source_authority = num(c.source_authority) ?? 0;
    if (c.important.checked !== !!r.important) out.important = c.important.checked;
    if (JSON.stringify(rights) !== JSON.stringify(r.rights || {})) out.rights = rights;
    return out;
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const b = body();
    if (!c.title.value.trim()) return showError(form, { field: 'title', message: '请填写题名。Enter the title.' });
    if (creating && !b.access_level) return showError(form, { field: 'access_level', message: '请选择密级。Choose the access level.' });
    if (!creating && !Object.keys(b).length) {
      err.hidden = false;
      err.textContent = '没有修改。Nothing changed.';
      return;
    }
    submit.disabled = true;
    try {
      let saved;
      if (creating) saved = await post('/api/v1/records', b);
      else ({ data: saved } = await request('PATCH', `/api/v1/records/${r.id}`, { body: b, headers: { 'If-Match': `"${r.version}"` } }));
      await onSaved(saved, b);
    } catch (ex) {
      if (ex.status === 409 && ex.field === 'version') {
        ex.message = `${ex.message}。此档案已被他人修改，请重新加载后再改。Someone else changed this record: reload and try again.`;
        ex.field = '';
      }
      // The API names rights errors "rights"; the form shows them under the rights group.
      if (ex.field === 'rights') ex.field = 'rights.holder';
      if (ex.field === 'fonds') ex.field = 'fonds_id';
      if (ex.field === 'category') ex.field = 'category_id';
      if (ex.field === 'retention_code') ex.field = 'retention';
      showError(form, ex);
    } finally {
      submit.disabled = false;
    }
  });

  if (creating) refreshPreview();
  return { el: form, focus: () => c.title.focus() };
}

export async function newRecordView({ root }) {
  const ref = await reference();
  const f = recordForm({
    mode: 'create',
    ref,
    onSaved: (created) => {
      toast(`已建档，档号 ${created.reference_code}。Record created.`);
      navigate(`/records/${created.id}`, { state: { created: true } });
    },
    onCancel: () => history.back(),
  });
  mount(root, pageHeader(['新建档案', 'New record']), h('div', { class: 'card form-card' }, f.el));
  f.focus();
}
