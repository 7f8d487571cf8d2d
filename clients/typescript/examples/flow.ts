// A frontend's first conversation with Stride, written as a frontend would write it with
// `@stride/client`: sign up a team, invite a teammate who joins with a token of their own, set
// a goal, join the team's public board as an anonymous contributor, submit an idea and vote
// on it, then read the team's progress.
// Every answer is checked; any surprise stops the flow with a non-zero exit.
//
//   STRIDE_URL=http://127.0.0.1:8080 npm run example
//   bash scripts/example-on-fresh-server.sh      (starts a server of its own, then runs this)

import { createStrideClient, idempotencyKey, newIdempotencyKey } from "../src/index.js";

const baseUrl = process.env.STRIDE_URL ?? "http://127.0.0.1:8080";

class Surprise extends Error {}

function check(condition: boolean, what: string): asserts condition {
  if (!condition) throw new Surprise(what);
}

/** Awaits a call that must answer `status`, and returns its typed body and response. */
async function expect<D>(
  status: number,
  what: string,
  call: Promise<{ data?: D; error?: unknown; response: Response }>,
): Promise<{ data: D; response: Response }> {
  const { data, error, response } = await call;
  if (response.status !== status || data === undefined) {
    const body = JSON.stringify(error ?? data ?? null);
    throw new Surprise(`${what}: expected ${status}, got ${response.status} ${body}`);
  }
  return { data, response };
}

function day(offset: number): string {
  const date = new Date(Date.now() + offset * 86_400_000);
  return date.toISOString().slice(0, 10);
}

