// Replays traces the convergence suite recorded on a live service through the
// TypeScript client's `applyEvent`: each starts from a fetched state, applies the events
// a socket received (and the histories the client fetched when it joined a room), and
// must equal every fresh fetch recorded along the way. Also checks that `applyEvent`
// has a rule for exactly the server events of asyncapi.yaml.
// `node tests/convergence/replay.mjs traces.json`
import { readFileSync } from "node:fs";
import { deepStrictEqual } from "node:assert/strict";
import { applyEvent, APPLIED_EVENTS } from "@conversations/client";

const { events, traces } = JSON.parse(readFileSync(process.argv[2], "utf8"));
deepStrictEqual([...APPLIED_EVENTS].sort(), [...events].sort(), "applyEvent's rules and the spec's events differ");

let compared = 0;
let applied = 0;
for (const [index, trace] of traces.entries()) {
  let state = trace.start;
  for (const step of trace.steps) {
    if ("event" in step) {
      state = applyEvent(state, step.event, step.payload);
      applied += 1;
    } else if ("joined" in step) {
      state = structuredClone(state);
      state.messages[step.joined] = step.messages;
      state.pins[step.joined] = step.pins;
    } else {
      deepStrictEqual(state, step.expect, `trace ${index} (user ${trace.start.me}), check ${compared}`);
      compared += 1;
    }
  }
}
console.log(JSON.stringify({ traces: traces.length, applied, compared }));
