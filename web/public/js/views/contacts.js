// contacts.js — contacts on every channel (interactions), unknown senders (prospects) and
// a ticket's e-mail and files: the /prospects page with the merge into a patron, the
// contacts block on a patron's page, and the mail and files card on a ticket.

import { get, post, request } from '../api.js';
import { bi, h, mount } from '../dom.js';
import { fmtTime } from '../format.js';
import { zh } from '../labels.js';
import { setQuery } from '../router.js';
import { can } from '../session.js';
import { badge, busy, dialog, field, formError, input, notice, pageHeader, pager, section, select, showError, textarea, toast } from '../ui.js';
import { TICKET_CHANNELS, ticketHref } from '../service.js';
import { sizeText } from './record.js';

const DIRECTIONS = { in: ['来', 'In'], out: ['往', 'Out'] };
const MAIL_STATUS = { queued: ['待发送', 'Queued'], sending: ['发送中', 'Sending'], sent: ['已发送', 'Sent'], failed: ['发送失败', 'Failed'] };
const mailBadge = (s) => badge(`${zh(MAIL_STATUS, s)} ${MAIL_STATUS[s]?.[1] ?? s}`, s === 'sent' ? 'ok' : s === 'failed' ? 'bad' : 'type');

// ------------------------------------------------------------------ /prospects

export async function prospectsView({ query, root }) {
  const q = input({ type: 'search', value: query.q ?? '', placeholder: '姓名、电话、邮箱 Name, phone, e-mail', 'aria-label': '查找 Search' });
  const status = select({ open: ['未合并', 'Open'], merged: ['已合并', 'Merged'], all: ['全部', 'All'] }, { value: query.status ?? 'open', 'aria-label': '状态 Status' });
  const tbody = h('tbody');
  const heads = ['称呼 Name', '联系方式 Address', '来源 Source', '首次 / 最近 First / last seen', '来往 Contacts', '工单 Tickets', ''];
  const table = h('table', { class: 'grid prospects-table', 'aria-label': '未识别联系人 Prospects' }, h('thead', null, h('tr', null, heads.map((t) => h('th', { scope: 'col' }, t)))), tbody);

  const merge = (p, tr) => {
    const patron = input({ type: 'number', min: 1, inputmode: 'numeric' });
    const reason = textarea({ rows: 2, maxlength: 1000 });
    return dialog({
      title: ['合并到用户', 'Merge into a patron'],
      intro: h('p', null, `${p.display_name || '—'} · ${[p.phone, p.email, p.handle].filter(Boolean).join(' · ')}`, h('br'), h('span', { class: 'muted small' }, '其来往记录和工单将转到该用户名下。Their contacts and tickets move to the patron.')),
      fields: [
        field({ name: 'patron_id', label: ['用户编号', 'Patron id'], control: patron, required: true }),
        field({ name: 'reason', label: ['依据', 'Why they are the same'], control: reason, wide: true }),
      ],
      submit: ['合并', 'Merge'],
      onSubmit: async () => {
        const out = await post(`/api/v1/prospects/${p.id}/merge`, { patron_id: Number(patron.value), reason: reason.value.trim() });
        tr.replaceWith(row(out));
        toast(`已合并：${out.moved.interactions} 条来往，${out.moved.tickets.length} 张工单。Merged.`);
      },
    });
  };

  const row = (p) =>
    h(
      'tr',
      { dataset: { id: p.id, status: p.status } },
      h('td', null, h('strong', null, p.display_name || '—'), ' ', h('span', { class: 'muted small' }, `#${p.id}`)),
      h('td', { class: 'wrap' }, [p.phone, p.email, p.handle].filter(Boolean).map((a) => h('div', { class: 'mono small' }, a))),
      h('td', null, zh(TICKET_CHANNELS, p.source_channel) || p.source_channel),
      h('td', { class: 'nowrap small' }, fmtTime(p.first_seen), h('br'), fmtTime(p.last_seen)),
      h('td', { class: 'num' }, p.interactions ?? p.moved?.interactions ?? '—'),
      h('td', { class: 'num' }, p.tickets ?? p.moved?.tickets?.length ?? '—'),
      h(
        'td',
        null,
        p.status === 'merged'
          ? h('a', { href: `/patrons/${p.merged_into}` }, bi('已合并到', 'Merged into'), ` #${p.merged_into}`)
          : can('patron_write') && can('ticket_write')
            ? h('button', { type: 'button', class: 'btn small', onclick: (e) => merge(p, e.currentTarget.closest('tr')) }, bi('合并到用户', 'Merge'))
            : null,
      ),
    );

  const list = pager(
    (cursor) => get('/api/v1/prospects', { q: q.value.trim(), status: status.value, cursor, limit: 50 }),
    (items, first) => {
      if (first) tbody.replaceChildren();
      tbody.append(...items.map(row));
    },
    { empty: '没有未识别联系人。No prospects.' },
  );
  const refresh = () => {
    setQuery({ q: q.value.trim() || undefined, status: status.value });
    list.reset();
  };
  status.addEventListener('change', refresh);
  const form = h('form', { class: 'toolbar', role: 'search' }, q, status, h('button', { type: 'submit', class: 'btn' }, bi('查找', 'Search')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    refresh();
  });
  mount(
    root,
    pageHeader(['未识别联系人', 'Prospects']),
    h('p', { class: 'muted' }, '来电、短信、邮件等未能匹配到用户的联系人；核实后可合并到用户。Senders no patron matched; merge them once you know who they are.'),
    form,
    h('div', { class: 'table-wrap' }, table),
    list.el,
  );
  await list.load();
}

