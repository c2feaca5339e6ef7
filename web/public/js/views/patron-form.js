// patron-form.js — the patron form: create, staff edit, and the portal's own-data edit.
//
// Edits send only what changed (PATCH with If-Match: the version read). A masked
// value cannot be edited until it is revealed, since the form would otherwise send the
// mask back. Name and ID document are key fields: changing them needs a reason and
// becomes a correction that a second person approves (the server says so in
// pending_key_changes).

import { post, request } from '../api.js';
import { bi, h, mount } from '../dom.js';
import { splitList } from '../format.js';
import { CHANNELS, CONSENTS, GENDERS, ID_TYPES, LANGUAGES, ORG_SIZES, PATRON_TYPES } from '../labels.js';
import { navigate } from '../router.js';
import { clearErrors, field, formError, input, pageHeader, select, showError, textarea, toast } from '../ui.js';

// Which form inputs each mode shows. `self` is what a patron may change in the portal.
const SELF_FIELDS = new Set([
  'phones',
  'emails',
  'region',
  'address',
  'postcode',
  'preferred_channel',
  'preferred_language',
  'preferred_contact_times',
  'special_needs',
  'consents',
]);

const TEXT = {
  name: { label: ['姓名 / 名称', 'Name'], max: 200 },
  name_latin: { label: ['拼音 / 外文名', 'Latin name'], max: 200 },
  household_registration: { label: ['户籍', 'Household registration'], max: 100, person: true },
  region: { label: ['地区', 'Region'], max: 100 },
  address: { label: ['地址', 'Address'], max: 500, wide: true },
  postcode: { label: ['邮政编码', 'Postcode'], max: 6, attrs: { inputmode: 'numeric', pattern: '[0-9]{6}' } },
  education: { label: ['学历', 'Education'], max: 50, person: true },
  occupation: { label: ['职业', 'Occupation'], max: 100, person: true },
  organisation_name: { label: ['所属机构', 'Organisation'], max: 200, person: true },
  organisation_relation: { label: ['与机构关系', 'Relation to organisation'], max: 100, person: true },
  sector: { label: ['行业', 'Sector'], max: 100 },
  preferred_contact_times: { label: ['方便联系时间', 'Contact times'], max: 200 },
  economic_status: { label: ['经济状况', 'Economic status'], max: 100, person: true },
  special_needs: { label: ['特殊服务需求', 'Special needs'], max: 500, wide: true },
  staff_notes: { label: ['工作人员备注', 'Staff notes'], max: 2000, wide: true, area: true },
};
const ENUMS = {
  gender: { label: ['性别', 'Gender'], table: GENDERS, person: true },
  organisation_size: { label: ['规模', 'Size'], table: ORG_SIZES },
  preferred_channel: { label: ['首选渠道', 'Preferred channel'], table: CHANNELS },
  preferred_language: { label: ['首选语言', 'Preferred language'], table: LANGUAGES },
};

const MASK_HINT = '已遮蔽：先“显示”再修改。Masked: reveal it first to change it.';

