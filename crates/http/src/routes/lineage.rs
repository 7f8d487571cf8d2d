//! Credit and lineage: which community contributors brought the ideas that got used, and
//! what became of an idea (idea -> posts -> metrics -> goals).

use actix_web::{HttpResponse, get};
use stride_app::lineage::{self, Credit, Impact};
use utoipa_actix_web::service_config::ServiceConfig;

use super::Reply;
use crate::auth::Member;
use crate::extract::{ApiQuery, Ctx, PathId};
use crate::page::{Page, page_query};
use crate::time_travel::WhenQuery;

pub fn configure(config: &mut ServiceConfig) {
    config.service(list_contributors).service(get_idea_impact);
}

page_query! {
    pub struct CreditQuery {
        ..page,
    }
}

/// Lists the board's contributors with their credit
///
/// Any member may read who brought ideas from the community: every contributor with at
/// least one idea, ranked by ideas used, then votes drawn, then ideas submitted. Credit
/// where it is due.
#[utoipa::path(tag = "board", params(CreditQuery), responses(
    (status = 200, description = "A page of contributors, most credited first.", body = Page<Credit>),
))]
#[get("/contributors")]
async fn list_contributors(ctx: Ctx, caller: Member, query: ApiQuery<CreditQuery>) -> Reply {
    // The cursor is the rank: the list is read in the order it is served.
    let ranked: Vec<(String, Credit)> = lineage::contributors(&ctx.app, caller.team_id)
        .await?
        .into_iter()
        .enumerate()
        .map(|(rank, c)| (format!("{rank:08}"), c))
        .collect();
    Ok(query.answer_keyed(ranked))
}

/// Traces what became of an idea
///
/// Any member may follow an idea to its effect: the posts made from it, the metrics
/// recorded on them, and the goals they served with their progress when the first post
/// went live and now. `?as_of=` and `?known_at=` as for team progress.
#[utoipa::path(tag = "ideas", params(WhenQuery), responses(
    (status = 200, description = "The idea's posts, their metrics and the goals they moved.", body = Impact),
))]
#[get("/ideas/{idea_id}/impact")]
async fn get_idea_impact(
    ctx: Ctx,
    caller: Member,
    PathId(idea_id): PathId,
    query: ApiQuery<WhenQuery>,
) -> Reply {
    let impact = lineage::impact(&ctx.app, caller.team_id, idea_id, query.when()).await?;
    Ok(HttpResponse::Ok().json(impact))
}
