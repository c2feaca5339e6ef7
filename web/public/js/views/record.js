// record.js — one record: its catalogue description, access level, custody (location
// and moves), retention and legal hold, rights, relations and attachments; for the
// archivist edit, move, close (销户), relations, uploads and an appraisal proposal; for
// a manager the legal hold. Portal patrons see the same page without staff actions, and
// a controlled record as "目录信息，内容需经审批借阅后开放" (its catalogue entry only).

import { del, get, request } from '../api.js';
import { bi, h, mount } from '../dom.js';
import { fmtDay, fmtTime } from '../format.js';
import { CARRIERS, RECORD_RELATION_KINDS, SIGNATURE_INTEGRITY, SIGNATURE_METHODS, label, zh } from '../labels.js';
import { navigate, setQuery } from '../router.js';
import { can, isPortal } from '../session.js';
import { askReason, badge, busy, chips, dialog, errorPage, field, formError, input, loading, notice, section, select, showError, textarea, toast } from '../ui.js';
import { accessBadge, categoryPath, chooseLocation, reference, retentionText, statusBadge } from '../catalogue.js';
import { proposeAppraisal } from './appraisal.js';
import { recordForm } from './record-form.js';

export async function recordView({ params, query, state, root }) {
  const id = Number(params.id);
  if (!Number.isInteger(id) || id <= 0) {
    mount(root, errorPage({ status: 404, message: `没有编号为 ${params.id} 的档案。No such record.` }));
    return;
  }
  mount(root, loading());
  let record;
  let ref;
  try {
    [{ data: record }, ref] = await Promise.all([request('GET', `/api/v1/records/${id}`), reference()]);
  } catch (e) {
    mount(root, errorPage(e));
    return;
  }
  const portal = isPortal();
  const write = () => can('record_write') && record.status !== 'disposed';
  let editing = query.edit === '1' && write();

  const header = h('div');
  const notices = h('div', { class: 'notices' });
  const body = h('div', { class: 'record-body' });
  const attachments = h('div');
  const moves = h('div');

  if (state.created) {
    notices.append(notice('ok', h('strong', null, '已建档。Record created. '), `档号 Reference code: `, h('span', { class: 'mono', 'data-testid': 'created-code' }, record.reference_code)));
    history.replaceState({}, '', location.pathname + location.search);
  }

  const renderHeader = () => {
    document.title = `${record.reference_code} ${record.title} — 档案 dangan`;
    const actions = [];
    if (!portal && !editing) {
      if (write()) actions.push(h('button', { type: 'button', class: 'btn primary', onclick: () => setEditing(true) }, bi('编辑', 'Edit')));
      if (write()) actions.push(h('button', { type: 'button', class: 'btn', onclick: moveDialog }, bi('移动', 'Move')));
      if (can('appraisal_propose') && record.status !== 'disposed')
        actions.push(
          h(
            'button',
            {
              type: 'button',
              class: 'btn',
              onclick: async () => {
                const a = await proposeAppraisal(record, ref);
                if (a) toast('已提交鉴定，待主管审批。Appraisal proposed; a manager decides.');
              },
            },
            bi('提交鉴定', 'Propose appraisal'),
          ),
        );
      if (can('appraisal_decide') && record.status !== 'disposed')
        actions.push(h('button', { type: 'button', class: 'btn', onclick: legalHoldDialog }, record.legal_hold ? bi('解除保全', 'Release hold') : bi('法律保全', 'Legal hold')));
      if (write() && record.status === 'active') actions.push(h('button', { type: 'button', class: 'btn danger', onclick: closeDialog }, bi('销户', 'Close')));
      // The code stamp with its barcode (D36), an SVG to print.
      actions.push(h('a', { class: 'btn', href: `/api/v1/records/${record.id}/label`, target: '_blank', rel: 'noopener' }, bi('档号标签', 'Label')));
    }
    mount(
      header,
      h(
        'header',
        { class: 'record-header' },
        h(
          'div',
          { class: 'record-title' },
          h('div', { class: 'record-code mono', 'data-testid': 'reference-code' }, record.reference_code),
          h('h1', null, record.title, record.important ? h('span', { class: 'star', title: '重要档案 important' }, ' ★') : null),
          h(
            'div',
            { class: 'record-meta' },
            accessBadge(record.access_level),
            statusBadge(record.status),
            record.content_hidden ? badge('仅目录信息 catalogue entry', 'entry-only') : null,
            record.legal_hold ? badge('法律保全 legal hold', 'hold') : null,
            record.version ? h('span', { class: 'muted small' }, `版本 v${record.version} · 更新 ${fmtTime(record.updated_at)}`) : null,
          ),
        ),
        h('div', { class: 'actions' }, actions),
      ),
    );
    mount(notices, ...[...notices.querySelectorAll('.notice.ok')]);
    if (record.content_hidden) {
      // An open record under embargo (D44) is a catalogue entry until the embargo ends.
      const embargoed = record.access_level === 'open' && record.embargo_until;
      notices.append(
        embargoed
          ? notice('info', h('strong', { 'data-testid': 'content-hidden' }, `目录信息，内容限制利用至 ${record.embargo_until}。`), ` Catalogue entry only: the content is under embargo until ${record.embargo_until}.`)
          : notice('info', h('strong', { 'data-testid': 'content-hidden' }, '目录信息，内容需经审批借阅后开放。'), ' This is the catalogue entry of a controlled record: its content and attachments open to you once a manager approves lending it to you (ask at the reading-room desk).'),
      );
    }
    if (portal && record.access_level === 'controlled' && !record.content_hidden) {
      // Why a controlled record is open to this patron: it is lent to them (their own
      // customer files need no reason).
      get('/api/v1/loans', { record_id: record.id, status: 'open', limit: 1 })
        .then((out) => {
          const loan = out?.items?.[0];
          if (!loan || notices.querySelector('[data-testid="lent-to-you"]')) return;
          notices.append(notice('info', h('strong', { 'data-testid': 'lent-to-you' }, `此档案经审批借阅给您，至 ${fmtDay(loan.due_at)} 可查看内容和附件。`), ` Lent to you until ${fmtDay(loan.due_at)}: its content and attachments are open to you until it is returned.`));
        })
        .catch(() => {});
    }
    if (record.status === 'disposed') notices.append(notice('warn', `此档案已于 ${fmtDay(record.disposed_at)} 销毁，内容和附件已删除，档号与题名保留在销毁登记中。Disposed: content removed; the register keeps the entry.`));
    if (record.status === 'closed') notices.append(notice('info', `此档案已于 ${fmtDay(record.closed_at)} 销户。Closed.${record.number_released ? ' 档号已释放，可被复用。Its number was released for reuse.' : ''}`));
  };

  const dl = (...rows) => h('dl', { class: 'kv' }, rows.filter(Boolean));
  const row = (zhL, enL, value, name) => {
    const empty = value === null || value === undefined || value === '' || (Array.isArray(value) && !value.length);
    return [h('dt', null, bi(zhL, enL)), h('dd', { dataset: { field: name || '' } }, empty ? h('span', { class: 'muted' }, '—') : value)];
  };
  const dateRange = () => {
    if (!record.date_from && !record.date_to) return null;
    return `${record.date_from || '…'} — ${record.date_to || '…'}`;
  };

  const renderBody = () => {
    if (editing) {
      const f = recordForm({
        mode: 'edit',
        record,
        ref,
        onCancel: () => setEditing(false),
        onSaved: async () => {
          toast('已保存。Saved.');
          editing = false;
          setQuery({});
          // The PATCH answer is the record alone; read it again with its relations.
          await refresh();
          document.getElementById('main')?.scrollTo(0, 0);
        },
      });
      mount(body, section(['编辑档案', 'Edit record'], f.el));
      f.focus();
      return;
    }
    const hidden = record.content_hidden;
    const description = section(
      ['著录信息', 'Description'],
      dl(
        row('档号', 'Reference code', h('span', { class: 'mono' }, record.reference_code), 'reference_code'),
        row('题名', 'Title', record.title, 'title'),
        hidden ? null : row('内容描述', 'Description', record.description ? h('span', { class: 'prewrap' }, record.description) : null, 'description'),
        row('主题词', 'Keywords', record.keywords?.length ? chips(record.keywords) : null, 'keywords'),
        row('责任者', 'Creator', record.creator, 'creator'),
        row('年度', 'Year', record.year, 'year'),
        row('起止日期', 'Dates', dateRange(), 'dates'),
        row('全宗', 'Fonds', record.fonds ? `${record.fonds.name} (${record.fonds.code})` : null, 'fonds'),
        row('类别', 'Category', record.category ? `${categoryPath(ref, record.category.id) || record.category.name} (${record.category.code})` : null, 'category'),
        row('载体', 'Carrier', label(CARRIERS, record.carrier), 'carrier'),
        row('页数', 'Pages', record.pages, 'pages'),
        !portal && record.patron_id
          ? row('关联用户', 'Linked patron', can('patron_read') ? h('a', { href: `/patrons/${record.patron_id}` }, `#${record.patron_id}`) : `#${record.patron_id}`, 'patron_id')
          : null,
      ),
    );
    const custody = hidden
      ? null
      : section(
          ['保管', 'Custody and retention'],
          dl(
            row('密级', 'Access level', accessBadge(record.access_level), 'access_level'),
            row('保管期限', 'Retention', retentionText(record.retention), 'retention'),
            row('保管期满', 'Retention until', record.retention_until ? [record.retention_until, retentionDue() ? badge('已到期 due', 'bad') : null] : record.retention?.years == null ? '永久保存 kept permanently' : null, 'retention_until'),
            portal ? null : row('法律保全', 'Legal hold', record.legal_hold ? [badge('保全中 on hold', 'hold'), record.legal_hold_reason ? h('span', null, record.legal_hold_reason) : null] : '无 none', 'legal_hold'),
            portal ? null : row('存放位置', 'Location', record.location?.label, 'location'),
            row('状态', 'Status', statusBadge(record.status), 'status'),
            record.closed_at ? row('销户时间', 'Closed', fmtTime(record.closed_at), 'closed_at') : null,
            record.disposed_at ? row('销毁时间', 'Disposed', fmtTime(record.disposed_at), 'disposed_at') : null,
          ),
        );
    const rights = record.rights || {};
    const rightsSection = section(
      ['权利', 'Rights'],
      dl(
        row('权利人', 'Holder', rights.holder, 'rights.holder'),
        row('许可', 'Licence', rights.licence, 'rights.licence'),
        row('复制', 'Reproduction', rights.reproduction_allowed === true ? '允许 allowed' : rights.reproduction_allowed === false ? '不允许 not allowed' : null, 'rights.reproduction_allowed'),
        row('说明', 'Note', rights.note, 'rights.note'),
        row('限制利用至', 'Embargo until', record.embargo_until, 'embargo_until'),
      ),
    );
    const system = portal || hidden
      ? null
      : section(
          ['系统信息', 'System'],
          dl(
            row('编号', 'Id', `#${record.id}`),
            row('利用次数', 'Uses', record.use_count),
            row('来源权威度', 'Source authority', record.source_authority),
            row('建档', 'Created', fmtTime(record.created_at)),
            row('更新', 'Updated', fmtTime(record.updated_at)),
          ),
        );
    mount(body, h('div', { class: 'sections' }, description, custody, rightsSection, system), relationsBlock(), attachments);
  };

  const retentionDue = () => record.status !== 'disposed' && record.retention_until && record.retention_until <= new Date().toISOString().slice(0, 10);

  const setEditing = (on) => {
    editing = on;
    setQuery(on ? { edit: '1' } : {});
    renderHeader();
    renderBody();
  };

  const refresh = async () => {
    ({ data: record } = await request('GET', `/api/v1/records/${id}`));
    renderHeader();
    renderBody();
    loadAttachments();
    loadMoves();
  };

  // ---------------------------------------------------------------- relations
  const relationsBlock = () => {
    if (record.content_hidden || !Array.isArray(record.relations)) return null;
    const canWrite = !portal && write();
    const items = record.relations;
    const table = items.length
      ? h(
          'table',
          { class: 'grid compact record-relations' },
          h('thead', null, h('tr', null, ['关系 Kind', '', '档案 Record', canWrite ? '' : null].filter((x) => x !== null).map((t) => h('th', { scope: 'col' }, t)))),
          h(
            'tbody',
            null,
            items.map((rel) =>
              h(
                'tr',
                { dataset: { relationId: rel.id } },
                h('td', null, label(RECORD_RELATION_KINDS, rel.kind)),
                h('td', { title: rel.direction === 'incoming' ? '被关联 incoming' : '关联到 outgoing' }, rel.direction === 'incoming' ? '←' : '→'),
                h('td', null, h('a', { href: `/records/${rel.record.id}` }, h('span', { class: 'mono' }, rel.record.reference_code), ' ', rel.record.title)),
                canWrite
                  ? h(
                      'td',
                      null,
                      rel.direction === 'outgoing'
                        ? h(
                            'button',
                            {
                              type: 'button',
                              class: 'btn tiny',
                              'aria-label': `移除 Remove ${rel.record.reference_code}`,
                              onclick: () =>
                                dialog({
                                  title: ['移除关联', 'Remove relation'],
                                  intro: h('p', null, `移除与 ${rel.record.reference_code} 的“${zh(RECORD_RELATION_KINDS, rel.kind)}”关联？Remove this relation?`),
                                  submit: ['移除', 'Remove'],
                                  danger: true,
                                  onSubmit: async () => {
                                    await del(`/api/v1/records/${record.id}/relations/${rel.id}`);
                                    toast('已移除。Relation removed.');
                                    await refresh();
                                  },
                                }),
                            },
                            bi('移除', 'Remove'),
                          )
                        : h('span', { class: 'muted small' }, '由对方维护 kept by the other record'),
                    )
                  : null,
              ),
            ),
          ),
        )
      : h('p', { class: 'muted' }, '暂无关联。No relations.');
    let addForm = null;
    if (canWrite) {
      const other = input({ type: 'number', min: 1, step: 1, inputmode: 'numeric' });
      const kind = select(RECORD_RELATION_KINDS, { value: 'refers_to' });
      const add = h('button', { type: 'submit', class: 'btn' }, bi('添加', 'Add'));
      addForm = h(
        'form',
        { class: 'inline-form relation-form', novalidate: true },
        formError(),
        field({ name: 'related_id', label: ['关联档案编号', 'Related record id'], control: other, required: true }),
        field({ name: 'kind', label: ['关系', 'Kind'], control: kind }),
        h('div', { class: 'field' }, h('span', { class: 'label-spacer', 'aria-hidden': 'true' }, ' '), add),
      );
      addForm.addEventListener('submit', (e) => {
        e.preventDefault();
        if (!other.value) return showError(addForm, { field: 'related_id', message: '请输入档案编号。Enter the record id.' });
        busy(
          add,
          async () => {
            await request('POST', `/api/v1/records/${record.id}/relations`, { body: { related_id: Number(other.value), kind: kind.value } });
            toast('已添加关联。Relation added.');
            await refresh();
          },
          addForm,
        );
      });
    }
    return section(['关联档案', 'Related records'], table, addForm);
  };

  // ---------------------------------------------------------------- attachments
  // Shown only when the attachments API answers: it arrives separately.
  const loadAttachments = async () => {
    if (record.content_hidden) return mount(attachments);
    let out;
    try {
      out = await get(`/api/v1/records/${record.id}/attachments`);
    } catch {
      mount(attachments);
      return;
    }
    const items = (out.items || []).filter((a) => !a.removed);
    const list = items.length
      ? h(
          'table',
          { class: 'grid compact attachments' },
          h('thead', null, h('tr', null, ['文件 File', '类型 Type', '大小 Size', '上传 Uploaded', '签名 Signatures'].map((t) => h('th', { scope: 'col' }, t)))),
          h(
            'tbody',
            null,
            items.map((a) =>
              h(
                'tr',
                { dataset: { attachmentId: a.id } },
                h('td', null, h('a', { href: `/api/v1/attachments/${a.id}/content`, download: a.filename || true }, a.filename || `#${a.id}`)),
                h('td', { class: 'mono small' }, a.mime || a.format || '—'),
                h('td', { class: 'num' }, sizeText(a.size)),
                h('td', { class: 'nowrap' }, fmtTime(a.created_at)),
                h(
                  'td',
                  { class: 'signatures' },
                  signatureList(a.signatures || []),
                  !portal && write()
                    ? h('button', { type: 'button', class: 'btn tiny', onclick: () => recordSignature(a).then((done) => done && loadAttachments()) }, bi('登记签名', 'Record a signature'))
                    : null,
                ),
              ),
            ),
          ),
        )
      : h('p', { class: 'muted' }, '暂无附件。No attachments.');
    let upload = null;
    if (!portal && write()) {
      const file = h('input', { type: 'file', id: `upload-${record.id}` });
      const send = h('button', { type: 'submit', class: 'btn' }, bi('上传', 'Upload'));
      upload = h('form', { class: 'upload-form', novalidate: true }, formError(), h('div', { class: 'field', dataset: { field: 'file' } }, h('label', { for: file.id }, bi('上传附件', 'Upload an attachment')), file, h('div', { class: 'field-error' })), send);
      upload.addEventListener('submit', (e) => {
        e.preventDefault();
        const f = file.files?.[0];
        if (!f) return showError(upload, { field: 'file', message: '请选择文件。Choose a file.' });
        busy(
          send,
          async () => {
            await uploadFile(record.id, f);
            file.value = '';
            toast(`已上传 ${f.name}。Uploaded.`);
            await loadAttachments();
          },
          upload,
        );
      });
    }
    mount(attachments, section(['附件', 'Attachments'], list, upload));
  };

  // ---------------------------------------------------------------- moves
  const loadMoves = async () => {
    if (portal || record.content_hidden) return mount(moves);
    let out;
    try {
      out = await get(`/api/v1/records/${record.id}/moves`);
    } catch {
      mount(moves);
      return;
    }
    const items = out.items || [];
    mount(
      moves,
      section(
        ['移动记录', 'Move history'],
        items.length
          ? h(
              'ol',
              { class: 'moves' },
              [...items].reverse().map((m) =>
                h(
                  'li',
                  null,
                  h('div', null, m.from ? m.from.label : h('span', { class: 'muted' }, '（入库 filed）'), ' → ', m.to ? m.to.label : h('span', { class: 'muted' }, '（出库 out）')),
                  h('div', { class: 'muted small' }, `${fmtTime(m.moved_at)} · ${m.moved_by || '系统 system'}${m.reason ? ` · ${m.reason}` : ''}`),
                ),
              ),
            )
          : h('p', { class: 'muted' }, '没有移动记录。Never moved.'),
      ),
    );
  };

  // ---------------------------------------------------------------- actions
  const moveDialog = async () => {
    const loc = await chooseLocation({ title: ['移动到', 'Move to'] });
    if (!loc) return;
    await askReason({
      title: ['移动档案', 'Move record'],
      intro: h('p', null, `${record.location?.label || '（未上架 not shelved）'} → `, h('strong', null, loc.label)),
      label: ['原因', 'Reason'],
      hint: '可选，如：倒架、调卷。Optional.',
      submit: ['移动', 'Move'],
      onSubmit: async (reason) => {
        await request('POST', `/api/v1/records/${record.id}/move`, { body: { location_id: loc.id, ...(reason ? { reason } : {}) } });
        toast('已移动。Moved.');
        await refresh();
      },
    });
  };

  const closeDialog = () =>
    askReason({
      title: ['档案销户', 'Close record'],
      intro: h('p', null, '销户后档案移出在库序列、腾出存放位置；若档号方案允许复用号码，本档号将被释放。Closing frees its place and, where the scheme reuses numbers, its number.'),
      submit: ['销户', 'Close'],
      danger: true,
      hint: '例如：客户销户。e.g. the customer left.',
      onSubmit: async (reason) => {
        await request('POST', `/api/v1/records/${record.id}/close`, { body: { reason } });
        toast('已销户。Closed.');
        await refresh();
      },
    });

  const legalHoldDialog = () =>
    askReason({
      title: record.legal_hold ? ['解除法律保全', 'Release legal hold'] : ['法律保全', 'Put on legal hold'],
      intro: h('p', null, record.legal_hold ? '解除后此档案可再被鉴定销毁。Once released, it may be disposed of again.' : '保全期间此档案不能被销毁。A record on hold cannot be disposed of.'),
      submit: record.legal_hold ? ['解除', 'Release'] : ['保全', 'Hold'],
      onSubmit: async (reason) => {
        await request('POST', `/api/v1/records/${record.id}/legal-hold`, { body: { hold: !record.legal_hold, reason } });
        toast(record.legal_hold ? '已解除保全。Hold released.' : '已保全。On hold.');
        await refresh();
      },
    });

  renderHeader();
  renderBody();
  const back = portal ? h('a', { href: '/portal/search', class: 'back-link' }, '← 返回检索 Back to search') : h('a', { href: '/records', class: 'back-link' }, '← 档案列表 Records');
  mount(root, back, header, notices, h('div', { class: 'record-layout' }, body, portal ? null : h('aside', { class: 'record-side' }, moves)));
  await Promise.all([loadAttachments(), loadMoves()]);
}

