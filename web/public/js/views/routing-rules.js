// routing-rules.js — 分派规则 Routing rules and 服务等级 service tiers (D28, D29).
// Rules are tried top to bottom when a ticket opens without a team or assignee; the
// first whose every condition holds sends it to a team or an agent. Managers and the
// administrator (service_config) add, edit, switch on and off, move and delete rules and
// edit tiers; agents see them read-only (ticket_read).

import { del, get, patch, post } from '../api.js';
import { bi, h, mount } from '../dom.js';
import { zh } from '../labels.js';
import { can } from '../session.js';
import { badge, busy, chips, confirm, dialog, field, input, loading, notice, pageHeader, section, select, toast } from '../ui.js';
import { PRIORITIES, TICKET_CHANNELS, TICKET_KINDS, put } from '../service.js';
import { staffDirectory, staffSelect } from '../staff.js';

const RULE_LANGUAGES = { zh: ['中文', 'Chinese'], en: ['英文', 'English'] };
const TARGETS = { team: ['班组', 'Team'], agent: ['受理员', 'Agent'] };

export async function routingRulesView({ root }) {
  mount(root, loading());
  const [rules, tiers, teams] = await Promise.all([get('/api/v1/routing-rules'), get('/api/v1/service-tiers'), get('/api/v1/teams')]);
  const state = { rules: rules.items || [], tiers: tiers.items || [], teams: teams.items || [], staff: [] };
  const rulesBox = h('div');
  const tiersBox = h('div');
  const drawRules = () => mount(rulesBox, rulesCard(state, drawRules));
  const drawTiers = () => mount(tiersBox, tiersCard(state, drawTiers));
  drawRules();
  drawTiers();
  mount(
    root,
    pageHeader(['分派规则与服务等级', 'Routing rules and service tiers']),
    can('service_config') ? null : notice('info', '只读：修改规则需服务台设置权限。Read only: changing rules needs the service-settings right.'),
    rulesBox,
    tiersBox,
  );
  // Names for the agents the rules send to (ids until then).
  staffDirectory()
    .then((list) => {
      state.staff = list;
      drawRules();
    })
    .catch(() => {});
}

// ------------------------------------------------------------------ rules
function conditions(r, state) {
  const out = [];
  if (r.channel) out.push(`渠道 ${zh(TICKET_CHANNELS, r.channel)}`);
  if (r.kind) out.push(`类型 ${zh(TICKET_KINDS, r.kind)}`);
  if (r.words) out.push(`含 “${r.words}”`);
  if (r.language) out.push(`语言 ${zh(RULE_LANGUAGES, r.language)}`);
  if (r.tier) out.push(`等级 ${state.tiers.find((t) => t.code === r.tier)?.name ?? r.tier}`);
  return out.length ? chips(out) : h('span', { class: 'muted' }, '任何新工单 Any new ticket');
}

function target(r, state) {
  if (r.team_id) return `班组 Team: ${state.teams.find((t) => t.id === r.team_id)?.name ?? `#${r.team_id}`}`;
  const p = state.staff.find((s) => s.id === r.agent_id);
  return `受理员 Agent: ${p ? p.name : `#${r.agent_id}`}`;
}

// Positions 10, 20, 30 … in the shown order; only rules whose position changes are sent.
async function renumber(state, order) {
  for (let i = 0; i < order.length; i++) {
    const want = (i + 1) * 10;
    if (order[i].position !== want) {
      const out = await patch(`/api/v1/routing-rules/${order[i].id}`, { position: want });
      order[i] = out;
    }
  }
  state.rules = order;
}

