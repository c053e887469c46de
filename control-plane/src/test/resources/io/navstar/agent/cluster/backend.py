"""A backend for the cluster tests: HTTP/1.0 on PORT, answering its NAME (and a newline) to any path but /big,
which streams SIZE bytes of a fixed pattern at RATE bytes per second (the same pattern ClusterFixtures.bigBody
computes). SIGUSR1 closes the listening socket while established connections go on (new connections are
refused, as by a task that stopped accepting); SIGUSR2 listens again. One line on stdout per event:
"listening", "stopped", "<client ip:port> <path>" when a request arrives, "<client ip:port> /big done BYTES".

usage: backend.py NAME PORT [SIZE RATE]
"""
import select
import signal
import socket
import sys
import threading
import time

NAME = sys.argv[1]
PORT = int(sys.argv[2])
SIZE = int(sys.argv[3]) if len(sys.argv) > 3 else 4 << 20
RATE = int(sys.argv[4]) if len(sys.argv) > 4 else 512 << 10
PATTERN = bytes((i * 7 + 13) % 251 for i in range(65536))
TICK = 0.05

wanted = {"listening": True}
lock = threading.Lock()


def say(line):
    with lock:
        print(line, flush=True)


def stream(conn):
    sent = 0
    chunk = max(1, int(RATE * TICK))
    while sent < SIZE:
        n = min(chunk, SIZE - sent)
        start = sent % len(PATTERN)
        piece = (PATTERN[start:] + PATTERN * (n // len(PATTERN) + 1))[:n]
        conn.sendall(piece)
        sent += n
        time.sleep(TICK)
    return sent


def serve(conn, peer):
    try:
        request = b""
        while b"\r\n\r\n" not in request and len(request) < 8192:
            data = conn.recv(4096)
            if not data:
                return
            request += data
        path = request.split(b" ")[1].decode() if request.count(b" ") >= 2 else "/"
        say(f"{peer[0]}:{peer[1]} {path}")
        if path == "/big":
            conn.sendall(f"HTTP/1.0 200 OK\r\nX-Backend: {NAME}\r\nContent-Length: {SIZE}\r\n\r\n".encode())
            say(f"{peer[0]}:{peer[1]} /big done {stream(conn)}")
        else:
            body = (NAME + "\n").encode()
            conn.sendall(f"HTTP/1.0 200 OK\r\nX-Backend: {NAME}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                         + body)
    except OSError as e:
        say(f"{peer[0]}:{peer[1]} error {e}")
    finally:
        conn.close()


def listen():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("0.0.0.0", PORT))
    server.listen(128)
    say("listening")
    return server


signal.signal(signal.SIGUSR1, lambda *_: wanted.update(listening=False))
signal.signal(signal.SIGUSR2, lambda *_: wanted.update(listening=True))
server = listen()
while True:
    if server is not None and not wanted["listening"]:
        server.close()
        server = None
        say("stopped")
    elif server is None and wanted["listening"]:
        server = listen()
    if server is None:
        time.sleep(TICK)
        continue
    ready, _, _ = select.select([server], [], [], TICK)
    if ready:
        conn, peer = server.accept()
        threading.Thread(target=serve, args=(conn, peer), daemon=True).start()
