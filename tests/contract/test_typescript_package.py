"""The TypeScript client as a frontend team installs it: `npm pack`, then the tarball
installed into a project outside this repository (its dependencies from the registry,
nothing through the repository's own node_modules), compiled with `tsc --strict`."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from tests.commands import run
from tests.contract.test_typescript_client import ROOT, TSC
from tests.live import live_server

PACKAGE = ROOT / "clients" / "typescript"

APP = """
import { connect, createHttpClient, isAckError } from "@conversations/client";
import type { Message } from "@conversations/client";

export async function run(): Promise<Message["seq"] | undefined> {
  const http = createHttpClient("http://127.0.0.1:8000");
  const login = await http.POST("/auth/login", { body: { username: "a", password: "b" } });
  if (!login.data) return undefined;
  const socket = connect("http://127.0.0.1:8000", login.data.access_token);
  const ack = await socket.emitWithAck("join_conversation", { conversation_id: 1 });
  if (isAckError(ack)) return undefined;
  const sent = await http.POST("/conversations/{conversation_id}/messages", {
    params: { path: { conversation_id: ack.conversation_id } },
    body: { body: "hi" },
  });
  return sent.data?.seq;
}
"""


HTTP_ONLY = """
import { createHttpClient, specDocument } from "@conversations/client/http";

declare const process: { argv: string[] };  // Node's, without @types/node

const http = createHttpClient(process.argv[2] ?? "http://127.0.0.1:8000");
const health = await http.GET("/healthz");
const text: string = await specDocument(http, "openapi.yaml");
console.log(JSON.stringify({ status: health.data?.status, first: text.split("\\n")[0] }));
"""
ESBUILD = ROOT / "node_modules" / ".bin" / "esbuild"


async def test_the_packed_client_installs_compiles_and_runs_outside_the_repository(
    tmp_path: Path,
) -> None:
    run("npm", "run", "--silent", "build", "--workspace", "clients/typescript", cwd=ROOT)
    packed = json.loads(
        run("npm", "pack", "--json", "--pack-destination", tmp_path, PACKAGE, cwd=ROOT)
    )
    tarball = tmp_path / packed[0]["filename"]
    app = tmp_path / "app"
    app.mkdir()
    (app / "package.json").write_text(
        json.dumps({"name": "frontend", "private": True, "type": "module"})
    )
    (app / "tsconfig.json").write_text(
        json.dumps(
            {
                "compilerOptions": {
                    "strict": True,
                    "noEmit": True,
                    "module": "nodenext",
                    "moduleResolution": "nodenext",
                    "target": "es2022",
                    "skipLibCheck": False,
                    "types": [],
                },
                "files": ["app.ts", "http-only.ts"],
            }
        )
    )
    (app / "app.ts").write_text(APP)
    (app / "http-only.ts").write_text(HTTP_ONLY)
    run("npm", "install", "--no-audit", "--no-fund", "--ignore-scripts", tarball, cwd=app)

    assert (app / "node_modules" / "socket.io-client").is_dir()  # its own, not the repo's
    run(TSC, "-p", app / "tsconfig.json", "--pretty", "false", cwd=app)
    # A page that calls only the HTTP API bundles no Socket.IO.
    run(ESBUILD, "http-only.ts", "--bundle", "--format=esm", "--outfile=http.mjs", cwd=app)
    bundle = (app / "http.mjs").read_text(encoding="utf-8")
    assert "engine.io" not in bundle.lower()
    assert "socket.io" not in bundle.lower()
    # ... and it runs: the contract's YAML arrives as text, not as JSON that throws.
    async with live_server(tmp_path / "chat.db") as url:
        answer = await asyncio.to_thread(run, "node", "http.mjs", url, cwd=app)
    assert json.loads(answer) == {"status": "ok", "first": "openapi: 3.1.0"}
