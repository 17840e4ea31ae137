// d06d's Connect HTTP face with the real Connect client: code generated from proto/d06/v1
// by protoc-gen-es (at test time, into tests/web/gen/, git-ignored) and
// @connectrpc/connect-node's Connect transport over HTTP/1.1, against a fresh d06d.
//
// 1. The workflow: a province and one of its departments, a task, its lead assignment
//    walked start -> submit -> approve (completed), the summary (1 task, 1 completed), the
//    audit events with the actor sent as x-d06-actor (by an interceptor, and per call).
//    Reads (NO_SIDE_EFFECTS in the .proto) over Connect's GET form (useHttpGet), binary
//    and JSON; a Vietnamese actor in x-d06-actor-bin.
// 2. Error-code parity: bad requests sent over Connect and over gRPC (connect-node's gRPC
//    transport on d06d's gRPC port; and d06ctl, whose exit status is the gRPC code, when
//    given) fail with the same code and the same d06 reason.
// 3. A streaming method over Connect is unimplemented (gRPC only) and works over gRPC.
// 4. Authentication: a second d06d with authentication required (the default), its first
//    administrator from `d06d bootstrap-admin`: the token in "Authorization: Bearer" (an
//    interceptor) over Connect and gRPC, and in D06_TOKEN for d06ctl; without it every
//    one is unauthenticated / CREDENTIAL_MISSING.
// Steps 1-3 run on a d06d with --auth=off, deliberately: they check the actor headers
// recorded in the audit events, which only --auth=off records.
//
//   node tests/web/connect_test.mjs path/to/d06d [path/to/d06ctl]
//
// Needs the npm packages of tests/web (scripts/setup.sh runs `npm ci --prefix tests/web`)
// and protoc; fails (never skips) without them. Node 18 compatible.
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";

const WEB = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(WEB, "..", "..");

function die(message) {
  console.error(`FAIL: ${message}`);
  process.exit(1);
}

const [d06dPath, d06ctlPath] = process.argv.slice(2);
if (!d06dPath) die("usage: node tests/web/connect_test.mjs D06D [D06CTL]");
for (const bin of [d06dPath, d06ctlPath].filter(Boolean)) {
  try {
    fs.accessSync(bin, fs.constants.X_OK);
  } catch {
    die(`not an executable: ${bin}`);
  }
}

// The npm packages and protoc, or a failure that says how to get them.
const PLUGIN = path.join(WEB, "node_modules", ".bin", "protoc-gen-es");
for (const p of [
  PLUGIN,
  path.join(WEB, "node_modules", "@connectrpc", "connect-node", "package.json"),
  path.join(WEB, "node_modules", "@connectrpc", "connect", "package.json"),
  path.join(WEB, "node_modules", "@bufbuild", "protobuf", "package.json"),
]) {
  if (!fs.existsSync(p)) {
    die(`${path.relative(REPO, p)} is missing: run scripts/setup.sh (npm ci --prefix tests/web)`);
  }
}
if (spawnSync("protoc", ["--version"]).status !== 0) {
  die("protoc not found: run scripts/setup.sh (Debian's protobuf-compiler)");
}

