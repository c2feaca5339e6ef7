// demand.js — 检索需求 Unmet demand (seed 000 5.2.2 (1)): what people searched for and
// found nothing, or found nothing they opened, most searched first, with the weekly
// trend — terms the collection may lack, for acquisition planning.

import { get } from '../api.js';
import { bi, h, mount } from '../dom.js';
import { fmtTime } from '../format.js';
import { setQuery } from '../router.js';
import { field, formError, input, notice, pageHeader, showError } from '../ui.js';

const BARS = '▁▂▃▄▅▆▇█';

// The weekly counts as a text sparkline (CSP-safe: no inline styles), oldest first.
function trend(weekly) {
  const weeks = [...(weekly || [])].sort((a, b) => (a.week < b.week ? -1 : 1));
  if (!weeks.length) return h('span', { class: 'muted' }, '—');
  const max = Math.max(...weeks.map((w) => w.count), 1);
  const line = weeks.map((w) => BARS[Math.min(BARS.length - 1, Math.round(((w.count / max) * (BARS.length - 1))))]).join('');
  const text = weeks.map((w) => `${w.week}: ${w.count}`).join('; ');
  return h('span', { class: 'sparkline', title: text, 'aria-label': `每周 weekly ${text}` }, line);
}

export async function demandView({ query, root }) {
  const from = input({ type: 'date', value: query.from || '' });
  const to = input({ type: 'date', value: query.to || '' });
  const err = formError();
  const form = h(
    'form',
    { class: 'filters', novalidate: true },
    err,
    field({ name: 'from', label: ['起始日期', 'From'], control: from }),
    field({ name: 'to', label: ['截止日期', 'To'], control: to }),
    h('div', { class: 'field' }, h('span', { class: 'label-spacer', 'aria-hidden': 'true' }, ' '), h('button', { type: 'submit', class: 'btn primary' }, bi('查询', 'Show'))),
  );
  const tbody = h('tbody');
  const table = h(
    'table',
    { class: 'grid demand-table' },
    h('thead', null, h('tr', null, ['检索词 Term', '检索次数 Searches', '无结果 Found nothing', '有结果未打开 Not opened', '最近检索 Last searched', '每周趋势 Weekly trend'].map((t) => h('th', { scope: 'col' }, t)))),
    tbody,
  );
  const status = h('div', { role: 'status' });
  const load = async () => {
    mount(status);
    let out;
    try {
      out = await get('/api/v1/search/unmet-demand', { from: from.value, to: to.value, limit: 100 });
    } catch (e) {
      showError(form, e);
      if (e.status === 404) mount(status, notice('error', '检索服务暂不可用。Search is not available yet.'));
      return;
    }
    const items = out.items || [];
    tbody.replaceChildren(
      ...items.map((d) =>
        h(
          'tr',
          { dataset: { term: d.term } },
          h('td', null, h('a', { href: `/records?q=${encodeURIComponent(d.term)}` }, d.term)),
          h('td', { class: 'num' }, d.searches),
          h('td', { class: 'num' }, d.found_nothing),
          h('td', { class: 'num' }, d.not_opened),
          h('td', { class: 'nowrap' }, fmtTime(d.last_searched_at)),
          h('td', null, trend(d.weekly)),
        ),
      ),
    );
    if (!items.length) mount(status, h('p', { class: 'muted' }, '这段时间没有未满足的检索。No unmet searches in this period.'));
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    setQuery({ from: from.value, to: to.value });
    load();
  });
  mount(
    root,
    pageHeader(['检索需求', 'Unmet demand']),
    h('p', { class: 'muted' }, '没有找到结果、或找到了却没有人打开的检索，按检索次数排列：馆藏可能缺少的主题，供征集参考。Searches that found nothing, or nothing anyone opened: what the collection may lack.'),
    form,
    h('div', { class: 'table-wrap' }, table),
    status,
  );
  await load();
}
