// portal-questions.js — 我的咨询 My questions on the patron portal: the patron's own
// tickets, asking a new one, and one question's conversation (their messages and the
// staff's replies; the server never sends internal notes), with a reply box and, for a
// complaint, the remedy offered to accept or decline.

import { get, post } from '../api.js';
import { bi, h, mount } from '../dom.js';
import { fmtTime } from '../format.js';
import { zh } from '../labels.js';
import { navigate } from '../router.js';
import { badge, busy, errorPage, field, formError, input, loading, notice, pageHeader, pager, section, select, textarea, toast } from '../ui.js';
import { TICKET_KINDS, statusBadge } from '../service.js';
import { faqOffer } from '../board.js';
import { fileLinks, ticketFiles, uploadForm } from './contacts.js';

const href = (id) => `/portal/questions/${id}`;

export async function portalQuestionsView({ query, root }) {
  const tbody = h('tbody');
  const table = h(
    'table',
    { class: 'grid questions-table', 'aria-label': '我的咨询 My questions' },
    h('thead', null, h('tr', null, ['编号 Number', '主题 Subject', '类型 Kind', '状态 Status', '提交时间 Asked', '更新 Updated'].map((t) => h('th', { scope: 'col' }, t)))),
    tbody,
  );
  const row = (t) => {
    const tr = h(
      'tr',
      { class: 'clickable', dataset: { id: t.id, number: t.number } },
      h('td', { class: 'mono nowrap' }, h('a', { href: href(t.id) }, t.number)),
      h('td', { class: 'wrap' }, t.subject),
      h('td', null, zh(TICKET_KINDS, t.kind)),
      h('td', null, statusBadge(t.status)),
      h('td', { class: 'num' }, fmtTime(t.created_at)),
      h('td', { class: 'num' }, fmtTime(t.updated_at)),
    );
    tr.addEventListener('click', (e) => {
      if (!e.target.closest('a')) navigate(href(t.id));
    });
    return tr;
  };
  const list = pager(
    (cursor) => get('/api/v1/tickets', { cursor, limit: 50 }),
    (items, first) => {
      if (first) tbody.replaceChildren();
      tbody.append(...items.map(row));
    },
    { empty: '您还没有提过问题。You have not asked anything yet.' },
  );

  const c = { kind: select(TICKET_KINDS, { value: query.kind && TICKET_KINDS[query.kind] ? query.kind : 'consultation' }), subject: input({ maxlength: 200 }), body: textarea({ rows: 5, maxlength: 20000 }) };
  // Matching FAQ entries are offered as the patron types (they may answer the question).
  const offer = faqOffer(c.subject, c.body);
  const err = formError();
  const send = h('button', { type: 'submit', class: 'btn primary' }, bi('提交', 'Send'));
  const form = h(
    'form',
    { class: 'form-grid ask-form', novalidate: true },
    err,
    field({ name: 'kind', label: ['类型', 'Kind'], control: c.kind, required: true }),
    field({ name: 'subject', label: ['主题', 'Subject'], control: c.subject, required: true }),
    field({ name: 'body', label: ['内容', 'Your question'], control: c.body, wide: true, required: true }),
    offer.el,
    h('div', { class: 'form-actions' }, send),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(
      send,
      async () => {
        const t = await post('/api/v1/tickets', { kind: c.kind.value, subject: c.subject.value.trim(), body: c.body.value.trim() });
        await offer.opened();
        toast(`已提交，编号 ${t.number}。Sent.`);
        navigate(href(t.id));
      },
      form,
    );
  });
  mount(
    root,
    pageHeader(['我的咨询', 'My questions']),
    notice('info', '咨询、投诉、建议都可以在这里提交，工作人员的答复会显示在这里。Ask, complain or suggest here; the staff’s replies appear here.'),
    section(['提一个新问题', 'Ask a new question'], form),
    section(['我提过的问题', 'My questions'], h('div', { class: 'table-wrap' }, table), list.el),
  );
  await list.load();
}

