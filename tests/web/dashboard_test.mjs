// The province dashboard (server/api/dashboard/) in headless Chromium against a fresh d06d
// with authentication required (its first administrator made by `d06d bootstrap-admin`):
// seeds a province through the Connect API with that token, opens /?unit=...&date=<today>,
// which asks for a token; a wrong one is refused in the form; the right one shows the
// report lines, the cards, the table and the chart by child unit and the overdue tasks
// (and, with the switch, assignments), with no console error and no failed request (but
// the 401 that asked for the token); the token is in sessionStorage only (not
// localStorage, a cookie or the URL).
// Then a coordinator's morning in a second province of 28 units and 150 tasks, at
// 1366x768 and 390x844: the overdue list's count equals the card (by task; every
// assignment with the switch, by days late), sorting, the filters by category, directive
// and label, drilling down by a row and a bar and back, the breadcrumb, the central form
// against the API, urging from a row (a refusal shown, then sent), the downloads read by
// openpyxl, print media with the header of a Vietnamese report, refreshing in place, a viewer not offered to
// urge, and on the phone no horizontal overflow, tables as cards, chart text >= 11 px,
// lists paged and the unit picker's server-side search.
// Then the date picker (and the unit picker's names of that date), logging out, a token revoked while logged in (the form comes back
// saying so) and an error shown in the page; and a d06d with --auth=off, where nothing is
// asked. Writes a full-page screenshot, and dashboard-{laptop,phone,print}.png beside it
// (or in $D06_SCREENSHOTS: `D06_SCREENSHOTS=docs/screenshots` refreshes the README's).
//
//   node tests/web/dashboard_test.mjs path/to/d06d [screenshot.png]
//
// The screenshot path may also come from $D06_DASHBOARD_SCREENSHOT. Needs Debian's chromium
// ($CHROMIUM overrides /usr/bin/chromium) and tests/web/node_modules (scripts/setup.sh).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const d06d = process.argv[2];
const screenshot = resolve(process.argv[3] || process.env.D06_DASHBOARD_SCREENSHOT || 'dashboard.png');
const chromium = process.env.CHROMIUM || '/usr/bin/chromium';
// The screenshots for the README (docs/screenshots/): beside the first one unless
// $D06_SCREENSHOTS names a directory. Python with openpyxl reads the downloaded files.
const shots = resolve(process.env.D06_SCREENSHOTS || dirname(screenshot));
const python3 = process.env.D06_PYTHON3 || '/usr/bin/python3';
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
    // Without this test's own D06_ variables, which d06d would read as flags.
    { stdio: ['ignore', 'ignore', 'pipe'], env: Object.fromEntries(Object.entries(process.env)
      .filter(([k]) => !['D06_SCREENSHOTS', 'D06_PYTHON3', 'D06_DASHBOARD_SCREENSHOT'].includes(k))) });
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

// The administrator seeds a province of 150 tasks: its write budget is raised; everyone
// else keeps the default budgets (a viewer's dashboard must fit in them).
await startServer(['--rate_limits=admin=1000/5000:1000/5000'], dataDir);

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
  'units/H52': ['Tỉnh Bình Định (trực tiếp chủ trì)', '0', '0', '0', '0', '0', '0', '0', '—'],
  'units/H52.01': ['Sở Tư pháp', '3', '2', '2', '0', '0', '1', '0', '66,7 %'],
  'units/H52.02': ['Sở Khoa học và Công nghệ', '3', '2', '1', '1', '0', '0', '1', '66,7 %'],
  'units/H52.03': ['Công an tỉnh', '2', '0', '0', '0', '1', '1', '0', '0,0 %'],
  'units/H52.04': ['Sở Y tế', '0', '0', '0', '0', '0', '0', '0', '—'],
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

