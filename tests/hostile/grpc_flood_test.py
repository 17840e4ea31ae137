#!/usr/bin/python3
"""d06d under a connection flood with a small open-files limit (issue 17).

One unauthenticated client with 600 idle TCP connections used to take d06d (file limit
512) past its limit: gRPC's accept loop stopped for good ("Failed accept4: Too many open
files", CVE-2023-4785) and RocksDB could not open its next write-ahead log. This test
starts the real d06d with RLIMIT_NOFILE soft = hard = 512 (so it cannot raise it) on
127.0.0.1, a fresh data directory and free ports, and checks:

  (a) the start-up line reports the limit 512 and connection caps that fit in it;
  (b) a client connected before a flood of 600 idle connections to the gRPC port keeps
      writing during it (200 CreateUnit calls, all OK);
  (c) during that flood a new client is served or refused within 2 s, never left hanging;
  (d) once the attacker has closed every socket, a new client is served within 1 s, 500
      more writes succeed, health says SERVING and d06d's log has no "Too many open
      files" and no fail-stop of the store;
  (e) a flood of 600 idle connections to the HTTP port: gRPC writes go on during it and
      a new gRPC client is served, and after it a POST /d06.v1.UnitService/ListUnits
      answers 200 within 1 s.

During each flood d06d's open files (/proc/PID/fd) stay 16 below its limit: the caps hold.

Every wait is bounded; d06d is killed at the end whatever happens. Python code is
generated as tests/python/client_test.py does it (protoc with grpc_python_plugin, into
OUT_DIR); Debian's python3-grpcio and python3-protobuf.

  grpc_flood_test.py D06D PROTO_DIR OUT_DIR
"""

import http.client
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import d06_stubs  # noqa: E402  tests/python/d06_stubs.py

D06D, PROTO_DIR, OUT_DIR = sys.argv[1:4]
ACTOR = (("x-d06-actor", "flood-test@example.gov.vn"),)
LIMIT = 512  # d06d's open-files limit, soft and hard
# Files d06d keeps free under any flood: its caps leave a reserve below the limit.
RESERVE = 16
FLOOD = 600  # idle connections of the attacker: more than the limit

failures = []


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    """Records a failed check and goes on, so that one run shows every check."""
    if condition:
        print(f"ok: {message}")
    else:
        print(f"FAIL: {message}", file=sys.stderr)
        failures.append(message)
    return condition


if (missing := d06_stubs.generate(PROTO_DIR, OUT_DIR)) is not None:
    fail(missing)
try:
    import grpc  # noqa: E402
except ImportError:
    fail("python3-grpcio is not installed: run scripts/setup.sh")
try:
    from d06.v1 import unit_pb2, unit_pb2_grpc  # noqa: E402
except ImportError as error:
    fail(f"{error}: is python3-protobuf installed? run scripts/setup.sh")


