//! One transaction that appends the events of one or many commands.
//!
//! Each command is checked against its own stream's expected version and stands or falls
//! alone, while all of them share one commit (one disk flush). Statements are chosen so that
//! none raises for an ordinary refusal: a raised error would abort the shared transaction.
//! Commands that claim unique values run alone (see the committer), since a taken claim is
//! detected by the error it raises.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use deadpool_postgres::{Client, GenericClient};
use futures_util::future::try_join_all;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use crate::events::{AppendRequest, Appended, SideWrite};
use crate::{AppendError, StoreError};

const BUMP_STREAMS: &str =
    "SELECT n, new_version, duplicate, previous_version FROM bump_streams($1, $2, $3, $4, $5, $6)";
const INSERT_EVENTS: &str = include_str!("sql/insert_events.sql");
const INSERT_CLAIM: &str = "INSERT INTO unique_claims (scope, value, team_id) VALUES ($1, $2, $3)";
const DUPLICATE_POSITION: &str = "SELECT max(position), max(stream_version), max(recorded_at) FROM events WHERE team_id = $1 AND event_id = ANY($2)";
const UPSERT_MEMBER: &str = "INSERT INTO members (team_id, member_id, name, email, role) VALUES ($1, $2, $3, $4, $5) \
     ON CONFLICT (team_id, member_id) DO UPDATE SET name = excluded.name, email = excluded.email, role = excluded.role, removed_at = NULL, erased_at = NULL";
/// A member's new role; every process is told (at commit) to forget the tokens it keeps.
const SET_MEMBER_ROLE: &str = "WITH changed AS (UPDATE members SET role = $3 \
     WHERE team_id = $1 AND member_id = $2 RETURNING 1) \
     SELECT pg_notify('stride_tokens', '') FROM (SELECT count(*) FROM changed) AS done";
/// A member leaves with their tokens; every process is told as for a role.
const REMOVE_MEMBER: &str = "WITH gone AS (UPDATE members SET removed_at = now() WHERE team_id = $1 AND member_id = $2), \
     revoked AS (UPDATE tokens SET revoked_at = now() \
     WHERE team_id = $1 AND member_id = $2 AND revoked_at IS NULL RETURNING 1) \
     SELECT pg_notify('stride_tokens', '') FROM (SELECT count(*) FROM revoked) AS done";
/// A first secret, or a rotation: the secret it replaces signs beside it for 24 h (V18).
const SET_WEBHOOK_SECRET: &str = "INSERT INTO webhook_secrets (team_id, webhook_id, secret) VALUES ($1, $2, $3) \
     ON CONFLICT (team_id, webhook_id) DO UPDATE SET previous_secret = webhook_secrets.secret, \
     previous_until = now() + interval '24 hours', secret = excluded.secret";
const RESUME_WEBHOOK: &str =
    "UPDATE webhook_secrets SET failing_since = NULL WHERE team_id = $1 AND webhook_id = $2";
const DELETE_WEBHOOK_SECRETS: &str =
    "DELETE FROM webhook_secrets WHERE team_id = $1 AND webhook_id = $2";
const INSERT_TOKEN: &str =
    "INSERT INTO tokens (team_id, token_id, member_id, hash) VALUES ($1, $2, $3, $4)";
const INSERT_INVITATION: &str = "INSERT INTO invitations (team_id, invitation_id, email, name, code_hash, expires_at) \
     VALUES ($1, $2, $3, $4, $5, $6)";
const DELETE_INVITATION: &str = "DELETE FROM invitations WHERE team_id = $1 AND invitation_id = $2";

pub(crate) type Outcome = Result<Appended, AppendError>;

enum Check {
    Accepted { first_version: i64 },
    Duplicate,
    Conflict { actual: Option<i64> },
}

/// Appends every request in one transaction. An `Err` means the transaction failed as a
/// whole and nothing was written; otherwise each request has its own outcome.
pub(crate) async fn commit(
    client: &mut Client,
    batch: &[AppendRequest],
) -> Result<Vec<Outcome>, tokio_postgres::Error> {
    let tx = client.transaction().await?;
    if let [request] = batch
        && request.has_claims()
    {
        for write in &request.side_writes {
            if let SideWrite::Claim { scope, value } = write {
                match tx
                    .execute(INSERT_CLAIM, &[scope, value, &request.team_id])
                    .await
                {
                    Ok(_) => {}
                    Err(error) if error.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
                        return Ok(vec![Err(AppendError::Claimed {
                            scope: scope.clone(),
                            value: value.clone(),
                        })]);
                    }
                    Err(error) => return Err(error),
                }
            }
        }
    }

    let outcomes = append_in(&tx, batch).await?;
    tx.commit().await?;
    Ok(outcomes)
}

