#!/usr/bin/python3
"""d06 from Python, as the README ("Python") tells integrators to do it.

Generates the Python code of proto/ with protoc and grpc_python_plugin (Debian's
protobuf-compiler and protobuf-compiler-grpc) into OUT_DIR, makes the first administrator
of a fresh data directory (`d06d bootstrap-admin`, which prints its bearer token), starts
the real d06d on 127.0.0.1:0 with authentication required (its default), and through the
generated stubs (Debian's python3-grpcio and python3-protobuf), every call with
"authorization: Bearer <token>" in its metadata:

  * checks that a call without the token is UNAUTHENTICATED (CREDENTIAL_MISSING);
  * creates a province and a department, and a task with the department as lead;
  * walks the lead assignment to COMPLETED (start, submit, approve);
  * reads GetSummary: the task counts as completed on time;
  * watches the change feed from revision 1, stops d06d with SIGTERM while watching,
    starts it again on the same data directory, resumes from the last revision + 1 and
    checks that every event came exactly once and in order (against a fresh watch of
    the whole feed).

  client_test.py D06D PROTO_DIR OUT_DIR
"""

import datetime
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import d06_stubs  # tests/python/d06_stubs.py, beside this file

D06D, PROTO_DIR, OUT_DIR = sys.argv[1:4]
# Every call's metadata: the bearer token, set by main() once bootstrap-admin printed it.
# (Over TLS, grpc.access_token_call_credentials(token) with grpc.ssl_channel_credentials
# does the same as call credentials; plaintext, as here, is for loopback only.)
AUTH = ()


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


if (missing := d06_stubs.generate(PROTO_DIR, OUT_DIR)) is not None:
    fail(missing)
try:
    import grpc  # noqa: E402
except ImportError:
    fail("python3-grpcio is not installed: run scripts/setup.sh")
try:
    from d06.v1 import (common_pb2, report_pb2, report_pb2_grpc,  # noqa: E402
                        task_pb2, task_pb2_grpc, unit_pb2, unit_pb2_grpc, watch_pb2,
                        watch_pb2_grpc)
except ImportError as error:
    fail(f"{error}: is python3-protobuf installed? run scripts/setup.sh")


class Server:
    """The real d06d on 127.0.0.1:0; its port read from its stderr."""

    def __init__(self, data_dir, log_path):
        self.log = open(log_path, "ab")
        self.process = subprocess.Popen(
            [D06D, "--listen=127.0.0.1:0", "--http_listen=", "--metrics_listen=",
             f"--data_dir={data_dir}"],
            stdout=self.log, stderr=subprocess.PIPE)
        self.port = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.process.stderr.readline()
            if not line:
                break
            self.log.write(line)
            match = re.match(rb"d06d: serving gRPC on port (\d+) ", line)
            if match:
                self.port = int(match.group(1))
                break
        if self.port is None:
            self.process.kill()
            fail(f"d06d did not say which port it serves on (log: {log_path})")
        # Keep draining stderr so that d06d never blocks on a full pipe.
        self.drain = subprocess.Popen(["cat"], stdin=self.process.stderr, stdout=self.log)
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        grpc.channel_ready_future(self.channel).result(timeout=30)

    def terminate(self):
        """SIGTERM, as an operator stops it; d06d ends its calls and shuts down cleanly."""
        self.process.send_signal(signal.SIGTERM)

    def stop(self):
        if self.process.poll() is None:
            self.terminate()
        if self.process.wait(timeout=30) != 0:
            fail(f"d06d exited {self.process.returncode} on SIGTERM")
        self.channel.close()
        self.drain.wait(timeout=30)
        self.log.close()


def watch(channel, start_revision, until_revision, events, stop=None):
    """Reads the feed from start_revision into `events` until a response's revision
    reaches until_revision; or, with `stop`, calls stop() after the first events and
    reads on until the stream ends (the server going away). Returns the last revision
    the server said was complete."""
    stub = watch_pb2_grpc.EventServiceStub(channel)
    call = stub.Watch(watch_pb2.WatchRequest(start_revision=start_revision),
                      metadata=AUTH, timeout=60)
    last = start_revision - 1
    try:
        for response in call:
            events.extend(response.events)
            last = response.revision
            if stop is not None and events:
                stopper, stop = stop, None
                stopper()
            elif stop is None and until_revision is not None and last >= until_revision:
                call.cancel()
                break
    except grpc.RpcError as error:
        if error.code() != grpc.StatusCode.UNAVAILABLE:
            raise
    return last


def current_revision(channel):
    stub = watch_pb2_grpc.EventServiceStub(channel)
    call = stub.Watch(watch_pb2.WatchRequest(start_revision=0), metadata=AUTH, timeout=30)
    revision = next(iter(call)).revision
    call.cancel()
    return revision


def key(event):
    return (event.revision, event.index, event.action, event.resource)


def bootstrap_admin(data):
    """`d06d bootstrap-admin`: the first administrator's token, its one line on stdout."""
    done = subprocess.run([D06D, "bootstrap-admin", f"--data_dir={data}", "--name=Quản trị viên"],
                          capture_output=True, text=True, timeout=60)
    token = done.stdout.strip()
    if done.returncode != 0 or not re.fullmatch(r"d06_[A-Za-z0-9]+", token):
        fail(f"d06d bootstrap-admin: exit {done.returncode}, stdout {token!r}: {done.stderr}")
    return token


