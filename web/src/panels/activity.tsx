// The activity feed, in sentences, newest first; new lines arrive over the live stream.

import { instant, ok } from "../api.js";
import { Section, useLoad } from "../ui.js";
import { looking, type Context } from "./context.js";

export function Activity({ ctx, live }: { ctx: Context; live: boolean }) {
  const { min_position } = looking(ctx);
  // Looking back, the feed is read as it stood then: the lines recorded by that instant.
  const loaded = useLoad(
    () =>
      ok(
        ctx.api.GET("/v1/teams/{team_id}/activity", {
          params: {
            path: { team_id: ctx.teamId },
            query: { limit: 50, min_position, ...(ctx.asOf === undefined ? {} : { known_at: ctx.asOf }) },
          },
        }),
      ),
    [ctx.teamId, ctx.asOf, ctx.round],
  );
  return (
    <section id="activity" aria-labelledby="activity-title" class="card">
      <div class="row spread">
        <h2 id="activity-title">Activity</h2>
        <span class={live ? "live on" : "live"} role="status">
          {live ? "Live" : "Connecting…"}
        </span>
      </div>
      <Section loaded={loaded}>
        {(page) => {
          const items = page.items;
          return items.length === 0 ? (
            <p class="muted">{ctx.asOf === undefined ? "Nothing has happened yet." : "Nothing had happened by then."}</p>
          ) : (
            // Scrolls on its own, and takes the keyboard's focus to be scrolled with it.
            <ol class="feed" aria-live="polite" aria-label="Latest activity" tabIndex={0}>
              {items.map((item) => (
                <li key={item.position} data-position={item.position}>
                  <span>{item.text}</span>
                  <time class="muted" dateTime={item.at}>
                    {instant(item.at)}
                  </time>
                </li>
              ))}
            </ol>
          );
        }}
      </Section>
    </section>
  );
}