/// Appends every request within a transaction the caller holds: each is checked against its
/// own expected version and has its own outcome.
pub(crate) async fn append_in(
    tx: &deadpool_postgres::Transaction<'_>,
    batch: &[AppendRequest],
) -> Result<Vec<Outcome>, tokio_postgres::Error> {
    append_in_from(tx, batch, 0).await
}

/// As [`append_in`], in a transaction that already wrote `written` events: each event's
/// index in the transaction (the low bits of its position) follows theirs.
pub(crate) async fn append_in_from(
    tx: &deadpool_postgres::Transaction<'_>,
    batch: &[AppendRequest],
    written: usize,
) -> Result<Vec<Outcome>, tokio_postgres::Error> {
    let checks = check_versions(tx, batch).await?;
    let positions = insert_events(tx, batch, &checks, written).await?;
    let mut outcomes = Vec::with_capacity(batch.len());
    for (request, check) in batch.iter().zip(&checks) {
        outcomes.push(match check {
            Check::Conflict { actual } => Err(AppendError::Conflict {
                stream_id: request.stream_id,
                expected: request.expected.as_sql(),
                actual: *actual,
            }),
            Check::Accepted { first_version } => {
                let last = request.events.last().map(|e| e.event_id);
                let (position, recorded_at) = last
                    .and_then(|id| positions.get(&id).copied())
                    .unwrap_or((0, None));
                Ok(Appended {
                    stream_version: first_version - 1 + request.events.len() as i64,
                    position,
                    recorded_at,
                    duplicate: false,
                })
            }
            Check::Duplicate => {
                let ids: Vec<Uuid> = request.events.iter().map(|e| e.event_id).collect();
                let row = tx
                    .query_one(DUPLICATE_POSITION, &[&request.team_id, &ids])
                    .await?;
                Ok(Appended {
                    position: row.try_get::<_, Option<i64>>(0)?.unwrap_or(0),
                    stream_version: row.try_get::<_, Option<i64>>(1)?.unwrap_or(0),
                    recorded_at: row.try_get(2)?,
                    duplicate: true,
                })
            }
        });
    }
    Ok(outcomes)
}

/// Checks and bumps every stream head in one statement (`bump_streams`, V17), which takes
/// the heads in (team, stream) order so that two batches cannot deadlock.
async fn check_versions(
    tx: &impl GenericClient,
    batch: &[AppendRequest],
) -> Result<Vec<Check>, tokio_postgres::Error> {
    let statement = tx.prepare_cached(BUMP_STREAMS).await?;
    let heads = HeadColumns::of(batch);
    let mut checks: Vec<Option<Check>> = (0..batch.len()).map(|_| None).collect();
    for row in tx.query(&statement, &heads.as_params()).await? {
        let n: i32 = row.try_get("n")?;
        let Some(i) = usize::try_from(n - 1).ok().filter(|&i| i < batch.len()) else {
            continue;
        };
        let new_version: Option<i64> = row.try_get("new_version")?;
        let duplicate: bool = row.try_get("duplicate")?;
        let count = batch[i].events.len() as i64;
        checks[i] = Some(match (duplicate, new_version) {
            (true, _) => Check::Duplicate,
            (false, Some(version)) => Check::Accepted {
                first_version: version - count + 1,
            },
            (false, None) => Check::Conflict {
                actual: row.try_get("previous_version")?,
            },
        });
    }
    Ok(checks
        .into_iter()
        .map(|c| c.unwrap_or(Check::Conflict { actual: None }))
        .collect())
}

/// Column arrays of the stream heads to check, one entry per command.
struct HeadColumns {
    team_id: Vec<Uuid>,
    stream_id: Vec<Uuid>,
    expected: Vec<Option<i64>>,
    count: Vec<i64>,
    first_id: Vec<Uuid>,
    stream_type: Vec<String>,
}

impl HeadColumns {
    fn of(batch: &[AppendRequest]) -> HeadColumns {
        let requests = || batch.iter();
        HeadColumns {
            team_id: requests().map(|r| r.team_id).collect(),
            stream_id: requests().map(|r| r.stream_id).collect(),
            expected: requests().map(|r| r.expected.as_sql()).collect(),
            count: requests().map(|r| r.events.len() as i64).collect(),
            first_id: requests()
                .map(|r| r.events.first().map_or_else(Uuid::nil, |e| e.event_id))
                .collect(),
            stream_type: requests().map(|r| r.stream_type.clone()).collect(),
        }
    }

    fn as_params(&self) -> [&(dyn ToSql + Sync); 6] {
        [
            &self.team_id,
            &self.stream_id,
            &self.expected,
            &self.count,
            &self.first_id,
            &self.stream_type,
        ]
    }
}

