#!/usr/bin/env python3
"""report.py — turns the rows bench/run-all collected (TSV) into the Markdown table.

    report.py RESULTS.tsv [MORE.tsv …] --patrons N --duration S > latest.md

With several files (runs of the same build), each (backend, scenario, connections) row is
taken from the run with the most requests per second — on a shared machine other work only
ever slows a run down — and the peak RSS is the highest of all runs.
"""
import argparse
import csv
import datetime
import platform
import subprocess

NAMES = {
    "startup": "server started",
    "healthz": "GET /healthz (ceiling)",
    "sql_row": "SQL: patron row by PK (store API)",
    "sql_load": "SQL: row + contacts + tags → JSON (store API)",
    "get": "GET /api/v1/patrons/{id}",
    "list_region": "GET /api/v1/patrons?region=…&limit=20",
    "list_tag": "GET /api/v1/patrons?tag=…&limit=20",
    "slow": "GET /api/v1/patrons/{id} + idle/slow conns",
    "create": "POST /api/v1/patrons (person)",
    "create_org": "POST /api/v1/patrons (20% with organisation)",
}
BACKEND_NAMES = {"sqlite": "SQLite (file, WAL, synchronous=FULL)", "postgres": "PostgreSQL 15 (local)"}


def machine():
    model = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem = next(l for l in open("/proc/meminfo") if l.startswith("MemTotal")).split()[1]
        mem_gb = int(mem) / 1024 / 1024
    except (OSError, StopIteration):
        mem_gb = 0
    try:
        nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    except OSError:
        nproc = "?"
    return f"{nproc} CPUs ({model}), {mem_gb:.0f} GB RAM, Linux {platform.release()}"


def num(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("tsv", nargs="+")
    ap.add_argument("--patrons", type=int, default=0)
    ap.add_argument("--duration", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--commit", default="unknown")
    a = ap.parse_args()
    rows, index, peak_all, seen = [], {}, {}, {}
    for path in a.tsv:
        for r in csv.DictReader(open(path), delimiter="\t"):
            key = (r["backend"], r["scenario"], r["conns"])
            seen[key] = seen.get(key, 0) + 1
            peak_all[r["backend"]] = max(peak_all.get(r["backend"], 0), int(num(r["hwm_mb"])))
            if key not in index:
                index[key] = len(rows)
                rows.append(r)
            elif num(r["rps"]) > num(rows[index[key]]["rps"]):
                rows[index[key]] = r
    out = []
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out.append("# dangan benchmark: latest run\n")
    best = f" (each row the best of {a.repeat} runs)" if a.repeat > 1 else ""
    out.append(f"{now}; commit {a.commit}; {a.patrons:,} patrons; {a.duration} s per run{best}; "
               f"wrk with 2 threads on the same machine; {machine()}.\n")
    out.append("Ratios compare with `GET /healthz` at the same connection count in the same run. "
               "\"other CPU\" is the share of the machine used by processes other than the server, "
               "its PostgreSQL and the load generator during that run (noise from other work).\n")
    backends = []
    for r in rows:
        if r["backend"] not in backends:
            backends.append(r["backend"])
    by = {(r["backend"], r["scenario"], r["conns"]): r for r in rows}
    targets = []
    for b in backends:
        out.append(f"\n## {BACKEND_NAMES.get(b, b)}\n")
        inv = max(v for k, v in seen.items() if k[0] == b)
        if inv > 1:
            out.append(f"Rows from {inv} invocations of run-all on the same build; each row is the "
                       f"best of {inv * a.repeat} runs and the peak RSS the highest of all.\n")
        out.append("| scenario | conns | req/s | p50 ms | p99 ms | max ms | errors | non-2xx | vs healthz "
                   "| server RSS MB (peak) | other CPU | note |")
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        peak = 0
        for r in rows:
            if r["backend"] != b:
                continue
            peak = max(peak, int(num(r["hwm_mb"])))
            name = NAMES.get(r["scenario"], r["scenario"])
            if r["scenario"] == "startup":
                out.append(f"| {name} | | | | | | | | | {r['rss_mb']} ({r['hwm_mb']}) | | {r['note']} |")
                continue
            hz = by.get((b, "healthz", r["conns"]))
            ratio = ""
            if hz and num(hz["rps"]) > 0 and r["scenario"] != "healthz":
                ratio = f"{100 * num(r['rps']) / num(hz['rps']):.0f}%"
            out.append(
                f"| {name} | {r['conns']} | {num(r['rps']):,.0f} | {r['p50_ms']} | {r['p99_ms']} | "
                f"{r['max_ms']} | {r['errors']} | {r['non2xx']} | {ratio} | {r['rss_mb']} ({r['hwm_mb']}) | "
                f"{r['other_cpu_pct']}% | {r['note']} |")
        targets.append((b, max(peak, peak_all.get(b, 0))))

    out.append("\n## Targets\n")
    out.append("| target | backend | conns | measured | met |")
    out.append("|---|---|---:|---|---|")

    def line(target, b, c, measured, ok):
        out.append(f"| {target} | {b} | {c} | {measured} | {'yes' if ok else '**no**'} |")

    for b, peak in targets:
        conns = sorted({r["conns"] for r in rows if r["backend"] == b and r["scenario"] == "get"}, key=int)
        for c in conns:
            g, hz = by.get((b, "get", c)), by.get((b, "healthz", c))
            if g and hz and num(hz["rps"]) > 0:
                pct = 100 * num(g["rps"]) / num(hz["rps"])
                line("GET patron ≥ 50% of /healthz", b, c, f"{pct:.0f}% ({num(g['rps']):,.0f} vs "
                     f"{num(hz['rps']):,.0f})", pct >= 50)
            if g and b == "sqlite":
                ok = num(g["rps"]) >= 10000 and num(g["p99_ms"]) < 10
                line("GET patron ≥ 10,000/s, p99 < 10 ms", b, c,
                     f"{num(g['rps']):,.0f}/s, p99 {g['p99_ms']} ms", ok)
        for s in ("create", "create_org"):
            for c in sorted({r["conns"] for r in rows if r["backend"] == b and r["scenario"] == s}, key=int):
                r = by[(b, s, c)]
                line(f"≥ 2,000 creates/s ({s})", b, c, f"{num(r['rps']):,.0f}/s, p99 {r['p99_ms']} ms",
                     num(r["rps"]) >= 2000 and num(r["non2xx"]) == 0)
        line("server RSS < 200 MB (peak VmHWM)", b, "all", f"{peak} MB", 0 < peak < 200)
        for c in sorted({r["conns"] for r in rows if r["backend"] == b and r["scenario"] == "slow"}, key=int):
            s, g = by[(b, "slow", c)], by.get((b, "get", c))
            if g and num(g["rps"]) > 0:
                pct = 100 * num(s["rps"]) / num(g["rps"])
                ok = pct >= 50 and num(s["errors"]) == 0 and num(s["non2xx"]) == 0 and num(s["p99_ms"]) < 1000
                line("idle/slow connections do not stop others (GET with them ≥ 50% of without, "
                     "no errors, p99 < 1 s)", b, c,
                     f"{pct:.0f}% ({num(s['rps']):,.0f} vs {num(g['rps']):,.0f}), p99 {s['p99_ms']} ms", ok)
    print("\n".join(out))


if __name__ == "__main__":
    main()
