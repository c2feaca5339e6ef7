// catalogue-settings.js — 目录设置 Catalogue settings: fonds (全宗), the category tree
// (门类/类别), retention periods (保管期限) and reference-code schemes (档号方案), with
// the template's placeholders explained and an example rendered as it is typed.

import { get, patch, post, request } from '../api.js';
import { bi, h, mount } from '../dom.js';
import { can } from '../session.js';
import { busy, clearErrors, dialog, field, formError, input, notice, pageHeader, section, showError, textarea, toast } from '../ui.js';
import { categoryPath, categorySelect, fondsSelect, forgetReference, reference } from '../catalogue.js';

const TABS = {
  fonds: ['全宗', 'Fonds'],
  categories: ['类别', 'Categories'],
  retention: ['保管期限', 'Retention periods'],
  schemes: ['档号方案', 'Reference-code schemes'],
};

const PLACEHOLDERS = [
  ['{unit}', '单位代号（全宗所属单位的代码）', 'unit code'],
  ['{fonds}', '全宗号', 'fonds code'],
  ['{category}', '类别号（末级）', 'category code'],
  ['{category_path}', '类目路径，如 KJ.JJ', 'category path'],
  ['{year}', '年度', 'year'],
  ['{retention}', '保管期限代码，如 Y、D30', 'retention code'],
  ['{cabinet}', '柜号（需指定存放位置）', 'cabinet, from the location'],
  ['{box}', '盒号（需指定存放位置）', 'box, from the location'],
  ['{seq} / {seq:N}', '顺序号，N 位补零；必须且只能有一个', 'the sequence number, N digits; exactly one'],
];

// The template with sample values, so a typo shows before saving. The server checks again.
export function exampleCode(tmpl, sample) {
  let seqs = 0;
  const unknown = [];
  const out = tmpl.replace(/\{([a-z_]+)(?::(\d+))?\}/g, (m, name, width) => {
    if (name === 'seq') {
      seqs++;
      return width ? '1'.padStart(Number(width), '0') : '1';
    }
    if (name in sample) return sample[name];
    unknown.push(m);
    return m;
  });
  return { out, seqs, unknown };
}

export async function catalogueSettingsView({ query, root }) {
  const tab = TABS[query.tab] ? query.tab : 'fonds';
  const tabs = h(
    'nav',
    { class: 'tabs', 'aria-label': '目录设置 Catalogue settings' },
    Object.entries(TABS).map(([k, l]) => h('a', { href: `/catalogue-settings?tab=${k}`, class: ['tab', k === tab && 'active'], 'aria-current': k === tab ? 'page' : null }, bi(...l))),
  );
  const content = h('div');
  mount(root, pageHeader(['目录设置', 'Catalogue settings']), tabs, content);
  forgetReference();
  const ref = await reference();
  if (tab === 'fonds') return fondsTab(content, ref);
  if (tab === 'categories') return categoriesTab(content, ref);
  if (tab === 'retention') return retentionTab(content, ref);
  return schemesTab(content, ref);
}

// Re-renders a tab after a change, with fresh reference data.
async function again(root, render) {
  forgetReference();
  const ref = await reference();
  return render(root, ref);
}

// ------------------------------------------------------------------ fonds

