//! What every handle of one [`crate::Store`] shares in a process, beside the pool: the
//! contributor tokens seen, and the copy of the projection failures.

use std::collections::HashMap;
use std::sync::Mutex;
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
