// service-settings.js — 服务台设置 Service settings for the administrator and managers:
// the working week, holidays and make-up working days (调休) the SLA clocks run on, the
// SLA budgets per kind and priority, follow-up visit settings, teams, and the standard
// answers (话术) agents fill in.

import { del, get, patch, post } from '../api.js';
import { bi, h, mount } from '../dom.js';
import { zh } from '../labels.js';
import { busy, confirm, dialog, field, formError, input, loading, pageHeader, section, select, showError, textarea, toast } from '../ui.js';
import { PRIORITIES, TICKET_KINDS, WEEKDAYS, put } from '../service.js';
import { splitList } from '../format.js';
import { staffSelect } from '../staff.js';

const DAY_KINDS = { holiday: ['节假日', 'Holiday'], workday: ['调休工作日', 'Make-up workday'] };

export async function serviceSettingsView({ root }) {
  mount(root, loading());
  const [settings, teams, answers] = await Promise.all([get('/api/v1/service/settings'), get('/api/v1/teams'), get('/api/v1/standard-answers', { limit: 100 })]);
  const weekly = weeklyCard(settings);
  const days = daysCard(settings);
  const policies = policiesCard(settings);
  const visits = visitsCard(settings);
  const teamBox = teamsCard(teams.items || []);
  const answerBox = answersCard(answers.items || []);
  mount(
    root,
    pageHeader(['服务台设置', 'Service settings']),
    h('p', { class: 'muted' }, `时区 Time zone: ${settings.timezone}。期限按工作时间计算。Deadlines count working time only.`),
    h('div', { class: 'settings-grid' }, weekly, days),
    policies,
    h('div', { class: 'settings-grid' }, visits, teamBox),
    answerBox,
  );
}

// ------------------------------------------------------------------ working week
function weeklyCard(settings) {
  const c = {};
  const err = formError();
  const save = h('button', { type: 'submit', class: 'btn primary' }, bi('保存工作时间', 'Save hours'));
  const form = h(
    'form',
    { class: 'weekly-form', novalidate: true },
    err,
    Object.keys(WEEKDAYS).map((d) => field({ name: d, label: WEEKDAYS[d], control: (c[d] = input({ value: settings.weekly?.[d] ?? '', placeholder: '休息 closed' })) })),
    h('p', { class: 'hint' }, '格式 Format: 08:30-12:00,13:30-17:30；留空为休息日。Blank: closed.'),
    h('div', { class: 'form-actions' }, save),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(
      save,
      async () => {
        const body = {};
        for (const d of Object.keys(WEEKDAYS)) body[d] = c[d].value.trim();
        const out = await put('/api/v1/service/hours', body);
        for (const d of Object.keys(WEEKDAYS)) c[d].value = out.weekly?.[d] ?? c[d].value;
        toast('已保存工作时间。Hours saved.');
      },
      form,
    );
  });
  return section(['每周工作时间', 'Weekly hours'], form);
}

