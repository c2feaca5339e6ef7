// api.js — the one way the browser talks to /api/v1.
//
// The session is an HttpOnly cookie set at log-in; every non-GET request also sends the
// session's CSRF token (kept in sessionStorage so a reload keeps working). Errors come
// back as ApiError {status, code, message, field}, the server's own words. A 401 (or a
// CSRF token the server no longer accepts) ends the session in the browser: the app's
// handler sends the user to the log-in page.

const CSRF_KEY = 'dangan.csrf';

export class ApiError extends Error {
  constructor(status, code, message, field, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field || '';
    this.body = body;
  }
}

export const csrf = {
  get: () => sessionStorage.getItem(CSRF_KEY),
  set: (token) => sessionStorage.setItem(CSRF_KEY, token),
  clear: () => sessionStorage.removeItem(CSRF_KEY),
};

let onSessionLost = () => {};
export function setSessionLostHandler(fn) {
  onSessionLost = fn;
}

export function buildUrl(path, query) {
  if (!query) return path;
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === null || v === undefined || v === '') continue;
    qs.set(k, String(v));
  }
  const s = qs.toString();
  return s ? `${path}?${s}` : path;
}

// Returns {data, res}. `opts`: body (sent as JSON) or raw (a Blob or File, with
// contentType), query (object), headers.
export async function request(method, path, opts = {}) {
  const headers = { Accept: 'application/json', ...(opts.headers || {}) };
  const init = { method, headers, credentials: 'same-origin' };
  if (method !== 'GET' && method !== 'HEAD') {
    headers['X-CSRF-Token'] = csrf.get() || '';
    // A merged patron answers 301; a browser would replay a POST as a GET there.
    init.redirect = 'manual';
  }
  if (opts.raw !== undefined) {
    // A file sent as it is (attachments, imports).
    headers['Content-Type'] = opts.contentType || 'application/octet-stream';
    init.body = opts.raw;
  } else if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(opts.body);
  }
  let res;
  try {
    res = await fetch(buildUrl(path, opts.query), init);
  } catch {
    throw new ApiError(0, 'unavailable', '无法连接服务器，请稍后再试。Cannot reach the server.', '');
  }
  if (res.type === 'opaqueredirect')
    throw new ApiError(301, 'moved', '该用户已合并到另一条记录，请刷新。This patron was merged; reload.', 'id');
  const text = await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const e = data && data.error ? data.error : { code: 'internal', message: `HTTP ${res.status}`, field: '' };
    const err = new ApiError(res.status, e.code, e.message, e.field, data);
    const lost =
      (res.status === 401 && !path.endsWith('/auth/login')) ||
      (res.status === 403 && e.field === 'X-CSRF-Token');
    if (lost) onSessionLost(err);
    throw err;
  }
  return { data, res };
}

export const get = async (path, query) => (await request('GET', path, { query })).data;
export const post = async (path, body, headers) => (await request('POST', path, { body, headers })).data;
export const patch = async (path, body, headers) => (await request('PATCH', path, { body, headers })).data;
export const del = async (path) => (await request('DELETE', path)).data;

// Fetches a JSON download (e.g. an export) and hands it to the browser as a file.
export async function download(path, filename) {
  const { data } = await request('GET', path);
  const blob = new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  return data;
}
