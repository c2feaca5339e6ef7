// exports.js — bulk exports of catalogue records (D42). Staff who may export ask for one
// here; a small export of open records is ready at once, a big one (over the server's
// threshold) or one with controlled or secret records waits for a manager. Managers see
// the approval queue and approve or reject with a reason — never their own request.
// Only the requester downloads the file, until it expires.

import { get, post, request } from '../api.js';
import { bi, h, mount } from '../dom.js';
import { fmtTime } from '../format.js';
import { ACCESS_LEVELS, EXPORT_FORMATS, EXPORT_STATUS, RECORD_STATUS, label } from '../labels.js';
import { setQuery } from '../router.js';
import { can, session } from '../session.js';
import { askReason, badge, busy, field, formError, input, notice, pageHeader, section, select, textarea, toast } from '../ui.js';
import { sizeText } from './record.js';

const STATUS_KIND = { pending: 'revealed', approved: 'type', running: 'type', ready: 'ok', failed: 'bad', rejected: 'bad', expired: 'mask' };

function filterText(f = {}) {
  const parts = [];
  if (f.fonds) parts.push(`全宗 ${f.fonds}`);
  if (f.category) parts.push(`类别 ${f.category}`);
  if (f.year_from || f.year_to) parts.push(`${f.year_from ?? '…'}–${f.year_to ?? '…'}`);
  if (f.access_level) parts.push(label(ACCESS_LEVELS, f.access_level));
  if (f.status) parts.push(f.status === 'all' ? '全部状态 all' : label(RECORD_STATUS, f.status));
  if (f.carrier) parts.push(f.carrier);
  return parts.length ? parts.join(' · ') : '全部在库档案 All active records';
}