// Signatures of one attachment: who, when, and for embedded ones whether the file is
// still what was signed. Trust in the certificate is never claimed: it is not checked.
function signatureList(sigs) {
  if (!sigs.length) return h('span', { class: 'muted small' }, '无 None');
  return h(
    'ul',
    { class: 'signature-list' },
    sigs.map((s) => {
      const d = s.detail || {};
      const tip = [
        d.certificate ? `证书 Certificate: ${d.certificate.subject}${d.certificate.self_signed ? '（自签名 self-signed）' : ''}` : null,
        d.certificate ? `颁发者 Issuer: ${d.certificate.issuer}; 序列号 Serial: ${d.certificate.serial}` : null,
        d.reason ? `理由 Reason: ${d.reason}` : null,
        d.location ? `地点 Location: ${d.location}` : null,
        ...(d.problems || []),
        s.source === 'embedded' ? '已核验：文件自签名后未被改动。未核验：证书是否可信。Checked: integrity. Not checked: trust in the certificate.' : null,
        s.certificate_ref ? `证书/凭证 Reference: ${s.certificate_ref}` : null,
        s.note ? `备注 Note: ${s.note}` : null,
      ].filter(Boolean);
      const kind = s.integrity === 'intact' ? 'ok' : s.integrity === 'not_intact' ? 'bad' : 'revealed';
      return h(
        'li',
        { dataset: { signatureId: s.id, integrity: s.integrity || 'recorded' }, title: tip.join('\n') },
        h('strong', null, s.signer || '—'),
        s.signed_at ? h('span', { class: 'muted small' }, ` ${s.signed_at.length > 10 ? fmtTime(s.signed_at) : s.signed_at}`) : null,
        ' ',
        s.source === 'embedded'
          ? badge(label(SIGNATURE_INTEGRITY, s.integrity), kind)
          : badge(`登记 Recorded · ${zh(SIGNATURE_METHODS, s.method)}`, 'type'),
        d.problems && d.problems.length ? h('div', { class: 'small error-text' }, d.problems[0]) : null,
      );
    }),
  );
}

