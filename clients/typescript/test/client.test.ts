// The conventions the client adds over openapi-fetch, against a fetch that records what it
// is sent and answers what each test tells it to. Run with `npm test`.

import assert from "node:assert/strict";
import { test } from "node:test";

import { createStrideClient, idempotencyKey, newIdempotencyKey } from "../src/index.js";

const team = "0190f5d2-7c1a-7000-8000-000000000001";
const signUp = {
  name: "Acme Coffee",
  slug: "acme-coffee",
  owner: { name: "Olivia", email: "olivia@example.com" },
};

/** A fetch that answers each request with the next of `positions` as `Stride-Position`. */
function recordingFetch(...positions: (string | null)[]) {
  const sent: Request[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request ? input : new Request(input, init);
    sent.push(request);
    const position = positions.shift() ?? null;
    const headers = new Headers({ "content-type": "application/json" });
    if (position !== null) headers.set("Stride-Position", position);
    return new Response("{}", { status: 200, headers });
  };
  return { fetch, sent };
}

function header(request: Request | undefined, name: string): string | null {
  assert.ok(request, "no request was sent");
  return request.headers.get(name);
}

test("a token is sent as a bearer token, and no Authorization without one", async () => {
  const { fetch, sent } = recordingFetch();
  const anonymous = createStrideClient({ baseUrl: "http://stride.test", fetch });
  await anonymous.GET("/v1/teams/{team_id}", { params: { path: { team_id: team } } });
  await anonymous
    .withToken("s3cret")
    .GET("/v1/teams/{team_id}", { params: { path: { team_id: team } } });
  assert.equal(header(sent[0], "Authorization"), null);
  assert.equal(header(sent[1], "Authorization"), "Bearer s3cret");
  assert.equal(sent[1]?.url, `http://stride.test/v1/teams/${team}`);
});

test("later reads wait for the highest position seen; writes never send one", async () => {
  const { fetch, sent } = recordingFetch(null, "70", "65", null, null);
  const client = createStrideClient({ baseUrl: "http://stride.test", token: "t", fetch });
  const read = () => client.GET("/v1/teams/{team_id}", { params: { path: { team_id: team } } });
  await read();
  await client.POST("/v1/teams", { body: signUp });
  await client.POST("/v1/teams", { body: signUp });
  await client.POST("/v1/teams", { body: signUp });
  await read();
  assert.equal(header(sent[0], "Stride-Min-Position"), null, "nothing written yet");
  assert.equal(header(sent[2], "Stride-Min-Position"), null, "a write is not a read");
  assert.equal(header(sent[3], "Stride-Min-Position"), null, "a write is not a read");
  assert.equal(header(sent[4], "Stride-Min-Position"), "70", "an older position does not lower it");
  assert.equal(client.position, "70");
});

test("clients made with withToken share one position, in both directions", async () => {
  const { fetch, sent } = recordingFetch("10", "20", null, null);
  const anonymous = createStrideClient({ baseUrl: "http://stride.test", fetch });
  const owner = anonymous.withToken("owner");
  await anonymous.POST("/v1/teams", { body: signUp });
  await owner.POST("/v1/teams", { body: signUp });
  await anonymous.GET("/v1/boards/{slug}", { params: { path: { slug: "acme-coffee" } } });
  await owner.GET("/v1/teams/{team_id}", { params: { path: { team_id: team } } });
  assert.equal(header(sent[2], "Stride-Min-Position"), "20");
  assert.equal(header(sent[3], "Stride-Min-Position"), "20");
  assert.equal(anonymous.position, owner.position);
});

test("a position the caller sets on a read wins over the remembered one", async () => {
  const { fetch, sent } = recordingFetch("500", null);
  const client = createStrideClient({ baseUrl: "http://stride.test", token: "t", fetch });
  await client.POST("/v1/teams", { body: signUp });
  await client.GET("/v1/teams/{team_id}", {
    params: { path: { team_id: team } },
    headers: { "Stride-Min-Position": "7" },
  });
  assert.equal(header(sent[1], "Stride-Min-Position"), "7");
});

test("positions past 2^53 are kept exactly, and malformed ones are ignored", async () => {
  const big = "9007199254740993";
  const { fetch, sent } = recordingFetch(big, "not-a-position", "-4", null);
  const client = createStrideClient({ baseUrl: "http://stride.test", token: "t", fetch });
  await client.POST("/v1/teams", { body: signUp });
  await client.POST("/v1/teams", { body: signUp });
  await client.POST("/v1/teams", { body: signUp });
  await client.GET("/v1/teams/{team_id}", { params: { path: { team_id: team } } });
  assert.equal(client.position, big);
  assert.equal(header(sent[3], "Stride-Min-Position"), big);
});

test("an Idempotency-Key is sent as given, and new keys are fresh UUIDs", async () => {
  const { fetch, sent } = recordingFetch();
  const client = createStrideClient({ baseUrl: "http://stride.test", token: "t", fetch });
  const key = newIdempotencyKey();
  await client.POST("/v1/teams", { body: signUp, headers: idempotencyKey(key) });
  await client.POST("/v1/teams", { body: signUp, headers: idempotencyKey() });
  assert.equal(header(sent[0], "Idempotency-Key"), key);
  const generated = header(sent[1], "Idempotency-Key");
  assert.match(
    generated ?? "",
    /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
  );
  assert.notEqual(generated, key);
});
