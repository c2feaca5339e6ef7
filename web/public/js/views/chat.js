// chat.js — live chat (在线咨询). Staff: the chat console (/chats) — availability, the
// chats waiting for them with accept, their open chats, the conversation of the one
// chosen, and beside it the patron's 360° summary (the patron as the role may see them,
// their service tier and the desk's summary: sensitive, active tickets, alerts, last
// satisfaction). Patron: /portal/chat — start a chat, then talk.
//
// Both sides read the ticket's event stream (EventSource on /api/v1/tickets/{id}/events):
// `message` events append lines, `state` events say whether an agent has joined and when
// the chat is over. EventSource reconnects by itself with Last-Event-ID, so a line is
// never shown twice or missed; each line's id is remembered to drop repeats anyway.

import { get, post, request } from '../api.js';
import { bi, h, mount } from '../dom.js';
import { fmtTime } from '../format.js';
import { zh } from '../labels.js';
import { navigate, setQuery } from '../router.js';
import { badge, busy, errorPage, field, formError, loading, notice, pageHeader, section, select, textarea, toast } from '../ui.js';
import { MESSAGE_KINDS, TICKET_KINDS, statusBadge } from '../service.js';

const AVAILABILITY = {
  available: ['在线', 'Available'],
  away: ['离开', 'Away'],
  offline: ['离线', 'Offline'],
};
const LANGUAGES = { 'zh-Hans': '简体中文', 'zh-Hant': '繁體中文', en: 'English' };

// One stream at a time: a new chat view closes the previous view's stream.
let current = null;
function closeStream() {
  if (current) current.close();
  current = null;
}

// Follows a ticket's thread. onLine(message), onState(state); closes itself once the chat
// is over or its element has left the page.
function follow(ticketId, el, { onLine, onState }) {
  closeStream();
  const es = new EventSource(`/api/v1/tickets/${ticketId}/events`);
  const seen = new Set();
  const watchdog = setInterval(() => {
    if (!document.body.contains(el)) stop();
  }, 1000);
  const stop = () => {
    clearInterval(watchdog);
    es.close();
    if (current === handle) current = null;
  };
  const handle = { close: stop };
  current = handle;
  es.addEventListener('message', (e) => {
    if (seen.has(e.lastEventId)) return;
    seen.add(e.lastEventId);
    onLine(JSON.parse(e.data));
  });
  es.addEventListener('state', (e) => {
    const s = JSON.parse(e.data);
    onState(s);
    if (s.status === 'resolved' || s.status === 'closed') stop();
  });
  es.addEventListener('error', (e) => {
    // A server-sent `error` event carries a reason; a dropped connection has none and
    // EventSource retries by itself.
    if (e.data) {
      stop();
      onState({ error: JSON.parse(e.data) });
    }
  });
  return handle;
}

function line(m, { staff }) {
  const mine = staff ? m.kind === 'reply' || m.kind === 'note' : m.from === 'you';
  const who = staff
    ? m.kind === 'patron'
      ? bi('用户', 'Patron')
      : m.kind === 'system'
        ? bi('系统', 'System')
        : [m.author_name || '', ' ', m.kind === 'note' ? badge(zh(MESSAGE_KINDS, 'note'), 'warn') : null]
    : mine
      ? bi('我', 'You')
      : bi('客服', 'Agent');
  const cls = m.kind === 'system' ? 'msg-system' : m.kind === 'note' ? 'msg-note' : m.kind === 'patron' || m.from === 'you' ? 'msg-patron' : 'msg-reply';
  return h(
    'li',
    { class: ['msg', cls, mine && 'msg-mine'], dataset: { id: m.id, kind: m.kind } },
    h('div', { class: 'msg-head' }, h('strong', null, who), ' ', h('span', { class: 'muted small' }, fmtTime(m.created_at))),
    h('div', { class: 'msg-body pre' }, m.body),
  );
}

