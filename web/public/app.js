// app.js — the staff console and the patron portal: start-up, routes, session handling.

import { post, setSessionLostHandler } from './js/api.js';
import { h, mount } from './js/dom.js';
import { current, match, navigate, route, start } from './js/router.js';
import { forget, homePath, isPortal, loadMe, logout, session } from './js/session.js';
import { markNav, resetShell, shell } from './js/shell.js';
import { errorPage, toast } from './js/ui.js';
import { appraisalView } from './js/views/appraisal.js';
import { auditView } from './js/views/audit.js';
import { catalogueSettingsView } from './js/views/catalogue-settings.js';
import { demandView } from './js/views/demand.js';
import { exportsView } from './js/views/exports.js';
import { featureUseView } from './js/views/feature-use.js';
import { keyChangesView } from './js/views/key-changes.js';
import { knowledgeServicesView, knowledgeServiceView, portalResearchView } from './js/views/knowledge.js';
import { locationsView } from './js/views/locations.js';
import { loginView } from './js/views/login.js';
import { newPatronView } from './js/views/patron-form.js';
import { patronView } from './js/views/patron.js';
import { patronsView } from './js/views/patrons.js';
import { portalView } from './js/views/portal.js';
import { portalQuestionView, portalQuestionsView } from './js/views/portal-questions.js';
import { newRecordView } from './js/views/record-form.js';
import { recordView } from './js/views/record.js';
import { recordsView } from './js/views/records.js';
import { serviceSettingsView } from './js/views/service-settings.js';
import { ticketView } from './js/views/ticket.js';
import { ticketsView } from './js/views/tickets.js';
import { usersView } from './js/views/users.js';
import { visitsView } from './js/views/visits.js';
import { boardPostView, boardView, faqView, moderationView, portalBoardView } from './js/views/board.js';
import { faqEntriesView } from './js/views/faq-entries.js';
import { prospectsView } from './js/views/contacts.js';
import { chatConsoleView, portalChatView } from './js/views/chat.js';
import { caseView, casesView } from './js/views/cases.js';
import { problemView, problemsView } from './js/views/problems.js';
import { qaView, reviewView } from './js/views/qa.js';
import { onsiteVisitsView, portalOnsiteView } from './js/views/onsite-visits.js';
import { loansView } from './js/views/loans.js';
import { alertsView } from './js/views/alerts.js';
import { routingRulesView } from './js/views/routing-rules.js';

// Each route: the view and who may open it (checked again by the server).
const staff = (perm) => () => !isPortal() && session.permissions.has(perm);
route('/login', { view: loginView, public: true });
route('/', { view: () => navigate(homePath(), { replace: true }) });
route('/patrons', { view: patronsView, allow: staff('patron_read'), title: '用户 Patrons' });
route('/patrons/new', { view: newPatronView, allow: staff('patron_write'), title: '新建用户 New patron' });
// Portal accounts may ask for a patron page; the server refuses any but their own.
route('/patrons/:id', { view: patronView, title: '用户 Patron' });
route('/key-changes', { view: keyChangesView, allow: staff('patron_write'), title: '关键字段更正 Key changes' });
route('/audit', { view: auditView, allow: staff('audit_read'), title: '审计日志 Audit trail' });
route('/users', { view: usersView, allow: staff('user_admin'), title: '账号管理 Users' });
route('/portal', { view: portalView, allow: () => isPortal(), title: '我的档案 My record' });
route('/records', { view: recordsView, allow: staff('record_read'), title: '档案 Records' });
route('/records/new', { view: newRecordView, allow: staff('record_write'), title: '新建档案 New record' });
// Portal accounts read records too; the server shows them what their access allows.
route('/records/:id', { view: recordView, allow: () => isPortal() || session.permissions.has('record_read'), title: '档案 Record' });
route('/appraisal', {
  view: appraisalView,
  allow: () => !isPortal() && ['appraisal_propose', 'appraisal_decide', 'audit_read'].some((p) => session.permissions.has(p)),
  title: '鉴定 Appraisal',
});
route('/exports', {
  view: exportsView,
  allow: () => !isPortal() && ['record_transfer', 'export_approve', 'audit_read'].some((p) => session.permissions.has(p)),
  title: '档案导出 Exports',
});
route('/locations', { view: locationsView, allow: staff('record_read'), title: '库房 Locations' });
route('/search-demand', { view: demandView, allow: staff('search_demand'), title: '检索需求 Unmet demand' });
route('/catalogue-settings', { view: catalogueSettingsView, allow: staff('catalogue_config'), title: '目录设置 Catalogue settings' });
route('/portal/search', { view: (ctx) => recordsView({ ...ctx, portal: true }), allow: () => isPortal(), title: '档案检索 Search' });
// The service desk (issue 5) and the portal's questions.
route('/tickets', { view: ticketsView, allow: staff('ticket_read'), title: '工单 Tickets' });
route('/tickets/:id', { view: ticketView, allow: staff('ticket_read'), title: '工单 Ticket' });
route('/follow-up-visits', { view: visitsView, allow: staff('ticket_read'), title: '回访 Follow-up visits' });
route('/prospects', { view: prospectsView, allow: staff('ticket_read'), title: '未识别联系人 Prospects' });
route('/service-settings', { view: serviceSettingsView, allow: staff('service_config'), title: '服务台设置 Service settings' });
// Service quality: problems (D13), quality inspection (D14), cases (D32).
route('/problems', { view: problemsView, allow: staff('ticket_read'), title: '问题管理 Problems' });
route('/problems/:id', { view: problemView, allow: staff('ticket_read'), title: '问题 Problem' });
route('/qa', { view: qaView, allow: staff('ticket_read'), title: '服务质检 Quality inspection' });
route('/qa/reviews/:id', { view: reviewView, allow: staff('ticket_read'), title: '质检 Review' });
route('/cases', { view: casesView, allow: staff('ticket_read'), title: '案件 Cases' });
route('/cases/:id', { view: caseView, allow: staff('ticket_read'), title: '案件 Case' });
route('/portal/questions', { view: portalQuestionsView, allow: () => isPortal(), title: '我的咨询 My questions' });
route('/portal/questions/:id', { view: portalQuestionView, allow: () => isPortal(), title: '我的咨询 My question' });
// The message board and FAQ: public pages (no sign-in), the portal's posts, staff screens.
route('/board', { view: boardView, public: true, title: '留言板 Message board' });
route('/board/:id', { view: boardPostView, public: true, title: '留言 Post' });
route('/faq', { view: faqView, public: true, title: '常见问题 FAQ' });
route('/portal/board', { view: portalBoardView, allow: () => isPortal(), title: '我的留言 My posts' });
route('/board-moderation', { view: moderationView, allow: () => !isPortal() && (session.permissions.has('board_moderate') || session.permissions.has('ticket_read')), title: '留言审核 Board moderation' });
route('/faq-entries', { view: faqEntriesView, allow: staff('ticket_read'), title: '常见问题管理 FAQ entries' });
route('/chats', { view: chatConsoleView, allow: staff('ticket_read'), title: '在线咨询 Live chat' });
route('/portal/chat', { view: portalChatView, allow: () => isPortal(), title: '在线咨询 Live chat' });
route('/onsite-visits', { view: onsiteVisitsView, allow: staff('ticket_read'), title: '上门服务 On-site visits' });
route('/portal/onsite-visits', { view: portalOnsiteView, allow: () => isPortal(), title: '上门服务 On-site visits' });
route('/routing-rules', { view: routingRulesView, allow: () => !isPortal() && (session.permissions.has('service_config') || session.permissions.has('ticket_read')), title: '分派规则 Routing rules' });
route('/loans', { view: loansView, allow: staff('loan_read'), title: '借阅 Loans' });
route('/alerts', { view: alertsView, allow: staff('ticket_read'), title: '风险预警 Risk alerts' });
// Knowledge services (D27) and the feature-use report of the trace points (D33).
route('/knowledge-services', { view: knowledgeServicesView, allow: staff('ticket_read'), title: '定题服务 Knowledge services' });
route('/knowledge-services/:id', { view: knowledgeServiceView, allow: staff('ticket_read'), title: '定题服务 Knowledge service' });
route('/portal/research', { view: portalResearchView, allow: () => isPortal(), title: '我的定题服务 My research projects' });
route('/feature-use', {
  view: featureUseView,
  allow: () => !isPortal() && ['trace_report', 'service_config'].some((p) => session.permissions.has(p)),
  title: '功能使用 Feature use',
});

