"""httpkit-echo over HTTP/2: real clients (curl, nghttp, Node's http2 module) and the known HTTP/2
attacks, written as raw frames with the standard library. Each attack must end its connection
(GOAWAY ENHANCE_YOUR_CALM, or a refusal) while the server goes on serving others with bounded
memory."""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
import subprocess
import time
import unittest

ECHO = os.environ.get("HTTPKIT_ECHO")

DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = 0, 1, 2, 3, 4, 6, 7, 8, 9
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1
ENHANCE_YOUR_CALM = 0xB
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def frame(kind: int, flags: int, stream: int, payload: bytes = b"") -> bytes:
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def hpack_int(value: int, prefix_bits: int, first: int) -> bytes:
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first | value])
    out = bytearray([first | limit])
    value -= limit
    while value >= 128:
        out.append(value % 128 + 128)
        value //= 128
    out.append(value)
    return bytes(out)


def literal(name: bytes, value: bytes, indexed: bool = False) -> bytes:
    """A literal field with a literal name, not Huffman-coded; `indexed` adds it to the table."""
    return (b"\x40" if indexed else b"\x00") + hpack_int(len(name), 7, 0) + name + hpack_int(len(value), 7, 0) + value


def request_block(path: bytes = b"/plaintext", method: bytes = b"GET") -> bytes:
    # :method GET (static index 2) or a literal; :scheme http (6); :path; :authority.
    head = b"\x82" if method == b"GET" else literal(b":method", method)
    return head + b"\x86" + literal(b":path", path) + literal(b":authority", b"localhost")


class H2:
    """A raw HTTP/2 connection: the preface and an empty SETTINGS are sent on connecting."""

    def __init__(self, port: int, settings: bytes = b""):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.sendall(PREFACE + frame(SETTINGS, 0, 0, settings))
        self.buffer = b""

    def send(self, data: bytes) -> bool:
        try:
            self.sock.sendall(data)
            return True
        except OSError:
            return False  # the server has closed: what it sent is still read

    def frames(self, until=None, timeout: float = 10):
        """Reads frames until the server closes, `until(kind, flags, stream, payload)` is true,
        or `timeout` passes; returns them."""
        seen = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            while len(self.buffer) >= 9:
                length = int.from_bytes(self.buffer[:3], "big")
                if len(self.buffer) < 9 + length:
                    break
                kind, flags = self.buffer[3], self.buffer[4]
                stream = int.from_bytes(self.buffer[5:9], "big") & 0x7FFFFFFF
                payload = self.buffer[9:9 + length]
                self.buffer = self.buffer[9 + length:]
                seen.append((kind, flags, stream, payload))
                if until and until(kind, flags, stream, payload):
                    return seen
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                break
            except OSError:  # reset
                break
            if not chunk:
                break
            self.buffer += chunk
        return seen

    def close(self):
        self.sock.close()


def goaway_code(frames) -> int | None:
    for kind, _, _, payload in frames:
        if kind == GOAWAY:
            return int.from_bytes(payload[4:8], "big")
    return None