// ---- A coordinator's morning: a province of 28 units and 150 tasks -------------------
// H53: twelve departments and three districts of four communes each; Huyện Lý Sơn
// (H53.22) and its communes lead only recurring tasks. The tasks spread over the other
// units with deadlines from 40 days ago to 59 days ahead, a third with a coordinating
// unit (that never starts: overdue with its deadline, whatever its lead did), a third of
// the leads completed and a sixth started.
const Q = 'units/H53';
const Q_UNITS = [
  ['H53', 'Tỉnh Quảng Ngãi', 'UNIT_KIND_PROVINCE', ''],
  ...['Công an tỉnh', 'Sở Tư pháp', 'Sở Y tế', 'Sở Giáo dục và Đào tạo', 'Sở Khoa học và Công nghệ',
    'Sở Lao động - Thương binh và Xã hội', 'Sở Tài nguyên và Môi trường', 'Sở Giao thông vận tải',
    'Sở Kế hoạch và Đầu tư', 'Sở Thông tin và Truyền thông', 'Sở Nội vụ', 'Văn phòng Ủy ban nhân dân tỉnh']
    .map((name, i) => [`H53.${pad(i + 1)}`, name, 'UNIT_KIND_DEPARTMENT', 'H53']),
  ['H53.20', 'Thành phố Quảng Ngãi', 'UNIT_KIND_DISTRICT', 'H53'],
  ['H53.21', 'Huyện Bình Sơn', 'UNIT_KIND_DISTRICT', 'H53'],
  ['H53.22', 'Huyện Lý Sơn', 'UNIT_KIND_DISTRICT', 'H53'],
  ...['Phường Trần Phú', 'Phường Nghĩa Chánh', 'Xã Tịnh Long', 'Xã Nghĩa Dũng']
    .map((name, i) => [`H53.20.${pad(i + 1)}`, name, 'UNIT_KIND_COMMUNE', 'H53.20']),
  ...['Xã Bình Châu', 'Xã Bình Hải', 'Thị trấn Châu Ổ', 'Xã Bình Thạnh']
    .map((name, i) => [`H53.21.${pad(i + 1)}`, name, 'UNIT_KIND_COMMUNE', 'H53.21']),
  ...['Xã An Vĩnh', 'Xã An Hải', 'Xã An Bình', 'Xã Bắc Lý Sơn']
    .map((name, i) => [`H53.22.${pad(i + 1)}`, name, 'UNIT_KIND_COMMUNE', 'H53.22']),
];
const CATEGORIES = ['Dữ liệu dân cư', 'Dịch vụ công', 'Định danh điện tử', 'Chuyển đổi số'];
const DIRECTIVES = ['06/QĐ-TTg', '52/KH-UBND', '128/KH-UBND'];

// The tasks, with what the page must count: `overdue` (the report's: a one-off task whose
// lead is not completed, deadline passed) and `overdueAssignments` (every assignment so).
function provinceTasks() {
  const pool = Q_UNITS.map((u) => u[0]).filter((c) => c !== 'H53' && !c.startsWith('H53.22'));
  const list = [];
  for (let i = 0; i < 145; i++) {
    const recurring = i % 10 === 9;
    const t = {
      title: `Nhiệm vụ ${i + 1}: ${CATEGORIES[i % 4].toLowerCase()} năm 2026`,
      lead: pool[i % pool.length],
      supports: recurring ? [] : [...(i % 3 === 0 ? [pool[(i + 5) % pool.length]] : []), ...(i % 7 === 0 ? [pool[(i + 11) % pool.length]] : [])],
      recurring,
      days: ((i * 37) % 100) - 40,
      then: recurring ? null : ['complete', 'complete', 'start', 'start', null, null][i % 6],
      category: CATEGORIES[i % 4],
      directive: DIRECTIVES[(i >> 1) % 3],
      labels: i % 5 === 0 ? ['2026', 'trọng tâm'] : ['2026'],
    };
    if (t.then === 'start' && i % 12 === 2) t.then = null;
    list.push(t);
  }
  for (const code of ['H53.22', 'H53.22.01', 'H53.22.02', 'H53.22.03', 'H53.22.04']) {
    list.push({ title: `Báo cáo định kỳ Đề án 06 của ${code}`, lead: code, supports: [], recurring: true,
      category: 'Chuyển đổi số', directive: '06/QĐ-TTg', labels: ['2026'] });
  }
  return list;
}

