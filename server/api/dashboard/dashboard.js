// The province dashboard of d06: a unit and a date in, the report lines, a table and a
// chart by child unit and the overdue assignments out. It calls only the public Connect
// API of the server that serves it (POST /d06.v1.<Service>/<Method>, protojson), and
// builds every element with textContent (no HTML from data). ?unit=units/H29&date=2026-11-30
// preselects; <body data-state> is "loading", "ready", "error" or "login" (for tests).
//
// Authentication: on load it asks AccessService/WhoAmI who it is. With d06d --auth=off
// (method "none") it never asks for anything. Otherwise a 401 shows a form asking for a
// token once; the token is kept in sessionStorage only (this tab, until it is closed or
// "Đăng xuất"; never localStorage, a cookie or a URL) and sent as "Authorization: Bearer
// ..." on every call. A 401 later (token revoked or expired) forgets it and asks again,
// saying why. <body data-auth> is "off", "token" or "login". A 429 (the token's
// principal is over its rate budget, or the server is busy) is shown plainly: "Quá nhiều
// yêu cầu, vui lòng thử lại sau N giây." with N from Retry-After.
'use strict';
(() => {
  const TZ = 'Asia/Ho_Chi_Minh';
  const SVG = 'http://www.w3.org/2000/svg';
  const $ = (id) => document.getElementById(id);
  const units = new Map(); // "units/H29" -> Unit
  const TOKEN_KEY = 'd06.token'; // in sessionStorage

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

  // One call; `token` overrides the stored one (a token being tried at login). A 401
  // (after login) forgets the token and shows the login form with the reason.
  async function call(method, body, token) {
    const t = token === undefined ? storedToken() : token;
    const headers = { 'Content-Type': 'application/json', 'Connect-Protocol-Version': '1' };
    if (t) headers.Authorization = 'Bearer ' + t;
    let res;
    try {
      res = await fetch('/d06.v1.' + method, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch (e) {
      throw new ApiError(method, 'unavailable', 'không kết nối được máy chủ (' + e.message + ')');
    }
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : {}; } catch (e) { /* not JSON: data stays null */ }
    if (!res.ok || data === null) {
      const code = (data && data.code) || 'HTTP ' + res.status;
      const message = (data && data.message) || text || res.statusText;
      const detail = data && Array.isArray(data.details) ? data.details.find((d) => d && d.debug) : null;
      const plain = res.status === 429
        ? 'Quá nhiều yêu cầu, vui lòng thử lại sau ' + retrySeconds(res) + ' giây.'
        : '';
      const error = new ApiError(method, code, message, detail ? detail.debug.reason : '', plain);
      if (res.status === 401 && token === undefined) showLogin(error);
      throw error;
    }
    return data;
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

  const STATES = {
    ASSIGNMENT_STATE_NOT_STARTED: 'Chưa triển khai',
    ASSIGNMENT_STATE_IN_PROGRESS: 'Đang triển khai',
    ASSIGNMENT_STATE_PENDING_ACCEPTANCE: 'Chờ xác nhận',
    ASSIGNMENT_STATE_COMPLETED: 'Hoàn thành',
    ASSIGNMENT_STATE_DECLINED: 'Từ chối',
    ASSIGNMENT_STATE_REVOKED: 'Đã thu hồi',
  };
  const ROLES = { ASSIGNMENT_ROLE_LEAD: 'Chủ trì', ASSIGNMENT_ROLE_SUPPORT: 'Phối hợp' };
  // The parts of the total, in the order of the cards and of the chart's segments.
  const PARTS = [
    { key: 'completedOnTime', label: 'Hoàn thành đúng hạn', color: '#2e7d32' },
    { key: 'completedLate', label: 'Hoàn thành quá hạn', color: '#9ccc65' },
    { key: 'inProgressOnTime', label: 'Đang triển khai trong hạn', color: '#1e88e5' },
    { key: 'overdue', label: 'Chưa hoàn thành, quá hạn', color: '#d32f2f' },
    { key: 'recurring', label: 'Thực hiện thường xuyên', color: '#9e9e9e' },
  ];

  // ---- DOM helpers -----------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const node = tag.startsWith('svg:') ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const c of children) node.append(c instanceof Node ? c : String(c));
    return node;
  }
  const unitName = (name) => (units.get(name) ? units.get(name).displayName : name);

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
    document.body.dataset.auth = 'login';
    document.body.dataset.state = 'login';
    $('session').hidden = true;
    $('pick').hidden = true;
    $('report').hidden = true;
    $('status').hidden = true;
    clearErrors();
    const message = why ? refusal(why) : '';
    $('login-error').textContent = message;
    $('login-error').hidden = !message;
    $('login').hidden = false;
    $('token').value = '';
    $('token').focus();
  }

  // Shows the page for a WhoAmI answer: who is logged in (or nothing with auth off).
  function showApp(me) {
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
    let me;
    try {
      me = await call('AccessService/WhoAmI', {}, token);
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
    showApp(me);
    if (onLoggedIn) onLoggedIn();
  }

  function logout() {
    units.clear();
    $('unit').replaceChildren();
    showLogin(null);
  }

  // Errors stay on the page (one line each) until the next report is asked for. A 401
  // has shown the login form instead.
  function showError(e) {
    if (e instanceof ApiError && e.code === 'unauthenticated') return;
    const box = $('error');
    box.append(el('p', {}, e instanceof ApiError
      ? (e.plain || 'Lỗi khi gọi ' + e.method + ': ' + e.message + ' (' + e.code + ')')
      : 'Lỗi: ' + (e && e.message ? e.message : String(e))));
    box.hidden = false;
  }
  function clearErrors() {
    $('error').replaceChildren();
    $('error').hidden = true;
  }

  // ---- The unit picker ---------------------------------------------------------------
  async function loadUnits(selected) {
    const { items } = await listAll('UnitService/ListUnits', { pageSize: 1000 }, 'units', 100000);
    items.forEach((u) => units.set(u.name, u));
    const depth = (u) => { let n = 0; for (let p = u.parent; p && units.has(p) && n < 50; p = units.get(p).parent) n++; return n; };
    const select = $('unit');
    select.replaceChildren(el('option', { value: '' }, '— Chọn đơn vị —'));
    for (const u of items) {
      const gone = u.state && u.state !== 'UNIT_STATE_ACTIVE' ? ' (không còn hoạt động)' : '';
      select.append(el('option', { value: u.name }, '\u00a0\u00a0'.repeat(depth(u)) + u.displayName + ' (' + u.code + ')' + gone));
    }
    if (selected && !units.has(selected)) select.append(el('option', { value: selected }, selected));
    select.value = selected || '';
  }

  // ---- The report ------------------------------------------------------------------
  function renderCards(t) {
    const cards = [{ key: 'total', label: 'Tổng số nhiệm vụ', value: t.total, percent: null }].concat(
      PARTS.map((p) => ({ key: p.key, label: p.label, value: t[p.key], percent: share(t[p.key], t.total) })));
    $('cards').replaceChildren(...cards.map((c) => el('li', { 'data-key': c.key },
      el('span', { class: 'label' }, c.label),
      el('span', { class: 'value' }, int(c.value)),
      el('span', { class: 'percent' }, c.percent === null ? 'nhiệm vụ' : pct(c.percent)))));
  }

  function countCells(c) {
    return [c.total, c.completed].map((v) => el('td', {}, int(v))).concat(
      PARTS.map((p) => el('td', {}, int(c[p.key]))),
      [el('td', {}, pct(c.completedPercent))]);
  }

  function renderTable(summary) {
    const rows = summary.rows || [];
    $('by-unit').tBodies[0].replaceChildren(...rows.map((r) => el('tr', { 'data-unit': r.unit },
      el('th', { scope: 'row' }, r.own ? r.displayName + ' (trực tiếp chủ trì)' : r.displayName),
      ...countCells(r.counts || {}))));
    $('by-unit').tFoot.replaceChildren(el('tr', {},
      el('th', { scope: 'row' }, 'Tổng cộng'), ...countCells(summary.total || {})));
  }

  // Stacked bars, one per child unit (and the unit's own tasks when it leads any): the
  // parts of its total, with the completion percentage at the end.
  function renderChart(summary) {
    const rows = (summary.rows || []).filter((r) => !r.own || num((r.counts || {}).total) > 0);
    if (!rows.length) {
      $('chart').replaceChildren(el('p', { class: 'hint' }, 'Đơn vị không có đơn vị trực thuộc.'));
      return;
    }
    const label = 230, bar = 380, rowH = 30, top = 6, width = label + bar + 90;
    const height = top * 2 + rows.length * rowH;
    const desc = rows.map((r) => {
      const c = r.counts || {};
      return r.displayName + ': đã hoàn thành ' + int(c.completed) + '/' + int(c.total) + ' (' + pct(c.completedPercent) + ')';
    }).join('; ');
    const svg = el('svg:svg', { viewBox: '0 0 ' + width + ' ' + height, width: width, height: height,
      role: 'img', 'aria-labelledby': 'chart-svg-title chart-svg-desc' },
    el('svg:title', { id: 'chart-svg-title' }, 'Tỷ lệ hoàn thành nhiệm vụ theo đơn vị trực thuộc'),
    el('svg:desc', { id: 'chart-svg-desc' }, desc + '. Số liệu đầy đủ ở bảng theo đơn vị trực thuộc.'));
    rows.forEach((r, i) => {
      const c = r.counts || {};
      const y = top + i * rowH;
      const name = r.own ? r.displayName + ' (trực tiếp)' : r.displayName;
      const g = el('svg:g', { class: 'bar', 'data-unit': r.unit },
        el('svg:title', {}, name + ': đã hoàn thành ' + int(c.completed) + '/' + int(c.total) + ' nhiệm vụ'),
        el('svg:text', { x: label - 8, y: y + rowH / 2, 'text-anchor': 'end', 'dominant-baseline': 'middle' },
          name.length > 32 ? name.slice(0, 31) + '…' : name),
        el('svg:rect', { x: label, y: y + 5, width: bar, height: rowH - 10, class: 'track' }));
      let x = label;
      for (const p of PARTS) {
        const w = num(c.total) ? (bar * num(c[p.key])) / num(c.total) : 0;
        if (w > 0) {
          g.append(el('svg:rect', { x: x, y: y + 5, width: w, height: rowH - 10, fill: p.color, 'data-part': p.key },
            el('svg:title', {}, name + ' — ' + p.label.toLowerCase() + ': ' + int(c[p.key]))));
        }
        x += w;
      }
      g.append(el('svg:text', { x: label + bar + 8, y: y + rowH / 2, 'dominant-baseline': 'middle', class: 'pct' },
        num(c.total) ? pct(c.completedPercent) : '—'));
      svg.append(g);
    });
    const legend = el('ul', { class: 'legend' }, ...PARTS.map((p) => {
      const swatch = el('span', { class: 'swatch' });
      swatch.style.background = p.color;  // CSSOM: allowed by the page's CSP, a style attribute is not
      return el('li', {}, swatch, p.label);
    }));
    $('chart').replaceChildren(svg, el('figcaption', {}, legend,
      'Mỗi thanh là toàn bộ nhiệm vụ của một đơn vị, chia theo tình trạng; con số bên phải là tỷ lệ đã hoàn thành.'));
  }

  async function renderOverdue(unit, asOf) {
    const now = today();
    const { items, more } = await listAll('TaskService/ListAssignments',
      { parent: 'tasks/-', pageSize: 200, filter: 'unit_tree = "' + unit + '" AND timeliness = OVERDUE' },
      'assignments', 500);
    const taskNames = [...new Set(items.map((a) => a.name.split('/assignments/')[0]))];
    const titles = new Map();
    for (let i = 0; i < taskNames.length; i += 8) {
      const tasks = await Promise.all(taskNames.slice(i, i + 8).map((n) => call('TaskService/GetTask', { name: n })));
      tasks.forEach((t) => titles.set(t.task.name, t.task.title));
    }
    $('overdue-note').textContent = (dayNumber(asOf) === dayNumber(now) ? '' : 'Danh sách tính đến hôm nay (' + vnDate(now) + '), không phải ngày báo cáo. ')
      + 'Gồm cả đơn vị chủ trì và phối hợp: ' + int(items.length) + (more ? '+' : '') + ' phân công.';
    const body = $('overdue').tBodies[0];
    if (!items.length) {
      body.replaceChildren(el('tr', {}, el('td', { colspan: 6, class: 'empty' }, 'Không có nhiệm vụ quá hạn.')));
      return;
    }
    body.replaceChildren(...items.map((a) => {
      const task = a.name.split('/assignments/')[0];
      const late = dayNumber(now) - dayNumber(a.deadline);
      return el('tr', { 'data-assignment': a.name },
        el('td', {}, titles.get(task) || task),
        el('td', {}, unitName(a.unit)),
        el('td', {}, ROLES[a.role] || a.role || ''),
        el('td', { class: 'deadline' }, el('time', { datetime: isoDate(a.deadline) }, vnDate(a.deadline)),
          el('span', { class: 'late' }, ' (quá ' + late + ' ngày)')),
        el('td', {}, STATES[a.state] || a.state || ''),
        el('td', {}, num(a.progressPercent) + ' %'));
    }));
  }

  async function load(unit, asOf) {
    document.body.dataset.state = 'loading';
    $('report').hidden = true; // never the numbers of another unit or date under a new title
    $('status').textContent = 'Đang tải số liệu…';
    try {
      const request = { unit, groupBy: 'SUMMARY_GROUP_BY_CHILD_UNIT' };
      if (asOf) request.asOf = asOf;
      const summary = await call('ReportService/GetSummary', request);
      const date = summary.asOf || asOf || today();
      $('report-title').textContent = summary.displayName + ' — tính đến ngày ' + vnDate(date);
      $('completed-line').textContent = summary.completedLine || '';
      $('status-line').textContent = summary.statusLine || '';
      renderCards(summary.total || {});
      renderTable(summary);
      renderChart(summary);
      $('report').hidden = false;
      await renderOverdue(unit, date);
      $('status').textContent = 'Số liệu của ' + summary.displayName + ' tính đến hết ngày ' + vnDate(date) + '.';
      document.body.dataset.state = 'ready';
    } catch (e) {
      showError(e);
      if (e instanceof ApiError && e.code === 'unauthenticated') return; // the login form is up
      $('status').textContent = '';
      document.body.dataset.state = 'error';
    }
  }

  // Shows the report picked in the form, and keeps it in the URL (to share the link).
  function submit() {
    clearErrors();
    const unit = $('unit').value;
    const text = $('date').value.trim();
    const asOf = text ? parseVn(text) : today();
    if (!unit) { showError(new Error('hãy chọn một đơn vị.')); return; }
    if (!asOf) { showError(new Error('ngày "' + text + '" không đúng dạng dd/MM/yyyy.')); return; }
    $('date').value = vnDate(asOf);
    history.replaceState(null, '', '?' + new URLSearchParams({ unit, date: isoDate(asOf) }));
    load(unit, asOf);
  }

  // The page as the URL asks for it: the units, and the report when a unit is named.
  async function start() {
    const params = new URLSearchParams(location.search);
    const unit = params.get('unit') || '';
    const asOf = params.has('date') ? parseIso(params.get('date')) : today();
    $('date').value = vnDate(asOf || today());
    const unitsLoaded = loadUnits(unit).catch(showError);
    if (params.has('date') && !asOf) {
      showError(new Error('tham số date="' + params.get('date') + '" không đúng dạng yyyy-MM-dd.'));
      document.body.dataset.state = 'error';
      return;
    }
    await unitsLoaded; // unit names for the overdue list
    if (document.body.dataset.auth === 'login') return; // a 401: the login form is up
    if (!unit) {
      document.body.dataset.state = 'ready';
      return;
    }
    await load(unit, asOf);
  }

  async function init() {
    $('pick').addEventListener('submit', (e) => { e.preventDefault(); submit(); });
    $('unit').addEventListener('change', submit);
    $('login-form').addEventListener('submit', login);
    $('logout').addEventListener('click', logout);
    onLoggedIn = start;
    document.body.dataset.state = 'loading';
    let me;
    try {
      me = await call('AccessService/WhoAmI', {});
    } catch (e) {
      if (e.code === 'unauthenticated') return; // the login form is up
      if (e.code !== 'unimplemented' && e.code !== 'not_found' && e.code !== 'HTTP 404') {
        showError(e);
        document.body.dataset.state = 'error';
        return;
      }
      me = { method: 'none' }; // a server without AccessService: no authentication
    }
    showApp(me);
    await start();
  }

  document.addEventListener('DOMContentLoaded', init);
})();
