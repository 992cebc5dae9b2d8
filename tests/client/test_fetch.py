"""httpkit-fetch's output: -o replaces a file only once the body is whole and never removes what
it did not write (an existing file, a FIFO, a device); "-" and no -o print the body decoded as it
arrives; a decompression bomb is refused by its ratio. Its HTTP/2 flags against Node's http2
server: h2 by ALPN, h2c by prior knowledge, --http1.1."""

import gzip
import http.server
import json
import os
import shutil
import socketserver
import stat
import subprocess
import tempfile
import threading
import unittest

FETCH = os.environ.get("HTTPKIT_FETCH")
TEXT = b"".join(b"line %d of a text that compresses well\n" % i for i in range(20000))
BOMB = gzip.compress(b"\0" * (64 << 20), compresslevel=9)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, body, coding=None):
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Type", "application/octet-stream")
        if coding:
            self.send_header("Content-Encoding", coding)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/whole":
            self.send(b"new content\n")
        elif self.path == "/text":
            self.send(TEXT)
        elif self.path == "/gzip":
            self.send(gzip.compress(TEXT), "gzip")
        elif self.path == "/bomb":
            self.send(BOMB, "gzip")
        elif self.path == "/broken":
            # The head promises 1000 bytes; ten come, then the connection ends.
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"ten bytes\n")
            self.close_connection = True
        else:
            self.send_error(404)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


@unittest.skipUnless(FETCH, "HTTPKIT_FETCH names the program")
class FetchOutputTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Without the program every case would fail, and the FIFO case would wait on its reader.
        if not os.access(FETCH, os.X_OK):
            raise RuntimeError("HTTPKIT_FETCH=%s is not a program that can be run" % FETCH)
        cls.server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()
        cls.base = "http://127.0.0.1:%d" % cls.server.server_address[1]

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.server.server_close()

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def fetch(self, *args):
        return subprocess.run([FETCH, "-s", *args], capture_output=True, timeout=60)

    def path(self, name):
        return os.path.join(self.dir.name, name)

    def test_a_failed_download_leaves_the_file_as_it_was(self):
        target = self.path("precious.txt")
        with open(target, "wb") as f:
            f.write(b"what the user had\n")
        result = self.fetch("-o", target, self.base + "/broken")
        self.assertEqual(result.returncode, 1)
        self.assertIn(b"closed before the response was complete", result.stderr)
        with open(target, "rb") as f:
            self.assertEqual(f.read(), b"what the user had\n")
        self.assertEqual(os.listdir(self.dir.name), ["precious.txt"])  # no temporary left
        # A whole body replaces it.
        self.assertEqual(self.fetch("-o", target, self.base + "/whole").returncode, 0)
        with open(target, "rb") as f:
            self.assertEqual(f.read(), b"new content\n")
        self.assertEqual(os.listdir(self.dir.name), ["precious.txt"])

    def test_a_fifo_is_written_in_place_and_kept(self):
        fifo = self.path("pipe")
        os.mkfifo(fifo)
        for path, expected_code, expected in (("/whole", 0, b"new content\n"), ("/broken", 1, b"ten bytes\n")):
            got = []
            reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()))
            reader.start()
            result = self.fetch("-o", fifo, self.base + path)
            reader.join(30)
            self.assertEqual(result.returncode, expected_code, result.stderr)
            self.assertEqual(got, [expected])
            self.assertTrue(stat.S_ISFIFO(os.lstat(fifo).st_mode))

    def test_a_device_is_written_in_place_and_kept(self):
        # A null device of our own: never the system's /dev/null, which a broken fetch would remove.
        device = self.path("null")
        try:
            os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        except PermissionError:
            self.skipTest("cannot make a device node here (not root?)")
        self.assertEqual(self.fetch("-o", device, self.base + "/broken").returncode, 1)
        self.assertTrue(stat.S_ISCHR(os.lstat(device).st_mode))
        self.assertEqual(self.fetch("-o", device, self.base + "/whole").returncode, 0)
        self.assertTrue(stat.S_ISCHR(os.lstat(device).st_mode))

    def test_standard_output_gets_the_body_decoded(self):
        for args in ((), ("-o", "-")):
            result = self.fetch(*args, self.base + "/gzip")
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(result.stdout, TEXT)
        # What arrived before a failure went out; the failure is said.
        result = self.fetch(self.base + "/broken")
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stdout, b"ten bytes\n")
        summary = json.loads(self.fetch("--json", self.base + "/gzip").stdout)
        self.assertEqual(summary["body_size"], len(TEXT))  # decoded, as printed
        self.assertEqual(summary["headers"]["Content-Encoding"], "gzip")

    def test_a_decompression_bomb_is_refused(self):
        for args in ((), ("--json",)):
            result = self.fetch(*args, self.base + "/bomb")
            self.assertEqual(result.returncode, 1)
            self.assertIn(b"a decompression bomb? (client.max_decoding_ratio)", result.stderr)
            self.assertLessEqual(len(result.stdout), 1 << 20)
        # Asked for, it is decoded as it arrives: 64 MiB counted, never held.
        result = self.fetch("--json", "--max-decoding-ratio", "0", self.base + "/bomb")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(json.loads(result.stdout)["body_size"], 64 << 20)
        # To a file it is stored as it came: 64 KiB.
        target = self.path("bomb.gz")
        self.assertEqual(self.fetch("-o", target, self.base + "/bomb").returncode, 0)
        self.assertEqual(os.path.getsize(target), len(BOMB))
        self.assertEqual(self.fetch("--max-decoding-ratio", "x", self.base + "/bomb").returncode, 2)


