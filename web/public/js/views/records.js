// records.js — 档案 Records: the catalogue list (filters, sort, "load more") and the
// search (ranked results with highlighted snippets, facet counts that filter, "did you
// mean"). The portal's 档案检索 is the same view: the server leaves out what a patron may
// not see, and shows controlled records as their catalogue entry only.

import { get, post } from '../api.js';
import { bi, h, mount } from '../dom.js';
import { ACCESS_LEVELS, CARRIERS, RECORD_STATUS, label, zh } from '../labels.js';
import { navigate, setQuery } from '../router.js';
import { can } from '../session.js';
import { badge, field, formError, input, notice, pageHeader, pager, select, showError } from '../ui.js';
import { accessBadge, categoryPath, categorySelect, fondsSelect, reference, snippet, statusBadge } from '../catalogue.js';

const SORTS = {
  id: ['登记顺序', 'Filed'],
  reference_code: ['档号', 'Reference code'],
  title: ['题名', 'Title'],
  '-year': ['年度（新→旧）', 'Year, newest'],
  year: ['年度（旧→新）', 'Year, oldest'],
  '-updated_at': ['最近更新', 'Updated'],
};
const FILTERS = ['fonds_id', 'category_id', 'year_from', 'year_to', 'access_level', 'carrier'];
const FACET_ORDER = [
  ['category', ['类别', 'Category']],
  ['fonds', ['全宗', 'Fonds']],
  ['year', ['年度', 'Year']],
  ['access_level', ['密级', 'Access level']],
  ['carrier', ['载体', 'Carrier']],
];
const SEARCH_LIMIT = 20;

export function recordHref(id) {
  return `/records/${id}`;
}

