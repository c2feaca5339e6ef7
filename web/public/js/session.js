// session.js — who is signed in and what their role may do (from GET /api/v1/me).
// The server decides every permission again; this only hides what would be refused.

import { csrf, get, post } from './api.js';

export const session = { user: null, permissions: new Set() };

export const can = (permission) => session.permissions.has(permission);
export const role = () => session.user?.role;
export const isPortal = () => session.user?.role === 'patron';

// Loads the user behind the session cookie; null when there is none. Without a CSRF
// token (a new tab) the session cannot change anything, so it counts as none.
export async function loadMe() {
  if (!csrf.get()) return null;
  try {
    const me = await get('/api/v1/me');
    session.user = me;
    session.permissions = new Set(me.permissions || []);
    return me;
  } catch {
    forget();
    return null;
  }
}

export async function login(username, password) {
  const out = await post('/api/v1/auth/login', { username, password, cookie: true });
  csrf.set(out.csrf_token);
  session.user = out.user;
  return loadMe();
}

export async function logout() {
  try {
    await post('/api/v1/auth/logout', {});
  } finally {
    forget();
  }
}

export function forget() {
  csrf.clear();
  session.user = null;
  session.permissions = new Set();
}

// Where a role starts.
export function homePath() {
  if (!session.user) return '/login';
  if (isPortal()) return '/portal';
  if (can('patron_read')) return '/patrons';
  if (can('audit_read')) return '/audit';
  if (can('user_admin')) return '/users';
  return '/login';
}
