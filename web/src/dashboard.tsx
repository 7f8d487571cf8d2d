// The team dashboard at /app/: sign in (a token, an invitation's code, or a new team), then
// progress, suggestions, channels, posts in review and the live activity feed in one page, with
// an "as of" date that replays the page at a past instant.

import { useEffect, useMemo, useRef, useState } from "preact/hooks";

import { client, ok, sentence, SIGNED_OUT, tokens, type Schemas, type StrideClient } from "./api.js";
import { finishSignIn, startSignIn } from "./oidc.js";
import { Activity } from "./panels/activity.js";
import { Channels } from "./panels/channels.js";
import type { Context } from "./panels/context.js";
import { Progress } from "./panels/progress.js";
import { Review } from "./panels/review.js";
import { Suggestions } from "./panels/suggestions.js";
import { follow } from "./stream.js";
import { ActionForm, ErrorNote, Field, mount, Tabs, useLoad, Waiting } from "./ui.js";

const TOKEN = "token";
/** The team a provider's ID token signs in to (a Stride token knows its own). */
const TEAM = "team";

type Me = Schemas["WhoAmI"];

function App() {
  const [token, setToken] = useState<string | undefined>(() => tokens.get(TOKEN));
  const [team, setTeam] = useState<string | undefined>(() => tokens.get(TEAM));
  const [returning, setReturning] = useState(() => /[?&](code|error)=/.test(window.location.search));
  const [error, setError] = useState<string | undefined>(undefined);
  const signIn = (secret: string, teamId?: string) => {
    tokens.set(TOKEN, secret);
    if (teamId === undefined) tokens.forget(TEAM);
    else tokens.set(TEAM, teamId);
    setToken(secret);
    setTeam(teamId);
    setError(undefined);
  };
  const signOut = () => {
    tokens.forget(TOKEN);
    tokens.forget(TEAM);
    setToken(undefined);
    setTeam(undefined);
  };
  // A token that no longer signs in ends the session, saying why.
  const held = useRef(token);
  held.current = token;
  useEffect(() => {
    const ended = (event: Event) => {
      if (held.current === undefined) return;
      signOut();
      const why = (event as CustomEvent<string>).detail.replace(/\.?$/, ".");
      setError(`${why.charAt(0).toUpperCase()}${why.slice(1)} Sign in again.`);
    };
    window.addEventListener(SIGNED_OUT, ended);
    return () => window.removeEventListener(SIGNED_OUT, ended);
  }, []);
  // Back from the team's sign-in provider: the code is traded for an ID token.
  useEffect(() => {
    if (!returning) return;
    finishSignIn().then(
      (signedIn) => {
        if (signedIn !== undefined) signIn(signedIn.token, signedIn.teamId);
        setReturning(false);
      },
      (failure: unknown) => {
        setError(sentence(failure));
        setReturning(false);
      },
    );
  }, []);
  if (returning) {
    return <Waiting title="Stride" waiting="Finishing signing in…" error={undefined} />;
  }
  return token === undefined ? (
    <SignIn onToken={signIn} error={error} />
  ) : (
    <Signed token={token} teamId={team} onSignOut={signOut} />
  );
}

/** Who the token is; a token that no longer signs in sends the person back to sign in. */
function Signed({
  token,
  teamId,
  onSignOut,
}: {
  token: string;
  teamId: string | undefined;
  onSignOut: () => void;
}) {
  const api = useMemo(() => client(token), [token]);
  const me = useLoad(
    () => ok(api.GET("/v1/me", { params: { query: teamId === undefined ? {} : { team_id: teamId } } })),
    [api, teamId],
  );
  if (me.data === undefined) {
    return (
      <Waiting title="Stride" waiting="Signing in…" error={me.error}>
        <button type="button" onClick={onSignOut}>
          Sign in again
        </button>
      </Waiting>
    );
  }
  return <Dashboard api={api} token={token} me={me.data} onSignOut={onSignOut} />;
}

