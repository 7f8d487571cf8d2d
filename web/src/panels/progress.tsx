// Progress: the team's pace and counts, and each goal with its status, its burn-up chart
// (metric goals) or its streak of periods (cadence goals), and its steps.

import { ok, percent, quantity, type Schemas } from "../api.js";
import { BurnUp, Streak } from "../charts.js";
import { Badge, Section, useLoad, words } from "../ui.js";
import { liveChannels, looking, mayAct, type Context } from "./context.js";
import { SetGoal } from "./forms.js";

type GoalProgress = Schemas["GoalProgressView"];
type Goal = Schemas["GoalView"];

const STATUS_TONE: Record<string, string> = {
  on_track: "good",
  ahead: "good",
  achieved: "good",
  at_risk: "warn",
  behind: "bad",
  missed: "bad",
  abandoned: "muted",
};

export function Progress({ ctx }: { ctx: Context }) {
  const query = looking(ctx);
  const loaded = useLoad(async () => {
    const [progress, goals] = await Promise.all([
      ok(ctx.api.GET("/v1/teams/{team_id}/progress", { params: { path: { team_id: ctx.teamId }, query } })),
      ok(
        ctx.api.GET("/v1/teams/{team_id}/goals", {
          params: { path: { team_id: ctx.teamId }, query: { limit: 200, min_position: query.min_position } },
        }),
      ),
    ]);
    return { progress, goals: new Map(goals.items.map((g) => [g.id, g])) };
  }, [ctx.teamId, ctx.asOf, ctx.round]);
  return (
    <section id="progress" aria-labelledby="progress-title" class="card">
      <h2 id="progress-title">Progress</h2>
      <Section loaded={loaded}>
        {({ progress, goals }) => (
          <>
            <dl class="facts">
              <div>
                <dt>Pace</dt>
                <dd>
                  <Badge tone={progress.pace === "steady" ? "good" : progress.pace === "stalled" ? "bad" : "warn"}>
                    {progress.pace}
                  </Badge>
                </dd>
              </div>
              <div>
                <dt>Published this week</dt>
                <dd>{progress.posts.published_this_week}</dd>
              </div>
              <div>
                <dt>Scheduled, next 7 days</dt>
                <dd>{progress.posts.scheduled_next_7_days}</dd>
              </div>
              <div>
                <dt>Ideas open</dt>
                <dd>{progress.ideas.open + progress.ideas.under_review}</dd>
              </div>
              <div>
                <dt>Ideas planned</dt>
                <dd>{progress.ideas.planned}</dd>
              </div>
            </dl>
            {progress.goals.length === 0 ? (
              <p class="muted">No goals yet: a big one, and the small steps toward it.</p>
            ) : (
              <ul class="goals">
                {progress.goals.map((goal) => (
                  <GoalCard key={goal.goal_id} ctx={ctx} goal={goal} goals={goals} level={3} />
                ))}
              </ul>
            )}
            {mayAct(ctx) && (
              <details class="more">
                <summary>Set a goal</summary>
                <SetGoal ctx={ctx} channels={liveChannels(ctx)} />
              </details>
            )}
          </>
        )}
      </Section>
    </section>
  );
}

function GoalCard({
  ctx,
  goal,
  goals,
  level,
}: {
  ctx: Context;
  goal: GoalProgress;
  goals: Map<string, Goal>;
  level: 3 | 4;
}) {
  const defined = goals.get(goal.goal_id);
  const Heading = level === 3 ? "h3" : "h4";
  const kind = goal.period_count !== null && goal.period_count !== undefined
    ? "cadence"
    : goal.baseline !== null && goal.baseline !== undefined
      ? "metric"
      : "steps";
  return (
    <li class="goal" data-goal={goal.goal_id}>
      <div class="goal-head">
        <Heading>{goal.title}</Heading>
        <Badge tone={STATUS_TONE[goal.status] ?? "muted"}>{words(goal.status)}</Badge>
      </div>
      <p class="muted">
        {kind === "cadence"
          ? `${quantity(goal.current)} of ${quantity(goal.target_value)} this period · streak ${goal.streak ?? 0} (best ${goal.best_streak ?? 0})`
          : `${percent(goal.progress)} done, ${percent(goal.expected)} expected by now`}
        {kind === "metric" && goal.current !== null && goal.current !== undefined
          ? ` · now ${quantity(goal.current)} of ${quantity(goal.target_value)}`
          : ""}
        {goal.forecast?.projected_completion_on
          ? ` · on this trend, reached ${goal.forecast.projected_completion_on}`
          : ""}
      </p>
      {defined !== undefined && kind !== "steps" && <GoalChart ctx={ctx} goal={goal} defined={defined} kind={kind} />}
      {goal.children.length > 0 && (
        <ul class="goals steps" aria-label={`Steps toward ${goal.title}`}>
          {goal.children.map((child) => (
            <GoalCard key={child.goal_id} ctx={ctx} goal={child} goals={goals} level={4} />
          ))}
        </ul>
      )}
    </li>
  );
}

function GoalChart({
  ctx,
  goal,
  defined,
  kind,
}: {
  ctx: Context;
  goal: GoalProgress;
  defined: Goal;
  kind: "metric" | "cadence";
}) {
  const query = looking(ctx);
  const detail = useLoad(
    () =>
      ok(
        ctx.api.GET("/v1/teams/{team_id}/goals/{goal_id}/progress", {
          params: { path: { team_id: ctx.teamId, goal_id: goal.goal_id }, query },
        }),
      ),
    [ctx.teamId, goal.goal_id, ctx.asOf, ctx.round],
  );
  return (
    <Section loaded={detail}>
      {(d) =>
        kind === "metric" ? (
          <BurnUp
            data={{
              title: goal.title,
              startsOn: defined.starts_on,
              dueOn: defined.due_on,
              baseline: d.baseline ?? 0,
              target: d.target_value ?? 0,
              points: d.burn_up,
              forecast: d.forecast?.projected_value ?? null,
            }}
          />
        ) : (
          <Streak periods={d.periods} count={d.target_value ?? 1} />
        )
      }
    </Section>
  );
}
