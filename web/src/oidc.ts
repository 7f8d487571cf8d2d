// Sign-in through a team's OpenID Connect provider, in the browser: the authorization code
// flow with PKCE (RFC 7636, S256). The page sends the person to the provider with a fresh
// verifier's challenge, a state and a nonce kept in this tab; on their return it trades the
// code (and the verifier) for an ID token at the provider's token endpoint, checks the
// state and the nonce, and uses the ID token as its bearer token. Stride checks the token's
// signature, issuer, audience and expiry on every request.

import { ApiProblem, client, ok } from "./api.js";

const PENDING = "stride.sign-in";

interface Pending {
  state: string;
  nonce: string;
  verifier: string;
  teamId: string;
  clientId: string;
  tokenEndpoint: string;
  redirectUri: string;
}

interface Discovery {
  authorization_endpoint: string;
  token_endpoint: string;
}

function refused(message: string): ApiProblem {
  return new ApiProblem(message, 0, undefined);
}

function base64url(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function random(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** Where this page takes the person back to. */
function redirectUri(): string {
  return `${window.location.origin}/app/`;
}

/** Sends the person to the provider of the team at `slug`; resolves only if that fails. */
export async function startSignIn(slug: string): Promise<void> {
  const provider = await ok(
    client().GET("/v1/sign-in/{slug}", { params: { path: { slug: slug.trim() } } }),
  );
  const issuer = provider.issuer.replace(/\/+$/, "");
  let discovery: Discovery;
  try {
    const response = await fetch(`${issuer}/.well-known/openid-configuration`);
    if (!response.ok) throw new Error(String(response.status));
    discovery = (await response.json()) as Discovery;
  } catch {
    throw refused(`The team's sign-in provider (${issuer}) could not be reached. Try again, or sign in with a token.`);
  }
  if (typeof discovery.authorization_endpoint !== "string" || typeof discovery.token_endpoint !== "string") {
    throw refused(`The team's sign-in provider (${issuer}) does not offer the authorization code flow.`);
  }
  const verifier = random();
  const challenge = base64url(
    new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))),
  );
  const pending: Pending = {
    state: random(),
    nonce: random(),
    verifier,
    teamId: provider.team_id,
    clientId: provider.client_id,
    tokenEndpoint: discovery.token_endpoint,
    redirectUri: redirectUri(),
  };
  window.sessionStorage.setItem(PENDING, JSON.stringify(pending));
  const url = new URL(discovery.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: pending.clientId,
    redirect_uri: pending.redirectUri,
    scope: "openid email profile",
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: challenge,
    code_challenge_method: "S256",
  }).toString();
  window.location.assign(url.toString());
}

/**
 * On the person's return from the provider, the ID token and the team it signs in to;
 * undefined when this page load is no such return.
 */
export async function finishSignIn(): Promise<{ token: string; teamId: string } | undefined> {
  const params = new URLSearchParams(window.location.search);
  if (!params.has("code") && !params.has("error")) return undefined;
  const kept = window.sessionStorage.getItem(PENDING);
  window.sessionStorage.removeItem(PENDING);
  // The code is single-use: it leaves the address bar and the history at once.
  window.history.replaceState(null, "", "/app/");
  if (params.has("error")) {
    throw refused(
      `The sign-in provider refused: ${params.get("error_description") ?? params.get("error")}.`,
    );
  }
  const pending = kept === null ? undefined : (JSON.parse(kept) as Pending);
  if (pending === undefined || params.get("state") !== pending.state) {
    throw refused("This sign-in was not started from this tab. Start it again.");
  }
  let idToken: unknown;
  try {
    const response = await fetch(pending.tokenEndpoint, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code: params.get("code") ?? "",
        redirect_uri: pending.redirectUri,
        client_id: pending.clientId,
        code_verifier: pending.verifier,
      }),
    });
    idToken = ((await response.json()) as { id_token?: unknown }).id_token;
  } catch {
    throw refused("The sign-in provider could not be reached to finish signing in. Start again.");
  }
  if (typeof idToken !== "string" || nonceOf(idToken) !== pending.nonce) {
    throw refused("The sign-in provider answered with no ID token for this sign-in. Start again.");
  }
  return { token: idToken, teamId: pending.teamId };
}

/** The `nonce` claim of a JWT, read without checking it (the server checks the token). */
function nonceOf(jwt: string): string | undefined {
  try {
    const payload = jwt.split(".")[1] ?? "";
    const json = atob(payload.replaceAll("-", "+").replaceAll("_", "/"));
    const nonce = (JSON.parse(json) as { nonce?: unknown }).nonce;
    return typeof nonce === "string" ? nonce : undefined;
  } catch {
    return undefined;
  }
}
