#!/usr/bin/env python3
"""The HTTP face of the real d06d against hostile clients, at scale (issue 17).

    http_hostile_test.py PATH/TO/d06d

Starts d06d on 127.0.0.1:0 with a temporary data directory and checks, over raw sockets
(python3's standard library only):

- body bombs: 8 concurrent chunked bodies of 256 MiB are answered 413 and 8 bodies
  declaring 256 MiB are answered 413 before they are sent, while d06d's resident memory
  (VmRSS) stays within RSS_BOUND_MIB of what it was idle;
- a header flood (200,000 header fields, 8 MB) is answered 431 or cut, memory bounded;
- slowloris: with 16 clients trickling a header, 16 trickling a body and 64 idle
  keep-alive connections, a probe (POST /d06.v1.UnitService/ListUnits, {}) is answered
  200 within PROBE_BOUND_S every time over ~10 s.

Every wait is bounded; d06d is killed at the end whatever happens. Prints the measured
numbers; exits non-zero with FAIL: ... on the first broken expectation.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

RSS_BOUND_MIB = 64  # growth over the idle RSS allowed while under attack
PROBE_BOUND_S = 2.0
MIB = 1 << 20
BOMB_BYTES = 256 * MIB
BOMBS = 8

HOST = "127.0.0.1"


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class RssSampler:
    """The highest VmRSS of `pid` while running, sampled every 20 ms."""

    def __init__(self, pid):
        self.pid = pid
        self.peak = rss_kib(pid)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stopping.wait(0.02):
            try:
                self.peak = max(self.peak, rss_kib(self.pid))
            except OSError:
                return

    def stop(self):
        self.stopping.set()
        self.thread.join(timeout=2)
        return self.peak


def connect(port, timeout=10.0):
    s = socket.create_connection((HOST, port), timeout=timeout)
    s.settimeout(timeout)
    return s


def read_answer(s, deadline_s=30.0):
    """The status of the answer read from `s`, or None when the connection ends (or is
    reset, or times out) before a status line."""
    end = time.monotonic() + deadline_s
    data = b""
    while b"\r\n" not in data:
        left = end - time.monotonic()
        if left <= 0:
            return None
        s.settimeout(left)
        try:
            chunk = s.recv(65536)
        except (socket.timeout, ConnectionError, OSError):
            return None
        if not chunk:
            return None
        data += chunk
    match = re.match(rb"HTTP/1\.[01] (\d{3}) ", data)
    return int(match.group(1)) if match else None


def probe_request():
    return (b"POST /d06.v1.UnitService/ListUnits HTTP/1.1\r\nHost: localhost\r\n"
            b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")


def probe(port):
    """Seconds a fresh connection takes to get its ListUnits answered, and the status."""
    start = time.monotonic()
    try:
        with connect(port, timeout=PROBE_BOUND_S + 3) as s:
            s.sendall(probe_request())
            status = read_answer(s, PROBE_BOUND_S + 3)
    except OSError:
        status = None
    return time.monotonic() - start, status


class D06d:
    def __init__(self, binary, work):
        self.log_path = os.path.join(work, "d06d.log")
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [binary, "--auth=off", "--listen=127.0.0.1:0", "--http_listen=127.0.0.1:0",
             "--metrics_listen=",
             f"--data_dir={os.path.join(work, 'data')}",
             # The idle keep-alive connections of the slowloris check must stay for its
             # whole 10 s (the default closes them after 5 s, which would only help).
             "--http_idle_timeout=60s"],
            stdout=self.log, stderr=subprocess.PIPE)
        self.http_port = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.http_port is None:
            line = self.process.stderr.readline()
            if not line:
                break
            self.log.write(line)
            match = re.match(rb"d06d: serving HTTP on port (\d+) ", line)
            if match:
                self.http_port = int(match.group(1))
        if self.http_port is None:
            self.kill()
            fail(f"d06d did not say which HTTP port it serves on (log: {self.log_path})")
        # Keep draining stderr so that d06d never blocks on a full pipe.
        self.drain = threading.Thread(target=self._drain, daemon=True)
        self.drain.start()

    def _drain(self):
        for line in self.process.stderr:
            self.log.write(line)

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)


def chunked_bomb(port, results, i):
    """POSTs a chunked body of BOMB_BYTES; the status of the answer (None: cut)."""
    chunk = b"%x\r\n" % MIB + b"x" * MIB + b"\r\n"
    try:
        with connect(port, timeout=30) as s:
            s.sendall(b"POST /d06.v1.UnitService/ListUnits HTTP/1.1\r\nHost: localhost\r\n"
                      b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
            try:
                for _ in range(BOMB_BYTES // MIB):
                    s.sendall(chunk)
                s.sendall(b"0\r\n\r\n")
            except OSError:
                pass  # answered and closed early: read what was said
            results[i] = read_answer(s, 30)
    except OSError as error:
        results[i] = f"error {error}"


def declared_bomb(port, results, sent, i):
    """Declares a body of BOMB_BYTES: the answer must come before any byte of it; then
    tries to send it anyway (`sent`: how much the server let in before closing)."""
    try:
        with connect(port, timeout=30) as s:
            s.sendall(b"POST /d06.v1.UnitService/ListUnits HTTP/1.1\r\nHost: localhost\r\n"
                      b"Content-Type: application/json\r\n"
                      b"Content-Length: %d\r\n\r\n" % BOMB_BYTES)
            results[i] = read_answer(s, 10)
            block = b"x" * MIB
            total = 0
            s.settimeout(5)
            try:
                while total < BOMB_BYTES:
                    s.sendall(block)
                    total += len(block)
            except OSError:
                pass
            sent[i] = total
    except OSError as error:
        results[i] = f"error {error}"


def header_flood(port):
    """200,000 header fields of 40 bytes (8 MB): the status, or None when cut."""
    line = b"X-Flood-%06d: aaaaaaaaaaaaaaaaaaaa\r\n"
    flood = b"".join(line % i for i in range(200_000))
    with connect(port, timeout=30) as s:
        def send():
            try:
                s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n" + flood + b"\r\n")
            except OSError:
                pass
        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        status = read_answer(s, 20)
        sender.join(timeout=20)
        return status, len(flood)


def run_threads(targets):
    threads = [threading.Thread(target=t, daemon=True) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=50)
        if t.is_alive():
            fail("a client thread did not finish within 50 s")


def check_bombs(server):
    port = server.http_port
    pid = server.process.pid
    for _ in range(5):
        probe(port)  # warm up
    time.sleep(0.5)
    idle = rss_kib(pid)
    print(f"idle RSS: {idle / 1024:.1f} MiB")

    sampler = RssSampler(pid)
    start = time.monotonic()
    results = [None] * BOMBS
    run_threads([lambda i=i: chunked_bomb(port, results, i) for i in range(BOMBS)])
    peak = sampler.stop()
    print(f"{BOMBS} chunked bodies of {BOMB_BYTES // MIB} MiB: answers {results} in "
          f"{time.monotonic() - start:.1f} s; peak RSS {peak / 1024:.1f} MiB "
          f"(+{(peak - idle) / 1024:.1f})")
    if any(r != 413 for r in results):
        fail(f"chunked bombs: answers {results}, want 413 each")
    if peak - idle > RSS_BOUND_MIB * 1024:
        fail(f"chunked bombs: RSS grew by {(peak - idle) / 1024:.1f} MiB, more than "
             f"{RSS_BOUND_MIB}")

    sampler = RssSampler(pid)
    results, sent = [None] * BOMBS, [0] * BOMBS
    run_threads([lambda i=i: declared_bomb(port, results, sent, i) for i in range(BOMBS)])
    peak = sampler.stop()
    print(f"{BOMBS} bodies declaring {BOMB_BYTES // MIB} MiB: answers {results}; the server "
          f"let in at most {max(sent) // MIB} MiB before closing; peak RSS "
          f"{peak / 1024:.1f} MiB (+{(peak - idle) / 1024:.1f})")
    if any(r != 413 for r in results):
        fail(f"declared bombs: answers {results}, want 413 each before the body")
    if max(sent) >= BOMB_BYTES:
        fail("declared bombs: the server read a whole 256 MiB body it had refused")
    if peak - idle > RSS_BOUND_MIB * 1024:
        fail(f"declared bombs: RSS grew by {(peak - idle) / 1024:.1f} MiB")

    sampler = RssSampler(pid)
    status, size = header_flood(port)
    peak = sampler.stop()
    print(f"header flood of {size / MIB:.1f} MiB: answer {status}; peak RSS "
          f"{peak / 1024:.1f} MiB (+{(peak - idle) / 1024:.1f})")
    if status not in (431, None):
        fail(f"header flood: answer {status}, want 431 or the connection cut")
    if peak - idle > RSS_BOUND_MIB * 1024:
        fail(f"header flood: RSS grew by {(peak - idle) / 1024:.1f} MiB")
    latency, status = probe(port)
    if status != 200:
        fail(f"after the bombs the probe got {status}")


def check_slowloris(server):
    port = server.http_port
    held = []
    stop = threading.Event()

    def trickle(s, piece):
        while not stop.wait(1.0):
            try:
                s.sendall(piece)
            except OSError:
                return

    tricklers = []
    for _ in range(16):
        s = connect(port)
        s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
        held.append(s)
        tricklers.append(threading.Thread(target=trickle, args=(s, b"X-Slow: 1\r\n"),
                                          daemon=True))
        s = connect(port)
        s.sendall(b"POST /d06.v1.UnitService/ListUnits HTTP/1.1\r\nHost: localhost\r\n"
                  b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
        held.append(s)
        tricklers.append(threading.Thread(target=trickle, args=(s, b" "), daemon=True))
    for _ in range(64):
        s = connect(port)
        s.sendall(probe_request())
        if read_answer(s, 10) != 200:
            fail("an idle keep-alive connection's first request was not answered 200")
        held.append(s)  # the rest of the answer stays unread; the connection idles
    for t in tricklers:
        t.start()
    latencies = []
    try:
        end = time.monotonic() + 10
        while time.monotonic() < end:
            latency, status = probe(port)
            latencies.append(latency)
            if status != 200 or latency > PROBE_BOUND_S:
                fail(f"slowloris: probe {len(latencies)} got {status} after {latency:.2f} s "
                     f"(want 200 within {PROBE_BOUND_S} s)")
            time.sleep(0.5)
    finally:
        stop.set()
        for s in held:
            s.close()
    print(f"slowloris (16 header tricklers, 16 body tricklers, 64 idle keep-alives): "
          f"{len(latencies)} probes answered 200, max {max(latencies) * 1000:.0f} ms, "
          f"median {sorted(latencies)[len(latencies) // 2] * 1000:.0f} ms")


def main():
    if len(sys.argv) != 2:
        fail("usage: http_hostile_test.py PATH/TO/d06d")
    work = tempfile.mkdtemp(prefix="d06-hostile-")
    server = None
    try:
        server = D06d(sys.argv[1], work)
        check_bombs(server)
        check_slowloris(server)
        if server.process.poll() is not None:
            fail(f"d06d exited with {server.process.returncode}")
    except BaseException:
        if server is not None:
            server.kill()
            with open(server.log_path, "rb") as f:
                sys.stderr.write(f.read().decode("utf-8", "replace")[-4000:])
        raise
    finally:
        if server is not None:
            server.kill()
        shutil.rmtree(work, ignore_errors=True)
    print("PASS")


main()