// The conversation of one chat with its composer; `staff` adds notes and names.
function conversation(ticket, { staff, onState }) {
  const list = h('ol', { class: 'thread chat-thread', 'aria-label': '对话 Conversation', 'aria-live': 'polite' });
  const status = h('p', { class: 'chat-status', role: 'status' });
  const draft = textarea({ rows: 3, maxlength: 20000, 'aria-label': '输入消息 Your message' });
  const err = formError();
  const send = h('button', { type: 'submit', class: 'btn primary' }, bi('发送', 'Send'));
  const note = staff ? h('input', { type: 'checkbox', id: `note-${ticket.id}` }) : null;
  const form = h(
    'form',
    { class: 'chat-composer', novalidate: true },
    err,
    draft,
    h('div', { class: 'form-actions' }, staff ? h('label', { class: 'inline', for: `note-${ticket.id}` }, note, ' ', bi('内部备注', 'Internal note')) : null, send),
  );
  const el = h('div', { class: 'chat-conversation', dataset: { ticket: ticket.id } }, status, h('div', { class: 'chat-scroll' }, list), form);
  const scroll = el.querySelector('.chat-scroll');
  const showState = (s) => {
    if (s.error) {
      status.replaceChildren(badge(bi('连接已断开', 'Disconnected'), 'bad'), ' ', s.error.message);
      return;
    }
    const over = s.status === 'resolved' || s.status === 'closed';
    form.hidden = over;
    status.replaceChildren(
      over
        ? bi('对话已结束', 'This chat has ended')
        : s.accepted
          ? bi(`客服 ${s.agent_name || ''} 正在为您服务`, `${s.agent_name || 'An agent'} has joined`)
          : bi('正在等待客服接入…', 'Waiting for an agent…'),
    );
    status.dataset.state = over ? 'over' : s.accepted ? 'accepted' : 'waiting';
    if (onState) onState(s);
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const body = draft.value.trim();
    if (!body) return;
    busy(
      send,
      async () => {
        await post(`/api/v1/chats/${ticket.id}/messages`, staff && note.checked ? { kind: 'note', body } : { body });
        draft.value = '';
        draft.focus();
      },
      form,
    );
  });
  draft.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  follow(ticket.id, el, {
    onLine: (m) => {
      list.append(line(m, { staff }));
      scroll.scrollTop = scroll.scrollHeight;
    },
    onState: showState,
  });
  return el;
}

// ------------------------------------------------------------------ staff console

function patronSummary(patronId) {
  const el = h('aside', { class: 'chat-side card', 'aria-label': '用户概况 Patron summary' }, h('h2', null, bi('用户概况', 'Patron at a glance')), loading());
  if (!patronId) {
    mount(el, h('h2', null, bi('用户概况', 'Patron at a glance')), h('p', { class: 'muted' }, '匿名 anonymous'));
    return el;
  }
  Promise.all([
    get(`/api/v1/patrons/${patronId}`),
    get(`/api/v1/patrons/${patronId}/service-summary`).catch(() => null),
    get(`/api/v1/patrons/${patronId}/service-tier`).catch(() => null),
  ]).then(
    ([p, s, tier]) => {
      const dd = (v) => (v === null || v === undefined || v === '' ? h('span', { class: 'muted' }, '—') : v);
      const contacts = (p.contacts || []).slice(0, 3).map((c) => h('div', { class: 'mono small' }, c.kind === 'phone' ? '☎ ' : '✉ ', c.value));
      mount(
        el,
        h('h2', null, bi('用户概况', 'Patron at a glance')),
        h('p', { class: 'chat-patron-name' }, h('strong', null, p.name || '—'), ' ', s?.sensitive ? badge(bi('敏感客户', 'Sensitive'), 'bad') : null, ' ', tier?.tier ? badge(tier.name, 'info') : null),
        h(
          'dl',
          { class: 'kv compact' },
          h('dt', null, bi('联系方式', 'Contacts')),
          h('dd', null, contacts.length ? contacts : dd(null)),
          h('dt', null, bi('语言', 'Language')),
          h('dd', null, dd(LANGUAGES[p.preferred_language] || p.preferred_language)),
          h('dt', null, bi('处理中工单', 'Active tickets')),
          h('dd', { dataset: { summary: 'active_tickets' } }, dd(s?.active_tickets)),
          h('dt', null, bi('处理中投诉', 'Active complaints')),
          h('dd', null, dd(s?.active_complaints)),
          h('dt', null, bi('未处理预警', 'Open alerts')),
          h('dd', null, dd(s?.unresolved_alerts)),
          h('dt', null, bi('最近满意度', 'Last satisfaction')),
          h('dd', null, s?.last_satisfaction ? `${'★'.repeat(s.last_satisfaction)} (${s.last_satisfaction}/5)` : dd(null)),
        ),
        h('p', null, h('a', { href: `/patrons/${patronId}` }, bi('查看完整档案与时间线', 'Full record and timeline'), ' →')),
      );
    },
    (e) => mount(el, h('h2', null, bi('用户概况', 'Patron at a glance')), notice('error', e.message)),
  );
  return el;
}

