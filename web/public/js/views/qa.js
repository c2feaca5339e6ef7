// qa.js — 质检 Quality inspection (D14). The QA page: for reviewers the reviews waiting
// (drawn by the sample or picked by hand) and the scores per agent; for everyone their
// own scored reviews, scores over time, coaching notes (acknowledged here) and training
// records. One review: the ticket's thread, its recordings with transcripts, the
// scorecard scored by someone other than the agent against a scenario's standard
// answers (话术), and a coaching note to the agent. recordingsCard: a ticket's recordings.

import { get, post, request } from '../api.js';
import { bi, h, mount } from '../dom.js';
import { fmtTime } from '../format.js';
import { zh } from '../labels.js';
import { can, session } from '../session.js';
import { staffSelect } from '../staff.js';
import { badge, dialog, errorPage, field, input, loading, notice, pageHeader, pager, section, select, textarea, toast } from '../ui.js';
import { MESSAGE_KINDS, TICKET_CHANNELS, put, statusBadge, ticketHref } from '../service.js';

const REVIEW_STATUS = { pending: ['待评审', 'Pending'], scored: ['已评分', 'Scored'] };
const REASONS = { sample: ['抽样', 'Sampled'], manual: ['人工抽检', 'Picked'] };
const RESULTS = { passed: ['合格', 'Passed'], failed: ['不合格', 'Failed'], attended: ['已参加', 'Attended'] };
const SCORES = { 5: '5', 4: '4', 3: '3', 2: '2', 1: '1', 0: '0' };

const scoreBadge = (s) => (s == null ? '—' : badge(`${s}`, s >= 85 ? 'ok' : s >= 60 ? 'type' : 'bad'));

function reviewsTable(label, status, { agent } = {}) {
  const tbody = h('tbody');
  const heads = ['工单 Ticket', '坐席 Agent', '来源 Source', '状态 Status', '得分 Score', '时间 When'];
  const table = h('table', { class: 'grid reviews-table', 'aria-label': label }, h('thead', null, h('tr', null, heads.map((t) => h('th', { scope: 'col' }, t)))), tbody);
  const row = (r) =>
    h(
      'tr',
      { dataset: { id: r.id } },
      h('td', null, h('a', { href: `/qa/reviews/${r.id}` }, r.ticket_number), h('div', { class: 'sub' }, r.subject)),
      h('td', null, r.agent_name),
      h('td', null, zh(REASONS, r.reason)),
      h('td', null, badge(zh(REVIEW_STATUS, r.status), r.status === 'scored' ? 'ok' : 'type')),
      h('td', { class: 'num' }, scoreBadge(r.score)),
      h('td', { class: 'nowrap' }, fmtTime(r.scored_at || r.drawn_at)),
    );
  const list = pager(
    (cursor) => get('/api/v1/qa/reviews', { status, agent_id: agent, cursor, limit: 20 }),
    (items, first) => {
      if (first) tbody.replaceChildren();
      tbody.append(...items.map(row));
    },
    { empty: '没有质检记录。No reviews.' },
  );
  list.load();
  return [h('div', { class: 'table-wrap' }, table), list.el];
}

function scoresCard(mine) {
  const body = h('div', null, loading());
  get('/api/v1/reports/agent-scores', { period: 'month' }).then(
    (r) => {
      if (!r.items.length) return mount(body, h('p', { class: 'muted' }, '本期没有评分。No scores in these months.'));
      const last = r.buckets.length - 6;
      const buckets = r.buckets.slice(Math.max(0, last));
      mount(
        body,
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'grid scores-table', 'aria-label': '坐席得分 Agent scores' },
            h('thead', null, h('tr', null, h('th', { scope: 'col' }, bi('坐席', 'Agent')), buckets.map((b) => h('th', { scope: 'col', class: 'num' }, b.slice(0, 7))), h('th', { scope: 'col', class: 'num' }, bi('平均', 'Mean')))),
            h(
              'tbody',
              null,
              r.items.map((a) =>
                h('tr', { dataset: { agent: a.agent_id } }, h('th', { scope: 'row' }, a.agent_name), a.scores.slice(Math.max(0, last)).map((s) => h('td', { class: 'num' }, s == null ? '—' : s)), h('td', { class: 'num' }, h('strong', null, a.mean), h('span', { class: 'muted small' }, ` (${a.total_reviews})`))),
              ),
            ),
          ),
        ),
      );
    },
    (e) => mount(body, notice('bad', e.message)),
  );
  return section(mine ? ['我的得分', 'My scores'] : ['坐席得分', 'Scores per agent'], body);
}

