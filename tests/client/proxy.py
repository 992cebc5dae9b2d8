"""A small forward proxy for the client's tests, Python standard library only: absolute-form
requests are forwarded (one per connection), CONNECT opens a tunnel. Each request line goes to
the log file given; a proxy-credentials argument makes it demand Proxy-Authorization (407).

    python3 proxy.py PORT_FILE LOG_FILE [user:password]
"""

from __future__ import annotations

import base64
import select
import socket
import socketserver
import sys
import threading
from urllib.parse import urlsplit

PORT_FILE, LOG_FILE = sys.argv[1], sys.argv[2]
CREDENTIALS = sys.argv[3] if len(sys.argv) > 3 else None
log_lock = threading.Lock()


def log(line: str) -> None:
    with log_lock, open(LOG_FILE, "a") as f:
        f.write(line + "\n")


def read_head(conn: socket.socket) -> tuple[bytes, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the head")
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    return head, rest


def pump(a: socket.socket, b: socket.socket) -> None:
    sockets = [a, b]
    while True:
        readable, _, _ = select.select(sockets, [], [], 30)
        if not readable:
            return
        for s in readable:
            data = s.recv(65536)
            if not data:
                return
            (b if s is a else a).sendall(data)


class Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        conn = self.request
        try:
            head, rest = read_head(conn)
        except ConnectionError:
            return
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        fields = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
        log(f"{method} {target}")
        if CREDENTIALS:
            expected = "Basic " + base64.b64encode(CREDENTIALS.encode()).decode()
            if fields.get("proxy-authorization") != expected:
                conn.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\n"
                             b"Content-Length: 0\r\nConnection: close\r\n\r\n")
                return
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            upstream = socket.create_connection((host.strip("[]"), int(port)))
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            pump(conn, upstream)
            upstream.close()
            return
        url = urlsplit(target)
        upstream = socket.create_connection((url.hostname, url.port or 80))
        path = (url.path or "/") + (f"?{url.query}" if url.query else "")
        forwarded = [f"{method} {path} HTTP/1.1"]
        for line in lines[1:]:
            name = line.partition(":")[0].strip().lower()
            if name not in ("proxy-authorization", "connection", "proxy-connection"):
                forwarded.append(line)
        forwarded.append("Connection: close")
        upstream.sendall(("\r\n".join(forwarded) + "\r\n\r\n").encode("latin-1") + rest)
        length = int(fields.get("content-length", "0"))
        while len(rest) < length:
            chunk = conn.recv(65536)
            if not chunk:
                break
            rest += chunk
            upstream.sendall(chunk)
        # The answer, to the end of the upstream connection; this one closes after it.
        response = b""
        while True:
            chunk = upstream.recv(65536)
            if not chunk:
                break
            response += chunk
        upstream.close()
        head, _, body = response.partition(b"\r\n\r\n")
        kept = [l for l in head.split(b"\r\n") if not l.lower().startswith(b"connection:")]
        conn.sendall(b"\r\n".join(kept) + b"\r\nConnection: close\r\n\r\n" + body)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


server = Server(("127.0.0.1", 0), Handler)
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os
os.rename(PORT_FILE + ".tmp", PORT_FILE)
server.serve_forever()
