// portal.js — "我的档案 My record" for a patron: their own data unmasked, the contact
// data and consents they may correct themselves (D12), their timeline, and an export
// of everything held about them.

import { download, request } from '../api.js';
import { bi, h, mount } from '../dom.js';
import { session } from '../session.js';
import { busy, errorPage, loading, notice, pageHeader, section, toast } from '../ui.js';
import { customerFiles } from '../catalogue.js';
import { patronForm } from './patron-form.js';
import { descriptiveSections, timelineBlock } from './patron-parts.js';
import { patronLoans } from './loans.js';
import { portalNotices } from './patron-service.js';

export async function portalView({ root }) {
  const pid = session.user?.patron_id;
  if (!pid) {
    mount(root, errorPage({ status: 404, message: '此账号未关联用户档案。This account has no patron record.' }));
    return;
  }
  mount(root, loading());
  let patron;
  try {
    ({ data: patron } = await request('GET', `/api/v1/patrons/${pid}`));
  } catch (e) {
    mount(root, errorPage(e));
    return;
  }
  const timeline = timelineBlock(patron.id);
  const files = customerFiles(patron.id);
  const notices = portalNotices();
  const loans = patronLoans(patron.id, { portal: true });
  const body = h('div', { class: 'patron-body' });
  let editing = false;

  const render = () => {
    if (editing) {
      const f = patronForm({
        mode: 'self',
        patron,
        onCancel: () => ((editing = false), render()),
        onSaved: (saved) => {
          delete saved.pending_key_changes;
          patron = saved;
          editing = false;
          toast('已保存。Saved.');
          render();
          timeline.reload();
        },
      });
      mount(body, section(['修改我的联系信息', 'Update my contact details'], f.el));
      f.focus();
      return;
    }
    const s = descriptiveSections(patron, { links: false });
    mount(body, h('div', { class: 'sections' }, s.identity, s.contacts, s.address, s.consents, s.profile, patron.type === 'organisation' ? s.organisation : null), files.el);
  };

  const edit = h('button', { type: 'button', class: 'btn primary', onclick: () => ((editing = true), render()) }, bi('修改联系信息', 'Edit my details'));
  const exportBtn = h(
    'button',
    {
      type: 'button',
      class: 'btn',
      onclick: (e) =>
        busy(e.currentTarget, async () => {
          await download(`/api/v1/patrons/${patron.id}/export`, `my-record-${patron.id}.json`);
          toast('已下载。Downloaded.');
          timeline.reload();
        }),
    },
    bi('导出我的数据', 'Export my data'),
  );
  render();
  mount(
    root,
    pageHeader(['我的档案', 'My record'], edit, exportBtn),
    notice('info', `您好，${patron.name ?? ''}。这里是本馆保存的您的全部资料；姓名和证件的更正请联系工作人员。Name and ID corrections: please ask the staff.`),
    notices.el,
    h('div', { class: 'patron-layout' }, h('div', null, body, loans.el), h('aside', { class: 'patron-side' }, timeline.el)),
  );
  await Promise.all([timeline.reload(), files.load(), notices.load(), loans.load()]);
}
