#!/usr/bin/env python3
"""Peak memory of `bertkit serve` answering one big `/predict` (docs/reliability.md, issue #25: "a 2,048-text
/predict stays under 1 GB RSS").

    scripts/reliability/predict_memory.py --bertkit .build/release/bertkit --model out/sentiment --texts 2048

Starts the server on a free port, sends one /predict of TEXTS texts (TEI's batch form, `[[text], ...]`) of WORDS
one-token words each ("truncate": true cuts them to the model's limit), checks that every text got its answer, and
prints the server's peak resident memory (VmHWM from /proc) before and after the request.
"""
import argparse
import json
import random
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request


def vm_hwm(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bertkit", required=True)
    parser.add_argument("--model", required=True, help="a classification model folder")
    parser.add_argument("--texts", type=int, default=2048)
    parser.add_argument("--words", type=int, default=130, help="words per text (each a single token here)")
    parser.add_argument("--extra", nargs=argparse.REMAINDER, default=[], help="more serve options")
    args = parser.parse_args()

    port = free_port()
    server = subprocess.Popen([args.bertkit, "serve", "--model", args.model, "--port", str(port)] + args.extra,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).read()
                break
            except OSError:
                if server.poll() is not None:
                    sys.exit(f"serve exited: {server.stderr.read()}")
                time.sleep(0.2)
        before = vm_hwm(server.pid)
        words = "the a film movie was great terrible and it of story acting plot but not very good bad".split()
        rng = random.Random(0)
        texts = [" ".join(rng.choice(words) for _ in range(args.words)) for _ in range(args.texts)]
        body = json.dumps({"inputs": [[t] for t in texts], "truncate": True}).encode()
        start = time.time()
        request = urllib.request.Request(f"http://127.0.0.1:{port}/predict", data=body,
                                         headers={"Content-Type": "application/json"})
        try:
            answer = json.loads(urllib.request.urlopen(request, timeout=3600).read())
        except urllib.error.HTTPError as e:
            sys.exit(f"/predict answered {e.code}: {e.read().decode(errors='replace')}")
        seconds = time.time() - start
        after = vm_hwm(server.pid)
        assert len(answer) == args.texts, f"{len(answer)} answers for {args.texts} texts"
        print(json.dumps({"texts": args.texts, "words_per_text": args.words, "seconds": round(seconds, 2),
                          "peak_rss_kib_before": before, "peak_rss_kib_after": after,
                          "under_1_gb": after < 1024 * 1024}))
    finally:
        server.terminate()
        server.wait(timeout=60)


if __name__ == "__main__":
    main()
