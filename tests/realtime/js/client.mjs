// The official socket.io-client v4 against StudySync's /chat namespace.
// Usage: node client.mjs <baseUrl> <token> <groupId> [transports, default "websocket"]
// Prints one JSON object per line: connected, ack, badPayload, broadcast (or connect_error).
// Exits 0 after a message from another user arrives, 1 on connect_error, 2 on timeout.
import { io } from "socket.io-client";

const [url, token, groupId, transports = "websocket"] = process.argv.slice(2);
const print = (event, data = {}) => process.stdout.write(`${JSON.stringify({ event, ...data })}\n`);

const socket = io(`${url}/chat`, {
  auth: { token },
  transports: transports.split(","),
  reconnection: false,
  timeout: 10000,
});
const deadline = setTimeout(() => {
  print("timeout");
  socket.close();
  process.exit(2);
}, 20000);
let ownId = null;

socket.on("connect_error", (err) => {
  print("connect_error", { message: err.message, data: err.data ?? null });
  clearTimeout(deadline);
  socket.close();
  process.exitCode = 1;
});

socket.on("connect", async () => {
  print("connected", { transport: socket.io.engine.transport.name });
  const payload = { groupId: Number(groupId), content: "hello from node", clientId: "js-1" };
  const ack = await socket.timeout(10000).emitWithAck("message:send", payload);
  ownId = ack.ok ? ack.message.userId : null;
  const bad = await socket.timeout(10000).emitWithAck("message:send", "not an object");
  print("badPayload", { ack: bad });
  print("ack", { ack });
});

socket.on("message:new", ({ message }) => {
  if (ownId === null || message.userId === ownId) return;
  print("broadcast", { message, transport: socket.io.engine.transport.name });
  clearTimeout(deadline);
  socket.close();
});