async function seedProvince() {
  for (const [code, displayName, kind, parent] of Q_UNITS) {
    await call('UnitService/CreateUnit', { unit: { code, displayName, kind, ...(parent ? { parent: `units/${parent}` } : { adminCode: '51' }) } });
  }
  const list = provinceTasks();
  const one = async (t) => {
    const deadline = t.recurring ? undefined : addDays(today, t.days);
    const created = await call('TaskService/CreateTask', {
      task: {
        title: t.title, kind: t.recurring ? 'TASK_KIND_RECURRING' : 'TASK_KIND_ONE_OFF',
        assigningUnit: Q, deadline, labels: t.labels, category: t.category,
        directive: { number: t.directive, issuer: 'UBND tỉnh Quảng Ngãi' },
      },
      assignments: [{ unit: `units/${t.lead}`, role: 'ASSIGNMENT_ROLE_LEAD' },
        ...t.supports.map((u) => ({ unit: `units/${u}`, role: 'ASSIGNMENT_ROLE_SUPPORT' }))],
    });
    t.name = created.task.name;
    t.leadName = created.assignments[0].name;
    if (t.then) await call('TaskService/StartAssignment', { name: t.leadName });
    if (t.then === 'complete') {
      await call('TaskService/SubmitAssignment', { name: t.leadName, note: 'Đã hoàn thành' });
      await call('TaskService/ApproveAssignment', { name: t.leadName });
    }
  };
  for (let i = 0; i < list.length; i += 8) await Promise.all(list.slice(i, i + 8).map(one));
  const past = (t) => !t.recurring && t.days < 0;
  return {
    list,
    overdue: list.filter((t) => past(t) && t.then !== 'complete'),
    overdueAssignments: list.filter(past).reduce((n, t) => n + (t.then !== 'complete' ? 1 : 0) + t.supports.length, 0),
  };
}

// Opens the dashboard at `path` in a new tab of `viewport`, logged in with `secret`.
async function openAs(path, secret, viewport) {
  const tab = await browser.newPage();
  await tab.setViewport(viewport);
  const problems = watch(tab);
  await tab.goto(base + path, { waitUntil: 'load' });
  await waitLogin(tab);
  await logIn(tab, secret);
  await waitReady(tab).catch(async (e) => {
    const state = await tab.evaluate(() => `${document.body.dataset.state}: ${document.getElementById('error').textContent}`);
    await tab.screenshot({ path: join(shots, 'failed.png') }).catch(() => {});
    throw new Error(`${path} at ${viewport.width} px: ${e.message}; the page is ${state}; ${problems.join('; ')}`);
  });
  return { tab, problems };
}

// Does something that makes the page read a report again (data-loads counts them), and
// waits for the report.
async function andWait(tab, action) {
  const loads = await tab.evaluate(() => Number(document.body.dataset.loads || 0));
  await action();
  await tab.waitForFunction((n) => Number(document.body.dataset.loads || 0) > n, { timeout: 15000 }, loads);
  await waitReady(tab);
}

const cardValue = (tab, key) => tab.$eval(`#cards li[data-key="${key}"] .value`, (e) => Number(e.textContent.replace(/\./g, '')));
const overdueCount = (tab) => tab.$eval('#overdue', (t) => Number(t.dataset.count));
const unitOf = (tab) => new URL(tab.url()).searchParams.get('unit');

// Shows every row of the overdue list ("Xem thêm" until there is no more).
async function expandOverdue(tab) {
  while (await tab.$eval('#overdue-more', (b) => !b.hidden)) {
    const before = await tab.$$eval('#overdue tbody tr', (r) => r.length);
    await tab.click('#overdue-more');
    await tab.waitForFunction((n) => document.querySelectorAll('#overdue tbody tr').length > n, {}, before);
  }
  return tab.$$eval('#overdue tbody tr', (r) => r.length);
}

// Every text of the chart inside the chart (not clipped), and the smallest as drawn.
const chartText = (tab) => tab.$eval('#chart svg', (svg) => {
  const box = svg.getBoundingClientRect();
  const scale = box.width / svg.viewBox.baseVal.width;
  const texts = [...svg.querySelectorAll('text')];
  return {
    clipped: texts.filter((t) => { const b = t.getBBox(); return b.x < -0.5 || b.x + b.width > svg.viewBox.baseVal.width + 0.5; })
      .map((t) => t.textContent),
    smallest: Math.min(...texts.map((t) => parseFloat(getComputedStyle(t).fontSize) * scale)),
  };
});

const LAPTOP = { width: 1366, height: 768 };
const PHONE = { width: 390, height: 844, isMobile: true, deviceScaleFactor: 1 };