async function fondsTab(root, ref) {
  let units = [];
  try {
    units = (await get('/api/v1/units')).items || [];
  } catch {
    units = [];
  }
  const unitName = (id) => {
    const u = units.find((x) => x.id === id);
    return u ? `${u.name} (${u.code})` : id ? `#${id}` : '—';
  };
  const unitSelect = (value) => h('select', { value: value == null ? '' : String(value) }, h('option', { value: '' }, '— 无 None —'), units.map((u) => h('option', { value: String(u.id) }, `${u.name} (${u.code})`)));

  const edit = (f) => {
    const name = input({ maxlength: 200, value: f.name });
    const unit = unitSelect(f.unit_id);
    const description = textarea({ rows: 3, maxlength: 2000, value: f.description || '' });
    return dialog({
      title: ['修改全宗', 'Edit fonds'],
      intro: h('p', null, h('span', { class: 'mono' }, f.code), ' · 全宗号不可修改。The code does not change.'),
      fields: [
        field({ name: 'name', label: ['名称', 'Name'], control: name, required: true }),
        field({ name: 'unit_id', label: ['所属单位', 'Unit'], control: unit, hint: '档号模板中的 {unit} 取此单位代码。{unit} in templates.' }),
        field({ name: 'description', label: ['说明', 'Description'], control: description, wide: true }),
      ],
      submit: ['保存', 'Save'],
      onSubmit: async () => {
        await patch(`/api/v1/fonds/${f.id}`, { name: name.value.trim(), unit_id: unit.value ? Number(unit.value) : null, description: description.value.trim() });
        toast('已保存。Saved.');
        await again(root, fondsTab);
      },
    });
  };

  const table = h(
    'table',
    { class: 'grid fonds-table' },
    h('thead', null, h('tr', null, ['全宗号 Code', '名称 Name', '所属单位 Unit', '说明 Description', ''].map((t) => h('th', { scope: 'col' }, t)))),
    h(
      'tbody',
      null,
      ref.fonds.map((f) =>
        h(
          'tr',
          { dataset: { code: f.code } },
          h('td', { class: 'mono' }, f.code),
          h('td', null, f.name),
          h('td', null, unitName(f.unit_id)),
          h('td', { class: 'wrap' }, f.description || ''),
          h('td', null, h('button', { type: 'button', class: 'btn tiny', onclick: () => edit(f), 'aria-label': `修改 Edit ${f.code}` }, bi('修改', 'Edit'))),
        ),
      ),
    ),
  );

  const code = input({ maxlength: 32, spellcheck: 'false', autocapitalize: 'characters' });
  const name = input({ maxlength: 200 });
  const unit = unitSelect(null);
  const description = input({ maxlength: 2000 });
  const add = h('button', { type: 'submit', class: 'btn primary' }, bi('新建全宗', 'Add fonds'));
  const form = h(
    'form',
    { class: 'form-grid', novalidate: true },
    formError(),
    field({ name: 'code', label: ['全宗号', 'Code'], control: code, required: true, hint: '字母、数字、- _ .' }),
    field({ name: 'name', label: ['名称', 'Name'], control: name, required: true }),
    field({ name: 'unit_id', label: ['所属单位', 'Unit'], control: unit }),
    field({ name: 'description', label: ['说明', 'Description'], control: description }),
    h('div', { class: 'form-actions' }, add),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    clearErrors(form);
    busy(
      add,
      async () => {
        const body = { code: code.value.trim(), name: name.value.trim() };
        if (unit.value) body.unit_id = Number(unit.value);
        if (description.value.trim()) body.description = description.value.trim();
        await post('/api/v1/fonds', body);
        toast(`已新建全宗 ${body.code}。Fonds added.`);
        await again(root, fondsTab);
      },
      form,
    );
  });
  mount(root, h('div', { class: 'table-wrap' }, table), section(['新建全宗', 'New fonds'], form));
}

// ------------------------------------------------------------------ categories

