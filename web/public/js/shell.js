// shell.js — the frame around every signed-in page: top bar (product, user, role,
// log-out) and the side navigation, which lists only what the role may open.

import { bi, h, mount } from './dom.js';
import { ROLES, zh } from './labels.js';
import { can, isPortal, session } from './session.js';

const NAV = [
  { path: '/patrons', label: ['用户', 'Patrons'], icon: '☰', show: () => can('patron_read') },
  { path: '/patrons/new', label: ['新建用户', 'New patron'], icon: '＋', show: () => can('patron_write') },
  { path: '/key-changes', label: ['关键字段更正', 'Key changes'], icon: '✎', show: () => can('patron_write') },
  { path: '/records', label: ['档案', 'Records'], icon: '▤', show: () => can('record_read'), group: ['馆藏', 'Catalogue'] },
  { path: '/records/new', label: ['新建档案', 'New record'], icon: '＋', show: () => can('record_write'), group: ['馆藏', 'Catalogue'] },
  { path: '/appraisal', label: ['鉴定', 'Appraisal'], icon: '◷', show: () => can('appraisal_propose') || can('appraisal_decide') || can('audit_read'), group: ['馆藏', 'Catalogue'] },
  { path: '/exports', label: ['导出', 'Exports'], icon: '⇩', show: () => can('record_transfer') || can('export_approve') || can('audit_read'), group: ['馆藏', 'Catalogue'] },
  { path: '/locations', label: ['库房', 'Locations'], icon: '▦', show: () => can('record_read'), group: ['馆藏', 'Catalogue'] },
  { path: '/search-demand', label: ['检索需求', 'Unmet demand'], icon: '∅', show: () => can('search_demand'), group: ['馆藏', 'Catalogue'] },
  { path: '/catalogue-settings', label: ['目录设置', 'Catalogue settings'], icon: '☷', show: () => can('catalogue_config'), group: ['馆藏', 'Catalogue'] },
  { path: '/tickets', label: ['工单', 'Tickets'], icon: '✉', show: () => can('ticket_read'), group: ['服务台', 'Service desk'] },
  { path: '/chats', label: ['在线咨询', 'Live chat'], icon: '☏', show: () => can('ticket_read'), group: ['服务台', 'Service desk'] },
  { path: '/follow-up-visits', label: ['回访', 'Follow-up visits'], icon: '☎', show: () => can('ticket_read'), group: ['服务台', 'Service desk'] },
  { path: '/onsite-visits', label: ['上门服务', 'On-site visits'], icon: '⌂', show: () => can('ticket_read'), group: ['服务台', 'Service desk'] },
  { path: '/board-moderation', label: ['留言审核', 'Board moderation'], icon: '✍', show: () => can('board_moderate') || can('ticket_read'), group: ['服务台', 'Service desk'] },
  { path: '/faq-entries', label: ['常见问题', 'FAQ entries'], icon: '?', show: () => can('ticket_read'), group: ['服务台', 'Service desk'] },
  { path: '/prospects', label: ['未识别联系人', 'Prospects'], icon: '☏', show: () => can('ticket_read'), group: ['服务台', 'Service desk'] },
  { path: '/problems', label: ['问题管理', 'Problems'], icon: '⚑', show: () => can('ticket_read'), group: ['服务台', 'Service desk'] },
  { path: '/qa', label: ['服务质检', 'Quality inspection'], icon: '✓', show: () => can('ticket_read'), group: ['服务台', 'Service desk'] },
  { path: '/cases', label: ['案件', 'Cases'], icon: '▣', show: () => can('ticket_read'), group: ['服务台', 'Service desk'] },
  { path: '/routing-rules', label: ['分派规则', 'Routing rules'], icon: '⇄', show: () => can('service_config') || can('ticket_read'), group: ['服务台', 'Service desk'] },
  { path: '/loans', label: ['借阅', 'Loans'], icon: '⇆', show: () => can('loan_read'), group: ['服务台', 'Service desk'] },
  { path: '/alerts', label: ['风险预警', 'Risk alerts'], icon: '⚠', show: () => can('ticket_read'), group: ['服务台', 'Service desk'] },
  { path: '/knowledge-services', label: ['定题服务', 'Knowledge services'], icon: '✦', show: () => can('ticket_read'), group: ['服务台', 'Service desk'] },
  { path: '/feature-use', label: ['功能使用', 'Feature use'], icon: '▥', show: () => can('trace_report') || can('service_config'), group: ['服务台', 'Service desk'] },
  { path: '/service-settings', label: ['服务台设置', 'Service settings'], icon: '⚙', show: () => can('service_config'), group: ['服务台', 'Service desk'] },
  { path: '/audit', label: ['审计日志', 'Audit trail'], icon: '⚖', show: () => can('audit_read'), group: ['管理', 'Administration'] },
  { path: '/users', label: ['账号管理', 'Users'], icon: '⚙', show: () => can('user_admin'), group: ['管理', 'Administration'] },
  { path: '/portal', label: ['我的档案', 'My record'], icon: '⌂', show: () => isPortal() },
  { path: '/portal/questions', label: ['我的咨询', 'My questions'], icon: '✉', show: () => isPortal() },
  { path: '/portal/chat', label: ['在线咨询', 'Live chat'], icon: '☏', show: () => isPortal() },
  { path: '/portal/board', label: ['我的留言', 'My posts'], icon: '✍', show: () => isPortal() },
  { path: '/portal/onsite-visits', label: ['上门服务', 'On-site visits'], icon: '⌂', show: () => isPortal() },
  { path: '/faq', label: ['常见问题', 'FAQ'], icon: '?', show: () => isPortal() },
  { path: '/portal/search', label: ['档案检索', 'Search the catalogue'], icon: '▤', show: () => isPortal() },
  { path: '/portal/research', label: ['我的定题服务', 'My research projects'], icon: '✦', show: () => isPortal() },
];

let frame = null;

// The entries the role may open, with a group heading where a group starts (the
// patron entries, first, have none).
function navItems() {
  const out = [];
  let group = null;
  for (const n of NAV.filter((x) => x.show())) {
    const g = n.group ? n.group[1] : null;
    if (g && g !== group) out.push(h('li', { class: 'nav-group', 'aria-hidden': 'true' }, bi(...n.group)));
    group = g;
    out.push(h('li', null, h('a', { href: n.path, dataset: { nav: n.path } }, h('span', { class: 'icon', 'aria-hidden': 'true' }, n.icon), bi(...n.label))));
  }
  return out;
}

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
      navItems(),
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
    // The longest entry that is the path or a parent of it: /records/12 is under 档案,
    // /records/new is 新建档案.
    const hit = pathname === p || (!p.endsWith('/new') && pathname.startsWith(`${p}/`));
    if (hit && (!best || p.length > best.dataset.nav.length)) best = a;
  }
  for (const a of frame.nav.querySelectorAll('a')) {
    if (a === best) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}
