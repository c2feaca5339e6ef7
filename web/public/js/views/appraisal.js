// appraisal.js — 鉴定 Appraisal: records whose retention has ended (the archivist
// proposes an outcome), proposals waiting for a manager (who is not the proposer), the
// decided ones, and the disposal register (销毁登记), which is never changed, only added to.

import { download, get, post } from '../api.js';
import { bi, h, mount } from '../dom.js';
import { fmtDay, fmtTime } from '../format.js';
import { ACCESS_LEVELS, APPRAISAL_OPINIONS, APPRAISAL_OUTCOMES, APPRAISAL_STATUS, label, zh } from '../labels.js';
import { can, session } from '../session.js';
import { badge, busy, dialog, field, notice, pageHeader, pager, select, textarea, toast } from '../ui.js';
import { accessBadge, reference, retentionSelect, statusBadge } from '../catalogue.js';

// Asks for an outcome and a reason, then proposes it. Resolves with the appraisal or null.
export function proposeAppraisal(record, ref) {
  const outcome = select(APPRAISAL_OUTCOMES, { value: 'dispose' });
  const reason = textarea({ rows: 3, maxlength: 2000 });
  const retention = retentionSelect(ref, { value: '', blank: '— 请选择 Choose —' });
  const levels = can('record_secret') ? ACCESS_LEVELS : { open: ACCESS_LEVELS.open, controlled: ACCESS_LEVELS.controlled };
  const access = select(levels, { blank: '— 请选择 Choose —' });
  const criteria = textarea({ rows: 2, maxlength: 2000 });
  const retentionField = field({ name: 'new_retention_code', label: ['新保管期限', 'New retention'], control: retention, required: true });
  const accessField = field({ name: 'new_access_level', label: ['新密级', 'New access level'], control: access, required: true });
  const sync = () => {
    retentionField.hidden = outcome.value !== 'extend';
    accessField.hidden = outcome.value !== 'change_access';
  };
  outcome.addEventListener('change', sync);
  sync();
  return dialog({
    title: ['提交鉴定', 'Propose an appraisal'],
    intro: h(
      'p',
      null,
      h('span', { class: 'mono' }, record.reference_code),
      ' ',
      record.title,
      record.retention_until ? h('span', { class: 'muted small' }, ` · 保管期满 ${record.retention_until}`) : null,
      record.legal_hold ? [' ', badge('法律保全 legal hold', 'hold')] : null,
    ),
    fields: [
      field({ name: 'outcome', label: ['鉴定结论', 'Outcome'], control: outcome, required: true }),
      retentionField,
      accessField,
      field({ name: 'reason', label: ['鉴定意见', 'Reason'], control: reason, required: true, wide: true, hint: '为什么这样处理。Why this outcome.' }),
      field({ name: 'worksheet', label: ['鉴定依据', 'Criteria (worksheet)'], control: criteria, wide: true, hint: '可选：价值、利用情况、相关规定。Optional.' }),
    ],
    submit: ['提交', 'Propose'],
    onSubmit: async () => {
      const body = { outcome: outcome.value, reason: reason.value.trim() };
      if (outcome.value === 'extend') body.new_retention_code = retention.value || undefined;
      if (outcome.value === 'change_access') body.new_access_level = access.value || undefined;
      if (criteria.value.trim()) body.worksheet = { criteria: criteria.value.trim() };
      return post(`/api/v1/records/${record.id}/appraisals`, body);
    },
  });
}

const TABS = {
  due: { label: ['到期待鉴定', 'Due'], show: () => can('appraisal_propose') },
  proposed: { label: ['待审批', 'Proposed'], show: () => can('appraisal_propose') || can('appraisal_decide') },
  approved: { label: ['已批准', 'Approved'], show: () => can('appraisal_propose') || can('appraisal_decide') },
  rejected: { label: ['已驳回', 'Rejected'], show: () => can('appraisal_propose') || can('appraisal_decide') },
  register: { label: ['销毁登记', 'Disposal register'], show: () => can('appraisal_propose') || can('appraisal_decide') || can('audit_read') },
};