function categoriesTab(root, ref) {
  const rename = (c) => {
    const name = input({ maxlength: 200, value: c.name });
    return dialog({
      title: ['修改类别名称', 'Rename category'],
      intro: h('p', null, h('span', { class: 'mono' }, c.code), ' · 类别号不可修改，它是档号的一部分。The code is part of reference codes and does not change.'),
      fields: [field({ name: 'name', label: ['名称', 'Name'], control: name, required: true })],
      submit: ['保存', 'Save'],
      onSubmit: async () => {
        await patch(`/api/v1/categories/${c.id}`, { name: name.value.trim() });
        toast('已保存。Saved.');
        await again(root, categoriesTab);
      },
    });
  };
  const tree = h(
    'ul',
    { class: 'category-tree', 'aria-label': '类别树 Category tree' },
    ref.categories.map((c) =>
      h(
        'li',
        { class: `depth-${Math.min(c.depth || 0, 6)}`, dataset: { categoryId: c.id, code: c.code } },
        h('span', { class: 'mono cat-code' }, c.code),
        h('span', { class: 'cat-name' }, c.name),
        h('span', { class: 'muted small' }, `${c.records} 件 records`),
        h('button', { type: 'button', class: 'btn tiny', onclick: () => rename(c), 'aria-label': `改名 Rename ${c.code}` }, bi('改名', 'Rename')),
      ),
    ),
  );
  const parent = categorySelect(ref, { blank: '（顶级 top level）' });
  const code = input({ maxlength: 32, spellcheck: 'false', autocapitalize: 'characters' });
  const name = input({ maxlength: 200 });
  const add = h('button', { type: 'submit', class: 'btn primary' }, bi('新建类别', 'Add category'));
  const form = h(
    'form',
    { class: 'form-grid', novalidate: true },
    formError(),
    field({ name: 'parent_id', label: ['上级类别', 'Parent'], control: parent }),
    field({ name: 'code', label: ['类别号', 'Code'], control: code, required: true, hint: '如 WS、KJ、JJ。e.g. WS' }),
    field({ name: 'name', label: ['名称', 'Name'], control: name, required: true }),
    h('div', { class: 'form-actions' }, add),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    clearErrors(form);
    busy(
      add,
      async () => {
        const body = { code: code.value.trim(), name: name.value.trim() };
        if (parent.value) body.parent_id = Number(parent.value);
        await post('/api/v1/categories', body);
        toast(`已新建类别 ${body.code}。Category added.`);
        await again(root, categoriesTab);
      },
      form,
    );
  });
  mount(root, section(['类别树', 'Category tree'], tree), section(['新建类别', 'New category'], form));
}

// ------------------------------------------------------------------ retention periods

function retentionTab(root, ref) {
  const yearsInput = (v) => input({ type: 'number', min: 1, max: 1000, step: 1, inputmode: 'numeric', value: v ?? '', placeholder: '永久 permanent' });
  const edit = (r) => {
    const name = input({ maxlength: 200, value: r.name });
    const years = yearsInput(r.years);
    const position = input({ type: 'number', step: 1, value: String(r.position) });
    return dialog({
      title: ['修改保管期限', 'Edit retention period'],
      intro: notice('warn', '改变年限会重新计算所有使用此期限的档案的保管期满日期。Changing the years moves the end date of every record with this period.'),
      fields: [
        field({ name: 'name', label: ['名称', 'Name'], control: name, required: true }),
        field({ name: 'years', label: ['年限', 'Years'], control: years, hint: '空着表示永久。Empty: permanent.' }),
        field({ name: 'position', label: ['排序', 'Position'], control: position }),
      ],
      submit: ['保存', 'Save'],
      onSubmit: async () => {
        await request('PUT', `/api/v1/retention-periods/${encodeURIComponent(r.code)}`, {
          body: { name: name.value.trim(), years: years.value === '' ? null : Number(years.value), position: Number(position.value || 0) },
        });
        toast('已保存。Saved.');
        await again(root, retentionTab);
      },
    });
  };
  const table = h(
    'table',
    { class: 'grid retention-table' },
    h('thead', null, h('tr', null, ['代码 Code', '名称 Name', '年限 Years', '排序 Position', ''].map((t) => h('th', { scope: 'col' }, t)))),
    h(
      'tbody',
      null,
      ref.retention.map((r) =>
        h(
          'tr',
          { dataset: { code: r.code } },
          h('td', { class: 'mono' }, r.code),
          h('td', null, r.name),
          h('td', null, r.years == null ? '永久 permanent' : `${r.years} 年 years`),
          h('td', { class: 'num' }, r.position),
          h('td', null, h('button', { type: 'button', class: 'btn tiny', onclick: () => edit(r), 'aria-label': `修改 Edit ${r.code}` }, bi('修改', 'Edit'))),
        ),
      ),
    ),
  );
  const code = input({ maxlength: 32, spellcheck: 'false', autocapitalize: 'characters' });
  const name = input({ maxlength: 200 });
  const years = yearsInput(null);
  const add = h('button', { type: 'submit', class: 'btn primary' }, bi('新增期限', 'Add period'));
  const form = h(
    'form',
    { class: 'form-grid', novalidate: true },
    formError(),
    field({ name: 'code', label: ['代码', 'Code'], control: code, required: true, hint: '如 D20。e.g. D20' }),
    field({ name: 'name', label: ['名称', 'Name'], control: name, required: true, hint: '如 定期20年' }),
    field({ name: 'years', label: ['年限', 'Years'], control: years, hint: '空着表示永久。Empty: permanent.' }),
    h('div', { class: 'form-actions' }, add),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    clearErrors(form);
    if (!code.value.trim()) return showError(form, { field: 'code', message: '请填写代码。Enter a code.' });
    if (ref.retentionByCode.has(code.value.trim())) return showError(form, { field: 'code', message: '此代码已存在，请用“修改”。This code exists: use Edit.' });
    busy(
      add,
      async () => {
        const position = Math.max(0, ...ref.retention.map((r) => r.position)) + 1;
        await request('PUT', `/api/v1/retention-periods/${encodeURIComponent(code.value.trim())}`, { body: { name: name.value.trim(), years: years.value === '' ? null : Number(years.value), position } });
        toast('已新增。Added.');
        await again(root, retentionTab);
      },
      form,
    );
  });
  mount(
    root,
    h('p', { class: 'muted' }, '保管期满日期 = 年度 + 年限 的当年 12 月 31 日；永久保管的档案不进入鉴定。Retention ends on 31 December of year + years; permanent records are never due.'),
    h('div', { class: 'table-wrap' }, table),
    section(['新增保管期限', 'New retention period'], form),
  );
}