// Everything this test creates goes away on exit, however it ends.
const cleanups = [];
process.on("exit", () => {
  for (const f of cleanups.reverse()) {
    try {
      f();
    } catch {
      // best effort
    }
  }
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(130));

// Code generation, into a directory of this run (tests may run in parallel).
fs.mkdirSync(path.join(WEB, "gen"), { recursive: true });
const GEN = fs.mkdtempSync(path.join(WEB, "gen", "connect-test-"));
cleanups.push(() => fs.rmSync(GEN, { recursive: true, force: true }));
const protos = fs
  .readdirSync(path.join(REPO, "proto", "d06", "v1"))
  .filter((f) => f.endsWith(".proto"))
  .map((f) => path.join("proto", "d06", "v1", f));
try {
  execFileSync(
    "protoc",
    [
      `--plugin=protoc-gen-es=${PLUGIN}`,
      `--es_out=${GEN}`,
      "--es_opt=target=js,import_extension=js",
      "-I",
      "proto",
      ...protos,
    ],
    { cwd: REPO, stdio: ["ignore", "inherit", "inherit"] },
  );
} catch (e) {
  die(`protoc with protoc-gen-es failed: ${e.message}`);
}
const gen = async (file) => import(pathToFileURL(path.join(GEN, "d06", "v1", file)).href);

const { create, toJsonString } = await import("@bufbuild/protobuf");
const { MethodOptions_IdempotencyLevel } = await import("@bufbuild/protobuf/wkt");
const { Code, ConnectError, createClient } = await import("@connectrpc/connect");
const { createConnectTransport, createGrpcTransport } = await import("@connectrpc/connect-node");
const { ErrorInfoSchema } = await gen("common_pb.js");
const { UnitService, UnitKind } = await gen("unit_pb.js");
const {
  TaskService,
  TaskKind,
  AssignmentRole,
  AssignmentState,
  EventAction,
  Timeliness,
} = await gen("task_pb.js");
const { ReportService } = await gen("report_pb.js");
const { EventService } = await gen("watch_pb.js");
const { AccessService } = await gen("access_pb.js");

// A fresh d06d (or one on `dataDir`) with `flags`; resolves its ports from the lines it
// prints on stderr.
async function startD06d(flags = [], dataDir = undefined) {
  if (dataDir === undefined) {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "d06-web-connect-"));
    cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  }
  const child = spawn(
    d06dPath,
    ["--listen=127.0.0.1:0", "--http_listen=127.0.0.1:0", "--metrics_listen=", `--data_dir=${dataDir}`,
      ...flags],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  cleanups.push(() => child.kill("SIGKILL"));
  const log = [];
  return await new Promise((resolve, reject) => {
    const ports = {};
    const timer = setTimeout(
      () => reject(new Error(`d06d did not report its ports within 20s:\n${log.join("\n")}`)),
      20000,
    );
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`d06d exited (${code}) before serving:\n${log.join("\n")}`));
    });
    readline.createInterface({ input: child.stderr }).on("line", (line) => {
      log.push(line);
      const m = /^d06d: serving (gRPC|HTTP) on port (\d+) /.exec(line);
      if (m) ports[m[1]] = Number(m[2]);
      if (ports.gRPC && ports.HTTP) {
        clearTimeout(timer);
        resolve({ grpcPort: ports.gRPC, httpPort: ports.HTTP });
      }
    });
  });
}

let failures = 0;
async function step(name, fn) {
  try {
    await fn();
    console.log(`ok - ${name}`);
  } catch (e) {
    failures++;
    console.error(`not ok - ${name}\n${e && e.stack ? e.stack : e}`);
  }
}

const { grpcPort, httpPort } = await startD06d(["--auth=off"]).catch((e) => die(e.message));
console.log(`d06d serving HTTP on 127.0.0.1:${httpPort}, gRPC on ${grpcPort}`);

const ACTOR = "le.thi.hoa@thanhhoa.gov.vn";
// Sets x-d06-actor on every call that does not set its own.
const actorInterceptor = (actor) => (next) => async (req) => {
  if (!req.header.has("x-d06-actor")) req.header.set("x-d06-actor", actor);
  return await next(req);
};
// The Connect protocol over HTTP/1.1: binary (application/proto, the client's default) and
// JSON; and gRPC over HTTP/2 on the gRPC port, for the parity checks.
const connectBinary = createConnectTransport({
  baseUrl: `http://127.0.0.1:${httpPort}`,
  httpVersion: "1.1",
  interceptors: [actorInterceptor(ACTOR)],
});
const connectJson = createConnectTransport({
  baseUrl: `http://127.0.0.1:${httpPort}`,
  httpVersion: "1.1",
  useBinaryFormat: false,
  interceptors: [actorInterceptor(ACTOR)],
});
const grpc = createGrpcTransport({
  baseUrl: `http://127.0.0.1:${grpcPort}`,
  interceptors: [actorInterceptor(ACTOR)],
});
const units = createClient(UnitService, connectBinary);
const tasks = createClient(TaskService, connectBinary);
const reports = createClient(ReportService, connectJson);