export async function appraisalView({ query, root }) {
  const visible = Object.keys(TABS).filter((k) => TABS[k].show());
  const fallback = can('appraisal_decide') ? 'proposed' : visible[0];
  const tab = visible.includes(query.tab) ? query.tab : fallback;
  const tabs = h(
    'nav',
    { class: 'tabs', 'aria-label': '鉴定 Appraisal' },
    visible.map((k) => h('a', { href: `/appraisal?tab=${k}`, class: ['tab', k === tab && 'active'], 'aria-current': k === tab ? 'page' : null }, bi(...TABS[k].label))),
  );
  const content = h('div');
  mount(root, pageHeader(['鉴定与销毁', 'Appraisal and disposal']), tabs, content);
  // Auditors read the register without reading the catalogue: load its names only here.
  if (tab === 'due') return dueTab(content, await reference());
  if (tab === 'register') return registerTab(content);
  return proposalsTab(content, tab);
}

function dueTab(root, ref) {
  const tbody = h('tbody');
  const table = h(
    'table',
    { class: 'grid appraisal-due' },
    h('thead', null, h('tr', null, ['档号 Code', '题名 Title', '年度 Year', '保管期限 Retention', '期满 Until', '密级 Access', '状态 Status', '利用 Uses', '操作 Action'].map((t) => h('th', { scope: 'col' }, t)))),
    tbody,
  );
  const rowOf = (r) => {
    const propose = h(
      'button',
      {
        type: 'button',
        class: 'btn tiny',
        onclick: async () => {
          const a = await proposeAppraisal(r, ref);
          if (a) {
            toast('已提交鉴定，待主管审批。Proposed; a manager decides.');
            tr.remove();
          }
        },
      },
      bi('提交鉴定', 'Propose'),
    );
    const tr = h(
      'tr',
      { dataset: { recordId: r.id } },
      h('td', { class: 'mono nowrap' }, r.reference_code),
      h('td', null, h('a', { href: `/records/${r.id}`, class: 'name-link' }, r.title)),
      h('td', { class: 'num' }, r.year ?? '—'),
      h('td', null, ref.retentionByCode.get(r.retention_code)?.name ?? r.retention_code),
      h('td', { class: 'nowrap' }, r.retention_until),
      h('td', null, accessBadge(r.access_level)),
      h('td', null, statusBadge(r.status), r.legal_hold ? [' ', badge('保全 hold', 'hold')] : null),
      h('td', { class: 'num' }, r.use_count),
      h('td', null, propose),
    );
    return tr;
  };
  const list = pager(
    (cursor) => get('/api/v1/appraisal/due', { cursor, limit: 50 }),
    (items, first) => {
      if (first) tbody.replaceChildren();
      tbody.append(...items.map(rowOf));
    },
    { empty: '没有到期待鉴定的档案。Nothing is due.' },
  );
  mount(root, h('p', { class: 'muted' }, '保管期满且没有待审批鉴定的档案，期满最早的在前。Records past their retention without an open appraisal, oldest first.'), h('div', { class: 'table-wrap' }, table), list.el);
  return list.load();
}

