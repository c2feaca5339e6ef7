// feature-use.js — 功能使用 Feature use (D33): which portal pages, records, downloads and
// IVR menu paths patrons use, by count and unique patrons, with the trend per day; and,
// for service_config, the trace points themselves (on or off, how long kept).

import { get } from '../api.js';
import { bi, h, mount } from '../dom.js';
import { setQuery } from '../router.js';
import { can } from '../session.js';
import { badge, busy, input, notice, pageHeader, section, select, toast } from '../ui.js';
import { put } from '../service.js';

export const TRACE_POINTS = {
  portal_page: ['门户页面', 'Portal pages'],
  record_view: ['档案浏览', 'Record views'],
  download: ['附件下载', 'Downloads'],
  ivr: ['语音导航按键', 'IVR key paths'],
};

const day = (d) => d.toLocaleDateString('sv-SE', { timeZone: 'UTC' });

// Trend as bars, one per day, scaled to the busiest day.
function trendChart(trend) {
  const max = Math.max(1, ...trend.map((t) => t.count));
  return h(
    'div',
    { class: 'trend', role: 'img', 'aria-label': `每日次数 Per day: ${trend.map((t) => `${t.day} ${t.count}`).join(', ')}` },
    trend.map((t) => {
      const bar = h('div', { class: 'trend-bar' });
      // Through the CSSOM: the content security policy refuses style attributes.
      bar.style.height = `${Math.round((t.count / max) * 100)}%`;
      return h('div', { class: 'trend-day', title: `${t.day}: ${t.count} 次 times, ${t.patrons} 人 patrons` }, bar, h('div', { class: 'trend-label' }, t.day.slice(5)));
    }),
  );
}

function pointsSection(points, onChange) {
  const rows = points.map((p) => {
    const on = h('input', { type: 'checkbox', id: `tp-${p.kind}`, checked: p.enabled });
    const days = input({ type: 'number', min: 1, max: 3650, value: String(p.retention_days), 'aria-label': `${TRACE_POINTS[p.kind]?.[0] ?? p.kind} 保留天数 retention days`, class: 'narrow' });
    const save = h('button', { type: 'button', class: 'btn small' }, bi('保存', 'Save'));
    save.addEventListener('click', () =>
      busy(save, async () => {
        await put(`/api/v1/trace-points/${p.kind}`, { enabled: on.checked, retention_days: Number(days.value) });
        toast('已保存。Saved.');
        onChange();
      }),
    );
    const editable = can('service_config');
    on.disabled = !editable;
    days.disabled = !editable;
    return h(
      'tr',
      { dataset: { kind: p.kind } },
      h('td', null, h('label', { for: on.id }, on, ' ', bi(...(TRACE_POINTS[p.kind] ?? [p.kind, ''])))),
      h('td', null, p.enabled ? badge('记录中 on', 'ok') : badge('关闭 off')),
      h('td', null, days, ' 天 days'),
      h('td', null, editable ? save : null),
    );
  });
  return section(
    ['记录点', 'Trace points'],
    h('p', { class: 'muted' }, '只在记录点开启且用户同意个人信息处理时记录。Recorded only while a point is on and the patron consented to processing.'),
    h('table', { class: 'grid trace-points', 'aria-label': '记录点 Trace points' }, h('thead', null, h('tr', null, ['记录点 Point', '状态 State', '保留 Kept', ''].map((t) => h('th', { scope: 'col' }, t)))), h('tbody', null, rows)),
  );
}

export async function featureUseView({ query, root }) {
  const kind = select(TRACE_POINTS, { value: query.kind ?? 'portal_page', id: 'fu-kind' });
  const to = input({ type: 'date', id: 'fu-to', value: query.to ?? day(new Date()) });
  const from = input({ type: 'date', id: 'fu-from', value: query.from ?? day(new Date(Date.now() - 29 * 86400000)) });
  const pointsEl = h('div');
  const out = h('div', { class: 'feature-use', 'aria-live': 'polite' });

  const loadPoints = async () => mount(pointsEl, pointsSection((await get('/api/v1/trace-points')).items, () => Promise.all([loadPoints(), load()])));
  const load = async () => {
    setQuery({ kind: kind.value, from: from.value, to: to.value });
    let r;
    try {
      r = await get('/api/v1/reports/feature-use', { kind: kind.value, from: from.value, to: to.value, limit: 50 });
    } catch (e) {
      mount(out, notice('error', e.message));
      return;
    }
    const targets = h(
      'table',
      { class: 'grid feature-targets', 'aria-label': '使用排行 Most used' },
      h('thead', null, h('tr', null, ['功能 Target', '次数 Count', '用户数 Patrons'].map((t) => h('th', { scope: 'col' }, t)))),
      h(
        'tbody',
        null,
        r.targets.map((t) => h('tr', null, h('td', { class: 'mono wrap' }, t.target), h('td', { class: 'num' }, String(t.count)), h('td', { class: 'num' }, String(t.patrons)))),
      ),
    );
    mount(
      out,
      r.enabled ? null : notice('warn', '此记录点已关闭，不再记录新的数据。This trace point is off: nothing new is recorded.'),
      h(
        'div',
        { class: 'stats' },
        h('div', { class: 'stat' }, h('div', { class: 'stat-value', dataset: { stat: 'total' } }, String(r.total)), bi('次数', 'Uses')),
        h('div', { class: 'stat' }, h('div', { class: 'stat-value', dataset: { stat: 'patrons' } }, String(r.unique_patrons)), bi('用户数', 'Unique patrons')),
        h('div', { class: 'stat' }, h('div', { class: 'stat-value' }, `${r.retention_days}`), bi('保留天数', 'Days kept')),
      ),
      section(['每日趋势', 'Trend per day (UTC)'], trendChart(r.trend)),
      section(['使用排行', 'Most used'], r.targets.length ? targets : h('p', { class: 'muted' }, '这段时间没有记录。Nothing recorded in this period.')),
    );
  };
  for (const c of [kind, from, to]) c.addEventListener('change', load);
  mount(
    root,
    pageHeader(['功能使用', 'Feature use']),
    h(
      'div',
      { class: 'toolbar' },
      h('label', { class: 'inline', for: 'fu-kind' }, bi('记录点', 'Point')),
      kind,
      h('label', { class: 'inline', for: 'fu-from' }, bi('从', 'From')),
      from,
      h('label', { class: 'inline', for: 'fu-to' }, bi('到', 'To')),
      to,
    ),
    out,
    pointsEl,
  );
  await Promise.all([load(), loadPoints()]);
}
