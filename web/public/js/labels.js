// labels.js — what the API's names are called on screen: Chinese first, English beside.
// Each entry is [中文, English]; label() falls back to the raw name for anything new.

export const ROLES = {
  administrator: ['系统管理员', 'Administrator'],
  archivist: ['档案管理员', 'Archivist'],
  agent: ['受理员', 'Agent'],
  manager: ['主管', 'Manager'],
  analyst: ['分析员', 'Analyst'],
  auditor: ['审计员', 'Auditor'],
  patron: ['档案用户', 'Patron'],
};

export const FIELDS = {
  name: ['姓名 / 名称', 'Name'],
  name_latin: ['拼音 / 外文名', 'Latin name'],
  type: ['类型', 'Type'],
  status: ['状态', 'Status'],
  gender: ['性别', 'Gender'],
  birth_date: ['出生日期', 'Birth date'],
  id_document: ['证件', 'ID document'],
  'id_document.type': ['证件类型', 'ID type'],
  'id_document.number': ['证件号码', 'ID number'],
  household_registration: ['户籍', 'Household registration'],
  region: ['地区', 'Region'],
  postcode: ['邮政编码', 'Postcode'],
  address: ['地址', 'Address'],
  education: ['学历', 'Education'],
  occupation: ['职业', 'Occupation'],
  organisation_name: ['所属机构', 'Organisation'],
  organisation_relation: ['与机构关系', 'Relation to organisation'],
  organisation_id: ['机构用户编号', 'Organisation patron id'],
  sector: ['行业', 'Sector'],
  organisation_size: ['规模', 'Size'],
  preferred_channel: ['首选渠道', 'Preferred channel'],
  preferred_language: ['首选语言', 'Preferred language'],
  preferred_contact_times: ['方便联系时间', 'Contact times'],
  economic_status: ['经济状况', 'Economic status'],
  special_needs: ['特殊服务需求', 'Special needs'],
  staff_notes: ['工作人员备注', 'Staff notes'],
  phones: ['电话', 'Phones'],
  emails: ['电子邮件', 'E-mails'],
  tags: ['标签', 'Tags'],
  interests: ['兴趣主题', 'Interests'],
  consents: ['授权同意', 'Consents'],
  unit_id: ['所属单位', 'Unit'],
  reason: ['理由', 'Reason'],
  version: ['版本', 'Version'],
  created_at: ['建档时间', 'Created'],
  updated_at: ['更新时间', 'Updated'],
  // The catalogue.
  title: ['题名', 'Title'],
  description: ['内容描述', 'Description'],
  keywords: ['主题词', 'Keywords'],
  creator: ['责任者', 'Creator'],
  year: ['年度', 'Year'],
  date_from: ['起始日期', 'Date from'],
  date_to: ['截止日期', 'Date to'],
  fonds: ['全宗', 'Fonds'],
  fonds_id: ['全宗', 'Fonds'],
  category: ['类别', 'Category'],
  category_id: ['类别', 'Category'],
  retention: ['保管期限', 'Retention'],
  retention_code: ['保管期限', 'Retention'],
  access_level: ['密级', 'Access level'],
  carrier: ['载体', 'Carrier'],
  pages: ['页数', 'Pages'],
  location_id: ['存放位置', 'Location'],
  patron_id: ['关联用户编号', 'Linked patron id'],
  reference_code: ['档号', 'Reference code'],
  important: ['重要档案', 'Important'],
  rights: ['权利', 'Rights'],
  embargo_until: ['限制利用至', 'Embargo until'],
  source_authority: ['来源权威度', 'Source authority'],
  template: ['档号模板', 'Template'],
  code: ['代码', 'Code'],
  capacity: ['容量', 'Capacity'],
  outcome: ['鉴定结论', 'Outcome'],
  new_retention_code: ['新保管期限', 'New retention'],
  new_access_level: ['新密级', 'New access level'],
  related_id: ['关联档案编号', 'Related record id'],
  years: ['年限', 'Years'],
};

