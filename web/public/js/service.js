// service.js — what the service-desk screens share: the labels of kinds, priorities,
// states and channels, the badges for a ticket's state and its SLA, and PUT (the desk's
// settings are replaced whole, one day or policy at a time).

import { request } from './api.js';
import { h } from './dom.js';
import { fmtTime } from './format.js';
import { zh } from './labels.js';
import { badge } from './ui.js';

export const TICKET_KINDS = {
  consultation: ['咨询', 'Consultation'],
  complaint: ['投诉', 'Complaint'],
  suggestion: ['建议', 'Suggestion'],
  request: ['求助', 'Request'],
  report: ['举报', 'Report'],
};
export const PRIORITIES = {
  low: ['低', 'Low'],
  normal: ['普通', 'Normal'],
  high: ['高', 'High'],
  urgent: ['紧急', 'Urgent'],
};
export const TICKET_STATUS = {
  new: ['新建', 'New'],
  open: ['处理中', 'Open'],
  waiting_on_patron: ['等待用户', 'Waiting on patron'],
  resolved: ['已解决', 'Resolved'],
  closed: ['已关闭', 'Closed'],
  reopened: ['已重开', 'Reopened'],
};
// The channels a ticket may come on (docs/api.md, POST /api/v1/tickets).
export const TICKET_CHANNELS = {
  counter: ['柜台', 'Counter'],
  phone: ['电话', 'Phone'],
  email: ['电子邮件', 'E-mail'],
  web_form: ['网上表单', 'Web form'],
  chat: ['在线咨询', 'Chat'],
  message_board: ['留言板', 'Message board'],
  instant_message: ['即时通讯', 'Instant message'],
  letter: ['信函', 'Letter'],
  sms: ['短信', 'SMS'],
  social: ['社交媒体', 'Social media'],
  fax: ['传真', 'Fax'],
};
export const MESSAGE_KINDS = {
  patron: ['用户来信', 'Patron'],
  reply: ['答复', 'Reply'],
  note: ['内部备注', 'Internal note'],
  system: ['系统', 'System'],
};
export const VISIT_STATUS = {
  scheduled: ['待回访', 'Scheduled'],
  done: ['已回访', 'Done'],
  unreachable: ['未联系上', 'Unreachable'],
  cancelled: ['已取消', 'Cancelled'],
};
export const VISIT_CHANNELS = {
  phone: ['电话', 'Phone'],
  counter: ['柜台', 'Counter'],
  email: ['电子邮件', 'E-mail'],
  sms: ['短信', 'SMS'],
  instant_message: ['即时通讯', 'Instant message'],
  letter: ['信函', 'Letter'],
  on_site: ['上门', 'On site'],
};
export const WEEKDAYS = {
  mon: ['星期一', 'Monday'],
  tue: ['星期二', 'Tuesday'],
  wed: ['星期三', 'Wednesday'],
  thu: ['星期四', 'Thursday'],
  fri: ['星期五', 'Friday'],
  sat: ['星期六', 'Saturday'],
  sun: ['星期日', 'Sunday'],
};

// Which moves the state machine allows from each state (docs/service.md).
export const ACTIONS_FROM = {
  wait: ['new', 'open', 'reopened'],
  resume: ['waiting_on_patron'],
  resolve: ['new', 'open', 'waiting_on_patron', 'reopened'],
  close: ['resolved'],
  reopen: ['resolved', 'closed'],
};
export const isActive = (status) => ['new', 'open', 'waiting_on_patron', 'reopened'].includes(status);

export const put = async (path, body) => (await request('PUT', path, { body })).data;

export const ticketHref = (id) => `/tickets/${id}`;

export function statusBadge(status) {
  const kind = status === 'closed' ? '' : status === 'resolved' ? 'ok' : status === 'waiting_on_patron' ? 'revealed' : 'type';
  return h('span', { class: ['badge', kind, `tstatus-${status}`], dataset: { status } }, zh(TICKET_STATUS, status));
}

export function priorityBadge(priority) {
  const kind = priority === 'urgent' ? 'bad' : priority === 'high' ? 'revealed' : '';
  return badge(zh(PRIORITIES, priority), kind);
}

// Past due while the ticket still runs, or marked breached by the sweeper.
export function overdue(t, which = 'resolution') {
  if (t.breached?.[which]) return true;
  const due = which === 'resolution' ? t.resolution_due : t.first_response_due;
  if (!due) return false;
  if (which === 'resolution' && !isActive(t.status)) return false;
  if (which === 'first_response' && t.first_response_at) return false;
  // Waiting on the patron stops the clock: the deadline moves when they answer.
  if (t.status === 'waiting_on_patron') return false;
  return new Date(due).getTime() < Date.now();
}

// A deadline as text, red with "超时 overdue" when it has passed.
export function dueCell(t, which = 'resolution') {
  const due = which === 'resolution' ? t.resolution_due : t.first_response_due;
  if (!due) return h('span', { class: 'muted' }, '—');
  const late = overdue(t, which);
  return h('span', { class: ['due', late && 'overdue'], dataset: { overdue: late ? 'true' : 'false' } }, fmtTime(due), late ? h('span', { class: 'badge bad' }, '超时 overdue') : null);
}