export async function exportsView({ query, root }) {
  const approver = can('export_approve');
  const requester = can('record_transfer');
  const tab = ['pending', 'all'].includes(query.tab) ? query.tab : approver ? 'pending' : 'all';
  const me = session.user?.id;

  // ------------------------------------------------------------ the request form
  let form = null;
  if (requester) {
    const format = select(EXPORT_FORMATS, { value: 'csv' });
    const fonds = input({ maxlength: 50, placeholder: 'QZ01' });
    const category = input({ maxlength: 100, placeholder: 'WS' });
    const yearFrom = input({ type: 'number', min: 1000, max: 9999 });
    const yearTo = input({ type: 'number', min: 1000, max: 9999 });
    const access = select(ACCESS_LEVELS, { blank: '全部 All' });
    const status = select({ ...RECORD_STATUS, all: ['全部', 'All'] }, { blank: '在库 Active (default)' });
    const purpose = textarea({ rows: 2, maxlength: 2000 });
    const send = h('button', { type: 'submit', class: 'btn primary' }, bi('导出', 'Export'));
    form = h(
      'form',
      { class: 'exports-form', novalidate: true },
      formError(),
      h(
        'div',
        { class: 'fields' },
        field({ name: 'format', label: ['格式', 'Format'], control: format }),
        field({ name: 'fonds', label: ['全宗号', 'Fonds'], control: fonds }),
        field({ name: 'category', label: ['类别', 'Category'], control: category }),
        field({ name: 'year_from', label: ['起始年度', 'From year'], control: yearFrom }),
        field({ name: 'year_to', label: ['终止年度', 'To year'], control: yearTo }),
        field({ name: 'access_level', label: ['密级', 'Access'], control: access }),
        field({ name: 'status', label: ['状态', 'Status'], control: status }),
      ),
      field({ name: 'purpose', label: ['用途', 'Purpose'], control: purpose, wide: true, hint: '需要审批时，主管会看到。A manager sees it when the export needs approval.' }),
      h('p', { class: 'hint' }, '超过服务器设定条数，或含控制、涉密档案的导出，须经另一位主管批准。Exports over the server’s threshold, or with controlled or secret records, wait for a manager’s approval.'),
      send,
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      busy(
        send,
        async () => {
          const body = { format: format.value };
          for (const [k, el] of Object.entries({ fonds, category, access_level: access, status, purpose }))
            if (el.value.trim()) body[k] = el.value.trim();
          for (const [k, el] of Object.entries({ year_from: yearFrom, year_to: yearTo })) if (el.value) body[k] = Number(el.value);
          const { data, res } = await request('POST', '/api/v1/records/exports', { body });
          if (res.status === 202) toast(`导出申请 #${data.id} 已提交，等待主管审批。Waiting for approval.`);
          else toast(`导出 #${data.id} 已完成（${data.rows} 条），可下载。Ready to download.`);
          await load();
        },
        form,
      );
    });
  }

  // ------------------------------------------------------------ the list
  const tbody = h('tbody');
  const info = h('div');
  const table = h(
    'table',
    { class: 'grid exports' },
    h(
      'thead',
      null,
      h('tr', null, ['编号 #', '申请人 Requested by', '时间 At', '格式 Format', '范围 Scope', '需审批原因 Why approval', '状态 Status', '审批 Decision', ''].map((t) => h('th', { scope: 'col' }, t))),
    ),
    tbody,
  );

  const decide = (x, approve) =>
    askReason({
      title: approve ? ['批准导出', 'Approve export'] : ['驳回导出', 'Reject export'],
      intro: h('p', null, `#${x.id} ${x.requested_by.username}: ${filterText(x.filter)}`, x.purpose ? h('div', { class: 'muted' }, `用途 Purpose: ${x.purpose}`) : null),
      submit: approve ? ['批准', 'Approve'] : ['驳回', 'Reject'],
      danger: !approve,
      hint: '记入审计日志。Goes to the audit trail.',
      onSubmit: async (reason) => {
        await post(`/api/v1/records/exports/${x.id}/${approve ? 'approve' : 'reject'}`, { reason });
        toast(approve ? '已批准，导出开始。Approved; the export runs.' : '已驳回。Rejected.');
        await load();
      },
    });

  const load = async () => {
    const out = await get('/api/v1/records/exports', tab === 'pending' ? { status: 'pending', limit: 200 } : { limit: 200 });
    const items = out.items || [];
    tbody.replaceChildren(
      ...items.map((x) => {
        const mine = x.requested_by.id === me;
        const actions = [];
        if (x.status === 'pending' && approver) {
          const attrs = (approve) => ({
            type: 'button',
            class: ['btn', 'tiny', approve ? 'primary' : 'danger'],
            disabled: mine,
            title: mine ? '须由另一位主管审批 Another manager decides' : null,
            onclick: () => decide(x, approve),
          });
          actions.push(h('button', attrs(true), bi('批准', 'Approve')), ' ', h('button', attrs(false), bi('驳回', 'Reject')));
        }
        if (x.status === 'ready' && mine)
          actions.push(h('a', { class: 'btn tiny', href: `/api/v1/records/exports/${x.id}/file`, download: '' }, bi('下载', 'Download')));
        return h(
          'tr',
          { dataset: { exportId: x.id, status: x.status } },
          h('td', { class: 'num' }, x.id),
          h('td', null, x.requested_by.username, x.purpose ? h('div', { class: 'muted small' }, x.purpose) : null),
          h('td', { class: 'nowrap' }, fmtTime(x.requested_at)),
          h('td', null, label(EXPORT_FORMATS, x.format)),
          h('td', { class: 'wrap' }, filterText(x.filter), x.rows != null ? h('div', { class: 'muted small' }, `${x.rows} 条 records · ${sizeText(x.file_size)}`) : null),
          h('td', { class: 'wrap small' }, x.reasons.length ? x.reasons.join('; ') : h('span', { class: 'muted' }, '无需审批 None')),
          h('td', null, badge(label(EXPORT_STATUS, x.status), STATUS_KIND[x.status] || ''), x.message ? h('div', { class: 'small error-text' }, x.message) : null),
          h(
            'td',
            { class: 'wrap small' },
            x.decided_by ? [`${x.decided_by.username} · ${fmtTime(x.decided_at)}`, h('div', { class: 'muted' }, x.decision_reason)] : x.reasons.length ? '—' : h('span', { class: 'muted' }, '自动 automatic'),
          ),
          h('td', { class: 'nowrap' }, actions),
        );
      }),
    );
    mount(info, items.length ? null : h('p', { class: 'muted' }, tab === 'pending' ? '没有待审批的导出。Nothing waits for approval.' : '没有导出记录。No exports yet.'));
  };

  const tabs = h(
    'nav',
    { class: 'tabs', 'aria-label': '视图 View' },
    [
      ['pending', '待审批', 'Pending approval'],
      ['all', approver || can('audit_read') ? '全部导出' : '我的导出', approver || can('audit_read') ? 'All exports' : 'My exports'],
    ].map(([k, z, e]) => h('a', { href: `/exports?tab=${k}`, 'aria-current': k === tab ? 'page' : null, class: ['tab', k === tab && 'active'] }, bi(z, e))),
  );

  mount(
    root,
    pageHeader(['档案导出', 'Exports']),
    form ? section(['申请导出', 'Request an export'], form) : null,
    approver ? null : notice('info', '导出由主管审批；只有申请人可以下载文件。A manager approves; only the requester downloads the file.'),
    tabs,
    h('div', { class: 'table-wrap' }, table),
    info,
  );
  setQuery({ tab });
  await load();
}
