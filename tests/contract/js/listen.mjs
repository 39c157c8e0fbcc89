// The official Socket.IO JavaScript client, as a frontend uses it: connect with a
// token, join one conversation, and print each event as one JSON line on stdout.
// Usage: node listen.mjs <base-url> <token> <conversation-id>
// Lines: {"ready": <join ack>} once joined, then {"event": name, "payload": data}.
import { io } from "socket.io-client";

const [baseUrl, token, conversationId] = process.argv.slice(2);
const print = (line) => process.stdout.write(JSON.stringify(line) + "\n");

const socket = io(baseUrl, { auth: { token }, reconnection: false, timeout: 5000 });
socket.onAny((event, ...args) => print({ event, payload: args.length === 1 ? args[0] : args }));
socket.on("connect_error", (error) => {
  print({ connect_error: { message: error.message, data: error.data ?? null } });
  process.exit(2);
});
socket.on("connect", async () => {
  const ack = await socket
    .timeout(5000)
    .emitWithAck("join_conversation", { conversation_id: Number(conversationId) });
  print({ ready: ack });
});
// The test closes stdin when it is done listening.
process.stdin.on("end", () => {
  socket.disconnect();
  process.exit(0);
});
process.stdin.resume();
