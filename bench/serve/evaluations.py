#!/usr/bin/env python3
"""Evaluations for bench/serve/run, through `tiendo serve`'s API and its JSON log.

  evaluations.py started   URL TOKEN [--after ID] [--timeout S]
      wait until the runner has taken an evaluation numbered above ID
  evaluations.py keep-busy URL TOKEN --until EPOCH   keep one evaluation queued until then
  evaluations.py idle      URL TOKEN [--timeout S]   wait until none is queued or running
  evaluations.py leads     URL TOKEN [--timeout S] [--since EPOCH]
      whether the service at URL leads (exit 0) or not (exit 1), asking every 50 ms until
      it does, S seconds at most (0: once); with --since, print the seconds from EPOCH (a
      leader's kill) to its lead, with two decimals
  evaluations.py report    LOG (--start EPOCH --end EPOCH | --evaluations-only)
      the evaluations the log shows, each one's overlap with the window [start, end],
      how much of the window some evaluation covered, and the requests the service
      logged in the window, by route and status, with their durations in the service.
  evaluations.py cpu-sample FILE
      every process's CPU time so far (user + system), written to FILE
  evaluations.py cpu-report BEFORE AFTER [--name PID=NAME ...]
      the CPU seconds each kind of process used between the two samples (by command
      name, or the name given to its pid): what took the cores during the window.
"""
import argparse
import datetime
import json
import os
import sys
import time
import urllib.error
import urllib.request


def call(url, token, method="GET", body=None, timeout=30):
    request = urllib.request.Request(url, method=method, data=body,
                                     headers={"Authorization": "Bearer " + token})
    if body is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return json.loads(answer.read())


def runs(base, token):
    return call(base + "/api/v1/runs?limit=1000", token)["runs"]


