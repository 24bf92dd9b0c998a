// Reference server for the realtime benchmarks: Node.js socket.io + @socket.io/redis-adapter.
// Same workload contract as bench/bare_server.py: namespace /chat, the client names its room in
// the handshake auth ({room}), "message:send" is broadcast to the room as "message:new" and acked.
// Usage: PORT=5101 REDIS_URL=redis://127.0.0.1:6379/0 REDIS_PREFIX=bench-x node server.js
"use strict";
const http = require("node:http");
const { Server } = require("socket.io");
const { createAdapter } = require("@socket.io/redis-adapter");
const { createClient } = require("redis");

const port = Number(process.env.PORT || 5101);
const redisUrl = process.env.REDIS_URL || "";
const prefix = process.env.REDIS_PREFIX || "bench-node";

async function main() {
  const httpServer = http.createServer();
  const io = new Server(httpServer, { transports: ["websocket"], serveClient: false });
  if (redisUrl) {
    const pub = createClient({ url: redisUrl });
    const sub = pub.duplicate();
    await Promise.all([pub.connect(), sub.connect()]);
    io.adapter(createAdapter(pub, sub, { key: prefix }));
  }
  let nextId = 1;
  const chat = io.of("/chat");
  chat.on("connection", (socket) => {
    const room = socket.handshake.auth && socket.handshake.auth.room;
    if (room) socket.join(String(room));
    socket.on("message:send", (data, ack) => {
      const message = {
        id: nextId++,
        groupId: data.groupId,
        userId: 0,
        content: data.content,
        clientId: data.clientId || null,
        timestamp: new Date().toISOString(),
      };
      chat.to(String(data.groupId)).emit("message:new", { message });
      if (typeof ack === "function") ack({ ok: true, message });
    });
  });
  httpServer.listen(port, "127.0.0.1");
  const stop = () => { io.close(); process.exit(0); };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((error) => { console.error(error); process.exit(1); });
