// patron-parts.js — the pieces of a patron's page shared by the staff 360° view and the
// portal: descriptive sections (with masked values marked and revealable), contacts
// with their validity, and the timeline.

import { get } from '../api.js';
import { bi, h } from '../dom.js';
import { fmtTime, fmtTimesIn } from '../format.js';
import { CHANNELS, CONSENTS, EVENT_KINDS, FIELDS, GENDERS, ID_TYPES, LANGUAGES, ORG_SIZES, PATRON_TYPES, label, zh } from '../labels.js';
import { chips, pager, section } from '../ui.js';

export const REVEALABLE = new Set(['phones', 'emails', 'id_document', 'address', 'birth_date', 'household_registration', 'economic_status', 'name', 'name_latin', 'postcode']);

// opts: {revealed: {field: value}, onReveal(field) (absent: no reveal buttons),
//        contactActions(contact) → nodes, links: bool (organisation link)}
export function descriptiveSections(p, opts = {}) {
  const revealed = opts.revealed || {};
  const masked = new Set(p.masked || []);
  const person = p.type === 'person';

  const value = (name, render = (v) => v) => {
    const isRevealed = name in revealed;
    const v = isRevealed ? revealed[name] : p[name];
    const isMasked = masked.has(name) && !isRevealed;
    const empty = v === null || v === undefined || v === '' || (Array.isArray(v) && !v.length);
    const parts = [];
    if (isMasked && empty) parts.push(h('span', { class: 'badge mask', title: '按角色隐藏 hidden for your role' }, '已隐藏 hidden'));
    else if (empty) parts.push(h('span', { class: 'muted' }, '—'));
    else parts.push(h('span', { class: [isMasked && 'masked-value', isRevealed && 'revealed-value'], 'data-value': name }, render(v)));
    if (isMasked) {
      if (!empty) parts.push(h('span', { class: 'badge mask', title: '按角色遮蔽 masked for your role' }, '已遮蔽 masked'));
      if (opts.onReveal && REVEALABLE.has(name))
        parts.push(
          h('button', { type: 'button', class: 'btn tiny', 'data-reveal': name, onclick: () => opts.onReveal(name), 'aria-label': `显示 Reveal ${FIELDS[name]?.[1] || name}` }, bi('显示', 'Reveal')),
        );
    }
    if (isRevealed) parts.push(h('span', { class: 'badge revealed', title: '已记录审计 audited' }, '已显示 revealed'));
    return parts;
  };
  const row = (name, render, lbl) => {
    const [z, e] = lbl || FIELDS[name] || [name, ''];
    return [h('dt', null, bi(z, e)), h('dd', { dataset: { field: name } }, value(name, render))];
  };
  const dl = (...rows) => h('dl', { class: 'kv' }, rows);

  const identity = section(
    ['身份', 'Identity'],
    dl(
      row('name'),
      row('name_latin'),
      row('type', (v) => label(PATRON_TYPES, v)),
      person ? row('gender', (v) => label(GENDERS, v)) : null,
      person ? row('birth_date') : null,
      row('id_document', (d) => [h('span', { class: 'muted' }, `${zh(ID_TYPES, d.type)} `), h('span', { class: 'mono' }, d.number)], person ? null : ['证照', 'Registration']),
      person ? row('household_registration') : null,
    ),
  );

  const contactList = contactsBlock(p, opts);
  const contacts = section(
    ['联系方式', 'Contacts'],
    contactList,
    dl(row('preferred_channel', (v) => label(CHANNELS, v)), row('preferred_language', (v) => label(LANGUAGES, v)), row('preferred_contact_times')),
  );

  const address = section(['地址', 'Address'], dl(row('region'), row('postcode'), row('address')));

  const profile = section(
    ['画像', 'Profile'],
    dl(
      person ? row('education') : null,
      person ? row('occupation') : null,
      row('interests', (v) => chips(v, 'interest')),
      row('tags', (v) => chips(v)),
      row('special_needs'),
      person ? row('economic_status') : null,
      'staff_notes' in p ? row('staff_notes') : null,
    ),
  );

  const organisation = section(
    ['机构', 'Organisation'],
    dl(
      person
        ? row('organisation_name', (v) => (p.organisation_id && opts.links !== false ? h('a', { href: `/patrons/${p.organisation_id}` }, v, ` #${p.organisation_id}`) : v))
        : null,
      person ? row('organisation_relation') : null,
      row('sector'),
      row('organisation_size', (v) => label(ORG_SIZES, v)),
    ),
  );

  const consents = section(
    ['授权同意', 'Consents'],
    h(
      'ul',
      { class: 'consents' },
      Object.entries(CONSENTS).map(([k, [z, e]]) => {
        const c = p.consents?.[k];
        const given = !!c?.given;
        return h(
          'li',
          { dataset: { consent: k } },
          h('span', { class: ['mark', given ? 'yes' : 'no'], 'aria-hidden': 'true' }, given ? '✓' : '✗'),
          bi(z, e),
          ' ',
          h('span', { class: 'muted' }, given ? `已同意 given ${c?.at ? fmtTime(c.at) : ''}` : '未同意 not given'),
        );
      }),
    ),
  );

  return { identity, contacts, address, profile, organisation, consents };
}