function Dashboard({
  api,
  token,
  me,
  onSignOut,
}: {
  api: StrideClient;
  token: string;
  me: Me;
  onSignOut: () => void;
}) {
  const [asOf, setAsOf] = useState<string | undefined>(undefined);
  const [position, setPosition] = useState(0);
  const [live, setLive] = useState(false);
  const [round, setRound] = useState(0);
  const teamId = me.team.id;

  // Every event heard on the stream refreshes the page (once per burst), each read waiting
  // for the projections to include the event. The stream starts after the newest line of
  // the feed, so that the team's past is not replayed.
  const pending = useRef<number | undefined>(undefined);
  useEffect(() => {
    const abort = new AbortController();
    const newest = ok(
      api.GET("/v1/teams/{team_id}/activity", {
        params: { path: { team_id: teamId }, query: { limit: 1 } },
      }),
    ).then((page) => page.items[0]?.position ?? 0, () => 0);
    void newest.then((after) => follow({
      teamId,
      token,
      after,
      onEvent: (event) => {
        setPosition((p) => Math.max(p, event.position));
        window.clearTimeout(pending.current);
        pending.current = window.setTimeout(() => setRound((r) => r + 1), 300);
      },
      onState: setLive,
      signal: abort.signal,
    }));
    return () => abort.abort();
  }, [api, teamId, token]);

  const team = useLoad(
    () =>
      ok(
        api.GET("/v1/teams/{team_id}", {
          params: { path: { team_id: teamId }, query: position > 0 ? { min_position: position } : {} },
        }),
      ),
    [api, teamId, round],
  );
  const context: Context = {
    api,
    teamId,
    me,
    team: team.data,
    asOf: asOf === undefined ? undefined : `${asOf}T23:59:59Z`,
    position,
    round,
    changed: () => setRound((r) => r + 1),
  };
  return (
    <>
      <a class="skip" href="#main">
        Skip to the dashboard
      </a>
      <header class="top">
        <div class="brand">
          <strong>{me.team.name}</strong>
          <span class="muted">
            {me.member.name} · {me.member.role}
          </span>
        </div>
        <nav aria-label="Sections">
          <a href="#progress">Progress</a>
          <a href="#suggestions">Suggestions</a>
          <a href="#channels">Channels</a>
          <a href="#review">Review</a>
          <a href="#activity">Activity</a>
          <a href={`/b/${encodeURIComponent(me.team.slug)}`}>Board</a>
        </nav>
        <div class="row">
          <TimeTravel asOf={asOf} onChange={setAsOf} />
          <button type="button" class="quiet" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {asOf !== undefined && (
          <p class="notice" role="status">
            Showing the dashboard as it was at the end of {asOf}. Changes are off while looking
            back; choose “Now” to return.
          </p>
        )}
        <Progress ctx={context} />
        <div class="columns">
          <Suggestions ctx={context} />
          <Review ctx={context} />
        </div>
        <Channels ctx={context} />
        <Activity ctx={context} live={live} />
      </main>
    </>
  );
}

function TimeTravel({
  asOf,
  onChange,
}: {
  asOf: string | undefined;
  onChange: (asOf: string | undefined) => void;
}) {
  const today = new Date().toISOString().slice(0, 10);
  return (
    <div class="row time-travel">
      <label for="as-of">As of</label>
      <input
        id="as-of"
        type="date"
        min="2000-01-01"
        max={today}
        value={asOf ?? today}
        onChange={(event) => {
          const value = (event.currentTarget as HTMLInputElement).value;
          onChange(value === "" || value >= today ? undefined : value);
        }}
      />
      <button type="button" class="quiet" disabled={asOf === undefined} onClick={() => onChange(undefined)}>
        Now
      </button>
    </div>
  );
}

type Way = "token" | "provider" | "invitation" | "team";

