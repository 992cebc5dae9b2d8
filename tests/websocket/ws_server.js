// A server for httpkit's client written with Node's `ws` package (Debian's node-ws):
// node ws_server.js. Listens on a port the kernel picks and prints it; answers each message with
// its type and the message reversed, closes with 1000 on "bye", and offers permessage-deflate
// with the context kept between messages (ws's default when the client allows it).
"use strict";
const WebSocket = require("ws");

const server = new WebSocket.Server({ host: "127.0.0.1", port: 0, perMessageDeflate: { threshold: 0 } });
server.on("listening", () => console.log(server.address().port));
server.on("connection", (ws, request) => {
  const extensions = request.headers["sec-websocket-extensions"] || "";
  ws.on("message", (data, binary) => {
    const text = binary ? data.toString("latin1") : data.toString();
    if (text === "bye") return ws.close(1000, "as asked");
    if (text === "extensions?") return ws.send(`offered:${extensions}`);
    ws.send(`${binary ? "binary" : "text"}:${[...text].reverse().join("")}`);
  });
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
