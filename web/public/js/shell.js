// shell.js — the frame around every signed-in page: top bar (product, user, role,
// log-out) and the side navigation, which lists only what the role may open.

import { bi, h, mount } from './dom.js';
import { ROLES, zh } from './labels.js';
import { can, isPortal, session } from './session.js';

const NAV = [
  { path: '/patrons', label: ['用户', 'Patrons'], icon: '☰', show: () => can('patron_read') },
  { path: '/patrons/new', label: ['新建用户', 'New patron'], icon: '＋', show: () => can('patron_write') },
  { path: '/key-changes', label: ['关键字段更正', 'Key changes'], icon: '✎', show: () => can('patron_write') },
  { path: '/audit', label: ['审计日志', 'Audit trail'], icon: '⚖', show: () => can('audit_read') },
  { path: '/users', label: ['账号管理', 'Users'], icon: '⚙', show: () => can('user_admin') },
  { path: '/portal', label: ['我的档案', 'My record'], icon: '⌂', show: () => isPortal() },
];

let frame = null;

// Builds the frame once per sign-in and returns the element views render into.
export function shell({ onLogout }) {
  if (frame && frame.user === session.user && document.body.contains(frame.el)) return frame.main;
  const u = session.user;
  const main = h('main', { id: 'main', class: 'main', tabindex: '-1' });
  const nav = h(
    'nav',
    { class: 'sidenav', 'aria-label': '主导航 Main navigation' },
    h(
      'ul',
      null,
      NAV.filter((n) => n.show()).map((n) =>
        h('li', null, h('a', { href: n.path, dataset: { nav: n.path } }, h('span', { class: 'icon', 'aria-hidden': 'true' }, n.icon), bi(...n.label))),
      ),
    ),
  );
  const logout = h('button', { type: 'button', class: 'btn small ghost', onclick: onLogout }, bi('退出', 'Log out'));
  const top = h(
    'header',
    { class: 'topbar' },
    h('a', { class: 'skip', href: '#main', onclick: (e) => (e.preventDefault(), main.focus()) }, '跳到正文 Skip to content'),
    h('a', { class: 'brand', href: isPortal() ? '/portal' : '/' }, h('span', { class: 'brand-zh' }, '档案'), ' ', h('span', { class: 'brand-en' }, 'dangan')),
    h('span', { class: 'brand-sub' }, isPortal() ? '读者服务 Patron portal' : '用户关系管理 Patron relations'),
    h(
      'div',
      { class: 'whoami' },
      h('span', { class: 'user', 'data-testid': 'current-user' }, u.display_name && u.display_name !== u.username ? [u.display_name, ' ', h('span', { class: 'muted' }, `(${u.username})`)] : u.username),
      h('span', { class: 'role-badge', 'data-testid': 'current-role' }, zh(ROLES, u.role), ' ', h('span', { class: 'en' }, ROLES[u.role]?.[1] || u.role)),
      logout,
    ),
  );
  const el = h('div', { class: 'layout' }, top, h('div', { class: 'body' }, nav, main));
  mount(document.getElementById('app'), el);
  frame = { el, main, nav, user: u };
  return main;
}

export function resetShell() {
  frame = null;
}

// Marks the navigation entry for the current path.
export function markNav(pathname) {
  if (!frame) return;
  let best = null;
  for (const a of frame.nav.querySelectorAll('a')) {
    const p = a.dataset.nav;
    const hit = pathname === p || (p !== '/patrons/new' && pathname.startsWith(`${p}/`) && pathname !== '/patrons/new');
    if (hit && (!best || p.length > best.dataset.nav.length)) best = a;
  }
  for (const a of frame.nav.querySelectorAll('a')) {
    if (a === best) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}