def limit_files():
    """In the child before exec: d06d gets 512 files and cannot raise the limit."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (LIMIT, LIMIT))


class D06d:
    """The real d06d on 127.0.0.1:0 (gRPC and HTTP); ports read from its log."""

    def __init__(self, work):
        self.log_path = os.path.join(work, "d06d.log")
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [D06D, "--auth=off", "--listen=127.0.0.1:0", "--http_listen=127.0.0.1:0",
             "--metrics_listen=",
             f"--data_dir={os.path.join(work, 'data')}"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
            preexec_fn=limit_files)
        self.port = self.http_port = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.process.poll() is None:
            text = self.text()
            grpc_port = re.search(r"d06d: serving gRPC on port (\d+) ", text)
            http_port = re.search(r"d06d: serving HTTP on port (\d+) ", text)
            if grpc_port and http_port:
                self.port, self.http_port = int(grpc_port.group(1)), int(http_port.group(1))
                break
            time.sleep(0.05)
        if self.port is None:
            self.kill()
            fail(f"d06d did not say which ports it serves on:\n{self.text()}")

    def text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def open_files(self):
        try:
            return len(os.listdir(f"/proc/{self.process.pid}/fd"))
        except OSError:
            return -1

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)
        self.log.close()


def channel(port):
    """A channel with a TCP connection of its own: grpc would otherwise share one
    subchannel (and its connection) between channels to the same target."""
    return grpc.insecure_channel(f"127.0.0.1:{port}",
                                 options=[("grpc.use_local_subchannel_pool", 1)])


def create_units(stub, prefix, n, timeout=5):
    """CreateUnit of provinces PREFIX0..PREFIX{n-1}; the errors, stopping at the first."""
    for i in range(n):
        try:
            stub.CreateUnit(unit_pb2.CreateUnitRequest(unit=unit_pb2.Unit(
                code=f"{prefix}{i}", display_name=f"Tỉnh {prefix}{i}",
                kind=unit_pb2.UNIT_KIND_PROVINCE)), metadata=ACTOR, timeout=timeout)
        except grpc.RpcError as error:
            return [f"{prefix}{i}: {error.code().name} {error.details()}"]
    return []


def health(port, timeout):
    """grpc.health.v1.Health/Check of the whole server on a new connection: "SERVING",
    ...; the code of the error if it fails. Request and response encoded by hand."""
    c = channel(port)
    try:
        check_call = c.unary_unary("/grpc.health.v1.Health/Check")
        answer = check_call(b"", timeout=timeout)
        return {b"\x08\x01": "SERVING", b"\x08\x02": "NOT_SERVING", b"": "UNKNOWN"}.get(
            answer, repr(answer))
    except grpc.RpcError as error:
        return error.code().name
    finally:
        c.close()


def new_client_call(port, timeout):
    """A GetUnit on a new connection: (served?, seconds taken, what happened)."""
    c = channel(port)
    start = time.monotonic()
    try:
        unit_pb2_grpc.UnitServiceStub(c).GetUnit(unit_pb2.GetUnitRequest(name="units/F0"),
                                                 metadata=ACTOR, timeout=timeout)
        return True, time.monotonic() - start, "OK"
    except grpc.RpcError as error:
        served = error.code() not in (grpc.StatusCode.UNAVAILABLE,
                                      grpc.StatusCode.DEADLINE_EXCEEDED)
        return served, time.monotonic() - start, f"{error.code().name} {error.details()}"
    finally:
        c.close()


def served_within(seconds, attempt):
    """Tries attempt(remaining) until it is served or `seconds` have passed:
    (served, seconds taken, what the last attempt saw)."""
    start = time.monotonic()
    seen = "no attempt"
    while True:
        remaining = seconds - (time.monotonic() - start)
        if remaining <= 0:
            return False, time.monotonic() - start, seen
        served, seen = attempt(remaining)
        if served:
            return True, time.monotonic() - start, seen
        time.sleep(0.02)


def flood(port, n):
    """n idle TCP connections to port, opened without waiting on a full backlog
    (non-blocking connect); returns the sockets once each has connected or 3 s passed."""
    sockets = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        sockets.append(s)
    deadline = time.monotonic() + 3
    pending = list(sockets)
    while pending and time.monotonic() < deadline:
        pending = [s for s in pending if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
                   and not connected(s)]
        time.sleep(0.02)
    return sockets


def connected(s):
    try:
        s.getpeername()
        return True
    except OSError:
        return False


def settle(server, seconds=5):
    """Waits until d06d's open files stop changing for 300 ms (it has dealt with the
    connections waiting on its port), at most `seconds`; returns the most it had."""
    most, last, since = 0, -1, time.monotonic()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        now = server.open_files()
        most = max(most, now)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= 0.3:
            break
        time.sleep(0.02)
    return most


def close_all(sockets):
    for s in sockets:
        s.close()


def http_list_units(port, timeout):
    """POST /d06.v1.UnitService/ListUnits {} over the Connect JSON face: (served, what)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("POST", "/d06.v1.UnitService/ListUnits", body=b"{}",
                           headers={"Content-Type": "application/json",
                                    "x-d06-actor": ACTOR[0][1]})
        response = connection.getresponse()
        response.read()
        return response.status == 200, f"HTTP {response.status}"
    except (OSError, http.client.HTTPException) as error:
        return False, f"{type(error).__name__}: {error}"
    finally:
        connection.close()


