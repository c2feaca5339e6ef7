// board.js — 留言板 the message board: the public list and post pages (no sign-in),
// the public FAQ, a patron's own posts with a new-post form (portal), and the staff's
// moderation queue (publish with corrected public text, reject with a reason, answer on
// the board, take a post up as a ticket).

import { get, post } from '../api.js';
import { bi, h, mount } from '../dom.js';
import { fmtTime } from '../format.js';
import { navigate } from '../router.js';
import { can } from '../session.js';
import { TICKET_KINDS, put, ticketHref } from '../service.js';
import { POST_STATUS, faqOffer, postBadge, publicFrame, snippet } from '../board.js';
import { askReason, busy, dialog, errorPage, field, formError, input, loading, notice, pageHeader, pager, section, select, textarea, toast } from '../ui.js';

// ---------------------------------------------------------------- public

function postCard(p, { link = true } = {}) {
  return h(
    'article',
    { class: 'board-post card', dataset: { post: p.id } },
    h('h2', null, link ? h('a', { href: `/board/${p.id}` }, p.title) : p.title),
    h('p', { class: 'muted small' }, `${p.poster} · ${fmtTime(p.published_at || p.created_at)}`),
    h('p', { class: 'pre board-body' }, p.body),
    p.answer
      ? h('div', { class: 'board-answer' }, h('strong', null, bi('馆方答复', 'Our answer')), ' ', h('span', { class: 'muted small' }, fmtTime(p.answered_at)), h('p', { class: 'pre' }, p.answer))
      : h('p', { class: 'muted small' }, '尚未答复 Not answered yet'),
  );
}

export async function boardView({ root, query }) {
  const q = input({ type: 'search', value: query.q || '', maxlength: 200 });
  const list = h('div', { class: 'board-list' });
  const find = h('button', { type: 'submit', class: 'btn' }, bi('搜索', 'Search'));
  const form = h('form', { class: 'board-search', role: 'search' }, field({ name: 'q', label: ['搜索留言', 'Search the board'], control: q }), find);
  const more = pager(
    (cursor) => get('/api/v1/board/posts', { q: q.value.trim() || undefined, cursor, limit: 10 }),
    (items, first) => {
      if (first) list.replaceChildren();
      list.append(...items.map((p) => postCard(p)));
    },
    { empty: '没有找到留言。No posts found.' },
  );
  let searches = Promise.resolve();
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    history.replaceState(history.state, '', q.value.trim() ? `/board?q=${encodeURIComponent(q.value.trim())}` : '/board');
    searches = searches.then(() => more.reset());
  });
  const main = publicFrame(
    root,
    pageHeader(['留言板', 'Message board'], h('a', { class: 'btn primary', href: '/portal/board' }, bi('我要留言', 'Post a question'))),
    notice('info', '留言经工作人员审核后公开；姓名、电话、邮箱和证件号会自动隐去。Posts appear after moderation; names, phones, e-mail addresses and ID numbers are hidden automatically.'),
    form,
    list,
    more.el,
  );
  main.focus();
  await more.load();
}

export async function boardPostView({ root, params }) {
  const main = publicFrame(root, loading());
  try {
    const p = await get(`/api/v1/board/posts/${Number(params.id)}`);
    mount(main, pageHeader(['留言', 'Post'], h('a', { class: 'btn', href: '/board' }, bi('返回留言板', 'Back to the board'))), postCard(p, { link: false }));
  } catch (e) {
    mount(main, errorPage(e));
  }
}

export async function faqView({ root, query }) {
  const q = input({ type: 'search', value: query.q || '', maxlength: 200 });
  const list = h('div', { class: 'faq-list', 'aria-live': 'polite' });
  const show = async () => {
    const r = await get('/api/v1/faq', { q: q.value.trim() || undefined, limit: 20 });
    list.replaceChildren(
      ...(r.items.length
        ? r.items.map((e) =>
            h(
              'details',
              { class: 'faq-item card', dataset: { faq: e.id } },
              h('summary', null, e.question),
              e.snippet ? h('p', { class: 'faq-snippet small muted' }, snippet(e.snippet)) : null,
              h('p', { class: 'pre' }, e.answer),
            ),
          )
        : [h('p', { class: 'muted' }, '没有找到相关的常见问题。Nothing found.')]),
    );
  };
  let timer = null;
  q.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(show, 250);
  });
  const main = publicFrame(
    root,
    pageHeader(['常见问题', 'Frequently asked questions']),
    h('form', { class: 'board-search', role: 'search', onsubmit: (e) => (e.preventDefault(), show()) }, field({ name: 'q', label: ['搜索常见问题（简体、繁体、拼音、英文均可）', 'Search the FAQ (simplified, traditional, pinyin or English)'], control: q })),
    list,
  );
  main.focus();
  await show();
}

