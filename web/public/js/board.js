// board.js — what the message board and FAQ screens share: labels, status badges, the
// public page frame (no sign-in needed), and the FAQ offer of the portal's question form.

import { get, post } from './api.js';
import { bi, h } from './dom.js';
import { zh } from './labels.js';
import { isPortal, session } from './session.js';

export const POST_STATUS = {
  pending: ['待审核', 'Pending'],
  published: ['已发布', 'Published'],
  rejected: ['未通过', 'Not published'],
};
export const FAQ_STATUS = {
  proposed: ['待审批', 'Proposed'],
  published: ['已发布', 'Published'],
  rejected: ['已退回', 'Rejected'],
  retired: ['已停用', 'Retired'],
};

export function postBadge(status) {
  const kind = status === 'published' ? 'ok' : status === 'rejected' ? 'bad' : 'revealed';
  return h('span', { class: ['badge', kind], dataset: { status } }, zh(POST_STATUS, status));
}
export function faqBadge(status) {
  const kind = status === 'published' ? 'ok' : status === 'rejected' ? 'bad' : status === 'proposed' ? 'revealed' : '';
  return h('span', { class: ['badge', kind], dataset: { status } }, zh(FAQ_STATUS, status));
}

// A snippet from the server: HTML-escaped text with <mark> around matches. Rebuilt as
// nodes (never innerHTML), so only <mark> can come through.
export function snippet(text) {
  const out = [];
  const parts = String(text || '').split(/(<mark>|<\/mark>)/);
  let marked = false;
  for (const p of parts) {
    if (p === '<mark>') marked = true;
    else if (p === '</mark>') marked = false;
    else if (p) {
      const t = p.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
      out.push(marked ? h('mark', null, t) : t);
    }
  }
  return out;
}

// The frame of the public pages (board, FAQ): readable without signing in.
export function publicFrame(root, ...content) {
  const signedIn = !!session.user;
  const links = [
    h('a', { href: '/board' }, bi('留言板', 'Message board')),
    h('a', { href: '/faq' }, bi('常见问题', 'FAQ')),
    signedIn
      ? h('a', { href: isPortal() ? '/portal/board' : '/' }, isPortal() ? bi('我的留言', 'My posts') : bi('工作台', 'Console'))
      : h('a', { href: `/login?next=${encodeURIComponent('/portal/board')}` }, bi('登录后留言', 'Log in to post')),
  ];
  const main = h('main', { id: 'main', class: 'public-main', tabindex: '-1' }, ...content);
  root.replaceChildren(
    h(
      'div',
      { class: 'public-page' },
      h(
        'header',
        { class: 'topbar public-top' },
        h('a', { class: 'brand', href: '/board' }, h('span', { class: 'brand-zh' }, '档案'), ' ', h('span', { class: 'brand-en' }, 'dangan')),
        h('span', { class: 'brand-sub' }, '读者服务 Patron services'),
        h('nav', { class: 'public-nav', 'aria-label': '公共导航 Public navigation' }, links),
      ),
      main,
    ),
  );
  return main;
}

// The FAQ offer of a new-question form: as the patron types, matching published
// entries appear; "this answered my question" records a deflection, and `opened()`
// (call it when the question is sent anyway) records that what was shown did not.
export function faqOffer(...inputs) {
  const list = h('ul', { class: 'faq-offer-list' });
  const box = h(
    'div',
    { class: 'faq-offer', hidden: true, role: 'region', 'aria-label': '可能有帮助的常见问题 FAQ that may help' },
    h('h3', null, bi('这些常见问题可能已经回答了您的问题', 'These FAQ entries may answer your question')),
    list,
  );
  let shown = new Set();
  let answered = false;
  let timer = null;
  let asked = 0;
  const lookup = async () => {
    const q = inputs.map((i) => i.value.trim()).filter(Boolean).join(' ').slice(0, 200);
    const n = ++asked;
    if (q.length < 2) {
      box.hidden = true;
      return;
    }
    let r;
    try {
      r = await get('/api/v1/faq', { q, limit: 3 });
    } catch {
      return; // an offer is a help, never an obstacle
    }
    if (n !== asked || answered) return;
    list.replaceChildren(
      ...r.items.map((e) => {
        shown.add(e.id);
        const thanks = h('button', { type: 'button', class: 'btn small' }, bi('这解答了我的问题', 'This answered my question'));
        thanks.addEventListener('click', async () => {
          thanks.disabled = true;
          try {
            await post('/api/v1/faq/feedback', { shown: [...[...shown].filter((x) => x !== e.id).slice(0, 19), e.id], answered_by: e.id });
          } catch {
            /* counted or not, the patron has their answer */
          }
          answered = true;
          box.replaceChildren(h('p', { class: 'notice ok', role: 'status' }, '很高兴能帮到您，无需再提交问题。Glad it helped — no need to send the question.'));
        });
        return h(
          'li',
          { class: 'faq-offer-item', dataset: { faq: e.id } },
          h('details', null, h('summary', null, e.question), h('p', { class: 'pre' }, e.answer), thanks),
        );
      }),
    );
    box.hidden = r.items.length === 0;
  };
  for (const i of inputs)
    i.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(lookup, 250);
    });
  return {
    el: box,
    async opened() {
      if (answered || shown.size === 0) return;
      try {
        await post('/api/v1/faq/feedback', { shown: [...shown].slice(0, 20) });
      } catch {
        /* the question is sent; the count is a statistic */
      }
    },
  };
}