function coachingCard(reviewer) {
  const list = h('ul', { class: 'plain coaching-list' });
  const card = section(reviewer ? ['辅导记录', 'Coaching notes'] : ['给我的辅导', 'Coaching for me'], list);
  const item = (n) =>
    h(
      'li',
      { class: 'coaching', dataset: { id: n.id } },
      h('div', null, reviewer ? h('strong', null, n.agent_name, '：') : null, n.body),
      n.answer_title ? h('div', { class: 'sub' }, '话术 Standard answer: ', n.answer_title) : null,
      h(
        'div',
        { class: 'sub' },
        `${n.author_name ?? ''} · ${fmtTime(n.created_at)} · `,
        n.acknowledged_at
          ? badge('已确认 acknowledged', 'ok')
          : n.agent_id === session.user.id
            ? h('button', {
                type: 'button',
                class: 'btn small',
                onclick: async (e) => {
                  const done = await post(`/api/v1/coaching-notes/${n.id}/acknowledge`);
                  e.target.closest('li').replaceWith(item(done));
                  toast('已确认。Acknowledged.');
                },
              }, bi('确认已读', 'Acknowledge'))
            : badge('未确认 not yet acknowledged', 'type'),
      ),
    );
  get('/api/v1/coaching-notes', { limit: 20 }).then(
    (r) => mount(list, r.items.length ? r.items.map(item) : h('li', { class: 'muted' }, '没有辅导记录。No coaching notes.')),
    (e) => mount(list, h('li', null, e.message)),
  );
  return card;
}

function trainingCard(reviewer) {
  const tbody = h('tbody');
  const add = reviewer
    ? h('button', {
        type: 'button',
        class: 'btn small',
        onclick: async () => {
          const user = staffSelect({ blank: '— 选择 choose —' });
          const course = input({ maxlength: 200 });
          const taken = input({ type: 'date' });
          const result = select(RESULTS, { value: 'passed' });
          const score = input({ type: 'number', min: 0, max: 100, step: 'any' });
          const saved = await dialog({
            title: ['培训记录', 'Training record'],
            fields: [
              field({ name: 'user_id', label: ['员工', 'Staff member'], control: user, required: true }),
              field({ name: 'course', label: ['课程', 'Course'], control: course, required: true }),
              field({ name: 'taken_on', label: ['日期', 'Date'], control: taken, required: true }),
              field({ name: 'result', label: ['结果', 'Result'], control: result }),
              field({ name: 'score', label: ['成绩', 'Score'], control: score }),
            ],
            submit: ['保存', 'Save'],
            onSubmit: () => post('/api/v1/training-records', { user_id: Number(user.value), course: course.value.trim(), taken_on: taken.value, result: result.value, score: score.value === '' ? null : Number(score.value) }),
          });
          if (saved && saved.id) tbody.prepend(row(saved));
        },
      }, bi('添加', 'Add'))
    : null;
  const row = (t) => h('tr', null, h('td', null, t.user_name), h('td', null, t.course), h('td', { class: 'nowrap' }, t.taken_on), h('td', null, badge(zh(RESULTS, t.result), t.result === 'failed' ? 'bad' : 'ok')), h('td', { class: 'num' }, t.score ?? '—'));
  get('/api/v1/training-records', { limit: 50 }).then(
    (r) => tbody.replaceChildren(...(r.items.length ? r.items.map(row) : [h('tr', null, h('td', { colspan: 5, class: 'muted' }, '没有培训记录。No training records.'))])),
    () => {},
  );
  return section(
    ['培训记录', 'Training records'],
    add ? h('div', { class: 'toolbar' }, add) : null,
    h('div', { class: 'table-wrap' }, h('table', { class: 'grid', 'aria-label': '培训记录 Training records' }, h('thead', null, h('tr', null, ['员工 Staff', '课程 Course', '日期 Date', '结果 Result', '成绩 Score'].map((t) => h('th', { scope: 'col' }, t)))), tbody)),
  );
}

