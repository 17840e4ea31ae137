// The province dashboard (server/api/dashboard/) in headless Chromium against a fresh d06d
// with authentication required (its first administrator made by `d06d bootstrap-admin`):
// seeds a province through the Connect API with that token, opens /?unit=...&date=<today>,
// which asks for a token; a wrong one is refused in the form; the right one shows the
// report lines, the cards, the table and the chart by child unit and the overdue list,
// with no console error and no failed request (but the 401 that asked for the token); the
// token is in sessionStorage only (not localStorage, a cookie or the URL); then the date
// picker, logging out, a token revoked while logged in (the form comes back saying so) and
// an error shown in the page; and a d06d with --auth=off, where nothing is asked. Writes a
// full-page screenshot.
//
//   node tests/web/dashboard_test.mjs path/to/d06d [screenshot.png]
//
// The screenshot path may also come from $D06_DASHBOARD_SCREENSHOT. Needs Debian's chromium
// ($CHROMIUM overrides /usr/bin/chromium) and tests/web/node_modules (scripts/setup.sh).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const d06d = process.argv[2];
const screenshot = resolve(process.argv[3] || process.env.D06_DASHBOARD_SCREENSHOT || 'dashboard.png');
const chromium = process.env.CHROMIUM || '/usr/bin/chromium';
const TZ = 'Asia/Ho_Chi_Minh';

function fail(message) {
  console.error('FAIL: ' + message);
  process.exit(1);
}
if (!d06d || !existsSync(d06d)) fail(`usage: node dashboard_test.mjs path/to/d06d [screenshot.png] (got "${d06d}")`);
if (!existsSync(chromium)) {
  fail(`no Chromium at ${chromium}: run scripts/setup.sh (installs Debian's chromium) or set $CHROMIUM`);
}
let puppeteer;
try {
  puppeteer = (await import('puppeteer-core')).default;
} catch (e) {
  fail(`cannot load puppeteer-core (${e.message}): run scripts/setup.sh (npm ci in tests/web)`);
}

// ---- Dates: "today" is the date in Asia/Ho_Chi_Minh, as the server judges it ---------
function todayVn() {
  const p = {};
  new Intl.DateTimeFormat('en-GB', { timeZone: TZ, year: 'numeric', month: 'numeric', day: 'numeric' })
    .formatToParts(new Date()).forEach((x) => { p[x.type] = Number(x.value); });
  return { year: p.year, month: p.month, day: p.day };
}
function addDays(d, n) {
  const t = new Date(Date.UTC(d.year, d.month - 1, d.day + n));
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}
const pad = (n) => String(n).padStart(2, '0');
const iso = (d) => `${d.year}-${pad(d.month)}-${pad(d.day)}`;
const vn = (d) => `${pad(d.day)}/${pad(d.month)}/${d.year}`;

