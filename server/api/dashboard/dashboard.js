// The province dashboard of d06: a unit and a date in, the report lines, a table and a
// chart by child unit, the central form (tasks due by the report date) and the overdue
// tasks out, for a coordinator to work from on a laptop, a phone or paper. It calls only
// the public Connect API of the server that serves it (POST /d06.v1.<Service>/<Method>,
// protojson) and the file downloads of its HTTP face (GET /download/...), and builds every
// element with textContent (no HTML from data).
//
// The URL is the reader's place, so a link can be shared and the back button works:
//   ?unit=units/H29&date=2026-11-30     the unit and the report date (none: today)
//   &category=… | &directive=… | &label=…   the whole page for one category, directive
//                                        number (số hiệu văn bản) or label
//   &overdue=all                         every overdue assignment instead of the tasks
//   &sort=overdue&order=desc             the by-unit table's order
// Drilling down (a child unit's row or bar, a breadcrumb, the unit picker) pushes a new
// entry; sorting and the switch replace the current one. Every minute (or ?refresh=N
// seconds) the numbers are read again in place: scroll, pages shown, filters and the
// switch stay as they are. <body data-state> is "loading", "ready", "error" or "login",
// and data-refreshed counts the refreshes (for tests).
//
// The overdue list agrees with the headline card: the report counts a task as overdue
// through its lead assignment (server/core/reports.cc), so the list is of the lead
// assignments in the unit's subtree that the API itself calls overdue (ListAssignments
// `role = LEAD AND timeliness = OVERDUE`), one row per task with its coordinating units.
//
// Authentication: on load it asks AccessService/WhoAmI who it is. With d06d --auth=off
// (method "none") it never asks for anything. Otherwise a 401 shows a form asking for a
// token once; the token is kept in sessionStorage only (this tab, until it is closed or
// "Đăng xuất"; never localStorage, a cookie or a URL) and sent as "Authorization: Bearer
// ..." on every call, downloads included (fetch, then a Blob). A 401 later (token revoked
// or expired) forgets it and asks again, saying why. <body data-auth> is "off", "token" or
// "login". A 429 (the token's principal is over its rate budget, or the server is busy)
// is shown plainly: "Quá nhiều yêu cầu, vui lòng thử lại sau N giây." with N from
// Retry-After.
'use strict';
(() => {
  const TZ = 'Asia/Ho_Chi_Minh';
  const SVG = 'http://www.w3.org/2000/svg';
  const $ = (id) => document.getElementById(id);
  const TOKEN_KEY = 'd06.token'; // in sessionStorage
  const PAGE = 20; // rows of a long list shown at a time
  const FILTER_KEYS = ['category', 'directive', 'label'];

  // ---- The Connect API -------------------------------------------------------------
  class ApiError extends Error {
    constructor(method, code, message, reason, plain) {
      super(message);
      this.method = method;
      this.code = code;
      this.reason = reason || '';
      // A message for people, shown instead of the technical one (a 429).
      this.plain = plain || '';
    }
  }

  // A 429 (too many calls: the principal's rate budget, or a busy server): when to try
  // again, in whole seconds, from Retry-After (at least 1).
  function retrySeconds(res) {
    const seconds = parseInt(res.headers.get('Retry-After') || '', 10);
    return Number.isFinite(seconds) && seconds > 0 ? seconds : 1;
  }

  const storedToken = () => sessionStorage.getItem(TOKEN_KEY) || '';

  // The error of a refused HTTP answer (a Connect error body when there is one).
  function errorOf(method, res, text, token) {
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { /* not JSON */ }
    const code = (data && data.code) || 'HTTP ' + res.status;
    const message = (data && data.message) || text || res.statusText;
    const detail = data && Array.isArray(data.details) ? data.details.find((d) => d && d.debug) : null;
    const plain = res.status === 429
      ? 'Quá nhiều yêu cầu, vui lòng thử lại sau ' + retrySeconds(res) + ' giây.'
      : '';
    const error = new ApiError(method, code, message, detail ? detail.debug.reason : '', plain);
    if (res.status === 401 && token === undefined) showLogin(error);
    return error;
  }

  function authHeaders(token) {
    const t = token === undefined ? storedToken() : token;
    return t ? { Authorization: 'Bearer ' + t } : {};
  }

  // One call; `token` overrides the stored one (a token being tried at login). A 401
  // (after login) forgets the token and shows the login form with the reason.
  async function call(method, body, token) {
    const headers = Object.assign({ 'Content-Type': 'application/json', 'Connect-Protocol-Version': '1' },
      authHeaders(token));
    let res;
    try {
      res = await fetch('/d06.v1.' + method, {
        method: 'POST', headers, body: JSON.stringify(body), credentials: 'omit', cache: 'no-store',
      });
    } catch (e) {
      throw new ApiError(method, 'unavailable', 'không kết nối được máy chủ (' + e.message + ')');
    }
    const text = await res.text();
    if (res.ok) {
      try { return text ? JSON.parse(text) : {}; } catch (e) { /* falls through */ }
    }
    throw errorOf(method, res, text, token);
  }

  // Every page of a list method; `key` is the repeated field, at most `limit` items.
  async function listAll(method, request, key, limit) {
    const out = [];
    let pageToken = '';
    do {
      const page = await call(method, Object.assign({}, request, { pageToken }));
      out.push(...(page[key] || []));
      pageToken = page.nextPageToken || '';
    } while (pageToken && out.length < limit);
    return { items: out.slice(0, limit), more: Boolean(pageToken) || out.length > limit };
  }

  // fn over `items`, `width` calls at a time (a page of tasks is not a burst of 100).
  async function inBatches(items, width, fn) {
    const out = [];
    for (let i = 0; i < items.length; i += width) out.push(...await Promise.all(items.slice(i, i + width).map(fn)));
    return out;
  }

  // ---- Dates and numbers as Vietnamese reports write them ----------------------------
  function today() {
    const parts = {};
    new Intl.DateTimeFormat('en-GB', { timeZone: TZ, year: 'numeric', month: 'numeric', day: 'numeric' })
      .formatToParts(new Date()).forEach((p) => { parts[p.type] = Number(p.value); });
    return { year: parts.year, month: parts.month, day: parts.day };
  }
  const pad = (n, w) => String(n).padStart(w, '0');
  const vnDate = (d) => (d && d.year ? pad(d.day, 2) + '/' + pad(d.month, 2) + '/' + pad(d.year, 4) : '');
  const isoDate = (d) => pad(d.year, 4) + '-' + pad(d.month, 2) + '-' + pad(d.day, 2);
  const dayNumber = (d) => Date.UTC(d.year, d.month - 1, d.day) / 86400000;
  const sameDay = (a, b) => dayNumber(a) === dayNumber(b);
  function validDate(y, m, d) {
    const t = new Date(Date.UTC(y, m - 1, d));
    return y >= 1900 && t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d
      ? { year: y, month: m, day: d } : null;
  }
  function parseIso(s) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s || '');
    return m ? validDate(+m[1], +m[2], +m[3]) : null;
  }
  function parseVn(s) {
    const m = /^\s*(\d{1,2})\/(\d{1,2})\/(\d{4})\s*$/.exec(s || '');
    return m ? validDate(+m[3], +m[2], +m[1]) : null;
  }
  const num = (v) => Number(v || 0); // int64 arrives as a string, zero as nothing
  const int = (v) => String(num(v)).replace(/\B(?=(\d{3})+(?!\d))/g, '.');
  const pct = (v) => num(v).toFixed(1).replace('.', ',') + ' %';
  const share = (part, whole) => (num(whole) ? Math.round((num(part) * 1000) / num(whole)) / 10 : 0);
  const clock = (t) => new Intl.DateTimeFormat('vi-VN', { timeZone: TZ, hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }).format(t);

  const STATES = {
    ASSIGNMENT_STATE_NOT_STARTED: 'Chưa triển khai',
    ASSIGNMENT_STATE_IN_PROGRESS: 'Đang triển khai',
    ASSIGNMENT_STATE_PENDING_ACCEPTANCE: 'Chờ xác nhận',
    ASSIGNMENT_STATE_COMPLETED: 'Hoàn thành',
    ASSIGNMENT_STATE_DECLINED: 'Từ chối',
    ASSIGNMENT_STATE_REVOKED: 'Đã thu hồi',
    ASSIGNMENT_STATE_TRANSFERRED: 'Đã chuyển giao',
  };
  const ROLES = { ASSIGNMENT_ROLE_LEAD: 'Chủ trì', ASSIGNMENT_ROLE_SUPPORT: 'Phối hợp' };
  const RANKS = { ROLE_VIEWER: 1, ROLE_MEMBER: 2, ROLE_COORDINATOR: 3, ROLE_ADMIN: 4 };
  // The parts of the total, in the order of the cards and of the chart's segments.
  const PARTS = [
    { key: 'completedOnTime', label: 'Hoàn thành đúng hạn', color: '#2e7d32' },
    { key: 'completedLate', label: 'Hoàn thành quá hạn', color: '#9ccc65' },
    { key: 'inProgressOnTime', label: 'Đang triển khai trong hạn', color: '#1e88e5' },
    { key: 'overdue', label: 'Chưa hoàn thành, quá hạn', color: '#d32f2f' },
    { key: 'recurring', label: 'Thực hiện thường xuyên', color: '#9e9e9e' },
  ];
  // The central form's four parts of the tasks due by the report date.
  const DUE_PARTS = ['dueCompletedOnTime', 'dueCompletedLate', 'dueNotCompletedOnTime', 'dueNotCompletedOverdue'];
  const FILTER_NAMES = { category: 'Lĩnh vực', directive: 'Văn bản', label: 'Nhãn' };

  // ---- DOM helpers -----------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const node = tag.startsWith('svg:') ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const c of children) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
    return node;
  }

  // ---- Units, read as they are needed (never the whole tree: ten thousand nationally) --
  const units = new Map(); // "units/H29" -> Promise<Unit | null>
  function getUnit(name) {
    if (!units.has(name)) {
      units.set(name, call('UnitService/GetUnit', { name }).then((r) => r.unit, (e) => {
        if (e.code === 'unauthenticated') units.delete(name);
        return null;
      }));
    }
    return units.get(name);
  }
  const knownNames = new Map(); // "units/H29" -> display name, from any answer
  const unitName = (name) => knownNames.get(name) || name;
  async function nameUnits(names) {
    const missing = [...new Set(names)].filter((n) => n && !knownNames.has(n));
    await inBatches(missing, 8, async (n) => {
      const u = await getUnit(n);
      if (u) knownNames.set(n, u.displayName);
    });
  }

  // ---- Who is asking: what the caller may do -----------------------------------------
  let me = { method: 'none' };
  const bindingUnits = () => ((me.principal || {}).bindings || []).map((b) => b.unit);

  // The unit and its ancestors, nearest first, as far as the caller can read them.
  async function ancestry(name) {
    const chain = [];
    for (let n = name; n && chain.length < 20;) {
      const u = await getUnit(n);
      if (!u) break;
      chain.push(u);
      knownNames.set(u.name, u.displayName);
      n = u.parent;
    }
    return chain;
  }

  // Whether the caller may urge the assignments of a task assigned by `assigning`: a
  // coordinator (or admin) of that unit or of one above it (UrgeAssignment's policy).
  // The server decides; this only keeps a button away from those it would refuse.
  async function mayUrge(assigning) {
    if (me.method === 'none') return true;
    const strong = ((me.principal || {}).bindings || []).filter((b) => (RANKS[b.role] || 0) >= RANKS.ROLE_COORDINATOR);
    if (!strong.length) return false;
    if (strong.some((b) => b.unit === '*')) return true;
    const chain = (await ancestry(assigning)).map((u) => u.name);
    return strong.some((b) => chain.includes(b.unit));
  }

  // ---- Logging in and out ------------------------------------------------------------
  // Why the server refused a token (UNAUTHENTICATED reasons, d06/v1/api_names.h).
  const REFUSED = {
    CREDENTIAL_MISSING: '',
    TOKEN_EXPIRED: 'Mã truy cập đã hết hạn. Hãy xin quản trị viên cấp mã mới.',
    TOKEN_REVOKED: 'Mã truy cập đã bị thu hồi. Hãy xin quản trị viên cấp mã mới.',
    TOKEN_UNKNOWN: 'Mã truy cập không đúng.',
    TOKEN_MALFORMED: 'Mã truy cập không đúng dạng (mã bắt đầu bằng d06_).',
    PRINCIPAL_DISABLED: 'Tài khoản của mã truy cập này đã bị khoá.',
    TOO_MANY_FAILURES: 'Có quá nhiều lần thử mã sai. Hãy thử lại sau ít phút.',
  };
  function refusal(e) {
    if (e.reason in REFUSED) return REFUSED[e.reason];
    return 'Máy chủ từ chối mã truy cập: ' + e.message + (e.reason ? ' (' + e.reason + ')' : '');
  }

  let onLoggedIn = null; // set by init: what to show once a token is accepted

  // Forgets the token and shows the login form; `why` (an ApiError) says why, if it
  // was refused rather than never given.
  function showLogin(why) {
    sessionStorage.removeItem(TOKEN_KEY);
    stopRefresh();
    units.clear();
    document.body.dataset.auth = 'login';
    document.body.dataset.state = 'login';
    $('session').hidden = true;
    $('pick').hidden = true;
    $('report').hidden = true;
    $('status').hidden = true;
    if ($('urge').open) $('urge').close();
    clearErrors();
    const message = why ? refusal(why) : '';
    $('login-error').textContent = message;
    $('login-error').hidden = !message;
    $('login').hidden = false;
    $('token').value = '';
    $('token').focus();
  }

  // Shows the page for a WhoAmI answer: who is logged in (or nothing with auth off).
  function showApp(answer) {
    me = answer;
    const off = me.method === 'none';
    document.body.dataset.auth = off ? 'off' : 'token';
    $('login').hidden = true;
    $('login-error').hidden = true;
    $('session').hidden = off;
    const p = me.principal || {};
    $('who').textContent = (p.displayName || p.name || '') + (me.via ? ' (qua ' + me.via + ')' : '');
    $('pick').hidden = false;
    $('status').hidden = false;
  }

  async function login(e) {
    e.preventDefault();
    const token = $('token').value.trim();
    const error = $('login-error');
    error.hidden = true;
    if (!/^[\x21-\x7e]+$/.test(token)) {
      error.textContent = 'Mã truy cập gồm chữ cái không dấu, chữ số và ký hiệu, không có khoảng trắng.';
      error.hidden = false;
      return;
    }
    let answer;
    try {
      answer = await call('AccessService/WhoAmI', {}, token);
    } catch (err) {
      error.textContent = err.code === 'unauthenticated'
        ? refusal(err) || 'Mã truy cập không được chấp nhận.'
        : err.plain || 'Lỗi khi đăng nhập: ' + err.message + ' (' + err.code + ')';
      error.hidden = false;
      $('token').select();
      return;
    }
    $('token').value = '';
    sessionStorage.setItem(TOKEN_KEY, token);
    showApp(answer);
    if (onLoggedIn) onLoggedIn();
  }

  function logout() {
    units.clear();
    showLogin(null);
  }

  // Errors stay on the page (one line each) until the next report is asked for. A 401
  // has shown the login form instead.
  function describe(e) {
    return e instanceof ApiError
      ? (e.plain || 'Lỗi khi gọi ' + e.method + ': ' + e.message + ' (' + e.code + ')')
      : 'Lỗi: ' + (e && e.message ? e.message : String(e));
  }
  function showError(e) {
    if (e instanceof ApiError && e.code === 'unauthenticated') return;
    const box = $('error');
    box.append(el('p', {}, describe(e)));
    box.hidden = false;
  }
  function clearErrors() {
    $('error').replaceChildren();
    $('error').hidden = true;
  }

  // ---- The reader's place: the URL ---------------------------------------------------
  function place() {
    const p = new URLSearchParams(location.search);
    const filterKey = FILTER_KEYS.find((k) => p.has(k)) || '';
    return {
      unit: p.get('unit') || '',
      dateText: p.get('date') || '',
      filterKey,
      filterValue: filterKey ? p.get(filterKey) : '',
      all: p.get('overdue') === 'all',
      sort: p.get('sort') || '',
      desc: p.get('order') === 'desc',
    };
  }
  function urlOf(s) {
    const p = new URLSearchParams();
    if (s.unit) p.set('unit', s.unit);
    if (s.dateText) p.set('date', s.dateText);
    if (s.filterKey) p.set(s.filterKey, s.filterValue);
    if (s.all) p.set('overdue', 'all');
    if (s.sort) { p.set('sort', s.sort); if (s.desc) p.set('order', 'desc'); }
    const refresh = new URLSearchParams(location.search).get('refresh');
    if (refresh) p.set('refresh', refresh);
    return '?' + p;
  }
  // Moves to a changed place: a new history entry (`push`) or the current one replaced.
  function go(changes, push) {
    const s = Object.assign(place(), changes);
    history[push ? 'pushState' : 'replaceState'](null, '', urlOf(s));
  }

  // A filter term of GetSummary (a quoted string, as the filter grammar wants).
  const quote = (v) => '"' + String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
  function matchesFilter(task, s) {
    if (!s.filterKey) return true;
    if (s.filterKey === 'category') return (task.category || '') === s.filterValue;
    if (s.filterKey === 'directive') return ((task.directive || {}).number || '') === s.filterValue;
    return (task.labels || []).includes(s.filterValue);
  }

  // ---- The unit picker: a server-side search -----------------------------------------
  let searchTimer = 0;
  let searchSeq = 0;
  let searchNext = null; // the request for the next page of the results shown
  function closeResults() {
    $('unit-results').hidden = true;
    $('unit-search').setAttribute('aria-expanded', 'false');
  }
  async function search(more) {
    const query = $('unit-search').value.trim();
    const current = place().unit;
    // The typed words, or nothing: the units under the one shown (the roots if none); for
    // a past date in the form, the units of that day, with their names then.
    const day = parseVn($('date').value);
    const past = day && dayNumber(day) < dayNumber(today()) ? { asOf: day } : {};
    const request = more && searchNext ? searchNext
      : query && query !== $('unit-search').dataset.shown
        ? Object.assign({ query, pageSize: PAGE }, past)
        : Object.assign({ filter: 'parent = ' + quote(current), pageSize: PAGE }, past);
    const seq = ++searchSeq;
    let page;
    try {
      page = await call('UnitService/ListUnits', request);
    } catch (e) {
      if (seq !== searchSeq) return;
      $('unit-results').replaceChildren(el('p', { class: 'error' }, describe(e)));
      $('unit-results').hidden = false;
      return;
    }
    if (seq !== searchSeq) return; // a later search has started
    const box = $('unit-results');
    if (!more) box.replaceChildren();
    box.querySelector('.more')?.remove();
    for (const u of page.units || []) {
      knownNames.set(u.name, u.displayName);
      const gone = u.state === 'UNIT_STATE_MERGED'
        ? ' (đã hợp nhất' + (u.successor ? ' vào ' + u.successor.replace(/^units\//, '') : '') + ')'
        : u.state && u.state !== 'UNIT_STATE_ACTIVE' ? ' (không còn hoạt động)' : '';
      const option = el('button', { type: 'button', role: 'option', class: 'option', 'data-unit': u.name },
        el('span', {}, u.displayName + gone), el('span', { class: 'code' }, u.code));
      option.addEventListener('click', () => pickUnit(u.name));
      box.append(option);
    }
    if (!box.children.length) box.append(el('p', { class: 'hint' }, query ? 'Không tìm thấy đơn vị nào.' : 'Không có đơn vị trực thuộc.'));
    searchNext = page.nextPageToken ? Object.assign({}, request, { pageToken: page.nextPageToken }) : null;
    if (searchNext) {
      const button = el('button', { type: 'button', class: 'more' }, 'Xem thêm');
      button.addEventListener('click', () => search(true));
      box.append(button);
    }
    box.hidden = false;
    $('unit-search').setAttribute('aria-expanded', 'true');
  }
  function pickUnit(name) {
    closeResults();
    go({ unit: name }, true);
    show();
  }
  function showPicked(unit) {
    $('unit').value = unit ? unit.name : '';
    const text = unit ? unit.displayName + ' (' + unit.code + ')' : '';
    $('unit-search').value = text;
    $('unit-search').dataset.shown = text; // the name shown is not a query
  }

  // ---- The report ------------------------------------------------------------------
  let view = null; // what is shown: { s, summary, asOf, overdue, chain, ... }
  const shown = { byUnit: PAGE, overdue: PAGE }; // rows of each long list shown

  function renderCards(t) {
    const cards = [{ key: 'total', label: 'Tổng số nhiệm vụ', value: t.total, percent: null }].concat(
      PARTS.map((p) => ({ key: p.key, label: p.label, value: t[p.key], percent: share(t[p.key], t.total) })));
    $('cards').replaceChildren(...cards.map((c) => el('li', { 'data-key': c.key },
      el('span', { class: 'label' }, c.label),
      el('span', { class: 'value' }, int(c.value)),
      el('span', { class: 'percent' }, c.percent === null ? 'nhiệm vụ' : pct(c.percent)))));
  }

  // The completion percentage, or why there is none: no tasks at all, or only recurring
  // ones (whose completion is not counted: 0,0 % would read as failing).
  function completion(c) {
    if (!num(c.total)) return { text: '—', title: 'Không có nhiệm vụ' };
    if (num(c.total) === num(c.recurring)) return { text: 'Không có nhiệm vụ có hạn', title: 'Chỉ có nhiệm vụ thực hiện thường xuyên' };
    return { text: pct(c.completedPercent), title: '' };
  }

  const HEADS = () => [...$('by-unit').tHead.rows[0].cells].map((c) => c.textContent);
  function countCells(c) {
    const heads = HEADS();
    const done = completion(c);
    return [c.total, c.completed].map((v, i) => el('td', { 'data-label': heads[i + 1] }, int(v))).concat(
      PARTS.map((p, i) => el('td', { 'data-label': heads[i + 3] }, int(c[p.key]))),
      [el('td', { 'data-label': heads[8], class: done.title ? 'none' : '', title: done.title }, done.text)]);
  }
  const rowName = (r) => (r.own ? r.displayName + ' (trực tiếp chủ trì)' : r.displayName);

  // A child unit's name as a link to its own report (drilling down).
  function unitLink(unit, text) {
    const a = el('a', { href: urlOf(Object.assign(place(), { unit })), 'data-unit': unit, class: 'drill' }, text);
    a.addEventListener('click', (e) => {
      if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return; // a new tab
      e.preventDefault();
      pickUnit(unit);
    });
    return a;
  }

  function sortedRows(summary, s) {
    const rows = (summary.rows || []).slice();
    if (!s.sort) return rows;
    const key = (r) => (s.sort === 'name' ? rowName(r) : num((r.counts || {})[s.sort]));
    rows.sort((a, b) => {
      const x = key(a), y = key(b);
      const order = typeof x === 'string' ? x.localeCompare(y, 'vi') : x - y;
      return s.desc ? -order : order;
    });
    return rows;
  }

  function renderTable(summary, s) {
    const rows = sortedRows(summary, s);
    $('by-unit').tBodies[0].replaceChildren(...rows.slice(0, shown.byUnit).map((r) => el('tr', { 'data-unit': r.unit },
      el('th', { scope: 'row' }, r.own ? rowName(r) : unitLink(r.unit, r.displayName)),
      ...countCells(r.counts || {}))));
    $('by-unit').tFoot.replaceChildren(el('tr', {},
      el('th', { scope: 'row' }, 'Tổng cộng'), ...countCells(summary.total || {})));
    more($('by-unit-more'), rows.length, shown.byUnit);
    for (const th of $('by-unit').tHead.rows[0].cells) {
      const sorted = th.dataset.sort === s.sort;
      th.setAttribute('aria-sort', sorted ? (s.desc ? 'descending' : 'ascending') : 'none');
    }
  }
  function more(button, total, count) {
    button.hidden = total <= count;
    button.textContent = 'Xem thêm (' + int(Math.min(PAGE, total - count)) + ' trong ' + int(total - count) + ' còn lại)';
  }

  // Stacked bars, one per child unit (and the unit's own tasks when it leads any): the
  // parts of its total, with the completion percentage at the end. Drawn at the width of
  // its box in CSS pixels, so its text is as large on a phone as on a laptop: beside the
  // bar when there is room, above it on a narrow screen.
  function renderChart(summary) {
    const rows = (summary.rows || []).filter((r) => !r.own || num((r.counts || {}).total) > 0);
    if (!rows.length) {
      $('chart').replaceChildren(el('p', { class: 'hint' }, 'Đơn vị không có đơn vị trực thuộc.'));
      return;
    }
    const width = Math.max(280, Math.floor($('chart').clientWidth || 700));
    const stacked = width < 560;
    const pctW = 74;
    const label = stacked ? 0 : Math.min(280, Math.floor(width * 0.36));
    const bar = width - label - pctW - (stacked ? 0 : 8);
    const rowH = stacked ? 44 : 30;
    const barY = stacked ? 20 : 5;
    const barH = stacked ? 18 : 20;
    const top = 4;
    const height = top * 2 + rows.length * rowH;
    const maxChars = Math.max(8, Math.floor((stacked ? width - 8 : label - 12) / 7.4));
    const desc = rows.map((r) => {
      const c = r.counts || {};
      return r.displayName + ': đã hoàn thành ' + int(c.completed) + '/' + int(c.total) + ' (' + completion(c).text + ')';
    }).join('; ');
    const svg = el('svg:svg', { viewBox: '0 0 ' + width + ' ' + height, width: width, height: height,
      role: 'img', 'aria-labelledby': 'chart-svg-title chart-svg-desc' },
    el('svg:title', { id: 'chart-svg-title' }, 'Tỷ lệ hoàn thành nhiệm vụ theo đơn vị trực thuộc'),
    el('svg:desc', { id: 'chart-svg-desc' }, desc + '. Số liệu đầy đủ ở bảng theo đơn vị trực thuộc.'));
    rows.forEach((r, i) => {
      const c = r.counts || {};
      const y = top + i * rowH;
      const name = r.own ? r.displayName + ' (trực tiếp)' : r.displayName;
      const short = name.length > maxChars ? name.slice(0, maxChars - 1) + '…' : name;
      const g = el('svg:g', { class: r.own ? 'bar' : 'bar drill', 'data-unit': r.unit },
        el('svg:title', {}, name + ': đã hoàn thành ' + int(c.completed) + '/' + int(c.total) + ' nhiệm vụ'),
        stacked
          ? el('svg:text', { x: 2, y: y + 13, class: 'name' }, short)
          : el('svg:text', { x: label - 8, y: y + rowH / 2, 'text-anchor': 'end', 'dominant-baseline': 'middle', class: 'name' }, short),
        el('svg:rect', { x: label, y: y + barY, width: bar, height: barH, class: 'track' }));
      let x = label;
      for (const p of PARTS) {
        const w = num(c.total) ? (bar * num(c[p.key])) / num(c.total) : 0;
        if (w > 0) {
          g.append(el('svg:rect', { x: x, y: y + barY, width: w, height: barH, fill: p.color, 'data-part': p.key },
            el('svg:title', {}, name + ' — ' + p.label.toLowerCase() + ': ' + int(c[p.key]))));
        }
        x += w;
      }
      const done = completion(c);
      g.append(el('svg:text', { x: label + bar + 8, y: y + barY + barH / 2, 'dominant-baseline': 'middle', class: 'pct' },
        done.title ? (num(c.total) ? 'TX' : '—') : done.text));
      if (!r.own) {
        g.setAttribute('tabindex', '0');
        g.setAttribute('role', 'link');
        g.addEventListener('click', () => pickUnit(r.unit));
        g.addEventListener('keydown', (e) => { if (e.key === 'Enter') pickUnit(r.unit); });
      }
      svg.append(g);
    });
    const legend = el('ul', { class: 'legend' }, ...PARTS.map((p) => {
      const swatch = el('span', { class: 'swatch' });
      swatch.style.background = p.color; // CSSOM: allowed by the page's CSP, a style attribute is not
      return el('li', {}, swatch, p.label);
    }));
    $('chart').replaceChildren(svg, el('figcaption', {}, legend,
      'Mỗi thanh là toàn bộ nhiệm vụ của một đơn vị, chia theo tình trạng; con số bên phải là tỷ lệ đã hoàn thành '
      + '(TX: chỉ có nhiệm vụ thường xuyên). Bấm một thanh để xem đơn vị đó.'));
  }

  // The central form: of the tasks due by the report date, the four parts and their
  // shares, by child unit and in total (the API's due_* counts).
  function renderCentral(summary) {
    const heads = ['Đến hạn'].concat(...['Hoàn thành đúng hạn', 'Hoàn thành quá hạn', 'Chưa hoàn thành, trong hạn', 'Chưa hoàn thành, quá hạn']
      .map((h) => [h + ': số', h + ': tỷ lệ']));
    const cells = (c) => {
      if (!num(c.due)) return [el('td', { 'data-label': heads[0] }, '0'), el('td', { colspan: 8, class: 'none' }, 'Không có nhiệm vụ đến hạn')];
      return [el('td', { 'data-label': heads[0] }, int(c.due))].concat(...DUE_PARTS.map((k, i) => [
        el('td', { 'data-label': heads[1 + 2 * i] }, int(c[k])),
        el('td', { 'data-label': heads[2 + 2 * i] }, pct(c[k + 'Percent']))]));
    };
    const rows = (summary.rows || []).filter((r) => !r.own || num((r.counts || {}).due) > 0);
    $('central').tBodies[0].replaceChildren(...rows.map((r) => el('tr', { 'data-unit': r.unit },
      el('th', { scope: 'row' }, rowName(r)), ...cells(r.counts || {}))));
    $('central').tFoot.replaceChildren(el('tr', {}, el('th', { scope: 'row' }, 'Tổng cộng'), ...cells(summary.total || {})));
  }

  // ---- The overdue list ----------------------------------------------------------------
  const tasks = new Map(); // "tasks/7" -> { task, at } (read again after five minutes)
  async function getTasks(names) {
    const now = Date.now();
    const stale = [...new Set(names)].filter((n) => !tasks.has(n) || now - tasks.get(n).at > 300000);
    await inBatches(stale, 8, async (name) => {
      const r = await call('TaskService/GetTask', { name });
      tasks.set(name, { task: r.task, at: now });
    });
    return (name) => (tasks.get(name) || {}).task || { name, title: name };
  }
  const taskOf = (assignment) => assignment.name.split('/assignments/')[0];
  const daysLate = (a, now) => (a.deadline && a.deadline.year ? dayNumber(now) - dayNumber(a.deadline) : 0);

  // The overdue rows: by task through its lead (what the card counts), or every overdue
  // assignment, most days late first. The tasks (titles) are read for the rows shown,
  // except under a category, directive or label filter, which needs every row's task.
  async function readOverdue(s) {
    const filter = 'unit_tree = ' + quote(s.unit) + (s.all ? '' : ' AND role = LEAD') + ' AND timeliness = OVERDUE';
    const { items, more } = await listAll('TaskService/ListAssignments',
      { parent: 'tasks/-', pageSize: 1000, filter }, 'assignments', 5000);
    const now = today();
    let rows = items.map((a) => ({ a, taskName: taskOf(a), late: daysLate(a, now) }));
    rows.sort((x, y) => y.late - x.late || x.taskName.localeCompare(y.taskName, 'en', { numeric: true })
      || x.a.unit.localeCompare(y.a.unit));
    if (s.filterKey) {
      const task = await getTasks(rows.map((r) => r.taskName));
      rows = rows.filter((r) => matchesFilter(task(r.taskName), s));
    }
    return { rows, more, now };
  }

  // What the rows shown need: their tasks, the units' names, whether the caller may urge,
  // and by task the other assignments (coordinating units, how late each is).
  async function readShown(rows, withSupports) {
    const task = await getTasks(rows.map((r) => r.taskName));
    rows.forEach((r) => { r.task = task(r.taskName); });
    if (withSupports) {
      await inBatches(rows.filter((r) => !r.supports), 8, async (r) => {
        const { items } = await listAll('TaskService/ListAssignments', { parent: r.taskName, pageSize: 100 }, 'assignments', 200);
        r.supports = items.filter((a) => a.role === 'ASSIGNMENT_ROLE_SUPPORT');
      });
    }
    await nameUnits([].concat(...rows.map((r) => [r.a.unit].concat((r.supports || []).map((a) => a.unit)))));
    await Promise.all(rows.map(async (r) => { r.urge = await mayUrge(r.task.assigningUnit); }));
  }

  function lateText(a, now) {
    if (a.state === 'ASSIGNMENT_STATE_COMPLETED') return 'đã hoàn thành';
    if (!a.deadline || !a.deadline.year) return STATES[a.state] || '';
    const late = daysLate(a, now);
    return late > 0 ? 'quá ' + late + ' ngày' : 'còn trong hạn';
  }

  function urgeButton(r, a) {
    if (!r.urge) return '';
    const button = el('button', { type: 'button', class: 'urge secondary', 'data-assignment': a.name }, 'Đôn đốc');
    button.addEventListener('click', () => openUrge(r, a));
    return button;
  }

  async function renderOverdue(data, s, asOf) {
    const visible = data.rows.slice(0, shown.overdue);
    await readShown(visible, !s.all);
    const table = $('overdue');
    const heads = s.all
      ? ['Nhiệm vụ', 'Đơn vị', 'Vai trò', 'Hạn xử lý', 'Quá hạn', 'Trạng thái', 'Tiến độ', '']
      : ['Nhiệm vụ', 'Đơn vị chủ trì', 'Hạn xử lý', 'Quá hạn', 'Đơn vị phối hợp', 'Trạng thái', ''];
    table.tHead.replaceChildren(el('tr', {}, ...heads.map((h) => el('th', { scope: 'col' }, h))));
    const cell = (i, ...c) => el('td', { 'data-label': heads[i] }, ...c);
    const deadline = (a) => el('time', { datetime: isoDate(a.deadline) }, vnDate(a.deadline));
    const title = (r) => [r.task.title, r.task.directive && r.task.directive.number
      ? el('span', { class: 'hint' }, ' (' + r.task.directive.number + ')') : null];
    if (!data.rows.length) {
      table.tBodies[0].replaceChildren(el('tr', {}, el('td', { colspan: heads.length, class: 'empty' }, 'Không có nhiệm vụ quá hạn.')));
    } else if (s.all) {
      table.tBodies[0].replaceChildren(...visible.map((r) => el('tr', { 'data-assignment': r.a.name },
        cell(0, ...title(r)), cell(1, unitName(r.a.unit)), cell(2, ROLES[r.a.role] || r.a.role || ''),
        cell(3, deadline(r.a)), cell(4, el('span', { class: 'late' }, 'quá ' + r.late + ' ngày')),
        cell(5, STATES[r.a.state] || r.a.state || ''), cell(6, num(r.a.progressPercent) + ' %'),
        cell(7, urgeButton(r, r.a)))));
    } else {
      table.tBodies[0].replaceChildren(...visible.map((r) => el('tr', { 'data-task': r.task.name, 'data-assignment': r.a.name },
        cell(0, ...title(r)), cell(1, unitName(r.a.unit)), cell(2, deadline(r.a)),
        cell(3, el('span', { class: 'late' }, 'quá ' + r.late + ' ngày')),
        cell(4, r.supports.length
          ? el('ul', { class: 'supports' }, ...r.supports.map((a) => el('li', { 'data-unit': a.unit },
            unitName(a.unit) + ': ', el('span', { class: daysLate(a, data.now) > 0 && a.state !== 'ASSIGNMENT_STATE_COMPLETED' ? 'late' : 'hint' }, lateText(a, data.now)))))
          : el('span', { class: 'hint' }, 'không có')),
        cell(5, (STATES[r.a.state] || r.a.state || '') + ', ' + num(r.a.progressPercent) + ' %'),
        cell(6, urgeButton(r, r.a)))));
    }
    more($('overdue-more'), data.rows.length, shown.overdue);
    const count = int(data.rows.length) + (data.more ? '+' : '');
    $('overdue-note').textContent = (sameDay(asOf, data.now) ? '' : 'Danh sách tính đến hôm nay (' + vnDate(data.now) + '), không phải ngày báo cáo. ')
      + (s.all
        ? count + ' phân công quá hạn, gồm cả đơn vị chủ trì và phối hợp, xếp theo số ngày quá hạn.'
        : count + ' nhiệm vụ chưa hoàn thành, quá hạn (tính theo đơn vị chủ trì, như thẻ “Chưa hoàn thành, quá hạn”).');
    $('overdue').dataset.count = String(data.rows.length);
  }

  // ---- Urging (đôn đốc) from a row ------------------------------------------------------
  let urging = null;
  function openUrge(r, a) {
    urging = { a };
    $('urge-target').textContent = unitName(a.unit) + ' — ' + r.task.title
      + (a.deadline && a.deadline.year ? ' (hạn ' + vnDate(a.deadline) + ', ' + lateText(a, today()) + ')' : '');
    $('urge-message').value = 'Đề nghị ' + unitName(a.unit) + ' khẩn trương hoàn thành nhiệm vụ “' + r.task.title
      + '”' + (a.deadline && a.deadline.year ? ', đã quá hạn từ ngày ' + vnDate(a.deadline) : '') + '.';
    $('urge-error').hidden = true;
    $('urge-send').disabled = false;
    $('urge').showModal();
    $('urge-message').focus();
  }
  async function sendUrge(e) {
    e.preventDefault();
    const message = $('urge-message').value.trim();
    if (!message) {
      $('urge-error').textContent = 'Hãy nhập nội dung đôn đốc.';
      $('urge-error').hidden = false;
      return;
    }
    $('urge-send').disabled = true;
    try {
      const r = await call('TaskService/UrgeAssignment', { name: urging.a.name, message, requestId: crypto.randomUUID() });
      $('urge').close();
      $('status').textContent = 'Đã đôn đốc ' + unitName(urging.a.unit) + ' (lần thứ ' + num(r.assignment.urgeCount) + ').';
      document.body.dataset.urged = urging.a.name;
    } catch (err) {
      if (err.code === 'unauthenticated') return;
      $('urge-error').textContent = describe(err);
      $('urge-error').hidden = false;
      $('urge-send').disabled = false;
    }
  }

  // ---- Downloads: GET /download/...xlsx with the token, saved from a Blob ------------
  async function download(kind) {
    const s = place();
    const q = new URLSearchParams();
    if (kind === 'summary') {
      q.set('unit', s.unit);
      q.set('groupBy', 'SUMMARY_GROUP_BY_CHILD_UNIT');
      if (s.filterKey) q.set('filter', s.filterKey + ' = ' + quote(s.filterValue));
      const asOf = view && view.asOf;
      if (asOf && !sameDay(asOf, today())) {
        q.set('asOf', asOf.year + '-' + pad(asOf.month, 2) + '-' + pad(asOf.day, 2));
      }
    } else {
      q.set('parent', 'tasks/-');
      q.set('filter', 'unit_tree = ' + quote(s.unit));
    }
    const path = '/download/' + kind + '.xlsx';
    const box = $('download-error');
    box.hidden = true;
    document.body.dataset.download = 'loading';
    try {
      let res;
      try {
        res = await fetch(path + '?' + q, { headers: authHeaders(), credentials: 'omit', cache: 'no-store' });
      } catch (e) {
        throw new ApiError('GET ' + path, 'unavailable', 'không kết nối được máy chủ (' + e.message + ')');
      }
      if (!res.ok) {
        const text = await res.text();
        // A server without the route (its answer to an unknown path), not a NOT_FOUND of
        // the export itself.
        if (res.status === 404 && (!/^\s*\{/.test(text) || /no such page or method/.test(text))) {
          throw new Error('máy chủ này chưa có chức năng tải tệp (GET ' + path + ': 404)');
        }
        throw errorOf('GET ' + path, res, text);
      }
      const blob = await res.blob();
      const m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(res.headers.get('Content-Disposition') || '');
      const name = m ? decodeURIComponent(m[1]) : kind + '.xlsx';
      const url = URL.createObjectURL(blob);
      const a = el('a', { href: url, download: name });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
      document.body.dataset.download = 'done';
    } catch (e) {
      if (e instanceof ApiError && e.code === 'unauthenticated') return;
      box.textContent = 'Không tải được tệp: ' + describe(e);
      box.hidden = false;
      document.body.dataset.download = 'error';
    }
  }

  // ---- The filter choices: the categories, directives and labels of the unit's tasks --
  async function readFilterChoices(unit, asOf) {
    const groups = {};
    await Promise.all([['category', 'SUMMARY_GROUP_BY_CATEGORY'], ['directive', 'SUMMARY_GROUP_BY_DIRECTIVE'],
      ['label', 'SUMMARY_GROUP_BY_LABEL']].map(async ([key, groupBy]) => {
      const r = await call('ReportService/GetSummary', { unit, asOf, groupBy });
      groups[key] = (r.rows || []).map((row) => ({ value: row.group || '', text: row.displayName, total: num((row.counts || {}).total) }));
    }));
    return groups;
  }
  function renderFilterChoices(groups, s) {
    const select = $('filter');
    const options = [el('option', { value: '' }, 'Tất cả nhiệm vụ')];
    for (const key of FILTER_KEYS) {
      const list = groups[key] || [];
      if (!list.length) continue;
      options.push(el('optgroup', { label: FILTER_NAMES[key] }, ...list.map((g) =>
        el('option', { value: key + '=' + g.value }, g.text + ' (' + int(g.total) + ')'))));
    }
    const current = s.filterKey ? s.filterKey + '=' + s.filterValue : '';
    if (current && !options.some((o) => o.querySelector && [...o.querySelectorAll('option')].some((x) => x.value === current))) {
      options.push(el('option', { value: current }, FILTER_NAMES[s.filterKey] + ': ' + s.filterValue));
    }
    select.replaceChildren(...options);
    select.value = current;
  }

  // ---- The breadcrumb: the unit's ancestors up to the caller's scope root -------------
  function renderCrumbs(chain) {
    const roots = bindingUnits();
    const path = [];
    for (const u of chain) {
      path.unshift(u);
      if (roots.includes(u.name)) break; // the caller's own scope starts here
    }
    const nav = $('crumbs');
    nav.replaceChildren(...path.map((u, i) => (i === path.length - 1
      ? el('span', { 'aria-current': 'page' }, u.displayName)
      : unitLink(u.name, u.displayName))));
    nav.hidden = path.length < 2;
    return path[0];
  }

  // ---- Reading and showing the page --------------------------------------------------
  let loadSeq = 0;

  // Reads everything the page shows for the place in the URL, then shows it in one go.
  // `quiet` (a refresh): the old numbers stay up while the new ones are read.
  async function show(quiet) {
    const s = place();
    const seq = ++loadSeq;
    if (!quiet) clearErrors();
    document.body.dataset.loads = String(num(document.body.dataset.loads) + (quiet ? 0 : 1));
    if (!s.unit) {
      showPicked(null);
      $('report').hidden = true;
      $('status').textContent = 'Chọn đơn vị và ngày báo cáo.';
      document.body.dataset.state = 'ready';
      return;
    }
    const asOfAsked = s.dateText ? parseIso(s.dateText) : today();
    if (!asOfAsked) {
      showError(new Error('tham số date="' + s.dateText + '" không đúng dạng yyyy-MM-dd.'));
      document.body.dataset.state = 'error';
      return;
    }
    $('date').value = vnDate(asOfAsked);
    if (!quiet) {
      document.body.dataset.state = 'loading';
      $('report').hidden = true; // never the numbers of another unit or date under a new title
      $('status').textContent = 'Đang tải số liệu…';
      if (!view || view.s.unit !== s.unit || view.s.all !== s.all || view.s.filterKey !== s.filterKey || view.s.filterValue !== s.filterValue) {
        shown.byUnit = PAGE;
        shown.overdue = PAGE;
      }
    }
    try {
      const request = { unit: s.unit, groupBy: 'SUMMARY_GROUP_BY_CHILD_UNIT', asOf: asOfAsked };
      if (s.filterKey) request.filter = s.filterKey + ' = ' + quote(s.filterValue);
      // The summary first: its error (no such unit, out of scope) is the one to show.
      const summary = await call('ReportService/GetSummary', request);
      const [chain, choices, overdue] = await Promise.all([
        ancestry(s.unit),
        readFilterChoices(s.unit, asOfAsked),
        readOverdue(s),
      ]);
      if (seq !== loadSeq) return; // the reader has moved on
      const asOf = summary.asOf || asOfAsked;
      (summary.rows || []).forEach((r) => knownNames.set(r.unit, r.displayName));
      await renderOverdue(overdue, s, asOf);
      if (seq !== loadSeq) return;
      view = { s, summary, asOf, overdue, readAt: new Date() };
      showPicked(chain[0] || { name: s.unit, displayName: summary.displayName, code: s.unit.replace(/^units\//, '') });
      const root = renderCrumbs(chain) || chain[0] || { displayName: summary.displayName };
      renderFilterChoices(choices, s);
      $('report-title').textContent = summary.displayName + ' — tính đến ngày ' + vnDate(asOf);
      $('completed-line').textContent = summary.completedLine || '';
      $('status-line').textContent = summary.statusLine || '';
      $('filter-line').textContent = s.filterKey ? 'Chỉ tính các nhiệm vụ có ' + FILTER_NAMES[s.filterKey].toLowerCase() + ' “' + (s.filterValue || '(không có)') + '”.' : '';
      $('filter-line').hidden = !s.filterKey;
      $('overdue-all').checked = s.all;
      renderCards(summary.total || {});
      renderTable(summary, s);
      renderCentral(summary);
      $('report').hidden = false;
      renderChart(summary); // once shown: it is drawn at the width of its box
      $('print-agency').textContent = root.displayName;
      $('print-date').textContent = '……, ngày ' + pad(asOf.day, 2) + ' tháng ' + pad(asOf.month, 2) + ' năm ' + asOf.year;
      $('print-title').replaceChildren(el('strong', {}, 'BÁO CÁO'), el('br'),
        'Tình hình thực hiện nhiệm vụ Đề án 06 của ' + summary.displayName + ' tính đến ngày ' + vnDate(asOf));
      $('read-at').textContent = 'Số liệu đọc lúc ' + clock(view.readAt) + ' ngày ' + vnDate(today()) + '; tự cập nhật mỗi '
        + (refreshSeconds() % 60 ? refreshSeconds() + ' giây' : refreshSeconds() / 60 + ' phút') + '.';
      $('status').textContent = 'Số liệu của ' + summary.displayName + ' tính đến hết ngày ' + vnDate(asOf) + '.';
      if (quiet) {
        clearErrors();
        document.body.dataset.refreshed = String(num(document.body.dataset.refreshed) + 1);
      }
      document.body.dataset.state = 'ready';
    } catch (e) {
      if (seq !== loadSeq) return;
      showError(e);
      if (e instanceof ApiError && e.code === 'unauthenticated') return; // the login form is up
      if (quiet) return; // the last numbers stay, with the error above them
      $('status').textContent = '';
      document.body.dataset.state = 'error';
    }
  }

  // ---- Refreshing by itself ------------------------------------------------------------
  let refreshTimer = 0;
  function refreshSeconds() {
    const n = parseInt(new URLSearchParams(location.search).get('refresh') || '', 10);
    return Number.isFinite(n) && n >= 1 ? n : 60;
  }
  function startRefresh() {
    stopRefresh();
    refreshTimer = setInterval(() => {
      // Not while the tab is hidden, a report is being read, or an urge is being written.
      if (document.hidden || $('urge').open || $('report').hidden || document.body.dataset.state !== 'ready') return;
      show(true);
    }, refreshSeconds() * 1000);
  }
  function stopRefresh() {
    clearInterval(refreshTimer);
    refreshTimer = 0;
  }

  // The report picked in the form (the date), kept in the URL to share the link.
  function submit() {
    clearErrors();
    const text = $('date').value.trim();
    const asOf = text ? parseVn(text) : today();
    if (!place().unit) { showError(new Error('hãy chọn một đơn vị.')); return; }
    if (!asOf) { showError(new Error('ngày "' + text + '" không đúng dạng dd/MM/yyyy.')); return; }
    $('date').value = vnDate(asOf);
    go({ dateText: isoDate(asOf) }, true);
    show();
  }

  // The page as the URL asks for it; with no unit, the caller's own (its one binding).
  async function start() {
    const s = place();
    if (!s.unit) {
      const own = bindingUnits().filter((u) => u !== '*');
      if (own.length === 1) go({ unit: own[0] }, false);
    }
    startRefresh();
    await show();
  }

  async function init() {
    $('pick').addEventListener('submit', (e) => { e.preventDefault(); submit(); });
    $('login-form').addEventListener('submit', login);
    $('logout').addEventListener('click', logout);
    $('filter').addEventListener('change', () => {
      const [key, ...rest] = $('filter').value.split('=');
      go({ filterKey: key, filterValue: key ? rest.join('=') : '' }, true);
      show();
    });
    $('overdue-all').addEventListener('change', () => {
      go({ all: $('overdue-all').checked }, false);
      shown.overdue = PAGE;
      show(true);
    });
    for (const th of $('by-unit').tHead.rows[0].cells) {
      const button = el('button', { type: 'button', class: 'sort' }, th.textContent);
      button.addEventListener('click', () => {
        const s = place();
        const key = th.dataset.sort;
        // The first click on a number sorts the largest first; again reverses.
        const desc = s.sort === key ? !s.desc : key !== 'name';
        go({ sort: key, desc }, false);
        if (view) renderTable(view.summary, place());
      });
      th.replaceChildren(button);
    }
    $('by-unit-more').addEventListener('click', () => { shown.byUnit += PAGE; if (view) renderTable(view.summary, place()); });
    $('overdue-more').addEventListener('click', async () => {
      shown.overdue += PAGE;
      if (view) await renderOverdue(view.overdue, view.s, view.asOf).catch(showError);
    });
    $('download-summary').addEventListener('click', () => download('summary'));
    $('download-assignments').addEventListener('click', () => download('assignments'));
    $('print').addEventListener('click', () => window.print());
    $('urge-form').addEventListener('submit', sendUrge);
    $('urge-cancel').addEventListener('click', () => $('urge').close());
    $('urge').addEventListener('close', () => { if (document.body.dataset.state === 'ready') show(true); });
    const picker = $('unit-search');
    picker.addEventListener('focus', () => { picker.select(); search(false); });
    picker.addEventListener('input', () => { clearTimeout(searchTimer); searchTimer = setTimeout(() => search(false), 250); });
    picker.addEventListener('keydown', (e) => { if (e.key === 'Escape') closeResults(); });
    document.addEventListener('click', (e) => { if (!e.target.closest('.picker')) closeResults(); });
    window.addEventListener('popstate', () => { closeResults(); show(); });
    let resizeTimer = 0;
    window.addEventListener('resize', () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(() => { if (view && !$('report').hidden) renderChart(view.summary); }, 150);
    });
    onLoggedIn = start;
    document.body.dataset.state = 'loading';
    let answer;
    try {
      answer = await call('AccessService/WhoAmI', {});
    } catch (e) {
      if (e.code === 'unauthenticated') return; // the login form is up
      if (e.code !== 'unimplemented' && e.code !== 'not_found' && e.code !== 'HTTP 404') {
        showError(e);
        document.body.dataset.state = 'error';
        return;
      }
      answer = { method: 'none' }; // a server without AccessService: no authentication
    }
    showApp(answer);
    await start();
  }

  document.addEventListener('DOMContentLoaded', init);
})();