export const PATRON_TYPES = { person: ['个人', 'Person'], organisation: ['机构', 'Organisation'] };
export const PATRON_STATUS = {
  active: ['正常', 'Active'],
  merged: ['已合并', 'Merged'],
  erased: ['已删除', 'Erased'],
};
export const GENDERS = {
  male: ['男', 'Male'],
  female: ['女', 'Female'],
  other: ['其他', 'Other'],
  unknown: ['未知', 'Unknown'],
};
export const ORG_SIZES = {
  micro: ['微型', 'Micro'],
  small: ['小型', 'Small'],
  medium: ['中型', 'Medium'],
  large: ['大型', 'Large'],
};
export const CHANNELS = {
  counter: ['柜台', 'Counter'],
  phone: ['电话', 'Phone'],
  email: ['电子邮件', 'E-mail'],
  web: ['网站', 'Web'],
  chat: ['在线咨询', 'Chat'],
  message_board: ['留言板', 'Message board'],
  im: ['即时通讯', 'IM'],
  letter: ['信函', 'Letter'],
  sms: ['短信', 'SMS'],
};
export const LANGUAGES = {
  'zh-Hans': ['简体中文', 'Simplified Chinese'],
  'zh-Hant': ['繁體中文', 'Traditional Chinese'],
  en: ['英文', 'English'],
};
export const ID_TYPES = {
  resident_id: ['居民身份证', 'Resident ID'],
  passport: ['护照', 'Passport'],
  hk_macau_permit: ['港澳居民来往内地通行证', 'HK/Macau permit'],
  taiwan_permit: ['台湾居民来往大陆通行证', 'Taiwan permit'],
  foreign_permanent_resident: ['外国人永久居留身份证', 'Foreign permanent resident'],
  social_credit_code: ['统一社会信用代码', 'Social credit code'],
  other: ['其他证件', 'Other'],
};
export const RELATION_KINDS = {
  household: ['家庭', 'Household'],
  research_group: ['课题组', 'Research group'],
  member_of: ['机构成员', 'Member of'],
  colleague: ['同事', 'Colleague'],
  guardian: ['监护', 'Guardian'],
  other: ['其他', 'Other'],
};
export const CONSENTS = {
  contact: ['联系', 'Contact'],
  marketing: ['推广', 'Marketing'],
  processing: ['数据处理', 'Processing'],
};
export const KEY_CHANGE_STATUS = {
  pending: ['待审批', 'Pending'],
  approved: ['已批准', 'Approved'],
  rejected: ['已驳回', 'Rejected'],
};

export const EVENT_KINDS = {
  'patron.created': ['建档', 'Registered'],
  'patron.changed': ['资料变更', 'Details changed'],
  'patron.revealed': ['查看遮蔽信息', 'Masked data revealed'],
  'patron.key_change_requested': ['申请更正关键字段', 'Key-field correction requested'],
  'patron.key_change_approved': ['关键字段更正已批准', 'Correction approved'],
  'patron.key_change_rejected': ['关键字段更正已驳回', 'Correction rejected'],
  'patron.relation_added': ['添加关系', 'Relation added'],
  'patron.relation_removed': ['移除关系', 'Relation removed'],
  'patron.contact_verified': ['联系方式已核实', 'Contact verified'],
  'patron.contact_invalidated': ['联系方式标记无效', 'Contact marked invalid'],
  'patron.merged': ['合并记录', 'Merged'],
  'patron.erased': ['删除个人信息', 'Personal data erased'],
  'patron.exported': ['导出个人信息', 'Data exported'],
  'record.created': ['建立档案', 'Record created'],
  search: ['检索档案', 'Searched the catalogue'],
  'record.closed': ['档案销户', 'Record closed'],
  'record.disposed': ['档案销毁', 'Record disposed'],
  'knowledge.started': ['定题服务开始', 'Knowledge service started'],
  'knowledge.milestone_done': ['定题服务里程碑', 'Milestone reached'],
  'knowledge.delivered': ['定题服务交付', 'Research delivered'],
  'knowledge.closed': ['定题服务结束', 'Knowledge service closed'],
  'ticket.opened': ['工单创建', 'Ticket opened'],
  'ticket.replied': ['工单答复', 'Ticket answered'],
  'ticket.patron_wrote': ['用户留言', 'Patron wrote'],
  'ticket.reopened': ['工单重开', 'Ticket reopened'],
  'ticket.escalated': ['工单升级', 'Ticket escalated'],
  'ticket.recovery_offered': ['服务补救', 'Service recovery offered'],
  'ticket.recovery_answered': ['补救答复', 'Recovery answered'],
  'ticket.mail_sent': ['邮件已发送', 'E-mail sent'],
  'ticket.cause_set': ['原因归类', 'Cause set'],
  'ticket.recording_added': ['录音', 'Recording added'],
  'visit.recorded': ['回访', 'Follow-up visit'],
  'alert.raised': ['风险预警', 'Alert raised'],
  'interaction.recorded': ['接触记录', 'Contact recorded'],
  'interaction.received': ['收到来信', 'Contact received'],
  'chat.accepted': ['在线咨询接入', 'Chat accepted'],
  'board.posted': ['留言', 'Board post'],
  'board.published': ['留言发布', 'Post published'],
  'board.rejected': ['留言未通过', 'Post rejected'],
  'board.answered': ['留言答复', 'Post answered'],
  'case.opened': ['案件', 'Case opened'],
  'loan.lent': ['借出', 'Lent'],
  'loan.renewed': ['续借', 'Renewed'],
  'loan.returned': ['归还', 'Returned'],
  'onsite.requested': ['申请上门服务', 'On-site visit requested'],
  'onsite.booked': ['上门服务预约', 'On-site visit booked'],
  'onsite.rescheduled': ['上门服务改期', 'On-site visit moved'],
  'onsite.done': ['上门服务完成', 'On-site visit done'],
  'onsite.cancelled': ['上门服务取消', 'On-site visit cancelled'],
  'onsite.no_show': ['上门未遇', 'On-site: nobody there'],
};