/// Inserts the events of the accepted commands and their side writes, pipelined; returns
/// each new event's position.
async fn insert_events(
    tx: &impl GenericClient,
    batch: &[AppendRequest],
    checks: &[Check],
    written: usize,
) -> Result<HashMap<Uuid, (i64, Option<DateTime<Utc>>)>, tokio_postgres::Error> {
    let mut columns = EventColumns {
        written: i32::try_from(written).unwrap_or(i32::MAX),
        ..EventColumns::default()
    };
    let mut side_writes = Vec::new();
    for (request, check) in batch.iter().zip(checks) {
        let Check::Accepted { first_version } = check else {
            continue;
        };
        let metadata = serde_json::to_value(&request.metadata).unwrap_or_default();
        for (offset, event) in request.events.iter().enumerate() {
            columns.push(request, event, first_version + offset as i64, &metadata);
        }
        side_writes.extend(
            request
                .side_writes
                .iter()
                .filter(|w| !matches!(w, SideWrite::Claim { .. }))
                .map(|w| (request.team_id, w)),
        );
    }
    if columns.event_id.is_empty() {
        return Ok(HashMap::new());
    }
    let statement = tx.prepare_cached(INSERT_EVENTS).await?;
    let params: [&(dyn ToSql + Sync); 10] = [
        &columns.team_id,
        &columns.idx,
        &columns.event_id,
        &columns.stream_id,
        &columns.stream_type,
        &columns.stream_version,
        &columns.event_type,
        &columns.schema_version,
        &columns.data,
        &columns.metadata,
    ];
    let insert = tx.query(&statement, &params);
    let (rows, _) = futures_util::future::try_join(
        insert,
        try_join_all(
            side_writes
                .iter()
                .map(|(team_id, write)| side_write(tx, *team_id, write)),
        ),
    )
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get(0)?, (row.try_get(1)?, Some(row.try_get(2)?)))))
        .collect()
}

async fn side_write(
    tx: &impl GenericClient,
    team_id: Uuid,
    write: &SideWrite,
) -> Result<u64, tokio_postgres::Error> {
    match write {
        SideWrite::Claim { .. } => Ok(0),
        SideWrite::Member {
            member_id,
            name,
            email,
            role,
        } => {
            tx.execute(UPSERT_MEMBER, &[&team_id, member_id, name, email, role])
                .await
        }
        SideWrite::MemberRole { member_id, role } => {
            tx.execute(SET_MEMBER_ROLE, &[&team_id, member_id, role])
                .await
        }
        SideWrite::MemberRemoved { member_id } => {
            tx.execute(REMOVE_MEMBER, &[&team_id, member_id]).await
        }
        SideWrite::Token {
            token_id,
            member_id,
            hash,
        } => {
            tx.execute(INSERT_TOKEN, &[&team_id, token_id, member_id, hash])
                .await
        }
        SideWrite::Invitation {
            invitation_id,
            email,
            name,
            code_hash,
            expires_at,
        } => {
            tx.execute(
                INSERT_INVITATION,
                &[&team_id, invitation_id, email, name, code_hash, expires_at],
            )
            .await
        }
        SideWrite::InvitationClosed { invitation_id } => {
            tx.execute(DELETE_INVITATION, &[&team_id, invitation_id])
                .await
        }
        SideWrite::WebhookSecret { webhook_id, secret } => {
            tx.execute(SET_WEBHOOK_SECRET, &[&team_id, webhook_id, secret])
                .await
        }
        SideWrite::WebhookDeleted { webhook_id } => {
            tx.execute(DELETE_WEBHOOK_SECRETS, &[&team_id, webhook_id])
                .await
        }
        SideWrite::WebhookResumed { webhook_id } => {
            tx.execute(RESUME_WEBHOOK, &[&team_id, webhook_id]).await
        }
    }
}

/// Column arrays for one `unnest` insert.
#[derive(Default)]
struct EventColumns {
    /// Events the transaction wrote before these.
    written: i32,
    team_id: Vec<Uuid>,
    idx: Vec<i32>,
    event_id: Vec<Uuid>,
    stream_id: Vec<Uuid>,
    stream_type: Vec<String>,
    stream_version: Vec<i64>,
    event_type: Vec<String>,
    schema_version: Vec<i32>,
    data: Vec<serde_json::Value>,
    metadata: Vec<serde_json::Value>,
}

impl EventColumns {
    fn push(
        &mut self,
        request: &AppendRequest,
        event: &crate::events::NewEvent,
        stream_version: i64,
        metadata: &serde_json::Value,
    ) {
        self.idx.push(self.written + self.event_id.len() as i32);
        self.team_id.push(request.team_id);
        self.event_id.push(event.event_id);
        self.stream_id.push(request.stream_id);
        self.stream_type.push(request.stream_type.clone());
        self.stream_version.push(stream_version);
        self.event_type.push(event.event_type.clone());
        self.schema_version.push(event.schema_version);
        self.data.push(event.data.clone());
        self.metadata.push(metadata.clone());
    }
}

/// Maps a failed solo transaction to what its caller should hear.
pub(crate) fn failed(error: tokio_postgres::Error) -> AppendError {
    AppendError::Store(StoreError::from(error))
}