export async function qaView({ root }) {
  const reviewer = can('quality_review');
  const pick = reviewer
    ? h('button', {
        type: 'button',
        class: 'btn primary',
        onclick: async () => {
          const t = input({ type: 'number', min: 1, step: 1, inputmode: 'numeric' });
          const r = await dialog({
            title: ['抽检工单', 'Pick a ticket for review'],
            fields: [field({ name: 'ticket_id', label: ['工单编号 (id)', 'Ticket id'], control: t, required: true })],
            submit: ['抽检', 'Review'],
            onSubmit: () => post('/api/v1/qa/reviews', { ticket_id: Number(t.value) }),
          });
          if (r && r.id) location.assign(`/qa/reviews/${r.id}`);
        },
      }, bi('抽检工单', 'Pick a ticket'))
    : null;
  mount(
    root,
    pageHeader(['服务质检', 'Quality inspection'], pick),
    reviewer ? section(['待评审', 'Waiting for review'], ...reviewsTable('待评审 Pending reviews', 'pending')) : null,
    section(reviewer ? ['已评分', 'Scored'] : ['我的质检', 'My reviews'], ...reviewsTable('已评分 Scored reviews', 'scored')),
    scoresCard(!reviewer && !can('service_report')),
    coachingCard(reviewer),
    trainingCard(reviewer),
  );
}