const nextYear = Number(
  new Intl.DateTimeFormat("en", { timeZone: "Asia/Ho_Chi_Minh", year: "numeric" }).format(
    new Date(),
  ),
) + 1;

// ---------------------------------------------------------------------------------------
// 1. The workflow.
let task;
let lead;
await step("create a province and a department (binary)", async () => {
  const { unit: province } = await units.createUnit({
    unit: {
      code: "H38",
      adminCode: "38",
      displayName: "Ủy ban nhân dân tỉnh Thanh Hóa",
      kind: UnitKind.PROVINCE,
    },
  });
  assert.equal(province.name, "units/H38");
  const { unit: dept } = await units.createUnit({
    unit: {
      code: "H38.14",
      displayName: "Sở Nội vụ tỉnh Thanh Hóa",
      kind: UnitKind.DEPARTMENT,
      parent: "units/H38",
    },
    requestId: "tao-so-noi-vu-h38",
  });
  assert.equal(dept.name, "units/H38.14");
  assert.equal(dept.parent, "units/H38");
  const { unit } = await createClient(UnitService, connectJson).getUnit({ name: "units/H38.14" });
  assert.equal(unit.displayName, "Sở Nội vụ tỉnh Thanh Hóa");
  assert.equal(unit.etag, dept.etag);
});

await step("create a task and its lead assignment", async () => {
  const created = await tasks.createTask({
    task: {
      title: "Rà soát, chuẩn hóa dữ liệu cán bộ, công chức, viên chức trên Cơ sở dữ liệu quốc gia",
      content: "Đồng bộ dữ liệu với Cơ sở dữ liệu quốc gia về dân cư.",
      category: "Dữ liệu",
      kind: TaskKind.ONE_OFF,
      deadline: { year: nextYear, month: 6, day: 30 },
      assigningUnit: "units/H38",
      labels: ["Đề án 06"],
    },
  });
  task = created.task;
  assert.match(task.name, /^tasks\/\d+$/);
  assert.equal(created.assignments.length, 0);
  const { assignment } = await tasks.createAssignment({
    parent: task.name,
    assignment: { unit: "units/H38.14", role: AssignmentRole.LEAD },
  });
  lead = assignment;
  assert.equal(lead.name, `${task.name}/assignments/H38.14`);
  assert.equal(lead.state, AssignmentState.NOT_STARTED);
  assert.deepEqual(
    { year: lead.deadline.year, month: lead.deadline.month, day: lead.deadline.day },
    { year: nextYear, month: 6, day: 30 },
  );
});

await step("walk the assignment start -> submit -> approve", async () => {
  const started = await tasks.startAssignment({ name: lead.name, etag: lead.etag });
  assert.equal(started.assignment.state, AssignmentState.IN_PROGRESS);
  assert.notEqual(started.assignment.etag, lead.etag);
  // Another actor for one call, in the call's headers.
  const submitted = await tasks.submitAssignment(
    {
      name: lead.name,
      etag: started.assignment.etag,
      note: "Đã chuẩn hóa 100% hồ sơ cán bộ, công chức",
    },
    { headers: { "x-d06-actor": "so.noi.vu@thanhhoa.gov.vn" }, timeoutMs: 10000 },
  );
  assert.equal(submitted.assignment.state, AssignmentState.PENDING_ACCEPTANCE);
  const approved = await tasks.approveAssignment({
    name: lead.name,
    etag: submitted.assignment.etag,
  });
  assert.equal(approved.assignment.state, AssignmentState.COMPLETED);
  assert.equal(approved.assignment.progressPercent, 100);
  assert.equal(approved.assignment.timeliness, Timeliness.COMPLETED_ON_TIME);
  lead = approved.assignment;
});

