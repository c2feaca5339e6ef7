// locations.js — 库房 Locations (D37): the storeroom tree (building > room > cabinet >
// shelf > box) with capacity, records and vacant places; new places for roles that
// configure the catalogue; and the vacant finder, which fills partly used boxes first.

import { get, post } from '../api.js';
import { bi, h, mount } from '../dom.js';
import { LOCATION_KINDS, LOCATION_ORDER, label } from '../labels.js';
import { can } from '../session.js';
import { busy, clearErrors, field, formError, input, pageHeader, section, select, showError, toast } from '../ui.js';
import { locationKind, locationTree, occupancy } from '../catalogue.js';

export async function locationsView({ root }) {
  const config = can('catalogue_config');
  let parent = null;

  const parentText = h('span', { class: 'loc-chosen', 'data-testid': 'selected-location' });
  const tree = locationTree({
    onSelect: (loc) => setParent(loc),
    // A box's spine label (D36): one customer's file, or the range of file numbers.
    extra: (loc) => (loc.kind === 'box' ? h('a', { class: 'small', href: `/api/v1/locations/${loc.id}/label`, target: '_blank', rel: 'noopener', 'aria-label': `盒脊标签 Spine label ${loc.label}` }, '标签 label') : null),
  });

  // New place.
  const kind = h('select', { id: 'new-location-kind' });
  const code = input({ maxlength: 32, spellcheck: 'false', autocapitalize: 'off' });
  const name = input({ maxlength: 200 });
  const capacity = input({ type: 'number', min: 0, max: 1000000, step: 1, inputmode: 'numeric' });
  const create = h('button', { type: 'submit', class: 'btn primary' }, bi('新建位置', 'Add location'));
  const createForm = h(
    'form',
    { class: 'form-grid loc-form', novalidate: true },
    formError(),
    h('div', { class: 'field wide' }, h('span', { class: 'label-like' }, bi('上级位置', 'Inside')), parentText),
    field({ name: 'kind', label: ['类型', 'Kind'], control: kind, required: true }),
    field({ name: 'code', label: ['代码', 'Code'], control: code, required: true, hint: '如 A、101、G01、3。e.g. A, 101, G01, 3' }),
    field({ name: 'name', label: ['名称', 'Name'], control: name, hint: '如：101 库房。Optional.' }),
    field({ name: 'capacity', label: ['容量（件）', 'Capacity (records)'], control: capacity, hint: '空着表示不限。Empty: no limit.' }),
    h('div', { class: 'form-actions' }, create),
  );
  const syncKinds = () => {
    const from = parent ? LOCATION_ORDER.indexOf(parent.kind) + 1 : 0;
    const allowed = parent ? LOCATION_ORDER.slice(from) : ['building'];
    const keep = allowed.includes(kind.value) ? kind.value : allowed[0];
    mount(kind, allowed.map((k) => h('option', { value: k }, label(LOCATION_KINDS, k))));
    kind.value = keep || '';
    create.disabled = !allowed.length;
  };
  const setParent = (loc) => {
    parent = loc;
    parentText.textContent = loc ? loc.label : '（无：新建楼 none: a new building）';
    syncKinds();
    vacantUnder.textContent = loc ? loc.label : '全部库房 everywhere';
  };
  createForm.addEventListener('submit', (e) => {
    e.preventDefault();
    clearErrors(createForm);
    if (!code.value.trim()) return showError(createForm, { field: 'code', message: '请填写代码。Enter a code.' });
    busy(
      create,
      async () => {
        const body = { kind: kind.value, code: code.value.trim() };
        if (name.value.trim()) body.name = name.value.trim();
        if (parent) body.parent_id = parent.id;
        if (capacity.value !== '') body.capacity = Number(capacity.value);
        const made = await post('/api/v1/locations', body);
        toast(`已新建 ${made.label}。Location added.`);
        code.value = name.value = capacity.value = '';
        await tree.refresh(parent?.id);
      },
      createForm,
    );
  });

  // Vacant finder.
  const vacantUnder = h('span', { class: 'loc-chosen' });
  const needed = input({ type: 'number', min: 1, max: 100000, step: 1, value: '1', inputmode: 'numeric' });
  const find = h('button', { type: 'submit', class: 'btn' }, bi('查找空位', 'Find vacant places'));
  const vacantOut = h('div', { class: 'vacant-out', role: 'status' });
  const vacantForm = h(
    'form',
    { class: 'form-grid', novalidate: true },
    formError(),
    h('div', { class: 'field wide' }, h('span', { class: 'label-like' }, bi('范围', 'Within')), vacantUnder),
    field({ name: 'needed', label: ['需要放入（件）', 'Records to place'], control: needed }),
    h('div', { class: 'field' }, h('span', { class: 'label-spacer', 'aria-hidden': 'true' }, ' '), find),
  );
  vacantForm.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(
      find,
      async () => {
        const within = parent;
        const out = await get('/api/v1/locations/vacant', { under: within?.id, needed: needed.value || 1 });
        const items = out.items || [];
        mount(
          vacantOut,
          h(
            'p',
            { class: out.enough ? 'ok-text' : 'error-text', 'data-testid': 'vacant-summary' },
            out.enough ? `够放：${out.vacant} 个空位。Enough room: ${out.vacant} places.` : `不够：只有 ${out.vacant} 个空位。Not enough: ${out.vacant} places.`,
          ),
          items.length
            ? h(
                'table',
                { class: 'grid compact vacant-table' },
                h('thead', null, h('tr', null, ['位置 Location', '占用 Used', '空位 Vacant'].map((t) => h('th', { scope: 'col' }, t)))),
                h(
                  'tbody',
                  null,
                  items.map((l) =>
                    h(
                      'tr',
                      { dataset: { locationId: l.id } },
                      // Within a selected place, the part of the path below it is enough.
                      h('td', null, locationKind(l.kind), ' ', within && l.label.startsWith(`${within.label} / `) ? l.label.slice(within.label.length + 3) : l.label),
                      h('td', { class: 'nowrap' }, occupancy(l)),
                      h('td', { class: 'num' }, l.vacant),
                    ),
                  ),
                ),
              )
            : null,
        );
      },
      vacantForm,
    );
  });

  setParent(null);
  mount(
    root,
    pageHeader(['库房位置', 'Locations']),
    h(
      'div',
      { class: 'locations-layout' },
      section(['库房位置树', 'Storeroom tree'], h('p', { class: 'muted small' }, config ? '点名称选中一个位置：新位置建在它下面，查找空位也限于它。Select a place to add inside it or to search within it.' : '点名称选中一个位置，查找空位限于它。Select a place to search within it.'), tree.el),
      h(
        'div',
        { class: 'locations-side' },
        section(['查找空位', 'Vacant finder'], vacantForm, vacantOut),
        config ? section(['新建位置', 'New location'], createForm) : null,
      ),
    ),
  );
  await tree.reload();
}