function rulesCard(state, redraw) {
  const write = can('service_config');
  const list = [...state.rules].sort((a, b) => a.position - b.position || a.id - b.id);
  const move = (i, by) => async (e) => {
    const order = [...list];
    [order[i], order[i + by]] = [order[i + by], order[i]];
    await busy(e.currentTarget, async () => {
      await renumber(state, order);
      redraw();
      toast('已调整顺序。Order saved.');
      document.querySelector(`tr[data-rule="${order[i + by].id}"] .move-${by < 0 ? 'up' : 'down'}`)?.focus();
    });
  };
  const toggle = (r) => (e) =>
    busy(e.currentTarget, async () => {
      const out = await patch(`/api/v1/routing-rules/${r.id}`, { enabled: !r.enabled });
      state.rules = state.rules.map((x) => (x.id === r.id ? out : x));
      redraw();
      toast(out.enabled ? '已启用。Rule enabled.' : '已停用。Rule disabled.');
    });
  const remove = (r) => async () => {
    const ok = await confirm({
      title: ['删除分派规则', 'Delete routing rule'],
      intro: h('p', null, `删除规则“${r.name}”？已分派的工单不受影响。Delete rule “${r.name}”? Tickets already routed stay where they are.`),
      submit: ['删除', 'Delete'],
      danger: true,
    });
    if (!ok) return;
    await del(`/api/v1/routing-rules/${r.id}`);
    state.rules = state.rules.filter((x) => x.id !== r.id);
    redraw();
    toast('已删除。Rule deleted.');
  };
  const rows = list.map((r, i) =>
    h(
      'tr',
      { dataset: { rule: r.id }, class: [!r.enabled && 'disabled-row'] },
      h('td', { class: 'num' }, String(i + 1)),
      h('td', null, r.name),
      h('td', null, conditions(r, state)),
      h('td', null, target(r, state)),
      h('td', null, r.enabled ? badge('启用 On', 'ok') : badge('停用 Off', 'bad')),
      write
        ? h(
            'td',
            { class: 'nowrap row-actions' },
            h('button', { type: 'button', class: 'btn tiny move-up', disabled: i === 0, 'aria-label': `上移 Move up ${r.name}`, onclick: move(i, -1) }, '↑'),
            h('button', { type: 'button', class: 'btn tiny move-down', disabled: i === list.length - 1, 'aria-label': `下移 Move down ${r.name}`, onclick: move(i, 1) }, '↓'),
            h('button', { type: 'button', class: 'btn tiny', onclick: () => editRule(state, r, redraw) }, bi('修改', 'Edit')),
            h('button', { type: 'button', class: 'btn tiny toggle', onclick: toggle(r) }, r.enabled ? bi('停用', 'Disable') : bi('启用', 'Enable')),
            h('button', { type: 'button', class: 'btn tiny danger', 'aria-label': `删除 Delete ${r.name}`, onclick: remove(r) }, bi('删除', 'Delete')),
          )
        : null,
    ),
  );
  const heads = ['顺序 Order', '名称 Name', '条件 Conditions', '分派给 Target', '状态 State', write ? '操作 Actions' : null].filter(Boolean);
  return section(
    ['分派规则', 'Routing rules'],
    h('p', { class: 'muted' }, '新工单没有班组和负责人时，按顺序尝试规则；第一条所有条件都满足的规则决定去向。Rules are tried in order for a new ticket without team or assignee; the first whose every condition holds decides.'),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'grid compact routing-rules', 'aria-label': '分派规则 Routing rules' },
        h('thead', null, h('tr', null, heads.map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', null, rows.length ? rows : h('tr', null, h('td', { colspan: heads.length, class: 'muted' }, '还没有规则。No rules yet.'))),
      ),
    ),
    write ? h('div', { class: 'form-actions' }, h('button', { type: 'button', class: 'btn primary new-rule', onclick: () => editRule(state, null, redraw) }, bi('新建规则', 'New rule'))) : null,
  );
}

