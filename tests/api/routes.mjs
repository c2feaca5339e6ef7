// routes.mjs — every route the server answers under /api/ (plus /healthz, /readyz) and
// who may call it. Written out by hand from allowed() in src/auth/auth.cpp and the rules
// of the modules (portal accounts: only their own record, through the routes marked
// `patron`). health.test.mjs checks the OpenAPI document against this list;
// permissions.test.mjs checks the server against the table.
const READ = ['administrator', 'archivist', 'agent', 'manager', 'analyst']; // patron_read
const WRITE = ['archivist', 'agent', 'manager']; // patron_write
const REVEAL = ['archivist', 'agent', 'manager'];
const MERGE = ['archivist', 'manager'];
const DECIDE = ['archivist', 'manager']; // key_change_decide
const ADMIN = ['administrator']; // user_admin, unit_admin
const SIGNED_IN = ['administrator', 'archivist', 'agent', 'manager', 'analyst', 'auditor', 'patron'];
const STAFF = ['administrator', 'archivist', 'agent', 'manager', 'analyst', 'auditor'];
// The catalogue (src/auth/auth.cpp: record_read, catalogue_config, record_write, …).
const RECORD_READ = ['administrator', 'archivist', 'agent', 'manager', 'analyst'];
const CATALOGUE_READ = [...RECORD_READ, 'patron']; // portal patrons browse the catalogue
const CONFIG = ['administrator', 'archivist'];
const RECORD_WRITE = ['archivist'];
const TRANSFER = ['archivist', 'manager']; // record_transfer
const IMPORT = ['archivist']; // record_transfer and record_write (imports create records)
const EXPORT_READ = ['archivist', 'manager', 'auditor']; // record_transfer, export_approve, audit_read
const EXPORT_APPROVE = ['manager']; // export_approve
// Search: staff with record_read and portal patrons; the report: search_demand.
const SEARCHERS = [...RECORD_READ, 'patron'];
const SEARCH_DEMAND = ['archivist', 'manager', 'analyst'];
// The service desk: ticket_read/ticket_write, service_config, ticket_escalation; portal
// patrons open, read and answer their own tickets.
const TICKETS = ['archivist', 'agent', 'manager'];
const SERVICE_CONFIG = ['administrator', 'manager'];
// The message board and FAQ: board_moderate (agent, manager), faq_approve (manager);
// published posts and FAQ entries are public.
const MODERATE = ['agent', 'manager'];
const PUBLIC = { allow: SIGNED_IN, anonymous: true };
// The loans desk: loan_read/loan_write; portal patrons see their own loans.
const LOANS = ['archivist', 'agent', 'manager'];
// Service quality (D13, D14, D32): problem_manage and quality_review are managers';
// service_report (trends, scores, touchpoints) managers' and analysts'.
const MANAGER = ['manager'];
const SERVICE_REPORT = ['manager', 'analyst'];
// The staff directory for pickers: staff but auditor (the roles of patron_read).
const STAFF_DIRECTORY = ['administrator', 'archivist', 'agent', 'manager', 'analyst'];
// Trace points (D33): the report for trace_report (manager, analyst) and service_config.
const TRACE_REPORT = ['administrator', 'manager', 'analyst'];

