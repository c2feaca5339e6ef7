// faq-entries.js — 常见问题管理 FAQ entries for staff: what awaits approval, every entry
// with how often it was offered, answered a question (deflected a ticket) or was
// followed by a ticket; agents propose (from a resolved consultation, prefilled without
// personal data, or from scratch) and edit; managers approve, reject with a reason
// (never their own proposal) and retire.

import { get, patch, post } from '../api.js';
import { bi, h, mount } from '../dom.js';
import { fmtTime } from '../format.js';
import { can, session } from '../session.js';
import { FAQ_STATUS, faqBadge } from '../board.js';
import { askReason, dialog, field, input, notice, pageHeader, pager, select, textarea, toast } from '../ui.js';

export async function faqEntriesView({ root, query }) {
  const approver = can('faq_approve');
  const status = select({ awaiting: ['待审批', 'Awaiting approval'], ...FAQ_STATUS, all: ['全部', 'All'] }, { value: query.status || (approver ? 'awaiting' : 'all') });
  const q = input({ type: 'search', maxlength: 200 });
  const tbody = h('tbody');
  const table = h(
    'table',
    { class: 'grid faq-table', 'aria-label': '常见问题 FAQ entries' },
    h(
      'thead',
      null,
      h('tr', null, ['问题 Question', '答案 Answer', '状态 Status', '提出 Proposed', '展示 Shown', '已解答 Deflected', '仍提问 Ticket after', '操作 Actions'].map((t) => h('th', { scope: 'col' }, t))),
    ),
    tbody,
  );
  const more = pager(
    (cursor) => get('/api/v1/faq-entries', { status: status.value === 'all' ? undefined : status.value, q: q.value.trim() || undefined, cursor, limit: 50 }),
    (items, first) => {
      if (first) tbody.replaceChildren();
      tbody.append(...items.map(row));
    },
    { empty: '没有条目。No entries.' },
  );
  // One reload at a time: a second one started while the first is loading would append
  // to its rows instead of replacing them.
  let reloads = Promise.resolve();
  const reload = () => (reloads = reloads.then(() => more.reset()));
  function row(e) {
    const acts = h('div', { class: 'row-actions' });
    const own = e.proposed_by === session.user?.id;
    if (approver && e.awaiting_approval && !own) {
      acts.append(
        h('button', { type: 'button', class: 'btn small primary', onclick: () => decide(e, 'approve') }, bi('批准', 'Approve')),
        h('button', {
          type: 'button',
          class: 'btn small',
          onclick: () =>
            askReason({
              title: ['退回', 'Reject'],
              submit: ['退回', 'Reject'],
              onSubmit: async (reason) => {
                await post(`/api/v1/faq-entries/${e.id}/reject`, { reason });
                toast('已退回。Rejected.');
                reload();
              },
            }),
        }, bi('退回', 'Reject')),
      );
    }
    if (approver && e.awaiting_approval && own) acts.append(h('span', { class: 'small muted' }, '本人提出，需另一位主管审批 Your own proposal: another manager decides'));
    if (can('ticket_write') && e.status !== 'retired') acts.append(h('button', { type: 'button', class: 'btn small', onclick: () => edit(e) }, bi('编辑', 'Edit')));
    if (approver && e.status === 'published') acts.append(h('button', { type: 'button', class: 'btn small', onclick: () => decide(e, 'retire') }, bi('停用', 'Retire')));
    const shownText = (text, pending) => [h('div', { class: 'pre' }, text), pending != null && pending !== text ? h('div', { class: 'pending-text' }, h('strong', null, '待批修改 Pending: '), h('span', { class: 'pre' }, pending)) : null];
    return h(
      'tr',
      { dataset: { faq: e.id, status: e.status } },
      h('td', { class: 'wrap' }, shownText(e.question, e.pending?.question)),
      h('td', { class: 'wrap' }, shownText(e.answer, e.pending?.answer)),
      h('td', null, faqBadge(e.status), e.pending ? h('div', null, h('span', { class: 'badge revealed' }, '修改待批 edit pending')) : null, e.reject_reason ? h('div', { class: 'small muted' }, `退回原因 Reason: ${e.reject_reason}`) : null),
      h('td', { class: 'small' }, e.proposed_by_name || '', h('div', { class: 'muted' }, fmtTime(e.proposed_at)), e.source_ticket_id ? h('a', { href: `/tickets/${e.source_ticket_id}` }, bi('来源工单', 'From ticket')) : null),
      h('td', { class: 'num', dataset: { count: 'shown' } }, String(e.counts.shown)),
      h('td', { class: 'num', dataset: { count: 'deflected' } }, String(e.counts.deflected)),
      h('td', { class: 'num', dataset: { count: 'ticket_after' } }, String(e.counts.ticket_after)),
      h('td', null, acts),
    );
  }
  async function decide(e, action) {
    try {
      await post(`/api/v1/faq-entries/${e.id}/${action}`);
      toast(action === 'approve' ? '已批准发布。Approved.' : '已停用。Retired.');
      reload();
    } catch (ex) {
      toast(ex.message, 'error');
    }
  }
  function editor({ title, question, answer, onSubmit, intro }) {
    const qa = textarea({ rows: 3, maxlength: 1000 });
    const an = textarea({ rows: 6, maxlength: 10000 });
    qa.value = question || '';
    an.value = answer || '';
    return dialog({
      title,
      intro,
      wide: true,
      fields: [
        field({ name: 'question', label: ['问题', 'Question'], control: qa, wide: true, required: true }),
        field({ name: 'answer', label: ['答案', 'Answer'], control: an, wide: true, required: true }),
      ],
      submit: ['提交审批', 'Submit for approval'],
      onSubmit: () => onSubmit(qa.value.trim(), an.value.trim()),
    });
  }
  const edit = (e) =>
    editor({
      title: ['编辑常见问题', 'Edit FAQ entry'],
      intro: e.status === 'published' ? '已发布的内容在修改获批前保持不变。The published text stays until the edit is approved.' : null,
      question: e.pending?.question ?? e.question,
      answer: e.pending?.answer ?? e.answer,
      onSubmit: async (question, answer) => {
        await patch(`/api/v1/faq-entries/${e.id}`, { question, answer });
        toast('已提交审批。Submitted for approval.');
        reload();
      },
    });
  // From a resolved consultation (the ticket page links here with ?ticket_id=), or new.
  async function propose(ticketId) {
    let draft = { question: '', answer: '' };
    if (ticketId) draft = await get('/api/v1/faq-entries/draft', { ticket_id: ticketId });
    return editor({
      title: ['提议常见问题', 'Propose an FAQ entry'],
      intro: ticketId ? `据工单 ${draft.ticket_number} 预填，个人信息已自动去除，请检查。Prefilled from the ticket with personal data removed; please check.` : null,
      question: draft.question,
      answer: draft.answer,
      onSubmit: async (question, answer) => {
        await post('/api/v1/faq-entries', { ticket_id: ticketId || undefined, question, answer });
        toast('已提交，等待主管审批。Proposed; a manager approves it.');
        history.replaceState(history.state, '', '/faq-entries');
        reload();
      },
    });
  }
  const filters = h(
    'form',
    { class: 'filters', role: 'search', onsubmit: (e) => (e.preventDefault(), reload()) },
    field({ name: 'status', label: ['状态', 'Status'], control: status }),
    field({ name: 'q', label: ['搜索', 'Search'], control: q }),
    h('button', { type: 'submit', class: 'btn' }, bi('筛选', 'Filter')),
  );
  status.addEventListener('change', reload);
  mount(
    root,
    pageHeader(
      ['常见问题管理', 'FAQ entries'],
      can('ticket_write') ? h('button', { type: 'button', class: 'btn primary', onclick: () => propose(null) }, bi('新建条目', 'New entry')) : null,
      h('a', { class: 'btn', href: '/faq' }, bi('公开常见问题', 'Public FAQ')),
    ),
    notice('info', '“已解答”是读者提问前看到该条目并确认已解答的次数。“Deflected” counts patrons who saw the entry before asking and said it answered them.'),
    filters,
    h('div', { class: 'table-wrap' }, table),
    more.el,
  );
  await more.load();
  if (query.ticket_id && can('ticket_write')) {
    try {
      await propose(Number(query.ticket_id));
    } catch (ex) {
      toast(ex.message, 'error');
    }
  }
}