// ------------------------------------------------------------------ holidays and 调休
function daysCard(settings) {
  let list = settings.days || [];
  const tbody = h('tbody');
  const draw = () =>
    mount(
      tbody,
      list.length
        ? list.map((d) =>
            h(
              'tr',
              { dataset: { date: d.date } },
              h('td', { class: 'mono nowrap' }, d.date),
              h('td', null, zh(DAY_KINDS, d.kind)),
              h('td', null, d.name || '—'),
              h('td', { class: 'mono' }, d.kind === 'workday' ? d.hours || '同星期一 as Monday' : '—'),
              h(
                'td',
                null,
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'btn small ghost',
                    'aria-label': `删除 Delete ${d.date}`,
                    onclick: (e) =>
                      busy(e.currentTarget, async () => {
                        await del(`/api/v1/service/calendar/${d.date}`);
                        list = list.filter((x) => x.date !== d.date);
                        draw();
                        toast('已删除。Deleted.');
                      }),
                  },
                  bi('删除', 'Delete'),
                ),
              ),
            ),
          )
        : h('tr', null, h('td', { colspan: 5, class: 'muted' }, '没有特殊日期。No special days.')),
    );
  draw();
  const c = { date: input({ type: 'date' }), kind: select(DAY_KINDS, { value: 'holiday' }), name: input({ maxlength: 100, placeholder: '如 国庆节 e.g. National Day' }), hours: input({ placeholder: '08:30-12:00,13:30-17:30' }) };
  const hoursField = field({ name: 'hours', label: ['工作时间', 'Hours'], control: c.hours, hint: '留空同星期一。Blank: a Monday’s hours.' });
  hoursField.hidden = true;
  c.kind.addEventListener('change', () => (hoursField.hidden = c.kind.value !== 'workday'));
  const err = formError();
  const add = h('button', { type: 'submit', class: 'btn primary' }, bi('添加', 'Add'));
  const form = h(
    'form',
    { class: 'form-grid day-form', novalidate: true },
    err,
    field({ name: 'date', label: ['日期', 'Date'], control: c.date, required: true }),
    field({ name: 'kind', label: ['类型', 'Kind'], control: c.kind }),
    field({ name: 'name', label: ['名称', 'Name'], control: c.name }),
    hoursField,
    h('div', { class: 'form-actions' }, add),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(
      add,
      async () => {
        if (!c.date.value) {
          showError(form, { field: 'date', message: '请选择日期。Choose a date.' });
          return;
        }
        const body = { kind: c.kind.value, name: c.name.value.trim() };
        if (c.kind.value === 'workday' && c.hours.value.trim()) body.hours = c.hours.value.trim();
        const out = await put(`/api/v1/service/calendar/${c.date.value}`, body);
        list = [...list.filter((x) => x.date !== out.date), out].sort((a, b) => a.date.localeCompare(b.date));
        draw();
        c.date.value = '';
        c.name.value = '';
        c.hours.value = '';
        toast('已添加。Added.');
      },
      form,
    );
  });
  return section(
    ['节假日与调休', 'Holidays and make-up workdays'],
    h('div', { class: 'table-wrap' }, h('table', { class: 'grid compact days-table', 'aria-label': '节假日与调休 Special days' }, h('thead', null, h('tr', null, ['日期 Date', '类型 Kind', '名称 Name', '工作时间 Hours', ''].map((t) => h('th', { scope: 'col' }, t)))), tbody)),
    form,
  );
}

// ------------------------------------------------------------------ SLA policies
function policiesCard(settings) {
  const byKey = new Map((settings.policies || []).map((p) => [`${p.kind}/${p.priority}`, p]));
  const rows = [];
  for (const kind of Object.keys(TICKET_KINDS))
    for (const priority of Object.keys(PRIORITIES)) {
      const p = byKey.get(`${kind}/${priority}`) || { first_response_minutes: '', resolution_minutes: '' };
      const first = input({ type: 'number', min: 1, step: 1, value: p.first_response_minutes, 'aria-label': `首次响应 First response ${kind} ${priority}`, class: 'minutes' });
      const resolution = input({ type: 'number', min: 1, step: 1, value: p.resolution_minutes, 'aria-label': `解决 Resolution ${kind} ${priority}`, class: 'minutes' });
      const save = h('button', { type: 'button', class: 'btn small' }, bi('保存', 'Save'));
      const msg = h('span', { class: 'small error-text', role: 'status' });
      save.addEventListener('click', () =>
        busy(save, async () => {
          msg.textContent = '';
          try {
            await put(`/api/v1/service/policies/${kind}/${priority}`, { first_response_minutes: Number(first.value), resolution_minutes: Number(resolution.value) });
            toast(`已保存 ${zh(TICKET_KINDS, kind)}·${zh(PRIORITIES, priority)}。Saved.`);
          } catch (e) {
            msg.textContent = e.message;
          }
        }),
      );
      rows.push(
        h(
          'tr',
          { dataset: { kind, priority } },
          h('td', null, zh(TICKET_KINDS, kind)),
          h('td', null, zh(PRIORITIES, priority)),
          h('td', null, first),
          h('td', null, resolution),
          h('td', { class: 'muted small' }, p.resolution_minutes ? `≈ ${(p.resolution_minutes / 450).toFixed(1)} 工作日 days` : ''),
          h('td', null, save, ' ', msg),
        ),
      );
    }
  return section(
    ['时限标准（工作分钟）', 'SLA policies (working minutes)'],
    h('p', { class: 'hint' }, '一个工作日按默认工作时间为 450 分钟。A default working day is 450 minutes.'),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'grid compact policies-table', 'aria-label': '时限标准 SLA policies' },
        h('thead', null, h('tr', null, ['类型 Kind', '优先级 Priority', '首次响应 First response', '解决 Resolution', '', ''].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', null, rows),
      ),
    ),
  );
}