def wait_for(condition, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return 0
        time.sleep(0.1)
    print(f"evaluations.py: no {what} after {timeout} s", file=sys.stderr)
    return 1


def keep_busy(base, token, until, interval):
    """Queues an evaluation now, then again whenever none is waiting, until `until`; the
    runner takes the queued one as soon as the running one ends, so evaluations run back
    to back through the window."""
    queued = 0
    while time.time() < until:
        try:
            if queued == 0 or call(base + "/api/v1/status", token)["queued_runs"] == 0:
                answer = call(base + "/api/v1/evaluate", token, "POST", b"{}")
                queued += 1
                print(f"queued evaluation {answer['id']} at {time.time():.3f}", flush=True)
        except (urllib.error.URLError, OSError, KeyError, ValueError) as e:
            print(f"evaluations.py: {e}", file=sys.stderr, flush=True)
        time.sleep(interval)
    return 0


def leads(base, token, timeout, since):
    """One process asks every 50 ms, so that timing a takeover costs the machine little
    CPU while the services take over (a shell loop that starts an interpreter for each
    question took hundreds of milliseconds of CPU a question, at the requests' priority)."""
    deadline = time.time() + timeout
    while True:
        try:
            if call(base + "/api/v1/status", token, timeout=2)["leadership"]["leads"]:
                if since is not None:
                    print(f"{time.time() - since:.2f}")
                return 0
        except (urllib.error.URLError, OSError, KeyError, TypeError, ValueError):
            pass  # not answering yet, or not a status: ask again
        if time.time() >= deadline:
            return 1
        time.sleep(0.05)


def epoch(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def report(log, start, end):
    evaluations, requests = {}, {}
    with open(log, encoding="utf-8", errors="replace") as lines:
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            message = entry.get("msg")
            if message == "evaluation started":
                # Several logs (two services, one started again) are read one after the
                # other: an evaluation whose leader died is started again by the other, and
                # its first start is the one that counts.
                e = evaluations.setdefault(entry["id"], {"trigger": entry["trigger"]})
                e["start"] = min(e.get("start", float("inf")), epoch(entry["time"]))
                e["starts"] = e.get("starts", 0) + 1
            elif message in ("evaluation finished", "evaluation failed"):
                e = evaluations.setdefault(entry["id"], {"trigger": entry["trigger"]})
                e["end"] = epoch(entry["time"])
                e["seconds"] = entry.get("seconds")
                e["outcome"] = "failed: " + entry.get("error", "") if message == "evaluation failed" else "ok"
            elif message == "request" and start is not None and start <= epoch(entry["time"]) <= end:
                key = (entry["method"], entry["path"].split("?")[0])
                r = requests.setdefault(key, {"statuses": {}, "ms": []})
                r["statuses"][entry["status"]] = r["statuses"].get(entry["status"], 0) + 1
                r["ms"].append(entry["duration_ms"])

    if start is None:
        for id_, e in sorted(evaluations.items()):
            seconds = f"{e['seconds']:.2f} s" if e.get("seconds") is not None else "unfinished"
            print(f"evaluation {id_} ({e['trigger']}): {seconds}, {e.get('outcome', 'unfinished')}")
        return 0
    window = end - start
    print(f"evaluations (the measurement window is {window:.1f} s; times from its start):")
    print(f"  {'id':>4} {'trigger':<9} {'started':>9} {'finished':>9} {'seconds':>8} "
          f"{'in window':>9}  outcome")
    covered = []
    for id_, e in sorted(evaluations.items()):
        began, ended = e.get("start"), e.get("end")
        if began is None:
            continue
        stop = ended if ended is not None else float("inf")
        overlap = max(0.0, min(stop, end) - max(began, start))
        if overlap > 0:
            covered.append((max(began, start), min(stop, end)))
        seconds = f"{e['seconds']:.2f}" if e.get("seconds") is not None else "-"
        finished = f"{ended - start:+.1f}" if ended is not None else "running"
        outcome = e.get("outcome", "unfinished")
        if e.get("starts", 1) > 1:
            outcome += f" (started {e['starts']} times: its service died; seconds are the last try's)"
        print(f"  {id_:>4} {e['trigger']:<9} {began - start:>+9.1f} {finished:>9} {seconds:>8} "
              f"{overlap:>8.1f}s  {outcome}")
    union, reach = 0.0, start
    for a, b in sorted(covered):
        a = max(a, reach)
        if b > a:
            union += b - a
            reach = b
    share = 100 * union / window if window > 0 else 0
    print(f"  an evaluation was running for {union:.1f} s of the {window:.1f} s window ({share:.0f}%)")

    print("requests in the window, as the service logged them (duration inside the service):")
    print(f"  {'method':<6} {'path':<22} {'count':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}  statuses")
    for (method, path), r in sorted(requests.items()):
        statuses = ",".join(f"{k}:{v}" for k, v in sorted(r["statuses"].items()))
        print(f"  {method:<6} {path:<22} {len(r['ms']):>7} {percentile(r['ms'], 50):>8.2f} "
              f"{percentile(r['ms'], 99):>8.2f} {max(r['ms']):>8.2f}  {statuses}")
    # The committee's pages together (the dashboard, targets, units), as the service timed
    # them: wrk's own figures for several connections have been seen to be inconsistent.
    pages = [ms for (method, path), r in requests.items()
             if method == "GET" and (path == "/" or path.startswith("/rules/") or
                                     path.startswith("/units/"))
             for ms in r["ms"]]
    if pages:
        print(f"bench_serve_pages requests={len(pages)} p50_ms={percentile(pages, 50):.2f} "
              f"p95_ms={percentile(pages, 95):.2f} p99_ms={percentile(pages, 99):.2f} "
              f"max_ms={max(pages):.2f}")
    return 0


def cpu_sample(path):
    """Every process's command name and CPU ticks (utime + stime), as JSON, with the time."""
    processes = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue  # ended meanwhile
        # The command is in parentheses and may hold spaces or parentheses itself.
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        processes[pid] = [name, int(fields[11]) + int(fields[12])]
    with open(path, "w") as f:
        json.dump({"time": time.time(), "processes": processes}, f)
    return 0


def cpu_report(before_path, after_path, names):
    with open(before_path) as f:
        before = json.load(f)
    with open(after_path) as f:
        after = json.load(f)
    ticks = os.sysconf("SC_CLK_TCK")
    wall = after["time"] - before["time"]
    named = dict(n.split("=", 1) for n in names)
    used = {}
    for pid, (name, t) in after["processes"].items():
        start = before["processes"].get(pid)
        spent = t - (start[1] if start and start[0] == name else 0)
        if spent <= 0:
            continue
        kind = named.get(pid, name)
        used[kind] = used.get(kind, 0) + spent / ticks
    total = sum(used.values())
    print(f"CPU used in the window ({wall:.1f} s, {os.cpu_count()} cores; processes that "
          "ended in it are not counted):")
    for kind, seconds in sorted(used.items(), key=lambda kv: -kv[1]):
        if seconds >= 0.05:
            print(f"  {kind:<24} {seconds:7.1f} s  {seconds / wall:5.2f} cores")
    print(f"  {'all':<24} {total:7.1f} s  {total / wall:5.2f} cores")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("started", "finished", "keep-busy", "idle"):
        c = commands.add_parser(name)
        c.add_argument("url")
        c.add_argument("token")
        c.add_argument("--timeout", type=float, default=60)
        c.add_argument("--until", type=float, default=0)
        c.add_argument("--interval", type=float, default=0.25)
        c.add_argument("--after", type=int, default=0)
    r = commands.add_parser("report")
    r.add_argument("log")
    r.add_argument("--start", type=float)
    r.add_argument("--end", type=float)
    r.add_argument("--evaluations-only", action="store_true")
    c = commands.add_parser("leads")
    c.add_argument("url")
    c.add_argument("token")
    c.add_argument("--timeout", type=float, default=0)
    c.add_argument("--since", type=float)
    c = commands.add_parser("cpu-sample")
    c.add_argument("file")
    c = commands.add_parser("cpu-report")
    c.add_argument("before")
    c.add_argument("after")
    c.add_argument("--name", action="append", default=[])
    args = parser.parse_args()

    if args.command == "leads":
        return leads(args.url, args.token, args.timeout, args.since)
    if args.command == "cpu-sample":
        return cpu_sample(args.file)
    if args.command == "cpu-report":
        return cpu_report(args.before, args.after, args.name)

    if args.command == "report":
        if args.evaluations_only:
            return report(args.log, None, None)
        if args.start is None or args.end is None:
            parser.error("report takes --start and --end, or --evaluations-only")
        return report(args.log, args.start, args.end)
    if args.command == "keep-busy":
        return keep_busy(args.url, args.token, args.until, args.interval)
    if args.command == "finished":
        # One succeeded after --after: the service has an evaluation to serve pages from.
        return wait_for(lambda: any(r["id"] > args.after and r["state"] == "succeeded"
                                    for r in runs(args.url, args.token)),
                        args.timeout, "evaluation finished")
    if args.command == "started":
        # Taken by the runner, or already over: a small data set's can be over at once.
        return wait_for(lambda: any(r["id"] > args.after and r["state"] != "queued"
                                    for r in runs(args.url, args.token)),
                        args.timeout, "evaluation started")
    return wait_for(lambda: all(r["state"] not in ("queued", "running")
                                for r in runs(args.url, args.token)),
                    args.timeout, "end of the evaluations")


if __name__ == "__main__":
    sys.exit(main())
