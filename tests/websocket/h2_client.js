// WebSocket over HTTP/2 (RFC 8441) with Node's own http2 client: node h2_client.js URL PATH.
// Waits for the server's SETTINGS_ENABLE_CONNECT_PROTOCOL, opens the stream with an extended
// CONNECT, sends a masked text frame and a close frame in its DATA, reads the frames back
// (unmasked, as a server sends them), and prints what it saw as JSON.
"use strict";
const http2 = require("http2");
const crypto = require("crypto");

const [url, path] = process.argv.slice(2);

function clientFrame(opcode, payload) {
  const mask = crypto.randomBytes(4);
  const data = Buffer.from(payload);
  const masked = Buffer.alloc(data.length);
  for (let i = 0; i < data.length; ++i) masked[i] = data[i] ^ mask[i % 4];
  return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | data.length]), mask, masked]);
}

function serverFrames(bytes) {
  const frames = [];
  let at = 0;
  while (at + 2 <= bytes.length) {
    const opcode = bytes[at] & 0x0f;
    let length = bytes[at + 1] & 0x7f;
    let start = at + 2;
    if (length === 126) { length = bytes.readUInt16BE(at + 2); start += 2; }
    if (start + length > bytes.length) break;
    frames.push({ opcode, payload: bytes.subarray(start, start + length) });
    at = start + length;
  }
  return frames;
}

const seen = { enabled: false, status: 0, frames: [] };
const client = http2.connect(url);
client.on("error", (error) => { console.log(JSON.stringify({ error: String(error) })); process.exit(1); });
client.on("remoteSettings", (settings) => {
  seen.enabled = settings.enableConnectProtocol === true;
  if (!seen.enabled) { console.log(JSON.stringify(seen)); client.close(); return; }
  const stream = client.request({
    ":method": "CONNECT", ":protocol": "websocket", ":scheme": "http", ":path": path,
    "sec-websocket-version": "13",
  }, { endStream: false });
  let received = Buffer.alloc(0);
  stream.on("response", (headers) => {
    seen.status = headers[":status"];
    stream.write(clientFrame(0x1, "over h2"));
  });
  stream.on("data", (chunk) => {
    received = Buffer.concat([received, chunk]);
    const frames = serverFrames(received);
    if (frames.length === 1 && seen.frames.length === 0) stream.write(clientFrame(0x8, Buffer.from([0x03, 0xe8])));
    seen.frames = frames.map((f) => ({ opcode: f.opcode, text: f.opcode === 8 ? f.payload.readUInt16BE(0) : f.payload.toString() }));
  });
  stream.on("end", () => { stream.end(); });
  stream.on("close", () => { console.log(JSON.stringify(seen)); client.close(); });
});
setTimeout(() => { console.log(JSON.stringify({ error: "no end within 20 s", seen })); process.exit(1); }, 20000).unref();
