// The README walkthrough in TypeScript, on the generated client and nothing else:
// two users, a group, a message, typing, a read receipt, then a reply that mentions,
// an edit the reply's quote follows, a reaction, a pin and a deletion, every step
// printed as a JSON line. `node examples/typescript/dist/walkthrough.js [BASE_URL]`
import {
  connect,
  connected,
  createHttpClient,
  isAckError,
  nextEvent,
  type ChatSocket,
  type HttpClient,
  type Problem,
} from "@conversations/client";

const baseUrl = process.argv[2] ?? "http://127.0.0.1:8000";
// A fresh pair of names per run, so the walkthrough can run again on the same database.
const run = Math.random().toString(36).slice(2, 8);

function step(name: string, detail: unknown): void {
  console.log(JSON.stringify({ step: name, detail }));
}

function fail(what: string, problem: Problem | undefined): never {
  throw new Error(`${what}: ${problem ? `${problem.status} ${problem.code} ${problem.detail ?? ""}` : "no answer"}`);
}

async function account(http: HttpClient, name: string): Promise<{ id: number; token: string }> {
  const password = `${name}-walkthrough-password`;
  const username = `${name}-${run}`;
  const created = await http.POST("/auth/register", {
    body: { username, password, display_name: name[0]!.toUpperCase() + name.slice(1) },
  });
  if (!created.data) fail(`register ${username}`, created.error);
  const login = await http.POST("/auth/login", { body: { username, password } });
  if (!login.data) fail(`login ${username}`, login.error);
  step("registered", { id: created.data.id, username });
  return { id: created.data.id, token: login.data.access_token };
}

async function join(socket: ChatSocket, conversationId: number): Promise<void> {
  const ack = await socket.emitWithAck("join_conversation", { conversation_id: conversationId });
  if (isAckError(ack)) throw new Error(`join refused: ${ack.error.code} ${ack.error.message}`);
  step("joined", ack);
}

async function main(): Promise<void> {
  const anonymous = createHttpClient(baseUrl);
  const alice = await account(anonymous, "alice");
  const bob = await account(anonymous, "bob");
  const aliceHttp = createHttpClient(baseUrl, alice.token);
  const bobHttp = createHttpClient(baseUrl, bob.token);

  const group = await aliceHttp.POST("/conversations", {
    body: { kind: "group", title: "Launch planning", participant_ids: [bob.id] },
  });
  if (!group.data) fail("create group", group.error);
  const conversationId = group.data.id;
  step("group", { id: conversationId, title: group.data.title });

  const aliceSocket = connect(baseUrl, alice.token);
  const bobSocket = connect(baseUrl, bob.token);
  try {
    await Promise.all([connected(aliceSocket), connected(bobSocket)]);
    // Both rooms are joined before anything is posted: nothing can race past them.
    await join(aliceSocket, conversationId);
    await join(bobSocket, conversationId);

    const delivered = nextEvent(bobSocket, "message_created");
    const sent = await aliceHttp.POST("/conversations/{conversation_id}/messages", {
      params: { path: { conversation_id: conversationId } },
      body: { body: "See you at ten." },
    });
    if (!sent.data) fail("send", sent.error);
    const message = await delivered;
    step("message_created", { id: message.id, seq: message.seq, body: message.body, sender: message.sender.username });

    const typing = nextEvent(bobSocket, "typing");
    const typingAck = await aliceSocket.emitWithAck("typing", { conversation_id: conversationId, state: "start" });
    if (isAckError(typingAck)) throw new Error(`typing refused: ${typingAck.error.code}`);
    const shown = await typing;
    step("typing", { user_id: shown.user_id, state: shown.state, expires_in_seconds: typingAck.expires_in_seconds });

    const receipt = nextEvent(aliceSocket, "message_read");
    const read = await bobHttp.POST("/conversations/{conversation_id}/read", {
      params: { path: { conversation_id: conversationId } },
      body: { message_id: message.id },
    });
    if (!read.data) fail("mark read", read.error);
    const seen = await receipt;
    step("message_read", { reader: seen.reader.username, last_read_message_id: seen.last_read_message_id });
    await lifecycle({ alice: aliceHttp, bob: bobHttp, aliceSocket, bobSocket }, conversationId, message.id, alice.id);
  } finally {
    aliceSocket.disconnect();
    bobSocket.disconnect();
  }
}

interface Sides {
  alice: HttpClient;
  bob: HttpClient;
  aliceSocket: ChatSocket;
  bobSocket: ChatSocket;
}

// Bob answers and mentions Alice; she edits, he reacts, she pins, then deletes.
async function lifecycle(sides: Sides, conversationId: number, first: number, aliceId: number): Promise<void> {
  const { alice, bob, aliceSocket, bobSocket } = sides;
  const path = { conversation_id: conversationId, message_id: first };
  const mentioned = nextEvent(aliceSocket, "message_mentioned");
  const reply = await bob.POST("/conversations/{conversation_id}/messages", {
    params: { path: { conversation_id: conversationId } },
    body: { body: "Ten works.", reply_to: first, mentions: [aliceId] },
  });
  if (!reply.data) fail("reply", reply.error);
  const { message: mention } = await mentioned;
  step("message_mentioned", { reply_to: mention.reply_to?.id ?? null, mentions: mention.mentions ?? [] });

  const updated = nextEvent(bobSocket, "message_updated");
  const edited = await alice.PATCH("/conversations/{conversation_id}/messages/{message_id}", {
    params: { path },
    body: { body: "See you at half past ten." },
  });
  if (!edited.data) fail("edit", edited.error);
  const { message: shown } = await updated;
  step("message_updated", { id: shown.id, body: shown.body });

  const reaction = nextEvent(aliceSocket, "reaction_updated");
  const reacted = await bob.PUT("/conversations/{conversation_id}/messages/{message_id}/reactions/{emoji}", {
    params: { path: { ...path, emoji: "👍" } },
  });
  if (!reacted.data) fail("react", reacted.error);
  const heard = await reaction;
  step("reaction_updated", { emoji: heard.emoji, count: heard.count });

  const pinsUpdated = nextEvent(bobSocket, "pins_updated");
  const pinned = await alice.PUT("/conversations/{conversation_id}/pins/{message_id}", { params: { path } });
  if (!pinned.data) fail("pin", pinned.error);
  const pins = await pinsUpdated;
  step("pins_updated", { pinned: pins.pins.map((pin) => pin.message.id) });

  const page = await bob.GET("/conversations/{conversation_id}/messages", {
    params: { path: { conversation_id: conversationId } },
  });
  if (!page.data) fail("list messages", page.error);
  const quoted = page.data.items[0];
  const answer = page.data.items.at(-1);
  const reactions = (quoted?.reactions ?? []).map(({ emoji, count, reacted }) => ({ emoji, count, reacted }));
  step("quote_followed", { preview: answer?.reply_to?.preview ?? null, reactions });

  const deletion = nextEvent(bobSocket, "message_updated");
  const deleted = await alice.DELETE("/conversations/{conversation_id}/messages/{message_id}", { params: { path } });
  if (deleted.error) fail("delete", deleted.error);
  const { message: gone } = await deletion;
  step("message_deleted", { id: gone.id, deleted: gone.deleted_at != null });
}

main().then(
  () => step("done", null),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