export async function chatConsoleView({ query, root }) {
  closeStream();
  mount(root, loading());
  let q;
  try {
    q = await get('/api/v1/chats');
  } catch (e) {
    mount(root, errorPage(e));
    return;
  }
  let chosen = query.id ? Number(query.id) : null;
  const availability = select(AVAILABILITY, { value: q.availability, 'aria-label': '接待状态 Availability' });
  availability.addEventListener('change', async () => {
    try {
      await request('PUT', '/api/v1/agents/me/availability', { body: { status: availability.value } });
      toast(`${zh(AVAILABILITY, availability.value)} ${AVAILABILITY[availability.value][1]}`);
    } catch (e) {
      toast(e.message, 'error');
    }
  });
  const waitingList = h('ul', { class: 'chat-list', 'aria-label': '等待接入 Waiting' });
  const mineList = h('ul', { class: 'chat-list', 'aria-label': '我的对话 My chats' });
  const center = h('div', { class: 'chat-center' });
  const side = h('div', { class: 'chat-side-wrap' });

  const item = (c, waiting) =>
    h(
      'li',
      { class: ['chat-item', c.id === chosen && 'current'], dataset: { id: c.id } },
      h(
        'a',
        { href: `/chats?id=${c.id}`, onclick: (e) => (e.preventDefault(), choose(c.id)) },
        h('span', { class: 'mono small' }, c.number),
        ' ',
        c.patron_sensitive ? badge(bi('敏感', 'Sensitive'), 'bad') : null,
        h('div', { class: 'chat-item-line' }, waiting ? c.last_patron_line : c.subject),
        h('div', { class: 'muted small' }, fmtTime(waiting ? c.created_at : c.updated_at)),
      ),
      waiting
        ? h('button', { type: 'button', class: 'btn small primary', onclick: (e) => accept(c.id, e.currentTarget) }, bi('接入', 'Accept'))
        : null,
    );
  const fill = () => {
    waitingList.replaceChildren(...(q.waiting.length ? q.waiting.map((c) => item(c, true)) : [h('li', { class: 'muted' }, '没有等待的对话。No one is waiting.')]));
    mineList.replaceChildren(...(q.mine.length ? q.mine.map((c) => item(c, false)) : [h('li', { class: 'muted' }, '暂无。None.')]));
  };
  const refresh = async () => {
    try {
      q = await get('/api/v1/chats');
      fill();
    } catch {
      // the next refresh tries again
    }
  };
  const accept = (id, button) =>
    busy(button, async () => {
      await post(`/api/v1/chats/${id}/accept`);
      await refresh();
      choose(id);
    });
  const choose = async (id) => {
    chosen = id;
    setQuery({ id });
    fill();
    mount(center, loading());
    try {
      const t = await get(`/api/v1/tickets/${id}`);
      mount(
        center,
        h(
          'div',
          { class: 'chat-head' },
          h('h2', null, h('a', { href: `/tickets/${t.id}` }, t.number), ' ', t.subject),
          statusBadge(t.status),
          ' ',
          h('span', { class: 'muted small' }, zh(TICKET_KINDS, t.kind)),
          t.routed_by ? h('p', { class: 'muted small routed-by' }, bi('分派', 'Routed'), ': ', t.routed_by) : null,
        ),
        conversation(t, { staff: true, onState: () => refresh() }),
      );
      mount(side, patronSummary(t.patron_id));
    } catch (e) {
      mount(center, notice('error', e.message));
    }
  };

  // The waiting list refreshes every 5 s while the console is open.
  const page = h(
    'div',
    { class: 'chat-console' },
    h(
      'div',
      { class: 'chat-lists card' },
      field({ name: 'availability', label: ['接待状态', 'Availability'], control: availability }),
      h('h2', null, bi('等待接入', 'Waiting')),
      waitingList,
      h('h2', null, bi('我的对话', 'My chats')),
      mineList,
    ),
    center,
    side,
  );
  const timer = setInterval(() => {
    if (!document.body.contains(page)) clearInterval(timer);
    else refresh();
  }, 5000);
  mount(root, pageHeader(['在线咨询', 'Live chat']), page);
  fill();
  if (chosen) choose(chosen);
  else mount(center, h('p', { class: 'muted chat-empty' }, '从左侧选择或接入一个对话。Choose or accept a chat on the left.'));
}

// ------------------------------------------------------------------ patron portal

export async function portalChatView({ root }) {
  closeStream();
  mount(root, loading());
  let active;
  try {
    const r = await get('/api/v1/tickets', { channel: 'chat', status: 'active', limit: 1 });
    active = (r.items || [])[0];
  } catch (e) {
    mount(root, errorPage(e));
    return;
  }
  const header = pageHeader(['在线咨询', 'Live chat']);
  if (active) {
    mount(
      root,
      header,
      section([active.subject, active.number], conversation(active, { staff: false })),
      h('p', null, h('a', { href: `/portal/questions/${active.id}` }, bi('这次对话也保存在“我的咨询”中', 'This chat is also kept under My questions'))),
    );
    return;
  }
  const body = textarea({ rows: 4, maxlength: 20000 });
  const kind = select(TICKET_KINDS, { value: 'consultation' });
  const err = formError();
  const start = h('button', { type: 'submit', class: 'btn primary' }, bi('开始对话', 'Start the chat'));
  const form = h(
    'form',
    { class: 'form-grid', novalidate: true },
    err,
    field({ name: 'kind', label: ['类型', 'Kind'], control: kind }),
    field({ name: 'body', label: ['您想咨询什么？', 'What would you like to ask?'], control: body, wide: true, required: true }),
    h('div', { class: 'form-actions' }, start),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(
      start,
      async () => {
        await post('/api/v1/chats', { kind: kind.value, body: body.value.trim() });
        navigate('/portal/chat', { replace: true });
      },
      form,
    );
  });
  mount(root, header, notice('info', '工作时间内客服会尽快接入；对话内容会保存在“我的咨询”中。An agent joins as soon as one is free; the chat is kept under My questions.'), section(['开始新的对话', 'Start a chat'], form));
}