// ------------------------------------------------------------------ schemes

function schemesTab(root, ref) {
  const year = String(new Date().getFullYear());
  const sampleFor = (fondsId, categoryId) => {
    // Without a scope, the fonds and category most records have.
    const most = (list) => list.reduce((a, b) => ((b.records ?? 0) > (a?.records ?? -1) ? b : a), null);
    // The first fonds is the one made at first start, the default.
    const f = ref.fondsById.get(Number(fondsId)) || ref.fonds.reduce((a, b) => (!a || b.id < a.id ? b : a), null);
    const c = ref.categoryById.get(Number(categoryId)) || most(ref.categories);
    const path = [];
    for (let x = c, i = 0; x && i < 20; x = x.parent_id ? ref.categoryById.get(x.parent_id) : null, i++) path.unshift(x.code);
    return { unit: 'DA', fonds: f?.code ?? 'QZ01', category: c?.code ?? 'WS', category_path: path.join('.') || 'WS', year, retention: ref.retention[0]?.code ?? 'Y', cabinet: 'G01', box: '3' };
  };
  const exampleLine = (tmpl, sample) => {
    if (!tmpl.trim()) return h('span', { class: 'muted' }, '—');
    const ex = exampleCode(tmpl, sample);
    const problems = [];
    if (ex.seqs !== 1) problems.push(ex.seqs ? '只能有一个 {seq}。Exactly one {seq}.' : '缺少 {seq} 或 {seq:N}。Needs {seq} or {seq:N}.');
    if (ex.unknown.length) problems.push(`未知占位符 unknown: ${ex.unknown.join(' ')}`);
    return [h('span', { class: 'mono example-code nowrap', 'data-testid': 'template-example' }, ex.out), problems.length ? h('div', { class: 'error-text small' }, problems.join(' ')) : null];
  };
  const scope = (s) => {
    const parts = [];
    if (s.fonds_id) parts.push(`全宗 ${ref.fondsById.get(s.fonds_id)?.code ?? `#${s.fonds_id}`}`);
    if (s.category_id) parts.push(`类别 ${categoryPath(ref, s.category_id) || `#${s.category_id}`}`);
    return parts.length ? parts.join(' · ') : '默认（其余全部）default';
  };

  const help = h(
    'div',
    { class: 'template-help' },
    h('p', null, '档号由最具体的方案生成：全宗+类别 > 类别 > 全宗 > 默认。模板中的占位符：The most specific scheme numbers a record (fonds+category, category, fonds, default). Placeholders:'),
    h('dl', { class: 'kv placeholders' }, PLACEHOLDERS.map(([p, z, e]) => [h('dt', { class: 'mono' }, p), h('dd', null, bi(z, e))])),
    h(
      'p',
      { class: 'small' },
      '例 Examples: ',
      h('span', { class: 'mono' }, '{fonds}-{category}-{year}-{retention}-{seq:04}'),
      ' → QZ01-WS-2026-Y-0001；公司代号—类别号—柜号—案卷顺序号 ',
      h('span', { class: 'mono' }, '{unit}-{category}-{cabinet}-{seq:04}'),
      '。“复用号码”的方案会把销户档案的号码给下一份档案，并留有记录。A scheme that reuses numbers gives a closed file’s number to the next record, traceably.',
    ),
  );

  const edit = (s) => {
    const name = input({ maxlength: 200, value: s.name });
    const template = input({ maxlength: 200, value: s.template, spellcheck: 'false', class: 'mono' });
    const reuse = h('input', { type: 'checkbox', checked: s.reuse_numbers });
    const example = h('div', { class: 'hint' });
    const sync = () => mount(example, '示例 Example: ', exampleLine(template.value, sampleFor(s.fonds_id, s.category_id)));
    template.addEventListener('input', sync);
    sync();
    return dialog({
      title: ['修改档号方案', 'Edit scheme'],
      intro: notice('warn', '修改模板只影响以后建档的档号；已有档号不变。A new template numbers new records only.'),
      fields: [
        field({ name: 'name', label: ['名称', 'Name'], control: name, required: true }),
        field({ name: 'template', label: ['档号模板', 'Template'], control: template, required: true }),
        example,
        h('div', { class: 'field check', dataset: { field: 'reuse_numbers' } }, h('label', null, reuse, ' ', bi('复用销户档案的号码', 'Reuse numbers of closed files')), h('div', { class: 'field-error' })),
      ],
      submit: ['保存', 'Save'],
      wide: true,
      onSubmit: async () => {
        await patch(`/api/v1/reference-schemes/${s.id}`, { name: name.value.trim(), template: template.value.trim(), reuse_numbers: reuse.checked });
        toast('已保存。Saved.');
        await again(root, schemesTab);
      },
    });
  };

  const load = async () => {
    const schemes = (await get('/api/v1/reference-schemes')).items || [];
    return h(
      'table',
      { class: 'grid schemes-table' },
      h('thead', null, h('tr', null, ['代码 Code', '名称 Name', '模板 Template', '适用范围 Scope', '复用号码 Reuse', '示例 Example', ''].map((t) => h('th', { scope: 'col' }, t)))),
      h(
        'tbody',
        null,
        schemes.map((s) =>
          h(
            'tr',
            { dataset: { code: s.code } },
            h('td', { class: 'mono' }, s.code),
            h('td', null, s.name),
            h('td', { class: 'mono' }, s.template),
            h('td', null, scope(s)),
            h('td', null, s.reuse_numbers ? '是 yes' : '否 no'),
            h('td', null, exampleLine(s.template, sampleFor(s.fonds_id, s.category_id))),
            h('td', null, h('button', { type: 'button', class: 'btn tiny', onclick: () => edit(s), 'aria-label': `修改 Edit ${s.code}` }, bi('修改', 'Edit'))),
          ),
        ),
      ),
    );
  };

  // New scheme.
  const code = input({ maxlength: 32, spellcheck: 'false' });
  const name = input({ maxlength: 200 });
  const template = input({ maxlength: 200, spellcheck: 'false', class: 'mono', placeholder: '{fonds}-{category}-{year}-{seq:04}' });
  const fonds = fondsSelect(ref, { blank: '任意 Any' });
  const category = categorySelect(ref, { blank: '任意 Any' });
  const reuse = h('input', { type: 'checkbox' });
  const example = h('div', { class: 'template-example' });
  const sync = () => {
    mount(example, h('span', { class: 'muted' }, '示例 Example: '), exampleLine(template.value, sampleFor(fonds.value, category.value)));
    // The server's complaint was about the template as it was.
    const box = template.closest('.field');
    if (box?.classList.contains('has-error')) {
      box.classList.remove('has-error');
      box.querySelector('.field-error').textContent = '';
      template.removeAttribute('aria-invalid');
    }
  };
  for (const el of [template, fonds, category]) el.addEventListener(el === template ? 'input' : 'change', sync);
  sync();
  const add = h('button', { type: 'submit', class: 'btn primary' }, bi('新建方案', 'Add scheme'));
  const form = h(
    'form',
    { class: 'form-grid scheme-form', novalidate: true },
    formError(),
    field({ name: 'code', label: ['代码', 'Code'], control: code, required: true }),
    field({ name: 'name', label: ['名称', 'Name'], control: name, required: true }),
    field({ name: 'template', label: ['档号模板', 'Template'], control: template, required: true, wide: true }),
    h('div', { class: 'field wide' }, example),
    field({ name: 'fonds_id', label: ['适用全宗', 'For fonds'], control: fonds }),
    field({ name: 'category_id', label: ['适用类别', 'For category'], control: category, hint: '含下级类别。Includes its subcategories.' }),
    h('div', { class: 'field check', dataset: { field: 'reuse_numbers' } }, h('label', null, reuse, ' ', bi('复用销户档案的号码', 'Reuse numbers of closed files')), h('div', { class: 'field-error' })),
    h('div', { class: 'form-actions' }, add),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    clearErrors(form);
    busy(
      add,
      async () => {
        const body = { code: code.value.trim(), name: name.value.trim(), template: template.value.trim() };
        if (fonds.value) body.fonds_id = Number(fonds.value);
        if (category.value) body.category_id = Number(category.value);
        if (reuse.checked) body.reuse_numbers = true;
        await post('/api/v1/reference-schemes', body);
        toast(`已新建方案 ${body.code}。Scheme added.`);
        await again(root, schemesTab);
      },
      form,
    );
  });

  // The code the next record would really get (the server's answer; archivists only).
  let tryOut = null;
  if (can('record_write')) {
    const tf = fondsSelect(ref, { blank: '默认 Default' });
    const tc = categorySelect(ref, { blank: '默认 Default' });
    const ty = input({ type: 'number', min: 1000, max: 9999, step: 1, value: year, inputmode: 'numeric' });
    const result = h('div', { class: 'code-preview', role: 'status', 'data-testid': 'scheme-preview' });
    const go = h('button', { type: 'submit', class: 'btn' }, bi('试算', 'Preview'));
    const tform = h(
      'form',
      { class: 'form-grid', novalidate: true },
      formError(),
      field({ name: 'fonds_id', label: ['全宗', 'Fonds'], control: tf }),
      field({ name: 'category_id', label: ['类别', 'Category'], control: tc }),
      field({ name: 'year', label: ['年度', 'Year'], control: ty }),
      h('div', { class: 'field' }, h('span', { class: 'label-spacer', 'aria-hidden': 'true' }, ' '), go),
      h('div', { class: 'wide' }, result),
    );
    tform.addEventListener('submit', (e) => {
      e.preventDefault();
      clearErrors(tform);
      busy(
        go,
        async () => {
          const body = {};
          if (tf.value) body.fonds_id = Number(tf.value);
          if (tc.value) body.category_id = Number(tc.value);
          if (ty.value) body.year = Number(ty.value);
          const out = await post('/api/v1/reference-schemes/preview', body);
          mount(
            result,
            h('div', { class: 'code-preview-label' }, bi('下一份档案将获得', 'The next record gets')),
            h('div', { class: 'code-preview-code mono' }, out.reference_code),
            h('div', { class: 'muted small' }, `方案 scheme ${out.scheme?.code}: ${out.scheme?.template}${out.reuses_released_number ? ' · 复用已销户号码 reuses a released number' : ''}`),
          );
        },
        tform,
      );
    });
    tryOut = section(['档号试算', 'Try a reference code'], h('p', { class: 'muted small' }, '按当前方案和计数器算出下一个档号，不占用号码。Nothing is reserved.'), tform);
  }

  const tableBox = h('div', { class: 'table-wrap' }, h('p', { class: 'loading' }, '加载中… Loading…'));
  mount(root, section(['模板说明', 'Template placeholders'], help), tableBox, section(['新建档号方案', 'New scheme'], form), tryOut);
  return load().then((t) => mount(tableBox, t));
}