def main():
    # The attacker (this process) holds 600 sockets at once.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < FLOOD + 200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    work = tempfile.mkdtemp(prefix="d06-flood-")
    server = D06d(work)
    client = None
    try:
        # (a) The limit and how d06d shares it.
        line = re.search(r"d06d: open files: limit (\d+)[^;]*; the store keeps at most (\d+); "
                         r"gRPC takes at most (\d+) connections, HTTP at most (\d+)",
                         server.text())
        if check(line is not None, "d06d says how it shares its open-files limit"):
            limit, store, grpc_cap, http_cap = map(int, line.groups())
            check(limit == LIMIT, f"the limit it reports is {LIMIT} (it says {limit})")
            check(grpc_cap >= 1 and http_cap >= 1 and store + grpc_cap + http_cap < limit,
                  f"store {store} + gRPC {grpc_cap} + HTTP {http_cap} leave a reserve "
                  f"in {limit}")

        client = channel(server.port)
        units = unit_pb2_grpc.UnitServiceStub(client)
        grpc.channel_ready_future(client).result(timeout=10)
        check(not create_units(units, "F", 1), "a first write before the flood")

        # (b) and (c): a flood of idle connections on the gRPC port.
        attack = flood(server.port, FLOOD)
        most = settle(server)
        print(f"gRPC flood: {sum(map(connected, attack))} of {FLOOD} connected")
        check(most <= LIMIT - RESERVE, f"during the gRPC flood d06d keeps {RESERVE} of its "
                                       f"{LIMIT} files free (it had {most} open)")
        errors = create_units(units, "G", 200)
        check(not errors, f"200 writes of a client connected before the flood succeed "
                          f"during it {errors}")
        served, took, seen = new_client_call(server.port, timeout=5)
        check(took < 2, f"a new client during the flood is answered within 2 s "
                        f"(took {took:.2f} s: {seen})")

        # (d) After the flood.
        close_all(attack)
        served, took, seen = served_within(
            1, lambda remaining: new_client_call(server.port, timeout=remaining)[::2])
        check(served, f"after the flood a new client is served within 1 s "
                      f"(took {took:.2f} s: {seen})")
        errors = create_units(units, "H", 500)
        check(not errors, f"500 more writes succeed after the flood {errors}")
        status = health(server.port, timeout=2)
        check(status == "SERVING", f"health after the flood is SERVING (it is {status})")

        # (e) A flood of idle connections on the HTTP port.
        attack = flood(server.http_port, FLOOD)
        most = settle(server)
        print(f"HTTP flood: {sum(map(connected, attack))} of {FLOOD} connected")
        check(most <= LIMIT - RESERVE, f"during the HTTP flood d06d keeps {RESERVE} of its "
                                       f"{LIMIT} files free (it had {most} open)")
        errors = create_units(units, "K", 100)
        check(not errors, f"gRPC writes succeed during the HTTP flood {errors}")
        # The HTTP port's cap leaves the gRPC port its share of the files.
        served, took, seen = served_within(
            1, lambda remaining: new_client_call(server.port, timeout=remaining)[::2])
        check(served, f"during the HTTP flood a new gRPC client is served within 1 s "
                      f"(took {took:.2f} s: {seen})")
        close_all(attack)
        served, took, seen = served_within(
            1, lambda remaining: http_list_units(server.http_port, timeout=remaining))
        check(served, f"after the HTTP flood ListUnits over HTTP answers 200 within 1 s "
                      f"(took {took:.2f} s: {seen})")
        errors = create_units(units, "L", 100)
        check(not errors, f"gRPC writes succeed after the HTTP flood {errors}")

        log = server.text()
        for bad in ("Too many open files", "fail-stop", "storage: write"):
            check(bad not in log, f"d06d's log has no {bad!r}")
    finally:
        if client is not None:
            client.close()
        server.kill()
        log = server.text()
        if failures:
            print(f"d06d's log:\n{log[-8000:]}", file=sys.stderr)
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        fail(f"{len(failures)} check(s) failed: {failures}")
    print("PASS")


if __name__ == "__main__":
    main()
