#!/usr/bin/env python3
"""`sluice serve` under load: events/s accepted durably over /v1/batch, and
end-to-end events/s delivered to a loopback stand-in API
(../shared/bench/mock-api.js) for Toplyne sendEvents.

Usage: bench/serve.py [--events N] [--batch B] [--clients C] [--delay MS]
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
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="sluice-serve-bench-")
    api_port, port = 18380, 18381
    config = os.path.join(tmp, "sluice.toml")
    with open(config, "w") as f:
        f.write(f'[server]\nlisten = "127.0.0.1:{port}"\ndata_dir = "{tmp}/data"\nwrite_keys = ["{KEY}"]\n\n'
                '[[destination]]\nname = "toplyne"\nmodule = "toplyne"\nsettings = { apiKey = "k" }\n'
                '[[destination.mapping]]\nsubscribe = \'type = "track"\'\naction = "sendEvents"\n')
    mock = subprocess.Popen(["node", os.path.join(args.bench, "mock-api.js"), str(api_port), str(args.delay)])
    serve = subprocess.Popen([args.sluice, "serve", "--config", config, "--route", f"https://api.toplyne.io=http://127.0.0.1:{api_port}"],
                             stdout=subprocess.PIPE, env={**os.environ, "SLUICE_MODULES": os.path.join(ROOT, "modules")})
    try:
        serve.stdout.readline()  # {"listening": …}
        auth = "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()
        batches = [[{"type": "track", "event": "Order Completed", "userId": f"user-{i}", "messageId": f"m{i}",
                     "timestamp": "2023-11-14T22:13:27.000Z", "properties": {"orderId": f"o{i}", "total": i * 1.5}}
                    for i in range(s, min(s + args.batch, args.events))] for s in range(0, args.events, args.batch)]
        bodies = [json.dumps({"batch": b}).encode() for b in batches]
        lock, failures = threading.Lock(), []

        def client(mine):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            for body in mine:
                conn.request("POST", "/v1/batch", body, {"authorization": auth, "content-type": "application/json"})
                r = conn.getresponse()
                r.read()
                if r.status != 200:
                    with lock:
                        failures.append(r.status)

        t0 = time.monotonic()
        threads = [threading.Thread(target=client, args=(bodies[i::args.clients],)) for i in range(args.clients)]
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
        print(json.dumps({"events": args.events, "batch": args.batch, "clients": args.clients, "api_delay_ms": args.delay,
                          "failures": len(failures), "accepted_s": round(accepted, 2),
                          "accepted_per_s": round(args.events / accepted), "delivered_s": round(delivered, 2),
                          "delivered_per_s": round(args.events / delivered), "api": s}))
    finally:
        serve.terminate()
        serve.wait()
        mock.terminate()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