export const AUDIT_ACTIONS = {
  'knowledge.start': ['开始定题服务', 'Knowledge service started'],
  'knowledge.update': ['修改定题服务', 'Knowledge service changed'],
  'knowledge.read': ['查看定题服务', 'Knowledge service read'],
  'knowledge.list': ['列出定题服务', 'Knowledge services listed'],
  'knowledge.milestone_add': ['添加里程碑', 'Milestone added'],
  'knowledge.milestone_done': ['完成里程碑', 'Milestone done'],
  'knowledge.deliver': ['定题服务交付', 'Delivery recorded'],
  'knowledge.close': ['结束定题服务', 'Knowledge service closed'],
  'trace_point.update': ['修改记录点', 'Trace point changed'],
  'patron.read': ['查看用户', 'Patron read'],
  'patron.list_read': ['列表查看', 'Patron listed'],
  'patron.timeline_read': ['查看时间线', 'Timeline read'],
  'patron.create': ['新建用户', 'Patron created'],
  'patron.update': ['修改用户', 'Patron updated'],
  'patron.reveal': ['显示遮蔽信息', 'Reveal'],
  'patron.merge': ['合并', 'Merge'],
  'patron.merged_away': ['被合并', 'Merged away'],
  'patron.erase': ['删除个人信息', 'Erase'],
  'patron.export': ['导出', 'Export'],
  'patron.key_change_approved': ['批准更正', 'Correction approved'],
  'patron.key_change_rejected': ['驳回更正', 'Correction rejected'],
  'patron.contact_verified': ['核实联系方式', 'Contact verified'],
  'patron.contact_invalidated': ['联系方式无效', 'Contact invalidated'],
  'patron.relation_added': ['添加关系', 'Relation added'],
  'patron.relation_removed': ['移除关系', 'Relation removed'],
  'user.create': ['新建账号', 'User created'],
  'user.disable': ['停用账号', 'User disabled'],
  'user.enable': ['启用账号', 'User enabled'],
  'user.login': ['登录', 'Log-in'],
  'user.logout': ['退出', 'Log-out'],
  'user.login_failed': ['登录失败', 'Log-in failed'],
  'user.password_changed': ['修改密码', 'Password changed'],
  'user.locked': ['账号锁定', 'Account locked'],
  'unit.create': ['新建单位', 'Unit created'],
  'record.create': ['新建档案', 'Record created'],
  'record.read': ['查看客户档案', 'Customer file read'],
  'record.update': ['修改档案', 'Record updated'],
  'record.close': ['档案销户', 'Record closed'],
  'record.move': ['移动档案', 'Record moved'],
  'record.relate': ['添加档案关联', 'Relation added'],
  'record.unrelate': ['移除档案关联', 'Relation removed'],
  'record.legal_hold': ['法律保全', 'Legal hold'],
  'record.legal_hold_release': ['解除法律保全', 'Legal hold released'],
  'attachment.signature_record': ['登记签名', 'Signature recorded'],
  'attachment.signature_withdraw': ['撤销签名登记', 'Signature withdrawn'],
  'record.export': ['导出档案', 'Records exported'],
  'record.export_request': ['申请导出', 'Export requested'],
  'record.export_approve': ['批准导出', 'Export approved'],
  'record.export_reject': ['驳回导出', 'Export rejected'],
  'record.export_download': ['下载导出文件', 'Export downloaded'],
  'appraisal.propose': ['提交鉴定', 'Appraisal proposed'],
  'appraisal.approve': ['批准鉴定', 'Appraisal approved'],
  'appraisal.reject': ['驳回鉴定', 'Appraisal rejected'],
  'fonds.create': ['新建全宗', 'Fonds created'],
  'fonds.update': ['修改全宗', 'Fonds updated'],
  'category.create': ['新建类别', 'Category created'],
  'category.update': ['修改类别', 'Category updated'],
  'retention_period.put': ['设置保管期限', 'Retention period set'],
  'scheme.create': ['新建档号方案', 'Scheme created'],
  'scheme.update': ['修改档号方案', 'Scheme updated'],
  'location.create': ['新建存放位置', 'Location created'],
  'onsite.book': ['预约上门服务', 'On-site visit booked'],
  'onsite.request': ['申请上门服务', 'On-site visit requested'],
  'onsite.update': ['修改上门服务', 'On-site visit changed'],
  'onsite.done': ['上门服务完成', 'On-site visit done'],
  'onsite.cancel': ['取消上门服务', 'On-site visit cancelled'],
  'onsite.no_show': ['上门未遇', 'On-site: nobody there'],
  'onsite.read': ['查看上门服务', 'On-site visit read'],
  'onsite.list_read': ['列表查看上门服务', 'On-site visits listed'],
};

