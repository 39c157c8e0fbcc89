// Mistakes a frontend developer makes, each of which `tsc --strict` must refuse with the
// error named at the end of its line (tests/contract/test_typescript_client.py checks
// that exactly these lines fail, with exactly these codes). Nothing here is hand-typed:
// every type comes from the generated package.
import { connect, createHttpClient } from "@conversations/client";
import type { Problem } from "@conversations/client";

const socket = connect("http://127.0.0.1:8000", "token");
const http = createHttpClient("http://127.0.0.1:8000", "token");

export async function mistakes(): Promise<void> {
  // A misspelt server event.
  socket.on("message_create", () => undefined); // expect TS2345
  // A misspelt client event.
  await socket.emitWithAck("join_conversations", { conversation_id: 1 }); // expect TS2345
  // A payload field the event does not have.
  await socket.emitWithAck("join_conversation", { conversationId: 1 }); // expect TS2561
  // A payload field of the wrong type.
  await socket.emitWithAck("typing", { conversation_id: 1, state: "typing" }); // expect TS2322
  // The acknowledgement read as a success before the AckError case is ruled out.
  const ack = await socket.emitWithAck("join_conversation", { conversation_id: 1 });
  console.log(ack.conversation_id); // expect TS2339
  // A received payload read with a field it does not have.
  socket.on("message_created", (message) => console.log(message.text)); // expect TS2339
  // An HTTP body with a misspelt field, and a path the API does not have.
  await http.POST("/conversations/{conversation_id}/messages", {
    params: { path: { conversation_id: 1 } },
    body: { text: "hello" }, // expect TS2353
  });
  await http.GET("/conversation", {}); // expect TS2345
  // Codes stay open to later versions, yet the known ones are still in the type (as
  // `ErrorCode | string` they collapsed into `string`: no completion, no check).
  const known: Extract<Problem["code"], "not_found"> = "not_found";
  const misspelt: Extract<Problem["code"], "not_found"> = "not_fuond"; // expect TS2322
  const later: Problem["code"] = "some_code_added_later";
  console.log(known, misspelt, later);
}