export async function reviewView({ params, root }) {
  const id = Number(params.id);
  mount(root, loading());
  let r;
  let answers = [];
  try {
    r = await get(`/api/v1/qa/reviews/${id}`);
  } catch (e) {
    mount(root, errorPage(e));
    return;
  }
  const reviewer = can('quality_review');
  const self = r.agent_id === session.user.id;

  const thread = () =>
    section(
      ['工单对话', 'The conversation'],
      h(
        'ol',
        { class: 'thread' },
        r.messages.map((m) =>
          h(
            'li',
            { class: ['msg', `msg-${m.kind}`] },
            h('div', { class: 'msg-head' }, badge(zh(MESSAGE_KINDS, m.kind) || m.kind, m.kind === 'note' ? 'type' : ''), ' ', m.kind === 'patron' ? '用户 Patron' : m.author_name ?? '', ' · ', zh(TICKET_CHANNELS, m.channel) || m.channel, ' · ', fmtTime(m.created_at)),
            h('div', { class: 'msg-body' }, m.body),
          ),
        ),
      ),
    );

  const recordings = () =>
    section(
      ['录音与转写', 'Recordings and transcripts'],
      r.recordings.length
        ? r.recordings.map((rec) => h('div', { class: 'recording' }, h('audio', { controls: true, preload: 'none', src: rec.content_url, 'aria-label': `录音 Recording ${rec.filename}` }), h('div', { class: 'sub' }, rec.filename, ' · ', fmtTime(rec.created_at)), h('blockquote', { class: 'transcript' }, rec.transcript || '（无转写 no transcript）')))
        : h('p', { class: 'muted' }, '没有录音。No recordings.'),
    );

  const scenarioAnswers = h('div', { class: 'answers' });
  const showAnswers = async (scenario) => {
    if (!scenario) return mount(scenarioAnswers);
    const list = (await get('/api/v1/standard-answers', { q: scenario, limit: 20 })).items.filter((a) => a.scenario === scenario);
    answers = list;
    mount(scenarioAnswers, list.map((a) => h('div', { class: 'answer' }, h('strong', null, a.title), h('p', null, a.body))));
  };

  const scorecard = () => {
    if (r.status === 'scored') {
      return section(
        ['评分', 'Scores'],
        h('p', { class: 'total-score' }, bi('总分', 'Score'), ' ', scoreBadge(r.score), ` · ${r.reviewer_name ?? ''} · ${fmtTime(r.scored_at)}`),
        h('table', { class: 'grid', 'aria-label': '评分 Scores' }, h('thead', null, h('tr', null, ['标准 Criterion', '权重 Weight', '得分 Score (0–5)', '说明 Note'].map((t) => h('th', { scope: 'col' }, t)))), h('tbody', null, r.scores.map((s) => h('tr', null, h('td', null, s.name), h('td', { class: 'num' }, s.weight), h('td', { class: 'num' }, s.score), h('td', null, s.note))))),
        r.scenario ? h('p', null, bi('场景', 'Scenario'), ': ', r.scenario) : null,
        r.standard_answers.length ? h('div', { class: 'answers' }, r.standard_answers.map((a) => h('div', { class: 'answer' }, h('strong', null, a.title), h('p', null, a.body)))) : null,
        r.comments ? h('p', null, bi('评语', 'Comments'), ': ', r.comments) : null,
      );
    }
    if (!reviewer) return null;
    if (self) return section(['评分', 'Scores'], notice('warn', '不能给自己的工作评分。You cannot score your own work.'));
    const controls = r.criteria.map((c) => ({ c, score: select(SCORES, { value: '5', 'aria-label': `${c.name} 得分 score` }), note: input({ maxlength: 1000, 'aria-label': `${c.name} 说明 note` }) }));
    const scenario = select(Object.fromEntries(r.scenarios.map((s) => [s, s])), { blank: '— 无 none —' });
    scenario.addEventListener('change', () => showAnswers(scenario.value));
    const comments = textarea({ rows: 3, maxlength: 5000 });
    const total = h('output', { class: 'total-score' });
    const recompute = () => {
      const w = controls.reduce((a, x) => a + x.c.weight, 0);
      const s = controls.reduce((a, x) => a + (x.c.weight * Number(x.score.value)) / 5, 0);
      total.textContent = `${Math.round((s / w) * 1000) / 10} / 100`;
    };
    controls.forEach((x) => x.score.addEventListener('change', recompute));
    recompute();
    const err = h('div', { class: 'form-error', role: 'alert', hidden: true });
    const submit = h('button', {
      type: 'button',
      class: 'btn primary',
      onclick: async () => {
        err.hidden = true;
        try {
          r = await post(`/api/v1/qa/reviews/${id}/score`, { scenario: scenario.value, comments: comments.value.trim(), scores: controls.map((x) => ({ criterion_id: x.c.id, score: Number(x.score.value), note: x.note.value.trim() })) });
          toast('已评分。Scored.');
          render();
        } catch (e) {
          err.textContent = e.message;
          err.hidden = false;
        }
      },
    }, bi('提交评分', 'Submit the scores'));
    return section(
      ['评分表', 'Scorecard'],
      err,
      h('table', { class: 'grid scorecard', 'aria-label': '评分表 Scorecard' }, h('thead', null, h('tr', null, ['标准 Criterion', '权重 Weight', '得分 Score (0–5)', '说明 Note'].map((t) => h('th', { scope: 'col' }, t)))), h('tbody', null, controls.map((x) => h('tr', null, h('td', null, x.c.name, h('div', { class: 'sub' }, x.c.description)), h('td', { class: 'num' }, x.c.weight), h('td', null, x.score), h('td', null, x.note))))),
      field({ name: 'scenario', label: ['对照场景（话术）', 'Scenario (standard answers)'], control: scenario }),
      scenarioAnswers,
      field({ name: 'comments', label: ['评语', 'Comments'], control: comments, wide: true }),
      h('p', null, bi('总分', 'Score'), ' ', total),
      h('div', { class: 'toolbar' }, submit),
    );
  };

  const coach = () => {
    if (!reviewer || self) return null;
    return h('div', { class: 'toolbar' }, h('button', {
      type: 'button',
      class: 'btn',
      onclick: async () => {
        const body = textarea({ rows: 4, maxlength: 5000 });
        const answerPick = select(Object.fromEntries((r.standard_answers.length ? r.standard_answers : answers).map((a) => [String(a.id), a.title])), { blank: '— 无 none —' });
        const n = await dialog({
          title: ['辅导', 'Coaching note'],
          intro: h('p', null, `给 To: ${r.agent_name}`),
          fields: [field({ name: 'body', label: ['辅导内容', 'Note'], control: body, required: true, wide: true }), field({ name: 'answer_id', label: ['学习话术', 'Standard answer to learn'], control: answerPick })],
          submit: ['发送', 'Send'],
          onSubmit: () => post('/api/v1/coaching-notes', { agent_id: r.agent_id, review_id: r.id, body: body.value.trim(), answer_id: answerPick.value ? Number(answerPick.value) : null }),
        });
        if (n && n.id) toast('辅导已发送。Coaching note sent.');
      },
    }, bi('辅导坐席', 'Coach the agent')));
  };

  const render = () =>
    mount(
      root,
      pageHeader(['质检', 'Review'], h('a', { class: 'btn', href: '/qa' }, bi('返回', 'Back'))),
      h(
        'dl',
        { class: 'facts' },
        h('dt', null, bi('工单', 'Ticket')),
        h('dd', null, h('a', { href: ticketHref(r.ticket.id) }, r.ticket.number), ' ', r.ticket.subject, ' ', statusBadge(r.ticket.status)),
        h('dt', null, bi('坐席', 'Agent')),
        h('dd', null, r.agent_name),
        h('dt', null, bi('来源', 'Source')),
        h('dd', null, zh(REASONS, r.reason), ' · ', fmtTime(r.drawn_at)),
        h('dt', null, bi('时效', 'Timeliness')),
        h('dd', null, r.ticket.first_response_breached || r.ticket.resolution_breached ? badge('超时 breached', 'bad') : badge('按时 on time', 'ok')),
      ),
      h('div', { class: 'ticket-layout' }, h('div', { class: 'ticket-main' }, scorecard(), coach(), thread()), h('aside', { class: 'ticket-side' }, recordings())),
    );
  render();
}

