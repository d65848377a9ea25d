#!/usr/bin/env python3
"""Attacks on the session service over loopback (examples/session_segmentation), each bounded in
time, and what must hold after every one: the server alive, its memory bounded, /healthz answering
within 0.5 s while slow clients hold connections, a good request still answered correctly, and a
SIGTERM ending it cleanly. Run by ctest (service_adversarial) and so by CI:

    adversarial.py SESSION_SEGMENTATION_BINARY WORK_DIR

Attacks: a gzip bomb (10 MB of zeros in 10 kB, sent with Content-Encoding: gzip), 20,000 header
lines, a 4 MiB header line, a 1 GB Content-Length, a chunked body past the limit, 256 slowloris
connections (one header byte a second), 100,000 tiny pipelined requests, half-open connections,
random bytes, and a wrong token with a body that never comes. Loopback only; stops by itself.
"""
import gzip
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time

TOKEN = "adversarial-token"
RSS_GROWTH_LIMIT_KB = 96 * 1024


def fail(message):
    print(f"adversarial: FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    fail("no VmRSS")


def connect(port, timeout=10.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_until_closed(s, limit=1 << 20):
    out = b""
    try:
        while len(out) < limit:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except (ConnectionResetError, socket.timeout):
        pass
    return out


def status_of(answer):
    m = re.match(rb"HTTP/1\.1 (\d{3})", answer)
    return int(m.group(1)) if m else None


def exchange(port, request, send_in_background=False, then_eof=False):
    """Sends request (bytes) and returns everything the server sends until it closes; with
    then_eof the client's side is shut after the request (the server sees the end of the stream)."""
    s = connect(port)
    try:
        if then_eof:
            _send_quietly(s, request)
            s.shutdown(socket.SHUT_WR)
            return read_until_closed(s)
        if send_in_background:  # the server answers before the whole request is sent
            sender = threading.Thread(target=lambda: _send_quietly(s, request))
            sender.start()
            answer = read_until_closed(s)
            sender.join()
            return answer
        _send_quietly(s, request)
        return read_until_closed(s)
    finally:
        s.close()


def _send_quietly(s, data):
    try:
        s.sendall(data)
    except OSError:
        pass  # the server may close early: that is what some attacks should see


def post(path, body, headers=""):
    return (f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nContent-Length: {len(body)}\r\n"
            f"{headers}Connection: close\r\n\r\n").encode() + body


def healthz_seconds(port):
    t0 = time.monotonic()
    answer = exchange(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    elapsed = time.monotonic() - t0
    if status_of(answer) != 200:
        fail(f"/healthz answered {answer[:80]!r}")
    return elapsed


def good_answer(port, body):
    answer = exchange(port, post("/segment", body))
    if status_of(answer) != 200:
        fail(f"a good request got {answer[:200]!r}")
    return answer.split(b"\r\n\r\n", 1)[1]


def expect(name, answer, statuses):
    got = status_of(answer)
    if got not in statuses:
        fail(f"{name}: expected {statuses}, got {got} ({answer[:120]!r})")
    print(f"adversarial: {name}: {got}")


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    binary, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    subprocess.run([binary, "fit", "--out", work, "--sessions", "3000"], check=True, stdout=subprocess.DEVNULL, timeout=300)
    env = dict(os.environ, SEGKIT_SERVICE_TOKEN=TOKEN)
    server = subprocess.Popen([binary, "serve", "--model", os.path.join(work, "model.seg"), "--port", "0", "--threads", "2"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True)
    deadline = time.monotonic() + 30
    port = None
    while time.monotonic() < deadline and port is None:
        line = server.stdout.readline()
        m = re.match(r"listening on http://127\.0\.0\.1:(\d+)", line)
        if m:
            port = int(m.group(1))
    if port is None:
        server.kill()
        fail("the server did not start")
    # The server's later output is drained, so that it never blocks on a full pipe.
    threading.Thread(target=lambda: [None for _ in server.stdout], daemon=True).start()
    try:
        run_attacks(server, port, work)
    finally:
        if server.poll() is None:
            server.kill()


def run_attacks(server, port, work):
    body = open(os.path.join(work, "bodies.lua")).read().split("'")[1].encode()  # one session from the load test's bodies
    reference = good_answer(port, body)
    rss0 = rss_kb(server.pid)

    # Compressed or oversized input: refused by its header, nothing inflated or buffered.
    bomb = gzip.compress(b"\0" * (10 << 20))
    expect("gzip bomb", exchange(port, post("/segment", bomb, "Content-Encoding: gzip\r\n"), True), {415})
    many = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 20000 + b"\r\n"
    expect("20,000 header lines", exchange(port, many, True), {431})
    expect("4 MiB header line", exchange(port, b"GET /healthz HTTP/1.1\r\nX-Big: " + b"a" * (4 << 20) + b"\r\n\r\n", True), {431})
    expect("1 GB Content-Length", exchange(port, f"POST /segment HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
                                                 f"Content-Length: 1000000000\r\n\r\n".encode()), {413})
    chunk = b"%x\r\n" % 65536 + b" " * 65536 + b"\r\n"
    expect("chunked past the limit", exchange(port, f"POST /segment HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
                                                    f"Transfer-Encoding: chunked\r\n\r\n".encode() + chunk * 40 + b"0\r\n\r\n", True), {413})
    expect("wrong token, body never sent", exchange(port, b"POST /segment HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer guess\r\n"
                                                          b"Content-Length: 5000\r\n\r\n"), {401})

    # Slowloris: 256 connections sending one header byte a second; health probes still answer fast.
    slow = []
    for _ in range(256):
        try:
            slow.append(connect(port, timeout=2))
        except OSError:
            break
    head = b"POST /segment HTTP/1.1\r\nHost: x\r\n"
    worst = 0.0
    for i in range(4):
        for s in slow:
            _send_quietly(s, head[i:i + 1])
        worst = max(worst, healthz_seconds(port), healthz_seconds(port))
        time.sleep(1.0)
    for s in slow:
        s.close()
    time.sleep(1.0)  # the server counts them out (until then a new connection may get a reserved, health-only slot)
    print(f"adversarial: slowloris with {len(slow)} connections: slowest /healthz {worst * 1000:.1f} ms")
    if worst > 0.5:
        fail(f"/healthz took {worst:.3f} s during the slowloris")

    # 100,000 tiny pipelined requests on 10 connections: every one answered, in order.
    def pipelined(n, results, index):
        s = connect(port, timeout=30)
        request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
        sender = threading.Thread(target=lambda: _send_quietly(s, request * (n - 1) + request.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n")))
        sender.start()
        data = read_until_closed(s, limit=1 << 30)
        sender.join()
        s.close()
        results[index] = data.count(b"HTTP/1.1 200 ")
    results = [0] * 10
    threads = [threading.Thread(target=pipelined, args=(10000, results, i)) for i in range(10)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"adversarial: 100,000 pipelined requests: {sum(results)} answered in {time.monotonic() - t0:.1f} s")
    if sum(results) != 100000:
        fail(f"{sum(results)} of 100,000 pipelined requests answered")

    # Half-open connections (half a request, then the client's side shut) and random bytes.
    half = []
    for _ in range(100):
        s = connect(port)
        _send_quietly(s, b"POST /segment HTTP/1.1\r\nContent-Le")
        s.shutdown(socket.SHUT_WR)
        half.append(s)
    rng = random.Random(7)
    for _ in range(200):
        garbage = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 4096)))
        answer = exchange(port, garbage, then_eof=True)
        if answer and status_of(answer) not in (400, 404, 405, 408, 413, 415, 431, 501, 505):
            fail(f"random bytes got {answer[:80]!r}")
    for s in half:
        s.close()
    print("adversarial: half-open connections and random bytes: refused or closed")

    # Afterwards: alive, memory bounded, the same answer as before the attacks.
    if server.poll() is not None:
        fail(f"the server exited with {server.returncode}")
    growth = rss_kb(server.pid) - rss0
    print(f"adversarial: RSS growth {growth / 1024:.1f} MiB")
    if growth > RSS_GROWTH_LIMIT_KB:
        fail(f"RSS grew by {growth / 1024:.0f} MiB")
    if good_answer(port, body) != reference:
        fail("a good request's answer changed")
    healthz_seconds(port)

    # Graceful stop.
    server.send_signal(signal.SIGTERM)
    try:
        code = server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        fail("SIGTERM did not stop the server within 15 s")
    if code != 0:
        fail(f"the server exited with {code} after SIGTERM")
    print("adversarial: passed")


if __name__ == "__main__":
    main()