function proposalsTab(root, status) {
  const decide = can('appraisal_decide') && status === 'proposed';
  const tbody = h('tbody');
  // Appraisers (D18): staff who may propose or decide give an opinion on others' proposals.
  const appraiser = can('appraisal_propose') || can('appraisal_decide');
  const heads = ['编号 #', '档案 Record', '结论 Outcome', '鉴定意见 Reason', '提交人 Proposed by', '提交时间 At', '小组意见 Opinions', status === 'proposed' ? (decide ? '审批 Decision' : '状态 Status') : '决定 Decision'];
  const table = h('table', { class: 'grid appraisals' }, h('thead', null, h('tr', null, heads.map((t) => h('th', { scope: 'col' }, t)))), tbody);
  const outcomeText = (a) => {
    const base = label(APPRAISAL_OUTCOMES, a.outcome);
    if (a.outcome === 'extend' && a.new_retention_code) return `${base} → ${a.new_retention_code}`;
    if (a.outcome === 'change_access' && a.new_access_level) return `${base} → ${zh(ACCESS_LEVELS, a.new_access_level)}`;
    return base;
  };
  const rowOf = (a) => {
    const mine = a.proposed_by === session.user?.username;
    const act = (approve) =>
      h(
        'button',
        {
          type: 'button',
          class: ['btn', 'tiny', approve ? (a.outcome === 'dispose' ? 'primary danger' : 'primary') : 'danger'],
          disabled: mine,
          title: mine ? '须由另一人审批 Someone else must decide' : null,
          onclick: () => decideDialog(a, approve),
        },
        approve ? bi('批准', 'Approve') : bi('驳回', 'Reject'),
      );
    return h(
      'tr',
      { dataset: { appraisalId: a.id, recordId: a.record.id } },
      h('td', { class: 'num' }, a.id),
      h('td', null, h('a', { href: `/records/${a.record.id}` }, h('span', { class: 'mono' }, a.record.reference_code)), h('div', { class: 'sub' }, a.record.title)),
      h('td', null, a.outcome === 'dispose' ? h('strong', { class: 'error-text' }, outcomeText(a)) : outcomeText(a)),
      h('td', { class: 'wrap' }, a.reason, a.worksheet?.criteria ? h('div', { class: 'sub' }, `依据 criteria: ${a.worksheet.criteria}`) : null),
      h('td', null, a.proposed_by),
      h('td', { class: 'nowrap' }, fmtTime(a.proposed_at)),
      h(
        'td',
        { class: 'wrap opinions' },
        (a.opinions ?? []).map((o) =>
          h(
            'div',
            { class: 'opinion', dataset: { opinion: o.opinion } },
            h('strong', null, o.appraiser),
            ' ',
            o.opinion === 'disagree' ? h('span', { class: 'error-text' }, label(APPRAISAL_OPINIONS, o.opinion)) : label(APPRAISAL_OPINIONS, o.opinion),
            o.comment ? h('div', { class: 'sub' }, o.comment) : null,
          ),
        ),
        status === 'proposed' && appraiser && !mine
          ? h('button', { type: 'button', class: 'btn tiny', onclick: () => opinionDialog(a) }, bi('发表意见', 'Give opinion'))
          : null,
      ),
      status === 'proposed'
        ? h('td', { class: 'nowrap' }, decide ? [act(true), ' ', act(false)] : label(APPRAISAL_STATUS, a.status))
        : h('td', null, `${label(APPRAISAL_STATUS, a.status)} · ${a.decided_by ?? ''} · ${fmtTime(a.decided_at)}`, a.decision_note ? h('div', { class: 'muted small' }, a.decision_note) : null),
    );
  };
  let list;
  const decideDialog = (a, approve) => {
    const note = textarea({ rows: 2, maxlength: 500 });
    const disposing = approve && a.outcome === 'dispose';
    return dialog({
      title: approve ? ['批准鉴定', 'Approve appraisal'] : ['驳回鉴定', 'Reject appraisal'],
      intro: [
        h('p', null, h('span', { class: 'mono' }, a.record.reference_code), ' ', a.record.title, ' — ', outcomeText(a)),
        disposing ? notice('error', '批准后档案内容与附件将被删除，不可恢复；档号、题名和本次销毁记入销毁登记。Approving deletes the content and attachments for good; the register keeps the entry.') : null,
      ],
      fields: [field({ name: 'note', label: ['审批意见', 'Note'], control: note, wide: true, hint: '可选。Optional.' })],
      submit: approve ? (disposing ? ['批准销毁', 'Approve disposal'] : ['批准', 'Approve']) : ['驳回', 'Reject'],
      danger: disposing || !approve,
      onSubmit: async () => {
        const body = { approve };
        if (note.value.trim()) body.note = note.value.trim();
        await post(`/api/v1/appraisals/${a.id}/decision`, body);
        toast(approve ? (disposing ? '已批准，档案已销毁。Approved; the record was disposed of.' : '已批准。Approved.') : '已驳回。Rejected.');
        await list.reset();
      },
    });
  };
  const opinionDialog = (a) => {
    const mineBefore = (a.opinions ?? []).find((o) => o.appraiser === session.user?.username);
    const opinion = select(APPRAISAL_OPINIONS, { value: mineBefore?.opinion ?? 'agree' });
    const comment = textarea({ rows: 3, maxlength: 2000, value: mineBefore?.comment ?? '' });
    return dialog({
      title: ['鉴定小组意见', 'Appraiser’s opinion'],
      intro: [
        h('p', null, h('span', { class: 'mono' }, a.record.reference_code), ' ', a.record.title, ' — ', outcomeText(a)),
        mineBefore ? h('p', { class: 'muted small' }, '将替换你之前的意见。This replaces your earlier opinion.') : null,
      ],
      fields: [
        field({ name: 'opinion', label: ['意见', 'Opinion'], control: opinion }),
        field({ name: 'comment', label: ['说明', 'Comment'], control: comment, wide: true, hint: '不同意时必填。Required to disagree.' }),
      ],
      submit: ['提交意见', 'Give opinion'],
      onSubmit: async () => {
        const body = { opinion: opinion.value };
        if (comment.value.trim()) body.comment = comment.value.trim();
        await post(`/api/v1/appraisals/${a.id}/opinions`, body);
        toast('意见已记录。Opinion recorded.');
        await list.reset();
      },
    });
  };
  list = pager(
    (cursor) => get('/api/v1/appraisals', { status, cursor, limit: 50 }),
    (items, first) => {
      if (first) tbody.replaceChildren();
      tbody.append(...items.map(rowOf));
    },
    { empty: status === 'proposed' ? '没有待审批的鉴定。Nothing waits for a decision.' : '没有记录。Nothing here.' },
  );
  mount(
    root,
    status === 'proposed' && !can('appraisal_decide') ? notice('info', '鉴定由主管审批；提交人不能审批自己的鉴定。A manager decides; never the proposer.') : null,
    h('div', { class: 'table-wrap' }, table),
    list.el,
  );
  return list.load();
}

