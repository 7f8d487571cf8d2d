// Suggestions: the board's ideas ranked for the team now, each with its reasons, and a draft
// post made from one in a click.

import { useState } from "preact/hooks";

import { ok, type Schemas } from "../api.js";
import { ActionForm, Choice, Field, Section, useLoad } from "../ui.js";
import { looking, mayAct, type Context } from "./context.js";
import { channelOptions, chosenChannel } from "./forms.js";

type Suggestion = Schemas["Suggestion"];
type Channel = Schemas["ChannelView"];

export function Suggestions({ ctx }: { ctx: Context }) {
  const query = looking(ctx);
  const loaded = useLoad(
    () =>
      ok(
        ctx.api.GET("/v1/teams/{team_id}/suggestions", {
          params: { path: { team_id: ctx.teamId }, query: { ...query, limit: 10 } },
        }),
      ),
    [ctx.teamId, ctx.asOf, ctx.round],
  );
  // Posts go out on active channels only.
  const channels = ctx.team?.channels.filter((c) => c.status === "active") ?? [];
  return (
    <section id="suggestions" aria-labelledby="suggestions-title" class="card">
      <h2 id="suggestions-title">Suggestions</h2>
      <Section loaded={loaded} empty={(suggestions) => suggestions.items.length === 0}>
        {(suggestions) => (
          <ol class="list">
            {suggestions.items.map((s) => (
              <SuggestionItem key={s.idea_id} ctx={ctx} suggestion={s} channels={channels} />
            ))}
          </ol>
        )}
      </Section>
    </section>
  );
}

function SuggestionItem({
  ctx,
  suggestion,
  channels,
}: {
  ctx: Context;
  suggestion: Suggestion;
  channels: Channel[];
}) {
  const [drafting, setDrafting] = useState(false);
  const [title, setTitle] = useState(suggestion.title);
  const [picked, setChannel] = useState("");
  const channel = chosenChannel(channels, picked);
  return (
    <li class="item" data-idea={suggestion.idea_id}>
      <div class="item-head">
        <strong>{suggestion.title}</strong>
        <span class="muted">
          {suggestion.vote_count} {suggestion.vote_count === 1 ? "vote" : "votes"}
        </span>
      </div>
      <ul class="reasons">
        {suggestion.reasons.map((reason) => (
          <li key={reason}>{reason}</li>
        ))}
      </ul>
      {mayAct(ctx) && channels.length > 0 && !drafting && (
        <button type="button" class="quiet" onClick={() => setDrafting(true)}>
          Draft a post from this idea
        </button>
      )}
      {drafting && (
        <ActionForm
          label={`Draft a post from ${suggestion.title}`}
          submit="Save the draft"
          done="Draft saved."
          action={async () => {
            await ok(
              ctx.api.POST("/v1/teams/{team_id}/posts", {
                params: { path: { team_id: ctx.teamId } },
                body: { channel_id: channel, title, idea_id: suggestion.idea_id },
              }),
            );
            ctx.changed();
          }}
        >
          <Field label="Post title" value={title} onInput={setTitle} required maxLength={200} />
          <Choice
            label="Channel"
            value={channel}
            onChange={setChannel}
            options={channelOptions(channels)}
          />
        </ActionForm>
      )}
    </li>
  );
}