// ---------------------------------------------------------------- portal

export async function portalBoardView({ root }) {
  const title = input({ maxlength: 100 });
  const body = textarea({ rows: 5, maxlength: 5000 });
  const offer = faqOffer(title, body);
  const err = formError();
  const send = h('button', { type: 'submit', class: 'btn primary' }, bi('提交留言', 'Post'));
  const form = h(
    'form',
    { class: 'form-grid post-form', novalidate: true },
    err,
    field({ name: 'title', label: ['标题', 'Title'], control: title, required: true }),
    field({ name: 'body', label: ['内容', 'Your question'], control: body, wide: true, required: true, hint: '审核通过后公开显示，您的姓名、电话、邮箱和证件号会自动隐去。Shown publicly after moderation, with your name, phones, e-mail and ID numbers hidden.' }),
    offer.el,
    h('div', { class: 'form-actions' }, send),
  );
  const tbody = h('tbody');
  const table = h(
    'table',
    { class: 'grid my-posts', 'aria-label': '我的留言 My posts' },
    h('thead', null, h('tr', null, ['标题 Title', '状态 Status', '提交时间 Posted', '答复 Answer'].map((t) => h('th', { scope: 'col' }, t)))),
    tbody,
  );
  const row = (p) =>
    h(
      'tr',
      { dataset: { post: p.id, status: p.status } },
      h('td', { class: 'wrap' }, p.status === 'published' ? h('a', { href: `/board/${p.id}` }, p.title) : p.original_title),
      h('td', null, postBadge(p.status), p.reject_reason ? h('div', { class: 'small muted' }, `原因 Reason: ${p.reject_reason}`) : null),
      h('td', { class: 'num' }, fmtTime(p.created_at)),
      h('td', { class: 'wrap' }, p.answer || h('span', { class: 'muted' }, '—')),
    );
  const list = pager(
    (cursor) => get('/api/v1/board/my-posts', { cursor, limit: 20 }),
    (items, first) => {
      if (first) tbody.replaceChildren();
      tbody.append(...items.map(row));
    },
    { empty: '您还没有留言。You have not posted yet.' },
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(
      send,
      async () => {
        await post('/api/v1/board/posts', { title: title.value.trim(), body: body.value.trim() });
        await offer.opened();
        title.value = '';
        body.value = '';
        offer.el.hidden = true;
        toast('已提交，审核后公开。Posted; it appears after moderation.');
        await list.reset();
      },
      form,
    );
  });
  mount(
    root,
    pageHeader(['我的留言', 'My posts'], h('a', { class: 'btn', href: '/board' }, bi('查看留言板', 'See the board')), h('a', { class: 'btn', href: '/faq' }, bi('常见问题', 'FAQ'))),
    section(['我要留言', 'Post a question'], form),
    section(['我的留言', 'My posts'], h('div', { class: 'table-wrap' }, table), list.el),
  );
  await list.load();
}

// ---------------------------------------------------------------- staff