// Each phone and e-mail with its validity mark and last verification.
function contactsBlock(p, opts) {
  const revealed = opts.revealed || {};
  const masked = new Set(p.masked || []);
  const items = [];
  const byKind = { phone: 0, email: 0 };
  for (const c of p.contacts || []) {
    const listName = c.kind === 'phone' ? 'phones' : 'emails';
    const i = byKind[c.kind]++;
    const shown = revealed[listName] ? revealed[listName][i] ?? c.value : c.value;
    const isMasked = masked.has(listName) && !revealed[listName];
    items.push(
      h(
        'li',
        { class: ['contact', !c.valid && 'invalid'], dataset: { contactId: c.id, kind: c.kind } },
        h('span', { class: 'contact-kind' }, c.kind === 'phone' ? '☎ 电话' : '✉ 邮箱'),
        h('span', { class: ['mono', 'contact-value', isMasked && 'masked-value', revealed[listName] && 'revealed-value'] }, shown),
        c.valid
          ? h('span', { class: 'badge ok', title: '有效 valid' }, '✓ 有效 valid')
          : h('span', { class: 'badge bad', title: c.invalid_reason || '' }, `✗ 无效 invalid${c.invalid_reason ? `: ${c.invalid_reason}` : ''}`),
        h('span', { class: 'muted small' }, c.last_verified_at ? `核实于 verified ${fmtTime(c.last_verified_at)}` : '未核实 never verified'),
        opts.contactActions ? h('span', { class: 'row-actions' }, opts.contactActions(c)) : null,
      ),
    );
  }
  const reveal = [];
  for (const listName of ['phones', 'emails']) {
    if (masked.has(listName) && !revealed[listName] && opts.onReveal)
      reveal.push(
        h(
          'button',
          { type: 'button', class: 'btn tiny', 'data-reveal': listName, onclick: () => opts.onReveal(listName) },
          bi('显示', 'Reveal'),
          ' ',
          listName === 'phones' ? '电话 phones' : '邮箱 e-mails',
        ),
      );
  }
  return h(
    'div',
    { class: 'contacts-block' },
    items.length ? h('ul', { class: 'contacts' }, items) : h('p', { class: 'muted' }, '没有联系方式。No phone or e-mail.'),
    reveal.length ? h('div', { class: 'reveal-bar' }, h('span', { class: 'badge mask' }, '已遮蔽 masked'), reveal) : null,
  );
}

// The patron's timeline, newest first, with "load more". Returns {el, reload()}.
export function timelineBlock(patronId) {
  const list = h('ol', { class: 'timeline', 'aria-label': '时间线 Timeline' });
  const eventItem = (e) => {
    const [z, en] = EVENT_KINDS[e.kind] || [e.kind, ''];
    const fields = Array.isArray(e.detail?.fields) ? e.detail.fields : null;
    return h(
      'li',
      { class: ['event', `kind-${e.kind.replace(/\W+/g, '-')}`], dataset: { kind: e.kind } },
      h('div', { class: 'event-kind' }, bi(z, en)),
      e.summary ? h('div', { class: 'event-summary' }, fmtTimesIn(e.summary)) : null,
      fields && fields.length ? h('div', { class: 'event-fields' }, fields.map((f) => h('span', { class: 'chip field-chip' }, FIELDS[f.split('.')[0]] ? `${zh(FIELDS, f.split('.')[0])} ${f}` : f))) : null,
      h('div', { class: 'event-meta' }, h('time', { datetime: e.at }, fmtTime(e.at)), ' · ', e.actor ? `由 by ${e.actor}` : '系统 system'),
    );
  };
  const p = pager(
    (cursor) => get(`/api/v1/patrons/${patronId}/timeline`, { cursor, limit: 20 }),
    (items, first) => {
      if (first) list.replaceChildren();
      list.append(...items.map(eventItem));
    },
    { empty: '暂无记录。No events yet.' },
  );
  const el = section(['时间线', 'Timeline'], list, p.el);
  el.classList.add('timeline-card');
  return { el, reload: () => p.reset() };
}
