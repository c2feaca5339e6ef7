// login.js — sign-in for staff and portal accounts.

import { bi, h, mount } from '../dom.js';
import { navigate } from '../router.js';
import { fmtTime } from '../format.js';
import { homePath, login } from '../session.js';
import { field, input } from '../ui.js';

export function loginView({ query, root }) {
  const user = input({ autocomplete: 'username', autocapitalize: 'off', spellcheck: 'false' });
  const pass = input({ type: 'password', autocomplete: 'current-password' });
  const error = h('div', { class: 'form-error', role: 'alert', hidden: true, 'data-testid': 'login-error' });
  const submit = h('button', { type: 'submit', class: 'btn primary block' }, bi('登录', 'Log in'));
  const form = h(
    'form',
    { class: 'login-form', novalidate: true },
    h('h1', null, bi('登录', 'Log in')),
    error,
    field({ name: 'username', label: ['用户名', 'Username'], control: user, required: true }),
    field({ name: 'password', label: ['密码', 'Password'], control: pass, required: true }),
    submit,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.hidden = true;
    if (!user.value.trim() || !pass.value) {
      error.textContent = '请输入用户名和密码。Enter your username and password.';
      error.hidden = false;
      (user.value.trim() ? pass : user).focus();
      return;
    }
    submit.disabled = true;
    try {
      await login(user.value.trim(), pass.value);
      const next = query.next && query.next.startsWith('/') && !query.next.startsWith('//') ? query.next : null;
      navigate(next && next !== '/login' ? next : homePath(), { replace: true });
    } catch (ex) {
      let msg = ex.message;
      if (ex.status === 401) msg = `用户名或密码错误。Wrong username or password.`;
      else if (ex.status === 429) {
        const until = /until (\S+)/.exec(ex.message);
        msg = until
          ? `多次登录失败，账号已锁定，请于 ${fmtTime(until[1])} 后再试。This account is locked until ${fmtTime(until[1])} after repeated failed log-ins.`
          : `登录尝试过多，请稍后再试。${ex.message}`;
      }
      error.textContent = msg;
      error.hidden = false;
      pass.value = '';
      pass.focus();
    } finally {
      submit.disabled = false;
    }
  });
  mount(
    root,
    h(
      'div',
      { class: 'login-page' },
      h(
        'div',
        { class: 'login-card' },
        h('div', { class: 'login-brand' }, h('span', { class: 'brand-zh' }, '档案'), ' ', h('span', { class: 'brand-en' }, 'dangan')),
        h('p', { class: 'login-sub' }, '档案用户关系管理 · Patron relationship management'),
        form,
      ),
    ),
  );
  user.focus();
}