export async function moderationView({ root, query }) {
  const status = select({ pending: POST_STATUS.pending, published: POST_STATUS.published, rejected: POST_STATUS.rejected, all: ['全部', 'All'] }, { value: query.status || 'pending' });
  const q = input({ type: 'search', maxlength: 200 });
  const list = h('div', { class: 'moderation-list' });
  const moderate = can('board_moderate');
  // From a ticket's page: the post it came from.
  let ticketId = query.ticket_id ? Number(query.ticket_id) : null;
  const more = pager(
    (cursor) =>
      get('/api/v1/board/moderation', ticketId ? { ticket_id: ticketId } : { status: status.value, q: q.value.trim() || undefined, cursor, limit: 20 }),
    (items, first) => {
      if (first) list.replaceChildren();
      list.append(...items.map(card));
    },
    { empty: '没有留言。No posts.' },
  );
  // One reload at a time: a second one started while the first is loading would append
  // to its rows instead of replacing them.
  let reloads = Promise.resolve();
  const reload = () => (reloads = reloads.then(() => more.reset()));
  const card = (p) => {
    const actions = h('div', { class: 'form-actions' });
    if (moderate && p.status === 'pending') {
      actions.append(
        h('button', { type: 'button', class: 'btn primary', onclick: () => publish(p) }, bi('审核发布', 'Publish')),
        h('button', {
          type: 'button',
          class: 'btn',
          onclick: () =>
            askReason({
              title: ['不予发布', 'Do not publish'],
              submit: ['不予发布', 'Reject'],
              hint: '留言人会看到此原因。The poster sees this reason.',
              onSubmit: async (reason) => {
                await post(`/api/v1/board/posts/${p.id}/reject`, { reason });
                toast('已退回。Rejected.');
                reload();
              },
            }),
        }, bi('不予发布', 'Reject')),
      );
    }
    if (moderate && p.status !== 'rejected')
      actions.append(h('button', { type: 'button', class: 'btn', onclick: () => answer(p) }, p.answer ? bi('修改答复', 'Edit answer') : bi('答复', 'Answer')));
    if (can('ticket_write') && !p.ticket_id)
      actions.append(h('button', { type: 'button', class: 'btn', onclick: () => toTicket(p) }, bi('转为工单', 'Make a ticket')));
    return h(
      'article',
      { class: 'board-post card', dataset: { post: p.id, status: p.status } },
      h('h2', null, p.title, ' ', postBadge(p.status)),
      h(
        'p',
        { class: 'muted small' },
        `${p.poster} · ${fmtTime(p.created_at)} · `,
        h('a', { href: `/patrons/${p.patron_id}` }, bi('留言人', 'Poster')),
        p.ticket_id ? [' · ', h('a', { href: ticketHref(p.ticket_id) }, bi('对应工单', 'Its ticket'))] : null,
      ),
      h('p', { class: 'pre board-body' }, p.body),
      p.reject_reason ? notice('warn', `未发布原因 Reason: ${p.reject_reason}`) : null,
      p.answer ? h('div', { class: 'board-answer' }, h('strong', null, bi('馆方答复', 'Our answer')), h('p', { class: 'pre' }, p.answer)) : null,
      actions,
    );
  };
  const publish = async (p) => {
    const full = await get(`/api/v1/board/moderation/${p.id}`);
    const title = input({ value: full.title, maxlength: 100 });
    const body = textarea({ rows: 6, maxlength: 5000, value: full.body });
    body.value = full.body;
    await dialog({
      title: ['审核发布', 'Publish'],
      wide: true,
      intro: h('div', null, h('p', { class: 'small muted' }, '原文（仅工作人员可见）Original text (staff only):'), h('p', { class: 'pre original-text' }, `${full.original_title}\n${full.original_body}`)),
      fields: [
        field({ name: 'public_title', label: ['公开标题', 'Public title'], control: title, required: true }),
        field({ name: 'public_body', label: ['公开内容', 'Public text'], control: body, wide: true, required: true, hint: '电话、邮箱、证件号会再次自动隐去。Phones, e-mail addresses and ID numbers are masked again.' }),
      ],
      submit: ['发布', 'Publish'],
      onSubmit: async () => {
        await post(`/api/v1/board/posts/${p.id}/publish`, { public_title: title.value.trim(), public_body: body.value.trim() });
        toast('已发布。Published.');
        reload();
      },
    });
  };
  const answer = (p) => {
    const text = textarea({ rows: 5, maxlength: 5000 });
    text.value = p.answer || '';
    return dialog({
      title: ['答复留言', 'Answer on the board'],
      fields: [field({ name: 'answer', label: ['答复', 'Answer'], control: text, wide: true, required: true, hint: '答复公开显示。The answer is public.' })],
      submit: ['保存答复', 'Save answer'],
      onSubmit: async () => {
        await put(`/api/v1/board/posts/${p.id}/answer`, { answer: text.value.trim() });
        toast('已答复。Answered.');
        reload();
      },
    });
  };
  const toTicket = (p) => {
    const kind = select(TICKET_KINDS, { value: 'consultation' });
    return dialog({
      title: ['转为工单', 'Make a ticket'],
      intro: '以留言人为用户、留言板为渠道建立工单。A ticket on the message-board channel with the poster as its patron.',
      fields: [field({ name: 'kind', label: ['类型', 'Kind'], control: kind, required: true })],
      submit: ['建立工单', 'Open ticket'],
      onSubmit: async () => {
        const r = await post(`/api/v1/board/posts/${p.id}/ticket`, { kind: kind.value });
        toast(`已建立工单 ${r.ticket.number}。Ticket opened.`);
        navigate(ticketHref(r.ticket.id));
      },
    });
  };
  const filters = h(
    'form',
    { class: 'filters', role: 'search', onsubmit: (e) => (e.preventDefault(), reload()) },
    field({ name: 'status', label: ['状态', 'Status'], control: status }),
    field({ name: 'q', label: ['搜索', 'Search'], control: q }),
    h('button', { type: 'submit', class: 'btn' }, bi('筛选', 'Filter')),
  );
  status.addEventListener('change', () => {
    ticketId = null;
    reload();
  });
  mount(root, pageHeader(['留言审核', 'Board moderation'], h('a', { class: 'btn', href: '/board' }, bi('公开留言板', 'Public board'))), filters, list, more.el);
  await more.load();
}
