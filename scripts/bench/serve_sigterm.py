#!/usr/bin/env python3
"""SIGTERM during load, for scripts/bench/serve: N client threads post single sentences to
127.0.0.1:PORT/v1/embeddings (one request per connection) while the server gets SIGTERM.

Every request is classified: answered (by status), refused before acceptance (connection refused:
the listener had closed), or lost (the connection was accepted, the request sent, and no answer
came back). Prints one JSON line; a graceful shutdown has "lost": 0 and "exit_code": 0.

    python3 scripts/bench/serve_sigterm.py --pid PID --port 18081 --data ../shared/data/sst2/dev.tsv
"""
import argparse
import errno
import http.client
import json
import os
import signal
import threading
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--clients", type=int, default=64)
    p.add_argument("--before", type=float, default=3.0, help="seconds of load before SIGTERM")
    p.add_argument("--model", default="sentence-transformers/all-MiniLM-L6-v2")
    args = p.parse_args()
    with open(args.data, encoding="utf-8") as f:
        sentences = [line.rstrip("\n").split("\t", 1)[1] for line in list(f)[1:]]
    lock = threading.Lock()
    counts = {"answered": {}, "refused": 0, "lost": 0}
    stop = threading.Event()

    def client(k):
        i = k
        while not stop.is_set():
            body = json.dumps({"model": args.model, "input": sentences[i % len(sentences)]})
            i += args.clients
            conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
            try:
                conn.connect()
            except OSError as e:
                with lock:
                    counts["refused"] += 1
                if e.errno == errno.ECONNREFUSED:
                    time.sleep(0.01)
                    if stop.is_set():
                        return
                continue
            try:
                conn.request("POST", "/v1/embeddings", body=body,
                             headers={"Content-Type": "application/json", "Connection": "close"})
                status = conn.getresponse().status
                with lock:
                    counts["answered"][status] = counts["answered"].get(status, 0) + 1
            except OSError:
                with lock:
                    counts["lost"] += 1
            finally:
                conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(args.clients)]
    for t in threads:
        t.start()
    time.sleep(args.before)
    with lock:
        before = sum(counts["answered"].values())
    os.kill(args.pid, signal.SIGTERM)
    sent_at = time.monotonic()
    # The driver's wait for the exit status happens after we return; poll /proc meanwhile.
    while os.path.exists(f"/proc/{args.pid}") and time.monotonic() - sent_at < 60:
        try:
            with open(f"/proc/{args.pid}/stat") as f:
                if f.read().split(")")[1].split()[0] == "Z":
                    break
        except OSError:
            break
        time.sleep(0.02)
    exit_seconds = time.monotonic() - sent_at
    stop.set()
    for t in threads:
        t.join()
    print("SIGTERM_JSON " + json.dumps({"answered_before_sigterm": before, "answered": counts["answered"],
                                        "refused_after_close": counts["refused"], "lost": counts["lost"],
                                        "seconds_to_exit": round(exit_seconds, 3)}))


if __name__ == "__main__":
    main()