// ------------------------------------------------------------------ a patron's contacts

// The patron's contacts on every channel, newest first, and a form to log one.
export function interactionsBlock(patronId) {
  const el = h('div');
  const load = async () => {
    if (!can('ticket_read')) return;
    let page;
    try {
      page = await get('/api/v1/interactions', { patron_id: patronId, limit: 20 });
    } catch {
      return mount(el);
    }
    const items = page.items || [];
    const list = items.length
      ? h(
          'ol',
          { class: 'interactions', 'aria-label': '来往记录 Contacts' },
          items.map((i) =>
            h(
              'li',
              { dataset: { id: i.id, channel: i.channel } },
              h('span', { class: 'muted small' }, `${fmtTime(i.occurred_at)} · ${zh(TICKET_CHANNELS, i.channel)} · ${zh(DIRECTIONS, i.direction)} `),
              h('strong', null, i.subject || ''),
              i.body ? h('div', { class: 'pre small' }, i.body) : null,
              i.ticket_id ? h('a', { href: ticketHref(i.ticket_id), class: 'small' }, `工单 ticket #${i.ticket_id}`) : null,
            ),
          ),
        )
      : h('p', { class: 'muted' }, '暂无来往记录。No contacts yet.');
    mount(el, section(['来往记录', 'Contacts'], list, can('ticket_write') ? logForm() : null));
  };
  const logForm = () => {
    const channel = select(TICKET_CHANNELS, { value: 'phone', 'aria-label': '渠道 Channel' });
    const direction = select(DIRECTIONS, { value: 'in', 'aria-label': '方向 Direction' });
    const subject = input({ maxlength: 200, placeholder: '事由 Subject', 'aria-label': '事由 Subject' });
    const body = textarea({ rows: 2, maxlength: 20000, placeholder: '内容 What was said', 'aria-label': '内容 What was said' });
    const save = h('button', { type: 'submit', class: 'btn small' }, bi('记录来往', 'Log contact'));
    const form = h('form', { class: 'interaction-form', novalidate: true }, formError(), h('div', { class: 'row' }, channel, direction, subject), body, save);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      busy(
        save,
        async () => {
          await post('/api/v1/interactions', { channel: channel.value, direction: direction.value, patron_id: patronId, subject: subject.value.trim(), body: body.value.trim() });
          toast('已记录。Logged.');
          await load();
        },
        form,
      );
    });
    return form;
  };
  return { el, load };
}

// ------------------------------------------------------------------ a ticket's mail and files