await step("GetSummary: 1 task, 1 completed (JSON)", async () => {
  const summary = await reports.getSummary({ unit: "units/H38" });
  assert.equal(summary.unit, "units/H38");
  assert.equal(summary.total.total, 1n);
  assert.equal(summary.total.completed, 1n);
  assert.equal(summary.total.completedOnTime, 1n);
  assert.equal(summary.total.overdue, 0n);
  assert.equal(summary.total.inProgressOnTime, 0n);
  assert.equal(summary.total.completedRatio, "1/1");
  assert.equal(summary.total.completedPercent, 100);
  assert.match(summary.completedLine, /1\/1/);
  const byUnit = await createClient(ReportService, connectBinary).getSummary({
    unit: "units/H38",
    groupBy: 2, // SUMMARY_GROUP_BY_CHILD_UNIT
  });
  const row = byUnit.rows.find((r) => r.unit === "units/H38.14");
  assert.ok(row, `no row of units/H38.14 in ${JSON.stringify(byUnit.rows.map((r) => r.unit))}`);
  assert.equal(row.counts.completed, 1n);
});

await step("ListTaskEvents: the actors sent as x-d06-actor", async () => {
  const { events } = await tasks.listTaskEvents({ parent: task.name });
  assert.deepEqual(
    events.map((e) => [e.action, e.actor]),
    [
      [EventAction.CREATE_TASK, ACTOR],
      [EventAction.CREATE_ASSIGNMENT, ACTOR],
      [EventAction.START, ACTOR],
      [EventAction.SUBMIT, "so.noi.vu@thanhhoa.gov.vn"],
      [EventAction.APPROVE, ACTOR],
    ],
  );
  const submit = events[3];
  assert.equal(submit.reason, "Đã chuẩn hóa 100% hồ sơ cán bộ, công chức");
  assert.equal(submit.oldState, AssignmentState.IN_PROGRESS);
  assert.equal(submit.newState, AssignmentState.PENDING_ACCEPTANCE);
  assert.equal(submit.after.case, "assignment");
  // Over gRPC the same history.
  const overGrpc = await createClient(TaskService, grpc).listTaskEvents({ parent: task.name });
  assert.deepEqual(
    overGrpc.events.map((e) => [e.revision, e.actor]),
    events.map((e) => [e.revision, e.actor]),
  );
});

await step("reads over Connect GET (useHttpGet); writes still POST", async () => {
  // The generated code knows which methods have no side effects (from the .proto).
  assert.equal(UnitService.method.getUnit.idempotency, MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS);
  assert.equal(ReportService.method.getSummary.idempotency, MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS);
  assert.notEqual(UnitService.method.createUnit.idempotency, MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS);
  // d06d answers GET (and only GET) with Cache-Control: the header tells them apart.
  const seen = [];
  const record = (next) => async (req) => {
    const res = await next(req);
    seen.push([req.method.name, res.header.get("cache-control")]);
    return res;
  };
  for (const useBinaryFormat of [true, false]) {
    const transport = createConnectTransport({
      baseUrl: `http://127.0.0.1:${httpPort}`,
      httpVersion: "1.1",
      useHttpGet: true,
      useBinaryFormat,
      interceptors: [actorInterceptor(ACTOR), record],
    });
    const overGet = createClient(UnitService, transport);
    const { unit } = await overGet.getUnit({ name: "units/H38" });
    assert.equal(unit.displayName, "Ủy ban nhân dân tỉnh Thanh Hóa");
    const { units: children } = await overGet.listUnits({ filter: 'parent = "units/H38"' });
    assert.ok(children.some((u) => u.name === "units/H38.14"));
    const summary = await createClient(ReportService, transport).getSummary({ unit: "units/H38" });
    assert.equal(summary.total.completed, 1n);
    const { events } = await createClient(TaskService, transport).listTaskEvents({ parent: task.name });
    assert.equal(events.length, 5);
    await assert.rejects(overGet.getUnit({ name: "units/H01" }), (e) => {
      assert.deepEqual(errorOf(e), { code: Code.NotFound, reason: "NOT_FOUND" });
      return true;
    });
    const code = useBinaryFormat ? "H38.20" : "H38.21";
    const { unit: created } = await overGet.createUnit({
      unit: { code, displayName: `Phòng ${code}`, kind: UnitKind.DEPARTMENT, parent: "units/H38" },
    });
    assert.equal(created.name, `units/${code}`);
  }
  assert.deepEqual(seen, [
    ...["GetUnit", "ListUnits", "GetSummary", "ListTaskEvents"].map((m) => [m, "private, no-cache"]),
    ["CreateUnit", null],
    ...["GetUnit", "ListUnits", "GetSummary", "ListTaskEvents"].map((m) => [m, "private, no-cache"]),
    ["CreateUnit", null],
  ]);
});