// On a ticket's page: its recordings (play, transcript) and an upload.
export function recordingsCard(ticketId) {
  const body = h('div', null, loading());
  const card = section(['录音', 'Recordings'], body);
  card.classList.add('recordings-card');
  const load = async () => {
    const r = await get(`/api/v1/tickets/${ticketId}/recordings`).catch(() => ({ items: [] }));
    const file = h('input', { type: 'file', accept: 'audio/*', 'aria-label': '上传录音 Upload a recording' });
    const upload = h('button', {
      type: 'button',
      class: 'btn small',
      onclick: async () => {
        const f = file.files[0];
        if (!f) return;
        try {
          await request('POST', `/api/v1/tickets/${ticketId}/recordings`, { query: { filename: f.name }, raw: f, contentType: f.type || 'application/octet-stream' });
          toast('录音已上传。Recording uploaded.');
          load();
        } catch (e) {
          toast(e.message, 'bad');
        }
      },
    }, bi('上传', 'Upload'));
    mount(
      body,
      r.items.map((rec) => {
        const text = textarea({ rows: 3, maxlength: 100000, value: rec.transcript, 'aria-label': `转写 Transcript ${rec.filename}` });
        return h(
          'div',
          { class: 'recording', dataset: { id: rec.id } },
          h('audio', { controls: true, preload: 'none', src: rec.content_url, 'aria-label': `录音 Recording ${rec.filename}` }),
          h('div', { class: 'sub' }, rec.filename, ' · ', fmtTime(rec.created_at)),
          can('ticket_write')
            ? [text, h('button', { type: 'button', class: 'btn small', onclick: async () => { await put(`/api/v1/recordings/${rec.id}/transcript`, { transcript: text.value }); toast('转写已保存。Transcript saved.'); } }, bi('保存转写', 'Save transcript'))]
            : h('blockquote', { class: 'transcript' }, rec.transcript),
        );
      }),
      r.items.length ? null : h('p', { class: 'muted' }, '没有录音。No recordings.'),
      can('ticket_write') ? h('div', { class: 'inline-form' }, file, upload) : null,
    );
  };
  load();
  return card;
}