// allow: roles that may call the route; anonymous: open to callers without a session.
export const ROUTES = [
  { method: 'GET', path: '/healthz', allow: SIGNED_IN, anonymous: true },
  { method: 'GET', path: '/readyz', allow: SIGNED_IN, anonymous: true },
  { method: 'GET', path: '/api/v1/openapi.json', allow: SIGNED_IN, anonymous: true },
  { method: 'POST', path: '/api/v1/auth/login', allow: SIGNED_IN, anonymous: true },
  { method: 'POST', path: '/api/v1/auth/logout', allow: SIGNED_IN },
  { method: 'POST', path: '/api/v1/auth/password', allow: SIGNED_IN },
  { method: 'GET', path: '/api/v1/me', allow: SIGNED_IN },
  { method: 'GET', path: '/api/v1/users', allow: ADMIN },
  { method: 'POST', path: '/api/v1/users', allow: ADMIN },
  { method: 'POST', path: '/api/v1/users/{id}/disable', allow: ADMIN },
  { method: 'POST', path: '/api/v1/users/{id}/enable', allow: ADMIN },
  { method: 'GET', path: '/api/v1/units', allow: STAFF },
  { method: 'POST', path: '/api/v1/units', allow: ADMIN },
  { method: 'GET', path: '/api/v1/audit', allow: ['auditor'] },
  { method: 'GET', path: '/api/v1/patrons', allow: READ },
  { method: 'POST', path: '/api/v1/patrons', allow: WRITE },
  { method: 'GET', path: '/api/v1/patrons/duplicates', allow: WRITE },
  { method: 'GET', path: '/api/v1/patrons/{id}', allow: [...READ, 'patron'] },
  { method: 'PATCH', path: '/api/v1/patrons/{id}', allow: [...WRITE, 'patron'] },
  { method: 'GET', path: '/api/v1/patrons/{id}/timeline', allow: [...READ, 'patron'] },
  { method: 'POST', path: '/api/v1/patrons/{id}/reveal', allow: REVEAL },
  { method: 'POST', path: '/api/v1/patrons/{id}/merge', allow: MERGE },
  { method: 'POST', path: '/api/v1/patrons/{id}/erase', allow: ['manager'] },
  { method: 'GET', path: '/api/v1/patrons/{id}/export', allow: ['manager', 'patron'] },
  { method: 'GET', path: '/api/v1/patrons/{id}/relations', allow: [...READ, 'patron'] },
  { method: 'POST', path: '/api/v1/patrons/{id}/relations', allow: WRITE },
  { method: 'DELETE', path: '/api/v1/patrons/{id}/relations/{relation_id}', allow: WRITE },
  { method: 'POST', path: '/api/v1/patrons/{id}/contacts/{contact_id}/verify', allow: [...WRITE, 'patron'] },
  { method: 'POST', path: '/api/v1/patrons/{id}/contacts/{contact_id}/invalidate', allow: [...WRITE, 'patron'] },
  { method: 'GET', path: '/api/v1/key-changes', allow: WRITE },
  { method: 'POST', path: '/api/v1/key-changes/{id}/approve', allow: DECIDE },
  { method: 'POST', path: '/api/v1/key-changes/{id}/reject', allow: DECIDE },
  { method: 'GET', path: '/api/v1/reports/data-quality', allow: READ },
  { method: 'GET', path: '/api/v1/contacts/due-for-verification', allow: WRITE },
  { method: 'GET', path: '/api/v1/fonds', allow: CATALOGUE_READ },
  { method: 'POST', path: '/api/v1/fonds', allow: CONFIG },
  { method: 'PATCH', path: '/api/v1/fonds/{id}', allow: CONFIG },
  { method: 'GET', path: '/api/v1/categories', allow: CATALOGUE_READ },
  { method: 'POST', path: '/api/v1/categories', allow: CONFIG },
  { method: 'PATCH', path: '/api/v1/categories/{id}', allow: CONFIG },
  { method: 'GET', path: '/api/v1/retention-periods', allow: CATALOGUE_READ },
  { method: 'PUT', path: '/api/v1/retention-periods/{code}', allow: CONFIG },
  { method: 'GET', path: '/api/v1/reference-schemes', allow: RECORD_READ },
  { method: 'POST', path: '/api/v1/reference-schemes', allow: CONFIG },
  { method: 'POST', path: '/api/v1/reference-schemes/preview', allow: RECORD_WRITE },
  { method: 'PATCH', path: '/api/v1/reference-schemes/{id}', allow: CONFIG },
  { method: 'GET', path: '/api/v1/records', allow: CATALOGUE_READ },
  { method: 'POST', path: '/api/v1/records', allow: RECORD_WRITE },
  { method: 'GET', path: '/api/v1/records/by-code/{code}', allow: CATALOGUE_READ },
  { method: 'GET', path: '/api/v1/records/{id}', allow: CATALOGUE_READ },
  { method: 'PATCH', path: '/api/v1/records/{id}', allow: RECORD_WRITE },
  { method: 'POST', path: '/api/v1/records/{id}/close', allow: RECORD_WRITE },
  { method: 'POST', path: '/api/v1/records/{id}/legal-hold', allow: ['manager'] },
  { method: 'POST', path: '/api/v1/records/{id}/relations', allow: RECORD_WRITE },
  { method: 'DELETE', path: '/api/v1/records/{id}/relations/{relation_id}', allow: RECORD_WRITE },
  { method: 'POST', path: '/api/v1/records/{id}/move', allow: RECORD_WRITE },
  { method: 'GET', path: '/api/v1/records/{id}/moves', allow: RECORD_READ },
  { method: 'GET', path: '/api/v1/locations', allow: RECORD_READ },
  { method: 'POST', path: '/api/v1/locations', allow: CONFIG },
  { method: 'GET', path: '/api/v1/locations/vacant', allow: RECORD_READ },
  { method: 'GET', path: '/api/v1/appraisal/due', allow: ['archivist'] },
  { method: 'GET', path: '/api/v1/appraisals', allow: ['archivist', 'manager'] },
  { method: 'POST', path: '/api/v1/records/{id}/appraisals', allow: ['archivist'] },
  { method: 'POST', path: '/api/v1/appraisals/{id}/decision', allow: ['manager'] },
  { method: 'POST', path: '/api/v1/appraisals/{id}/opinions', allow: ['archivist', 'manager'] },
  { method: 'GET', path: '/api/v1/disposal-register', allow: ['archivist', 'manager', 'auditor'] },
  { method: 'GET', path: '/api/v1/disposal-register/{id}/evidence', allow: ['manager', 'auditor'] },
  { method: 'GET', path: '/api/v1/donors', allow: RECORD_READ },
  { method: 'POST', path: '/api/v1/donors', allow: RECORD_WRITE },
  { method: 'GET', path: '/api/v1/agreements', allow: RECORD_READ },
  { method: 'POST', path: '/api/v1/agreements', allow: RECORD_WRITE },
  { method: 'GET', path: '/api/v1/acquisition-plans', allow: RECORD_READ },
  { method: 'POST', path: '/api/v1/acquisition-plans', allow: RECORD_WRITE },
  { method: 'GET', path: '/api/v1/accessions', allow: RECORD_READ },
  { method: 'POST', path: '/api/v1/accessions', allow: RECORD_WRITE },
  { method: 'GET', path: '/api/v1/accessions/{id}', allow: RECORD_READ },
  { method: 'POST', path: '/api/v1/accessions/{id}/records', allow: RECORD_WRITE },
  { method: 'GET', path: '/api/v1/locations/{id}/equipment', allow: RECORD_READ },
  { method: 'POST', path: '/api/v1/locations/{id}/equipment', allow: RECORD_WRITE },
  { method: 'PUT', path: '/api/v1/locations/{id}/environment-thresholds', allow: CONFIG },
  { method: 'GET', path: '/api/v1/locations/{id}/readings', allow: RECORD_READ },
  { method: 'POST', path: '/api/v1/locations/{id}/readings', allow: RECORD_WRITE },
  { method: 'GET', path: '/api/v1/environment-alerts', allow: RECORD_READ },
  { method: 'POST', path: '/api/v1/environment-alerts/{id}/acknowledge', allow: ['archivist', 'manager'] },
  { method: 'POST', path: '/api/v1/environment-alerts/{id}/resolve', allow: ['archivist', 'manager'] },
  { method: 'GET', path: '/api/v1/locations/{id}/inspections', allow: RECORD_READ },
  { method: 'POST', path: '/api/v1/locations/{id}/inspections', allow: RECORD_WRITE },
  { method: 'GET', path: '/api/v1/records/{id}/label', allow: RECORD_READ },
  { method: 'GET', path: '/api/v1/locations/{id}/label', allow: RECORD_READ },
  { method: 'POST', path: '/api/v1/records/imports', allow: IMPORT },
  { method: 'GET', path: '/api/v1/records/imports', allow: TRANSFER },
  { method: 'GET', path: '/api/v1/records/imports/{id}', allow: TRANSFER },
  { method: 'GET', path: '/api/v1/records/export', allow: TRANSFER },
  // Export requests (D42): requesters see their own, managers (export_approve) and
  // auditors all; only managers decide; only the requester downloads.
  { method: 'POST', path: '/api/v1/records/exports', allow: TRANSFER },
  { method: 'GET', path: '/api/v1/records/exports', allow: EXPORT_READ },
  { method: 'GET', path: '/api/v1/records/exports/{id}', allow: EXPORT_READ },
  { method: 'POST', path: '/api/v1/records/exports/{id}/approve', allow: EXPORT_APPROVE },
  { method: 'POST', path: '/api/v1/records/exports/{id}/reject', allow: EXPORT_APPROVE },
  { method: 'GET', path: '/api/v1/records/exports/{id}/file', allow: TRANSFER },
  { method: 'GET', path: '/api/v1/search', allow: SEARCHERS },
  { method: 'POST', path: '/api/v1/search/{id}/opened', allow: SEARCHERS },
  { method: 'GET', path: '/api/v1/search/unmet-demand', allow: SEARCH_DEMAND },
  // Attachments: portal patrons read those of open records; the fixity report names
  // records of every level (record_secret).
  { method: 'POST', path: '/api/v1/records/{id}/attachments', allow: RECORD_WRITE },
  { method: 'GET', path: '/api/v1/records/{id}/attachments', allow: CATALOGUE_READ },
  { method: 'GET', path: '/api/v1/attachments/fixity', allow: ['archivist', 'manager'] },
  { method: 'GET', path: '/api/v1/attachments/{id}', allow: CATALOGUE_READ },
  { method: 'GET', path: '/api/v1/attachments/{id}/content', allow: CATALOGUE_READ },
  { method: 'DELETE', path: '/api/v1/attachments/{id}', allow: RECORD_WRITE },
  { method: 'GET', path: '/api/v1/attachments/{id}/signatures', allow: CATALOGUE_READ },
  { method: 'POST', path: '/api/v1/attachments/{id}/signatures', allow: RECORD_WRITE },
  { method: 'DELETE', path: '/api/v1/attachments/{id}/signatures/{signature_id}', allow: RECORD_WRITE },
  { method: 'GET', path: '/api/v1/tickets', allow: [...TICKETS, 'patron'] },
  { method: 'POST', path: '/api/v1/tickets', allow: [...TICKETS, 'patron'] },
  { method: 'GET', path: '/api/v1/tickets/{id}', allow: [...TICKETS, 'patron'] },
  { method: 'PATCH', path: '/api/v1/tickets/{id}', allow: TICKETS },
  { method: 'POST', path: '/api/v1/tickets/{id}/messages', allow: [...TICKETS, 'patron'] },
  { method: 'POST', path: '/api/v1/tickets/{id}/wait', allow: TICKETS },
  { method: 'POST', path: '/api/v1/tickets/{id}/resume', allow: TICKETS },
  { method: 'POST', path: '/api/v1/tickets/{id}/resolve', allow: TICKETS },
  { method: 'POST', path: '/api/v1/tickets/{id}/close', allow: TICKETS },
  { method: 'POST', path: '/api/v1/tickets/{id}/reopen', allow: TICKETS },
  { method: 'GET', path: '/api/v1/tickets/{id}/answers/{answer_id}', allow: TICKETS },
  { method: 'PUT', path: '/api/v1/tickets/{id}/recovery', allow: TICKETS },
  { method: 'POST', path: '/api/v1/tickets/{id}/recovery/answer', allow: [...TICKETS, 'patron'] },
  { method: 'GET', path: '/api/v1/follow-up-visits', allow: TICKETS },
  { method: 'POST', path: '/api/v1/follow-up-visits', allow: TICKETS },
  { method: 'POST', path: '/api/v1/follow-up-visits/{id}/record', allow: TICKETS },
  { method: 'PUT', path: '/api/v1/service/visits', allow: SERVICE_CONFIG },
  // Contacts on every channel, prospects, e-mail, files on tickets (docs/service.md).
  { method: 'GET', path: '/api/v1/interactions', allow: TICKETS },
  { method: 'POST', path: '/api/v1/interactions', allow: TICKETS },
  { method: 'GET', path: '/api/v1/interactions/{id}', allow: TICKETS },
  { method: 'POST', path: '/api/v1/interactions/{id}/ticket', allow: TICKETS },
  { method: 'GET', path: '/api/v1/prospects', allow: TICKETS },
  { method: 'GET', path: '/api/v1/prospects/{id}', allow: TICKETS },
  { method: 'POST', path: '/api/v1/prospects/{id}/merge', allow: ['archivist', 'agent', 'manager'] }, // patron_write and ticket_write
  { method: 'GET', path: '/api/v1/tickets/{id}/mail', allow: TICKETS },
  { method: 'GET', path: '/api/v1/mail/outbox', allow: TICKETS },
  { method: 'POST', path: '/api/v1/mail/outbox/{id}/retry', allow: TICKETS },
  { method: 'POST', path: '/api/v1/mail/sweep', allow: SERVICE_CONFIG },
  { method: 'GET', path: '/api/v1/tickets/{id}/attachments', allow: [...TICKETS, 'patron'] },
  { method: 'POST', path: '/api/v1/tickets/{id}/attachments', allow: [...TICKETS, 'patron'] },
  { method: 'GET', path: '/api/v1/ticket-attachments/{id}/content', allow: [...TICKETS, 'patron'] },
  // The SMS/social gateway: no session, an HMAC signature of the body instead (D31).
  { method: 'POST', path: '/api/v1/channels/{channel}/inbound', allow: SIGNED_IN, anonymous: true },
  { method: 'GET', path: '/api/v1/staff', allow: STAFF_DIRECTORY },
  { method: 'GET', path: '/api/v1/loans', allow: [...LOANS, 'patron'] },
  { method: 'POST', path: '/api/v1/loans', allow: LOANS },
  { method: 'GET', path: '/api/v1/loans/{id}', allow: [...LOANS, 'patron'] },
  { method: 'POST', path: '/api/v1/loans/{id}/renew', allow: LOANS },
  { method: 'POST', path: '/api/v1/loans/{id}/return', allow: LOANS },
  // On-site visits (上门服务): ticket_read/ticket_write; portal patrons request (when their
  // tier allows), see and cancel their own.
  { method: 'GET', path: '/api/v1/onsite-visits', allow: [...TICKETS, 'patron'] },
  { method: 'POST', path: '/api/v1/onsite-visits', allow: [...TICKETS, 'patron'] },
  { method: 'GET', path: '/api/v1/onsite-visits/{id}', allow: [...TICKETS, 'patron'] },
  { method: 'PATCH', path: '/api/v1/onsite-visits/{id}', allow: TICKETS },
  { method: 'POST', path: '/api/v1/onsite-visits/{id}/done', allow: TICKETS },
  { method: 'POST', path: '/api/v1/onsite-visits/{id}/cancel', allow: [...TICKETS, 'patron'] },
  { method: 'GET', path: '/api/v1/alerts', allow: TICKETS },
  { method: 'POST', path: '/api/v1/alerts/{id}/assign', allow: TICKETS },
  { method: 'POST', path: '/api/v1/alerts/{id}/acknowledge', allow: TICKETS },
  { method: 'POST', path: '/api/v1/alerts/{id}/resolve', allow: TICKETS },
  { method: 'GET', path: '/api/v1/alert-rules', allow: TICKETS },
  { method: 'PUT', path: '/api/v1/alert-rules/{kind}', allow: SERVICE_CONFIG },
  { method: 'GET', path: '/api/v1/patrons/{id}/service-summary', allow: TICKETS },
  { method: 'POST', path: '/api/v1/escalations/{id}/acknowledge', allow: ['manager'] },
  { method: 'GET', path: '/api/v1/service/settings', allow: [...TICKETS, 'administrator'] },
  { method: 'PUT', path: '/api/v1/service/hours', allow: SERVICE_CONFIG },
  { method: 'PUT', path: '/api/v1/service/calendar/{date}', allow: SERVICE_CONFIG },
  { method: 'DELETE', path: '/api/v1/service/calendar/{date}', allow: SERVICE_CONFIG },
  { method: 'PUT', path: '/api/v1/service/policies/{kind}/{priority}', allow: SERVICE_CONFIG },
  { method: 'GET', path: '/api/v1/teams', allow: [...TICKETS, 'administrator'] },
  { method: 'POST', path: '/api/v1/teams', allow: SERVICE_CONFIG },
  { method: 'PATCH', path: '/api/v1/teams/{id}', allow: SERVICE_CONFIG },
  { method: 'GET', path: '/api/v1/standard-answers', allow: [...TICKETS, 'administrator'] },
  { method: 'POST', path: '/api/v1/standard-answers', allow: SERVICE_CONFIG },
  { method: 'PATCH', path: '/api/v1/standard-answers/{id}', allow: SERVICE_CONFIG },
  { method: 'DELETE', path: '/api/v1/standard-answers/{id}', allow: SERVICE_CONFIG },
  { method: 'GET', path: '/api/v1/board/posts', ...PUBLIC },
  { method: 'GET', path: '/api/v1/board/posts/{id}', ...PUBLIC },
  { method: 'POST', path: '/api/v1/board/posts', allow: ['patron'] },
  { method: 'GET', path: '/api/v1/board/my-posts', allow: ['patron'] },
  { method: 'GET', path: '/api/v1/board/moderation', allow: TICKETS },
  { method: 'GET', path: '/api/v1/board/moderation/{id}', allow: TICKETS },
  { method: 'POST', path: '/api/v1/board/posts/{id}/publish', allow: MODERATE },
  { method: 'POST', path: '/api/v1/board/posts/{id}/reject', allow: MODERATE },
  { method: 'PUT', path: '/api/v1/board/posts/{id}/answer', allow: MODERATE },
  { method: 'POST', path: '/api/v1/board/posts/{id}/ticket', allow: TICKETS },
  { method: 'GET', path: '/api/v1/faq', ...PUBLIC },
  { method: 'GET', path: '/api/v1/faq/{id}', ...PUBLIC },
  { method: 'POST', path: '/api/v1/faq/feedback', allow: [...TICKETS, 'patron'] },
  { method: 'GET', path: '/api/v1/faq-entries', allow: TICKETS },
  { method: 'POST', path: '/api/v1/faq-entries', allow: TICKETS },
  { method: 'GET', path: '/api/v1/faq-entries/draft', allow: TICKETS },
  { method: 'GET', path: '/api/v1/faq-entries/{id}', allow: TICKETS },
  { method: 'PATCH', path: '/api/v1/faq-entries/{id}', allow: TICKETS },
  { method: 'POST', path: '/api/v1/faq-entries/{id}/approve', allow: ['manager'] },
  { method: 'POST', path: '/api/v1/faq-entries/{id}/reject', allow: ['manager'] },
  { method: 'POST', path: '/api/v1/faq-entries/{id}/retire', allow: ['manager'] },
  // Live chat: a patron starts one; staff with ticket_read see the queue, ticket_write
  // accept and answer; the event stream follows a ticket's thread for whoever may see it.
  { method: 'POST', path: '/api/v1/chats', allow: ['patron'] },
  { method: 'GET', path: '/api/v1/chats', allow: TICKETS },
  { method: 'POST', path: '/api/v1/chats/{id}/accept', allow: TICKETS },
  { method: 'POST', path: '/api/v1/chats/{id}/messages', allow: [...TICKETS, 'patron'] },
  { method: 'GET', path: '/api/v1/tickets/{id}/events', allow: [...TICKETS, 'patron'] },
  { method: 'GET', path: '/api/v1/agents/availability', allow: TICKETS },
  { method: 'PUT', path: '/api/v1/agents/me/availability', allow: TICKETS },
  // Routing (D28) and service tiers (D29); notices are the portal's.
  { method: 'GET', path: '/api/v1/routing-rules', allow: [...TICKETS, 'administrator'] },
  { method: 'POST', path: '/api/v1/routing-rules', allow: SERVICE_CONFIG },
  { method: 'PATCH', path: '/api/v1/routing-rules/{id}', allow: SERVICE_CONFIG },
  { method: 'DELETE', path: '/api/v1/routing-rules/{id}', allow: SERVICE_CONFIG },
  { method: 'GET', path: '/api/v1/service-tiers', allow: [...TICKETS, 'administrator'] },
  { method: 'PUT', path: '/api/v1/service-tiers/{code}', allow: SERVICE_CONFIG },
  { method: 'GET', path: '/api/v1/patrons/{id}/service-tier', allow: TICKETS },
  { method: 'PUT', path: '/api/v1/patrons/{id}/service-tier', allow: TICKETS },
  { method: 'GET', path: '/api/v1/notices', allow: ['patron'] },
  { method: 'POST', path: '/api/v1/notices/read', allow: ['patron'] },
  // Problem management (D13). An action's owner may also report its progress.
  { method: 'GET', path: '/api/v1/cause-codes', allow: TICKETS },
  { method: 'POST', path: '/api/v1/cause-codes', allow: SERVICE_CONFIG },
  { method: 'PATCH', path: '/api/v1/cause-codes/{id}', allow: SERVICE_CONFIG },
  { method: 'GET', path: '/api/v1/cause-codes/{id}/tickets', allow: TICKETS },
  { method: 'GET', path: '/api/v1/tickets/{id}/cause', allow: TICKETS },
  { method: 'PUT', path: '/api/v1/tickets/{id}/cause', allow: TICKETS },
  { method: 'GET', path: '/api/v1/problems', allow: TICKETS },
  { method: 'POST', path: '/api/v1/problems', allow: MANAGER },
  { method: 'GET', path: '/api/v1/problems/{id}', allow: TICKETS },
  { method: 'PATCH', path: '/api/v1/problems/{id}', allow: MANAGER },
  { method: 'POST', path: '/api/v1/problems/{id}/tickets', allow: MANAGER },
  { method: 'DELETE', path: '/api/v1/problems/{id}/tickets/{ticket_id}', allow: MANAGER },
  { method: 'POST', path: '/api/v1/problems/{id}/actions', allow: MANAGER },
  { method: 'GET', path: '/api/v1/improvement-actions', allow: TICKETS },
  { method: 'PATCH', path: '/api/v1/improvement-actions/{id}', allow: MANAGER },
  { method: 'GET', path: '/api/v1/reports/cause-trends', allow: SERVICE_REPORT },
  // Quality inspection (D14): agents see their own scored reviews, scores, coaching and
  // training; only the coached agent acknowledges a note (the fixture's is the agent's).
  { method: 'POST', path: '/api/v1/tickets/{id}/recordings', allow: TICKETS },
  { method: 'GET', path: '/api/v1/tickets/{id}/recordings', allow: TICKETS },
  { method: 'GET', path: '/api/v1/recordings/{id}/content', allow: TICKETS },
  { method: 'PUT', path: '/api/v1/recordings/{id}/transcript', allow: TICKETS },
  { method: 'GET', path: '/api/v1/qa/criteria', allow: [...TICKETS, 'administrator'] },
  { method: 'POST', path: '/api/v1/qa/criteria', allow: SERVICE_CONFIG },
  { method: 'PATCH', path: '/api/v1/qa/criteria/{id}', allow: SERVICE_CONFIG },
  { method: 'PUT', path: '/api/v1/qa/settings', allow: SERVICE_CONFIG },
  { method: 'GET', path: '/api/v1/qa/reviews', allow: TICKETS },
  { method: 'POST', path: '/api/v1/qa/reviews', allow: MANAGER },
  { method: 'GET', path: '/api/v1/qa/reviews/{id}', allow: MANAGER },
  { method: 'POST', path: '/api/v1/qa/reviews/{id}/score', allow: MANAGER },
  { method: 'GET', path: '/api/v1/reports/agent-scores', allow: [...TICKETS, 'analyst'] },
  { method: 'GET', path: '/api/v1/coaching-notes', allow: TICKETS },
  { method: 'POST', path: '/api/v1/coaching-notes', allow: MANAGER },
  { method: 'POST', path: '/api/v1/coaching-notes/{id}/acknowledge', allow: ['agent'] },
  { method: 'GET', path: '/api/v1/training-records', allow: STAFF },
  { method: 'POST', path: '/api/v1/training-records', allow: MANAGER },
  // Cases across channels (D32).
  { method: 'GET', path: '/api/v1/cases', allow: TICKETS },
  { method: 'POST', path: '/api/v1/cases', allow: TICKETS },
  { method: 'GET', path: '/api/v1/cases/{id}', allow: TICKETS },
  { method: 'PATCH', path: '/api/v1/cases/{id}', allow: TICKETS },
  { method: 'POST', path: '/api/v1/cases/{id}/links', allow: TICKETS },
  { method: 'DELETE', path: '/api/v1/cases/{id}/links/{kind}/{item_id}', allow: TICKETS },
  { method: 'POST', path: '/api/v1/cases/{id}/steps', allow: TICKETS },
  { method: 'GET', path: '/api/v1/cases/{id}/replay', allow: TICKETS },
  { method: 'GET', path: '/api/v1/reports/touchpoints', allow: SERVICE_REPORT },
  // Knowledge services (定题服务, D27): staff who work tickets; a patron reads their own.
  { method: 'GET', path: '/api/v1/knowledge-services', allow: [...TICKETS, 'patron'] },
  { method: 'POST', path: '/api/v1/knowledge-services', allow: TICKETS },
  { method: 'GET', path: '/api/v1/knowledge-services/{id}', allow: [...TICKETS, 'patron'] },
  { method: 'PATCH', path: '/api/v1/knowledge-services/{id}', allow: TICKETS },
  { method: 'POST', path: '/api/v1/knowledge-services/{id}/milestones', allow: TICKETS },
  { method: 'POST', path: '/api/v1/knowledge-services/{id}/milestones/{milestone_id}/done', allow: TICKETS },
  { method: 'POST', path: '/api/v1/knowledge-services/{id}/deliveries', allow: TICKETS },
  { method: 'POST', path: '/api/v1/knowledge-services/{id}/close', allow: TICKETS },
  // Trace points (D33): portal pages from patrons, IVR key paths from the call system.
  { method: 'POST', path: '/api/v1/traces/page', allow: ['patron'] },
  { method: 'POST', path: '/api/v1/traces/ivr', allow: TICKETS },
  { method: 'GET', path: '/api/v1/trace-points', allow: TRACE_REPORT },
  { method: 'PUT', path: '/api/v1/trace-points/{kind}', allow: SERVICE_CONFIG },
  { method: 'GET', path: '/api/v1/reports/feature-use', allow: TRACE_REPORT },
];

export const routeKey = (method, path) => `${method.toUpperCase()} ${path}`;
