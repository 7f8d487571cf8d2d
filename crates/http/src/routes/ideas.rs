//! Ideas, team side: a member's own ideas, moderation with reasons (the whole history kept
//! and shown), merging duplicates and undoing a merge.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, post};
use serde::Deserialize;
use stride_app::idea_views::{IdeaDetail, IdeaView, Sort};
use stride_app::ideas;
use stride_domain::idea::{Author, IdeaError, IdeaStatus, NewIdea};
use utoipa::{IntoResponses, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::Reply;
use super::written;
use crate::auth::{Admin, Member, Writer};
use crate::error::{ApiError, Code};
use crate::extract::{ApiJson, ApiQuery, Ctx, IfMatch, PathId};
use crate::page::{Page, page_query};
use crate::schema::{LongText, Reason, Tag, Title};

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(submit_idea)
        .service(list_ideas)
        .service(get_idea)
        .service(change_idea_status)
        .service(merge_idea)
        .service(unmerge_idea)
        .service(erase_contributor_personal_data);
}

impl From<IdeaError> for ApiError {
    fn from(error: IdeaError) -> Self {
        match error {
            IdeaError::AlreadyExists => ApiError::conflict(Code::AlreadyExists, error.to_string()),
            IdeaError::NotFound => ApiError::not_found("idea"),
            IdeaError::BoardClosed => ApiError::conflict(Code::BoardClosed, error.to_string()),
            IdeaError::Merged(_) => ApiError::conflict(Code::IdeaMerged, error.to_string()),
            IdeaError::NotMerged => ApiError::conflict(Code::NotMerged, error.to_string()),
            IdeaError::AlreadyUsed => ApiError::conflict(Code::IdeaUsed, error.to_string()),
            IdeaError::Invalid(invalid) => invalid.into(),
        }
    }
}

/// What submitting an idea answers, on the team's side and on the public board alike: the
/// new idea, its version and the write's position.
#[derive(IntoResponses)]
#[response(status = 201, description = "The idea, submitted.", headers(("ETag" = String)))]
#[allow(dead_code, reason = "it only names the answer in the document")]
pub struct IdeaSubmitted(IdeaView);

/// An idea as a command left it, with its ETag and the write's position.
pub fn answered(status: StatusCode, (idea, position): (IdeaView, i64)) -> HttpResponse {
    written(status, &idea, Some(idea.version), position)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIdeaBody {
    #[schema(value_type = Title)]
    pub title: String,
    #[schema(value_type = Option<LongText>)]
    pub body: Option<String>,
    /// Lowercased, duplicates dropped; at most 10 distinct tags.
    #[serde(default)]
    #[schema(value_type = Vec<Tag>, max_items = 10)]
    pub tags: Vec<String>,
    /// Channels the idea is for, each one of the team's: a boost in suggestions when a goal
    /// there falls behind.
    #[serde(default)]
    pub channel_ids: Vec<Uuid>,
}

/// Submits a member's own idea
///
/// Members, admins and owners put an idea of their own straight onto the team's board,
/// whether or not the board takes ideas from the community; it starts `open`.
#[utoipa::path(tag = "ideas", request_body = NewIdeaBody, responses(IdeaSubmitted),
)]
#[post("/ideas")]
async fn submit_idea(ctx: Ctx, caller: Writer, body: ApiJson<NewIdeaBody>) -> Reply {
    let body = body.0;
    let new = NewIdea {
        idea_id: Uuid::now_v7(),
        title: body.title,
        body: body.body,
        tags: body.tags,
        channel_ids: body.channel_ids,
        author: Author::Member {
            member_id: caller.member_id,
        },
    };
    let origin = ctx.origin(caller.actor());
    let answer = ideas::submit(&ctx.app, &origin, caller.team_id, new).await?;
    Ok(answered(StatusCode::CREATED, answer))
}

page_query! {
    pub struct IdeaQuery {
        /// Only ideas with this status.
        pub status: Option<IdeaStatus>,
        /// Only ideas with this tag (compared lowercased).
        pub tag: Option<String>,
        /// The order: `trending` (votes weighted by age, the default), `top` (most votes) or
        /// `new` (newest first).
        #[serde(default)]
        pub sort: Sort,
        ..page,
    }
}

/// Lists the team's ideas
///
/// Any member may read every idea of the team, declined ones and merged duplicates
/// included (marked by `merged_into`), by status and tag, `trending`, `top` or `new` first.
#[utoipa::path(tag = "ideas", params(IdeaQuery), responses(
    (status = 200, description = "A page of the team's ideas.", body = Page<IdeaView>),
))]
#[get("/ideas")]
async fn list_ideas(ctx: Ctx, caller: Member, query: ApiQuery<IdeaQuery>) -> Reply {
    let (status, tag) = (query.status, query.tag.as_deref());
    let listed = ideas::list(&ctx.app, caller.team_id, status, tag, query.sort).await?;
    Ok(query.answer_keyed(listed))
}