// ---- d06d --------------------------------------------------------------------------
const dataDir = mkdtempSync(join(tmpdir(), 'd06-dashboard-'));
// The first administrator; its token is the one line d06d prints on stdout.
let token;
try {
  token = execFileSync(d06d, ['bootstrap-admin', `--data_dir=${dataDir}`, '--name=Quản trị viên'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
} catch (e) {
  rmSync(dataDir, { recursive: true, force: true });
  fail(`d06d bootstrap-admin failed: ${e.stderr || e.message}`);
}
if (!/^d06_[A-Za-z0-9]+$/.test(token)) fail(`d06d bootstrap-admin printed "${token}", not a token`);
let server = null;
let serverLog = '';
let base = '';
let serverDir = dataDir;

// Starts d06d on `dir` with `flags` (authentication required unless they say otherwise:
// d06d's default); sets server, serverLog and base.
async function startServer(flags = [], dir = mkdtempSync(join(tmpdir(), 'd06-dashboard-'))) {
  serverDir = dir;
  serverLog = '';
  server = spawn(d06d, ['--listen=127.0.0.1:0', '--http_listen=127.0.0.1:0', '--metrics_listen=',
    `--data_dir=${dir}`, ...flags],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  const port = await new Promise((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error('d06d did not say its HTTP port within 20 s')), 20000);
    server.stderr.setEncoding('utf8');
    server.stderr.on('data', (chunk) => {
      serverLog += chunk;
      const m = /serving HTTP on port (\d+)/.exec(serverLog);
      if (m) { clearTimeout(timer); resolvePort(Number(m[1])); }
    });
    server.on('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`d06d exited (${code ?? signal})`)); });
  }).catch((e) => { rmSync(dir, { recursive: true, force: true }); fail(`${e.message}\n${serverLog}`); });
  base = `http://127.0.0.1:${port}`;
  return { base };
}

async function stopServer() {
  if (server && server.exitCode === null && server.signalCode === null) {
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    const timer = setTimeout(() => server.kill('SIGKILL'), 10000);
    await exited;
    clearTimeout(timer);
  }
  rmSync(serverDir, { recursive: true, force: true });
}

await startServer([], dataDir);

async function call(method, body, bearer = token) {
  const res = await fetch(`${base}/d06.v1.${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${bearer}` },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${JSON.stringify(body)}: HTTP ${res.status} ${text}`);
  return JSON.parse(text);
}

// ---- The seeded province -------------------------------------------------------------
// H52 and four departments; eight tasks led by three of them (H52.04 leads none):
//   H52.01: two completed on time, one overdue (in progress; H52.03 supports it, overdue too)
//   H52.02: one completed on time, one completed late, one recurring
//   H52.03: one overdue (not started), one in progress on time
const today = todayVn();
const PROVINCE = 'units/H52';
const DEPTS = [
  ['H52.01', 'Sở Tư pháp'],
  ['H52.02', 'Sở Khoa học và Công nghệ'],
  ['H52.03', 'Công an tỉnh'],
  ['H52.04', 'Sở Y tế'],
];
const TASKS = [
  { title: 'Rà soát, chuẩn hoá dữ liệu hộ tịch', lead: 'H52.01', days: 30, then: 'complete' },
  { title: 'Cấp phiếu lý lịch tư pháp trên VNeID', lead: 'H52.01', days: 10, then: 'complete' },
  { title: 'Số hoá hồ sơ, kết quả giải quyết thủ tục hành chính', lead: 'H52.01', days: -10, then: 'start', support: 'H52.03' },
  { title: 'Kết nối hệ thống thông tin giải quyết TTHC với CSDLQG về dân cư', lead: 'H52.02', days: 20, then: 'complete' },
  { title: 'Triển khai ký số trên thiết bị di động', lead: 'H52.02', days: -5, then: 'complete' },
  { title: 'Báo cáo tình hình thực hiện Đề án 06 hằng tháng', lead: 'H52.02', recurring: true },
  { title: 'Thu nhận hồ sơ cấp căn cước cho người dân', lead: 'H52.03', days: -3, then: null },
  { title: 'Kích hoạt tài khoản định danh điện tử mức 2', lead: 'H52.03', days: 15, then: 'start' },
];

async function seed() {
  await call('UnitService/CreateUnit', { unit: { code: 'H52', adminCode: '52', displayName: 'Tỉnh Bình Định', kind: 'UNIT_KIND_PROVINCE' } });
  for (const [code, name] of DEPTS) {
    await call('UnitService/CreateUnit', { unit: { code, displayName: name, kind: 'UNIT_KIND_DEPARTMENT', parent: PROVINCE } });
  }
  const overdue = [];
  for (const t of TASKS) {
    const deadline = t.recurring ? undefined : addDays(today, t.days);
    const assignments = [{ unit: `units/${t.lead}`, role: 'ASSIGNMENT_ROLE_LEAD' }];
    if (t.support) assignments.push({ unit: `units/${t.support}`, role: 'ASSIGNMENT_ROLE_SUPPORT' });
    const created = await call('TaskService/CreateTask', {
      task: {
        title: t.title, kind: t.recurring ? 'TASK_KIND_RECURRING' : 'TASK_KIND_ONE_OFF',
        assigningUnit: PROVINCE, deadline, labels: ['2026'],
        directive: { number: '52/KH-UBND', issuer: 'UBND tỉnh Bình Định' },
      },
      assignments,
    });
    const lead = created.assignments[0].name;
    if (t.then === 'start' || t.then === 'complete') await call('TaskService/StartAssignment', { name: lead });
    if (t.then === 'complete') {
      await call('TaskService/SubmitAssignment', { name: lead, note: 'Đã hoàn thành' });
      await call('TaskService/ApproveAssignment', { name: lead });
    }
    if (!t.recurring && t.days < 0 && t.then !== 'complete') {
      for (const a of created.assignments) overdue.push({ task: t.title, unit: a.unit, role: a.role, deadline });
    }
  }
  return overdue;
}

// What the page must show: the numbers of each department, as [total, completed, on time,
// late, in progress on time, overdue, recurring, completion %].
const EXPECTED_ROWS = {
  'units/H52': ['Tỉnh Bình Định (trực tiếp chủ trì)', '0', '0', '0', '0', '0', '0', '0', '0,0 %'],
  'units/H52.01': ['Sở Tư pháp', '3', '2', '2', '0', '0', '1', '0', '66,7 %'],
  'units/H52.02': ['Sở Khoa học và Công nghệ', '3', '2', '1', '1', '0', '0', '1', '66,7 %'],
  'units/H52.03': ['Công an tỉnh', '2', '0', '0', '0', '1', '1', '0', '0,0 %'],
  'units/H52.04': ['Sở Y tế', '0', '0', '0', '0', '0', '0', '0', '0,0 %'],
};
const EXPECTED_TOTAL = ['Tổng cộng', '8', '4', '3', '1', '1', '2', '1', '50,0 %'];
const EXPECTED_CARDS = {
  total: ['8', 'nhiệm vụ'],
  completedOnTime: ['3', '37,5 %'],
  completedLate: ['1', '12,5 %'],
  inProgressOnTime: ['1', '12,5 %'],
  overdue: ['2', '25,0 %'],
  recurring: ['1', '12,5 %'],
};

// ---- The browser ---------------------------------------------------------------------
// Collects what must not happen on a page: console errors, uncaught exceptions, failed or
// erroring requests, requests to anything but the server.
function watch(page, origin = base) {
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('request', (r) => { if (!r.url().startsWith(origin + '/')) problems.push(`external request: ${r.url()}`); });
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()} for ${r.url()}`); });
  return problems;
}

