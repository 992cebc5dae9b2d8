#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora (corpus/<target>/) from the conformance cases and from
inputs like those the tests use. Each seed file is named by its content's hash, so running this
again changes nothing unless the sources did.

    python3 tests/fuzz/make_seeds.py
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
CONFORMANCE = HERE.parent / "conformance"
DATA = HERE.parent.parent / "data" / "status-codes.toml"


def raw_cases(name: str) -> list[bytes]:
    cases = json.loads((CONFORMANCE / name).read_text())["cases"]
    return [base64.b64decode(c["raw_b64"]) for c in cases]


def write(target: str, seeds: list[bytes]) -> None:
    folder = HERE / "corpus" / target
    folder.mkdir(parents=True, exist_ok=True)
    wanted = {hashlib.sha1(s).hexdigest()[:16]: s for s in seeds}
    for old in folder.iterdir():
        # Inputs that once found a bug (regression-*) stay for good.
        if old.name not in wanted and not old.name.startswith("regression-"):
            old.unlink()
    for name, seed in wanted.items():
        (folder / name).write_bytes(seed)
    print(f"{target}: {len(wanted)} seeds")


def with_split(seeds: list[bytes]) -> list[bytes]:
    # The targets read a split position from the first byte.
    return [bytes([len(s) // 2 % 256]) + s for s in seeds]


def http2_seeds() -> list[bytes]:
    """Frame sequences a client sends after its preface: requests, bodies, control frames."""
    def frame(kind: int, flags: int, stream: int, payload: bytes = b"") -> bytes:
        return len(payload).to_bytes(3, "big") + bytes([kind, flags]) + stream.to_bytes(4, "big") + payload

    def literal(name: bytes, value: bytes) -> bytes:
        return b"\x00" + bytes([len(name)]) + name + bytes([len(value)]) + value

    get = b"\x82\x86\x84" + literal(b":authority", b"h")
    post = b"\x83\x86" + literal(b":path", b"/up") + literal(b":authority", b"h")
    stream = b"\x82\x86" + literal(b":path", b"/stream") + literal(b":authority", b"h")
    return [
        frame(1, 0x5, 1, get),
        frame(1, 0x4, 1, post) + frame(0, 0, 1, b"abc") + frame(0, 0x1, 1, b"def"),
        frame(1, 0x5, 1, stream) + frame(8, 0, 0, (1 << 20).to_bytes(4, "big")),
        frame(1, 0x1, 1, get[:3]) + frame(9, 0x4, 1, get[3:]),
        frame(1, 0x5, 1, get) + frame(3, 0, 1, (8).to_bytes(4, "big")) + frame(1, 0x5, 3, get),
        frame(4, 0, 0, b"\x00\x04\x00\x00\x00\x00") + frame(1, 0x5, 1, stream) + frame(6, 0, 0, b"12345678"),
        frame(2, 0, 1, b"\x00\x00\x00\x00\x0f") + frame(7, 0, 0, b"\x00" * 8),
        frame(1, 0x5, 1, get + b"\x40" + bytes([6]) + b"x-seed" + bytes([4]) + b"1234" + b"\xbe" * 20),
    ]


def http2_client_seeds() -> list[bytes]:
    """Frame sequences a server sends a client: SETTINGS, responses to streams 1, 3 and 5 (a GET, a
    POST, a HEAD), trailers, an interim 103, a refused stream, GOAWAY, window updates."""
    def frame(kind: int, flags: int, stream: int, payload: bytes = b"") -> bytes:
        return len(payload).to_bytes(3, "big") + bytes([kind, flags]) + stream.to_bytes(4, "big") + payload

    def literal(name: bytes, value: bytes) -> bytes:
        return b"\x00" + bytes([len(name)]) + name + bytes([len(value)]) + value

    settings, ack, ok = frame(4, 0, 0), frame(4, 0x1, 0), b"\x88"  # :status 200, static table
    return [
        settings + ack + frame(1, 0x4, 1, ok + literal(b"content-type", b"text/plain")) + frame(0, 0x1, 1, b"hello")
        + frame(1, 0x5, 3, ok) + frame(1, 0x5, 5, ok + literal(b"content-length", b"5")),
        settings + frame(1, 0x4, 1, ok) + frame(0, 0, 1, b"part") + frame(1, 0x5, 1, literal(b"x-digest", b"abc")),
        settings + frame(1, 0x4, 1, literal(b":status", b"103") + literal(b"link", b"</a>")) + frame(1, 0x5, 1, ok),
        settings + frame(3, 0, 1, (7).to_bytes(4, "big")) + frame(7, 0, 0, (3).to_bytes(4, "big") + bytes(4) + b"bye")
        + frame(1, 0x5, 3, ok),
        settings + frame(8, 0, 0, (100000).to_bytes(4, "big")) + frame(6, 0, 0, b"12345678") + frame(1, 0x4, 1, ok)
        + frame(0, 0, 1, b"x" * 3000) + frame(0, 0x1, 1, b"y" * 3000),
    ]


def websocket_seeds() -> list[bytes]:
    """Frame streams each role reads, after the byte choosing the reader (fuzz_websocket.cpp: bit 0
    the client's role, bit 1 permessage-deflate, bit 2 the peer keeping its context, bits 3-4 the
    limit)."""
    key = bytes([0x37, 0xFA, 0x21, 0x3D])

    def frame(opcode: int, payload: bytes, fin: bool = True, rsv1: bool = False, masked: bool = True) -> bytes:
        head = bytes([(0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode])
        mask_bit = 0x80 if masked else 0
        if len(payload) < 126:
            head += bytes([mask_bit | len(payload)])
        elif len(payload) <= 0xFFFF:
            head += bytes([mask_bit | 126]) + len(payload).to_bytes(2, "big")
        else:
            head += bytes([mask_bit | 127]) + len(payload).to_bytes(8, "big")
        if not masked:
            return head + payload
        return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))

    def deflated(message: bytes, compressor=None) -> bytes:
        compressor = compressor or zlib.compressobj(6, zlib.DEFLATED, -15)
        out = compressor.compress(message) + compressor.flush(zlib.Z_SYNC_FLUSH)
        return out[:-4]  # the empty stored block's 00 00 FF FF, left out (RFC 7692, 7.2.1)

    server, client, deflate, keep = 0, 1, 2, 4
    text = "h\u00e9llo w\u00f6rld \u20ac \U0001F600 ".encode() * 4
    seeds = []
    for role in (server, client):
        masked = role == server
        seeds += [
            bytes([role]) + frame(1, b"Hello", masked=masked) + frame(2, bytes(range(256)), masked=masked),
            bytes([role]) + frame(1, text[:7], fin=False, masked=masked) + frame(9, b"ping", masked=masked)
            + frame(0, text[7:], masked=masked) + frame(10, b"", masked=masked),
            bytes([role]) + frame(2, b"7" * 70000, masked=masked)[:300],  # the 64-bit length, cut short
            bytes([role]) + frame(2, bytes(1000), masked=masked) + frame(8, b"\x03\xe8bye", masked=masked),
            bytes([role | 0x10]) + frame(1, b"x" * 300, masked=masked),
            bytes([role]) + frame(8, b"", masked=masked) + frame(8, b"\x03\xe9\xff", masked=masked),
            bytes([role | deflate]) + frame(1, deflated(text * 10), rsv1=True, masked=masked)
            + frame(2, b"plain", masked=masked),
            bytes([role | deflate]) + frame(2, deflated(bytes(100000))[:20], fin=False, rsv1=True, masked=masked)
            + frame(9, b"", masked=masked) + frame(0, deflated(bytes(100000))[20:], masked=masked),
            bytes([role | deflate | 0x10]) + frame(2, deflated(bytes(5000)), rsv1=True, masked=masked),
        ]
        kept = zlib.compressobj(6, zlib.DEFLATED, -15)
        seeds.append(bytes([role | deflate | keep]) + frame(1, deflated(text, kept), rsv1=True, masked=masked)
                     + frame(1, deflated(text, kept), rsv1=True, masked=masked))
    return seeds


def main() -> None:
    requests = raw_cases("llhttp-requests.json") + raw_cases("picohttpparser-requests.json")
    requests += [
        b"POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n0\r\nT: 1\r\n\r\n",
        b"GET / HTTP/1.1\nHost: h\nX: y\n\n",
        b"PUT /f HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello",
    ]
    write("request", with_split(requests))
    responses = raw_cases("llhttp-responses.json")
    write("response", with_split(responses))

    chunked = []
    for raw in requests + responses:
        head, sep, body = raw.partition(b"\r\n\r\n")
        if sep and b"chunked" in head.lower():
            chunked.append(body)
    chunked += [b"4;a=b\r\nWiki\r\n5 ;q=\"x;y\"\r\npedia\r\n0\r\nT: 1\r\n\r\n", b"0\r\n\r\n"]
    write("chunked", with_split(chunked))

    urls = [b"http://example.com/", b"https://user:p%40ss@Example.COM:8443/a b/?q=1#f", b"http://[::1]:8080/p",
            b"HTTP://h?q", b"http://h:65535/%zz", b"../g", b"//other/x", b"?y", b"g;x=1/../y", b"/./g"]
    write("url", urls)

    cookies = [b"a=1; b=\"q\"; c=x=y", b"sid=abc\0x\0example.com\0/app\0Lax\0Partitioned", b"__Host-a=1\0v\0\0/\0None\0"]
    write("cookies", cookies)

    multipart = [
        b"XyZ\npreamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nHello\r\n--XyZ\r\n"
        b"Content-Disposition: form-data; name=\"f\"; filename=\"d.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        + bytes(range(256)) + b"\r\n--XyZ--\r\n",
        b"b\n--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--b--",
    ]
    write("multipart", with_split(multipart))

    write("http2", http2_seeds())
    write("http2_client", with_split(http2_client_seeds()))

    write("form", [b"a=1&b=x+y&c=%2F%zz&d&e=&%41=%e2%82%ac&a=2", b"name=J%C3%B6rg+M&tags=a%26b"])

    # A byte choosing the coding (gzip, deflate, br, zstd, "deflate, gzip", identity), then the body.
    text = b"".join(b"line %d of a body\n" % i for i in range(200))
    raw = zlib.compressobj(6, zlib.DEFLATED, -15)
    decoding = [b"\0" + gzip.compress(text, mtime=0), b"\0" + gzip.compress(b"a", mtime=0) + gzip.compress(b"b", mtime=0),
                b"\1" + zlib.compress(text), b"\1" + raw.compress(text) + raw.flush(),
                b"\4" + gzip.compress(zlib.compress(text), mtime=0), b"\0" + gzip.compress(bytes(65536), mtime=0),
                b"\5" + text]
    write("decoding", with_split(decoding))

    names = re.findall(r'^(?:name = |aliases = \[)"([A-Z0-9_]+)"', DATA.read_text(), re.M)
    write("websocket", with_split(websocket_seeds()))

    sig = b"\r\n\r\n\x00\r\nQUIT\n"
    ipv4 = bytes([192, 0, 2, 1, 198, 51, 100, 7, 0xdc, 0x04, 0x01, 0xbb])
    tlvs = b"\x01\x00\x02h2" + b"\x02\x00\x0bexample.com" + b"\x20\x00\x05\x01\x00\x00\x00\x00"
    proxy_header = [
        b"PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\nGET / HTTP/1.1\r\n\r\n",
        b"PROXY TCP6 2001:db8::1 ::ffff:192.0.2.9 1 65535\r\n",
        b"PROXY UNKNOWN\r\n",
        sig + b"\x21\x11\x00\x0c" + ipv4 + b"GET",
        sig + b"\x21\x11" + len(ipv4 + tlvs).to_bytes(2, "big") + ipv4 + tlvs,
        sig + b"\x20\x00\x00\x00",
        sig + b"\x21\x21\x00\x24" + bytes(36),
    ]
    write("proxy_header", with_split(proxy_header))

    write("status", [n.encode() for n in names] + [b"\x94\x01\x00\x00", b"\xa4\x01\x00\x00"])


if __name__ == "__main__":
    main()
