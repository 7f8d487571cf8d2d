//! What every handle of one [`crate::Store`] shares in a process, beside the pool: the
//! contributor and member tokens seen, and the copy of the projection failures.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use uuid::Uuid;

/// How long a process answers from its copy of the failures before reading them again.
pub(crate) const FRESH: Duration = Duration::from_secs(1);

/// Who a contributor token speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContributorToken {
    pub team_id: Uuid,
    pub contributor_id: Uuid,
}

/// Who a valid member token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenOwner {
    pub token_id: Uuid,
    pub team_id: Uuid,
    pub member_id: Uuid,
    pub role: String,
}

/// How long a member token is answered from memory at most, should a revocation's
/// notification be lost with a connection that has not noticed yet it is gone.
pub(crate) const MEMBER_TOKEN_FRESH: Duration = Duration::from_secs(5);

/// Member tokens that authenticated, by hash. Unlike contributor tokens they can stop being
/// valid (revoked, the member removed or given another role), so they are kept only while
/// this process listens for those changes (`NOTIFY stride_tokens`, sent in the transaction
/// that makes them), for at most [`MEMBER_TOKEN_FRESH`], and every change forgets them all.
pub(crate) struct MemberTokens {
    cache: quick_cache::sync::Cache<Vec<u8>, (TokenOwner, Instant)>,
    /// Counts the times everything was forgotten: a lookup that began before a change must
    /// not keep what it read.
    generation: AtomicU64,
    listening: AtomicBool,
}

impl MemberTokens {
    pub(crate) fn new(capacity: usize) -> MemberTokens {
        MemberTokens {
            cache: quick_cache::sync::Cache::new(capacity),
            generation: AtomicU64::new(0),
            listening: AtomicBool::new(false),
        }
    }

    /// The owner of the token hashed `hash`, if it is known here and still fresh.
    pub(crate) fn get(&self, hash: &[u8]) -> Option<TokenOwner> {
        if !self.listening.load(Ordering::SeqCst) {
            return None;
        }
        let (owner, seen) = self.cache.get(hash)?;
        (seen.elapsed() < MEMBER_TOKEN_FRESH).then_some(owner)
    }

    /// Where a lookup begins: pass it to [`MemberTokens::keep`].
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Keeps what a lookup that began at `generation` read, unless tokens changed since.
    pub(crate) fn keep(&self, generation: u64, hash: Vec<u8>, owner: TokenOwner) {
        if !self.listening.load(Ordering::SeqCst) || self.generation() != generation {
            return;
        }
        self.cache.insert(hash.clone(), (owner, Instant::now()));
        // A change that landed meanwhile may have forgotten everything before this insert.
        if self.generation() != generation {
            self.cache.remove(&hash);
        }
    }

    /// Forgets every token: one of them was revoked, or its member removed or changed.
    pub(crate) fn forget(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.cache.clear();
    }

    /// Whether this process hears about token changes (and other processes' appends).
    pub(crate) fn listening(&self) -> bool {
        self.listening.load(Ordering::SeqCst)
    }

    /// Whether this process hears about token changes: only then are tokens kept.
    pub(crate) fn set_listening(&self, listening: bool) {
        self.listening.store(listening, Ordering::SeqCst);
        if !listening {
            self.forget();
        }
    }
}

/// A team's projection stopped at an event it could not apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub projection: String,
    pub position: i64,
}

/// The failures by team, as last read.
#[derive(Debug, Default)]
pub(crate) struct FailureCopy {
    pub(crate) read: Option<Instant>,
    pub(crate) by_team: HashMap<Uuid, Vec<Failure>>,
}

impl FailureCopy {
    pub(crate) fn fresh(&self) -> bool {
        self.read.is_some_and(|at| at.elapsed() < FRESH)
    }

    pub(crate) fn failed(&self, team_id: Uuid, projections: &[&str]) -> Option<Failure> {
        self.by_team
            .get(&team_id)?
            .iter()
            .find(|f| projections.contains(&f.projection.as_str()))
            .cloned()
    }
}

pub(crate) type SharedFailureCopy = Mutex<FailureCopy>;