def main():
    global AUTH
    work = tempfile.mkdtemp(prefix="d06-python-")
    data = os.path.join(work, "data")
    log = os.path.join(work, "d06d.log")
    AUTH = (("authorization", f"Bearer {bootstrap_admin(data)}"),)
    server = Server(data, log)
    try:
        # Without the token: refused, with the reason in the status details.
        try:
            unit_pb2_grpc.UnitServiceStub(server.channel).ListUnits(unit_pb2.ListUnitsRequest())
            fail("ListUnits without a token succeeded")
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.UNAUTHENTICATED:
                fail(f"ListUnits without a token: {error.code()}, not UNAUTHENTICATED")
            details = dict(error.trailing_metadata() or ()).get("grpc-status-details-bin", b"")
            if b"CREDENTIAL_MISSING" not in details:
                fail(f"ListUnits without a token: no CREDENTIAL_MISSING in {details!r}")

        units = unit_pb2_grpc.UnitServiceStub(server.channel)
        tasks = task_pb2_grpc.TaskServiceStub(server.channel)
        reports = report_pb2_grpc.ReportServiceStub(server.channel)

        units.CreateUnit(unit_pb2.CreateUnitRequest(unit=unit_pb2.Unit(
            code="P01", display_name="Tỉnh Thử nghiệm", kind=unit_pb2.UNIT_KIND_PROVINCE)),
            metadata=AUTH)
        units.CreateUnit(unit_pb2.CreateUnitRequest(unit=unit_pb2.Unit(
            code="P01.01", display_name="Công an tỉnh", kind=unit_pb2.UNIT_KIND_DEPARTMENT,
            parent="units/P01")), metadata=AUTH)
        due = datetime.date.today() + datetime.timedelta(days=60)
        created = tasks.CreateTask(task_pb2.CreateTaskRequest(
            task=task_pb2.Task(title="Làm sạch dữ liệu dân cư", kind=task_pb2.TASK_KIND_ONE_OFF,
                               assigning_unit="units/P01",
                               deadline=common_pb2.Date(year=due.year, month=due.month,
                                                        day=due.day)),
            assignments=[task_pb2.Assignment(unit="units/P01.01",
                                             role=task_pb2.ASSIGNMENT_ROLE_LEAD)]),
            metadata=AUTH)
        lead = created.assignments[0].name
        if lead != f"{created.task.name}/assignments/P01.01":
            fail(f"unexpected assignment name {lead}")

        tasks.StartAssignment(task_pb2.StartAssignmentRequest(name=lead), metadata=AUTH)
        tasks.SubmitAssignment(task_pb2.SubmitAssignmentRequest(name=lead, note="Đã xong"),
                               metadata=AUTH)
        done = tasks.ApproveAssignment(task_pb2.ApproveAssignmentRequest(name=lead),
                                       metadata=AUTH).assignment
        if done.state != task_pb2.ASSIGNMENT_STATE_COMPLETED:
            fail(f"{lead} is {task_pb2.AssignmentState.Name(done.state)}, not COMPLETED")

        summary = reports.GetSummary(report_pb2.GetSummaryRequest(unit="units/P01"),
                                     metadata=AUTH)
        if (summary.total.total, summary.total.completed,
                summary.total.completed_on_time) != (1, 1, 1):
            fail(f"summary: {summary.total}")
        print(f"summary: {summary.completed_line}")

        # The change feed across a restart: watch from 1, stop d06d mid-watch (SIGTERM
        # ends every watch UNAVAILABLE), start again, resume after the last revision.
        written = current_revision(server.channel)
        seen = []
        last = watch(server.channel, 1, None, seen, stop=server.terminate)
        if not seen:
            fail("the watch from revision 1 got no events")
        server.stop()
        server = Server(data, log)
        units = unit_pb2_grpc.UnitServiceStub(server.channel)
        units.CreateUnit(unit_pb2.CreateUnitRequest(unit=unit_pb2.Unit(
            code="P01.02", display_name="Sở Tư pháp", kind=unit_pb2.UNIT_KIND_DEPARTMENT,
            parent="units/P01")), metadata=AUTH)
        final = current_revision(server.channel)
        if final <= written:
            fail(f"the write after the restart made no revision ({final} <= {written})")
        watch(server.channel, last + 1, final, seen)

        whole = []
        watch(server.channel, 1, final, whole)
        got = [key(e) for e in seen]
        want = [key(e) for e in whole]
        if got != want:
            fail(f"resumed watch: {len(got)} events, a fresh one {len(want)}:\n"
                 f"{got}\n{want}")
        if got != sorted(set(got)):
            fail(f"events out of order or repeated: {got}")
        revisions = sorted({e.revision for e in seen})
        if revisions != list(range(1, final + 1)):
            fail(f"revisions 1..{final} not all seen: {revisions}")
        if seen[-1].resource != "units/P01.02":
            fail(f"the last event is {seen[-1]}")
        print(f"watch: {len(seen)} events of revisions 1..{final}, resumed after {last}")
        server.stop()
    except BaseException:
        with open(log, "rb") as f:
            sys.stderr.write(f.read().decode("utf-8", "replace"))
        raise
    finally:
        if server.process.poll() is None:
            server.process.kill()
        shutil.rmtree(work, ignore_errors=True)
    print("PASS")


main()