def cpu_ms(pid: int) -> float:
    """The user and system CPU time a process has used, in milliseconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


@unittest.skipUnless(ECHO, "HTTPKIT_ECHO names the program")
class Http2Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.port = free_port()
        cls.echo = subprocess.Popen([ECHO, str(cls.port), "--threads", "1"], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
        line = cls.echo.stdout.readline()
        assert "listening" in line, line

    @classmethod
    def tearDownClass(cls):
        cls.echo.send_signal(signal.SIGTERM)
        _, err = cls.echo.communicate(timeout=10)
        assert cls.echo.returncode == 0, err

    def serves_others(self):
        """A fresh connection gets its answer: the attack took nothing from other clients."""
        h2 = H2(self.port)
        h2.send(frame(HEADERS, END_STREAM | END_HEADERS, 1, request_block()))
        frames = h2.frames(until=lambda kind, flags, stream, _: kind == DATA and stream == 1 and flags & END_STREAM)
        h2.close()
        self.assertIn((DATA, END_STREAM, 1, b"Hello, World!"), frames)

    def attack(self, name: str, payload: bytes, settings: bytes = b"", expect_calm: bool = True):
        before = rss_kib(self.echo.pid)
        cpu_before = cpu_ms(self.echo.pid)
        h2 = H2(self.port, settings)
        started = time.monotonic()
        h2.send(payload)
        frames = h2.frames()
        seconds = time.monotonic() - started
        h2.close()
        code = goaway_code(frames)
        answered = sum(1 for kind, _, _, _ in frames if kind == HEADERS)
        print(f"\n{name}: {len(payload)} bytes sent; GOAWAY {code}; {answered} responses; "
              f"closed after {seconds * 1000:.0f} ms; server CPU {cpu_ms(self.echo.pid) - cpu_before:.0f} ms; "
              f"RSS {before} -> {rss_kib(self.echo.pid)} KiB", end=" ")
        if expect_calm:
            self.assertEqual(code, ENHANCE_YOUR_CALM, frames[-5:])
        self.serves_others()
        self.assertLess(rss_kib(self.echo.pid) - before, 64 * 1024)
        return frames

    def test_rapid_reset(self):
        # CVE-2023-44487: streams opened and reset at once, thousands of them.
        payload = b"".join(frame(HEADERS, END_STREAM | END_HEADERS, n, request_block()) +
                           frame(RST_STREAM, 0, n, struct.pack(">I", 8)) for n in range(1, 20001, 2))
        frames = self.attack("rapid reset (10,000 streams)", payload)
        self.assertLess(sum(1 for kind, _, _, _ in frames if kind == HEADERS), 1000)

    def test_continuation_flood(self):
        # CVE-2024-27316: a header block that never ends, across CONTINUATION frames.
        block = request_block()
        filler = literal(b"x-filler", b"a" * 4000)
        payload = frame(HEADERS, 0, 1, block) + b"".join(frame(CONTINUATION, 0, 1, filler) for _ in range(2000))
        frames = self.attack("CONTINUATION flood (2,000 frames of 4 KB)", payload, expect_calm=False)
        self.assertIsNotNone(goaway_code(frames), "the connection ended without GOAWAY")
        self.assertNotEqual(goaway_code(frames), 0)

    def test_settings_flood(self):
        self.attack("SETTINGS flood (5,000 frames)", frame(SETTINGS, 0, 0) * 5000)

    def test_ping_flood(self):
        self.attack("PING flood (5,000 frames)", frame(PING, 0, 0, b"12345678") * 5000)

    def test_priority_flood(self):
        self.attack("PRIORITY flood (5,000 frames)",
                    b"".join(frame(PRIORITY, 0, n, struct.pack(">IB", 0, 15)) for n in range(1, 10001, 2)))

    def test_empty_data_flood(self):
        payload = frame(HEADERS, END_HEADERS, 1, request_block(b"/upload-stream", b"POST")) + frame(DATA, 0, 1) * 5000
        self.attack("empty DATA flood (5,000 frames)", payload)

    def test_hpack_bomb(self):
        # One 4,000-byte field into the dynamic table, then referenced 3,000 times in a block:
        # 12 KB that decodes to 12 MB.
        block = request_block() + literal(b"x-bomb", b"b" * 4000, indexed=True) + b"\xbe" * 3000
        self.attack("HPACK bomb (12 KB decoding to 12 MB)", frame(HEADERS, END_STREAM | END_HEADERS, 1, block))

    def test_stream_count_is_bounded(self):
        # 150 requests left open (no END_STREAM): past 100 the server refuses them.
        h2 = H2(self.port)
        h2.send(b"".join(frame(HEADERS, END_HEADERS, n, request_block(b"/upload-stream", b"POST"))
                         for n in range(1, 301, 2)))
        frames = h2.frames(timeout=1)
        h2.close()
        refused = [stream for kind, _, stream, _ in frames if kind == RST_STREAM]
        code = goaway_code(frames)
        self.assertTrue(len(refused) >= 50 or code not in (None, 0), frames[-3:])
        self.serves_others()

    def test_a_large_header_gets_431_on_its_stream(self):
        h2 = H2(self.port)
        # 18 KB of fields, past the 16 KiB default, in a HEADERS and a CONTINUATION frame.
        h2.send(frame(HEADERS, END_STREAM, 1, request_block() + literal(b"x-big", b"y" * 10000)) +
                frame(CONTINUATION, END_HEADERS, 1, literal(b"x-big2", b"y" * 8000)))
        h2.send(frame(HEADERS, END_STREAM | END_HEADERS, 3, request_block()))
        frames = h2.frames(until=lambda kind, flags, stream, _: kind == DATA and stream == 3 and flags & END_STREAM)
        h2.close()
        bodies = {stream: payload for kind, _, stream, payload in frames if kind == DATA}
        self.assertIn(1, bodies)
        self.assertIn(b'"status":431', bodies[1])  # the problem+json body (the :status is Huffman-coded)
        self.assertIn((DATA, END_STREAM, 3, b"Hello, World!"), frames)

    def test_curl_nghttp_and_node(self):
        base = f"http://127.0.0.1:{self.port}"
        out = subprocess.run(["curl", "-sS", "--http2-prior-knowledge", base + "/who?x=1"], capture_output=True,
                             text=True, timeout=10, check=True).stdout
        echoed = json.loads(out)
        self.assertEqual((echoed["http_version"], echoed["path"], echoed["queries"]), ("2", "/who", {"x": "1"}))
        urls = [f"{base}/plaintext", f"{base}/json", f"{base}/status/404", f"{base}/stream?bytes=100000"]
        result = subprocess.run(["nghttp", "-ns", *urls], capture_output=True, text=True, timeout=10)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.count("/plaintext"), 1, result.stdout)
        script = """
const http2 = require('http2');
const session = http2.connect(process.argv[1]);
let left = 200, bytes = 0, statuses = {};
for (let i = 0; i < 200; i++) {
  const path = i % 2 ? '/plaintext' : '/stream?bytes=20000';
  const req = session.request({':path': path});
  req.on('response', h => { statuses[h[':status']] = (statuses[h[':status']] || 0) + 1; });
  req.on('data', d => { bytes += d.length; });
  req.on('end', () => { if (--left === 0) { console.log(JSON.stringify({statuses, bytes})); session.close(); } });
  req.end();
}
"""
        node = subprocess.run(["node", "-e", script, base], capture_output=True, text=True, timeout=30)
        self.assertEqual(node.returncode, 0, node.stderr)
        self.assertEqual(json.loads(node.stdout), {"statuses": {"200": 200}, "bytes": 100 * 13 + 100 * 20000})