// Staff record a signature that is not in the file (a detached signature, a paper
// sign-off that was scanned, a seal).
function recordSignature(a) {
  const signer = input({ maxlength: 200 });
  const method = select(SIGNATURE_METHODS, { value: 'paper' });
  const signedAt = input({ type: 'date' });
  const certificateRef = input({ maxlength: 500 });
  const note = textarea({ rows: 2, maxlength: 2000 });
  return dialog({
    title: ['登记签名', 'Record a signature'],
    intro: h('p', null, `${a.filename} — `, '文件中没有嵌入的签名，由工作人员登记。A signature that is not embedded in the file.'),
    fields: [
      field({ name: 'signer', label: ['签署人', 'Signer'], control: signer, required: true }),
      field({ name: 'method', label: ['方式', 'Method'], control: method, required: true }),
      field({ name: 'signed_at', label: ['签署日期', 'Signed on'], control: signedAt }),
      field({ name: 'certificate_ref', label: ['证书或凭证', 'Certificate reference'], control: certificateRef, hint: '如证书序列号、登记簿页码。E.g. a certificate serial, a register page.' }),
      field({ name: 'note', label: ['备注', 'Note'], control: note, wide: true }),
    ],
    submit: ['登记', 'Record'],
    onSubmit: async () => {
      const body = { signer: signer.value.trim(), method: method.value };
      if (signedAt.value) body.signed_at = signedAt.value;
      if (certificateRef.value.trim()) body.certificate_ref = certificateRef.value.trim();
      if (note.value.trim()) body.note = note.value.trim();
      await request('POST', `/api/v1/attachments/${a.id}/signatures`, { body });
      toast('已登记签名。Signature recorded.');
    },
  });
}

export function sizeText(n) {
  if (n == null) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

// The attachments API takes the file as the raw body, its name in the query.
async function uploadFile(recordId, file) {
  const { data } = await request('POST', `/api/v1/records/${recordId}/attachments`, {
    raw: file,
    contentType: file.type || 'application/octet-stream',
    query: { filename: file.name },
  });
  return data;
}