// Builds the form. `patron` is the record as shown (null when creating); `revealed`
// holds unmasked values the user revealed on this page. Returns {el, focus()}.
export function patronForm({ mode, patron = null, revealed = {}, onSaved, onCancel }) {
  const creating = mode === 'create';
  const self = mode === 'self';
  const masked = new Set(patron?.masked || []);
  const cur = (name) => (name in revealed ? revealed[name] : patron ? patron[name] : null);
  const isHidden = (name) => masked.has(name) && !(name in revealed);
  const shows = (name) => !self || SELF_FIELDS.has(name);
  const controls = {};
  const err = formError();

  const typeSel = creating ? select(PATRON_TYPES, { value: 'person' }) : null;
  const isPerson = () => (creating ? typeSel.value === 'person' : patron.type === 'person');

  const text = (name) => {
    const spec = TEXT[name];
    const locked = !creating && isHidden(name);
    const value = locked ? String(patron[name] ?? '已隐藏 hidden') : (cur(name) ?? '');
    const c = spec.area
      ? textarea({ rows: 3, maxlength: spec.max, value, disabled: locked })
      : input({ maxlength: spec.max, value, disabled: locked, ...(locked ? {} : spec.attrs || {}) });
    controls[name] = { kind: 'text', el: c, initial: value, locked };
    return field({ name, label: spec.label, control: c, wide: spec.wide, hint: locked ? MASK_HINT : null, required: name === 'name' });
  };
  const enumeration = (name) => {
    const spec = ENUMS[name];
    const value = cur(name) ?? '';
    const c = select(spec.table, { value, blank: '—' });
    controls[name] = { kind: 'text', el: c, initial: value };
    return field({ name, label: spec.label, control: c });
  };
  const list = (name, label, hint, one = true) => {
    const locked = !creating && isHidden(name);
    const values = cur(name) || [];
    const value = values.join(one ? '\n' : ', ');
    const c = textarea({ rows: one ? 2 : 1, value, disabled: locked });
    controls[name] = { kind: 'list', el: c, initial: values };
    return field({ name, label, control: c, hint: locked ? MASK_HINT : hint });
  };

  const personOnly = [];
  const person = (node) => (personOnly.push(node), node);

  // Identity
  const identity = [];
  if (creating) identity.push(field({ name: 'type', label: ['类型', 'Type'], control: typeSel, required: true }));
  if (shows('name')) identity.push(text('name'));
  if (shows('name_latin')) identity.push(text('name_latin'));
  if (shows('gender')) identity.push(person(enumeration('gender')));
  if (shows('birth_date')) {
    const locked = !creating && isHidden('birth_date');
    const value = locked ? String(patron.birth_date ?? '') : (cur('birth_date') ?? '');
    const c = locked ? input({ value, disabled: true }) : input({ type: 'date', value, min: '1880-01-01' });
    controls.birth_date = { kind: 'text', el: c, initial: value, locked };
    identity.push(person(field({ name: 'birth_date', label: ['出生日期', 'Birth date'], control: c, hint: locked ? MASK_HINT : null })));
  }
  if (shows('id_document')) {
    const locked = !creating && isHidden('id_document');
    const doc = cur('id_document');
    const t = select(ID_TYPES, { value: doc?.type || '', blank: '— 无 None —', disabled: locked });
    const n = input({ maxlength: 40, value: doc?.number || '', disabled: locked, autocapitalize: 'characters', spellcheck: 'false' });
    controls.id_document = { kind: 'doc', type: t, number: n, initial: doc ? { ...doc } : null, locked };
    identity.push(field({ name: 'id_document.type', label: ['证件类型', 'ID type'], control: t }));
    identity.push(field({ name: 'id_document.number', label: ['证件号码', 'ID number'], control: n, hint: locked ? MASK_HINT : null }));
  }
  if (shows('household_registration')) identity.push(person(text('household_registration')));

  // Contacts
  const contacts = [];
  if (shows('phones')) contacts.push(list('phones', ['电话', 'Phones'], '每行一个。One per line.'));
  if (shows('emails')) contacts.push(list('emails', ['电子邮件', 'E-mails'], '每行一个。One per line.'));
  if (shows('preferred_channel')) contacts.push(enumeration('preferred_channel'));
  if (shows('preferred_language')) contacts.push(enumeration('preferred_language'));
  if (shows('preferred_contact_times')) contacts.push(text('preferred_contact_times'));

  // Address
  const address = ['region', 'postcode', 'address'].filter(shows).map(text);

  // Profile
  const profile = [];
  for (const n of ['education', 'occupation']) if (shows(n)) profile.push(person(text(n)));
  if (shows('interests')) profile.push(list('interests', ['兴趣主题', 'Interests'], '用逗号分隔。Separate with commas.', false));
  if (shows('tags')) profile.push(list('tags', ['标签', 'Tags'], '用逗号分隔。Separate with commas.', false));
  if (shows('special_needs')) profile.push(text('special_needs'));
  if (shows('economic_status')) profile.push(person(text('economic_status')));
  if (shows('staff_notes')) profile.push(text('staff_notes'));

  // Organisation
  const org = [];
  for (const n of ['organisation_name', 'organisation_relation']) if (shows(n)) org.push(person(text(n)));
  if (shows('organisation_id')) {
    const value = cur('organisation_id') ?? '';
    const c = input({ type: 'number', min: 1, step: 1, value: String(value), inputmode: 'numeric' });
    controls.organisation_id = { kind: 'int', el: c, initial: value === '' ? '' : String(value) };
    org.push(person(field({ name: 'organisation_id', label: ['机构用户编号', 'Organisation patron id'], control: c, hint: '该机构在本系统中的用户编号。The organisation’s patron id.' })));
  }
  if (shows('sector')) org.push(text('sector'));
  if (shows('organisation_size')) org.push(enumeration('organisation_size'));

  // Consents
  const consents = [];
  if (shows('consents')) {
    for (const [k, [zhL, enL]] of Object.entries(CONSENTS)) {
      const given = !!patron?.consents?.[k]?.given;
      const c = h('input', { type: 'checkbox', checked: given });
      controls[`consents.${k}`] = { kind: 'bool', el: c, initial: given, consent: k };
      consents.push(h('div', { class: 'field check', dataset: { field: `consents.${k}` } }, h('label', null, c, ' ', bi(`同意${zhL}`, `${enL} consent`)), h('div', { class: 'field-error' })));
    }
  }

  // Reason for key-field corrections (staff edits only).
  let reason = null;
  const reasonBlock = [];
  if (mode === 'edit') {
    reason = textarea({ rows: 2, maxlength: 500 });
    reasonBlock.push(
      field({
        name: 'reason',
        label: ['更正理由', 'Reason for correction'],
        control: reason,
        wide: true,
        hint: '修改姓名或证件（关键字段）须填写理由，并由另一人审批。Changing the name or ID document needs a reason and a second person’s approval.',
      }),
    );
  }

  const group = (title, nodes, cls) => (nodes.length ? h('fieldset', { class: ['form-group', cls] }, h('legend', null, bi(...title)), h('div', { class: 'form-grid' }, nodes)) : null);
  const submit = h('button', { type: 'submit', class: 'btn primary' }, creating ? bi('建档', 'Create') : bi('保存', 'Save'));
  const cancel = onCancel ? h('button', { type: 'button', class: 'btn', onclick: onCancel }, bi('取消', 'Cancel')) : null;
  const form = h(
    'form',
    { class: 'patron-form', novalidate: true },
    err,
    group(['身份', 'Identity'], identity),
    reasonBlock.length ? group(['关键字段更正', 'Key-field correction'], reasonBlock) : null,
    group(['联系方式', 'Contacts'], contacts),
    group(['地址', 'Address'], address),
    group(['画像', 'Profile'], profile),
    group(['机构', 'Organisation'], org, 'org-group'),
    group(['授权同意', 'Consents'], consents),
    h('div', { class: 'form-actions' }, submit, cancel),
  );

  const syncType = () => {
    const p = isPerson();
    for (const n of personOnly) n.hidden = !p;
  };
  if (typeSel) typeSel.addEventListener('change', syncType);
  syncType();

  // The request body: everything given when creating; only changes when editing.
  const body = () => {
    const out = {};
    if (creating) out.type = typeSel.value;
    const p = isPerson();
    for (const [name, c] of Object.entries(controls)) {
      if (c.locked) continue;
      if (creating && !p && personOnly.some((n) => n.contains(c.el || c.type))) continue;
      if (c.kind === 'text') {
        const v = c.el.value.trim();
        if (creating) {
          if (v) out[name] = v;
        } else if (v !== String(c.initial ?? '')) out[name] = v === '' ? null : v;
      } else if (c.kind === 'int') {
        const v = c.el.value.trim();
        if (creating) {
          if (v) out[name] = Number(v);
        } else if (v !== c.initial) out[name] = v === '' ? null : Number(v);
      } else if (c.kind === 'list') {
        const v = splitList(c.el.value);
        if (creating) {
          if (v.length) out[name] = v;
        } else if (JSON.stringify(v) !== JSON.stringify(c.initial)) out[name] = v;
      } else if (c.kind === 'bool') {
        if (creating || c.el.checked !== c.initial) (out.consents ||= {})[c.consent] = c.el.checked;
      } else if (c.kind === 'doc') {
        const t = c.type.value;
        const n = c.number.value.trim().replace(/\s+/g, '');
        const now = t || n ? { type: t, number: n } : null;
        if (creating) {
          if (now) out.id_document = now;
        } else {
          const before = c.initial;
          const same = (!now && !before) || (now && before && now.type === before.type && now.number.toUpperCase() === String(before.number).toUpperCase());
          if (!same) out.id_document = now;
        }
      }
    }
    if (reason && reason.value.trim()) out.reason = reason.value.trim();
    return out;
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const b = body();
    if (!creating && Object.keys(b).filter((k) => k !== 'reason').length === 0) {
      err.hidden = false;
      err.textContent = '没有修改。Nothing changed.';
      return;
    }
    const doc = b.id_document;
    if (doc && !doc.type) return showError(form, { field: 'id_document.type', message: '请选择证件类型。Choose the ID type.' });
    submit.disabled = true;
    try {
      let saved;
      if (creating) {
        saved = await post('/api/v1/patrons', b);
      } else {
        const path = `/api/v1/patrons/${patron.id}`;
        ({ data: saved } = await request('PATCH', path, { body: b, headers: { 'If-Match': `"${patron.version}"` } }));
      }
      await onSaved(saved, b);
    } catch (ex) {
      if (ex.status === 409 && ex.field === 'version') {
        ex.message = `${ex.message}。此用户已被他人修改，请重新加载后再改。Someone else changed this patron: reload and try again.`;
        ex.field = '';
      }
      showError(form, ex);
    } finally {
      submit.disabled = false;
    }
  });

  return {
    el: form,
    focus: () => form.querySelector('input:not([disabled]),select:not([disabled]),textarea:not([disabled])')?.focus(),
  };
}

export function newPatronView({ root }) {
  const f = patronForm({
    mode: 'create',
    onSaved: (created) => {
      toast(`已建档 #${created.id}。Patron created.`);
      navigate(`/patrons/${created.id}`, { state: { created: true, duplicates: created.duplicate_candidates || [] } });
    },
    onCancel: () => history.back(),
  });
  mount(root, pageHeader(['新建用户', 'New patron']), h('div', { class: 'card form-card' }, f.el));
  f.focus();
}