await step("a Vietnamese actor in x-d06-actor-bin (Node cannot send it as x-d06-actor)", async () => {
  const actor = "Nguyễn Thị Hoa";
  const binary = createConnectTransport({
    baseUrl: `http://127.0.0.1:${httpPort}`,
    httpVersion: "1.1",
    interceptors: [
      (next) => async (req) => {
        req.header.set("x-d06-actor-bin", Buffer.from(actor, "utf8").toString("base64"));
        return await next(req);
      },
    ],
  });
  const created = await createClient(TaskService, binary).createTask({
    task: { title: "Báo cáo kết quả Đề án 06", kind: TaskKind.ONE_OFF, assigningUnit: "units/H38" },
  });
  const { events } = await tasks.listTaskEvents({ parent: created.task.name });
  assert.equal(events[0].actor, actor);
});

// ---------------------------------------------------------------------------------------
// 2. Error-code parity: the same bad request over Connect and over gRPC.
function errorOf(e) {
  assert.ok(e instanceof ConnectError, `not a ConnectError: ${e}`);
  const infos = e.findDetails(ErrorInfoSchema);
  return { code: e.code, reason: infos.length > 0 ? infos[0].reason : "(no ErrorInfo)" };
}

async function call(transport, service, methodName, request, actor) {
  const method = service.methods.find((m) => m.name === methodName);
  assert.ok(method, `no method ${methodName}`);
  const client = createClient(service, transport);
  try {
    await client[method.localName](
      request,
      actor === undefined ? {} : { headers: { "x-d06-actor": actor } },
    );
  } catch (e) {
    return errorOf(e);
  }
  return { code: 0, reason: "" };
}

// d06ctl SERVICE METHOD --json REQUEST: its exit status is the gRPC code.
function callCtl(service, methodName, request, actor) {
  const method = service.methods.find((m) => m.name === methodName);
  const json = toJsonString(method.input, create(method.input, request));
  const r = spawnSync(
    d06ctlPath,
    [
      service.name,
      methodName,
      "--json",
      json,
      "--address",
      `127.0.0.1:${grpcPort}`,
      "--actor",
      actor ?? ACTOR,
      "--timeout",
      "10s",
      "-o",
      "json",
    ],
    { encoding: "utf8", timeout: 20000 },
  );
  return { code: r.status, stderr: r.stderr };
}

// Setup for the parity cases: a request_id used once, and the lead's etag before the
// approval is stale now.
await units.createUnit({
  unit: { code: "H38.15", displayName: "Sở Tài chính tỉnh Thanh Hóa", kind: UnitKind.DEPARTMENT, parent: "units/H38" },
  requestId: "parity-request-id",
});

