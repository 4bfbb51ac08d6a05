#!/usr/bin/env python3
"""Measures server memory under clients that never read (issue 11).

  python3 bench/stalled_clients.py BINARY [--ws N] [--sse N] [--seconds S]
                                   [-- server options...]

Starts BINARY on a free port with the given options, opens N WebSocket
clients (4 KiB receive buffer) that each start a ticker of 1,000,000 steps
with no interval and never read, and N SSE clients that each follow such a
ticker and never read; samples the server's RSS every 100 ms for S seconds
and prints the base, the peak, the disconnect counters and when each
stalled socket saw EOF.
"""
import json, os, re, socket, subprocess, sys, time, urllib.request

def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0

def frame(text):
    b = text.encode(); m = b"\x12\x34\x56\x78"
    h = bytes([0x81, 0x80 | 126, len(b) >> 8, len(b) & 255]) if len(b) >= 126 \
        else bytes([0x81, 0x80 | len(b)])
    return h + m + bytes(c ^ m[i % 4] for i, c in enumerate(b))

def stalled(port, request, wait_head=False):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    s.sendall(request)
    if wait_head:
        head = b""
        while b"\r\n\r\n" not in head:
            head += s.recv(1)
    return s

def main():
    args = sys.argv[1:]
    binary = args.pop(0)
    extra = args[args.index("--") + 1:] if "--" in args else []
    opts = args[:args.index("--")] if "--" in args else args
    def opt(name, default):
        return int(opts[opts.index(name) + 1]) if name in opts else default
    n_ws, n_sse, seconds = opt("--ws", 50), opt("--sse", 50), opt("--seconds", 20)
    srv = subprocess.Popen([binary, "--port=0"] + extra, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
    port = int(re.search(r":(\d+)$", srv.stdout.readline().strip()).group(1))
    base = rss(srv.pid)
    ticker = '{"task":"ticker","params":{"steps":1000000,"interval_ms":0}}'
    socks = []
    for i in range(max(n_ws, n_sse)):
        if i < n_ws:
            s = stalled(port, (f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                               "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                               "Sec-WebSocket-Version: 13\r\n\r\n").encode(), True)
            s.sendall(frame('{"type":"start","id":1,' + ticker[1:]))
            socks.append(s)
        if i < n_sse:
            req = urllib.request.Request(f"http://127.0.0.1:{port}/api/tasks",
                                         data=ticker.encode(),
                                         headers={"Content-Type": "application/json"})
            tid = json.loads(urllib.request.urlopen(req).read())["task_id"]
            socks.append(stalled(port, (f"GET /api/tasks/{tid}/events HTTP/1.1\r\n"
                                        f"Host: 127.0.0.1:{port}\r\n\r\n").encode()))
    peak, t0 = base, time.time()
    while time.time() - t0 < seconds:
        peak = max(peak, rss(srv.pid))
        time.sleep(0.1)
    metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
    drops = [l for l in metrics.splitlines() if l.startswith("switchboard_disconnects_total{")]
    eof = 0
    for s in socks:
        # EOF now, or within a short read: a socket still being fed is open.
        s.settimeout(0.05)
        end = time.time() + 0.2
        try:
            while time.time() < end:
                if not s.recv(1 << 20):
                    eof += 1
                    break
        except socket.timeout:
            pass
        except ConnectionError:
            eof += 1
    ok = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz").read())
    print(f"clients: {n_ws} WebSocket + {n_sse} SSE, never reading, {seconds} s")
    print(f"server options: {' '.join(extra) or '(defaults)'}")
    print(f"RSS base {base / 2**20:.1f} MiB, peak {peak / 2**20:.1f} MiB, "
          f"growth {(peak - base) / 2**20:.1f} MiB")
    print(f"sockets at EOF: {eof} of {len(socks)}; healthz {ok['status']}")
    for l in drops:
        print(l)
    srv.terminate()
    srv.wait()

main()
