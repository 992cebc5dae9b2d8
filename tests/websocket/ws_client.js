// A client of httpkit-echo's /ws written with Node's `ws` package (Debian's node-ws):
// node ws_client.js URL [--no-deflate]. Sends a text, a binary and a 1 MiB message, checks each
// echo, pings, closes with 1000, and prints what it saw as JSON.
"use strict";
const WebSocket = require("ws");

const [url, flag] = process.argv.slice(2);
const ws = new WebSocket(url, { perMessageDeflate: flag !== "--no-deflate", maxPayload: 1 << 24 });
const large = Buffer.alloc(1 << 20, 0);
for (let i = 0; i < large.length; ++i) large[i] = (i * 7) & 0xff;
const outgoing = [["hello, κόσμε", false], [Buffer.from([0, 1, 0xfe, 0xff]), true], [large, true]];
const seen = { echoes: [], pong: false, extensions: "", close: null };
let next = 0;

const send = () => {
  const [data, binary] = outgoing[next];
  ws.send(data, { binary });
};
ws.on("open", () => {
  seen.extensions = ws.extensions;
  send();
});
ws.on("message", (data, binary) => {
  const [expected] = outgoing[next];
  seen.echoes.push(binary ? Buffer.compare(data, expected) === 0 : data.toString() === expected);
  if (++next < outgoing.length) send();
  else ws.ping("are you there");
});
ws.on("pong", (data) => {
  seen.pong = data.toString() === "are you there";
  ws.close(1000, "done");
});
ws.on("close", (code) => {
  seen.close = code;
  console.log(JSON.stringify(seen));
});
ws.on("error", (error) => {
  console.log(JSON.stringify({ error: String(error) }));
  process.exitCode = 1;
});
setTimeout(() => {
  console.log(JSON.stringify({ error: "no close within 20 s", seen }));
  process.exit(1);
}, 20000).unref();
