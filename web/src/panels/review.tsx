// Posts waiting for review, each approved or sent back with what to change.

import { useState } from "preact/hooks";

import { ok, type Schemas } from "../api.js";
import { ActionForm, Field, Section, useLoad } from "../ui.js";
import { looking, mayAct, type Context } from "./context.js";

type Post = Schemas["PostView"];

export function Review({ ctx }: { ctx: Context }) {
  const { min_position } = looking(ctx);
  const loaded = useLoad(
    () =>
      ok(
        ctx.api.GET("/v1/teams/{team_id}/posts", {
          params: { path: { team_id: ctx.teamId }, query: { status: "in_review", limit: 50, min_position } },
        }),
      ),
    [ctx.teamId, ctx.round],
  );
  const reviews = ctx.me.member.role === "owner" || ctx.me.member.role === "admin";
  return (
    <section id="review" aria-labelledby="review-title" class="card">
      <h2 id="review-title">Posts in review</h2>
      <Section loaded={loaded} empty={(page) => page.items.length === 0}>
        {(page) => (
          <ul class="list">
            {page.items.map((post) => (
              <ReviewItem key={post.id} ctx={ctx} post={post} reviews={reviews && mayAct(ctx)} />
            ))}
          </ul>
        )}
      </Section>
    </section>
  );
}

function ReviewItem({ ctx, post, reviews }: { ctx: Context; post: Post; reviews: boolean }) {
  const [comment, setComment] = useState("");
  const path = { team_id: ctx.teamId, post_id: post.id };
  const ifMatch = { "If-Match": `"${post.version}"` };
  return (
    <li class="item" data-post={post.id}>
      <strong>{post.title}</strong>
      {post.body && <p class="clip">{post.body}</p>}
      {reviews && (
        <div class="row wrap">
          <ActionForm
            class="inline"
            label={`Approve ${post.title}`}
            submit="Approve"
            action={async () => {
              await ok(
                ctx.api.POST("/v1/teams/{team_id}/posts/{post_id}/approve", {
                  params: { path, header: ifMatch },
                  body: {},
                }),
              );
              ctx.changed();
            }}
          />
          <ActionForm
            class="inline"
            label={`Request changes to ${post.title}`}
            submit="Request changes"
            action={async () => {
              await ok(
                ctx.api.POST("/v1/teams/{team_id}/posts/{post_id}/request-changes", {
                  params: { path, header: ifMatch },
                  body: { comment },
                }),
              );
              ctx.changed();
            }}
          >
            <Field label="What to change" value={comment} onInput={setComment} required maxLength={10000} />
          </ActionForm>
        </div>
      )}
    </li>
  );
}
