"""httpkit-echo --proxy-protocol behind a real HAProxy (Debian's haproxy), started here.

The client connects from 127.0.0.2 and HAProxy from 127.0.0.1, the one trusted proxy: each answer
must name 127.0.0.2, whatever the HAProxy configuration (send-proxy, send-proxy-v2; TCP with TLS
passed through, or HTTP with HAProxy ending TLS and sending its TLVs).
"""

from __future__ import annotations

import csv
import http.client
import io
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

ECHO = os.environ.get("HTTPKIT_ECHO")
HAPROXY = os.environ.get("HAPROXY") or shutil.which("haproxy", path="/usr/sbin:/usr/bin:" + os.environ.get("PATH", ""))
MAKE_CERTS = Path(__file__).resolve().parent.parent / "client" / "make-certs.sh"
CLIENT = "127.0.0.2"  # a loopback address of its own, not the trusted 127.0.0.1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_echo(*args: str) -> tuple[subprocess.Popen, int]:
    process = subprocess.Popen([ECHO, "0", "--proxy-protocol", "--trusted-proxy", "127.0.0.1/32", *args],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    found = re.match(r"httpkit-echo listening on https?://[^:]+:(\d+)/", line)
    assert found, (line, process.stderr.read() if process.poll() is not None else "")
    return process, int(found.group(1))


def stop(process: subprocess.Popen) -> tuple[str, str]:
    process.send_signal(signal.SIGTERM)
    try:
        return process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.communicate(timeout=10)


def wait_for_port(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"haproxy exited: {process.communicate()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}")


@unittest.skipUnless(ECHO and HAPROXY, "HTTPKIT_ECHO names httpkit-echo, and haproxy is installed")
class BehindHaproxy(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        tmp = Path(cls.tmp.name)
        subprocess.run(["sh", str(MAKE_CERTS), str(tmp)], check=True, capture_output=True, timeout=60)
        cls.ca = str(tmp / "ca.pem")
        cert, key = str(tmp / "localhost.pem"), str(tmp / "localhost.key")
        (tmp / "haproxy.pem").write_text(Path(cert).read_text() + Path(key).read_text())  # HAProxy's crt: both

        cls.plain, cls.plain_port = start_echo()
        cls.tls, cls.tls_port = start_echo("--tls-cert", cert, "--tls-key", key)
        cls.ports = {name: free_port() for name in ("tcp_v1", "tcp_v2", "tls_v1", "tls_v2", "http_v2")}
        cls.stats = str(tmp / "haproxy.sock")
        p = cls.ports
        # The configurations tested, as the README shows them.
        cls.config = f"""
global
    maxconn 200
    stats socket {cls.stats} mode 600 level admin

defaults
    timeout connect 5s
    timeout client 20s
    timeout server 20s

# TCP, HTTP passed through as bytes: send-proxy (v1) and send-proxy-v2, whose health checks are
# HTTP requests behind a v2 LOCAL header.
frontend tcp_v1
    mode tcp
    bind 127.0.0.1:{p['tcp_v1']}
    default_backend echo_tcp_v1
backend echo_tcp_v1
    mode tcp
    server echo 127.0.0.1:{cls.plain_port} send-proxy

frontend tcp_v2
    mode tcp
    bind 127.0.0.1:{p['tcp_v2']}
    default_backend echo_tcp_v2
backend echo_tcp_v2
    mode tcp
    option httpchk
    http-check send meth GET uri /plaintext ver HTTP/1.1 hdr Host localhost
    http-check expect string Hello
    server echo 127.0.0.1:{cls.plain_port} send-proxy-v2 check check-send-proxy inter 200ms rise 1 fall 1

# TLS passed through (mode tcp): httpkit-echo ends it, after reading the header.
frontend tls_v1
    mode tcp
    bind 127.0.0.1:{p['tls_v1']}
    default_backend echo_tls_v1
backend echo_tls_v1
    mode tcp
    server echo 127.0.0.1:{cls.tls_port} send-proxy

frontend tls_v2
    mode tcp
    bind 127.0.0.1:{p['tls_v2']}
    default_backend echo_tls_v2
backend echo_tls_v2
    mode tcp
    server echo 127.0.0.1:{cls.tls_port} send-proxy-v2

# HTTP, HAProxy ending TLS: its v2 header says the client used TLS (req.scheme https), with the
# SNI (authority) and a CRC32C.
frontend http_v2
    mode http
    bind 127.0.0.1:{p['http_v2']} ssl crt {tmp / 'haproxy.pem'} alpn http/1.1
    default_backend echo_http_v2
backend echo_http_v2
    mode http
    server echo 127.0.0.1:{cls.plain_port} send-proxy-v2 proxy-v2-options ssl,authority,crc32c
"""
        config_file = tmp / "haproxy.cfg"
        config_file.write_text(cls.config)
        check = subprocess.run([HAPROXY, "-c", "-f", str(config_file)], capture_output=True, text=True, timeout=30)
        assert check.returncode == 0, check.stdout + check.stderr
        cls.haproxy = subprocess.Popen([HAPROXY, "-db", "-f", str(config_file)],
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for port in p.values():
            wait_for_port(port, cls.haproxy)

    @classmethod
    def tearDownClass(cls):
        stop(cls.haproxy)
        for process in (cls.plain, cls.tls):
            out, err = stop(process)
            assert process.returncode == 0, (process.returncode, err)
            assert "httpkit-echo stopped" in out
        cls.tmp.cleanup()

    def context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca)

    def get(self, port: int, tls: bool = False) -> dict:
        if tls:
            connection = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, source_address=(CLIENT, 0),
                                                     context=self.context())
        else:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(CLIENT, 0))
        try:
            seen = []
            for _ in range(2):  # two requests on one connection: both the client's
                connection.request("GET", "/who?x=1")
                response = connection.getresponse()
                self.assertEqual(response.status, 200)
                seen.append(json.loads(response.read()))
            self.assertEqual(seen[0]["ip"], seen[1]["ip"])
            return seen[0]
        finally:
            connection.close()

    def test_tcp_send_proxy_v1(self):
        out = self.get(self.ports["tcp_v1"])
        self.assertEqual((out["ip"], out["scheme"], out["path"]), (CLIENT, "http", "/who"))

    def test_tcp_send_proxy_v2(self):
        out = self.get(self.ports["tcp_v2"])
        self.assertEqual((out["ip"], out["scheme"]), (CLIENT, "http"))

    def test_tls_passed_through_v1(self):
        out = self.get(self.ports["tls_v1"], tls=True)
        self.assertEqual((out["ip"], out["scheme"]), (CLIENT, "https"))

    def test_tls_passed_through_v2(self):
        out = self.get(self.ports["tls_v2"], tls=True)
        self.assertEqual((out["ip"], out["scheme"]), (CLIENT, "https"))

    @unittest.skipUnless(shutil.which("curl"), "curl")
    def test_tls_passed_through_http2(self):
        # h2 by ALPN with httpkit-echo itself, through HAProxy's TCP relay.
        result = subprocess.run(["curl", "-sS", "--http2", "--interface", CLIENT, "--cacert", self.ca,
                                 f"https://127.0.0.1:{self.ports['tls_v2']}/h2"],
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 0, result.stderr)
        out = json.loads(result.stdout)
        self.assertEqual((out["ip"], out["http_version"], out["scheme"]), (CLIENT, "2", "https"))

    def test_http_mode_tls_ended_by_haproxy(self):
        out = self.get(self.ports["http_v2"], tls=True)
        # The connection from HAProxy is plain; its header's SSL TLV says the client's was TLS.
        self.assertEqual((out["ip"], out["scheme"]), (CLIENT, "https"))

    def test_health_checks_behind_local(self):
        # HAProxy's checks send a v2 LOCAL header, then GET /plaintext: L7OK only if it was served.
        deadline = time.monotonic() + 10
        status = ""
        while time.monotonic() < deadline:
            with socket.socket(socket.AF_UNIX) as s:
                s.settimeout(5)
                s.connect(self.stats)
                s.sendall(b"show stat\n")
                data = b""
                while chunk := s.recv(65536):
                    data += chunk
            rows = list(csv.DictReader(io.StringIO(data.decode().lstrip("# "))))
            row = next(r for r in rows if r["pxname"] == "echo_tcp_v2" and r["svname"] == "echo")
            status = f"{row['status']} {row['check_status']}"
            if row["check_status"] and row["check_status"] != "INI":
                break
            time.sleep(0.1)
        self.assertEqual(status, "UP L7OK")

    def test_direct_connections_refused(self):
        # Not through HAProxy: from an untrusted address, or from the trusted one without a header.
        for source in (CLIENT, "127.0.0.1"):
            with socket.create_connection(("127.0.0.1", self.plain_port), timeout=10, source_address=(source, 0)) as s:
                try:
                    s.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
                    self.assertEqual(s.recv(65536), b"", source)
                except ConnectionResetError:
                    pass  # refused with a reset: nothing served either
        self.assertEqual(self.get(self.ports["tcp_v1"])["ip"], CLIENT)  # still serving


if __name__ == "__main__":
    unittest.main()