function editRule(state, r, redraw) {
  const c = {
    name: input({ value: r?.name ?? '', maxlength: 100 }),
    channel: select(TICKET_CHANNELS, { value: r?.channel ?? '', blank: '任何 Any' }),
    kind: select(TICKET_KINDS, { value: r?.kind ?? '', blank: '任何 Any' }),
    words: input({ value: r?.words ?? '', maxlength: 500, placeholder: '如 退休 档案' }),
    language: select(RULE_LANGUAGES, { value: r?.language ?? '', blank: '任何 Any' }),
    tier: select(Object.fromEntries(state.tiers.map((t) => [t.code, t.name])), { value: r?.tier ?? '', blank: '任何 Any' }),
    target: select(TARGETS, { value: r?.agent_id ? 'agent' : 'team' }),
    team_id: h('select', { value: r?.team_id == null ? '' : String(r.team_id) }, h('option', { value: '' }, '— 选择 Choose'), state.teams.map((t) => h('option', { value: String(t.id) }, t.name))),
    agent_id: staffSelect({ value: r?.agent_id, roles: ['agent', 'archivist', 'manager'], blank: '— 选择 Choose' }),
    enabled: h('input', { type: 'checkbox', checked: r ? r.enabled : true }),
  };
  c.team_id.value = r?.team_id == null ? '' : String(r.team_id);
  const teamField = field({ name: 'team_id', label: ['班组', 'Team'], control: c.team_id, hint: '分给该组中在线且工单最少的成员。To the available member with the fewest active tickets.' });
  const agentField = field({ name: 'agent_id', label: ['受理员', 'Agent'], control: c.agent_id, hint: '仅在其在线时匹配。Matches only while the agent is available.' });
  const showTarget = () => {
    teamField.hidden = c.target.value !== 'team';
    agentField.hidden = c.target.value !== 'agent';
  };
  c.target.addEventListener('change', showTarget);
  showTarget();
  const enabledField = h('div', { class: 'field check' }, h('label', null, c.enabled, bi('启用', 'Enabled')));
  return dialog({
    title: r ? ['修改分派规则', 'Edit routing rule'] : ['新建分派规则', 'New routing rule'],
    wide: true,
    fields: [
      field({ name: 'name', label: ['名称', 'Name'], control: c.name, required: true }),
      field({ name: 'channel', label: ['渠道', 'Channel'], control: c.channel }),
      field({ name: 'kind', label: ['类型', 'Kind'], control: c.kind }),
      field({ name: 'words', label: ['关键词', 'Words'], control: c.words, hint: '空格分隔，须全部出现在主题或首条消息中（不分繁简、大小写）。Space separated; all must occur.' }),
      field({ name: 'language', label: ['语言', 'Language'], control: c.language }),
      field({ name: 'tier', label: ['服务等级', 'Service tier'], control: c.tier }),
      field({ name: 'target', label: ['分派给', 'Send to'], control: c.target }),
      teamField,
      agentField,
      enabledField,
    ],
    submit: ['保存', 'Save'],
    onSubmit: async () => {
      const body = {
        name: c.name.value.trim(),
        channel: c.channel.value || null,
        kind: c.kind.value || null,
        words: c.words.value.trim(),
        language: c.language.value || null,
        tier: c.tier.value || null,
        enabled: c.enabled.checked,
      };
      if (c.target.value === 'team') {
        body.team_id = c.team_id.value ? Number(c.team_id.value) : null;
        body.agent_id = null;
        if (!body.team_id) throw { field: 'team_id', message: '请选择班组。Choose a team.' };
      } else {
        body.agent_id = c.agent_id.value ? Number(c.agent_id.value) : null;
        body.team_id = null;
        if (!body.agent_id) throw { field: 'agent_id', message: '请选择受理员。Choose an agent.' };
      }
      const out = r ? await patch(`/api/v1/routing-rules/${r.id}`, body) : await post('/api/v1/routing-rules', body);
      state.rules = r ? state.rules.map((x) => (x.id === r.id ? out : x)) : [...state.rules, out];
      redraw();
      toast('已保存规则。Rule saved.');
    },
  });
}