async function coordinatorMorning() {
  const seeded = await seedProvince();
  console.log(`seeded ${Q}: ${Q_UNITS.length} units, ${seeded.list.length} tasks, ${seeded.overdue.length} overdue tasks, ${seeded.overdueAssignments} overdue assignments`);
  assert.ok(seeded.overdueAssignments > seeded.overdue.length + 10, 'the seed has coordinating units late beside completed leads');
  const q = `/?unit=${Q}&date=${iso(today)}`;
  const { tab, problems } = await openAs(q, token, LAPTOP);

  // The headline card and the overdue list agree: the tasks the report counts overdue.
  assert.equal(await cardValue(tab, 'overdue'), seeded.overdue.length);
  assert.equal(await overdueCount(tab), seeded.overdue.length);
  assert.equal(await tab.$$eval('#overdue tbody tr', (r) => r.length), Math.min(20, seeded.overdue.length), 'the list pages by 20');
  assert.match(await tab.$eval('#overdue-note', (e) => e.textContent), new RegExp(`^${seeded.overdue.length} nhiệm vụ`));
  assert.equal(await expandOverdue(tab), seeded.overdue.length);
  assert.deepEqual(new Set(await tab.$$eval('#overdue tbody tr', (r) => r.map((tr) => tr.dataset.task))),
    new Set(seeded.overdue.map((t) => t.name)));
  const lateDays = (tab2) => tab2.$$eval('#overdue tbody tr', (r) => r.map((tr) => Number(/quá (\d+) ngày/.exec(tr.textContent)[1])));
  const byTask = await lateDays(tab);
  assert.deepEqual(byTask, [...byTask].sort((a, b) => b - a), 'the latest first');
  // The switch: every overdue assignment, coordinating units included, by days late.
  await tab.click('#overdue-all');
  await tab.waitForFunction((n) => Number(document.getElementById('overdue').dataset.count) === n, { timeout: 15000 }, seeded.overdueAssignments);
  assert.equal(await expandOverdue(tab), seeded.overdueAssignments);
  const all = await lateDays(tab);
  assert.deepEqual(all, [...all].sort((a, b) => b - a));
  await tab.click('#overdue-all');
  await tab.waitForFunction((n) => Number(document.getElementById('overdue').dataset.count) === n && !document.getElementById('overdue-all').checked, {}, seeded.overdue.length);

  // A unit with only recurring tasks is not a grey 0,0 %.
  assert.equal(await tab.$eval('#by-unit tr[data-unit="units/H53.22"] td:last-child', (e) => e.textContent), 'Không có nhiệm vụ có hạn');
  // At 1366 px no chart label is clipped, and the text is drawn at its size.
  const laptopChart = await chartText(tab);
  assert.deepEqual(laptopChart.clipped, []);
  assert.ok(laptopChart.smallest >= 11, `chart text ${laptopChart.smallest}px`);
  await tab.evaluate(() => window.scrollTo(0, 0));
  await tab.screenshot({ path: join(shots, 'dashboard-laptop.png') });

  // The central form is the API's due_* counts.
  const summary = await call('ReportService/GetSummary', { unit: Q, groupBy: 'SUMMARY_GROUP_BY_CHILD_UNIT' });
  const t = summary.total;
  const n = (v) => String(Number(v || 0));
  const pctVn = (v) => `${Number(v || 0).toFixed(1).replace('.', ',')} %`;
  assert.deepEqual(await texts(tab, '#central tfoot td'), [n(t.due), n(t.dueCompletedOnTime), pctVn(t.dueCompletedOnTimePercent),
    n(t.dueCompletedLate), pctVn(t.dueCompletedLatePercent), n(t.dueNotCompletedOnTime), pctVn(t.dueNotCompletedOnTimePercent),
    n(t.dueNotCompletedOverdue), pctVn(t.dueNotCompletedOverduePercent)]);
  assert.equal(Number(t.dueNotCompletedOverdue), seeded.overdue.length);

  // Sorting the by-unit table by a column, largest first, then reversed.
  const overdueColumn = () => tab.$$eval('#by-unit tbody tr', (r) => r.map((tr) => Number(tr.cells[6].textContent.replace(/\./g, ''))));
  await tab.click('#by-unit th[data-sort="overdue"] button');
  const sorted = await overdueColumn();
  assert.deepEqual(sorted, [...sorted].sort((a, b) => b - a));
  assert.equal(new URL(tab.url()).searchParams.get('sort'), 'overdue');
  await tab.click('#by-unit th[data-sort="overdue"] button');
  const reversed = await overdueColumn();
  assert.deepEqual(reversed, [...reversed].sort((a, b) => a - b));
  await tab.click('#by-unit th[data-sort="name"] button');

  // Filtering the whole page by a category, a directive, a label.
  for (const [key, value, match] of [['category', 'Dịch vụ công', (x) => x.category === 'Dịch vụ công'],
    ['directive', '52/KH-UBND', (x) => x.directive === '52/KH-UBND'], ['label', 'trọng tâm', (x) => x.labels.includes('trọng tâm')]]) {
    await andWait(tab, () => tab.select('#filter', `${key}=${value}`));
    const expected = seeded.overdue.filter(match).length;
    assert.equal(await cardValue(tab, 'overdue'), expected, `${key} ${value}`);
    assert.equal(await cardValue(tab, 'total'), seeded.list.filter(match).length, `${key} ${value}`);
    assert.equal(await overdueCount(tab), expected);
    assert.equal(new URL(tab.url()).searchParams.get(key), value);
  }
  await andWait(tab, () => tab.select('#filter', ''));
  assert.equal(await cardValue(tab, 'total'), seeded.list.length);

  // Drilling down by a click on a row, then on a bar; back twice; the breadcrumb.
  await andWait(tab, () => tab.click('#by-unit tr[data-unit="units/H53.20"] a'));
  assert.equal(unitOf(tab), 'units/H53.20');
  assert.match(await tab.$eval('#report-title', (e) => e.textContent), /^Thành phố Quảng Ngãi — /);
  assert.deepEqual(await texts(tab, '#crumbs > *'), ['Tỉnh Quảng Ngãi', 'Thành phố Quảng Ngãi']);
  await andWait(tab, () => tab.click('#chart g.drill[data-unit="units/H53.20.02"] rect'));
  assert.equal(unitOf(tab), 'units/H53.20.02');
  assert.deepEqual(await texts(tab, '#crumbs > *'), ['Tỉnh Quảng Ngãi', 'Thành phố Quảng Ngãi', 'Phường Nghĩa Chánh']);
  await andWait(tab, () => tab.goBack());
  assert.equal(unitOf(tab), 'units/H53.20');
  assert.match(await tab.$eval('#report-title', (e) => e.textContent), /^Thành phố Quảng Ngãi — /);
  await andWait(tab, () => tab.click('#crumbs a[data-unit="units/H53"]'));
  assert.equal(unitOf(tab), Q);
  await andWait(tab, () => tab.goBack());
  assert.equal(unitOf(tab), 'units/H53.20');
  await andWait(tab, () => tab.goBack());
  assert.equal(unitOf(tab), Q);
  assert.equal(await cardValue(tab, 'overdue'), seeded.overdue.length);

  // Urging from a row: the server's refusal is shown in the dialog; then it is sent.
  const target = await tab.$eval('#overdue tbody button.urge', (b) => b.dataset.assignment);
  await tab.click('#overdue tbody button.urge');
  await tab.waitForSelector('#urge[open]');
  await tab.$eval('#urge-message', (e) => { e.value = '  '; });
  await tab.click('#urge-send');
  assert.equal(await tab.$eval('#urge-error', (e) => e.textContent), 'Hãy nhập nội dung đôn đốc.');
  await tab.setRequestInterception(true);
  const refuse = (r) => (r.url().endsWith('/d06.v1.TaskService/UrgeAssignment')
    ? r.respond({ status: 403, contentType: 'application/json', body: JSON.stringify({ code: 'permission_denied', message: 'not a coordinator of units/H53' }) })
    : r.continue());
  tab.on('request', refuse);
  await tab.type('#urge-message', 'Đề nghị khẩn trương hoàn thành, báo cáo trước ngày thứ Sáu.');
  await tab.click('#urge-send');
  await tab.waitForFunction(() => /permission_denied/.test(document.getElementById('urge-error').textContent));
  assert.match(await tab.$eval('#urge-error', (e) => e.textContent), /not a coordinator.*\(permission_denied\)/);
  tab.off('request', refuse);
  await tab.setRequestInterception(false);
  await tab.click('#urge-send');
  // The status as the urge set it, read in the same task (a refresh the change signal
  // brings may replace it soon after).
  const urged = await tab.waitForFunction(
    (n) => document.body.dataset.urged === n && document.getElementById('status').textContent,
    { timeout: 15000, polling: 'mutation' }, target);
  assert.equal((await call('TaskService/GetAssignment', { name: target })).assignment.urgeCount, 1);
  assert.match(await urged.jsonValue(), /^Đã đôn đốc .* \(lần thứ 1\)\.$/);
  await waitReady(tab);

  // Downloads (GET /download/...xlsx with the token) give files openpyxl reads.
  const downloads = mkdtempSync(join(tmpdir(), 'd06-downloads-'));
  const cdp = await tab.createCDPSession();
  await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads, eventsEnabled: true });
  for (const [kind, expected] of [['summary', 'Công an tỉnh'], ['assignments', seeded.list[0].title]]) {
    await tab.$eval('body', (b) => { delete b.dataset.download; });
    await tab.click(`#download-${kind}`);
    await tab.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.download), { timeout: 30000 });
    if (await tab.evaluate(() => document.body.dataset.download) === 'error') {
      const message = await tab.$eval('#download-error', (e) => e.textContent);
      throw new Error(`download of the ${kind}: ${message}`);
    }
    let file = '';
    for (let i = 0; i < 100 && !file; i++) {
      file = readdirSync(downloads).find((f) => f.endsWith('.xlsx')) || '';
      if (!file) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(file, `a downloaded .xlsx in ${downloads}`);
    const cells = JSON.parse(execFileSync(python3, ['-c', [
      'import json, sys, openpyxl',
      'book = openpyxl.load_workbook(sys.argv[1])',
      'print(json.dumps([str(c) for s in book.worksheets for r in s.iter_rows(values_only=True) for c in r if c is not None]))',
    ].join('\n'), join(downloads, file)], { encoding: 'utf8' }));
    assert.ok(cells.some((c) => c.includes(expected)), `${file} holds "${expected}"`);
    rmSync(join(downloads, file));
  }
  rmSync(downloads, { recursive: true, force: true });

  // Print: an A4 report with the header a Vietnamese report carries, no controls.
  await tab.emulateMediaType('print');
  const printed = await tab.evaluate(() => ({
    header: getComputedStyle(document.getElementById('print-header')).display !== 'none' && document.getElementById('print-header').innerText,
    controls: [...document.querySelectorAll('button:not(.sort), #pick, select, input')].filter((e) => e.getClientRects().length > 0).map((e) => e.id || e.textContent),
    tables: ['by-unit', 'central', 'overdue'].filter((id) => document.getElementById(id).getClientRects().length > 0),
  }));
  assert.ok(printed.header, 'the print header shows');
  assert.match(printed.header, /CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM/);
  assert.match(printed.header, /Độc lập - Tự do - Hạnh phúc/);
  assert.match(printed.header, /TỈNH QUẢNG NGÃI/);
  assert.match(printed.header, /Số: /);
  assert.match(printed.header, new RegExp(`ngày ${pad(today.day)} tháng ${pad(today.month)} năm ${today.year}`));
  assert.match(printed.header, new RegExp(`Tỉnh Quảng Ngãi tính đến ngày ${vn(today)}`));
  assert.deepEqual(printed.controls, []);
  assert.deepEqual(printed.tables, ['by-unit', 'central', 'overdue']);
  const pdf = await tab.pdf({ format: 'A4' });
  assert.equal(Buffer.from(pdf).subarray(0, 4).toString(), '%PDF');
  await tab.setViewport({ width: 794, height: 1123 });
  await tab.screenshot({ path: join(shots, 'dashboard-print.png') });
  await tab.emulateMediaType(null);
  await tab.setViewport(LAPTOP);

  // Refreshing by itself keeps the reader's place: the scroll, the unit, the switch.
  const { tab: live, problems: liveProblems } = await openAs(`/?unit=units/H53.20&date=${iso(today)}&refresh=2`, token, LAPTOP);
  await live.click('#overdue-all');
  await live.waitForFunction(() => document.querySelector('#overdue thead th:nth-child(3)')?.textContent === 'Vai trò');
  await live.evaluate(() => document.getElementById('overdue-title').scrollIntoView());
  const before = await live.evaluate(() => ({ y: window.scrollY, read: document.getElementById('read-at').textContent, url: location.href }));
  assert.match(before.read, /^Số liệu đọc lúc \d\d:\d\d:\d\d ngày /);
  assert.ok(before.y > 0);
  await live.waitForFunction(() => Number(document.body.dataset.refreshed) >= 2, { timeout: 15000 });
  const after = await live.evaluate(() => ({ y: window.scrollY, all: document.getElementById('overdue-all').checked, url: location.href, read: document.getElementById('read-at').textContent }));
  assert.ok(Math.abs(after.y - before.y) <= 2, `scroll kept (${before.y} -> ${after.y})`);
  assert.equal(after.all, true);
  assert.equal(after.url, before.url);
  assert.notEqual(after.read, before.read);
  assert.deepEqual(serious(liveProblems), []);
  await live.close();

  // A viewer: no urging; the breadcrumb starts at its own unit, which it opens on.
  await call('AccessService/CreatePrincipal', { principalId: 'theo-doi-h53', principal: { displayName: 'Cán bộ theo dõi',
    kind: 'PRINCIPAL_KIND_PERSON', unit: Q, bindings: [{ role: 'ROLE_VIEWER', unit: Q }] } });
  const viewerToken = (await call('AccessService/CreateToken', { parent: 'principals/theo-doi-h53',
    token: { displayName: 'dashboard', expireTime: new Date(Date.now() + 86400000).toISOString() } })).secret;
  const { tab: viewer, problems: viewerProblems } = await openAs('/', viewerToken, LAPTOP);
  assert.equal(unitOf(viewer), Q);
  assert.equal(await overdueCount(viewer), seeded.overdue.length);
  assert.equal(await viewer.$$eval('button.urge', (b) => b.length), 0, 'a viewer is not offered to urge');
  await andWait(viewer, () => viewer.click('#by-unit tr[data-unit="units/H53.21"] a'));
  assert.deepEqual(await texts(viewer, '#crumbs > *'), ['Tỉnh Quảng Ngãi', 'Huyện Bình Sơn']);
  assert.deepEqual(serious(viewerProblems), []);
  await viewer.close();

  // A phone: nothing wider than the screen, tables as cards, chart text readable, long
  // lists paged; the unit picker searches the server.
  const { tab: phone, problems: phoneProblems } = await openAs(q, token, PHONE);
  const overflow = () => phone.evaluate(() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth));
  assert.ok(await overflow() <= 390, `no horizontal overflow at 390 px (${await overflow()})`);
  assert.equal(await phone.$eval('#by-unit tbody tr', (tr) => getComputedStyle(tr).display), 'block', 'rows as cards');
  assert.deepEqual(await phone.$$eval('#by-unit td, #overdue td', (tds) => tds.filter((td) => td.getBoundingClientRect().right > 390).length), 0);
  const phoneChart = await chartText(phone);
  assert.deepEqual(phoneChart.clipped, []);
  assert.ok(phoneChart.smallest >= 11, `chart text ${phoneChart.smallest}px at 390 px`);
  assert.equal(await phone.$$eval('#overdue tbody tr', (r) => r.length), Math.min(20, seeded.overdue.length));
  await phone.evaluate(() => document.getElementById('completed-line').scrollIntoView());
  await phone.screenshot({ path: join(shots, 'dashboard-phone.png') });
  await phone.evaluate(() => window.scrollTo(0, 0));
  await phone.click('#unit-search');
  await phone.$eval('#unit-search', (e) => { e.value = ''; });
  await phone.type('#unit-search', 'ly son');
  // Both units whose name has the words, typed without diacritics (in place of the units
  // under the one shown, listed when the field took the focus).
  await phone.waitForFunction(() => [...document.querySelectorAll('#unit-results .option')].map((o) => o.dataset.unit).join()
    === 'units/H53.22,units/H53.22.04', { timeout: 15000 });
  assert.ok(await overflow() <= 390, 'the picker fits the phone');
  await andWait(phone, () => phone.click('#unit-results .option[data-unit="units/H53.22"]'));
  assert.equal(unitOf(phone), 'units/H53.22');
  assert.deepEqual(await phone.$$eval('#by-unit tbody td:last-child', (tds) => [...new Set(tds.map((td) => td.textContent))]), ['Không có nhiệm vụ có hạn']);
  assert.ok(await overflow() <= 390);
  assert.deepEqual(serious(phoneProblems), []);
  await phone.close();

  assert.deepEqual(serious(problems).filter((p) => !/\b403\b/.test(p)), []);
  await tab.close();
}

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
    // Each segment's share of the bar's track.
    parts: [...g.querySelectorAll('rect[data-part]')].map((r) => `${r.dataset.part}:${(Number(r.getAttribute('width')) /
      Number(g.querySelector('rect.track').getAttribute('width'))).toFixed(3)}`),
    pct: g.querySelector('text.pct').textContent,
  })));
  assert.deepEqual(bars.map((b) => b.unit), ['units/H52.01', 'units/H52.02', 'units/H52.03', 'units/H52.04']);
  assert.deepEqual(bars.map((b) => b.pct), ['66,7 %', '66,7 %', '0,0 %', '—']);
  assert.deepEqual(bars[0].parts, ['completedOnTime:0.667', 'overdue:0.333']);
  assert.deepEqual(bars[3].parts, []);
  assert.equal(await page.$eval('#chart svg', (s) => s.getAttribute('role')), 'img');
  assert.match(await page.$eval('#chart svg desc', (d) => d.textContent), /Sở Tư pháp: đã hoàn thành 2\/3 \(66,7 %\)/);

  // The overdue tasks, as the card counts them: through their lead, one row per task with
  // its coordinating units, the latest first.
  const names = { 'units/H52.01': 'Sở Tư pháp', 'units/H52.03': 'Công an tỉnh' };
  const roles = { ASSIGNMENT_ROLE_LEAD: 'Chủ trì', ASSIGNMENT_ROLE_SUPPORT: 'Phối hợp' };
  const late = (d) => Math.round((Date.UTC(today.year, today.month - 1, today.day) -
    Date.UTC(d.year, d.month - 1, d.day)) / 86400000);
  overdue.sort((a, b) => iso(a.deadline).localeCompare(iso(b.deadline)) || a.unit.localeCompare(b.unit));
  const cellTexts = (selector) => page.$$eval(selector, (trs) => trs.map((tr) =>
    [...tr.cells].map((c) => c.textContent.trim())));
  const leads = overdue.filter((o) => o.role === 'ASSIGNMENT_ROLE_LEAD');
  assert.deepEqual((await cellTexts('#overdue tbody tr')).map((r) => r.slice(0, 5)), leads.map((o) => {
    const supports = overdue.filter((x) => x.task === o.task && x.role === 'ASSIGNMENT_ROLE_SUPPORT');
    return [`${o.task} (52/KH-UBND)`, names[o.unit], vn(o.deadline), `quá ${late(o.deadline)} ngày`,
      supports.length ? supports.map((x) => `${names[x.unit]}: quá ${late(x.deadline)} ngày`).join('') : 'không có'];
  }));
  assert.equal(leads.length, Number(EXPECTED_CARDS.overdue[0]));
  // The switch: every overdue assignment, coordinating units included, the latest first.
  await page.click('#overdue-all');
  await page.waitForFunction(() => document.querySelector('#overdue thead th:nth-child(3)')?.textContent === 'Vai trò');
  assert.deepEqual((await cellTexts('#overdue tbody tr')).map((r) => r.slice(0, 5)), overdue.map((o) =>
    [`${o.task} (52/KH-UBND)`, names[o.unit], roles[o.role], vn(o.deadline), `quá ${late(o.deadline)} ngày`]));
  assert.equal(new URL(page.url()).searchParams.get('overdue'), 'all');
  await page.click('#overdue-all');
  await page.waitForFunction(() => document.querySelector('#overdue thead th:nth-child(3)')?.textContent === 'Hạn xử lý');

  assert.deepEqual(serious(problems), [], 'no console errors or failed requests');
  mkdirSync(dirname(screenshot), { recursive: true });
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(`screenshot: ${screenshot}`);
  mkdirSync(shots, { recursive: true });
  await coordinatorMorning();
  console.log(`screenshots: ${shots}/dashboard-{laptop,phone,print}.png`);

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
  // The unit picker lists the units of the form's date by their names of that day: a
  // department renamed from today keeps yesterday's name for yesterday, and its new one
  // for today.
  await call('UnitService/RenameUnit', { name: 'units/H52.04', displayName: 'Sở Y tế tỉnh Gia Lai',
    effectiveDate: today, reason: 'Nghị quyết 202/2025/QH15' });
  const pickerShows = async (name) => {
    await page.click('#pick label[for=date]'); // away from the picker: it closes
    await page.$eval('#unit-results', (e) => e.replaceChildren());
    await page.click('#unit-search'); // the focus lists the units under the one shown
    await page.waitForFunction(() => document.querySelector('#unit-results .option[data-unit="units/H52.04"]'), { timeout: 15000 });
    assert.equal(await page.$eval('#unit-results .option[data-unit="units/H52.04"] span', (e) => e.textContent), name);
  };
  await pickerShows('Sở Y tế');
  await page.$eval('#date', (e) => { e.value = ''; });
  await page.type('#date', vn(today));
  await pickerShows('Sở Y tế tỉnh Gia Lai');
  await page.click('#pick label[for=date]');
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