// ------------------------------------------------------------------ follow-up visits
function visitsCard(settings) {
  const v = settings.visits || {};
  const rate = input({ type: 'number', min: 0, max: 100, step: 1, value: v.visit_sample_rate != null ? Math.round(Number(v.visit_sample_rate) * 100) : 10 });
  const after = input({ type: 'number', min: 0, max: 30, step: 1, value: v.visit_after_working_days ?? 3 });
  const err = formError();
  const save = h('button', { type: 'submit', class: 'btn primary' }, bi('保存', 'Save'));
  const form = h(
    'form',
    { class: 'form-grid visit-settings', novalidate: true },
    err,
    field({ name: 'visit_sample_rate', label: ['抽样回访比例（%）', 'Sampled visits (%)'], control: rate, hint: '非投诉工单关闭后抽样回访。Other closed tickets sampled.' }),
    field({ name: 'visit_after_working_days', label: ['投诉回访间隔（工作日）', 'Complaint visit after (working days)'], control: after }),
    h('div', { class: 'form-actions' }, save),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(
      save,
      async () => {
        await put('/api/v1/service/visits', { visit_sample_rate: Number(rate.value) / 100, visit_after_working_days: Number(after.value) });
        toast('已保存回访设置。Visit settings saved.');
      },
      form,
    );
  });
  return section(['回访设置', 'Follow-up visits'], form);
}

// ------------------------------------------------------------------ teams
function teamsCard(items) {
  let list = items;
  const tbody = h('tbody');
  const edit = (team) => {
    const name = input({ value: team?.name ?? '', maxlength: 100 });
    const manager = staffSelect({ value: team?.manager_id, roles: ['manager'] });
    const members = input({ value: (team?.member_ids || []).join(', '), placeholder: '3, 4, 7' });
    return dialog({
      title: team ? ['修改班组', 'Edit team'] : ['新建班组', 'New team'],
      fields: [
        field({ name: 'name', label: ['名称', 'Name'], control: name, required: true }),
        field({ name: 'manager_id', label: ['主管', 'Manager'], control: manager, hint: '超时先升级给此主管。Breaches go to this manager first.' }),
        field({ name: 'member_ids', label: ['成员账号编号', 'Member user ids'], control: members, wide: true }),
      ],
      submit: ['保存', 'Save'],
      onSubmit: async () => {
        const body = { name: name.value.trim(), manager_id: manager.value ? Number(manager.value) : null, member_ids: splitList(members.value).map(Number) };
        const out = team ? await patch(`/api/v1/teams/${team.id}`, body) : await post('/api/v1/teams', body);
        list = team ? list.map((x) => (x.id === team.id ? out : x)) : [...list, out];
        draw();
        toast('已保存班组。Team saved.');
      },
    });
  };
  const draw = () =>
    mount(
      tbody,
      list.length
        ? list.map((t) =>
            h(
              'tr',
              { dataset: { team: t.id } },
              h('td', null, t.name),
              h('td', null, t.manager_id ? `#${t.manager_id}` : '—'),
              h('td', null, (t.member_ids || []).map((m) => `#${m}`).join(' ') || '—'),
              h('td', null, h('button', { type: 'button', class: 'btn small ghost', 'aria-label': `修改 Edit ${t.name}`, onclick: () => edit(t) }, bi('修改', 'Edit'))),
            ),
          )
        : h('tr', null, h('td', { colspan: 4, class: 'muted' }, '还没有班组。No teams yet.')),
    );
  draw();
  return section(
    ['班组', 'Teams'],
    h('div', { class: 'table-wrap' }, h('table', { class: 'grid compact teams-table', 'aria-label': '班组 Teams' }, h('thead', null, h('tr', null, ['名称 Name', '主管 Manager', '成员 Members', ''].map((t) => h('th', { scope: 'col' }, t)))), tbody)),
    h('div', { class: 'form-actions' }, h('button', { type: 'button', class: 'btn', onclick: () => edit(null) }, bi('新建班组', 'New team'))),
  );
}