# Node's http2 module: an h2c server and a TLS one (ALPN h2 and http/1.1) answering with what they
# were asked over which protocol; the ports on standard output.
NODE_SERVERS = r"""
const http2 = require("http2");
const fs = require("fs");
const [certificate, key] = process.argv.slice(1);
const answer = (req, res) => {
  let body = "";
  req.on("data", (piece) => { body += piece; });
  req.on("end", () => {
    res.setHeader("content-type", "text/plain");
    res.end(`${req.method} ${req.url} ${req.httpVersion} ${body}`);
  });
};
const clear = http2.createServer(answer);
const secure = http2.createSecureServer({ cert: fs.readFileSync(certificate), key: fs.readFileSync(key),
                                          allowHTTP1: true }, answer);
clear.listen(0, "127.0.0.1", () => secure.listen(0, "127.0.0.1", () => {
  console.log(JSON.stringify({ clear: clear.address().port, secure: secure.address().port }));
}));
"""


@unittest.skipUnless(FETCH and shutil.which("node"), "HTTPKIT_FETCH names the program; node is Node.js")
class FetchHttp2Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        certificate, key = os.path.join(cls.dir.name, "cert.pem"), os.path.join(cls.dir.name, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out",
                        certificate, "-days", "2", "-subj", "/CN=localhost"], check=True, capture_output=True)
        cls.node = subprocess.Popen(["node", "-e", NODE_SERVERS, certificate, key], stdout=subprocess.PIPE, text=True)
        ports = json.loads(cls.node.stdout.readline())
        cls.clear = "http://127.0.0.1:%d" % ports["clear"]
        cls.secure = "https://localhost:%d" % ports["secure"]

    @classmethod
    def tearDownClass(cls):
        cls.node.kill()
        cls.node.wait()
        cls.dir.cleanup()

    def fetch(self, *args):
        """The JSON summary and the body of one request."""
        summary = subprocess.run([FETCH, "-s", "--json", *args], capture_output=True, timeout=60)
        self.assertEqual(summary.returncode, 0, summary.stderr)
        body = subprocess.run([FETCH, "-s", *args], capture_output=True, timeout=60)
        self.assertEqual(body.returncode, 0, body.stderr)
        return json.loads(summary.stdout), body.stdout.decode()

    def test_h2_by_alpn_h2c_by_prior_knowledge_and_http1(self):
        for args, url, version, node_version in (
                (("--insecure",), self.secure + "/a?b=1", "2", "2.0"),
                (("--insecure", "--http2"), self.secure + "/a?b=1", "2", "2.0"),
                (("--insecure", "--http1.1"), self.secure + "/a?b=1", "1.1", "1.1"),
                (("--http2-prior-knowledge",), self.clear + "/a?b=1", "2", "2.0")):
            with self.subTest(args=args, url=url):
                summary, body = self.fetch(*args, url)
                self.assertEqual(summary["status"], 200)
                self.assertEqual(summary["version"], version)
                self.assertEqual(body, "GET /a?b=1 %s " % node_version)
        summary, body = self.fetch("--http2-prior-knowledge", "-d", "x=1", self.clear + "/post")
        self.assertEqual((summary["version"], body), ("2", "POST /post 2.0 x=1"))
        # Without prior knowledge an http:// URL goes over HTTP/1.1, which an h2c-only server
        # does not speak: a clear failure, not a hang.
        result = subprocess.run([FETCH, "-s", "--timeout", "5000", self.clear + "/a"], capture_output=True, timeout=60)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn(b"httpkit-fetch:", result.stderr)


if __name__ == "__main__":
    unittest.main()
