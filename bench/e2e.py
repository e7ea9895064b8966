#!/usr/bin/env python3
"""End to end against the reference, in one run: the same events through the
published Segment implementation (../shared/bench/ref-e2e.js, 64 in flight)
and through `sluice send`, over real HTTP to the same loopback stand-in API
(../shared/bench/mock-api.js), answering at once and after 20 ms.

Usage: bench/e2e.py [--events N] [--sluice PATH] [--bench DIR] [--concurrency C]
Prints one JSON line per run and a closing table with the ratios; checks that
the stand-in API saw every event, and for Talon.One the busiest 1-s window.
"""
import argparse, json, os, subprocess, sys, tempfile, time, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

CASES = [
    # (destination, action, origin, sluice flags)
    ("toplyne", "sendEvents", "https://api.toplyne.io", []),
    ("talon-one", "trackEventV2", "https://integration.talon.one", ["--rate", "1000000/s"]),
]
CONFIG = {
    "toplyne": '[[destination]]\nname = "toplyne"\nmodule = "toplyne"\nsettings = { apiKey = "k" }\n'
    '[[destination.mapping]]\nsubscribe = \'type = "track"\'\naction = "sendEvents"\n',
    "talon-one": '[[destination]]\nname = "talon-one"\nmodule = "talon-one"\n'
    'settings = { apiKey = "k", deployment = "https://acme.europe-west1.talon.one" }\n'
    '[[destination.mapping]]\nsubscribe = \'type = "track"\'\naction = "trackEventV2"\n',
}


def get(url, data=None):
    req = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"{}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=20000)
    ap.add_argument("--sluice", default=os.path.join(ROOT, "target/release/sluice"))
    ap.add_argument("--bench", default=os.path.join(ROOT, "..", "shared", "bench"))
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--port", type=int, default=18080)
    args = ap.parse_args()
    bench = os.path.abspath(args.bench)
    if not os.path.isdir(os.path.join(bench, "node_modules")):
        sys.exit(f"{bench}/node_modules is missing: run `npm ci` there first (the reference implementation)")
    tmp = tempfile.mkdtemp(prefix="sluice-e2e-")
    events = os.path.join(tmp, "events.ndjson")
    with open(events, "w") as f:
        subprocess.run([sys.executable, os.path.join(bench, "gen-events.py"), str(args.events)], stdout=f, check=True)
    base = f"http://127.0.0.1:{args.port}"
    mock = subprocess.Popen(["node", os.path.join(bench, "mock-api.js"), str(args.port), "0"])
    rows = []
    try:
        for _ in range(50):
            try:
                get(base + "/__stats")
                break
            except OSError:
                time.sleep(0.1)
        for delay in (0, 20):
            get(base + "/__delay", json.dumps({"ms": delay}).encode())
            for dest, action, origin, flags in CASES:
                get(base + "/__reset", b"")
                out = subprocess.run(["node", os.path.join(bench, "ref-e2e.js"), events, base, "64", dest, action],
                                     capture_output=True, text=True, check=True)
                ref = json.loads(out.stdout.strip().splitlines()[-1])
                ref_stats = get(base + "/__stats")
                get(base + "/__reset", b"")
                config = os.path.join(tmp, f"{dest}.toml")
                with open(config, "w") as f:
                    f.write(CONFIG[dest])
                t0 = time.monotonic()
                run = subprocess.run([args.sluice, "send", "--config", config, "--event", "@" + events,
                                      "--route", f"{origin}={base}", "--concurrency", str(args.concurrency)] + flags,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env={**os.environ, "SLUICE_MODULES": os.path.join(ROOT, "modules")})
                seconds = time.monotonic() - t0
                failed = sum(1 for l in run.stdout.splitlines() if '"ok":false' in l)
                stats = get(base + "/__stats")
                sluice = {"impl": "sluice", "events": args.events, "failed": failed, "seconds": round(seconds, 3),
                          "events_per_s": round(args.events / seconds), "api": stats}
                row = {"destination": dest, "action": action, "delay_ms": delay,
                       "reference": {**ref, "api": ref_stats}, "sluice": sluice,
                       "ratio": round(sluice["events_per_s"] / ref["events_per_s"], 1)}
                print(json.dumps(row), flush=True)
                if failed or stats["events"] != args.events:
                    print(f"sluice: {failed} failed, the API saw {stats['events']} of {args.events} events; "
                          f"stderr: {run.stderr[-2000:]}", file=sys.stderr)
                rows.append(row)
    finally:
        mock.terminate()
    print("\n| work | API delay | reference events/s | sluice events/s | ratio | sluice requests |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['destination']} {r['action']} | {r['delay_ms']} ms | {r['reference']['events_per_s']:,} | "
              f"{r['sluice']['events_per_s']:,} | {r['ratio']}x | {r['sluice']['api']['requests']:,} |")


if __name__ == "__main__":
    main()
