// A team's public board at /b/{slug}: trending, top and new ideas; joining (which gives a
// contributor token, kept in this tab); submitting an idea with similar ones shown as you
// type; voting and withdrawing; comments and an idea's status history.

import { useEffect, useMemo, useState } from "preact/hooks";

import { client, day, instant, ok, sentence, tokens, type Schemas, type StrideClient } from "./api.js";
import { ActionForm, Badge, ErrorNote, Field, mount, Section, Tabs, useLoad, Waiting, words } from "./ui.js";

type Idea = Schemas["IdeaView"];
type Sort = Schemas["Sort"];

const slug = decodeURIComponent(window.location.pathname.split("/")[2] ?? "");

/** The ideas this contributor's vote is on, as the API last answered, kept with the token. */
function votedKey(): string {
  return `board.${slug}.voted`;
}

function Board() {
  const [token, setToken] = useState<string | undefined>(() => tokens.get(`board.${slug}`));
  const api = useMemo(() => client(token), [token]);
  const [sort, setSort] = useState<Sort>("trending");
  const [round, setRound] = useState(0);
  const [voted, setVoted] = useState<Set<string>>(
    () => new Set((tokens.get(votedKey()) ?? "").split(",").filter((v) => v !== "")),
  );
  const board = useLoad(() => ok(api.GET("/v1/boards/{slug}", { params: { path: { slug } } })), [api]);
  const ideas = useLoad(
    () => ok(api.GET("/v1/boards/{slug}/ideas", { params: { path: { slug }, query: { sort, limit: 50 } } })),
    [api, sort, round],
  );
  const changed = () => setRound((r) => r + 1);
  const remember = (ideaId: string, on: boolean) => {
    const next = new Set(voted);
    if (on) next.add(ideaId);
    else next.delete(ideaId);
    setVoted(next);
    tokens.set(votedKey(), [...next].join(","));
  };
  if (board.data === undefined) {
    return <Waiting title="Community board" waiting="Loading…" error={board.error} />;
  }
  return (
    <>
      <a class="skip" href="#ideas">
        Skip to the ideas
      </a>
      <header class="top">
        <div class="brand">
          <strong>{board.data.name}</strong>
          <span class="muted">Community board</span>
        </div>
      </header>
      <main id="main">
        <div class="columns">
          <section aria-labelledby="share-title" class="card">
            <h2 id="share-title">Share an idea</h2>
            {token === undefined ? (
              <Join
                onToken={(secret) => {
                  tokens.set(`board.${slug}`, secret);
                  setToken(secret);
                }}
              />
            ) : board.data.accepting_ideas ? (
              <Submit api={api} onSubmitted={changed} />
            ) : (
              <p class="muted">This board is not taking new ideas right now; votes and comments are welcome.</p>
            )}
          </section>
          <section id="ideas" aria-labelledby="ideas-title" class="card wide">
            <div class="row spread">
              <h2 id="ideas-title">Ideas</h2>
              <Tabs
                label="Order"
                tabs={[
                  { value: "trending", label: "Trending" },
                  { value: "top", label: "Top" },
                  { value: "new", label: "New" },
                ]}
                chosen={sort}
                onChoose={setSort}
                controls="idea-list"
              />
            </div>
            <div id="idea-list" role="tabpanel" aria-labelledby={`tab-${sort}`}>
              <Section loaded={ideas} empty={(page) => page.items.length === 0}>
                {(page) => (
                  <ol class="list">
                    {page.items.map((idea) => (
                      <IdeaItem
                        key={idea.id}
                        api={api}
                        idea={idea}
                        joined={token !== undefined}
                        voted={voted.has(idea.id)}
                        onVoted={(on) => {
                          remember(idea.id, on);
                          changed();
                        }}
                        onChanged={changed}
                      />
                    ))}
                  </ol>
                )}
              </Section>
            </div>
          </section>
        </div>
      </main>
    </>
  );
}

function Join({ onToken }: { onToken: (token: string) => void }) {
  const [name, setName] = useState("");
  return (
    <ActionForm
      label="Join the board"
      submit="Join the board"
      action={async () => {
        const joined = await ok(
          client().POST("/v1/boards/{slug}/contributors", {
            params: { path: { slug } },
            body: { name: name.trim() === "" ? null : name },
          }),
        );
        onToken(joined.token.secret);
      }}
    >
      <p class="muted">Join to submit ideas, vote and comment. No account or email needed.</p>
      <Field label="Your name (shown with your ideas)" value={name} onInput={setName} maxLength={100} autoComplete="nickname" />
    </ActionForm>
  );
}