/// Reads one of the team's ideas
///
/// Any member may read an idea with its full status history (each change with its reason)
/// and its comments, those on the duplicates merged into it included. Its `ETag` is what a
/// later status change sends as `If-Match`.
#[utoipa::path(tag = "ideas", responses(
    (status = 200, description = "The idea with its history and comments.", body = IdeaDetail,
        headers(("ETag" = String))),
))]
#[get("/ideas/{idea_id}")]
async fn get_idea(ctx: Ctx, caller: Member, PathId(idea_id): PathId) -> Reply {
    let detail = ideas::detail(&ctx.app, caller.team_id, idea_id).await?;
    Ok(super::read(&detail, detail.idea.version))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdeaStatusBody {
    pub status: ModeratedStatus,
    /// Why: kept with the change and shown in the idea's history.
    #[schema(value_type = Option<Reason>)]
    pub reason: Option<String>,
}

/// The statuses a member may give an idea: `used` comes only from publishing a post made
/// from it.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ModeratedStatus {
    Open,
    UnderReview,
    Planned,
    Declined,
}

impl From<ModeratedStatus> for IdeaStatus {
    fn from(status: ModeratedStatus) -> IdeaStatus {
        match status {
            ModeratedStatus::Open => IdeaStatus::Open,
            ModeratedStatus::UnderReview => IdeaStatus::UnderReview,
            ModeratedStatus::Planned => IdeaStatus::Planned,
            ModeratedStatus::Declined => IdeaStatus::Declined,
        }
    }
}

/// Moderates an idea
///
/// Members, admins and owners give an idea a status with the reason for it: `open`,
/// `under_review`, `planned` or `declined` (declined ideas leave the public board). The
/// whole history is kept and shown. A used idea keeps its status (409 `idea_used`); a
/// duplicate merged into another is moderated there (409 `idea_merged`).
#[utoipa::path(tag = "ideas", request_body = IdeaStatusBody,
    params(IfMatch),
    responses((status = 200, description = "The idea, moderated.", body = IdeaView,
        headers(("ETag" = String)))),
    extensions(("x-problems" = json!(["idea_used", "idea_merged"]))),
)]
#[post("/ideas/{idea_id}/status")]
async fn change_idea_status(
    ctx: Ctx,
    caller: Writer,
    IfMatch(expected): IfMatch,
    PathId(idea_id): PathId,
    body: ApiJson<IdeaStatusBody>,
) -> Reply {
    let origin = ctx.origin(caller.actor());
    let IdeaStatusBody { status, reason } = body.0;
    let status = IdeaStatus::from(status);
    let ids = (caller.team_id, idea_id);
    let answer = ideas::change_status(&ctx.app, &origin, ids, expected, status, reason).await?;
    Ok(answered(StatusCode::OK, answer))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdeaMergeBody {
    /// The idea this one duplicates: another of the team's ideas, not itself merged.
    pub into: Uuid,
}

/// Merges a duplicate into another idea
///
/// Members, admins and owners merge a duplicate into the idea it repeats: its votes count
/// there (each voter once), its comments show there, and it leaves the public lists. An
/// idea merged already is 409 `idea_merged`; unmerge it first.
#[utoipa::path(tag = "ideas", request_body = IdeaMergeBody, responses(
    (status = 200, description = "The duplicate, merged.", body = IdeaView,
        headers(("ETag" = String)))),
    extensions(("x-problems" = json!(["idea_merged"]))),
)]
#[post("/ideas/{idea_id}/merge")]
async fn merge_idea(
    ctx: Ctx,
    caller: Writer,
    PathId(idea_id): PathId,
    body: ApiJson<IdeaMergeBody>,
) -> Reply {
    let origin = ctx.origin(caller.actor());
    let answer = ideas::merge(&ctx.app, &origin, caller.team_id, idea_id, body.0.into).await?;
    Ok(answered(StatusCode::OK, answer))
}

/// Undoes a merge
///
/// Members, admins and owners split a merged duplicate off again: both ideas are as they
/// would be had the merge never happened, votes cast in between included. An idea that is
/// not merged is 409 `not_merged`.
#[utoipa::path(tag = "ideas", responses(
    (status = 200, description = "The idea, no longer merged.", body = IdeaView,
        headers(("ETag" = String)))),
    extensions(("x-problems" = json!(["not_merged"]))),
)]
#[post("/ideas/{idea_id}/unmerge")]
async fn unmerge_idea(ctx: Ctx, caller: Writer, PathId(idea_id): PathId) -> Reply {
    let origin = ctx.origin(caller.actor());
    let answer = ideas::unmerge(&ctx.app, &origin, caller.team_id, idea_id).await?;
    Ok(answered(StatusCode::OK, answer))
}

/// Erases a contributor's personal data
///
/// Owners and admins erase a board contributor's name and e-mail address, which were never
/// in the event log: their ideas, comments and votes stay, anonymous. Erasing again changes
/// nothing.
#[utoipa::path(tag = "ideas", responses(
    (status = 204, description = "Erased."),
))]
#[delete("/contributors/{contributor_id}/personal-data")]
async fn erase_contributor_personal_data(
    ctx: Ctx,
    caller: Admin,
    PathId(contributor_id): PathId,
) -> Reply {
    let position = ideas::erase_contributor(&ctx.app, caller.team_id, contributor_id).await?;
    Ok(super::no_content(None, position))
}

#[cfg(test)]
mod tests {
    use stride_domain::idea;
    use utoipa::PartialSchema;

    use super::*;
    use crate::routes::boards::BoardIdeaBody;

    /// The attribute can only hold a literal: this keeps it the domain's bound.
    #[test]
    fn the_documented_tag_bound_is_the_domains() {
        for schema in [NewIdeaBody::schema(), BoardIdeaBody::schema()] {
            let schema = serde_json::to_value(schema).unwrap();
            assert_eq!(schema["properties"]["tags"]["maxItems"], idea::TAGS_MAX);
        }
    }
}