function SignIn({ onToken, error }: { onToken: (token: string) => void; error: string | undefined }) {
  const [way, setWay] = useState<Way>("token");
  const ways: { way: Way; label: string }[] = [
    { way: "token", label: "Sign in with a token" },
    { way: "provider", label: "Sign in with your company account" },
    { way: "invitation", label: "Join with an invitation" },
    { way: "team", label: "Start a team" },
  ];
  return (
    <main id="main" class="narrow">
      <h1>Stride</h1>
      <p class="muted">Marketing as a marathon: a big goal, small steps, a steady pace.</p>
      <ErrorNote error={error} />
      <Tabs
        label="Ways in"
        tabs={ways.map((w) => ({ value: w.way, label: w.label }))}
        chosen={way}
        onChoose={setWay}
        controls="way"
      />
      <section id="way" role="tabpanel" aria-labelledby={`tab-${way}`} class="card">
        {way === "token" && <WithToken onToken={onToken} />}
        {way === "provider" && <WithProvider />}
        {way === "invitation" && <WithInvitation onToken={onToken} />}
        {way === "team" && <NewTeam onToken={onToken} />}
      </section>
    </main>
  );
}

function WithToken({ onToken }: { onToken: (token: string) => void }) {
  const [secret, setSecret] = useState("");
  return (
    <ActionForm
      label="Sign in with a token"
      submit="Sign in"
      action={async () => {
        const token = secret.trim();
        await ok(client(token).GET("/v1/me", { params: { query: {} } }));
        onToken(token);
      }}
    >
      <Field
        label="Token"
        type="password"
        value={secret}
        onInput={setSecret}
        required
        autoComplete="off"
        hint="Kept in this tab only: closing it signs you out."
      />
    </ActionForm>
  );
}

function WithProvider() {
  const [slug, setSlug] = useState("");
  return (
    <ActionForm label="Sign in with your company account" submit="Continue" action={() => startSignIn(slug)}>
      <Field
        label="Team address"
        value={slug}
        onInput={setSlug}
        required
        maxLength={40}
        hint="Your team's board address, as in /b/<address>; your team's owner has set up its provider."
      />
    </ActionForm>
  );
}

function WithInvitation({ onToken }: { onToken: (token: string) => void }) {
  const [code, setCode] = useState("");
  const [name, setName] = useState("");
  return (
    <ActionForm
      label="Join with an invitation"
      submit="Join the team"
      action={async () => {
        const joined = await ok(
          client().POST("/v1/invitations/accept", { body: { code: code.trim(), name } }),
        );
        onToken(joined.token.secret);
      }}
    >
      <Field label="Invitation code" value={code} onInput={setCode} required maxLength={128} autoComplete="off" />
      <Field label="Your name" value={name} onInput={setName} required maxLength={100} autoComplete="name" />
    </ActionForm>
  );
}

function NewTeam({ onToken }: { onToken: (token: string) => void }) {
  const [team, setTeam] = useState("");
  const [slug, setSlug] = useState("");
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [secret, setSecret] = useState<string | undefined>(undefined);
  if (secret !== undefined) {
    return (
      <div class="stack">
        <p role="status">
          Your team is ready. This is your token; it is shown once, so keep it somewhere safe to
          sign in from another browser:
        </p>
        <code class="secret">{secret}</code>
        <button type="button" onClick={() => onToken(secret)}>
          Open the dashboard
        </button>
      </div>
    );
  }
  return (
    <ActionForm
      label="Start a team"
      submit="Start the team"
      action={async () => {
        const made = await ok(
          client().POST("/v1/teams", {
            body: { name: team, slug: slug.trim(), owner: { name, email: email.trim() } },
          }),
        );
        setSecret(made.token.secret);
      }}
    >
      <Field label="Team name" value={team} onInput={setTeam} required maxLength={100} />
      <Field
        label="Board address"
        value={slug}
        onInput={setSlug}
        required
        maxLength={40}
        hint="3 to 40 lowercase letters, digits and dashes: your public board is /b/<address>."
      />
      <Field label="Your name" value={name} onInput={setName} required maxLength={100} autoComplete="name" />
      <Field label="Your email" type="email" value={email} onInput={setEmail} required autoComplete="email" />
    </ActionForm>
  );
}

mount(<App />);