let loaded = false;
let generation = 0;

async function render() {
  const gen = ++generation;
  // A dialog belongs to the page it was opened on (the back button can leave it).
  for (const d of document.querySelectorAll('dialog.dialog')) d.remove();
  const { path, query, state } = current();
  const m = match(path);
  if (!loaded) {
    await loadMe();
    loaded = true;
  }
  if (gen !== generation) return;
  if (!m) {
    if (!session.user) return goLogin();
    const main = shell({ onLogout });
    mount(main, errorPage({ status: 404, message: `没有这个页面：${path}  No such page.` }));
    return;
  }
  const r = m.view;
  if (r.public) {
    resetShell();
    document.title = `${r.title || '登录 Log in'} — 档案 dangan`;
    return r.view({ params: m.params, query, state, root: document.getElementById('app') });
  }
  if (!session.user) return goLogin();
  const main = shell({ onLogout });
  markNav(path);
  document.title = `${r.title || ''} — 档案 dangan`.replace(/^ — /, '');
  if (r.allow && !r.allow()) {
    mount(main, errorPage({ status: 403, message: '您的角色无权打开此页面。Your role may not open this page.' }));
    return;
  }
  // The portal page shown, for the feature-use report (kept by the server only while the
  // trace point is on and the patron consented); never in the way of the page.
  if (isPortal() && path.startsWith('/portal')) post('/api/v1/traces/page', { path }).catch(() => {});
  const page = h('div', { class: 'page' });
  mount(main, page);
  try {
    await r.view({ params: m.params, query, state, root: page });
  } catch (e) {
    if (page.isConnected) mount(page, errorPage(e));
  }
  if (state.focusMain !== false && page.isConnected) main.scrollTop = 0;
}

function goLogin() {
  const { path } = current();
  const next = path && path !== '/login' && path !== '/' ? `?next=${encodeURIComponent(location.pathname + location.search)}` : '';
  return navigate(`/login${next}`, { replace: true });
}

async function onLogout() {
  try {
    await logout();
  } catch {
    /* the session may be gone already */
  }
  resetShell();
  navigate('/login', { replace: true });
}

let lostNoticeShown = false;
setSessionLostHandler(() => {
  if (!session.user) return;
  forget();
  resetShell();
  if (!lostNoticeShown) {
    lostNoticeShown = true;
    setTimeout(() => (lostNoticeShown = false), 2000);
    toast('会话已结束，请重新登录。Your session ended; please log in again.', 'error');
  }
  goLogin();
});

start(render);
