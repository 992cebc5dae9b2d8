// node bench/ws_echo.js PORT [--deflate]: Node's `ws` (Debian's node-ws; NODE_PATH=/usr/share/nodejs)
// as `bench/run websocket` compares httpkit with.
//
//   /ws             each message back with its type
//   /ws/broadcast   each message sent to every WebSocket on /ws/broadcast, the sender too
//
// --deflate: permessage-deflate for clients that offer it (ws's own parameters otherwise).
'use strict';
const { WebSocketServer } = require('ws');

const port = Number(process.argv[2]);
const deflate = process.argv.includes('--deflate');
const server = new WebSocketServer({
  host: '127.0.0.1',
  port,
  backlog: 4096,
  maxPayload: 16 * 1024 * 1024, // httpkit's websocket_max_message_size
  perMessageDeflate: deflate,
});
const room = new Set();

server.on('connection', (ws, request) => {
  if (request.url === '/ws/broadcast') {
    room.add(ws);
    ws.on('close', () => room.delete(ws));
    ws.on('message', (data, isBinary) => {
      for (const member of room) member.send(data, { binary: isBinary });
    });
    return;
  }
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});

for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
