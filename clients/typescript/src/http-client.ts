// The HTTP half alone (`@conversations/client/http`): a page that only calls the HTTP
// API imports this, and its bundle carries openapi-fetch without socket.io-client.
import createFetchClient, { type Client, type ClientOptions } from "openapi-fetch";

import type { paths } from "./http.js";

export type { paths, components, operations } from "./http.js";
export type * from "./schemas.js";

/** The HTTP API, typed by openapi.yaml. */
export type HttpClient = Client<paths>;

/**
 * An openapi-fetch client for the service at `baseUrl`, sending `token` (when given)
 * as the bearer token of every request.
 */
export function createHttpClient(
  baseUrl: string,
  token?: string,
  options: Omit<ClientOptions, "baseUrl"> = {},
): HttpClient {
  const headers = token === undefined ? {} : { Authorization: `Bearer ${token}` };
  return createFetchClient<paths>({ ...options, baseUrl, headers });
}
