// patrons.js — the patron list: search, filters, sort, "load more".

import { get } from '../api.js';
import { bi, h, mount } from '../dom.js';
import { fmtDay, isMaskedText } from '../format.js';
import { PATRON_STATUS, PATRON_TYPES, zh } from '../labels.js';
import { navigate, setQuery } from '../router.js';
import { can } from '../session.js';
import { busy, input, pageHeader, pager, select } from '../ui.js';

const SORTS = {
  id: ['编号', 'ID'],
  name: ['姓名', 'Name'],
  '-created_at': ['最新建档', 'Newest'],
  '-updated_at': ['最近更新', 'Updated'],
};

export function patronName(p) {
  if (p.name) return p.name;
  return p.type === 'person' ? '（已去标识 de-identified）' : '—';
}

// A link to patron `id` in a staff list, named as the list's API shows the patron to this
// viewer (`patron_name`: null when the viewer's role may not see it), else '#id'.
export function patronLink(id, name, prefix = '') {
  return h('a', { href: `/patrons/${id}`, class: 'patron-link' }, name ? `${prefix}${name}` : `${prefix}#${id}`);
}

// Finding a patron by name, phone or ID number for a form's patron-number field `idInput`:
// a search box, the hits as buttons, and who was chosen (cleared when the number is typed).
// `phone`: show each hit's first phone. Returns the block — the number's field (`idField`,
// made with field()) beside the search, as one full-width row of the form — and focus()
// for the search box.
export function patronFinder(idInput, idField, { onPick, phone = false } = {}) {
  const who = h('div', { class: 'picked-patron muted', 'aria-live': 'polite' });
  const find = input({ type: 'search', class: 'search-input', placeholder: '姓名、电话、证件号 Name, phone, ID', 'aria-label': '查找用户 Find a patron' });
  const findBtn = h('button', { type: 'button', class: 'btn' }, bi('查找', 'Find'));
  const hits = h('ul', { class: 'patron-hits', 'aria-label': '查找结果 Patrons found' });
  const pick = (p) => {
    idInput.value = String(p.id);
    mount(who, `已选 Chosen: ${patronName(p)} (#${p.id})`);
    hits.replaceChildren();
    onPick?.(p);
  };
  const search = () =>
    busy(findBtn, async () => {
      const text = find.value.trim();
      if (!text) return;
      const page = await get('/api/v1/patrons', { q: text, limit: 8 });
      mount(
        hits,
        (page.items || []).length
          ? page.items.map((p) =>
              h('li', null, h('button', { type: 'button', class: 'btn small', dataset: { patron: p.id }, onclick: () => pick(p) }, `${patronName(p)} #${p.id}`, phone && p.phones?.[0] ? h('span', { class: 'muted' }, ` · ${p.phones[0]}`) : null)),
            )
          : h('li', { class: 'muted' }, '没有找到。Nothing found.'),
      );
    });
  findBtn.addEventListener('click', search);
  find.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      search();
    }
  });
  idInput.addEventListener('input', () => who.replaceChildren());
  return {
    el: h(
      'div',
      { class: 'wide patron-pick' },
      idField,
      h('div', { class: 'field patron-finder' }, h('span', { class: 'label', 'aria-hidden': 'true' }, bi('查找用户', 'Find a patron')), h('div', { class: 'toolbar' }, find, findBtn), who, hits),
    ),
    focus: () => find.focus(),
  };
}

function maskedCell(values) {
  if (!values || !values.length) return h('span', { class: 'muted' }, '—');
  return values.map((v) => h('div', { class: isMaskedText(v) ? 'masked-value' : null, title: isMaskedText(v) ? '已遮蔽 masked' : null }, v));
}

