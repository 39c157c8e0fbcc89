// @asyncapi/diff on two asyncapi.yaml files, with override rules for what its AsyncAPI 3
// standard leaves unclassified. Prints {breaking, nonBreaking, unclassified} as JSON.
// Payload schemas live in schemas.yaml, which the shared JSON Schema check compares;
// here a payload is its $ref, so pointing a message at another schema is an edit.
import { readFileSync } from "node:fs";
import { diff } from "@asyncapi/diff";
import { parse } from "yaml";

const rule = (add, remove, edit) => ({ add, remove, edit });
const B = "breaking";
const N = "non-breaking";
const overrides = {
  // The version must change with the contract; the gate checks how, not this.
  "/info/version": rule(N, B, N),
  "/components": rule(N, B, B),
  "/components/messages": rule(N, B, B),
  "/components/messages/*": rule(N, B, B),
  "/components/messages/*/name": rule(B, B, B),
  "/components/messages/*/title": rule(N, N, N),
  "/components/messages/*/summary": rule(N, N, N),
  "/components/messages/*/description": rule(N, N, N),
  "/components/messages/*/payload": rule(B, B, B),
  // An ephemeral event is never replayed to a resuming client: a kept event becoming
  // ephemeral loses it events; an ephemeral one becoming kept only adds positions.
  "/components/messages/*/x-ephemeral": rule(B, N, B),
  "/components/messages/*/payload/$ref": rule(B, B, B),
  "/components/schemas": rule(N, B, B),
  "/components/schemas/*": rule(N, B, B),
  "/components/schemas/*/$ref": rule(B, B, B),
  "/components/securitySchemes": rule(B, B, B),
  "/components/securitySchemes/*": rule(B, B, B),
  "/components/securitySchemes/*/*": rule(B, B, B),
  "/servers/*/x-handshake-auth": rule(B, B, B),
  "/servers/*/x-handshake-auth/$ref": rule(B, B, B),
  "/channels/*/messages/*/$ref": rule(N, B, B),
  "/channels/*/parameters/*/description": rule(N, N, N),
  "/channels/*/parameters/*/examples": rule(N, N, N),
  // As for HTTP operations (tools/contract_diff/operations.py): what an operation does
  // lives in its description; a changed one may change its meaning.
  "/operations/*/description": rule(B, B, B),
  "/operations/*/channel": rule(B, B, B),
  "/operations/*/channel/$ref": rule(B, B, B),
  "/operations/*/reply/channel": rule(B, B, B),
  "/operations/*/reply/channel/$ref": rule(B, B, B),
  "/operations/*/reply/messages/*": rule(B, B, B),
  "/operations/*/reply/messages/*/$ref": rule(B, B, B),
  "/operations/*/messages/*/$ref": rule(B, B, B),
};

// Examples document; what they exemplify is compared elsewhere.
function withoutExamples(node) {
  if (Array.isArray(node)) return node.map(withoutExamples);
  if (node && typeof node === "object") {
    return Object.fromEntries(
      Object.entries(node)
        .filter(([key]) => key !== "examples")
        .map(([key, value]) => [key, withoutExamples(value)]),
    );
  }
  return node;
}

const [before, after] = process.argv.slice(2).map((file) => withoutExamples(parse(readFileSync(file, "utf8"))));
// The option is `override` (types.d.ts), though the README says `overrides`.
const output = diff(before, after, { override: overrides });
const brief = (changes) => changes.map(({ action, path }) => ({ action, path }));
console.log(
  JSON.stringify({
    breaking: brief(output.breaking()),
    nonBreaking: brief(output.nonBreaking()),
    unclassified: brief(output.unclassified()),
  }),
);
