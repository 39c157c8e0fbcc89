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

/** A document of the contract, as served by `GET /specs/{document}`. */
export type SpecDocument = "openapi.yaml" | "asyncapi.yaml" | "schemas.yaml";

/**
 * The YAML text of a contract document. openapi-fetch reads every answer as JSON unless
 * told otherwise, and a YAML document is not JSON: this reads it as text (parse it
 * with a YAML parser).
 */
export async function specDocument(http: HttpClient, document: SpecDocument): Promise<string> {
  const answer = await http.GET("/specs/{document}", {
    params: { path: { document } },
    parseAs: "text",
  });
  if (answer.data === undefined) {
    throw new Error(`GET /specs/${document} answered ${answer.response.status}`);
  }
  return answer.data;
}
