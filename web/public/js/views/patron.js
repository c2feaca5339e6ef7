// patron.js — the patron 360° page: header, descriptive data with reveal, contacts with
// validity, relations, timeline, and the edit, merge, export and erase actions.

import { del, download, get, post, request } from '../api.js';
import { bi, h, mount } from '../dom.js';
import { fmtTime } from '../format.js';
import { FIELDS, KEY_CHANGE_STATUS, PATRON_STATUS, PATRON_TYPES, RELATION_KINDS, label, zh } from '../labels.js';
import { navigate, setQuery } from '../router.js';
import { can, isPortal } from '../session.js';
import { askReason, badge, busy, chips, dialog, errorPage, field, formError, input, loading, notice, section, select, showError, toast } from '../ui.js';
import { customerFiles } from '../catalogue.js';
import { patronForm } from './patron-form.js';
import { researchProjects } from './knowledge.js';
import { descriptiveSections, timelineBlock } from './patron-parts.js';
import { patronName } from './patrons.js';
import { interactionsBlock } from './contacts.js';
import { onsiteBlock } from './onsite-visits.js';
import { patronLoans } from './loans.js';
import { patronTier } from './patron-service.js';

export async function patronView({ params, query, state, root }) {
  const id = Number(params.id);
  if (!Number.isInteger(id) || id <= 0) {
    mount(root, errorPage({ status: 404, message: `没有编号为 ${params.id} 的用户。No such patron.` }));
    return;
  }
  mount(root, loading());
  let patron;
  let res;
  try {
    ({ data: patron, res } = await request('GET', `/api/v1/patrons/${id}`));
  } catch (e) {
    mount(root, errorPage(e));
    return;
  }
  const notices = h('div', { class: 'notices' });
  if (res.redirected && patron.id !== id) {
    history.replaceState(history.state, '', `/patrons/${patron.id}`);
    notices.append(notice('info', `#${id} 已合并到 #${patron.id}。Patron #${id} was merged into #${patron.id}.`));
  }
  if (isPortal()) return portalPatronRedirect(patron, root);

  const pid = patron.id;
  document.title = `${patronName(patron)} #${pid} — 档案 dangan`;
  const revealed = {};
  let editing = query.edit === '1' && can('patron_write') && patron.status === 'active';

  if (state.created) {
    const dups = state.duplicates || [];
    notices.append(
      notice(
        dups.length ? 'warn' : 'ok',
        h('strong', null, '已建档。Patron created.'),
        dups.length
          ? [
              ' ',
              bi('可能重复的用户：', 'Possible duplicates:'),
              h(
                'ul',
                { class: 'dup-list', 'data-testid': 'duplicates' },
                dups.map((d) =>
                  h(
                    'li',
                    null,
                    h('a', { href: `/patrons/${d.id}` }, `#${d.id} ${d.name ?? ''}`),
                    ' ',
                    h('span', { class: 'muted' }, `相同 same: ${(d.matched_on || []).map((m) => zh(FIELDS, m)).join('、')}`),
                    can('patron_merge')
                      ? h('button', { type: 'button', class: 'btn tiny', onclick: () => mergeDialog(d.id) }, bi('合并到本用户', 'Merge into this one'))
                      : null,
                  ),
                ),
              ),
            ]
          : null,
      ),
    );
    history.replaceState({}, '', location.pathname + location.search);
  }

  const header = h('div');
  const pending = h('div', { class: 'pending' });
  const body = h('div', { class: 'patron-body' });
  const timeline = timelineBlock(pid);
  const relations = h('div');
  const files = can('record_read') ? customerFiles(pid) : null;
  const contacts = can('ticket_read') ? interactionsBlock(pid) : null;
  const onsite = can('ticket_read') ? onsiteBlock(pid) : null;
  const tier = can('ticket_read') ? patronTier(pid, { onChange: () => timeline.reload() }) : null;
  const loans = can('loan_read') ? patronLoans(pid) : null;

  const renderHeader = () => {
    const actions = [];
    const active = patron.status === 'active';
    if (active && can('patron_write') && !editing)
      actions.push(h('button', { type: 'button', class: 'btn primary', onclick: () => setEditing(true) }, bi('编辑', 'Edit')));
    if (active && can('patron_merge')) actions.push(h('button', { type: 'button', class: 'btn', onclick: () => mergeDialog() }, bi('合并', 'Merge')));
    if (can('patron_export'))
      actions.push(
        h('button', { type: 'button', class: 'btn', onclick: (e) => busy(e.currentTarget, () => exportData()) }, bi('导出', 'Export')),
      );
    if (active && can('patron_erase')) actions.push(h('button', { type: 'button', class: 'btn danger', onclick: () => eraseDialog() }, bi('删除个人信息', 'Erase')));
    mount(
      header,
      h(
        'header',
        { class: 'patron-header' },
        h(
          'div',
          { class: 'patron-title' },
          h('h1', null, patronName(patron), ' ', h('span', { class: 'muted id' }, `#${pid}`)),
          h(
            'div',
            { class: 'patron-meta' },
            badge(label(PATRON_TYPES, patron.type), 'type'),
            badge(label(PATRON_STATUS, patron.status), `status-${patron.status}`),
            patron.tags?.length ? chips(patron.tags) : null,
            patron.name_latin && patron.name_latin !== patron.name ? h('span', { class: 'muted' }, patron.name_latin) : null,
            h('span', { class: 'muted small' }, `版本 v${patron.version} · 更新 ${fmtTime(patron.updated_at)}`),
          ),
        ),
        h('div', { class: 'actions' }, actions),
      ),
    );
  };

  const renderBody = () => {
    if (editing) {
      const f = patronForm({
        mode: 'edit',
        patron,
        revealed,
        onCancel: () => setEditing(false),
        onSaved: async (saved, sent) => {
          const waiting = saved.pending_key_changes || [];
          delete saved.pending_key_changes;
          patron = saved;
          // What was typed is what the user knows; keep it visible after saving.
          for (const k of ['phones', 'emails', 'address', 'birth_date', 'household_registration', 'economic_status', 'id_document'])
            if (k in sent && k in revealed) revealed[k] = sent[k];
          toast(waiting.length ? '已提交，关键字段待审批。Saved; key-field correction awaits approval.' : '已保存。Saved.');
          setEditing(false);
          document.getElementById('main')?.scrollTo(0, 0);
          loadPending();
          timeline.reload();
        },
      });
      mount(body, section(['编辑用户资料', 'Edit patron'], f.el));
      f.focus();
      return;
    }
    const s = descriptiveSections(patron, {
      revealed,
      onReveal: can('patron_reveal') ? reveal : null,
      contactActions: can('patron_write') && patron.status === 'active' ? contactActions : null,
    });
    mount(body, h('div', { class: 'sections' }, s.identity, s.contacts, s.address, s.profile, s.organisation, s.consents), relations, tier?.el, contacts?.el, onsite?.el, loans?.el, files?.el);
  };

  const setEditing = (on) => {
    editing = on;
    setQuery(on ? { edit: '1' } : {});
    renderHeader();
    renderBody();
  };

  const reveal = (name) =>
    askReason({
      title: ['显示遮蔽信息', 'Reveal masked data'],
      intro: h('p', null, `显示“${zh(FIELDS, name)}”将记入审计日志。Revealing ${FIELDS[name]?.[1] || name} is recorded in the audit trail.`),
      submit: ['显示', 'Reveal'],
      onSubmit: async (reason) => {
        const out = await post(`/api/v1/patrons/${pid}/reveal`, { fields: [name], reason });
        revealed[name] = out[name];
        renderBody();
        timeline.reload();
      },
    });

  const contactActions = (c) => {
    const verify = h(
      'button',
      {
        type: 'button',
        class: 'btn tiny',
        onclick: (e) =>
          busy(e.currentTarget, async () => {
            patron = await post(`/api/v1/patrons/${pid}/contacts/${c.id}/verify`, {});
            toast('已核实。Contact verified.');
            renderHeader();
            renderBody();
            timeline.reload();
          }),
      },
      bi('核实', 'Verify'),
    );
    const invalidate = h(
      'button',
      {
        type: 'button',
        class: 'btn tiny',
        onclick: () =>
          askReason({
            title: ['标记联系方式无效', 'Mark contact invalid'],
            label: ['原因', 'Reason'],
            hint: '例如：退信 bounce、无法接通 failed_call、空号 number unused',
            submit: ['标记无效', 'Mark invalid'],
            onSubmit: async (reason) => {
              patron = await post(`/api/v1/patrons/${pid}/contacts/${c.id}/invalidate`, { reason });
              toast('已标记无效。Contact marked invalid.');
              renderHeader();
              renderBody();
              timeline.reload();
            },
          }),
      },
      bi('标记无效', 'Invalidate'),
    );
    return [verify, c.valid ? invalidate : null];
  };

  const loadPending = async () => {
    if (!can('patron_write')) return;
    try {
      const out = await get('/api/v1/key-changes', { patron_id: pid, status: 'pending' });
      const items = out.items || [];
      mount(
        pending,
        items.length
          ? notice(
              'warn',
              h('strong', null, bi('关键字段更正待审批', 'Pending approval')),
              h(
                'ul',
                { class: 'pending-list', 'data-testid': 'pending-changes' },
                items.map((k) =>
                  h(
                    'li',
                    null,
                    `${zh(FIELDS, k.field)} ${FIELDS[k.field]?.[1] || k.field}: `,
                    k.new_value !== null ? h('span', null, showValue(k.old_value), ' → ', h('strong', null, showValue(k.new_value))) : h('span', { class: 'muted' }, '（值已遮蔽 values masked）'),
                    h('span', { class: 'muted small' }, ` · ${k.requested_by} · ${fmtTime(k.requested_at)} · ${label(KEY_CHANGE_STATUS, k.status)}`),
                  ),
                ),
              ),
              can('key_change_decide') ? h('a', { href: '/key-changes' }, '去审批 Review →') : null,
            )
          : null,
      );
    } catch {
      /* the list is a convenience; the page stands without it */
    }
  };

  const loadRelations = async () => {
    let items = [];
    try {
      items = (await get(`/api/v1/patrons/${pid}/relations`)).items || [];
    } catch (e) {
      mount(relations, section(['关系', 'Relations'], h('p', { class: 'error-text' }, e.message)));
      return;
    }
    const write = can('patron_write') && patron.status === 'active';
    const rows = items.map((r) =>
      h(
        'tr',
        { dataset: { relationId: r.id } },
        h('td', null, label(RELATION_KINDS, r.kind)),
        h('td', null, r.direction === 'incoming' ? '←' : '→'),
        h('td', null, h('a', { href: `/patrons/${r.patron_id}` }, r.name ?? '（已去标识）', ` #${r.patron_id}`)),
        h('td', null, r.role || '—'),
        write
          ? h(
              'td',
              null,
              h(
                'button',
                {
                  type: 'button',
                  class: 'btn tiny',
                  'aria-label': `移除 Remove ${zh(RELATION_KINDS, r.kind)} #${r.patron_id}`,
                  onclick: () =>
                    dialog({
                      title: ['移除关系', 'Remove relation'],
                      intro: h('p', null, `移除与 #${r.patron_id} 的${zh(RELATION_KINDS, r.kind)}关系？Remove this relation?`),
                      submit: ['移除', 'Remove'],
                      danger: true,
                      onSubmit: async () => {
                        await del(`/api/v1/patrons/${pid}/relations/${r.id}`);
                        toast('已移除。Relation removed.');
                        loadRelations();
                        timeline.reload();
                      },
                    }),
                },
                bi('移除', 'Remove'),
              ),
            )
          : null,
      ),
    );
    let addForm = null;
    if (write) {
      const other = input({ type: 'number', min: 1, step: 1, inputmode: 'numeric' });
      const kind = select(RELATION_KINDS, { value: 'household' });
      const role = input({ maxlength: 100, placeholder: '如：配偶 e.g. spouse' });
      const err = formError();
      const add = h('button', { type: 'submit', class: 'btn' }, bi('添加', 'Add'));
      addForm = h(
        'form',
        { class: 'inline-form', novalidate: true },
        err,
        field({ name: 'related_id', label: ['对方用户编号', 'Other patron id'], control: other, required: true }),
        field({ name: 'kind', label: ['关系', 'Kind'], control: kind }),
        field({ name: 'role', label: ['角色', 'Role'], control: role }),
        h('div', { class: 'field' }, h('span', { class: 'label-spacer', 'aria-hidden': 'true' }, ' '), add),
      );
      addForm.addEventListener('submit', (e) => {
        e.preventDefault();
        if (!other.value) return showError(addForm, { field: 'related_id', message: '请输入对方编号。Enter the other patron’s id.' });
        busy(
          add,
          async () => {
            const body = { related_id: Number(other.value), kind: kind.value };
            if (role.value.trim()) body.role = role.value.trim();
            await post(`/api/v1/patrons/${pid}/relations`, body);
            toast('已添加关系。Relation added.');
            await loadRelations();
            timeline.reload();
          },
          addForm,
        );
      });
    }
    mount(
      relations,
      section(
        ['关系', 'Relations'],
        items.length
          ? h(
              'table',
              { class: 'grid compact relations' },
              h('thead', null, h('tr', null, ['关系 Kind', '', '对方 Patron', '角色 Role', write ? '' : null].filter((x) => x !== null).map((t) => h('th', { scope: 'col' }, t)))),
              h('tbody', null, rows),
            )
          : h('p', { class: 'muted' }, '暂无关系。No relations.'),
        addForm,
      ),
    );
  };

  const mergeDialog = (fromId) => {
    const from = input({ type: 'number', min: 1, step: 1, value: fromId ? String(fromId) : '', inputmode: 'numeric' });
    return askReason({
      title: ['合并用户', 'Merge patrons'],
      intro: h('p', null, `另一条记录的全部信息和历史将并入本用户 #${pid}，另一条记录随后指向本用户。Everything of the other record moves into #${pid}.`),
      extra: [field({ name: 'from', label: ['要并入的用户编号', 'Patron id to merge into this one'], control: from, required: true })],
      submit: ['合并', 'Merge'],
      danger: true,
      onSubmit: async (reason) => {
        if (!from.value) throw Object.assign(new Error('请输入编号。Enter the id.'), { field: 'from' });
        patron = await post(`/api/v1/patrons/${pid}/merge`, { from: Number(from.value), reason });
        toast(`已合并 #${from.value}。Merged.`);
        navigate(`/patrons/${pid}`, { replace: true });
      },
    });
  };

  const eraseDialog = () =>
    askReason({
      title: ['删除个人信息', 'Erase personal data'],
      intro: notice('error', '此操作不可撤销：姓名、证件、联系方式、地址等个人信息将被清除；工单、留言、来电记录、上门服务等的文字改为“(erased)”，录音与附件删除；统计数据保留，客户档案按保管期限保留。This cannot be undone: personal fields are cleared, service desk texts become “(erased)”, recordings and files are deleted; statistics and customer files stay.'),
      submit: ['确认删除', 'Erase'],
      danger: true,
      onSubmit: async (reason) => {
        await post(`/api/v1/patrons/${pid}/erase`, { reason });
        toast('个人信息已删除。Personal data erased.');
        navigate(`/patrons/${pid}`, { replace: true });
      },
    });

  const exportData = async () => {
    const ok = await dialog({
      title: ['导出个人信息', 'Export personal data'],
      intro: h('p', null, '导出文件含未遮蔽的全部个人信息，操作将记入审计日志。The file holds all personal data unmasked; the export is audited.'),
      submit: ['导出', 'Export'],
    });
    if (!ok) return;
    await download(`/api/v1/patrons/${pid}/export`, `patron-${pid}.json`);
    toast('已导出。Exported.');
    timeline.reload();
  };

  if (patron.status === 'erased') notices.append(notice('info', '此用户的个人信息已删除。This patron’s personal data was erased.'));

  renderHeader();
  renderBody();
  // The patron's current research projects (定题服务, D27), for staff who work them.
  const research = !isPortal() && can('ticket_read') ? researchProjects(pid) : null;
  mount(root, header, notices, pending, research, h('div', { class: 'patron-layout' }, body, h('aside', { class: 'patron-side' }, timeline.el)));
  await Promise.all([loadRelations(), loadPending(), timeline.reload(), files?.load(), contacts?.load(), onsite?.load(), tier?.load(), loans?.load()]);
}

function showValue(v) {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'object') return `${v.type ?? ''} ${v.number ?? ''}`.trim();
  return String(v);
}

// A portal account that opens its own patron page sees the portal.
function portalPatronRedirect(_patron, root) {
  mount(root, loading());
  navigate('/portal', { replace: true });
}
