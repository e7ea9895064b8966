#!/usr/bin/env python3
"""`sluice serve` under load: events/s accepted durably over /v1/batch, and
end-to-end events/s delivered to a loopback stand-in API
(../shared/bench/mock-api.js) for Toplyne sendEvents.

Usage: bench/serve.py [--events N] [--batch B] [--clients C] [--delay MS] [--postgres] [--processes P]
Posts N track events in batches of B from C threads (HTTP Basic, keep-alive),
times the acknowledgements (every 200 means committed and fsynced), then
waits until the stand-in API has seen every event.
"""
import argparse, base64, http.client, json, os, shutil, subprocess, sys, tempfile, threading, time, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
KEY = "bench-write-key"


def stats(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/__stats", timeout=10) as r:
        return json.loads(r.read())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=50000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--delay", type=int, default=20)
    ap.add_argument("--sluice", default=os.path.join(ROOT, "target/release/sluice"))
    ap.add_argument("--bench", default=os.path.join(ROOT, "..", "shared", "bench"))
    ap.add_argument("--postgres", action="store_true", help="a throwaway Postgres as the shared store")
    ap.add_argument("--processes", type=int, default=1, help="serve processes (Postgres only for more than one)")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="sluice-serve-bench-")
    os.chmod(tmp, 0o755)
    api_port, pg_port = 18380, 18390
    ports = [18381 + i for i in range(args.processes)]
    store = ""
    pg = None
    if args.postgres:
        pg = start_postgres(tmp, pg_port)
        store = f'store = "postgres://sluice@127.0.0.1:{pg_port}/postgres"\n'
    elif args.processes > 1:
        sys.exit("several processes need --postgres")
    mock = subprocess.Popen(["node", os.path.join(args.bench, "mock-api.js"), str(api_port), str(args.delay)])
    serves = []
    for i, port in enumerate(ports):
        config = os.path.join(tmp, f"sluice-{i}.toml")
        with open(config, "w") as f:
            f.write(f'[server]\nlisten = "127.0.0.1:{port}"\ndata_dir = "{tmp}/data"\nwrite_keys = ["{KEY}"]\n{store}\n'
                    '[[destination]]\nname = "toplyne"\nmodule = "toplyne"\nsettings = { apiKey = "k" }\n'
                    '[[destination.mapping]]\nsubscribe = \'type = "track"\'\naction = "sendEvents"\n')
        serves.append(subprocess.Popen([args.sluice, "serve", "--config", config, "--route", f"https://api.toplyne.io=http://127.0.0.1:{api_port}"],
                                       stdout=subprocess.PIPE, env={**os.environ, "SLUICE_MODULES": os.path.join(ROOT, "modules")}))
    try:
        for serve in serves:
            serve.stdout.readline()  # {"listening": …}
        auth = "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()
        batches = [[{"type": "track", "event": "Order Completed", "userId": f"user-{i}", "messageId": f"m{i}",
                     "timestamp": "2023-11-14T22:13:27.000Z", "properties": {"orderId": f"o{i}", "total": i * 1.5}}
                    for i in range(s, min(s + args.batch, args.events))] for s in range(0, args.events, args.batch)]
        bodies = [json.dumps({"batch": b}).encode() for b in batches]
        lock, failures = threading.Lock(), []

        def client(mine, port):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            for body in mine:
                conn.request("POST", "/v1/batch", body, {"authorization": auth, "content-type": "application/json"})
                r = conn.getresponse()
                r.read()
                if r.status != 200:
                    with lock:
                        failures.append(r.status)

        t0 = time.monotonic()
        threads = [threading.Thread(target=client, args=(bodies[i::args.clients], ports[i % len(ports)])) for i in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        accepted = time.monotonic() - t0
        while stats(api_port)["events"] < args.events:
            time.sleep(0.05)
            if time.monotonic() - t0 > 600:
                sys.exit("not delivered within 10 minutes")
        delivered = time.monotonic() - t0
        s = stats(api_port)
        with urllib.request.urlopen(f"http://127.0.0.1:{ports[0]}/metrics", timeout=10) as r:
            size = [l for l in r.read().decode().splitlines() if l.startswith("sluice_store_bytes")]
        print(json.dumps({"store": "postgres" if args.postgres else "sqlite", "processes": args.processes, "store_bytes_after": size,
                          "events": args.events, "batch": args.batch, "clients": args.clients, "api_delay_ms": args.delay,
                          "failures": len(failures), "accepted_s": round(accepted, 2),
                          "accepted_per_s": round(args.events / accepted), "delivered_s": round(delivered, 2),
                          "delivered_per_s": round(args.events / delivered), "api": s}))
    finally:
        for serve in serves:
            serve.terminate()
            serve.wait()
        mock.terminate()
        if pg:
            pg()
        shutil.rmtree(tmp, ignore_errors=True)


def start_postgres(tmp, port):
    """A throwaway Postgres (as nobody when root); returns its stop function."""
    data = os.path.join(tmp, "pg")
    prefix = ["runuser", "-u", "nobody", "--"] if os.geteuid() == 0 else []
    if os.geteuid() == 0:
        os.makedirs(data)
        subprocess.run(["chown", "-R", "nobody", data], check=True)
    binary = lambda b: next(p for p in [f"/usr/local/bin/{b}"] + [f"/usr/lib/postgresql/{v}/bin/{b}" for v in (17, 16, 15)] if os.path.exists(p))
    subprocess.run(prefix + [binary("initdb"), "-D", data, "-A", "trust", "-U", "sluice", "--no-sync"], check=True, capture_output=True)
    opts = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c synchronous_commit=on"
    subprocess.run(prefix + [binary("pg_ctl"), "-D", data, "-o", opts, "-l", os.path.join(data, "log"), "-w", "start"], check=True, capture_output=True)
    return lambda: subprocess.run(prefix + [binary("pg_ctl"), "-D", data, "-m", "fast", "stop"], capture_output=True)


if __name__ == "__main__":
    main()
