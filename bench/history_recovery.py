#!/usr/bin/env python3
"""Measures the task history on disk: bytes per event, and how long a start
takes over a large database (opening, integrity check, recovery of the
tasks a crash left running).

    python3 bench/history_recovery.py build-bench/bin/switchboard \
        [--events 1000000] [--tasks 1000] [--unfinished 100]

1. Runs a real server on a fresh data directory, starts a ticker of 20,000
   steps, waits for its end and stops the server: bytes of the database
   (file + WAL) divided by the events written is the real cost per event.
2. Fills a fresh database (schema made by the server itself) with
   --events events in --tasks tasks, --unfinished of them left running as a
   SIGKILL would leave them, with event texts of the real size.
3. Starts the server on it three times and reports the time to the
   `listening` line and the server's own `took_ms` of opening the history
   (the first start ends the unfinished tasks `interrupted`).
"""
import argparse
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request


def start(binary, data_dir, workspace):
    t0 = time.monotonic()
    p = subprocess.Popen(
        [binary, "--port=0", f"--data-dir={data_dir}", f"--workspace={workspace}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    elapsed = time.monotonic() - t0
    m = re.search(r"listening on (http://\S+)", line)
    if not m:
        p.kill()
        raise SystemExit(f"server did not start: {line!r} {p.stderr.read()}")
    return p, m.group(1), elapsed


def stop(p):
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=30)
    return err


def db_bytes(data_dir):
    total = 0
    for name in ("switchboard.db", "switchboard.db-wal"):
        path = os.path.join(data_dir, name)
        if os.path.exists(path):
            total += os.path.getsize(path)
    return total


def per_event(binary, workspace):
    data_dir = tempfile.mkdtemp(prefix="sb-hist-")
    try:
        p, url, _ = start(binary, data_dir, workspace)
        steps = 20000
        req = urllib.request.Request(
            url + "/api/tasks", method="POST",
            data=json.dumps({"task": "ticker",
                             "params": {"steps": steps, "interval_ms": 0}}).encode(),
            headers={"Content-Type": "application/json"})
        task_id = json.load(urllib.request.urlopen(req))["task_id"]
        while True:
            snap = json.load(urllib.request.urlopen(f"{url}/api/tasks/{task_id}"))
            if snap["state"] == "completed":
                break
            time.sleep(0.1)
        stop(p)
        events = steps + 2
        # Checkpointed at close: the WAL is folded into the file.
        return db_bytes(data_dir) / events, events
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def fill(binary, workspace, data_dir, n_events, n_tasks, n_unfinished):
    p, _, _ = start(binary, data_dir, workspace)  # creates the schema
    stop(p)
    db = sqlite3.connect(os.path.join(data_dir, "switchboard.db"))
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    per_task = n_events // n_tasks
    now = int(time.time() * 1000)
    for t in range(n_tasks):
        tid = "t-%032x" % (t + 1)
        running = t >= n_tasks - n_unfinished
        rows = []
        for seq in range(1, per_task + 1):
            if seq == 1:
                etype, body = "started", {"task": "ticker", "params": {"steps": per_task - 2, "interval_ms": 0}}
            elif seq == per_task and not running:
                etype, body = "result", {"data": {"steps": per_task - 2}}
            else:
                etype, body = "progress", {"step": seq - 1, "total": per_task - 2,
                                           "message": f"tick {seq - 1}"}
            text = json.dumps({"type": etype, "task_id": tid, "seq": seq,
                               "ts": now, **body}, separators=(",", ":"))
            rows.append((tid, seq, etype, text))
        # One block per commit, as a task writes them (here 256 events).
        blocks = []
        for i in range(0, len(rows), 256):
            part = rows[i:i + 256]
            blocks.append((tid, part[0][1], part[-1][1], " ".join(r[2] for r in part),
                           "".join(r[3] + "\n" for r in part).encode()))
        db.executemany("INSERT INTO event_blocks(task_id, first_seq, last_seq, types, data)"
                       " VALUES (?,?,?,?,?)", blocks)
        db.execute(
            "INSERT INTO tasks(ordinal, id, kind, params, owner, node, state, created_ms,"
            " ended_ms, last_seq, outcome, progress) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (t + 1, tid, "ticker", '{"steps":1,"interval_ms":0}', "", "local",
             "running" if running else "completed", now - 1000, 0 if running else now,
             per_task, "" if running else '{"steps":1}', "null"))
        if t % 100 == 99:
            db.commit()
    db.commit()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return per_task * n_tasks


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--events", type=int, default=1000000)
    ap.add_argument("--tasks", type=int, default=1000)
    ap.add_argument("--unfinished", type=int, default=100)
    ap.add_argument("--workspace", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "demo-workspace"))
    a = ap.parse_args()
    bytes_per_event, measured = per_event(a.binary, a.workspace)
    print(f"bytes on disk per event (a real ticker of {measured} events): "
          f"{bytes_per_event:.0f}")
    data_dir = tempfile.mkdtemp(prefix="sb-hist-")
    try:
        events = fill(a.binary, a.workspace, data_dir, a.events, a.tasks, a.unfinished)
        print(f"database: {events} events in {a.tasks} tasks, {a.unfinished} left "
              f"running, {db_bytes(data_dir) / 1e6:.0f} MB")
        for run in range(3):
            p, _, elapsed = start(a.binary, data_dir, a.workspace)
            err = stop(p)
            m = re.search(r"task history opened .*interrupted_tasks=(\d+) took_ms=(\d+)", err)
            print(f"start {run + 1}: listening after {elapsed * 1000:.0f} ms; history "
                  f"opened in {m.group(2) if m else '?'} ms, "
                  f"{m.group(1) if m else '?'} tasks ended interrupted")
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
