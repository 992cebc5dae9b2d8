"""httpkit-echo and httpkit-fetch as their users run them: real processes on loopback."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import string
import subprocess
import tempfile
import time
import unittest

ECHO = os.environ.get("HTTPKIT_ECHO")
FETCH = os.environ.get("HTTPKIT_FETCH")
FILES = os.environ.get("HTTPKIT_FILES")
STATUS = os.environ.get("HTTPKIT_STATUS")


def wait_for_port(port: int, timeout: float = 10) -> None:
    """Returns once 127.0.0.1:port accepts a connection; raises after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@unittest.skipUnless(ECHO and FETCH, "HTTPKIT_ECHO and HTTPKIT_FETCH name the programs")
class ProgramsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.port = free_port()
        cls.echo = subprocess.Popen([ECHO, str(cls.port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = cls.echo.stdout.readline()
        assert line.startswith("httpkit-echo listening on"), line
        cls.base = f"http://127.0.0.1:{cls.port}"

    @classmethod
    def tearDownClass(cls):
        cls.echo.send_signal(signal.SIGTERM)
        out, err = cls.echo.communicate(timeout=10)
        assert cls.echo.returncode == 0, cls.echo.returncode
        assert "httpkit-echo stopped" in out
        assert "was sent without" not in err, err  # every /status/<code> had the fields it needs

    def fetch(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([FETCH, *args], capture_output=True, text=True, timeout=30)
        if check:
            self.assertEqual(result.returncode, 0, result.stderr)
        return result

    def test_echo_json_of_the_request(self):
        out = json.loads(self.fetch("-H", "Cookie: a=1; b=2", "-H", "X-Test: yes", self.base + "/some/path?q=x+y").stdout)
        self.assertEqual(out["request_uri"], "/some/path?q=x+y")
        self.assertEqual(out["path"], "/some/path")
        self.assertEqual(out["method"], "GET")
        self.assertEqual(out["host"], f"127.0.0.1:{self.port}")
        self.assertEqual(out["ip"], "127.0.0.1")
        self.assertEqual(out["headers"]["X-Test"], "yes")
        self.assertEqual(out["queries"], {"q": "x y"})
        self.assertEqual(out["cookies"], {"a": "1", "b": "2"})
        self.assertEqual(out["body"], "")
        self.assertEqual(out["files"], {})
        self.assertEqual(out["http_version"], "1.1")

    def test_echo_bodies(self):
        form = json.loads(self.fetch("-d", "a=1&b=two", self.base + "/f").stdout)
        self.assertEqual(form["method"], "POST")
        self.assertEqual(form["body"], {"a": "1", "b": "two"})
        body = json.loads(self.fetch("-H", "Content-Type: application/json", "-d", '{"n": [1, 2]}', self.base).stdout)
        self.assertEqual(body["body"], {"n": [1, 2]})
        text = json.loads(self.fetch("-X", "PUT", "-H", "Content-Type: text/plain", "-d", "plain", self.base).stdout)
        self.assertEqual((text["method"], text["body"]), ("PUT", "plain"))
        bad = self.fetch("-H", "Content-Type: application/json", "-d", "{not json", "--json", self.base)
        self.assertEqual(json.loads(bad.stdout)["status"], 400)
        with tempfile.NamedTemporaryFile() as upload:
            upload.write(bytes(range(256)))
            upload.flush()
            boundary = "XyZ"
            payload = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"d.bin\"\r\n"
                       f"Content-Type: application/octet-stream\r\n\r\n").encode() + bytes(range(256)) + \
                      f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"t\"\r\n\r\nv\r\n--{boundary}--".encode()
            with tempfile.NamedTemporaryFile() as body_file:
                body_file.write(payload)
                body_file.flush()
                out = json.loads(self.fetch("-H", f"Content-Type: multipart/form-data; boundary={boundary}",
                                            "-d", "@" + body_file.name, self.base + "/up").stdout)
        self.assertEqual(out["files"], {"doc": {"filename": "d.bin", "content_type": "application/octet-stream", "size": 256}})
        self.assertEqual(out["body"], {"t": "v"})

    def raw(self, request: bytes) -> bytes:
        """Sends `request` on a new connection and returns everything until the server closes."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
            s.sendall(request)
            chunks = []
            while chunk := s.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)

    def post(self, content_type: str, body: bytes) -> tuple[int, bytes]:
        reply = self.raw(b"POST /hostile HTTP/1.1\r\nHost: h\r\nConnection: close\r\nContent-Type: " +
                         content_type.encode() + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        status = int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/1.1 ") else 0
        return status, reply

    def assert_still_serving(self):
        self.assertEqual(self.fetch(self.base + "/plaintext").stdout, "Hello, World!")

    def test_deep_json_is_refused_not_a_crash(self):
        # 100,000 levels crashed the process (recursion when the value was destroyed or dumped).
        status, reply = self.post("application/json", b"[" * 100000 + b"]" * 100000)
        self.assertEqual(status, 400)
        self.assertIn(b"nests deeper than 256 levels", reply)
        self.assertEqual(self.post("application/json", b"[" * 256 + b"]" * 256)[0], 200)  # at the limit
        self.assertEqual(self.post("application/json", b"[" * 257 + b"]" * 257)[0], 400)  # one past it
        status, reply = self.post("application/json", b'{"a": [1, 2,, 3]}')
        self.assertEqual(status, 400)
        self.assertIn(b"line 1, column 13", reply)
        self.assert_still_serving()

    def test_a_form_of_many_fields_is_answered_at_once(self):
        # 150,000 fields in 1.2 MB took 26 s of CPU; past max_form_fields (1,000) it is a 413.
        body = "&".join(f"f{i}=v" for i in range(150000)).encode()
        self.assertGreater(len(body), 1_000_000)
        status, reply = self.post("application/x-www-form-urlencoded", body)
        self.assertEqual(status, 413)
        self.assertIn(b"too many form fields", reply)
        at_limit = json.loads(self.fetch("-d", "&".join(f"f{i}={i}" for i in range(1000)), self.base).stdout)
        self.assertEqual(len(at_limit["body"]), 1000)
        self.assertEqual(at_limit["body"]["f999"], "999")
        self.assert_still_serving()

    def test_a_spooled_upload_reports_its_size(self):
        # A file part over 1 MiB goes to a temporary file; its size was reported as 0.
        content = bytes(range(256)) * 8192  # 2 MiB
        body = (b'--b\r\nContent-Disposition: form-data; name="big"; filename="big.bin"\r\n\r\n' + content +
                b"\r\n--b--\r\n")
        status, reply = self.post("multipart/form-data; boundary=b", body)
        self.assertEqual(status, 200)
        echoed = json.loads(reply.split(b"\r\n\r\n", 1)[1])
        self.assertEqual(echoed["files"]["big"]["size"], len(content))

    def test_routes(self):
        self.assertEqual(self.fetch(self.base + "/plaintext").stdout, "Hello, World!")
        self.assertEqual(json.loads(self.fetch(self.base + "/json").stdout), {"message": "Hello, World!"})
        summary = json.loads(self.fetch("--json", self.base + "/status/503").stdout)
        self.assertEqual(summary["status"], 503)
        self.assertEqual(summary["headers"]["Content-Type"], "application/problem+json")
        self.assertEqual(json.loads(self.fetch("--json", self.base + "/status/201").stdout)["status"], 201)
        self.assertEqual(json.loads(self.fetch("--json", self.base + "/status/99").stdout)["status"], 400)
        self.assertEqual(json.loads(self.fetch("--json", self.base + "/throw").stdout)["status"], 500)
        cookie = json.loads(self.fetch("--json", self.base + "/set-cookie?name=sid&value=abc").stdout)
        self.assertEqual(cookie["cookies"], ["sid=abc; Path=/"])
        started = time.monotonic()
        self.assertEqual(json.loads(self.fetch(self.base + "/delay?ms=200").stdout), {"delayed_ms": 200})
        self.assertGreaterEqual(time.monotonic() - started, 0.2)

    def test_status_sends_the_fields_its_status_requires(self):
        def headers_of(code: int) -> dict:
            summary = json.loads(self.fetch("--json", "--no-follow", f"{self.base}/status/{code}").stdout)
            self.assertEqual(summary["status"], code)
            return summary["headers"]
        self.assertEqual(headers_of(301)["Location"], "/")
        self.assertEqual(headers_of(405)["Allow"], "GET, HEAD")
        self.assertEqual(headers_of(401)["WWW-Authenticate"], 'Basic realm="httpkit-echo"')
        self.assertEqual(headers_of(416)["Content-Range"], "bytes */0")
        self.assertEqual(headers_of(503)["Retry-After"], "30")
        self.assertNotIn("Content-Type", headers_of(304))
        # tearDownClass checks that no response was reported as lacking a field.

    def test_redirects(self):
        target = self.base + "/json"
        followed = json.loads(self.fetch("--json", f"{self.base}/redirect?to={target}&status=307").stdout)
        self.assertEqual((followed["status"], followed["redirects"], followed["responder"]), (200, 1, target))
        stopped = json.loads(self.fetch("--json", "--no-follow", f"{self.base}/redirect?to=/json").stdout)
        self.assertEqual((stopped["status"], stopped["headers"]["Location"]), (302, "/json"))
        self.assertEqual(json.loads(self.fetch("--json", f"{self.base}/redirect?to=/x&status=200").stdout)["status"], 400)

    def test_fetch_output_file_and_summary(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "out.txt")
            result = self.fetch("-o", path, self.base + "/plaintext")
            self.assertEqual(result.stdout, "")
            with open(path) as f:
                self.assertEqual(f.read(), "Hello, World!")
        summary = json.loads(self.fetch("--json", self.base + "/plaintext").stdout)
        self.assertEqual(set(summary), {"status", "version", "headers", "cookies", "redirects", "responder",
                                        "time_taken", "body_size"})
        self.assertEqual(summary["body_size"], 13)

    def test_streams_events_and_streamed_uploads(self):
        # /stream: chunked, the exact size; fetch -o streams it to disk; --max-time bounds it.
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "stream.bin")
            self.fetch("-s", "-o", path, self.base + "/stream?bytes=3000001")
            self.assertEqual(os.path.getsize(path), 3000001)
            with open(path, "rb") as f:
                self.assertEqual(f.read(37), b"abcdefghijklmnopqrstuvwxyz0123456789\n")
            # /upload-stream: any size, hashed as it arrives; -T sends a file as it is read.
            upload = os.path.join(d, "upload.bin")
            data = os.urandom(3 * 1024 * 1024) + b"end"
            with open(upload, "wb") as f:
                f.write(data)
            answer = json.loads(self.fetch("-s", "-T", upload, self.base + "/upload-stream").stdout)
            self.assertEqual(answer, {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
            chunked = subprocess.run(["curl", "-s", "-H", "Transfer-Encoding: chunked", "-X", "POST", "-T", upload,
                                      self.base + "/upload-stream"], capture_output=True, text=True, timeout=30)
            self.assertEqual(json.loads(chunked.stdout)["sha256"], hashlib.sha256(data).hexdigest())
        slow = self.fetch("-s", "--max-time", "300", self.base + "/delay?ms=2000", check=False)
        self.assertEqual(slow.returncode, 1)
        self.assertIn("client.timeout (300 ms)", slow.stderr)
        # /events: N events, ids after the client's Last-Event-ID.
        events = subprocess.run(["curl", "-sN", "--max-time", "10", "-H", "Last-Event-ID: 41",
                                 self.base + "/events?n=3&interval=10"], capture_output=True, text=True, timeout=30)
        self.assertEqual(events.returncode, 0, events.stderr)
        blocks = [b for b in events.stdout.split("\n\n") if b]
        self.assertEqual([b.splitlines()[0] for b in blocks], ["id: 42", "id: 43", "id: 44"])
        self.assertTrue(all(b.splitlines()[1] == "event: tick" for b in blocks))
        self.assertEqual(json.loads(blocks[0].splitlines()[2][len("data: "):])["id"], 42)

    def test_fetch_failures(self):
        refused = self.fetch(f"http://127.0.0.1:{free_port()}/", check=False)
        self.assertEqual(refused.returncode, 1)
        self.assertIn("Connection refused", refused.stderr)
        self.assertEqual(refused.stderr.count("\n"), 1)  # one line
        timeout = self.fetch("--timeout", "100", self.base + "/delay?ms=1000", check=False)
        self.assertEqual(timeout.returncode, 1)
        self.assertIn("timed out", timeout.stderr)
        usage = self.fetch("--bogus", check=False)
        self.assertEqual(usage.returncode, 2)
        self.assertEqual(self.fetch("not a url", check=False).returncode, 1)


@unittest.skipUnless(ECHO, "HTTPKIT_ECHO names the program")
class ProductionTest(unittest.TestCase):
    """httpkit-echo as a service runs: on a Unix socket, under systemd's socket activation,
    behind a trusted proxy, scraped by Prometheus, stopped by SIGTERM."""

    def start(self, *args: str, env: dict | None = None, command: list[str] | None = None) -> subprocess.Popen:
        process = subprocess.Popen(command or [ECHO, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   env=env)
        self.addCleanup(lambda: process.poll() is None and process.kill())
        return process

    def stop(self, process: subprocess.Popen) -> str:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)
        self.assertEqual(process.returncode, 0, err)
        return out

    def curl(self, *args: str) -> str:
        return subprocess.run(["curl", "-s", *args], capture_output=True, text=True, timeout=30, check=True).stdout

    def test_unix_socket(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "echo.sock")
            echo = self.start("--unix", path)
            self.assertIn(f"unix:{path}", echo.stdout.readline())
            out = json.loads(self.curl("--unix-socket", path, "http://local/hi?x=1"))
            self.assertEqual((out["path"], out["ip"], out["queries"]), ("/hi", "unix:", {"x": "1"}))
            self.stop(echo)
            self.assertFalse(os.path.exists(path))

    def test_socket_activation(self):
        port = free_port()
        echo = self.start(command=["systemd-socket-activate", "-l", f"127.0.0.1:{port}", ECHO, "--socket-activation"])
        # systemd-socket-activate listens first and starts the server at the first connection.
        wait_for_port(port)
        out = json.loads(self.curl(f"http://127.0.0.1:{port}/activated"))
        self.assertEqual(out["path"], "/activated")
        self.stop(echo)

    def test_trusted_proxy_metrics_and_sigterm(self):
        port = free_port()
        echo = self.start(str(port), "--trusted-proxy", "127.0.0.1")
        echo.stdout.readline()
        url = f"http://127.0.0.1:{port}"
        out = json.loads(self.curl("-H", "X-Forwarded-For: 198.51.100.23", "-H", "X-Forwarded-Proto: https", url + "/who"))
        self.assertEqual((out["ip"], out["scheme"]), ("198.51.100.23", "https"))
        self.curl(url + "/status/404")
        self.curl("--http1.0", "-X", "BAD METHOD", url + "/")  # refused by the parser: 400
        metrics = self.curl(url + "/metrics")
        self.assertIn('httpkit_requests_total{method="GET",status_class="2xx"} 1\n', metrics)
        self.assertIn('httpkit_requests_total{method="GET",status_class="4xx"} 1\n', metrics)
        self.assertIn('httpkit_refused_requests_total{status="400"} 1\n', metrics)
        self.assertIn("# TYPE httpkit_request_duration_seconds histogram", metrics)
        self.assertRegex(metrics, r'httpkit_request_duration_seconds_bucket\{le="\+Inf"\} 2\n')
        self.assertIn("httpkit_open_connections 1\n", metrics)
        # SIGTERM while a request is in flight: it is answered, then the server exits 0.
        slow = subprocess.Popen(["curl", "-s", url + "/delay?ms=300"], stdout=subprocess.PIPE, text=True)
        time.sleep(0.1)
        out = self.stop(echo)
        self.assertIn("httpkit-echo stopped", out)
        self.assertEqual(json.loads(slow.communicate(timeout=10)[0]), {"delayed_ms": 300})

    def test_metrics_by_route_are_bounded_and_valid(self):
        # Series by route pattern, never by path or method sent; the exposition as Prometheus's
        # own checker (promtool, Debian's prometheus) reads it.
        port = free_port()
        echo = self.start(str(port))
        echo.stdout.readline()
        url = f"http://127.0.0.1:{port}"
        self.curl(url + "/status/201")
        self.curl(url + "/status/404")
        self.curl(url + "/some/path")

        def scrape() -> str:
            return self.curl(url + "/metrics")

        def route_series(text: str) -> list[str]:
            return [line.rsplit(" ", 1)[0] for line in text.splitlines() if line.startswith("httpkit_route_")]

        def hostile(count: int, seed: int) -> None:
            rng = random.Random(seed)
            tchar = "!#$%&'*+-.^_`|~" + string.ascii_letters + string.digits
            pchar = string.ascii_lowercase + string.digits + "-_~/"
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                for _ in range(count):
                    method = "!" + "".join(rng.choice(tchar) for _ in range(rng.randint(1, 15)))
                    connection.request(method, "/status/200")
                    connection.getresponse().read()
                    path = "/p" + "".join(rng.choice(pchar) for _ in range(rng.randint(1, 40)))
                    connection.request("GET", path)
                    connection.getresponse().read()
            finally:
                connection.close()

        scrape()  # its own series, then
        hostile(20, 1)  # every kind the run below may add, once
        before = scrape()
        hostile(1000, 2)
        after = scrape()
        self.assertIn('httpkit_route_requests_total{route="/status/{code}",method="GET",status_class="2xx"} 1\n', after)
        self.assertIn('httpkit_route_requests_total{route="/status/{code}",method="GET",status_class="4xx"} 1\n', after)
        self.assertIn('httpkit_route_requests_total{route="/status/{code}",method="other",status_class="2xx"} 1020\n', after)
        self.assertIn('httpkit_route_requests_total{route="/{path...}",method="GET",status_class="2xx"} 1021\n', after)
        self.assertIn('httpkit_route_request_duration_seconds_count{route="/metrics"} 2\n', after)
        self.assertEqual(route_series(after), route_series(before))
        self.assertNotRegex(after, r'method="!')
        checked = subprocess.run(["promtool", "check", "metrics"], input=after, capture_output=True, text=True, timeout=60)
        self.assertEqual(checked.returncode, 0, checked.stdout + checked.stderr + after)
        self.stop(echo)

    def test_hot_upgrade_under_load(self):
        # SIGUSR2 starts the binary again on the same listening sockets; once the new process
        # serves, the old one closes gracefully. Under wrk's load, no connection may be refused
        # or reset, and every response must be whole.
        port = free_port()
        out_file = tempfile.TemporaryFile("w+")
        err_file = tempfile.TemporaryFile("w+")
        self.addCleanup(out_file.close)
        self.addCleanup(err_file.close)
        # Files, not pipes: the successor inherits them and outlives the old process.
        old = subprocess.Popen([ECHO, str(port), "--threads", "2"], stdout=out_file, stderr=err_file, text=True)
        self.addCleanup(lambda: old.poll() is None and old.kill())
        url = f"http://127.0.0.1:{port}"
        wait_for_port(port)
        wrk = subprocess.Popen(["wrk", "-t1", "-c32", "-d4s", url + "/plaintext"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
        time.sleep(1.5)
        old.send_signal(signal.SIGUSR2)
        self.assertEqual(old.wait(timeout=20), 0)
        err_file.seek(0)
        err = err_file.read()
        match = re.search(r"the successor \(pid (\d+)\) serves; closing", err)
        self.assertIsNotNone(match, err)
        successor = int(match.group(1))
        self.addCleanup(lambda: os.path.exists(f"/proc/{successor}") and os.kill(successor, signal.SIGKILL))
        report = wrk.communicate(timeout=30)[0]
        self.assertEqual(wrk.returncode, 0, report)
        self.assertNotIn("Socket errors", report)
        self.assertNotIn("Non-2xx", report)
        requests = int(re.search(r"(\d+) requests in", report).group(1))
        self.assertGreater(requests, 1000, report)
        # The successor serves alone now.
        self.assertEqual(self.curl(url + "/plaintext"), "Hello, World!")
        out_file.seek(0)
        out = out_file.read()
        self.assertIn("httpkit-echo stopped", out)
        self.assertIn("listening on the sockets systemd passed", out)  # the successor's line
        os.kill(successor, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while os.path.exists(f"/proc/{successor}") and time.monotonic() < deadline:
            time.sleep(0.05)

    def test_a_hot_upgrade_that_fails_leaves_the_old_process_serving(self):
        with tempfile.TemporaryDirectory() as d:
            # A copy of the binary, replaced by one that cannot start before SIGUSR2.
            binary = os.path.join(d, "httpkit-echo")
            shutil.copy(ECHO, binary)
            port = free_port()
            old = self.start(command=[binary, str(port)])
            self.assertIn("listening on", old.stdout.readline())
            os.remove(binary)
            with open(binary, "w") as script:
                script.write("#!/bin/sh\nexit 3\n")
            os.chmod(binary, 0o755)
            old.send_signal(signal.SIGUSR2)
            line = old.stderr.readline()
            self.assertIn("exited with status 3 before it was ready; still serving", line)
            self.assertEqual(self.curl(f"http://127.0.0.1:{port}/plaintext"), "Hello, World!")
            self.stop(old)


@unittest.skipUnless(FILES, "HTTPKIT_FILES names the program")
class FilesTest(unittest.TestCase):
    """httpkit-files serving a directory, as python3 -m http.server would."""

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        root = self.dir.name
        with open(os.path.join(root, "index.html"), "w") as f:
            f.write("<h1>home</h1>")
        os.mkdir(os.path.join(root, "docs"))
        with open(os.path.join(root, "docs", "notes.txt"), "w") as f:
            f.write("0123456789")
        with open(os.path.join(root, "app.js"), "w") as f:
            f.write("console.log('x');\n" * 200)
        self.port = free_port()
        self.server = subprocess.Popen([FILES, root, str(self.port), "--list", "--compress"],
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.server.stderr.readline()
        self.assertIn("serving", line)

    def tearDown(self):
        self.server.send_signal(signal.SIGTERM)
        self.server.communicate(timeout=10)
        self.assertEqual(self.server.returncode, 0)
        self.dir.cleanup()

    def request(self, method: str, path: str, headers: dict | None = None):
        import http.client
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        body = response.read()
        connection.close()
        return response, body

    def test_files_ranges_listing_and_the_log(self):
        response, body = self.request("GET", "/")
        self.assertEqual((response.status, body), (200, b"<h1>home</h1>"))
        response, body = self.request("GET", "/docs/notes.txt", {"Range": "bytes=2-4"})
        self.assertEqual((response.status, body, response.getheader("Content-Range")), (206, b"234", "bytes 2-4/10"))
        response, body = self.request("GET", "/docs/")
        self.assertEqual(response.status, 200)
        self.assertIn(b'<a href="notes.txt">notes.txt</a>', body)
        response, _ = self.request("GET", "/app.js", {"Accept-Encoding": "gzip"})
        self.assertEqual(response.getheader("Content-Encoding"), "gzip")
        response, _ = self.request("GET", "/../etc/passwd")
        self.assertEqual(response.status, 400)
        self.server.send_signal(signal.SIGTERM)
        out, _ = self.server.communicate(timeout=10)
        lines = out.splitlines()
        self.assertEqual(len(lines), 5)
        self.assertRegex(lines[1], r'^127\.0\.0\.1 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000\] '
                                   r'"GET /docs/notes\.txt HTTP/1\.1" 206 3 "-" "-"$')
        self.assertIn('"GET /../etc/passwd HTTP/1.1" 400', lines[4])


if __name__ == "__main__":
    unittest.main()


@unittest.skipUnless(ECHO and FILES, "HTTPKIT_ECHO and HTTPKIT_FILES name the programs")
class TlsTest(unittest.TestCase):
    """httpkit-echo and httpkit-files over HTTPS, as Python's ssl module and curl reach them, and
    SIGHUP reloading the certificate."""

    @classmethod
    def setUpClass(cls):
        cls.certs = tempfile.TemporaryDirectory()
        make_certs = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "client", "make-certs.sh")
        subprocess.run(["sh", make_certs, cls.certs.name], check=True)

    @classmethod
    def tearDownClass(cls):
        cls.certs.cleanup()

    def cert(self, name: str) -> str:
        return os.path.join(self.certs.name, name)

    def start(self, program: str, *args: str) -> tuple[subprocess.Popen, int]:
        port = free_port()
        positional = [tempfile.gettempdir(), str(port)] if program == FILES else [str(port)]
        process = subprocess.Popen([program, *positional, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)
        self.addCleanup(lambda: process.poll() is None and process.kill())
        line = (process.stderr if program == FILES else process.stdout).readline()
        self.assertIn(f"https://127.0.0.1:{port}/", line)
        return process, port

    def https(self, port: int, path: str, host: str = "localhost"):
        """GET path from 127.0.0.1:port over TLS, naming `host` (SNI, verification, Host)."""
        import http.client
        import ssl
        context = ssl.create_default_context(cafile=self.cert("ca.pem"))
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, \
                context.wrap_socket(raw, server_hostname=host) as tls:
            tls.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
            response = http.client.HTTPResponse(tls)
            response.begin()
            body = response.read()
            peer = dict(item[0] for item in tls.getpeercert()["subject"])["commonName"]
            return response.status, body, peer, tls.version()

    def test_echo_over_https_and_sighup_reloads(self):
        with tempfile.TemporaryDirectory() as d:
            cert, key = os.path.join(d, "server.pem"), os.path.join(d, "server.key")
            for source, target in (("localhost.pem", cert), ("localhost.key", key)):
                with open(self.cert(source)) as f, open(target, "w") as out:
                    out.write(f.read())
            echo, port = self.start(ECHO, "--tls-cert", cert, "--tls-key", key)
            status, body, peer, version = self.https(port, "/hello?x=1")
            self.assertEqual((status, peer, version), (200, "localhost", "TLSv1.3"))
            self.assertEqual((json.loads(body)["scheme"], json.loads(body)["path"]), ("https", "/hello"))

            # A renewed certificate in the same files, and SIGHUP: new connections get it.
            for source, target in (("other.pem", cert), ("other.key", key)):
                with open(self.cert(source)) as f, open(target, "w") as out:
                    out.write(f.read())
            echo.send_signal(signal.SIGHUP)
            self.assertIn("reloaded", echo.stderr.readline())
            self.assertEqual(self.https(port, "/", host="other.test")[2], "other")

            # A broken key: said on stderr, and the last good certificate stays.
            with open(key, "w") as out:
                out.write("broken\n")
            echo.send_signal(signal.SIGHUP)
            self.assertIn(f"'{key}'", echo.stderr.readline())
            status, _, peer, _ = self.https(port, "/", host="other.test")
            self.assertEqual((status, peer), (200, "other"))

            plain = subprocess.run(["curl", "-s", f"http://127.0.0.1:{port}/"], capture_output=True, text=True)
            self.assertIn("a plain HTTP request was sent to an HTTPS port", plain.stdout)
            echo.send_signal(signal.SIGTERM)
            out, _ = echo.communicate(timeout=10)
            self.assertEqual(echo.returncode, 0)
            self.assertIn("httpkit-echo stopped", out)

    def test_startup_errors_name_the_file(self):
        result = subprocess.run([ECHO, str(free_port()), "--tls-cert", "/nonexistent.pem", "--tls-key",
                                 self.cert("localhost.key")], capture_output=True, text=True, timeout=10)
        self.assertEqual(result.returncode, 1)
        self.assertIn("'/nonexistent.pem' cannot be read", result.stderr)
        result = subprocess.run([FILES, ".", str(free_port()), "--tls-cert", self.cert("localhost.pem"), "--tls-key",
                                 self.cert("other.key")], capture_output=True, text=True, timeout=10)
        self.assertEqual(result.returncode, 1)
        self.assertIn("does not match the certificate", result.stderr)

    def test_files_over_https(self):
        with tempfile.NamedTemporaryFile(dir=tempfile.gettempdir(), suffix=".bin") as f:
            data = os.urandom(1 << 20)
            f.write(data)
            f.flush()
            files, port = self.start(FILES, "--quiet", "--tls-cert", self.cert("localhost.pem"), "--tls-key",
                                     self.cert("localhost.key"))
            name = os.path.basename(f.name)
            status, body, _, _ = self.https(port, "/" + name)
            self.assertEqual((status, hashlib.sha256(body).hexdigest()), (200, hashlib.sha256(data).hexdigest()))
            out = subprocess.run(["curl", "-s", "--cacert", self.cert("ca.pem"), "-r", "10-19",
                                  f"https://localhost:{port}/{name}"], capture_output=True, timeout=10).stdout
            self.assertEqual(out, data[10:20])
            # SIGHUP reloads the certificate (server.stop_on_signals()), said on stderr.
            files.send_signal(signal.SIGHUP)
            self.assertEqual(files.stderr.readline(), "httpkit-files: TLS certificate and key reloaded\n")
            self.assertEqual(self.https(port, "/" + name)[0], 200)
            files.send_signal(signal.SIGTERM)
            files.communicate(timeout=10)
            self.assertEqual(files.returncode, 0)


@unittest.skipUnless(STATUS, "HTTPKIT_STATUS names httpkit-status")
class StatusRegistriesTest(unittest.TestCase):
    """httpkit-status looks up every registry the library speaks."""

    def status(self, *args: str, code: int = 0) -> str:
        result = subprocess.run([STATUS, *args], capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, code, result.stderr)
        return result.stdout if code == 0 else result.stderr

    def test_field(self):
        out = self.status("--field", "content-type")
        self.assertTrue(out.startswith("Content-Type\n"), out)
        self.assertIn("  enum         http::Field::CONTENT_TYPE\n", out)
        self.assertIn("  status       permanent\n", out)
        self.assertIn("  reference    RFC 9110, Section 8.3: HTTP Semantics\n", out)
        self.assertEqual(self.status("--field", "CONTENT_TYPE"), out)  # '_' for '-', any case
        entry = json.loads(self.status("--json", "--field", "accept-query"))
        self.assertEqual((entry["name"], entry["structured_type"]), ("Accept-Query", "List"))
        self.assertIn("unknown field name 'X-No-Such-Field'", self.status("--field", "X-No-Such-Field", code=1))

    def test_method(self):
        out = self.status("--method", "QUERY")
        self.assertIn("  enum         http::Method::QUERY\n", out)
        self.assertIn("  safe         yes\n", out)
        self.assertIn("  idempotent   yes (a client may repeat it)\n", out)
        self.assertIn("RFC 10008, Section 2", out)
        self.assertEqual(json.loads(self.status("--json", "--method", "POST"))["idempotent"], False)
        self.assertIn("methods are case-sensitive (RFC 9110, Section 9.1); the registry has GET",
                      self.status("--method", "get", code=1))

    def test_close_code(self):
        out = self.status("--close-code", "1009")
        self.assertTrue(out.startswith("1009 Message Too Big\n"), out)
        self.assertIn("  enum         http::CloseCode::MESSAGE_TOO_BIG\n", out)
        self.assertIn("  rule         may be sent and received\n", out)
        self.assertEqual(self.status("--close-code", "message too big"), out)
        self.assertIn("never in a Close frame", self.status("--close-code", "1005"))
        self.assertIn("may be received; an endpoint does not send it", self.status("--close-code", "3001"))
        private = json.loads(self.status("--json", "--close-code", "4001"))
        self.assertEqual((private["may_send"], private["may_receive"]), (True, True))
        self.assertIn("unknown close code 2000", self.status("--close-code", "2000", code=1))

    def test_http2_error_code(self):
        out = self.status("--h2-error", "0x7")
        self.assertTrue(out.startswith("0x07 REFUSED_STREAM\n"), out)
        self.assertIn("  description  Stream not processed\n", out)
        self.assertEqual(self.status("--h2-error", "refused-stream"), out)
        self.assertEqual(self.status("--h2-error", "7"), out)
        self.assertIn("unknown HTTP/2 error code 0x1f", self.status("--h2-error", "0x1f", code=1))

    def test_whole_registries(self):
        self.assertEqual(len(self.status("--fields").splitlines()), 257)
        self.assertEqual(len(json.loads(self.status("--json", "--methods"))), 40)
        self.assertIn("1015  TLS_HANDSHAKE", self.status("--close-codes"))
        self.assertEqual(len(self.status("--h2-errors").splitlines()), 14)

    def test_statuses_and_registries_together(self):
        out = self.status("404", "--method", "GET", "--field", "allow")
        self.assertEqual([block.split("\n")[0] for block in out.split("\n\n")], ["404 Not Found", "GET", "Allow"])
        self.assertIn("--field NAME        a field name of the HTTP Field Name Registry", self.status("--help"))
        self.assertIn("--field needs a value", self.status("--field", code=2))

    def test_an_expired_registration(self):
        self.assertIn("registration IANA, expired (temporary registration 2024-11-13, extended 2025-09-15, "
                      "expired 2026-11-13", self.status("104"))
