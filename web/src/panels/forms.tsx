// The dashboard's forms for what a team sets up by hand: a channel, a goal, a measurement.

import { useState } from "preact/hooks";

import { ok, type Schemas } from "../api.js";
import { ActionForm, Choice, Field } from "../ui.js";
import type { Context } from "./context.js";

type Channel = Schemas["ChannelView"];
type Platform = Schemas["Platform"];
type Metric = Schemas["Metric"];
type Period = Schemas["Period"];

const PLATFORMS: Platform[] = [
  "instagram",
  "tiktok",
  "youtube",
  "linkedin",
  "twitter",
  "facebook",
  "pinterest",
  "blog",
  "newsletter",
  "other",
];
const METRICS: Metric[] = ["followers", "subscribers", "likes", "shares", "comments", "clicks", "traffic", "views"];

const options = <T extends string>(values: T[]) => values.map((value) => ({ value, label: value }));

/** Channels as a choice: each by its platform and handle. */
export function channelOptions(channels: Channel[]): { value: string; label: string }[] {
  return channels.map((c) => ({ value: c.id, label: `${c.platform} · ${c.handle}` }));
}

/** The channel chosen, or the first one while none is (channels may arrive after the form). */
export function chosenChannel(channels: Channel[], chosen: string): string {
  return channels.some((c) => c.id === chosen) ? chosen : (channels[0]?.id ?? "");
}

function today(offsetDays = 0): string {
  return new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
}

export function AddChannel({ ctx }: { ctx: Context }) {
  const [platform, setPlatform] = useState<Platform>("instagram");
  const [handle, setHandle] = useState("");
  return (
    <ActionForm
      class="inline"
      label="Add a channel"
      submit="Add the channel"
      done="Channel added."
      action={async () => {
        await ok(
          ctx.api.POST("/v1/teams/{team_id}/channels", {
            params: { path: { team_id: ctx.teamId } },
            body: { platform, handle },
          }),
        );
        setHandle("");
        ctx.changed();
      }}
    >
      <Choice label="Platform" value={platform} onChange={setPlatform} options={options(PLATFORMS)} />
      <Field label="Handle" value={handle} onInput={setHandle} required maxLength={100} />
    </ActionForm>
  );
}

export function RecordMetric({ ctx, channels }: { ctx: Context; channels: Channel[] }) {
  const [picked, setChannel] = useState("");
  const channel = chosenChannel(channels, picked);
  const [metric, setMetric] = useState<Metric>("followers");
  const [value, setValue] = useState("");
  const [on, setOn] = useState(today());
  return (
    <ActionForm
      class="inline"
      label="Record a measurement"
      submit="Record"
      done="Recorded."
      action={async () => {
        await ok(
          ctx.api.POST("/v1/teams/{team_id}/metrics", {
            params: { path: { team_id: ctx.teamId } },
            body: {
              observations: [{ channel_id: channel, metric, value: Number(value), observed_at: `${on}T12:00:00Z` }],
            },
          }),
        );
        setValue("");
        ctx.changed();
      }}
    >
      <Choice
        label="Measured channel"
        value={channel}
        onChange={setChannel}
        options={channelOptions(channels)}
      />
      <Choice label="Metric" value={metric} onChange={setMetric} options={options(METRICS)} />
      <Field label="Value" type="number" value={value} onInput={setValue} required />
      <Field label="Measured on" type="date" value={on} onInput={setOn} required />
    </ActionForm>
  );
}

type Kind = "metric" | "cadence";

export function SetGoal({ ctx, channels }: { ctx: Context; channels: Channel[] }) {
  const [title, setTitle] = useState("");
  const [picked, setKind] = useState<Kind>("metric");
  // A metric needs a channel to be measured on.
  const kind: Kind = channels.length > 0 ? picked : "cadence";
  const [pickedChannel, setChannel] = useState("");
  const channel = chosenChannel(channels, pickedChannel);
  const [metric, setMetric] = useState<Metric>("followers");
  const [baseline, setBaseline] = useState("");
  const [reach, setReach] = useState("");
  const [count, setCount] = useState("3");
  const [period, setPeriod] = useState<Period>("week");
  const [starts, setStarts] = useState(today());
  const [due, setDue] = useState(today(30));
  const target =
    kind === "metric"
      ? {
          kind: "metric" as const,
          channel_id: channel,
          metric,
          reach: Number(reach),
          ...(baseline.trim() === "" ? {} : { baseline: Number(baseline) }),
        }
      : { kind: "cadence" as const, count: Number(count), period };
  return (
    <ActionForm
      class="stack"
      label="Set a goal"
      submit="Set the goal"
      done="Goal set."
      action={async () => {
        await ok(
          ctx.api.POST("/v1/teams/{team_id}/goals", {
            params: { path: { team_id: ctx.teamId } },
            body: { title, horizon: "long", starts_on: starts, due_on: due, target },
          }),
        );
        setTitle("");
        ctx.changed();
      }}
    >
      <div class="row wrap">
        <Field label="Goal" value={title} onInput={setTitle} required maxLength={200} />
        <Choice
          label="Measured by"
          value={kind}
          onChange={setKind}
          options={[
            ...(channels.length > 0 ? [{ value: "metric" as const, label: "a metric to reach" }] : []),
            { value: "cadence" as const, label: "a posting cadence" },
          ]}
        />
        {kind === "metric" ? (
          <>
            <Choice
              label="Goal channel"
              value={channel}
              onChange={setChannel}
              options={channelOptions(channels)}
            />
            <Choice label="Goal metric" value={metric} onChange={setMetric} options={options(METRICS)} />
            <Field label="Starting from" type="number" value={baseline} onInput={setBaseline} hint="Blank: the latest measurement." />
            <Field label="Reach" type="number" value={reach} onInput={setReach} required />
          </>
        ) : (
          <>
            <Field label="Posts" type="number" value={count} onInput={setCount} required />
            <Choice
              label="Every"
              value={period}
              onChange={setPeriod}
              options={[
                { value: "week", label: "week" },
                { value: "month", label: "month" },
              ]}
            />
          </>
        )}
        <Field label="Starts on" type="date" value={starts} onInput={setStarts} required />
        <Field label="Due on" type="date" value={due} onInput={setDue} required />
      </div>
    </ActionForm>
  );
}