const parity = [
  ["GetUnit: name not units/{code}", UnitService, "GetUnit", { name: "H38" }, Code.InvalidArgument, "INVALID_NAME"],
  ["GetTask: no such task", TaskService, "GetTask", { name: "tasks/99999" }, Code.NotFound, "NOT_FOUND"],
  ["CreateUnit: the code exists", UnitService, "CreateUnit",
    { unit: { code: "H38", displayName: "Tỉnh Thanh Hóa", kind: UnitKind.PROVINCE } },
    Code.AlreadyExists, "ALREADY_EXISTS"],
  ["CreateUnit: unknown enum value (kind 99)", UnitService, "CreateUnit",
    { unit: { code: "H38.99", displayName: "Đơn vị thử", kind: 99, parent: "units/H38" } },
    Code.InvalidArgument, "INVALID_FIELD"],
  ["CreateUnit: parent does not exist", UnitService, "CreateUnit",
    { unit: { code: "H26.01", displayName: "Sở Y tế tỉnh Thái Bình", kind: UnitKind.DEPARTMENT, parent: "units/H26" } },
    Code.NotFound, "NOT_FOUND"],
  ["CreateUnit: request_id reused by another request", UnitService, "CreateUnit",
    { unit: { code: "H38.16", displayName: "Sở Xây dựng tỉnh Thanh Hóa", kind: UnitKind.DEPARTMENT, parent: "units/H38" }, requestId: "parity-request-id" },
    Code.InvalidArgument, "REQUEST_ID_REUSED"],
  ["StartAssignment: completed (invalid transition)", TaskService, "StartAssignment",
    () => ({ name: lead.name }), Code.FailedPrecondition, "INVALID_TRANSITION"],
  ["ReopenAssignment: stale etag", TaskService, "ReopenAssignment",
    () => ({ name: lead.name, etag: "etag-cu", reason: "Mở lại" }), Code.Aborted, "STALE_ETAG"],
  ["CreateAssignment: a second lead", TaskService, "CreateAssignment",
    () => ({ parent: task.name, assignment: { unit: "units/H38.15", role: AssignmentRole.LEAD } }),
    Code.FailedPrecondition, "LEAD_EXISTS"],
  ["CancelTask: no reason", TaskService, "CancelTask", () => ({ name: task.name }),
    Code.InvalidArgument, "INVALID_FIELD"],
  ["ListUnits: bad filter", UnitService, "ListUnits", { filter: "kind ~ PROVINCE" },
    Code.InvalidArgument, "INVALID_FILTER"],
  ["ListTasks: bad page token", TaskService, "ListTasks", { pageToken: "trang-2" },
    Code.InvalidArgument, "INVALID_PAGE_TOKEN"],
  ["GetSummary: as_of after today", ReportService, "GetSummary",
    { unit: "units/H38", asOf: { year: nextYear + 1, month: 1, day: 1 } },
    Code.InvalidArgument, "INVALID_FIELD"],
  ["UrgeAssignment: actor over 200 bytes", TaskService, "UrgeAssignment",
    () => ({ name: lead.name, message: "Đôn đốc" }), Code.InvalidArgument, "INVALID_FIELD", "x".repeat(201)],
];

for (const [label, service, methodName, requestOrFn, wantCode, wantReason, actor] of parity) {
  await step(`parity: ${label}: ${Code[wantCode]}/${wantReason}`, async () => {
    const request = typeof requestOrFn === "function" ? requestOrFn() : requestOrFn;
    const overConnect = await call(connectBinary, service, methodName, request, actor);
    const overConnectJson = await call(connectJson, service, methodName, request, actor);
    const overGrpc = await call(grpc, service, methodName, request, actor);
    assert.deepEqual(overConnect, { code: wantCode, reason: wantReason }, "over Connect (binary)");
    assert.deepEqual(overConnectJson, overConnect, "over Connect (JSON) vs Connect (binary)");
    assert.deepEqual(overGrpc, overConnect, "over gRPC vs over Connect");
    if (d06ctlPath) {
      const ctl = callCtl(service, methodName, request, actor);
      assert.equal(ctl.code, wantCode, `d06ctl exit status (stderr: ${ctl.stderr})`);
    }
  });
}