export async function recordsView({ query, root, portal = false }) {
  const ref = await reference();
  const levels = portal || !can('record_secret') ? { open: ACCESS_LEVELS.open, controlled: ACCESS_LEVELS.controlled } : ACCESS_LEVELS;

  const q = input({ type: 'search', value: query.q || '', class: 'search-input', 'aria-label': '检索 Search', placeholder: '题名、档号、主题词、责任者、全文；简繁体、拼音、English' });
  const go = h('button', { type: 'submit', class: 'btn primary' }, bi('检索', 'Search'));
  const clear = h('button', { type: 'button', class: 'btn ghost' }, bi('清除', 'Clear'));
  const c = {
    fonds_id: fondsSelect(ref, { value: query.fonds_id, blank: '全部 All' }),
    category_id: categorySelect(ref, { value: query.category_id, blank: '全部 All' }),
    year_from: input({ type: 'number', min: 1000, max: 9999, step: 1, inputmode: 'numeric', value: query.year_from || '', placeholder: 'YYYY' }),
    year_to: input({ type: 'number', min: 1000, max: 9999, step: 1, inputmode: 'numeric', value: query.year_to || '', placeholder: 'YYYY' }),
    access_level: select(levels, { value: query.access_level || '', blank: '全部 All' }),
    carrier: select(CARRIERS, { value: query.carrier || '', blank: '全部 All' }),
    status: select(RECORD_STATUS, { value: query.status || 'active' }),
    sort: select(SORTS, { value: query.sort || 'id' }),
  };
  const err = formError();
  const statusField = field({ name: 'status', label: ['状态', 'Status'], control: c.status });
  const sortField = field({ name: 'sort', label: ['排序', 'Sort'], control: c.sort });
  const form = h(
    'form',
    { class: 'record-search', role: 'search', novalidate: true },
    h('div', { class: 'toolbar' }, q, go, clear),
    h(
      'div',
      { class: 'filters' },
      err,
      portal ? null : field({ name: 'fonds_id', label: ['全宗', 'Fonds'], control: c.fonds_id }),
      field({ name: 'category_id', label: ['类别', 'Category'], control: c.category_id }),
      field({ name: 'year_from', label: ['起始年度', 'Year from'], control: c.year_from }),
      field({ name: 'year_to', label: ['截止年度', 'Year to'], control: c.year_to }),
      field({ name: 'access_level', label: ['密级', 'Access level'], control: c.access_level }),
      field({ name: 'carrier', label: ['载体', 'Carrier'], control: c.carrier }),
      portal ? null : statusField,
      sortField,
    ),
  );

  const params = () => {
    const out = { q: q.value.trim() };
    for (const k of FILTERS) out[k] = c[k].value.trim();
    if (!portal && c.status.value !== 'active') out.status = c.status.value;
    if (c.sort.value !== 'id') out.sort = c.sort.value;
    return out;
  };

  const summary = h('div', { class: 'search-summary', role: 'status' });
  const facets = h('aside', { class: 'facets', 'aria-label': '分面筛选 Facets' });
  const results = h('div', { class: 'results-main' });
  const layout = h('div', { class: 'results-layout' }, facets, results);

  // ---------------------------------------------------------------- list mode
  const listRow = (r) => {
    const href = recordHref(r.id);
    const tr = h(
      'tr',
      { class: 'clickable', dataset: { id: r.id } },
      h('td', { class: 'mono nowrap' }, r.reference_code),
      h(
        'td',
        { class: 'title-cell' },
        h('a', { href, class: 'name-link' }, r.title),
        r.important ? h('span', { class: 'star', title: '重要档案 important' }, ' ★') : null,
        r.content_hidden ? h('div', { class: 'sub' }, '仅目录信息 catalogue entry only') : null,
      ),
      h('td', { class: 'num' }, r.year ?? '—'),
      portal ? null : h('td', null, r.fonds?.code ?? '—'),
      h('td', null, categoryPath(ref, r.category?.id) || r.category?.name || '—'),
      h('td', null, accessBadge(r.access_level)),
      h('td', null, zh(CARRIERS, r.carrier)),
      portal ? null : h('td', null, r.retention?.name ?? '—'),
      portal ? null : h('td', null, statusBadge(r.status)),
    );
    tr.addEventListener('click', (e) => {
      if (e.target.closest('a')) return;
      navigate(href);
    });
    return tr;
  };
  const heads = portal
    ? ['档号 Code', '题名 Title', '年度 Year', '类别 Category', '密级 Access', '载体 Carrier']
    : ['档号 Code', '题名 Title', '年度 Year', '全宗 Fonds', '类别 Category', '密级 Access', '载体 Carrier', '保管期限 Retention', '状态 Status'];

  const showList = async () => {
    facets.hidden = true;
    layout.classList.remove('with-facets');
    mount(summary);
    const tbody = h('tbody');
    const table = h('table', { class: 'grid records-table', 'aria-label': '档案列表 Record list' }, h('thead', null, h('tr', null, heads.map((t) => h('th', { scope: 'col' }, t)))), tbody);
    const p = params();
    delete p.q;
    const list = pager(
      async (cursor) => {
        try {
          return await get('/api/v1/records', { ...p, cursor, limit: 50 });
        } catch (e) {
          showError(form, e);
          throw e;
        }
      },
      (items, first) => {
        if (first) tbody.replaceChildren();
        tbody.append(...items.map(listRow));
      },
      { empty: '没有符合条件的档案。No records match.' },
    );
    mount(results, h('div', { class: 'table-wrap' }, table), list.el);
    await list.load();
  };

  // ---------------------------------------------------------------- search mode
  const facetName = (key, value) => {
    if (key === 'fonds') return ref.fondsById.get(Number(value))?.name ?? `#${value}`;
    if (key === 'category') return ref.categoryById.get(Number(value))?.name ?? `#${value}`;
    if (key === 'access_level') return label(ACCESS_LEVELS, value);
    if (key === 'carrier') return label(CARRIERS, value);
    return String(value);
  };
  // Which filter a facet value sets, and whether it is the one in force.
  const facetFilter = (key, value) => {
    if (key === 'fonds') return { fonds_id: String(value) };
    if (key === 'category') return { category_id: String(value) };
    if (key === 'year') return { year_from: String(value), year_to: String(value) };
    return { [key]: String(value) };
  };
  const facetActive = (key, value) => Object.entries(facetFilter(key, value)).every(([k, v]) => c[k].value === v);
  const renderFacets = (data) => {
    const groups = [];
    for (const [key, title] of FACET_ORDER) {
      let values = data.facets?.[key];
      if (!Array.isArray(values) || !values.length) continue;
      if (key === 'year') values = [...values].sort((a, b) => Number(b.value) - Number(a.value));
      values = values.slice(0, 12);
      groups.push(
        h(
          'section',
          { class: 'facet', dataset: { facet: key } },
          h('h2', null, bi(...title)),
          h(
            'ul',
            null,
            values.map((v) => {
              const active = facetActive(key, v.value);
              return h(
                'li',
                null,
                h(
                  'button',
                  {
                    type: 'button',
                    class: ['facet-value', active && 'active'],
                    'aria-pressed': active ? 'true' : 'false',
                    dataset: { value: v.value },
                    onclick: () => {
                      const set = facetFilter(key, v.value);
                      for (const [k, val] of Object.entries(set)) c[k].value = active ? '' : val;
                      run();
                    },
                  },
                  h('span', { class: 'facet-label' }, v.label ?? facetName(key, v.value)),
                  h('span', { class: 'facet-count' }, String(v.count)),
                ),
              );
            }),
          ),
        ),
      );
    }
    mount(facets, groups);
    facets.hidden = !groups.length;
    layout.classList.toggle('with-facets', groups.length > 0);
  };

  const hitItem = (hit, searchId) => {
    const href = recordHref(hit.id);
    const opened = () => {
      if (searchId) post(`/api/v1/search/${encodeURIComponent(searchId)}/opened`, { record_id: hit.id }).catch(() => {});
    };
    const meta = [
      hit.year != null ? `${hit.year}` : null,
      portal ? null : ref.fondsById.get(hit.fonds_id)?.name,
      categoryPath(ref, hit.category_id) || null,
      hit.carrier ? zh(CARRIERS, hit.carrier) : null,
    ].filter(Boolean);
    return h(
      'li',
      { class: 'hit', dataset: { id: hit.id } },
      h(
        'div',
        { class: 'hit-head' },
        h('a', { href, class: 'hit-title', onclick: opened }, hit.title),
        hit.access_level ? accessBadge(hit.access_level) : null,
        hit.content_hidden ? badge('仅目录 catalogue entry', 'entry-only') : null,
      ),
      h('div', { class: 'hit-code mono' }, hit.reference_code),
      hit.snippet ? h('p', { class: 'hit-snippet' }, snippet(hit.snippet)) : null,
      h('div', { class: 'hit-meta muted small' }, meta.join(' · '), portal || hit.score == null ? null : h('span', { class: 'hit-score', title: '相关度 relevance × 重要度 importance' }, ` · 得分 score ${Number(hit.score).toFixed(2)}`)),
    );
  };

  let generation = 0;
  const showSearch = async () => {
    const gen = generation;
    const p = params();
    delete p.sort;
    delete p.status;
    const list = h('ol', { class: 'hits', 'aria-label': '检索结果 Search results' });
    let searchId = null;
    let shown = 0;
    const more = pager(
      async (cursor) => {
        const extra = cursor ? (cursor.startsWith('offset:') ? { offset: cursor.slice(7) } : { cursor }) : {};
        let data;
        try {
          data = await get('/api/v1/search', { ...p, limit: SEARCH_LIMIT, ...extra });
        } catch (e) {
          showError(form, e);
          facets.hidden = true;
          layout.classList.remove('with-facets');
          mount(summary, notice('error', e.status === 404 ? '检索服务暂不可用。Search is not available yet.' : e.message));
          throw e;
        }
        const items = data.items || [];
        if (!cursor && gen === generation) {
          searchId = data.search_id ?? null;
          shown = 0;
          renderSummary(data);
          renderFacets(data);
        }
        shown += items.length;
        let next = data.next_cursor ?? null;
        if (!next && typeof data.total === 'number' && shown < data.total && items.length === SEARCH_LIMIT) next = `offset:${shown}`;
        return { items, next_cursor: next };
      },
      (items, first) => {
        if (first) list.replaceChildren();
        list.append(...items.map((hit) => hitItem(hit, searchId)));
      },
      { empty: '没有找到。Nothing found.' },
    );
    mount(results, list, more.el);
    await more.load();
  };

  const renderSummary = (data) => {
    const total = data.total ?? (data.items || []).length;
    const parts = [h('span', { class: 'total' }, `共 ${total}${data.total_exact === false ? '+' : ''} 条 `, h('span', { class: 'en' }, `${total} found`))];
    if (data.suggestion) {
      parts.push(
        ' ',
        h(
          'span',
          { class: 'did-you-mean', 'data-testid': 'suggestion' },
          '您是不是要找 Did you mean: ',
          h(
            'a',
            {
              href: '#',
              onclick: (e) => {
                e.preventDefault();
                q.value = data.suggestion;
                run();
              },
            },
            data.suggestion,
          ),
        ),
      );
    }
    mount(summary, h('p', null, parts));
  };

  // ---------------------------------------------------------------- running
  const run = async (e) => {
    e?.preventDefault();
    generation++;
    const p = params();
    setQuery(p);
    const searching = !!p.q;
    sortField.hidden = searching;
    statusField.hidden = searching;
    return searching ? showSearch() : showList();
  };
  form.addEventListener('submit', run);
  for (const k of ['fonds_id', 'category_id', 'access_level', 'carrier', 'status', 'sort']) c[k].addEventListener('change', () => run());
  for (const k of ['year_from', 'year_to']) c[k].addEventListener('change', () => run());
  clear.addEventListener('click', () => {
    q.value = '';
    for (const k of FILTERS) c[k].value = '';
    c.status.value = 'active';
    c.sort.value = 'id';
    run();
  });

  mount(
    root,
    pageHeader(
      portal ? ['档案检索', 'Search the catalogue'] : ['档案', 'Records'],
      !portal && can('record_write') ? h('a', { class: 'btn primary', href: '/records/new' }, bi('新建档案', 'New record')) : null,
    ),
    portal ? notice('info', '开放档案可直接查阅；控制档案仅显示目录信息，经审批借阅后开放内容。Open records can be read; controlled records show their catalogue entry only until a manager approves lending one to you.') : null,
    form,
    summary,
    layout,
  );
  q.focus();
  await run();
}
