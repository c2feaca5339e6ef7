// patron-service.js — the service desk's parts of a patron page: the patron's service
// tier (D29: read with ticket_read, changed with ticket_write; the change lands on the
// timeline), and the portal's notices of the patron's own tickets (unread count, list,
// "mark all read").

import { get, post } from '../api.js';
import { bi, h, mount } from '../dom.js';
import { fmtTime } from '../format.js';
import { zh } from '../labels.js';
import { can } from '../session.js';
import { badge, busy, field, formError, section, toast } from '../ui.js';
import { PRIORITIES, put } from '../service.js';

// `onChange` runs after a change (e.g. to reload the timeline).
export function patronTier(pid, { onChange } = {}) {
  const body = h('div', { class: 'tier-body' });
  const el = section(['服务等级', 'Service tier'], body);
  el.classList.add('patron-tier');
  const load = async () => {
    try {
      const [current, tiers] = await Promise.all([get(`/api/v1/patrons/${pid}/service-tier`), get('/api/v1/service-tiers')]);
      draw(current, tiers.items || []);
    } catch (e) {
      mount(body, h('p', { class: 'error-text' }, e.message));
    }
  };
  const draw = (current, tiers) => {
    const t = tiers.find((x) => x.code === current.tier);
    const summary = t
      ? h('p', null, badge(t.name, 'type'), ' ', h('span', { class: 'muted' }, `时限 ${t.sla_percent}% · 默认优先级 ${zh(PRIORITIES, t.default_priority)}${t.notify ? ' · 门户通知 portal notices' : ''}`))
      : h('p', { class: 'muted' }, '普通（未设等级）Standard (no tier set)');
    if (!can('ticket_write')) {
      mount(body, summary);
      return;
    }
    const choice = h('select', null, h('option', { value: '' }, '— 无（普通条件）None'), tiers.map((x) => h('option', { value: x.code }, `${x.name} (${x.code})`)));
    choice.value = current.tier ?? '';
    const err = formError();
    const save = h('button', { type: 'submit', class: 'btn small primary' }, bi('保存', 'Save'));
    const form = h('form', { class: 'tier-form', novalidate: true }, err, field({ name: 'tier', label: ['等级', 'Tier'], control: choice }), h('div', { class: 'form-actions' }, save));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      busy(
        save,
        async () => {
          const out = await put(`/api/v1/patrons/${pid}/service-tier`, { tier: choice.value || null });
          toast(out.tier ? `服务等级已设为 ${out.name}。Tier set.` : '已取消服务等级。Tier removed.');
          draw(out, tiers);
          onChange?.();
        },
        form,
      );
    });
    mount(body, summary, form, current.set_at ? h('p', { class: 'muted small' }, `设定于 Set ${fmtTime(current.set_at)}`) : null);
  };
  return { el, load };
}

// The portal: "通知 Notices" with the unread count in the heading.
export function portalNotices() {
  const count = h('span', { class: 'notice-count', 'aria-live': 'polite' });
  const list = h('ul', { class: 'notice-list', 'aria-label': '通知 Notices' });
  const markBtn = h('button', { type: 'button', class: 'btn small mark-read', hidden: true }, bi('全部标为已读', 'Mark all read'));
  const el = h('section', { class: 'card portal-notices' }, h('h2', null, bi('通知', 'Notices'), ' ', count), list, h('div', { class: 'form-actions' }, markBtn));
  const draw = (page) => {
    const unread = page.unread || 0;
    mount(count, unread ? badge(`${unread} 条未读 unread`, 'bad') : badge('无未读 none unread', ''));
    markBtn.hidden = !unread;
    mount(
      list,
      (page.items || []).length
        ? page.items.map((n) =>
            h(
              'li',
              { class: ['notice-item', !n.read_at && 'unread'], dataset: { notice: n.id } },
              !n.read_at ? h('span', { class: 'badge bad' }, '新 New') : null,
              ' ',
              n.ticket_id ? h('a', { href: `/portal/questions/${n.ticket_id}` }, n.ticket_number || `#${n.ticket_id}`) : null,
              ' ',
              n.text,
              h('div', { class: 'muted small' }, fmtTime(n.created_at)),
            ),
          )
        : h('li', { class: 'muted' }, '暂无通知。No notices.'),
    );
  };
  const load = async () => {
    try {
      draw(await get('/api/v1/notices', { limit: 20 }));
    } catch (e) {
      mount(list, h('li', { class: 'error-text' }, e.message));
    }
  };
  markBtn.addEventListener('click', (e) =>
    busy(e.currentTarget, async () => {
      await post('/api/v1/notices/read', {});
      toast('已标为已读。Marked read.');
      await load();
    }),
  );
  return { el, load };
}
