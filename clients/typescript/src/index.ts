// A thin typed client for the Stride API: `openapi-fetch` over the types generated from
// `openapi/openapi.json` (src/schema.ts), plus the three conventions every frontend needs:
//
// - the token, sent as `Authorization: Bearer <token>`;
// - `Idempotency-Key` on a write, so that retrying it after a lost answer writes nothing twice;
// - read-your-writes: every write answers `Stride-Position`, and a read that sends
//   `Stride-Min-Position` waits (at most 2 s) until the read models include that position.
//   The client remembers the highest position it saw and sends it on every later GET, so a
//   dashboard does not read a list that lacks what it just wrote (it waits, or gets 503
//   `projection_lagging` after 2 s).

import createClient, { type Client, type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema.js";

export type { components, operations, paths } from "./schema.js";

/** Every schema of the document by name, e.g. `Schemas["GoalView"]`. */
export type Schemas = components["schemas"];

/** The RFC 9457 problem every error answers, with its stable `code`. */
export type Problem = components["schemas"]["Problem"];

export interface StrideClientOptions {
  /** Where the API is served, e.g. `http://127.0.0.1:8080`; the paths carry `/v1`. */
  baseUrl: string;
  /** A member's or a board contributor's token; without one, only open operations answer. */
  token?: string;
  /** The fetch to call; `globalThis.fetch` when not given. */
  fetch?: typeof globalThis.fetch;
}

export interface StrideClient extends Client<paths> {
  /**
   * The highest `Stride-Position` seen by this client and every client made from it with
   * `withToken`, as a decimal string (positions are 64-bit); undefined before the first write.
   */
  readonly position: string | undefined;
  /**
   * A client for another token (or none) with the same base URL and fetch that shares this
   * client's position, so reads made with it see the writes made with this one. Typical after
   * a sign-up or on joining a board, which answer the token to use next.
   */
  withToken(token: string | undefined): StrideClient;
}

const STRIDE_POSITION = "Stride-Position";
const STRIDE_MIN_POSITION = "Stride-Min-Position";

/** Creates a client; see `StrideClientOptions`. */
export function createStrideClient(options: StrideClientOptions): StrideClient {
  return build(options, new Positions());
}

/**
 * A new `Idempotency-Key` (a random UUID). Make one per logical write and send the same key
 * again when retrying that write: the server answers a repeat with the first response.
 */
export function newIdempotencyKey(): string {
  return globalThis.crypto.randomUUID();
}

/**
 * The header that makes one write safe to retry, for the `headers` option of a call:
 * `client.POST(path, { params, body, headers: idempotencyKey(key) })`. Without a key, a new one.
 * Writes made with a token honor it; sign-up and joining a board ignore it.
 */
export function idempotencyKey(key: string = newIdempotencyKey()): { "Idempotency-Key": string } {
  return { "Idempotency-Key": key };
}

function build(options: StrideClientOptions, positions: Positions): StrideClient {
  const client = createClient<paths>({
    baseUrl: options.baseUrl,
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    ...(options.token === undefined
      ? {}
      : { headers: { Authorization: `Bearer ${options.token}` } }),
  });
  client.use(readYourWrites(positions));
  return {
    ...client,
    get position() {
      return positions.highest?.toString();
    },
    withToken(token: string | undefined) {
      return build({ ...options, token }, positions);
    },
  };
}

/** The highest position seen, kept as a bigint because positions use all 64 bits. */
class Positions {
  highest: bigint | undefined;

  see(raw: string | null): void {
    if (raw === null || !/^\d+$/.test(raw.trim())) return;
    const position = BigInt(raw.trim());
    if (this.highest === undefined || position > this.highest) this.highest = position;
  }
}

function readYourWrites(positions: Positions): Middleware {
  return {
    onRequest({ request }) {
      const reads = request.method === "GET" || request.method === "HEAD";
      // A position the caller set on a request wins over the remembered one.
      if (reads && positions.highest !== undefined && !request.headers.has(STRIDE_MIN_POSITION)) {
        request.headers.set(STRIDE_MIN_POSITION, positions.highest.toString());
      }
      return request;
    },
    onResponse({ response }) {
      positions.see(response.headers.get(STRIDE_POSITION));
      return response;
    },
  };
}
