#!/usr/bin/env python3
"""bench_serve_slow: `tiendo serve` while slow clients hold connections (issue #13).

Starts `tiendo serve` (the repository's rules, an empty database, a read token) on a
free port of 127.0.0.1 with the default [limits], opens --connections connections that
each send a request head one header line every --interval seconds and never finish it
(a connection the service closes is opened again at once), and for --seconds probes
GET /healthz and GET /api/v1/status, each on a fresh connection, --rate times a second.
Prints p50, p95 and the maximum latency of the probes, how many failed (no answer within
--timeout, or not 200), and how many slow connections the service closed.

  bench/serve/slow_clients.py [--tiendo PATH] [--connections 200] [--seconds 20]
                              [--interval 2] [--rate 4] [--timeout 5] [--dir DIR]
                              [--limits 'header_timeout = "10s"'] [--check]

--limits adds lines to the configuration's [limits] table (for a binary without the
new settings, or to try others). --check exits 1 when a probe failed (the CTest smoke
run). Timings on a shared machine vary: compare runs on the same quiet machine.
"""

import argparse
import http.client
import os
import re
import secrets
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
START = b"GET /api/v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\n"


def start_service(tiendo, directory, limits):
    token = "tdo_bench-" + secrets.token_hex(24)
    hashed = subprocess.run([tiendo, "token", "hash", "--id", "bench-read", "--scope", "read"],
                            input=token, capture_output=True, text=True, check=True).stdout
    with open(os.path.join(directory, "tokens"), "w") as f:
        f.write(hashed)
    config = os.path.join(directory, "tiendo.toml")
    with open(config, "w") as f:
        f.write('listen = "127.0.0.1:0"\n')
        f.write(f'database = "{os.path.join(directory, "tiendo.db")}"\n')
        f.write(f'rules = "{os.path.join(ROOT, "rules")}"\n')
        f.write(f'tokens = "{os.path.join(directory, "tokens")}"\n\n')
        f.write('[schedule]\ncron = "0 0 1 1 *"\n\n[limits]\n')
        for line in limits:
            f.write(line + "\n")
    log_path = os.path.join(directory, "serve.log")
    log = open(log_path, "w")
    process = subprocess.Popen([tiendo, "serve", "--config", config], stderr=log,
                               stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with open(log_path) as f:
            text = f.read()
        m = re.search(r"listening.*127\.0\.0\.1:([0-9]+)", text)
        # The catch-up run on an empty database is quick; wait for it, so that the
        # probes measure the HTTP core and not an evaluation.
        if m and ("evaluation finished" in text or "evaluation failed" in text):
            return process, int(m.group(1)), token, log_path
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    sys.exit("bench_serve_slow: tiendo serve did not start; its log:\n" + open(log_path).read())


def open_slow(port, count, timeout=5.0):
    """count non-blocking connections, connected at once; each has sent START."""
    pending = []
    for _ in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        pending.append(s)
    poller = select.poll()
    for s in pending:
        poller.register(s, select.POLLOUT)
    ready = set()
    deadline = time.monotonic() + timeout
    while len(ready) < len(pending) and time.monotonic() < deadline:
        for fd, _ in poller.poll(100):
            ready.add(fd)
            poller.unregister(fd)
    connected = []
    for s in pending:
        if s.fileno() in ready and s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
            try:
                s.send(START)
                connected.append(s)
                continue
            except OSError:
                pass
        s.close()
    return connected


def closed_by_server(s):
    try:
        return s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) is not None
    except BlockingIOError:
        return False
    except OSError:
        return True


class SlowClients:
    def __init__(self, port, count, interval):
        self.port, self.count, self.interval = port, count, interval
        self.sockets = open_slow(port, count)
        self.opened = len(self.sockets)
        self.closed = 0
        self.done = False
        self.thread = threading.Thread(target=self.feed, daemon=True)
        self.thread.start()

    def feed(self):
        line = 0
        while not self.done:
            nxt = time.monotonic() + self.interval
            line += 1
            for i, s in enumerate(self.sockets):
                if self.done:
                    break
                try:
                    if closed_by_server(s):
                        raise OSError("closed")
                    s.send(b"X-Slow-%d: 1\r\n" % line)
                except OSError:
                    self.closed += 1
                    s.close()
                    again = open_slow(self.port, 1, timeout=2.0)
                    self.sockets[i] = again[0] if again else s
            while not self.done and time.monotonic() < nxt:
                time.sleep(0.02)

    def stop(self):
        self.done = True
        self.thread.join()
        for s in self.sockets:
            s.close()


def probe(port, path, token, timeout):
    start = time.monotonic()
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        headers = {"Authorization": "Bearer " + token} if token else {}
        c.request("GET", path, headers=headers)
        r = c.getresponse()
        r.read()
        c.close()
        return r.status, time.monotonic() - start
    except OSError:
        return 0, time.monotonic() - start


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100.0 * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiendo", default=os.path.join(ROOT, "build", "src", "tiendo"))
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--interval", type=float, default=2)
    parser.add_argument("--rate", type=float, default=4)
    parser.add_argument("--timeout", type=float, default=5)
    parser.add_argument("--dir")
    parser.add_argument("--limits", action="append", default=[])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()

    directory = args.dir or tempfile.mkdtemp(prefix="bench-serve-slow-")
    os.makedirs(directory, exist_ok=True)
    for name in ("tiendo.db", "tiendo.db-wal", "tiendo.db-shm"):
        if os.path.exists(os.path.join(directory, name)):
            os.remove(os.path.join(directory, name))
    process, port, token, log_path = start_service(args.tiendo, directory, args.limits)
    print(f"== bench_serve_slow: {args.connections} slow connections (a header line every "
          f"{args.interval:g} s), probes for {args.seconds:g} s ==")
    print(f"machine: {os.cpu_count()} cores; load before: {os.getloadavg()[0]:.2f}")
    failed = False
    slow = None
    try:
        slow = SlowClients(port, args.connections, args.interval)
        print(f"slow connections open: {slow.opened}")
        results = {"/healthz": [], "/api/v1/status": []}
        start = time.monotonic()
        while time.monotonic() - start < args.seconds:
            tick = time.monotonic()
            results["/healthz"].append(probe(port, "/healthz", "", args.timeout))
            results["/api/v1/status"].append(probe(port, "/api/v1/status", token, args.timeout))
            time.sleep(max(0.0, 1.0 / args.rate - (time.monotonic() - tick)))
        for path, outcomes in results.items():
            times = [t * 1000 for status, t in outcomes if status == 200]
            errors = sum(1 for status, _ in outcomes if status != 200)
            failed = failed or errors > 0
            if times:
                print(f"{path:16} probes={len(outcomes)} failed={errors} "
                      f"p50={statistics.median(times):.1f}ms p95={percentile(times, 95):.1f}ms "
                      f"max={max(times):.1f}ms")
            else:
                print(f"{path:16} probes={len(outcomes)} failed={errors} (none answered within "
                      f"{args.timeout:g} s)")
        print(f"slow connections closed by the service (and opened again): {slow.closed}")
        print(f"load at the end: {os.getloadavg()[0]:.2f}")
    finally:
        if slow:
            slow.stop()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
    if not args.dir:
        shutil.rmtree(directory, ignore_errors=True)
    if args.check and failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
