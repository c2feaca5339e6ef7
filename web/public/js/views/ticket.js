// ticket.js — one ticket for the service desk: its number, state and SLA deadlines with
// breach badges; the thread (the patron's messages, replies, internal notes set apart,
// system lines); a composer for replies and notes with standard answers (话术) filled in
// for this ticket; the moves the state allows; assignment, team and priority; for a
// complaint the service recovery (cause, remedy, the patron's answer); escalations, which
// a manager acknowledges.

import { get, patch, post } from '../api.js';
import { bi, h, mount, nextId } from '../dom.js';
import { fmtTime } from '../format.js';
import { zh } from '../labels.js';
import { can, session } from '../session.js';
import { askReason, badge, busy, dialog, errorPage, field, formError, input, loading, notice, section, select, textarea, toast } from '../ui.js';
import { ACTIONS_FROM, MESSAGE_KINDS, PRIORITIES, TICKET_CHANNELS, TICKET_KINDS, dueCell, priorityBadge, put, statusBadge } from '../service.js';
import { causeCard } from './problems.js';
import { recordingsCard } from './qa.js';
import { assigneeText } from './tickets.js';
import { fileLinks, mailCard, ticketFiles, uploadForm } from './contacts.js';
import { staffSelect } from '../staff.js';

export async function ticketView({ params, root }) {
  const id = Number(params.id);
  if (!Number.isInteger(id) || id <= 0) {
    mount(root, errorPage({ status: 404, message: `没有编号为 ${params.id} 的工单。No such ticket.` }));
    return;
  }
  mount(root, loading());
  let t;
  let teams = [];
  try {
    [t, teams] = await Promise.all([get(`/api/v1/tickets/${id}`), get('/api/v1/teams').then((r) => r.items || [], () => [])]);
  } catch (e) {
    mount(root, errorPage(e));
    return;
  }
  const write = can('ticket_write');
  // Files on the thread and the ticket's e-mail (contacts.js), read beside the ticket.
  let files = await ticketFiles(id);
  const mail = mailCard(id);
  // The draft survives a re-render (after an assignment, a state change…).
  const composer = write ? makeComposer() : null;
  // The ticket's cause (D13) and recordings (D14), kept across re-renders.
  const quality = [causeCard(id), recordingsCard(id)];

  const render = (next) => {
    if (next) t = next;
    mount(
      root,
      header(),
      h(
        'div',
        { class: 'ticket-layout' },
        h('div', { class: 'ticket-main' }, t.kind === 'complaint' ? recoveryPanel() : null, threadCard(), composer ? composer.el : null),
        h('aside', { class: 'ticket-side' }, slaCard(), mail.el, write ? assignCard() : null, escalationsCard(), quality),
      ),
    );
  };
  const reload = async () => {
    const next = await get(`/api/v1/tickets/${id}`);
    files = await ticketFiles(id);
    render(next);
    await mail.load();
  };
  // The moves answer with the ticket but not its thread: read it again.
  const after = async (change) => {
    await change;
    await reload();
  };

  // ------------------------------------------------------------ header and moves
  const act = (action, body) => post(`/api/v1/tickets/${id}/${action}`, body ?? {});
  const actionButtons = () => {
    if (!write) return [];
    const out = [];
    const allowed = (a) => ACTIONS_FROM[a].includes(t.status);
    const btn = (a, label, onclick, cls = 'btn') => h('button', { type: 'button', class: cls, dataset: { action: a }, onclick }, bi(...label));
    if (allowed('wait'))
      out.push(btn('wait', ['等待用户', 'Wait on patron'], (e) => busy(e.currentTarget, async () => (await after(act('wait')), toast('已转为等待用户。Waiting on the patron.')))));
    if (allowed('resume')) out.push(btn('resume', ['继续处理', 'Resume'], (e) => busy(e.currentTarget, async () => await after(act('resume')))));
    if (allowed('resolve'))
      out.push(
        btn(
          'resolve',
          ['解决', 'Resolve'],
          () => {
            const text = textarea({ rows: 4, maxlength: 5000 });
            return dialog({
              title: ['解决工单', 'Resolve the ticket'],
              intro: t.kind === 'complaint' && !t.recovery ? notice('warn', '投诉需先提出服务补救。A complaint needs a service recovery first.') : null,
              fields: [field({ name: 'resolution', label: ['处理结果', 'Resolution'], control: text, wide: true, required: true })],
              submit: ['解决', 'Resolve'],
              onSubmit: async () => {
                await after(act('resolve', { resolution: text.value.trim() }));
                toast('已解决。Resolved.');
              },
            });
          },
          'btn primary',
        ),
      );
    if (allowed('close'))
      out.push(btn('close', ['关闭', 'Close'], (e) => busy(e.currentTarget, async () => (await after(act('close')), toast('已关闭。Closed.'))), 'btn primary'));
    if (allowed('reopen'))
      out.push(
        btn('reopen', ['重开', 'Reopen'], () =>
          askReason({
            title: ['重开工单', 'Reopen the ticket'],
            submit: ['重开', 'Reopen'],
            hint: '重开后解决期限重新计算。The resolution clock starts again.',
            onSubmit: async (reason) => await after(act('reopen', { reason })),
          }),
        ),
      );
    // A resolved consultation may become an FAQ entry (prefilled, personal data removed).
    if (t.kind === 'consultation' && (t.status === 'resolved' || t.status === 'closed'))
      out.push(h('a', { class: 'btn', href: `/faq-entries?ticket_id=${t.id}`, dataset: { action: 'faq' } }, bi('提议为常见问题', 'Propose as FAQ')));
    return out;
  };

  const header = () =>
    h(
      'header',
      { class: 'page-header ticket-header' },
      h(
        'div',
        { class: 'ticket-title' },
        h('h1', null, h('span', { class: 'mono ticket-number', 'data-testid': 'ticket-number' }, t.number), ' ', t.subject),
        h(
          'div',
          { class: 'ticket-meta' },
          statusBadge(t.status),
          ' ',
          badge(zh(TICKET_KINDS, t.kind), 'type'),
          ' ',
          priorityBadge(t.priority),
          ' ',
          t.breached?.first_response ? badge('首次响应超时 response breached', 'bad') : null,
          ' ',
          t.breached?.resolution ? badge('解决超时 resolution breached', 'bad') : null,
          ' ',
          h('span', { class: 'muted' }, `${zh(TICKET_CHANNELS, t.channel)} · ${fmtTime(t.created_at)}`),
          ' · ',
          t.patron_id ? h('a', { href: `/patrons/${t.patron_id}`, class: 'patron-link' }, bi('用户', 'Patron'), ` #${t.patron_id}`) : h('span', { class: 'muted' }, '匿名 anonymous'),
          t.channel === 'message_board' ? [' · ', h('a', { href: `/board-moderation?ticket_id=${t.id}`, class: 'board-link' }, bi('来源留言', 'The board post'))] : null,
        ),
      ),
      h('div', { class: 'actions' }, actionButtons()),
    );

  // ------------------------------------------------------------ SLA
  const slaCard = () => {
    const dl = (...rows) => h('dl', { class: 'kv' }, rows.filter(Boolean));
    const row = (label, value) => [h('dt', null, bi(...label)), h('dd', null, value)];
    return section(
      ['时限', 'SLA'],
      dl(
        row(['首次响应期限', 'First response due'], t.first_response_at ? h('span', null, fmtTime(t.first_response_due), h('div', { class: 'sub muted' }, `已响应 answered ${fmtTime(t.first_response_at)}`)) : dueCell(t, 'first_response')),
        row(['解决期限', 'Resolution due'], t.resolved_at ? h('span', null, fmtTime(t.resolution_due), h('div', { class: 'sub muted' }, `已解决 resolved ${fmtTime(t.resolved_at)}`)) : dueCell(t, 'resolution')),
        t.sla?.waiting_since ? row(['等待用户自', 'Waiting since'], `${fmtTime(t.sla.waiting_since)}（计时暂停 clock paused）`) : null,
        t.sla?.paused_seconds ? row(['暂停工时', 'Paused'], `${Math.round(t.sla.paused_seconds / 60)} 分钟 min`) : null,
        t.reopen_count ? row(['重开次数', 'Reopened'], String(t.reopen_count)) : null,
        t.closed_at ? row(['关闭时间', 'Closed'], fmtTime(t.closed_at)) : null,
        t.resolution ? row(['处理结果', 'Resolution'], h('div', { class: 'pre' }, t.resolution)) : null,
      ),
    );
  };

  // ------------------------------------------------------------ assignment
  const assignCard = () => {
    const me = session.user?.id;
    // Those who may work tickets (ticket_write): agents, archivists, managers.
    const assignee = staffSelect({ value: t.assignee_id, roles: ['agent', 'archivist', 'manager'], blank: '— 未分派 Unassigned' });
    const team = h('select', { value: t.team_id == null ? '' : String(t.team_id) }, h('option', { value: '' }, '— 无 None'), teams.map((x) => h('option', { value: String(x.id) }, x.name)));
    const priority = select(PRIORITIES, { value: t.priority });
    const kind = select(TICKET_KINDS, { value: t.kind });
    const err = formError();
    const save = h('button', { type: 'submit', class: 'btn primary small' }, bi('保存', 'Save'));
    const mine = h('button', { type: 'button', class: 'btn small' }, bi('分派给我', 'Assign to me'));
    const form = h(
      'form',
      { class: 'assign-form', novalidate: true },
      err,
      h('p', { class: 'muted small' }, '当前负责人 Assignee: ', assigneeText(t.assignee_id)),
      field({ name: 'assignee_id', label: ['负责人', 'Assignee'], control: assignee }),
      field({ name: 'team_id', label: ['班组', 'Team'], control: team }),
      field({ name: 'priority', label: ['优先级', 'Priority'], control: priority, hint: '改变优先级会重算期限。Changing it re-plans the deadlines.' }),
      field({ name: 'kind', label: ['类型', 'Kind'], control: kind }),
      h('div', { class: 'form-actions' }, save, mine),
    );
    const submit = (body) =>
      busy(
        save,
        async () => {
          if (!Object.keys(body).length) return;
          await after(patch(`/api/v1/tickets/${id}`, body));
          toast('已保存。Saved.');
        },
        form,
      );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const body = {};
      const a = assignee.value ? Number(assignee.value) : null;
      if (a !== (t.assignee_id ?? null)) body.assignee_id = a;
      const tm = team.value ? Number(team.value) : null;
      if (tm !== (t.team_id ?? null)) body.team_id = tm;
      if (priority.value !== t.priority) body.priority = priority.value;
      if (kind.value !== t.kind) body.kind = kind.value;
      submit(body);
    });
    mine.addEventListener('click', () => submit({ assignee_id: me }));
    if (t.assignee_id === me) mine.hidden = true;
    return section(['分派', 'Assignment'], form);
  };

  // ------------------------------------------------------------ escalations
  const escalationsCard = () => {
    const list = t.escalations || [];
    if (!list.length) return null;
    return section(
      ['升级', 'Escalations'],
      h(
        'ul',
        { class: 'escalations' },
        list.map((x) =>
          h(
            'li',
            { dataset: { escalation: x.id } },
            h('div', null, badge(x.reason === 'first_response' ? '首次响应超时 response' : x.reason === 'resolution' ? '解决超时 resolution' : x.reason, 'bad'), ' ', h('span', { class: 'muted' }, `期限 due ${fmtTime(x.due_at)}`)),
            h('div', { class: 'small' }, `升级给 to #${x.escalated_to ?? '—'} · ${fmtTime(x.created_at)}`),
            x.acknowledged_at
              ? h('div', { class: 'small ok-text' }, `已确认 acknowledged ${fmtTime(x.acknowledged_at)}`)
              : can('ticket_escalation')
                ? h(
                    'button',
                    {
                      type: 'button',
                      class: 'btn small',
                      onclick: (e) =>
                        busy(e.currentTarget, async () => {
                          await post(`/api/v1/escalations/${x.id}/acknowledge`, {});
                          toast('已确认。Acknowledged.');
                          await reload();
                        }),
                    },
                    bi('确认', 'Acknowledge'),
                  )
                : h('div', { class: 'small muted' }, '待主管确认 awaiting a manager'),
          ),
        ),
      ),
    );
  };

  // ------------------------------------------------------------ thread
  const threadCard = () =>
    section(
      ['往来记录', 'Thread'],
      h(
        'ol',
        { class: 'thread', 'aria-label': '往来记录 Thread' },
        (t.messages || []).map((m) =>
          m.kind === 'system'
            ? h('li', { class: 'msg msg-system', dataset: { kind: m.kind } }, h('span', { class: 'muted small' }, `${fmtTime(m.created_at)} · ${m.author_name ?? '系统 system'} · `, m.body))
            : h(
                'li',
                { class: ['msg', `msg-${m.kind}`], dataset: { kind: m.kind } },
                h(
                  'div',
                  { class: 'msg-head' },
                  h('span', { class: ['badge', `mk-${m.kind}`] }, zh(MESSAGE_KINDS, m.kind), ' ', h('span', { class: 'en' }, MESSAGE_KINDS[m.kind]?.[1] ?? '')),
                  ' ',
                  h('strong', null, m.kind === 'patron' ? '用户 Patron' : (m.author_name ?? '—')),
                  ' ',
                  h('span', { class: 'muted small' }, `${fmtTime(m.created_at)} · ${zh(TICKET_CHANNELS, m.channel)}`),
                  m.kind === 'note' ? h('span', { class: 'muted small' }, ' · 用户看不到 not shown to the patron') : null,
                ),
                h('div', { class: 'msg-body pre' }, m.body),
                fileLinks(files.filter((f) => f.message_id === m.id)),
              ),
        ),
      ),
      fileLinks(files.filter((f) => f.message_id == null)),
      write ? uploadForm(id, null, reload) : null,
    );

  // ------------------------------------------------------------ composer
  function makeComposer() {
    const kindName = nextId('mkind');
    const reply = h('input', { type: 'radio', name: kindName, value: 'reply', checked: true, id: `${kindName}-r` });
    const note = h('input', { type: 'radio', name: kindName, value: 'note', id: `${kindName}-n` });
    const body = textarea({ rows: 6, maxlength: 20000 });
    const unfilled = h('div', { class: 'hint unfilled', 'aria-live': 'polite' });
    const q = input({ type: 'search', placeholder: '标题、场景、内容 Title, scenario, text', 'aria-label': '查找话术 Find a standard answer' });
    const findBtn = h('button', { type: 'button', class: 'btn small' }, bi('查找话术', 'Find answers'));
    const answers = h('ul', { class: 'answer-hits', 'aria-label': '话术 Standard answers' });
    const find = () =>
      busy(findBtn, async () => {
        const page = await get('/api/v1/standard-answers', { q: q.value.trim(), limit: 10 });
        const items = page.items || [];
        mount(
          answers,
          items.length
            ? items.map((a) =>
                h(
                  'li',
                  null,
                  h(
                    'button',
                    {
                      type: 'button',
                      class: 'btn small ghost answer-pick',
                      dataset: { answer: a.id },
                      onclick: (e) =>
                        busy(e.currentTarget, async () => {
                          const filled = await get(`/api/v1/tickets/${id}/answers/${a.id}`);
                          body.value = body.value.trim() ? `${body.value.trimEnd()}\n\n${filled.text}` : filled.text;
                          mount(unfilled, (filled.unfilled || []).length ? `未能填入 Not filled in: ${filled.unfilled.join(', ')}` : '');
                          answers.replaceChildren();
                          body.focus();
                        }),
                    },
                    a.title,
                    a.scenario ? h('span', { class: 'muted' }, ` · ${a.scenario}`) : null,
                  ),
                ),
              )
            : h('li', { class: 'muted' }, '没有找到话术。No standard answers found.'),
        );
      });
    findBtn.addEventListener('click', find);
    q.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        find();
      }
    });
    const err = formError();
    // On a ticket that did not come by e-mail, a reply can still go out as one (mail.h).
    const byMail = h('input', { type: 'checkbox', id: nextId('bymail') });
    const mailOpt = t.channel === 'email' ? null : h('label', { class: 'by-mail', for: byMail.id }, byMail, ' ', bi('同时以电子邮件发送', 'Also send by e-mail'));
    const send = h('button', { type: 'submit', class: 'btn primary' }, bi('发送', 'Send'));
    const form = h(
      'form',
      { class: 'composer', novalidate: true },
      err,
      h(
        'fieldset',
        { class: 'msg-kind' },
        h('legend', null, bi('类型', 'Kind')),
        h('label', { for: reply.id }, reply, ' ', bi('答复用户', 'Reply to the patron')),
        h('label', { for: note.id }, note, ' ', bi('内部备注', 'Internal note')),
      ),
      h('div', { class: 'toolbar answer-finder' }, q, findBtn),
      answers,
      field({ name: 'body', label: ['内容', 'Message'], control: body, wide: true }),
      unfilled,
      h('div', { class: 'form-actions' }, mailOpt, send),
    );
    const sync = () => {
      form.classList.toggle('as-note', note.checked);
      if (mailOpt) mailOpt.hidden = note.checked;
      send.replaceChildren(note.checked ? bi('添加备注', 'Add note') : bi('发送答复', 'Send reply'));
    };
    reply.addEventListener('change', sync);
    note.addEventListener('change', sync);
    sync();
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      busy(
        send,
        async () => {
          const kind = note.checked ? 'note' : 'reply';
          const msg = { kind, body: body.value.trim() };
          if (kind === 'reply' && byMail.checked) msg.channel = 'email';
          await post(`/api/v1/tickets/${id}/messages`, msg);
          body.value = '';
          byMail.checked = false;
          unfilled.replaceChildren();
          toast(kind === 'note' ? '已添加备注。Note added.' : '已发送答复。Reply sent.');
          await reload();
        },
        form,
      );
    });
    return { el: section(['答复', 'Reply'], form) };
  }

  // ------------------------------------------------------------ service recovery
  const recoveryPanel = () => {
    const r = t.recovery;
    const kids = [];
    if (r) {
      const answer =
        r.accepted === true ? badge('用户接受 accepted', 'ok') : r.accepted === false ? badge('用户拒绝 declined', 'bad') : badge('待用户答复 awaiting the patron', 'revealed');
      kids.push(
        h(
          'dl',
          { class: 'kv' },
          h('dt', null, bi('原因（内部）', 'Cause (internal)')),
          h('dd', { class: 'pre' }, r.cause ?? '—'),
          h('dt', null, bi('补救措施', 'Remedy offered')),
          h('dd', { class: 'pre' }, r.remedy),
          h('dt', null, bi('用户答复', 'Patron’s answer')),
          h('dd', null, answer, r.patron_comment ? h('div', { class: 'pre' }, r.patron_comment) : null, r.answered_at ? h('div', { class: 'sub muted' }, fmtTime(r.answered_at)) : null),
        ),
      );
    } else {
      kids.push(notice('warn', '投诉解决前须记录原因并提出补救措施。Record the cause and offer a remedy before resolving.'));
    }
    if (write) {
      const buttons = [];
      if (!r || r.accepted == null)
        buttons.push(
          h(
            'button',
            {
              type: 'button',
              class: 'btn',
              dataset: { action: 'offer' },
              onclick: () => {
                const cause = textarea({ rows: 3, maxlength: 2000, value: r?.cause ?? '' });
                const remedy = textarea({ rows: 3, maxlength: 2000, value: r?.remedy ?? '' });
                return dialog({
                  title: ['服务补救', 'Service recovery'],
                  fields: [
                    field({ name: 'cause', label: ['原因（内部）', 'Cause (internal)'], control: cause, wide: true, required: true }),
                    field({ name: 'remedy', label: ['补救措施', 'Remedy offered to the patron'], control: remedy, wide: true, required: true }),
                  ],
                  submit: ['提出补救', 'Offer remedy'],
                  onSubmit: async () => {
                    await after(put(`/api/v1/tickets/${id}/recovery`, { cause: cause.value.trim(), remedy: remedy.value.trim() }));
                    toast('已提出补救。Remedy offered.');
                  },
                });
              },
            },
            r ? bi('修改补救', 'Change the offer') : bi('提出补救', 'Offer a remedy'),
          ),
        );
      if (r && r.accepted == null)
        buttons.push(
          h(
            'button',
            {
              type: 'button',
              class: 'btn',
              dataset: { action: 'record-answer' },
              onclick: () => {
                const accepted = select({ true: ['接受', 'Accepted'], false: ['拒绝', 'Declined'] }, { value: 'true' });
                const comment = textarea({ rows: 2, maxlength: 2000 });
                return dialog({
                  title: ['记录用户答复', 'Record the patron’s answer'],
                  fields: [field({ name: 'accepted', label: ['用户答复', 'Answer'], control: accepted }), field({ name: 'comment', label: ['用户意见', 'Comment'], control: comment, wide: true })],
                  submit: ['记录', 'Record'],
                  onSubmit: async () => {
                    await after(post(`/api/v1/tickets/${id}/recovery/answer`, { accepted: accepted.value === 'true', comment: comment.value.trim() }));
                  },
                });
              },
            },
            bi('记录用户答复', 'Record the patron’s answer'),
          ),
        );
      kids.push(h('div', { class: 'form-actions' }, buttons));
    }
    const s = section(['服务补救', 'Service recovery'], ...kids);
    s.classList.add('recovery');
    return s;
  };

  render();
  await mail.load();
}

