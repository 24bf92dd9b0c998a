// The official socket.io-client v4 receiving broadcasts (tests/realtime/test_fast_path.py).
// Usage: node broadcast.mjs <baseUrl> <count> [transports, default "websocket"]
// Prints "connected <transport>", then one JSON line per "news" event; exits 0 after <count>.
import { io } from "socket.io-client";

const [url, count, transports = "websocket"] = process.argv.slice(2);
const socket = io(`${url}/chat`, { transports: transports.split(","), reconnection: false });
const deadline = setTimeout(() => process.exit(2), 20000);
let seen = 0;
socket.on("connect", () => process.stdout.write(`connected ${socket.io.engine.transport.name}\n`));
socket.on("news", (...args) => {
  process.stdout.write(`${JSON.stringify({ args, transport: socket.io.engine.transport.name })}\n`);
  seen += 1;
  if (seen >= Number(count)) {
    clearTimeout(deadline);
    socket.close();
  }
});
socket.on("connect_error", (err) => {
  process.stdout.write(`connect_error ${err.message}\n`);
  process.exit(1);
});
