// The TypeScript client's `connect()` through a network that goes away: the test
// (test_typescript_client.py) drives the network and the sends; this prints, as JSON
// lines, each `sync` and each message body the socket brings, and `ready` once joined.
// `node resume.mjs URL TOKEN CONVERSATION_ID COUNT`: ends after COUNT messages.
import { connect, isAckError } from "@conversations/client";

const [url, token, conversation, count] = process.argv.slice(2);
const say = (line) => console.log(JSON.stringify(line));
const socket = connect(url, token, { reconnectionDelay: 100, reconnectionDelayMax: 500 });
let bodies = 0;
socket.on("sync", ({ resumed, replayed, reason }) => say({ step: "sync", resumed, replayed, reason: reason ?? null }));
socket.on("message_created", (message, position) => {
  say({ step: "message", body: message.body, positioned: typeof position === "string" });
  if (++bodies === Number(count)) {
    socket.disconnect();
    process.exit(0);
  }
});
socket.once("connect", async () => {
  const ack = await socket.emitWithAck("join_conversation", { conversation_id: Number(conversation) });
  if (isAckError(ack)) throw new Error(`join refused: ${ack.error.code}`);
  say({ step: "ready" });
});
