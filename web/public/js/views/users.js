// users.js — accounts for administrators: list, create (role, unit, unit scope, the
// patron behind a portal account), disable and enable.

import { get, post } from '../api.js';
import { bi, h, mount } from '../dom.js';
import { fmtDay } from '../format.js';
import { ROLES, label } from '../labels.js';
import { session } from '../session.js';
import { badge, busy, clearErrors, field, formError, input, pageHeader, section, select, showError, toast } from '../ui.js';

export async function usersView({ root }) {
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

  const tbody = h('tbody');
  const table = h(
    'table',
    { class: 'grid users' },
    h('thead', null, h('tr', null, ['编号 ID', '用户名 Username', '姓名 Display name', '角色 Role', '单位 Unit', '用户编号 Patron', '状态 Status', '创建 Created', '操作 Actions'].map((t) => h('th', { scope: 'col' }, t)))),
    tbody,
  );

  const load = async () => {
    const out = await get('/api/v1/users');
    tbody.replaceChildren(
      ...(out.items || []).map((u) =>
        h(
          'tr',
          { dataset: { username: u.username } },
          h('td', { class: 'num' }, u.id),
          h('td', { class: 'mono' }, u.username),
          h('td', null, u.display_name || '—'),
          h('td', null, label(ROLES, u.role)),
          h('td', null, unitName(u.unit_id), u.unit_scoped ? h('div', { class: 'sub' }, '仅限本单位 unit-scoped') : null),
          h('td', null, u.patron_id ? h('a', { href: `/patrons/${u.patron_id}` }, `#${u.patron_id}`) : '—'),
          h('td', null, u.disabled ? badge('已停用 disabled', 'bad') : badge('正常 active', 'ok')),
          h('td', { class: 'nowrap' }, fmtDay(u.created_at)),
          h(
            'td',
            null,
            u.id === session.user?.id
              ? h('span', { class: 'muted small' }, '当前账号 you')
              : h(
                  'button',
                  {
                    type: 'button',
                    class: ['btn', 'tiny', !u.disabled && 'danger'],
                    onclick: (e) =>
                      busy(e.currentTarget, async () => {
                        await post(`/api/v1/users/${u.id}/${u.disabled ? 'enable' : 'disable'}`, {});
                        toast(u.disabled ? `已启用 ${u.username}。Enabled.` : `已停用 ${u.username}。Disabled.`);
                        await load();
                      }),
                  },
                  u.disabled ? bi('启用', 'Enable') : bi('停用', 'Disable'),
                ),
          ),
        ),
      ),
    );
  };

  // The create form.
  const username = input({ maxlength: 64, autocapitalize: 'off', spellcheck: 'false' });
  const display = input({ maxlength: 100 });
  const password = input({ type: 'password', autocomplete: 'new-password' });
  const role = select(ROLES, { value: 'agent' });
  const unit = select(Object.fromEntries(units.map((u) => [u.id, `${u.name} (${u.code})`])), { blank: '— 无 None —' });
  const scoped = h('input', { type: 'checkbox' });
  const patronId = input({ type: 'number', min: 1, step: 1, inputmode: 'numeric' });
  const err = formError();
  const submit = h('button', { type: 'submit', class: 'btn primary' }, bi('创建账号', 'Create account'));
  const patronField = field({ name: 'patron_id', label: ['对应用户编号', 'Patron id'], control: patronId, hint: '读者门户账号必须对应一个用户。A portal account belongs to one patron.', required: true });
  const form = h(
    'form',
    { class: 'form-grid create-user', novalidate: true },
    err,
    field({ name: 'username', label: ['用户名', 'Username'], control: username, required: true }),
    field({ name: 'display_name', label: ['姓名', 'Display name'], control: display }),
    field({ name: 'password', label: ['初始密码', 'Password'], control: password, required: true, hint: '至少 12 个字符。At least 12 characters.' }),
    field({ name: 'role', label: ['角色', 'Role'], control: role, required: true }),
    field({ name: 'unit_id', label: ['单位', 'Unit'], control: unit }),
    h('div', { class: 'field check', dataset: { field: 'unit_scoped' } }, h('label', null, scoped, ' ', bi('仅限本单位', 'Unit-scoped')), h('div', { class: 'field-error' })),
    patronField,
    h('div', { class: 'form-actions' }, submit),
  );
  const syncRole = () => {
    patronField.hidden = role.value !== 'patron';
  };
  role.addEventListener('change', syncRole);
  syncRole();
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const body = { username: username.value.trim(), password: password.value, role: role.value };
    if (display.value.trim()) body.display_name = display.value.trim();
    if (unit.value) body.unit_id = Number(unit.value);
    if (scoped.checked) body.unit_scoped = true;
    if (role.value === 'patron') {
      if (!patronId.value) return showError(form, { field: 'patron_id', message: '门户账号需填写用户编号。A portal account needs a patron id.' });
      body.patron_id = Number(patronId.value);
    }
    submit.disabled = true;
    try {
      const u = await post('/api/v1/users', body);
      toast(`已创建账号 ${u.username}。Account created.`);
      form.reset();
      syncRole();
      await load();
    } catch (ex) {
      showError(form, ex);
    } finally {
      submit.disabled = false;
    }
  });

  mount(root, pageHeader(['账号管理', 'Users']), h('div', { class: 'table-wrap' }, table), section(['新建账号', 'New account'], form));
  await load();
}
