#!/usr/bin/env python3
"""slow_clients.py — holds many idle and slow connections open against a server.

    slow_clients.py --port P [--host H] [--idle N] [--slow M] [--path /healthz]

--idle N: N keep-alive connections that make one request, read the answer and then send
          nothing (as browsers and proxies do between requests).
--slow M: M connections that send a request header one byte per second and never
          finish it (slowloris).
A connection the server closes is reopened at once, so the counts stay up; each reopen
is counted. Runs until SIGTERM/SIGINT, printing a status line every 5 s to stderr and,
at the end, one line to stdout:
    SLOW_RESULT idle_open=… slow_open=… idle_reopened=… slow_reopened=… connect_errors=…
"""
import argparse
import selectors
import signal
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--idle", type=int, default=150)
    ap.add_argument("--slow", type=int, default=150)
    ap.add_argument("--path", default="/healthz")
    a = ap.parse_args()

    sel = selectors.DefaultSelector()
    stats = {"idle_reopened": 0, "slow_reopened": 0, "connect_errors": 0}
    conns = {}  # socket -> state dict
    request = f"GET {a.path} HTTP/1.1\r\nHost: {a.host}\r\n\r\n".encode()
    slow_head = f"GET {a.path} HTTP/1.1\r\nHost: {a.host}\r\nX-Slow: ".encode()

    def open_conn(kind):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            s.settimeout(5)
            s.connect((a.host, a.port))
        except OSError:
            stats["connect_errors"] += 1
            s.close()
            return False
        s.setblocking(False)
        st = {"kind": kind, "sent": 0, "answered": False}
        if kind == "idle":
            s.send(request)
        else:
            s.send(slow_head[:1])
            st["sent"] = 1
        conns[s] = st
        sel.register(s, selectors.EVENT_READ)
        return True

    def close_conn(s):
        sel.unregister(s)
        kind = conns.pop(s)["kind"]
        s.close()
        return kind

    running = True

    def stop(*_):
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    for _ in range(a.idle):
        open_conn("idle")
    for _ in range(a.slow):
        open_conn("slow")

    last_tick = time.monotonic()
    last_status = last_tick
    while running:
        for key, _ in sel.select(timeout=0.2):
            s = key.fileobj
            try:
                data = s.recv(65536)
            except OSError:
                data = b""
            if data:
                conns[s]["answered"] = True  # idle: the one answer; slow: an error reply
                continue
            kind = close_conn(s)
            stats[kind + "_reopened"] += 1
            if running:
                open_conn(kind)
        now = time.monotonic()
        if now - last_tick >= 1.0:
            last_tick = now
            # One more header byte per second on every slow connection.
            for s, st in list(conns.items()):
                if st["kind"] != "slow":
                    continue
                i = st["sent"]
                b = slow_head[i:i + 1] if i < len(slow_head) else b"a"
                try:
                    s.send(b)
                    st["sent"] += 1
                except OSError:
                    close_conn(s)
                    stats["slow_reopened"] += 1
                    open_conn("slow")
        if now - last_status >= 5.0:
            last_status = now
            print(status(conns, stats), file=sys.stderr, flush=True)
    print("SLOW_RESULT " + status(conns, stats), flush=True)


def status(conns, stats):
    idle = sum(1 for st in conns.values() if st["kind"] == "idle")
    slow = sum(1 for st in conns.values() if st["kind"] == "slow")
    return (f"idle_open={idle} slow_open={slow} idle_reopened={stats['idle_reopened']} "
            f"slow_reopened={stats['slow_reopened']} connect_errors={stats['connect_errors']}")


if __name__ == "__main__":
    main()
