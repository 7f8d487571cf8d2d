// Channels: the honest assessment of each (grow, keep, review, cut) with the numbers behind
// it, and pausing, retiring or resuming a channel with a reason.

import { useState } from "preact/hooks";

import { ok, quantity, type Schemas } from "../api.js";
import { ActionForm, Badge, Choice, Field, Section, useLoad } from "../ui.js";
import { liveChannels, looking, mayAct, type Context } from "./context.js";
import { AddChannel, RecordMetric } from "./forms.js";

type Assessed = Schemas["ChannelAssessment"];
type Channel = Schemas["ChannelView"];
type ChannelStatus = Schemas["ChannelStatus"];

const TONE: Record<string, string> = { grow: "good", keep: "good", review: "warn", cut: "bad" };

export function Channels({ ctx }: { ctx: Context }) {
  const query = looking(ctx);
  const loaded = useLoad(
    () =>
      ok(
        ctx.api.GET("/v1/teams/{team_id}/channels/assessment", {
          params: { path: { team_id: ctx.teamId }, query },
        }),
      ),
    [ctx.teamId, ctx.asOf, ctx.round],
  );
  const channels = new Map((ctx.team?.channels ?? []).map((c) => [c.id, c]));
  const manages = mayAct(ctx) && (ctx.me.member.role === "owner" || ctx.me.member.role === "admin");
  return (
    <section id="channels" aria-labelledby="channels-title" class="card">
      <h2 id="channels-title">Channels</h2>
      <Section loaded={loaded}>
        {(assessment) => (
          <>
            {assessment.channels.length === 0 && <p class="muted">No channels yet.</p>}
            <p class="muted">Over the last {assessment.window_days} days.</p>
            <div class="table-scroll">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Channel</th>
                    <th scope="col">Status</th>
                    <th scope="col">Advice</th>
                    <th scope="col">Follower growth</th>
                    <th scope="col">Engagement per post</th>
                    <th scope="col">Posts</th>
                    <th scope="col">Why</th>
                  </tr>
                </thead>
                <tbody>
                  {assessment.channels.map((a) => (
                    <Row key={a.channel_id} ctx={ctx} assessed={a} channel={channels.get(a.channel_id)} manages={manages} />
                  ))}
                </tbody>
              </table>
            </div>
            {mayAct(ctx) && (
              <div class="row wrap">
                <details class="more">
                  <summary>Record a measurement</summary>
                  <RecordMetric ctx={ctx} channels={liveChannels(ctx)} />
                </details>
                {manages && (
                  <details class="more">
                    <summary>Add a channel</summary>
                    <AddChannel ctx={ctx} />
                  </details>
                )}
              </div>
            )}
          </>
        )}
      </Section>
    </section>
  );
}

function Row({
  ctx,
  assessed,
  channel,
  manages,
}: {
  ctx: Context;
  assessed: Assessed;
  channel: Channel | undefined;
  manages: boolean;
}) {
  const name = channel === undefined ? assessed.platform : `${assessed.platform} · ${channel.handle}`;
  return (
    <>
      <tr data-channel={assessed.channel_id}>
        <th scope="row">{name}</th>
        <td>{assessed.status}</td>
        <td>
          <Badge tone={TONE[assessed.recommendation] ?? "muted"}>{assessed.recommendation}</Badge>
        </td>
        <td>
          {assessed.follower_growth_pct === null || assessed.follower_growth_pct === undefined
            ? "–"
            : `${quantity(assessed.follower_growth_pct)}%`}
        </td>
        <td>{quantity(assessed.engagement_per_post)}</td>
        <td>{assessed.posts_published}</td>
        <td>
          <ul class="reasons">
            {assessed.reasons.map((r) => (
              <li key={r}>{r}</li>
            ))}
          </ul>
        </td>
      </tr>
      {manages && channel !== undefined && channel.status !== "retired" && (
        <tr class="actions">
          <td colSpan={7}>
            <StatusChange ctx={ctx} channel={channel} name={name} />
          </td>
        </tr>
      )}
    </>
  );
}

function StatusChange({ ctx, channel, name }: { ctx: Context; channel: Channel; name: string }) {
  const choices: { value: ChannelStatus; label: string }[] = (
    [
      { value: "active", label: "Resume" },
      { value: "paused", label: "Pause" },
      { value: "retired", label: "Retire (for good)" },
    ] as const
  ).filter((c) => c.value !== channel.status);
  const [status, setStatus] = useState<ChannelStatus>(choices[0]!.value);
  const [reason, setReason] = useState("");
  return (
    <ActionForm
      class="inline"
      label={`Change the status of ${name}`}
      submit="Change"
      action={async () => {
        await ok(
          ctx.api.PATCH("/v1/teams/{team_id}/channels/{channel_id}", {
            params: {
              path: { team_id: ctx.teamId, channel_id: channel.id },
              header: { "If-Match": `"${channel.version}"` },
            },
            body: { status, reason: reason.trim() === "" ? null : reason },
          }),
        );
        ctx.changed();
      }}
    >
      <Choice label={`New status of ${name}`} value={status} onChange={setStatus} options={choices} />
      <Field label={`Reason for ${name}`} value={reason} onInput={setReason} maxLength={1000} />
    </ActionForm>
  );
}