// ------------------------------------------------------------------ tiers
function tiersCard(state, redraw) {
  const write = can('service_config');
  const edit = (t) => {
    const c = {
      name: input({ value: t.name, maxlength: 50 }),
      sla_percent: input({ type: 'number', min: 10, max: 1000, step: 1, value: String(t.sla_percent) }),
      default_priority: select(PRIORITIES, { value: t.default_priority }),
      notify: h('input', { type: 'checkbox', checked: t.notify }),
      on_site: h('input', { type: 'checkbox', checked: !!t.on_site }),
    };
    return dialog({
      title: ['修改服务等级', 'Edit service tier'],
      intro: h('p', { class: 'muted' }, `代码 Code: ${t.code}`),
      fields: [
        field({ name: 'name', label: ['名称', 'Name'], control: c.name, required: true }),
        field({ name: 'sla_percent', label: ['时限比例 %', 'SLA percent'], control: c.sla_percent, hint: '占服务时限的百分比：50 即时限减半。Percent of the SLA policy: 50 halves the deadlines.' }),
        field({ name: 'default_priority', label: ['默认优先级', 'Default priority'], control: c.default_priority }),
        h('div', { class: 'field check', dataset: { field: 'notify' } }, h('label', null, c.notify, bi('门户通知用户工单状态变化', 'Notify the patron on the portal'))),
        h('div', { class: 'field check', dataset: { field: 'on_site' } }, h('label', null, c.on_site, bi('可在门户申请上门服务', 'May request on-site visits on the portal'))),
      ],
      submit: ['保存', 'Save'],
      onSubmit: async () => {
        const percent = Number(c.sla_percent.value);
        if (!Number.isInteger(percent)) throw { field: 'sla_percent', message: '请输入 10–1000 的整数。An integer from 10 to 1000.' };
        const body = { name: c.name.value.trim(), position: t.position, sla_percent: percent, default_priority: c.default_priority.value, notify: c.notify.checked, on_site: c.on_site.checked };
        const out = await put(`/api/v1/service-tiers/${encodeURIComponent(t.code)}`, body);
        state.tiers = state.tiers.map((x) => (x.code === t.code ? { ...x, ...out } : x));
        redraw();
        toast('已保存服务等级。Tier saved.');
      },
    });
  };
  const rows = state.tiers.map((t) =>
    h(
      'tr',
      { dataset: { tier: t.code } },
      h('td', { class: 'mono' }, t.code),
      h('td', null, t.name),
      h('td', { class: 'num' }, `${t.sla_percent}%`),
      h('td', null, zh(PRIORITIES, t.default_priority)),
      h('td', null, t.notify ? badge('通知 Notify', 'ok') : h('span', { class: 'muted' }, '—')),
      h('td', null, t.on_site ? badge('上门 On-site', 'ok') : h('span', { class: 'muted' }, '—')),
      h('td', { class: 'num' }, String(t.patrons ?? 0)),
      write ? h('td', null, h('button', { type: 'button', class: 'btn tiny', 'aria-label': `修改 Edit ${t.name}`, onclick: () => edit(t) }, bi('修改', 'Edit'))) : null,
    ),
  );
  const heads = ['代码 Code', '名称 Name', '时限 SLA', '默认优先级 Priority', '门户通知 Notices', '上门服务 On-site', '用户数 Patrons', write ? '' : null].filter((x) => x !== null);
  return section(
    ['服务等级', 'Service tiers'],
    h('p', { class: 'muted' }, '用户的服务等级按比例缩放其工单的服务时限，决定默认优先级，并可在门户通知工单状态。A tier scales the SLA of the patron’s tickets, sets their default priority, and may notify them on the portal.'),
    h('div', { class: 'table-wrap' }, h('table', { class: 'grid compact service-tiers', 'aria-label': '服务等级 Service tiers' }, h('thead', null, h('tr', null, heads.map((x) => h('th', { scope: 'col' }, x)))), h('tbody', null, rows))),
  );
}
