// A team's own tool hearing from Stride, verified by an independent Standard Webhooks
// library (`standardwebhooks` from npm), not by Stride's code: sign up a team, run a receiver,
// create a webhook for `TeamRenamed`, rename the team and check the message; rotate the
// secret and check that the next message verifies with the old secret and with the new one;
// and check that a message changed on the way is refused. Any surprise exits non-zero.
//
//   bash scripts/example-on-fresh-server.sh ../../target/debug/stride examples/webhooks.ts
//   (the server must allow local receivers: STRIDE_WEBHOOK_ALLOW_PRIVATE=true, which the
//   script sets)

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

import { Webhook } from "standardwebhooks";

import { createStrideClient } from "../src/index.js";

const baseUrl = process.env.STRIDE_URL ?? "http://127.0.0.1:8080";

class Surprise extends Error {}

function check(condition: boolean, what: string): asserts condition {
  if (!condition) throw new Surprise(what);
}

/** A message as the receiver got it: its raw body and headers. */
interface Message {
  body: string;
  headers: Record<string, string>;
}

/** A receiver on a free local port; `next()` resolves with the next message it gets. */
async function receiver(): Promise<{ url: string; next: () => Promise<Message>; close: () => void }> {
  const waiting: ((message: Message) => void)[] = [];
  const arrived: Message[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        if (typeof value === "string") headers[name] = value;
      }
      const message = { body: Buffer.concat(chunks).toString("utf8"), headers };
      const taker = waiting.shift();
      if (taker) taker(message);
      else arrived.push(message);
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const next = () =>
    new Promise<Message>((resolve, reject) => {
      const ready = arrived.shift();
      if (ready) return resolve(ready);
      const timer = setTimeout(() => reject(new Surprise("no message within 10 s")), 10_000);
      waiting.push((message) => {
        clearTimeout(timer);
        resolve(message);
      });
    });
  return { url: `http://127.0.0.1:${port}/stride`, next, close: () => server.close() };
}

/** Whether the library accepts the message with `secret`. */
function verifies(secret: string, message: Message): boolean {
  try {
    new Webhook(secret).verify(message.body, message.headers);
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const anonymous = createStrideClient({ baseUrl });
  const slug = `hooks-${Date.now().toString(36)}`;
  const signedUp = await anonymous.POST("/v1/teams", {
    body: { name: "Acme Coffee", slug, owner: { name: "Olivia", email: "olivia@example.com" } },
  });
  check(signedUp.data !== undefined, `sign up: ${signedUp.response.status}`);
  const team = signedUp.data.team.id;
  const owner = anonymous.withToken(signedUp.data.token.secret);
  const hooks = await receiver();
  try {
    const created = await owner.POST("/v1/teams/{team_id}/webhooks", {
      params: { path: { team_id: team } },
      body: { url: hooks.url, event_types: ["TeamRenamed"], description: "our CRM" },
    });
    check(created.data !== undefined, `create webhook: ${created.response.status} ${JSON.stringify(created.error)}`);
    const first = created.data.secret;
    const webhook = created.data.id;
    check(first.startsWith("whsec_"), "the secret is whsec_...");
    console.log(`ok created webhook ${webhook}`);

    const rename = async (name: string) => {
      const renamed = await owner.PATCH("/v1/teams/{team_id}", {
        params: { path: { team_id: team } },
        body: { name },
      });
      check(renamed.response.status === 200, `rename: ${renamed.response.status}`);
    };
    await rename("Acme Roasters");
    const message = await hooks.next();
    check(verifies(first, message), "standardwebhooks accepts the message with the secret");
    const payload = new Webhook(first).verify(message.body, message.headers) as {
      type: string;
      data: { position: number; data: { name: string } };
    };
    check(payload.type === "TeamRenamed", `the message is ${payload.type}`);
    check(payload.data.data.name === "Acme Roasters", "the message carries the event");
    check(payload.data.position > 0, "the message carries the event's position");
    const tampered = { ...message, body: message.body.replace("Acme Roasters", "Acme Rosters") };
    check(!verifies(first, tampered), "a changed body is refused");
    console.log(`ok message ${message.headers["webhook-id"]} verified by standardwebhooks`);

    const rotated = await owner.POST("/v1/teams/{team_id}/webhooks/{webhook_id}/rotate-secret", {
      params: { path: { team_id: team, webhook_id: webhook } },
    });
    check(rotated.data !== undefined, `rotate: ${rotated.response.status}`);
    const second = rotated.data.secret;
    check(second !== first, "rotation gives a new secret");
    await rename("Acme Coffee Co.");
    const during = await hooks.next();
    check(verifies(second, during), "the new secret signs after a rotation");
    check(verifies(first, during), "the old secret still signs for 24 h");
    check(!verifies(`whsec_${Buffer.alloc(32, 7).toString("base64")}`, during), "another secret does not");
    console.log("ok both secrets sign during the rotation");
  } finally {
    hooks.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
