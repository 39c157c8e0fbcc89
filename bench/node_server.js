// The outside reference: the official Node `socket.io` server doing the benchmark's
// fan-out and nothing else, as bench/bare_server.py does for python-socketio.
// The handshake's `auth.token` is taken as the user's id and joins `user:{id}`;
// `join_conversation` enters `conversation:{id}`; `POST /send` emits its JSON body as
// `message_created` to that room.
// Usage: node bench/node_server.js <port>
"use strict";

const http = require("node:http");
const { Server } = require("socket.io");

const server = http.createServer((request, response) => {
  if (request.method !== "POST" || request.url !== "/send") {
    response.writeHead(404).end();
    return;
  }
  const chunks = [];
  request.on("data", (chunk) => chunks.push(chunk));
  request.on("end", () => {
    const payload = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    io.to(`conversation:${payload.conversation_id}`).emit("message_created", payload);
    response.writeHead(201).end();
  });
});

const io = new Server(server, { serveClient: false, cors: { origin: true } });

io.on("connection", (socket) => {
  socket.join(`user:${socket.handshake.auth.token}`);
  socket.on("join_conversation", (data, ack) => {
    socket.join(`conversation:${data.conversation_id}`);
    ack({ ok: true, conversation_id: data.conversation_id });
  });
});

server.listen(Number(process.argv[2]), "127.0.0.1");
