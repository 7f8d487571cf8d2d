//! What a use case answers when it cannot do what was asked, in the user's terms. The
//! transport maps each variant to its own answer (an HTTP status and problem code, say).

use stride_domain::Invalid;
use stride_domain::channel::ChannelError;
use stride_domain::experiment::ExperimentError;
use stride_domain::goal::GoalError;
use stride_domain::idea::IdeaError;
use stride_domain::metric::MetricError;
use stride_domain::post::PostError;
use stride_domain::team::TeamError;
use stride_domain::webhook::WebhookError;
use stride_storage::{AppendError, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No such resource in the caller's team (or one they may not know of).
    #[error("no such {0}")]
    NotFound(&'static str),
    /// The resource is not at the version the caller last read.
    #[error("the current version is {current}; read the resource again")]
    PreconditionFailed { current: i64 },
    /// Other writers kept changing the resource while the command was retried.
    #[error("the resource kept changing while this request was handled; retry")]
    KeptChanging,
    /// A read model has not caught up with writes acknowledged before the read.
    #[error("{0}")]
    Lagging(String),
    #[error(transparent)]
    Team(#[from] TeamError),
    /// A bearer JWT that signs no one in.
    #[error(transparent)]
    SignIn(#[from] crate::sign_in::SignInError),
    #[error(transparent)]
    Channel(#[from] ChannelError),
    #[error(transparent)]
    Goal(#[from] GoalError),
    #[error(transparent)]
    Post(#[from] PostError),
    #[error(transparent)]
    Idea(#[from] IdeaError),
    #[error(transparent)]
    Webhook(#[from] WebhookError),
    #[error(transparent)]
    Experiment(#[from] ExperimentError),
    /// A webhook may not send there: not https, or an address inside a private network.
    #[error("{0}")]
    WebhookUrlForbidden(String),
    #[error(transparent)]
    Append(#[from] AppendError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A field of the request is not acceptable.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error(transparent)]
    Metric(#[from] MetricError),
    /// A member's personal data is erased only once they have left the team.
    #[error("the member is still in the team: remove them first")]
    MemberActive,
    /// The caller may not do this here.
    #[error("{0}")]
    Forbidden(&'static str),
    /// A `known_at` read would replay more events than it may.
    #[error(
        "known_at replays at most {max} events, and this team has more of those this read \
         replays ({kinds}); read without known_at"
    )]
    KnownAtTooCostly { max: i64, kinds: String },
    /// An imported file has lines that cannot be taken: nothing was imported.
    #[error("{} problems in the file; nothing was imported", .0.total)]
    ImportRejected(crate::imports::RejectedFile),
    /// An imported file is larger than an import takes.
    #[error("{0}")]
    ImportTooLarge(String),
}