function registerTab(root) {
  // The evidence of a disposal (D18): entry, appraisal, audit entries and their hash.
  const evidence = can('appraisal_decide') || can('audit_read');
  const tbody = h('tbody');
  const table = h(
    'table',
    { class: 'grid disposal-register' },
    h('thead', null, h('tr', null, ['登记号 #', '档号 Code', '题名 Title', '全宗/类别 Fonds/category', '年度 Year', '保管期限 Retention', '销毁理由 Reason', '提交 Proposed', '批准 Approved', '销毁时间 Disposed', '内容摘要 Content hashes', evidence ? '证据 Evidence' : null].filter(Boolean).map((t) => h('th', { scope: 'col' }, t)))),
    tbody,
  );
  const list = pager(
    (cursor) => get('/api/v1/disposal-register', { cursor, limit: 50 }),
    (items, first) => {
      if (first) tbody.replaceChildren();
      tbody.append(
        ...items.map((d) =>
          h(
            'tr',
            { dataset: { recordId: d.record_id } },
            h('td', { class: 'num' }, d.id),
            h('td', { class: 'mono nowrap' }, d.reference_code),
            h('td', null, can('record_read') ? h('a', { href: `/records/${d.record_id}` }, d.title) : d.title),
            h('td', { class: 'nowrap' }, `${d.fonds_code} / ${d.category_code}`),
            h('td', { class: 'num' }, d.year ?? '—'),
            h('td', null, d.retention_code),
            h('td', { class: 'wrap' }, d.reason),
            h('td', null, d.proposed_by, h('div', { class: 'sub' }, fmtDay(d.proposed_at))),
            h('td', null, d.approved_by, h('div', { class: 'sub' }, fmtDay(d.approved_at))),
            h('td', { class: 'nowrap' }, fmtTime(d.disposed_at)),
            h('td', { class: 'mono small wrap' }, (d.content_hashes || []).length ? d.content_hashes.map((x) => h('div', { title: x }, `${x.slice(0, 12)}…`)) : '—'),
            evidence
              ? h(
                  'td',
                  null,
                  h(
                    'button',
                    {
                      type: 'button',
                      class: 'btn tiny',
                      'aria-label': `下载证据 Download the evidence of ${d.reference_code}`,
                      onclick: (e) => busy(e.currentTarget, () => download(`/api/v1/disposal-register/${d.id}/evidence`, `disposal-${d.id}-evidence.json`)),
                    },
                    bi('下载', 'Download'),
                  ),
                )
              : null,
          ),
        ),
      );
    },
    { empty: '销毁登记为空。Nothing has been disposed of.' },
  );
  mount(root, h('p', { class: 'muted' }, '销毁登记只增不改：记录销毁了什么、为什么、谁提交、谁批准、何时。The register is only ever added to.'), h('div', { class: 'table-wrap' }, table), list.el);
  return list.load();
}