export async function portalQuestionView({ params, root }) {
  const id = Number(params.id);
  mount(root, loading());
  let t;
  try {
    t = await get(`/api/v1/tickets/${id}`);
  } catch (e) {
    mount(root, errorPage(e));
    return;
  }
  const draft = textarea({ rows: 4, maxlength: 20000 });
  // Files on the conversation; the patron attaches theirs to their latest message.
  let files = await ticketFiles(id);
  const reloadAll = async () => {
    const next = await get(`/api/v1/tickets/${id}`);
    files = await ticketFiles(id);
    render(next);
  };
  const render = (next) => {
    if (next) t = next;
    const open = t.status !== 'resolved' && t.status !== 'closed';
    const thread = h(
      'ol',
      { class: 'thread', 'aria-label': '往来记录 Conversation' },
      (t.messages || []).map((m) =>
        h(
          'li',
          { class: ['msg', m.from === 'you' ? 'msg-patron' : 'msg-reply'], dataset: { kind: m.kind, from: m.from } },
          h('div', { class: 'msg-head' }, h('strong', null, m.from === 'you' ? bi('我', 'You') : bi('工作人员', 'Staff')), ' ', h('span', { class: 'muted small' }, fmtTime(m.created_at))),
          h('div', { class: 'msg-body pre' }, m.body),
          fileLinks(files.filter((f) => f.message_id === m.id)),
        ),
      ),
    );
    const mine = (t.messages || []).filter((m) => m.from === 'you').at(-1);
    let reply = null;
    if (open) {
      const err = formError();
      const send = h('button', { type: 'submit', class: 'btn primary' }, bi('发送', 'Send'));
      reply = h('form', { class: 'reply-form', novalidate: true }, err, field({ name: 'body', label: ['回复', 'Your reply'], control: draft, wide: true }), h('div', { class: 'form-actions' }, send));
      reply.addEventListener('submit', (e) => {
        e.preventDefault();
        busy(
          send,
          async () => {
            await post(`/api/v1/tickets/${id}/messages`, { body: draft.value.trim() });
            draft.value = '';
            toast('已发送。Sent.');
            render(await get(`/api/v1/tickets/${id}`));
          },
          reply,
        );
      });
    }
    mount(
      root,
      pageHeader([`${t.number} ${t.subject}`, ''], h('a', { class: 'btn', href: '/portal/questions' }, bi('返回列表', 'Back to my questions'))),
      h('p', { class: 'ticket-meta' }, statusBadge(t.status), ' ', badge(zh(TICKET_KINDS, t.kind), 'type'), ' ', h('span', { class: 'muted' }, `提交于 asked ${fmtTime(t.created_at)}`)),
      t.resolution ? notice('ok', h('strong', null, '处理结果 Resolution: '), t.resolution) : null,
      remedyBox(),
      section(['往来记录', 'Conversation'], thread, fileLinks(files.filter((f) => f.message_id == null)), open && mine ? uploadForm(id, mine.id, reloadAll) : null),
      reply ? section(['回复', 'Reply'], reply) : notice('info', '此问题已处理完毕；如仍有疑问，请提一个新问题。This question is closed; please ask a new one.'),
    );
  };
  const remedyBox = () => {
    const r = t.recovery;
    if (!r) return null;
    if (r.accepted != null) {
      const done = section(['补救措施', 'Remedy offered'], h('p', { class: 'pre' }, r.remedy), h('p', null, r.accepted ? badge('您已接受 you accepted', 'ok') : badge('您已拒绝 you declined', 'bad'), r.patron_comment ? ` ${r.patron_comment}` : ''));
      done.classList.add('recovery');
      return done;
    }
    const comment = textarea({ rows: 2, maxlength: 2000 });
    const err = formError();
    const answer = (accepted) => (e) =>
      busy(
        e.currentTarget,
        async () => {
          await post(`/api/v1/tickets/${id}/recovery/answer`, { accepted, comment: comment.value.trim() });
          render(await get(`/api/v1/tickets/${id}`));
          toast(accepted ? '已接受。Accepted.' : '已拒绝。Declined.');
        },
        form,
      );
    const form = h(
      'form',
      { class: 'remedy-form', novalidate: true },
      err,
      h('p', { class: 'pre remedy-text' }, r.remedy),
      field({ name: 'comment', label: ['意见（可选）', 'Comment (optional)'], control: comment, wide: true }),
      h(
        'div',
        { class: 'form-actions' },
        h('button', { type: 'button', class: 'btn primary', onclick: answer(true) }, bi('接受', 'Accept')),
        h('button', { type: 'button', class: 'btn', onclick: answer(false) }, bi('不接受', 'Decline')),
      ),
    );
    const s = section(['我们提出的补救措施', 'The remedy we offer'], form);
    s.classList.add('recovery');
    return s;
  };
  render();
}
