// router.js — history routing for the single-page app.
//
// route('/patrons/:id', view) registers a view; a view is called with
// {params, query, state} and renders into the page. Same-origin links are taken over
// (no reload) unless they have `download`, a target, or a modifier key is held. The
// server answers every app path with index.html, so a reload lands on the same view.

const routes = [];
let renderer = null;

export function route(pattern, view) {
  const names = [];
  const re = new RegExp(
    '^' +
      pattern.replace(/:([a-z_]+)/g, (_, n) => {
        names.push(n);
        return '([^/]+)';
      }) +
      '/?$',
  );
  routes.push({ re, names, view, pattern });
}

export function match(pathname) {
  for (const r of routes) {
    const m = r.re.exec(pathname);
    if (m) {
      const params = {};
      r.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1])));
      return { view: r.view, params, pattern: r.pattern };
    }
  }
  return null;
}

export function current() {
  return {
    path: location.pathname,
    query: Object.fromEntries(new URLSearchParams(location.search)),
    state: history.state || {},
  };
}

export function navigate(url, { replace = false, state = {} } = {}) {
  if (replace) history.replaceState(state, '', url);
  else history.pushState(state, '', url);
  return renderer && renderer();
}

// Changes the query string without rendering again (e.g. a list's filters).
export function setQuery(query, { replace = true } = {}) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') qs.set(k, v);
  const s = qs.toString();
  const url = location.pathname + (s ? `?${s}` : '');
  if (replace) history.replaceState(history.state, '', url);
  else history.pushState(history.state, '', url);
}

export function start(render) {
  renderer = render;
  window.addEventListener('popstate', () => render());
  document.addEventListener('click', (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = e.target.closest('a[href]');
    if (!a || a.target || a.hasAttribute('download')) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith('/api/')) return;
    e.preventDefault();
    navigate(url.pathname + url.search);
  });
  return render();
}