export async function patronsView({ query, root }) {
  const q = input({ type: 'search', value: query.q || '', placeholder: '姓名、拼音、电话、邮箱、证件号 Name, pinyin, phone, e-mail, ID', 'aria-label': '搜索 Search', class: 'search-input' });
  const type = select(PATRON_TYPES, { value: query.type || '', blank: '全部类型 All types', 'aria-label': '类型 Type' });
  const region = input({ value: query.region || '', placeholder: '地区 Region', 'aria-label': '地区 Region', size: 14 });
  const tag = input({ value: query.tag || '', placeholder: '标签 Tag', 'aria-label': '标签 Tag', size: 10 });
  const status = select({ active: PATRON_STATUS.active, erased: PATRON_STATUS.erased }, { value: query.status || 'active', 'aria-label': '状态 Status' });
  const sort = select(SORTS, { value: query.sort || 'id', 'aria-label': '排序 Sort' });
  const go = h('button', { type: 'submit', class: 'btn primary' }, bi('搜索', 'Search'));
  const reset = h('button', { type: 'button', class: 'btn ghost' }, bi('清除', 'Clear'));

  const tbody = h('tbody');
  const table = h(
    'table',
    { class: 'grid patrons-table', 'aria-label': '用户列表 Patron list' },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        ['编号 ID', '姓名 Name', '类型 Type', '地区 Region', '电话 Phone', '电子邮件 E-mail', '机构 Organisation', '标签 Tags', '更新 Updated'].map((t) => h('th', { scope: 'col' }, t)),
      ),
    ),
    tbody,
  );

  const params = () => ({
    q: q.value.trim(),
    type: type.value,
    region: region.value.trim(),
    tag: tag.value.trim(),
    status: status.value === 'active' ? '' : status.value,
    sort: sort.value === 'id' ? '' : sort.value,
  });

  const row = (p) => {
    const href = `/patrons/${p.id}`;
    const tr = h(
      'tr',
      { class: 'clickable', dataset: { id: p.id } },
      h('td', { class: 'num' }, p.id),
      h('td', null, h('a', { href, class: 'name-link' }, patronName(p)), p.name_latin && p.name_latin !== p.name ? h('div', { class: 'sub' }, p.name_latin) : null),
      h('td', null, zh(PATRON_TYPES, p.type)),
      h('td', null, p.region || '—'),
      h('td', { class: 'mono' }, maskedCell(p.phones)),
      h('td', { class: 'mono' }, maskedCell(p.emails)),
      h('td', null, p.organisation_name || '—'),
      h('td', null, (p.tags || []).map((t) => h('span', { class: 'chip tag' }, t))),
      h('td', { class: 'nowrap' }, fmtDay(p.updated_at)),
    );
    tr.addEventListener('click', (e) => {
      if (e.target.closest('a')) return;
      navigate(href);
    });
    return tr;
  };

  const list = pager(
    (cursor) => get('/api/v1/patrons', { ...params(), cursor, limit: 50 }),
    (items, first) => {
      if (first) tbody.replaceChildren();
      tbody.append(...items.map(row));
    },
    { empty: '没有符合条件的用户。No patrons match.' },
  );

  const form = h(
    'form',
    { class: 'toolbar', role: 'search' },
    q,
    type,
    region,
    tag,
    status,
    h('label', { class: 'inline' }, '排序 Sort ', sort),
    go,
    reset,
  );
  const run = (e) => {
    e?.preventDefault();
    setQuery(params());
    list.reset();
  };
  form.addEventListener('submit', run);
  for (const s of [type, status, sort]) s.addEventListener('change', run);
  reset.addEventListener('click', () => {
    q.value = region.value = tag.value = '';
    type.value = '';
    status.value = 'active';
    sort.value = 'id';
    run();
  });

  mount(
    root,
    pageHeader(['用户', 'Patrons'], can('patron_write') ? h('a', { class: 'btn primary', href: '/patrons/new' }, bi('新建用户', 'New patron')) : null),
    form,
    h('div', { class: 'table-wrap' }, table),
    list.el,
  );
  q.focus();
  await list.load();
}