async function waitReady(page) {
  await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state), { timeout: 15000 });
  const state = await page.evaluate(() => document.body.dataset.state);
  if (state !== 'ready') {
    const error = await page.$eval('#error', (e) => e.textContent);
    throw new Error(`the page shows an error: ${error}`);
  }
}

// Asking for the token is a 401 of WhoAmI (Chromium logs it as a console error too): the
// only failed request a page may have.
const serious = (problems) => problems.filter((p) => !/\b401\b/.test(p));

// Waits for the login form; returns the error it shows ('' when none).
async function waitLogin(page) {
  await page.waitForFunction(() => document.body.dataset.state === 'login', { timeout: 15000 });
  assert.equal(await page.$eval('#login', (e) => e.hidden), false);
  assert.equal(await page.$eval('#pick', (e) => e.hidden), true);
  assert.equal(await page.$eval('#session', (e) => e.hidden), true);
  return page.$eval('#login-error', (e) => (e.hidden ? '' : e.textContent));
}

async function logIn(page, secret) {
  await page.$eval('#token', (e) => { e.value = ''; });
  await page.type('#token', secret);
  await page.click('#login-form button[type=submit]');
}

const texts = (page, selector) => page.$$eval(selector, (els) => els.map((e) => e.textContent.trim()));

let browser;
let page;
let failed = false;
try {
  const overdue = await seed();
  console.log(`seeded units/H52 on ${base}, today ${vn(today)}`);

  browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--lang=vi-VN'],
  });
  page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  const problems = watch(page);
  await page.goto(`${base}/?unit=${PROVINCE}&date=${iso(today)}`, { waitUntil: 'load' });

  // No token yet: the form, without an error.
  assert.equal(await waitLogin(page), '');
  assert.equal(await page.$eval('#report', (e) => e.hidden), true);
  // A wrong token: refused in the form, not kept.
  await logIn(page, 'd06_thisisnotatoken');
  await page.waitForFunction(() => !document.getElementById('login-error').hidden, { timeout: 15000 });
  assert.match(await page.$eval('#login-error', (e) => e.textContent), /Mã truy cập/);
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  // The right one: the report.
  await logIn(page, token);
  await waitReady(page);
  assert.equal(await page.$eval('#who', (e) => e.textContent), 'Quản trị viên');
  assert.equal(await page.$eval('#session', (e) => e.hidden), false);
  assert.equal(await page.$eval('#login', (e) => e.hidden), true);
  assert.equal(await page.evaluate(() => document.body.dataset.auth), 'token');
  // Kept in sessionStorage only.
  assert.deepEqual(await page.evaluate(() => Object.values(sessionStorage)), [token]);
  assert.equal(await page.evaluate(() => localStorage.length), 0);
  assert.deepEqual(await page.cookies(), []);
  assert.equal(await page.evaluate(() => document.cookie), '');
  assert.ok(!page.url().includes(token), 'the token is not in the URL');

  // The report lines, quoted from the server.
  assert.equal(await page.$eval('#report-title', (e) => e.textContent), `Tỉnh Bình Định — tính đến ngày ${vn(today)}`);
  const completedLine = await page.$eval('#completed-line', (e) => e.textContent);
  assert.match(completedLine, /^Tỉnh Bình Định đã hoàn thành 4\/8 nhiệm vụ \(50,0 ?%\)$/);
  assert.equal(await page.$eval('#status-line', (e) => e.textContent),
    'Tổng số 8 nhiệm vụ: đã hoàn thành 4; chưa hoàn thành 2; thực hiện thường xuyên 1; đang triển khai 1');
  assert.equal(await page.$eval('#date', (e) => e.value), vn(today));
  assert.equal(await page.$eval('#unit', (e) => e.value), PROVINCE);

  // The cards.
  const cards = await page.$$eval('#cards li', (els) => Object.fromEntries(els.map((e) =>
    [e.dataset.key, [e.querySelector('.value').textContent, e.querySelector('.percent').textContent]])));
  assert.deepEqual(cards, EXPECTED_CARDS);

  // The table by child unit: the province's own row first, then the departments by code.
  const rows = await page.$$eval('#by-unit tbody tr', (trs) => trs.map((tr) =>
    [tr.dataset.unit, [...tr.cells].map((c) => c.textContent.trim())]));
  assert.deepEqual(rows, Object.entries(EXPECTED_ROWS));
  assert.deepEqual(await texts(page, '#by-unit tfoot th, #by-unit tfoot td'), EXPECTED_TOTAL);
  assert.equal((await texts(page, '#by-unit thead th')).length, EXPECTED_TOTAL.length);

  // The chart: one bar per department (the province leads nothing itself), a text
  // alternative, segments sized by the counts.
  const bars = await page.$$eval('#chart svg g.bar', (gs) => gs.map((g) => ({
    unit: g.dataset.unit,
    parts: [...g.querySelectorAll('rect[data-part]')].map((r) => `${r.dataset.part}:${Math.round(Number(r.getAttribute('width')))}`),
    pct: g.querySelector('text.pct').textContent,
  })));
  assert.deepEqual(bars.map((b) => b.unit), ['units/H52.01', 'units/H52.02', 'units/H52.03', 'units/H52.04']);
  assert.deepEqual(bars.map((b) => b.pct), ['66,7 %', '66,7 %', '0,0 %', '—']);
  assert.deepEqual(bars[0].parts, ['completedOnTime:253', 'overdue:127']);
  assert.deepEqual(bars[3].parts, []);
  assert.equal(await page.$eval('#chart svg', (s) => s.getAttribute('role')), 'img');
  assert.match(await page.$eval('#chart svg desc', (d) => d.textContent), /Sở Tư pháp: đã hoàn thành 2\/3 \(66,7 %\)/);

  // The overdue assignments, ordered by deadline, with units, roles and dd/MM/yyyy deadlines.
  const names = { 'units/H52.01': 'Sở Tư pháp', 'units/H52.03': 'Công an tỉnh' };
  const roles = { ASSIGNMENT_ROLE_LEAD: 'Chủ trì', ASSIGNMENT_ROLE_SUPPORT: 'Phối hợp' };
  const overdueRows = await page.$$eval('#overdue tbody tr', (trs) => trs.map((tr) =>
    [...tr.cells].slice(0, 4).map((c) => c.textContent.trim())));
  overdue.sort((a, b) => iso(a.deadline).localeCompare(iso(b.deadline)));
  assert.deepEqual(overdueRows, overdue.map((o) => [o.task, names[o.unit], roles[o.role],
    `${vn(o.deadline)} (quá ${Math.round((Date.UTC(today.year, today.month - 1, today.day) -
      Date.UTC(o.deadline.year, o.deadline.month - 1, o.deadline.day)) / 86400000)} ngày)`]));
  assert.equal(overdueRows.length, 3);

  assert.deepEqual(serious(problems), [], 'no console errors or failed requests');
  mkdirSync(dirname(screenshot), { recursive: true });
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(`screenshot: ${screenshot}`);

  // The date picker: yesterday, before anything was created, shows nothing, and the URL
  // follows.
  const yesterday = addDays(today, -1);
  await page.$eval('#date', (e) => { e.value = ''; });
  await page.type('#date', vn(yesterday));
  await Promise.all([page.waitForFunction(() => document.body.dataset.state === 'loading'), page.click('#pick button[type=submit]')]);
  await waitReady(page);
  assert.match(await page.$eval('#completed-line', (e) => e.textContent), /đã hoàn thành 0\/0 nhiệm vụ/);
  assert.equal(await page.$eval('#report-title', (e) => e.textContent), `Tỉnh Bình Định — tính đến ngày ${vn(yesterday)}`);
  assert.equal(new URL(page.url()).searchParams.get('date'), iso(yesterday));
  assert.deepEqual(serious(problems), [], 'no console errors or failed requests');

  // Logging out forgets the token and asks again.
  await page.click('#logout');
  assert.equal(await waitLogin(page), '');
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);

  // A token revoked while logged in: the next call is refused, the form says why.
  const expireTime = new Date(Date.now() + 86400000).toISOString();
  const created = await call('AccessService/CreateToken',
    { parent: 'principals/admin', token: { displayName: 'dashboard test', expireTime } });
  await logIn(page, created.secret);
  await waitReady(page);
  await call('AccessService/RevokeToken', { name: created.token.name });
  await Promise.all([page.waitForFunction(() => document.body.dataset.state !== 'ready'), page.click('#pick button[type=submit]')]);
  assert.match(await waitLogin(page), /thu hồi/);
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  await page.close();
  page = null;

  // An error of the API is shown in the page, with its Connect code. (A new tab: a new
  // sessionStorage, so the token is asked for again.)
  const bad = await browser.newPage();
  await bad.goto(`${base}/?unit=units/H99&date=${iso(today)}`, { waitUntil: 'load' });
  await waitLogin(bad);
  await logIn(bad, token);
  await bad.waitForFunction(() => document.body.dataset.state === 'error', { timeout: 15000 });
  assert.match(await bad.$eval('#error', (e) => e.textContent), /ReportService\/GetSummary: .*\(not_found\)/);
  assert.equal(await bad.$eval('#error', (e) => e.hidden), false);
  await bad.close();

  // A 429 (the principal is over its rate budget) is said plainly, with the wait from
  // Retry-After. (The server's side of it: tests/integration/limits_test.cc.)
  const busy = await browser.newPage();
  await busy.setRequestInterception(true);
  busy.on('request', (r) => {
    if (!r.url().endsWith('/d06.v1.ReportService/GetSummary')) return r.continue();
    return r.respond({
      status: 429,
      headers: { 'Retry-After': '7' },
      contentType: 'application/json',
      body: JSON.stringify({
        code: 'resource_exhausted',
        message: 'principals/admin has used its budget of reads (admin: 50 a second, bursts of 200); retry in 6.2s',
        details: [{ type: 'd06.v1.ErrorInfo', value: '', debug: { reason: 'RATE_LIMITED' } }],
      }),
    });
  });
  await busy.goto(`${base}/?unit=${PROVINCE}&date=${iso(today)}`, { waitUntil: 'load' });
  await waitLogin(busy);
  await logIn(busy, token);
  await busy.waitForFunction(() => document.body.dataset.state === 'error', { timeout: 15000 });
  assert.equal(await busy.$eval('#error', (e) => e.textContent), 'Quá nhiều yêu cầu, vui lòng thử lại sau 7 giây.');
  await busy.close();

  // With --auth=off (development) nothing is asked: WhoAmI answers method "none".
  await stopServer();
  const off = await startServer(['--auth=off']);
  const open = await browser.newPage();
  const openProblems = watch(open, off.base);
  await open.goto(`${off.base}/`, { waitUntil: 'load' });
  await waitReady(open);
  assert.equal(await open.evaluate(() => document.body.dataset.auth), 'off');
  assert.equal(await open.$eval('#login', (e) => e.hidden), true);
  assert.equal(await open.$eval('#session', (e) => e.hidden), true);
  assert.equal(await open.$eval('#pick', (e) => e.hidden), false);
  assert.deepEqual(openProblems, [], 'no 401, no console errors with --auth=off');
  console.log('PASS: web_dashboard');
} catch (e) {
  failed = true;
  console.error('FAIL:', e);
  if (serverLog) console.error(`--- d06d stderr ---\n${serverLog}`);
  if (page) {
    // What the page showed when it failed.
    mkdirSync(dirname(screenshot), { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true }).then(() => console.error(`screenshot: ${screenshot}`), () => {});
  }
} finally {
  if (browser) await browser.close().catch(() => {});
  await stopServer();
}
process.exit(failed ? 1 : 0);
