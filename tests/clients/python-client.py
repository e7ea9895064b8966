"""segment-analytics-python as a real client of `sluice serve`, with gzip on:
N identify and N track calls for users PREFIX-0..N-1, then flush.
Usage: python3 python-client.py HOST WRITE_KEY PREFIX N"""
import sys

from segment.analytics import Client

host, write_key, prefix, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
errors = []
client = Client(write_key, host=host, gzip=True, max_retries=3, on_error=lambda e, batch: errors.append(e))
for i in range(n):
    user_id = f"{prefix}-{i}"
    client.identify(user_id, {"plan": "pro", "n": i})
    client.track(user_id, "Order Completed", {"total": i})
client.flush()
client.shutdown()
if errors:
    sys.exit(f"analytics-python errors: {errors}")