// Files of the ticket by message id (null: on the ticket), for the thread.
export async function ticketFiles(ticketId) {
  try {
    return (await get(`/api/v1/tickets/${ticketId}/attachments`)).items || [];
  } catch {
    return [];
  }
}

export function fileLinks(files) {
  if (!files.length) return null;
  return h(
    'ul',
    { class: 'msg-files', 'aria-label': '附件 Files' },
    files.map((f) =>
      h('li', null, h('a', { href: `/api/v1/ticket-attachments/${f.id}/content`, download: f.filename }, f.filename), h('span', { class: 'muted small' }, ` ${f.mime} · ${sizeText(f.size)}`), f.internal ? h('span', { class: 'muted small' }, ' · 内部 internal') : null),
    ),
  );
}

// An upload control: the file goes on `messageId` (or the ticket), then `done()`.
export function uploadForm(ticketId, messageId, done) {
  const file = h('input', { type: 'file', id: `tfile-${ticketId}-${messageId ?? 't'}`, 'aria-label': '选择文件 Choose a file' });
  const send = h('button', { type: 'submit', class: 'btn small' }, bi('上传附件', 'Attach'));
  const form = h('form', { class: 'upload-form', novalidate: true }, formError(), h('div', { class: 'field', dataset: { field: 'file' } }, file, h('div', { class: 'field-error' })), send);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const f = file.files?.[0];
    if (!f) return showError(form, { field: 'file', message: '请选择文件。Choose a file.' });
    busy(
      send,
      async () => {
        const query = { filename: f.name };
        if (messageId) query.message_id = messageId;
        await request('POST', `/api/v1/tickets/${ticketId}/attachments`, { query, raw: f });
        file.value = '';
        toast(`已上传 ${f.name}。Uploaded.`);
        await done();
      },
      form,
    );
  });
  return form;
}

// The ticket's e-mail: who it goes to, each outbound message's state, retry.
export function mailCard(ticketId) {
  const el = h('div');
  const load = async () => {
    let m;
    try {
      m = await get(`/api/v1/tickets/${ticketId}/mail`);
    } catch {
      return mount(el);
    }
    if (!m.outbound.length && !m.inbound.length && !m.prospect) return mount(el);
    const out = m.outbound.map((o) =>
      h(
        'li',
        { dataset: { outbox: o.id, status: o.status } },
        mailBadge(o.status),
        ' ',
        h('span', { class: 'small' }, `→ ${o.to}`),
        h('div', { class: 'muted small' }, fmtTime(o.sent_at || o.created_at), o.attempts ? ` · 尝试 ${o.attempts} attempts` : ''),
        o.last_error && o.status !== 'sent' ? h('div', { class: 'small bad-text' }, o.last_error) : null,
        (o.status === 'failed' || o.status === 'queued') && can('ticket_write')
          ? h('button', { type: 'button', class: 'btn tiny', onclick: (e) => busy(e.currentTarget, async () => (await post(`/api/v1/mail/outbox/${o.id}/retry`, {}), toast('已重新排队。Queued again.'), await load())) }, bi('重试', 'Retry'))
          : null,
      ),
    );
    mount(
      el,
      section(
        ['电子邮件', 'E-mail'],
        m.prospect ? h('p', { class: 'small' }, bi('未识别联系人', 'Prospect'), ' ', h('a', { href: `/prospects?q=${encodeURIComponent(m.prospect.email || m.prospect.phone || '')}` }, `${m.prospect.display_name || ''} #${m.prospect.id}`), m.prospect.email ? h('span', { class: 'mono small' }, ` ${m.prospect.email}`) : null) : null,
        m.sending_enabled ? null : notice('warn', '未配置发信服务器，邮件留在待发送。No SMTP server configured: mail stays queued.'),
        out.length ? h('ul', { class: 'mail-out', 'aria-label': '发出的邮件 Mail sent' }, out) : null,
        m.inbound.length ? h('p', { class: 'muted small' }, `收到 ${m.inbound.length} 封 received`) : null,
      ),
    );
  };
  return { el, load };
}
