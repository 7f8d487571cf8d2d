// A small OpenID Connect provider for the end-to-end tests: a discovery document, a key set
// (one ES256 key made at start), an authorization endpoint that signs in one person at once
// (as a provider does once they have typed their password), and a token endpoint that trades
// a code for an ID token only with the PKCE verifier of the challenge it was asked with.

import { createHash, generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface Person {
  email: string;
  name: string;
}

interface Grant {
  challenge: string;
  nonce: string;
  redirectUri: string;
  clientId: string;
}

const base64url = (bytes: Buffer) => bytes.toString("base64url");

export class Provider {
  readonly issuer: string;
  /** Codes traded for an ID token, each with its verifier checked. */
  exchanges = 0;
  private readonly grants = new Map<string, Grant>();
  private readonly keys = generateKeyPairSync("ec", { namedCurve: "P-256" });
  private readonly kid = base64url(randomBytes(8));

  private constructor(
    private readonly server: Server,
    private readonly clientId: string,
    private readonly person: Person,
  ) {
    this.issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  static async start(clientId: string, person: Person): Promise<Provider> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const provider = new Provider(server, clientId, person);
    server.on("request", (req, res) => {
      provider.answer(req, res).catch(() => send(res, 500, { error: "server_error" }));
    });
    return provider;
  }

  /** Stops, closing the connections clients keep open for their next request. */
  stop(): Promise<void> {
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    return stopped;
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.issuer);
    if (req.method === "GET" && url.pathname === "/.well-known/openid-configuration") {
      return send(res, 200, {
        issuer: this.issuer,
        authorization_endpoint: `${this.issuer}/authorize`,
        token_endpoint: `${this.issuer}/token`,
        jwks_uri: `${this.issuer}/jwks`,
        response_types_supported: ["code"],
        code_challenge_methods_supported: ["S256"],
        id_token_signing_alg_values_supported: ["ES256"],
      });
    }
    if (req.method === "GET" && url.pathname === "/jwks") {
      const jwk = this.keys.publicKey.export({ format: "jwk" });
      return send(res, 200, { keys: [{ ...jwk, kid: this.kid, alg: "ES256", use: "sig" }] });
    }
    if (req.method === "GET" && url.pathname === "/authorize") {
      const q = url.searchParams;
      const redirectUri = q.get("redirect_uri") ?? "";
      if (
        q.get("response_type") !== "code" ||
        q.get("client_id") !== this.clientId ||
        q.get("code_challenge_method") !== "S256" ||
        !q.get("code_challenge") ||
        !q.get("state") ||
        !redirectUri.startsWith("http://127.0.0.1:")
      ) {
        return send(res, 400, { error: "invalid_request" });
      }
      const code = base64url(randomBytes(16));
      this.grants.set(code, {
        challenge: q.get("code_challenge")!,
        nonce: q.get("nonce") ?? "",
        redirectUri,
        clientId: q.get("client_id")!,
      });
      const back = new URL(redirectUri);
      back.searchParams.set("code", code);
      back.searchParams.set("state", q.get("state")!);
      res.writeHead(302, { Location: back.toString() }).end();
      return;
    }
    if (req.method === "POST" && url.pathname === "/token") {
      const form = new URLSearchParams(await body(req));
      const grant = this.grants.get(form.get("code") ?? "");
      this.grants.delete(form.get("code") ?? "");
      const verifier = form.get("code_verifier") ?? "";
      if (
        grant === undefined ||
        form.get("grant_type") !== "authorization_code" ||
        form.get("redirect_uri") !== grant.redirectUri ||
        form.get("client_id") !== grant.clientId ||
        base64url(createHash("sha256").update(verifier).digest()) !== grant.challenge
      ) {
        return send(res, 400, { error: "invalid_grant" });
      }
      this.exchanges += 1;
      return send(res, 200, {
        access_token: base64url(randomBytes(16)),
        token_type: "Bearer",
        expires_in: 300,
        id_token: this.idToken(grant.nonce),
      });
    }
    send(res, 404, { error: "not_found" });
  }

  private idToken(nonce: string): string {
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: "ES256", typ: "JWT", kid: this.kid };
    const claims = {
      iss: this.issuer,
      aud: this.clientId,
      sub: createHash("sha256").update(this.person.email).digest("hex").slice(0, 20),
      email: this.person.email,
      email_verified: true,
      name: this.person.name,
      nonce,
      iat: now,
      exp: now + 300,
    };
    const input = `${base64url(Buffer.from(JSON.stringify(header)))}.${base64url(Buffer.from(JSON.stringify(claims)))}`;
    const signature = sign("sha256", Buffer.from(input), {
      key: this.keys.privateKey,
      dsaEncoding: "ieee-p1363",
    });
    return `${input}.${base64url(signature)}`;
  }
}

function send(res: ServerResponse, status: number, json: unknown): void {
  // Browsers call the discovery document and the token endpoint from the app's origin.
  res
    .writeHead(status, {
      "Content-Type": "application/json",
      "Access-Control-Allow-Origin": "*",
      "Cache-Control": "no-store",
    })
    .end(JSON.stringify(json));
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      text += chunk;
      if (text.length > 64 * 1024) reject(new Error("too large"));
    });
    req.on("end", () => resolve(text));
    req.on("error", reject);
  });
}
