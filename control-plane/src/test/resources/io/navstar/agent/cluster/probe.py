"""A client for the cluster tests: every INTERVAL_MS, a new TCP connection to HOST:PORT (a name is resolved once,
through the container's resolv.conf), "GET /", and one line on stdout: "<epoch ms> <first line of the body>", or
"<epoch ms> error <reason>" when it fails or takes longer than TIMEOUT_MS. Runs until killed.

usage: probe.py HOST PORT INTERVAL_MS TIMEOUT_MS
"""
import socket
import sys
import time

HOST, PORT = sys.argv[1], int(sys.argv[2])
INTERVAL = int(sys.argv[3]) / 1000
TIMEOUT = int(sys.argv[4]) / 1000
address = socket.getaddrinfo(HOST, PORT, socket.AF_INET, socket.SOCK_STREAM)[0][4]
print(f"{int(time.time() * 1000)} resolved {address[0]}", flush=True)


def ask():
    with socket.create_connection(address, timeout=TIMEOUT) as conn:
        conn.settimeout(TIMEOUT)
        conn.sendall(b"GET / HTTP/1.0\r\nHost: probe\r\n\r\n")
        response = b""
        while True:
            data = conn.recv(4096)
            if not data:
                break
            response += data
    body = response.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in response else b""
    return body.decode(errors="replace").splitlines()[0] if body.strip() else "error empty answer"


while True:
    started = time.time()
    try:
        answer = ask()
    except OSError as e:
        answer = f"error {type(e).__name__}: {e}"
    print(f"{int(started * 1000)} {answer}", flush=True)
    time.sleep(max(0.0, INTERVAL - (time.time() - started)))