async function flow(): Promise<void> {
  const anonymous = createStrideClient({ baseUrl });
  const slug = `flow-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;

  // Sign-up needs no token and answers the owner's, shown this once.
  const { data: signedUp } = await expect(
    201,
    "sign up",
    anonymous.POST("/v1/teams", {
      body: { name: "Acme Coffee", slug, owner: { name: "Olivia", email: "olivia@example.com" } },
    }),
  );
  check(signedUp.team.slug === slug, `the team's slug is ${signedUp.team.slug}`);
  check(signedUp.member.role === "owner", `the first member is ${signedUp.member.role}`);
  check(signedUp.token.secret.length > 0, "the owner's token is empty");
  const signedUpAt = anonymous.position;
  check(signedUpAt !== undefined, "sign-up answered no Stride-Position");
  const team = signedUp.team.id;
  const owner = anonymous.withToken(signedUp.token.secret);
  console.log(`ok signed up team ${slug} (position ${signedUpAt})`);

  const refused = await anonymous.GET("/v1/teams/{team_id}", {
    params: { path: { team_id: team } },
  });
  check(
    refused.response.status === 401,
    `reading the team without a token: ${refused.response.status}`,
  );
  check(refused.error?.code === "unauthorized", `the problem's code is ${refused.error?.code}`);
  console.log("ok without a token the team answers 401 unauthorized");

  // One key per logical write: a retry with the same key and body replays the first answer.
  const inviteBen = newIdempotencyKey();
  const benInvitation = { email: "ben@example.com", role: "member" as const, name: "Ben" };
  const { data: invited } = await expect(
    201,
    "invite a teammate",
    owner.POST("/v1/teams/{team_id}/invitations", {
      params: { path: { team_id: team } },
      body: benInvitation,
      headers: idempotencyKey(inviteBen),
    }),
  );
  check(invited.role === "member", `Ben is invited as ${invited.role}`);
  const { data: again, response: replay } = await expect(
    201,
    "invite again with the same key",
    owner.POST("/v1/teams/{team_id}/invitations", {
      params: { path: { team_id: team } },
      body: benInvitation,
      headers: idempotencyKey(inviteBen),
    }),
  );
  check(again.id === invited.id, "the retry made a second invitation");
  check(replay.headers.get("Idempotent-Replayed") === "true", "the retry was not marked replayed");
  // Ben accepts the code he was sent, without a token, and gets his own.
  const { data: benJoined } = await expect(
    201,
    "accept the invitation",
    anonymous.POST("/v1/invitations/accept", { body: { code: invited.code, name: "Ben" } }),
  );
  check(benJoined.member.role === "member", `Ben joined as ${benJoined.member.role}`);
  const ben = anonymous.withToken(benJoined.token.secret);
  const { data: teamView } = await expect(
    200,
    "read the team as Ben",
    ben.GET("/v1/teams/{team_id}", { params: { path: { team_id: team } } }),
  );
  check(teamView.members.length === 2, `the team has ${teamView.members.length} members`);
  const used = await anonymous.POST("/v1/invitations/accept", {
    body: { code: invited.code, name: "Ben" },
  });
  check(used.response.status === 404, `a used code answers ${used.response.status}`);
  check(used.error?.code === "invitation_invalid", `the problem's code is ${used.error?.code}`);
  console.log("ok invited Ben, who joined with his own token; the retry was replayed, the code used up");

  const { data: goal } = await expect(
    201,
    "set a goal",
    owner.POST("/v1/teams/{team_id}/goals", {
      params: { path: { team_id: team } },
      body: {
        title: "Publish three posts a week",
        horizon: "short",
        starts_on: day(0),
        due_on: day(27),
        target: { kind: "cadence", count: 3, period: "week" },
      },
      headers: idempotencyKey(),
    }),
  );
  check(goal.status === "active", `the new goal is ${goal.status}`);
  check(goal.target?.kind === "cadence" && goal.target.count === 3, "the goal's target changed");
  console.log(`ok set the goal "${goal.title}"`);

  // The community side: a fan joins the public board without an account.
  const { data: board } = await expect(
    200,
    "open the board",
    anonymous.GET("/v1/boards/{slug}", { params: { path: { slug } } }),
  );
  check(board.accepting_ideas, "the board takes no ideas");
  const { data: joined } = await expect(
    201,
    "join the board",
    anonymous.POST("/v1/boards/{slug}/contributors", {
      params: { path: { slug } },
      body: { name: "Fiona" },
    }),
  );
  const fan = anonymous.withToken(joined.token.secret);
  console.log(`ok joined the board of ${board.name} as ${joined.contributor.name ?? "someone"}`);

  const { data: idea } = await expect(
    201,
    "submit an idea",
    fan.POST("/v1/boards/{slug}/ideas", {
      params: { path: { slug } },
      body: {
        title: "Latte art Fridays",
        body: "A short video of each Friday's best cup.",
        tags: ["video"],
      },
      headers: idempotencyKey(),
    }),
  );
  check(idea.status === "open", `the new idea is ${idea.status}`);
  check(idea.vote_count === 0, `the new idea has ${idea.vote_count} votes`);
  const vote = () =>
    fan.PUT("/v1/boards/{slug}/ideas/{idea_id}/vote", {
      params: { path: { slug, idea_id: idea.id } },
    });
  const { data: voted } = await expect(200, "vote", vote());
  check(voted.voted && voted.vote_count === 1, `after the vote: ${JSON.stringify(voted)}`);
  const { data: votedAgain } = await expect(200, "vote again", vote());
  check(votedAgain.vote_count === 1, `voting twice counts ${votedAgain.vote_count}`);
  const votedAt = fan.position;
  check(votedAt !== undefined && BigInt(votedAt) > BigInt(signedUpAt), "no newer position");
  console.log(`ok submitted "${idea.title}" and voted for it (twice, counted once)`);

  // Reads send the highest position seen (the vote's), so they include the vote just made.
  const { data: top } = await expect(
    200,
    "list the board's ideas",
    anonymous.GET("/v1/boards/{slug}/ideas", {
      params: { path: { slug }, query: { sort: "top" } },
    }),
  );
  const listed = top.items.find((item) => item.id === idea.id);
  check(listed !== undefined, "the idea is not on the board");
  check(listed.vote_count === 1, `the board shows ${listed.vote_count} votes`);
  console.log("ok the board lists the idea with its vote");

  const { data: progress } = await expect(
    200,
    "read the team's progress",
    owner.GET("/v1/teams/{team_id}/progress", { params: { path: { team_id: team } } }),
  );
  const mine = progress.goals.find((g) => g.goal_id === goal.id);
  check(mine !== undefined, "the goal is missing from the progress");
  check(mine.horizon === "short" && mine.title === goal.title, "the goal reads back changed");
  check(
    mine.progress === 0 && mine.current === 0,
    `progress ${mine.progress}, current ${mine.current}`,
  );
  check(
    mine.streak === 0 && mine.period_count === 0,
    `streak ${mine.streak}, periods ${mine.period_count}`,
  );
  check(["on_track", "at_risk", "behind"].includes(mine.status), `the goal is ${mine.status}`);
  check(progress.pace === "stalled", `nothing published yet, but the pace is ${progress.pace}`);
  check(progress.posts.published_this_week === 0, "posts were published");
  check(progress.ideas.open === 1, `${progress.ideas.open} open ideas`);
  console.log(
    `ok progress: pace ${progress.pace}, goal ${mine.status}, ${progress.ideas.open} open idea`,
  );
}

flow().then(
  () => console.log("flow passed"),
  (error: unknown) => {
    console.error(`flow failed: ${error instanceof Error ? error.message : String(error)}`);
    if (!(error instanceof Surprise)) console.error(error);
    process.exit(1);
  },
);