// ---------------------------------------------------------------------------------------
// 3. Streaming: gRPC only. A Connect streaming client reads the error from the
// end-of-stream message of a 200 answer; an HTTP 501 would reach it as code "unknown".
function isGrpcOnly(e, method) {
  assert.ok(e instanceof ConnectError, `not a ConnectError: ${e}`);
  assert.equal(Code[e.code], "Unimplemented", `${method} over Connect: ${e.message}`);
  assert.match(e.rawMessage, /gRPC only/);
  return true;
}
await step("ExportSummary over Connect: unimplemented; over gRPC: the CSV", async () => {
  const overConnect = createClient(ReportService, connectBinary);
  await assert.rejects(
    async () => {
      for await (const chunk of overConnect.exportSummary({ unit: "units/H38" })) {
        assert.fail(`a chunk over Connect: ${chunk.data.length} bytes`);
      }
    },
    (e) => isGrpcOnly(e, "ExportSummary"),
  );
  let csv = Buffer.alloc(0);
  for await (const chunk of createClient(ReportService, grpc).exportSummary({
    unit: "units/H38",
  })) {
    csv = Buffer.concat([csv, Buffer.from(chunk.data)]);
  }
  assert.ok(csv.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf])), "no byte-order mark");
  assert.match(csv.toString("utf8"), /Sở Nội vụ tỉnh Thanh Hóa/);
});

await step("Watch over Connect: unimplemented", async () => {
  await assert.rejects(
    async () => {
      for await (const r of createClient(EventService, connectBinary).watch({ startRevision: 1n })) {
        assert.fail(`a watch response over Connect: ${r.revision}`);
      }
    },
    (e) => isGrpcOnly(e, "Watch"),
  );
});

// ---------------------------------------------------------------------------------------
// 4. Authentication required.
await step("authentication: the bearer token over Connect, gRPC and d06ctl", async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "d06-web-connect-auth-"));
  cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const token = execFileSync(
    d06dPath,
    ["bootstrap-admin", `--data_dir=${dataDir}`, "--name=Quản trị viên"],
    { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
  ).trim();
  assert.match(token, /^d06_[A-Za-z0-9]+$/);
  const ports = await startD06d([], dataDir);
  const bearer = (secret) => (next) => async (req) => {
    req.header.set("Authorization", `Bearer ${secret}`);
    return await next(req);
  };
  const transports = (interceptors) => ({
    connectBinary: createConnectTransport({
      baseUrl: `http://127.0.0.1:${ports.httpPort}`, httpVersion: "1.1", interceptors,
    }),
    connectJson: createConnectTransport({
      baseUrl: `http://127.0.0.1:${ports.httpPort}`, httpVersion: "1.1", useBinaryFormat: false,
      interceptors,
    }),
    grpc: createGrpcTransport({ baseUrl: `http://127.0.0.1:${ports.grpcPort}`, interceptors }),
  });
  for (const [name, transport] of Object.entries(transports([bearer(token)]))) {
    const me = await createClient(AccessService, transport).whoAmI({});
    assert.equal(me.method, "token", name);
    assert.equal(me.principal.displayName, "Quản trị viên", name);
    const { units: list } = await createClient(UnitService, transport).listUnits({});
    assert.deepEqual(list, [], name);
  }
  for (const [name, transport] of Object.entries(transports([]))) {
    const refused = await call(transport, UnitService, "ListUnits", {});
    assert.deepEqual(refused, { code: Code.Unauthenticated, reason: "CREDENTIAL_MISSING" }, name);
  }
  if (d06ctlPath) {
    const ctl = (env) =>
      spawnSync(
        d06ctlPath,
        ["access", "who-am-i", "-o", "json", "--address", `127.0.0.1:${ports.grpcPort}`],
        {
          encoding: "utf8",
          timeout: 20000,
          env: { ...process.env, D06CONFIG: path.join(dataDir, "no-config.json"), ...env },
        },
      );
    const withToken = ctl({ D06_TOKEN: token });
    assert.equal(withToken.status, 0, withToken.stderr);
    assert.equal(JSON.parse(withToken.stdout).method, "token");
    const without = ctl({ D06_TOKEN: "" });
    assert.equal(without.status, Code.Unauthenticated, without.stderr);
    assert.match(without.stderr, /CREDENTIAL_MISSING/);
  }
});

if (failures > 0) die(`${failures} step(s) failed`);
console.log("PASS");
process.exit(0);