function Submit({ api, onSubmitted }: { api: StrideClient; onSubmitted: () => void }) {
  const [title, setTitle] = useState("");
  const [body, setBody] = useState("");
  const [tags, setTags] = useState("");
  const [similar, setSimilar] = useState<Idea[]>([]);
  // Similar ideas as the title is typed, so that a vote can go to one that exists.
  useEffect(() => {
    const wanted = title.trim();
    if (wanted.length < 3) {
      setSimilar([]);
      return;
    }
    const timer = window.setTimeout(() => {
      ok(api.GET("/v1/boards/{slug}/ideas/similar", { params: { path: { slug }, query: { title: wanted } } })).then(
        setSimilar,
        () => setSimilar([]),
      );
    }, 250);
    return () => window.clearTimeout(timer);
  }, [api, title]);
  return (
    <ActionForm
      label="Submit an idea"
      submit="Submit the idea"
      done="Thank you: your idea is on the board."
      action={async () => {
        await ok(
          api.POST("/v1/boards/{slug}/ideas", {
            params: { path: { slug } },
            body: {
              title,
              body: body.trim() === "" ? null : body,
              tags: tags
                .split(",")
                .map((t) => t.trim())
                .filter((t) => t !== ""),
            },
          }),
        );
        setTitle("");
        setBody("");
        setTags("");
        onSubmitted();
      }}
    >
      <Field label="Idea" value={title} onInput={setTitle} required maxLength={200} />
      {similar.length > 0 && (
        <div class="similar" aria-live="polite">
          <p class="muted">Similar ideas already on the board:</p>
          <ul>
            {similar.slice(0, 5).map((idea) => (
              <li key={idea.id}>
                {idea.title} <span class="muted">({idea.vote_count} votes)</span>
              </li>
            ))}
          </ul>
        </div>
      )}
      <Field label="Details (optional)" value={body} onInput={setBody} maxLength={10000} multiline />
      <Field label="Tags (optional, comma-separated)" value={tags} onInput={setTags} maxLength={330} />
    </ActionForm>
  );
}

const IDEA_TONE: Record<string, string> = {
  open: "muted",
  under_review: "warn",
  planned: "good",
  used: "good",
  declined: "bad",
};

function IdeaItem({
  api,
  idea,
  joined,
  voted,
  onVoted,
  onChanged,
}: {
  api: StrideClient;
  idea: Idea;
  joined: boolean;
  voted: boolean;
  onVoted: (on: boolean) => void;
  onChanged: () => void;
}) {
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const vote = async () => {
    setBusy(true);
    setError(undefined);
    const path = { slug, idea_id: idea.id };
    try {
      const answer = voted
        ? await ok(api.DELETE("/v1/boards/{slug}/ideas/{idea_id}/vote", { params: { path } }))
        : await ok(api.PUT("/v1/boards/{slug}/ideas/{idea_id}/vote", { params: { path } }));
      onVoted(answer.voted);
    } catch (failure) {
      setError(sentence(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <li class="item idea" data-idea={idea.id}>
      <div class="vote">
        <span class="count" aria-label={`${idea.vote_count} votes`}>
          {idea.vote_count}
        </span>
        {joined && (
          <button type="button" aria-pressed={voted} disabled={busy} onClick={vote} aria-label={`${voted ? "Withdraw your vote from" : "Vote for"} ${idea.title}`}>
            {voted ? "Withdraw" : "Vote"}
          </button>
        )}
      </div>
      <div class="grow">
        <div class="item-head">
          <strong>{idea.title}</strong>
          <Badge tone={IDEA_TONE[idea.status] ?? "muted"}>{words(idea.status)}</Badge>
        </div>
        <p class="muted">
          {idea.author.name ?? "Someone"} · {day(idea.submitted_at.slice(0, 10))} · {idea.comment_count}{" "}
          {idea.comment_count === 1 ? "comment" : "comments"}
          {idea.tags.length > 0 ? ` · ${idea.tags.map((t) => `#${t}`).join(" ")}` : ""}
        </p>
        <ErrorNote error={error} />
        <button type="button" class="quiet" aria-expanded={open} onClick={() => setOpen(!open)}>
          {open ? "Hide details" : "Details and comments"}
        </button>
        {open && <Detail api={api} idea={idea} joined={joined} onChanged={onChanged} />}
      </div>
    </li>
  );
}

function Detail({
  api,
  idea,
  joined,
  onChanged,
}: {
  api: StrideClient;
  idea: Idea;
  joined: boolean;
  onChanged: () => void;
}) {
  const [round, setRound] = useState(0);
  const [comment, setComment] = useState("");
  const detail = useLoad(
    () => ok(api.GET("/v1/boards/{slug}/ideas/{idea_id}", { params: { path: { slug, idea_id: idea.id } } })),
    [api, idea.id, idea.version, round],
  );
  return (
    <div class="detail">
      <Section loaded={detail}>
        {(d) => (
          <>
            {d.body && <p>{d.body}</p>}
            <h3 class="small">Status history</h3>
            {d.history.length === 0 ? (
              <p class="muted">Open since {instant(d.submitted_at)}.</p>
            ) : (
              <ol class="history">
                {d.history.map((h) => (
                  <li key={h.at}>
                    {words(h.status)} on {instant(h.at)}
                    {h.reason ? `: ${h.reason}` : ""}
                  </li>
                ))}
              </ol>
            )}
            <h3 class="small">Comments</h3>
            {d.comments.length === 0 ? (
              <p class="muted">No comments yet.</p>
            ) : (
              <ul class="comments">
                {d.comments.map((c) => (
                  <li key={c.id}>
                    <strong>{c.author.name ?? (c.author.kind === "member" ? "The team" : "Someone")}</strong>{" "}
                    <span class="muted">{instant(c.at)}</span>
                    <p>{c.body}</p>
                  </li>
                ))}
              </ul>
            )}
          </>
        )}
      </Section>
      {joined && (
        <ActionForm
          label={`Comment on ${idea.title}`}
          submit="Comment"
          action={async () => {
            await ok(
              api.POST("/v1/boards/{slug}/ideas/{idea_id}/comments", {
                params: { path: { slug, idea_id: idea.id } },
                body: { body: comment },
              }),
            );
            setComment("");
            setRound((r) => r + 1);
            onChanged();
          }}
        >
          <Field label="Your comment" value={comment} onInput={setComment} required maxLength={10000} multiline />
        </ActionForm>
      )}
    </div>
  );
}

mount(<Board />);
