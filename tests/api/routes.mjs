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
];

export const routeKey = (method, path) => `${method.toUpperCase()} ${path}`;
