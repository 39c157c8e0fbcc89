// The hand-written entry point of the client: thin constructors over openapi-fetch and
// socket.io-client, typed by what `make clients` generates from the specs.
import { io, type ManagerOptions, type SocketOptions } from "socket.io-client";

import type { ChatSocket, ConnectRefusal, ServerToClientEvents, SocketAuth } from "./events.js";
import type { AckError, ConnectErrorData, ResumeRequest, SyncState } from "./schemas.js";

export { createHttpClient, specDocument, type HttpClient, type SpecDocument } from "./http-client.js";
export type { paths, components, operations } from "./http.js";
export * from "./events.js";
export type * from "./schemas.js";
export { applyEvent, quoted, APPLIED_EVENTS, QUOTE_PREVIEW_LENGTH, type ClientState } from "./state.js";

/**
 * A Socket.IO connection to the service at `url`, authenticated with `token` in the
 * handshake's `auth` (which works in browsers, unlike a header). Listen to
 * `connect_error` and read `refusal(error)` for the server's reason.
 *
 * It resumes by itself (asyncapi.yaml, "Resuming"): it asks for positions, keeps the
 * session of the last `sync` and the newest position, and presents them whenever
 * socket.io-client reconnects, so the server replays what was missed. Listen to
 * `sync`: when `resumed` is false, refetch what you hold.
 */
export function connect(
  url: string,
  token: string,
  options: Partial<ManagerOptions & SocketOptions> = {},
): ChatSocket {
  let stream: Required<ResumeRequest> | undefined;
  // A callback: socket.io-client asks again on every reconnect, for the newest.
  const auth = (send: (data: SocketAuth) => void): void => send({ token, resume: stream ? { ...stream } : {} });
  const socket: ChatSocket = io(url, { transports: ["websocket"], ...options, auth });
  // Every listener of any event runs before the event's own listeners.
  socket.onAny((event: string, payload: unknown, position?: unknown) => {
    if (event === "sync") {
      const sync = payload as SyncState;
      stream = { session: sync.session, position: sync.position };
    } else if (stream && typeof position === "string") {
      stream.position = position;
    }
  });
  return socket;
}

/** Whether an acknowledgement is the `AckError` of a refused event. */
export function isAckError(reply: { ok: boolean }): reply is AckError {
  return reply.ok === false;
}

/** The server's reason for refusing a connection, or undefined for a transport failure. */
export function refusal(error: ConnectRefusal): ConnectErrorData | undefined {
  return error.data;
}

/** The payload of a server event. */
export type EventPayload<E extends keyof ServerToClientEvents> = Parameters<ServerToClientEvents[E]>[0];

/**
 * The next `event` the socket receives. Rejects after `timeoutMs` (a bound against
 * waiting forever, not a measure of anything) or when the socket disconnects first.
 */
export function nextEvent<E extends keyof ServerToClientEvents>(
  socket: ChatSocket,
  event: E,
  timeoutMs = 10_000,
): Promise<EventPayload<E>> {
  return new Promise((resolve, reject) => {
    const listener = ((payload: EventPayload<E>) => {
      settle();
      resolve(payload);
    }) as ServerToClientEvents[E];
    const disconnected = (reason: string) => {
      settle();
      reject(new Error(`disconnected (${reason}) before ${event}`));
    };
    const timer = setTimeout(() => {
      settle();
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    // socket.io's listener types do not resolve for an event name that is still a type
    // parameter; the signature above is what callers see.
    function settle(): void {
      clearTimeout(timer);
      socket.off(event, listener as never);
      socket.off("disconnect", disconnected);
    }
    socket.on(event, listener as never);
    socket.on("disconnect", disconnected);
  });
}

/** Resolves once connected; rejects with the server's refusal (`connect_error`). */
export function connected(socket: ChatSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.connected) return resolve();
    socket.once("connect", () => resolve());
    socket.once("connect_error", (error: ConnectRefusal) => {
      const data = refusal(error);
      reject(new Error(data ? `refused (${data.code}): ${error.message}` : error.message));
    });
  });
}