// ---------------------------------------------------------------- the catalogue

export const ACCESS_LEVELS = {
  open: ['开放', 'Open'],
  controlled: ['控制', 'Controlled'],
  secret: ['涉密', 'Secret'],
};
export const CARRIERS = {
  paper: ['纸质', 'Paper'],
  electronic: ['电子', 'Electronic'],
  photo: ['照片', 'Photo'],
  audio: ['录音', 'Audio'],
  video: ['录像', 'Video'],
  other: ['其他', 'Other'],
};
export const RECORD_STATUS = {
  active: ['在库', 'Active'],
  closed: ['已销户', 'Closed'],
  disposed: ['已销毁', 'Disposed'],
};
export const RECORD_RELATION_KINDS = {
  cites: ['引用', 'Cites'],
  refers_to: ['参见', 'Refers to'],
  part_of: ['组成部分', 'Part of'],
};
export const APPRAISAL_OUTCOMES = {
  keep: ['继续保存', 'Keep'],
  extend: ['延长保管期限', 'Extend retention'],
  change_access: ['调整密级', 'Change access'],
  dispose: ['销毁', 'Dispose'],
};
export const APPRAISAL_OPINIONS = {
  agree: ['同意', 'Agree'],
  disagree: ['不同意', 'Disagree'],
};
export const APPRAISAL_STATUS = {
  proposed: ['待审批', 'Proposed'],
  approved: ['已批准', 'Approved'],
  rejected: ['已驳回', 'Rejected'],
};
export const LOCATION_KINDS = {
  building: ['楼', 'Building'],
  room: ['库房', 'Room'],
  cabinet: ['柜', 'Cabinet'],
  shelf: ['架', 'Shelf'],
  box: ['盒', 'Box'],
};
// Electronic signatures of attachments (D41).
export const SIGNATURE_INTEGRITY = {
  intact: ['完整', 'Intact'],
  not_intact: ['签名后被改动', 'Not intact'],
  unknown: ['无法核验', 'Cannot check'],
};
export const SIGNATURE_METHODS = {
  detached: ['分离式电子签名', 'Detached signature'],
  paper: ['纸质签字', 'Paper sign-off'],
  seal: ['印章', 'Seal'],
  other: ['其他', 'Other'],
};
// Bulk export requests (D42).
export const EXPORT_STATUS = {
  pending: ['待审批', 'Pending'],
  approved: ['已批准', 'Approved'],
  running: ['导出中', 'Running'],
  ready: ['可下载', 'Ready'],
  failed: ['失败', 'Failed'],
  rejected: ['已驳回', 'Rejected'],
  expired: ['已过期', 'Expired'],
};
export const EXPORT_FORMATS = {
  csv: ['逗号分隔', 'CSV'],
  xlsx: ['电子表格', 'XLSX'],
  json: ['JSON（含附件与签名）', 'JSON'],
  ndjson: ['逐行 JSON', 'NDJSON'],
  dc: ['都柏林核心', 'Dublin Core XML'],
};

// Which kind may sit inside which (building > room > cabinet > shelf > box).
export const LOCATION_ORDER = ['building', 'room', 'cabinet', 'shelf', 'box'];

// "中文 English" for `value` in `table`, or the value itself when unknown.
export function label(table, value) {
  const e = table[value];
  return e ? `${e[0]} ${e[1]}` : value ?? '';
}
export function zh(table, value) {
  const e = table[value];
  return e ? e[0] : value ?? '';
}
export function fieldLabel(name) {
  const base = name.replace(/\[\d+\]$/, '');
  return label(FIELDS, FIELDS[base] ? base : base.split('.')[0]);
}
