"""httpkit's WebSocket against real peers: Python's websockets and wsproto and Node's ws as
clients of httpkit-echo's /ws, with and without permessage-deflate, in the clear and over TLS."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import ssl
import subprocess
import tempfile
import unittest

import websockets
import websockets.exceptions
import wsproto
import wsproto.events as ws_events
from wsproto.extensions import PerMessageDeflate

ECHO = os.environ.get("HTTPKIT_ECHO")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_echo(*args: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen([ECHO, str(port), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    assert line.startswith("httpkit-echo listening on"), line
    return process, port


def stop_echo(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=10)
    assert process.returncode == 0, (process.returncode, err)


@unittest.skipUnless(ECHO, "HTTPKIT_ECHO names httpkit-echo")
class WebsocketsClient(unittest.TestCase):
    """The websockets package (asyncio), as most Python programs speak WebSocket."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.cert, cls.key = os.path.join(cls.tmp.name, "cert.pem"), os.path.join(cls.tmp.name, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", cls.key, "-out", cls.cert,
                        "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
                       check=True, capture_output=True)
        cls.plain, cls.port = start_echo()
        cls.tls, cls.tls_port = start_echo("--tls-cert", cls.cert, "--tls-key", cls.key)

    @classmethod
    def tearDownClass(cls):
        stop_echo(cls.plain)
        stop_echo(cls.tls)
        cls.tmp.cleanup()

    def exchange(self, url: str, **options) -> dict:
        async def run() -> dict:
            out = {}
            async with websockets.connect(url, max_size=1 << 24, **options) as ws:
                out["extensions"] = [type(e).__name__ for e in ws.extensions]
                await ws.send("hello, κόσμε")
                out["text"] = await ws.recv()
                await ws.send(b"\x00\x01\xfe\xff")
                out["binary"] = await ws.recv()
                large = bytes(range(256)) * 4096  # 1 MiB
                await ws.send(large)
                out["large_ok"] = await ws.recv() == large
                text = "the quick brown fox " * 5000
                await ws.send(text)
                out["compressible_ok"] = await ws.recv() == text
                await (await ws.ping(b"are you there"))
                out["pong"] = True
            out["close_code"] = ws.close_code
            return out
        return asyncio.run(asyncio.wait_for(run(), 30))

    def check(self, out: dict, compressed: bool) -> None:
        self.assertEqual(out["text"], "hello, κόσμε")
        self.assertEqual(out["binary"], b"\x00\x01\xfe\xff")
        self.assertTrue(out["large_ok"])
        self.assertTrue(out["compressible_ok"])
        self.assertTrue(out["pong"])
        self.assertEqual(out["close_code"], 1000)
        self.assertEqual(out["extensions"], ["PerMessageDeflate"] if compressed else [])

    def test_with_permessage_deflate(self):
        self.check(self.exchange(f"ws://127.0.0.1:{self.port}/ws"), compressed=True)

    def test_without_compression(self):
        self.check(self.exchange(f"ws://127.0.0.1:{self.port}/ws", compression=None), compressed=False)

    def test_over_tls(self):
        context = ssl.create_default_context(cafile=self.cert)
        self.check(self.exchange(f"wss://localhost:{self.tls_port}/ws", ssl=context), compressed=True)

    def test_broadcast_reaches_every_member_the_sender_too(self):
        async def run() -> list:
            url = f"ws://127.0.0.1:{self.port}/ws/broadcast"
            members = [await websockets.connect(url) for _ in range(3)]
            await members[1].send("to all")
            first = [await m.recv() for m in members]
            await members[0].close()  # a member that leaves gets nothing more, and breaks nothing
            await members[2].send(b"\x00binary")
            second = [await m.recv() for m in members[1:]]
            for m in members[1:]:
                await m.close()
            return [first, second]
        first, second = asyncio.run(asyncio.wait_for(run(), 30))
        self.assertEqual(first, ["to all"] * 3)
        self.assertEqual(second, [b"\x00binary"] * 2)

    def test_a_wrong_path_is_refused(self):
        async def run():
            async with websockets.connect(f"ws://127.0.0.1:{self.port}/not-a-websocket"):
                pass
        with self.assertRaises(websockets.exceptions.InvalidStatusCode) as caught:
            asyncio.run(run())
        self.assertEqual(caught.exception.status_code, 200)  # the echo answers that path as JSON


@unittest.skipUnless(ECHO, "HTTPKIT_ECHO names httpkit-echo")
class WsprotoClient(unittest.TestCase):
    """wsproto, the sans-I/O implementation: every frame it sees is checked by it."""

    def setUp(self):
        self.echo, self.port = start_echo()

    def tearDown(self):
        stop_echo(self.echo)

    def talk(self, extensions: list) -> list:
        connection = wsproto.WSConnection(wsproto.ConnectionType.CLIENT)
        received = []
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            sock.sendall(connection.send(ws_events.Request(host="127.0.0.1", target="/ws", extensions=extensions)))
            messages = ["one", "two " * 1000, b"three"]
            pending = list(messages)
            closed = False
            while not closed:
                data = sock.recv(65536)
                if not data:
                    break
                connection.receive_data(data)
                for event in connection.events():
                    if isinstance(event, ws_events.AcceptConnection):
                        received.append(("accepted", [type(e).__name__ for e in event.extensions]))
                        for message in pending:
                            sock.sendall(connection.send(ws_events.Message(data=message)))
                    elif isinstance(event, (ws_events.TextMessage, ws_events.BytesMessage)):
                        received.append(event.data)
                        if len(received) == len(messages) + 1:
                            sock.sendall(connection.send(ws_events.CloseConnection(code=1000, reason="done")))
                    elif isinstance(event, ws_events.CloseConnection):
                        received.append(("closed", event.code))
                        closed = True
                    elif isinstance(event, ws_events.RejectConnection):
                        received.append(("rejected", event.status_code))
                        closed = True
        return received

    def test_messages_and_the_closing_handshake(self):
        self.assertEqual(self.talk([]), [("accepted", []), "one", "two " * 1000, b"three", ("closed", 1000)])

    def test_with_permessage_deflate(self):
        out = self.talk([PerMessageDeflate()])
        self.assertEqual(out[0], ("accepted", ["PerMessageDeflate"]))
        self.assertEqual(out[1:], ["one", "two " * 1000, b"three", ("closed", 1000)])


@unittest.skipUnless(ECHO, "HTTPKIT_ECHO names httpkit-echo")
class NodeWsClient(unittest.TestCase):
    """Node's ws, the WebSocket of most JavaScript servers and clients (Debian's node-ws)."""

    def setUp(self):
        self.echo, self.port = start_echo()

    def tearDown(self):
        stop_echo(self.echo)

    def run_client(self, *args: str) -> dict:
        env = dict(os.environ, NODE_PATH="/usr/share/nodejs")
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ws_client.js")
        result = subprocess.run(["node", script, f"ws://127.0.0.1:{self.port}/ws", *args],
                                capture_output=True, text=True, timeout=60, env=env)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        return json.loads(result.stdout)

    def test_with_permessage_deflate(self):
        seen = self.run_client()
        self.assertEqual(seen["echoes"], [True, True, True])
        self.assertTrue(seen["pong"])
        self.assertEqual(seen["close"], 1000)
        self.assertIn("permessage-deflate", seen["extensions"])

    def test_without_compression(self):
        seen = self.run_client("--no-deflate")
        self.assertEqual(seen["echoes"], [True, True, True])
        self.assertEqual(seen["close"], 1000)
        self.assertEqual(seen["extensions"], "")


if __name__ == "__main__":
    unittest.main()