// ------------------------------------------------------------------ standard answers
function answersCard(items) {
  let list = items;
  const tbody = h('tbody');
  const edit = (a) => {
    const title = input({ value: a?.title ?? '', maxlength: 200 });
    const scenario = input({ value: a?.scenario ?? '', maxlength: 200 });
    const body = textarea({ rows: 6, value: a?.body ?? '' });
    return dialog({
      title: a ? ['修改话术', 'Edit standard answer'] : ['新建话术', 'New standard answer'],
      wide: true,
      fields: [
        field({ name: 'title', label: ['标题', 'Title'], control: title, required: true }),
        field({ name: 'scenario', label: ['场景', 'Scenario'], control: scenario }),
        field({ name: 'body', label: ['内容', 'Text'], control: body, wide: true, required: true, hint: '占位符 Placeholders: {patron_name} {ticket_number} {subject} {agent_name}' }),
      ],
      submit: ['保存', 'Save'],
      onSubmit: async () => {
        const payload = { title: title.value.trim(), scenario: scenario.value.trim(), body: body.value };
        const out = a ? await patch(`/api/v1/standard-answers/${a.id}`, payload) : await post('/api/v1/standard-answers', payload);
        const saved = out && out.id ? out : { ...a, ...payload };
        list = a ? list.map((x) => (x.id === a.id ? saved : x)) : [...list, saved];
        draw();
        toast('已保存话术。Saved.');
      },
    });
  };
  const remove = async (a, button) => {
    const ok = await confirm({ title: ['删除话术', 'Delete standard answer'], intro: `「${a.title}」`, submit: ['删除', 'Delete'], danger: true });
    if (!ok) return;
    await busy(button, async () => {
      await del(`/api/v1/standard-answers/${a.id}`);
      list = list.filter((x) => x.id !== a.id);
      draw();
      toast('已删除。Deleted.');
    });
  };
  const draw = () =>
    mount(
      tbody,
      list.length
        ? list.map((a) =>
            h(
              'tr',
              { dataset: { answer: a.id } },
              h('td', null, a.title),
              h('td', null, a.scenario || '—'),
              h('td', { class: 'wrap answer-body' }, a.body),
              h(
                'td',
                { class: 'nowrap' },
                h('button', { type: 'button', class: 'btn small ghost', 'aria-label': `修改 Edit ${a.title}`, onclick: () => edit(a) }, bi('修改', 'Edit')),
                h('button', { type: 'button', class: 'btn small ghost', 'aria-label': `删除 Delete ${a.title}`, onclick: (e) => remove(a, e.currentTarget) }, bi('删除', 'Delete')),
              ),
            ),
          )
        : h('tr', null, h('td', { colspan: 4, class: 'muted' }, '还没有话术。No standard answers yet.')),
    );
  draw();
  return section(
    ['话术', 'Standard answers'],
    h('div', { class: 'table-wrap' }, h('table', { class: 'grid compact answers-table', 'aria-label': '话术 Standard answers' }, h('thead', null, h('tr', null, ['标题 Title', '场景 Scenario', '内容 Text', ''].map((t) => h('th', { scope: 'col' }, t)))), tbody)),
    h('div', { class: 'form-actions' }, h('button', { type: 'button', class: 'btn primary', onclick: () => edit(null) }, bi('新建话术', 'New standard answer'))),
  );
}
