#!/usr/bin/env python3
"""Opens N connections to `bertkit serve` that never send a byte, asks /health while they are open, then waits
for the server's idle timeout to close them (docs/reliability.md, issue #25's "1,000 silent connections").

    ulimit -n 256; bertkit serve --model M --port 8080 --idle-timeout 5 --threads 1 &
    scripts/reliability/idle_connections.py 8080 1000 5

Prints how long the connects took, each /health answer time (or its failure), and how many of the silent
connections the server closed by the end (a closed connection reads end-of-file).
"""
import socket
import sys
import time


def health(port, timeout):
    start = time.time()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = s.recv(4096)
        ok = data.startswith(b"HTTP/1.1 200")
        return ok, time.time() - start
    except OSError as e:
        return False, f"{type(e).__name__} after {time.time() - start:.2f} s"


def main():
    port, count, idle = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    silent = []
    start = time.time()
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        silent.append(s)
    print(f"{count} connects in {time.time() - start:.1f} s")
    answered = 0
    slowest = 0.0
    for i in range(10):
        ok, t = health(port, timeout=idle)
        if ok:
            answered += 1
            slowest = max(slowest, t)
        else:
            print(f"/health {i + 1}: failed ({t})")
        time.sleep(0.5)
    print(f"/health: {answered} of 10 answered, the slowest in {slowest * 1000:.0f} ms")
    time.sleep(idle + 3)
    closed = 0
    for s in silent:
        s.settimeout(0.2)
        try:
            closed += s.recv(1) == b""
        except socket.timeout:
            pass
        except OSError:
            closed += 1
        s.close()
    print(f"after the idle timeout: {closed} of {count} closed by the server")


if __name__ == "__main__":
    main()
