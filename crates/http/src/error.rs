//! One HTTP error type for the whole API, rendered as RFC 9457 problem+json with a stable
//! machine `code`. Domain and storage errors map into it here, in one place; internal causes
//! are logged with the request id and never sent to the client.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::{Deserialize, Serialize};
use stride_app::AppError;
use stride_domain::metric::MetricError;
use stride_domain::team::TeamError;
use stride_storage::{AppendError, StoreError};
use utoipa::ToSchema;

/// A problem with one field of the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// The field, as a JSON path (`owner.email`) or a parameter name.
    pub field: String,
    pub message: String,
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem: `urn:stride:problem:<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable code, e.g. `validation_failed`, `not_found`, `version_conflict`.
    pub code: Code,
    /// Field-level problems, for `validation_failed`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// An import's rejected lines (the first 1,000), for `import_rejected`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(max_items = 1000)]
    pub rejected: Vec<stride_app::imports::Rejected>,
}

/// Every problem `code` the API answers with: a closed set, so that clients can match on it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[schema(as = ProblemCode)]
pub enum Code {
    ValidationFailed,
    MalformedJson,
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    RequestTimeout,
    VersionConflict,
    AlreadyExists,
    AlreadyTaken,
    AlreadyMember,
    LastOwner,
    MemberActive,
    GoalClosed,
    InvalidTransition,
    ApprovalRequired,
    BoardClosed,
    IdeaMerged,
    NotMerged,
    IdeaUsed,
    IdempotencyInProgress,
    PayloadTooLarge,
    UriTooLong,
    UnsupportedMediaType,
    IdempotencyKeyReused,
    KnownAtTooCostly,
    WebhookUrlForbidden,
    ImportRejected,
    InvitationInvalid,
    TooManyInvitations,
    RateLimited,
    HeadersTooLarge,
    Internal,
    Unavailable,
    ProjectionLagging,
    ProjectionFailed,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::ValidationFailed => "validation_failed",
            Code::MalformedJson => "malformed_json",
            Code::BadRequest => "bad_request",
            Code::Unauthorized => "unauthorized",
            Code::Forbidden => "forbidden",
            Code::NotFound => "not_found",
            Code::MethodNotAllowed => "method_not_allowed",
            Code::RequestTimeout => "request_timeout",
            Code::VersionConflict => "version_conflict",
            Code::AlreadyExists => "already_exists",
            Code::AlreadyTaken => "already_taken",
            Code::AlreadyMember => "already_member",
            Code::LastOwner => "last_owner",
            Code::MemberActive => "member_active",
            Code::GoalClosed => "goal_closed",
            Code::InvalidTransition => "invalid_transition",
            Code::ApprovalRequired => "approval_required",
            Code::BoardClosed => "board_closed",
            Code::IdeaMerged => "idea_merged",
            Code::NotMerged => "not_merged",
            Code::IdeaUsed => "idea_used",
            Code::IdempotencyInProgress => "idempotency_in_progress",
            Code::PayloadTooLarge => "payload_too_large",
            Code::UriTooLong => "uri_too_long",
            Code::UnsupportedMediaType => "unsupported_media_type",
            Code::IdempotencyKeyReused => "idempotency_key_reused",
            Code::KnownAtTooCostly => "known_at_too_costly",
            Code::WebhookUrlForbidden => "webhook_url_forbidden",
            Code::ImportRejected => "import_rejected",
            Code::InvitationInvalid => "invitation_invalid",
            Code::TooManyInvitations => "too_many_invitations",
            Code::RateLimited => "rate_limited",
            Code::HeadersTooLarge => "headers_too_large",
            Code::Internal => "internal",
            Code::Unavailable => "unavailable",
            Code::ProjectionLagging => "projection_lagging",
            Code::ProjectionFailed => "projection_failed",
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: Code,
    pub detail: String,
    pub errors: Vec<FieldError>,
    pub rejected: Vec<stride_app::imports::Rejected>,
    pub retry_after: Option<u64>,
    /// The cause of a 5xx: logged, never shown.
    pub cause: Option<anyhow::Error>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail)
    }
}

impl ApiError {
    pub fn new(status: StatusCode, code: Code, detail: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            detail: detail.into(),
            errors: Vec::new(),
            rejected: Vec::new(),
            retry_after: None,
            cause: None,
        }
    }

    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        let field = field.into();
        let message = message.into();
        let mut error = ApiError::new(
            StatusCode::BAD_REQUEST,
            Code::ValidationFailed,
            format!("{field}: {message}"),
        );
        error.errors.push(FieldError { field, message });
        error
    }

    /// 422 `validation_failed`: the request has the documented shape, but what it asks
    /// cannot be done as asked (a window that ends before it starts, a goal under a goal that
    /// takes none, an id of something that is not the team's). 400 is kept for requests
    /// whose shape the document already refuses.
    pub fn unprocessable(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            ..ApiError::validation(field, message)
        }
    }

    pub fn not_found(what: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            Code::NotFound,
            format!("no such {what}"),
        )
    }

    pub fn unauthorized(detail: &str) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, Code::Unauthorized, detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, Code::Forbidden, detail)
    }

    pub fn conflict(code: Code, detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, code, detail)
    }

    pub fn unavailable(detail: impl Into<String>) -> ApiError {
        let mut error = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, Code::Unavailable, detail);
        error.retry_after = Some(1);
        error
    }

    /// 503 `projection_lagging`: the read models have not caught up with a write yet.
    pub fn projection_lagging(detail: impl Into<String>) -> ApiError {
        let mut error = ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            Code::ProjectionLagging,
            detail,
        );
        error.retry_after = Some(1);
        error
    }

    pub fn internal(cause: anyhow::Error) -> ApiError {
        let mut error = ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            Code::Internal,
            "something went wrong on our side; the request id in X-Request-Id helps us find it",
        );
        error.cause = Some(cause);
        error
    }

    /// The plain problem for a status that no handler produced (an unknown route, say).
    pub fn for_status(status: StatusCode) -> ApiError {
        let code = match status.as_u16() {
            400 => Code::BadRequest,
            401 => Code::Unauthorized,
            403 => Code::Forbidden,
            404 => Code::NotFound,
            405 => Code::MethodNotAllowed,
            408 => Code::RequestTimeout,
            413 => Code::PayloadTooLarge,
            415 => Code::UnsupportedMediaType,
            429 => Code::RateLimited,
            503 => Code::Unavailable,
            s if s >= 500 => Code::Internal,
            _ => Code::BadRequest,
        };
        let detail = status.canonical_reason().unwrap_or("error").to_lowercase();
        ApiError::new(status, code, detail)
    }

    pub fn problem(&self) -> Problem {
        Problem {
            kind: format!("urn:stride:problem:{}", self.code),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code,
            errors: self.errors.clone(),
            rejected: self.rejected.clone(),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        if let Some(cause) = &self.cause {
            tracing::error!(error = ?cause, "request failed");
        }
        let mut response = HttpResponse::build(self.status);
        response.insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        ));
        if let Some(seconds) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        response.body(body)
    }
}

/// A value the domain or the application refuses: 422 naming its field.
impl From<stride_domain::Invalid> for ApiError {
    fn from(invalid: stride_domain::Invalid) -> Self {
        ApiError::unprocessable(invalid.field, invalid.message)
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        match error {
            AppError::NotFound(what) => ApiError::not_found(what),
            AppError::PreconditionFailed { current } => ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                Code::VersionConflict,
                format!(
                    "If-Match does not match the current version \"{current}\"; read the resource again"
                ),
            ),
            AppError::KeptChanging => ApiError::conflict(Code::VersionConflict, error.to_string()),
            AppError::Lagging(detail) => ApiError::projection_lagging(detail),
            AppError::Team(error) => error.into(),
            AppError::SignIn(error) => match error {
                stride_app::sign_in::SignInError::Provider(_) => {
                    ApiError::unavailable(error.to_string())
                }
                _ => ApiError::unauthorized(&error.to_string()),
            },
            AppError::Channel(error) => error.into(),
            AppError::Goal(error) => error.into(),
            AppError::Post(error) => error.into(),
            AppError::Idea(error) => error.into(),
            AppError::Webhook(error) => error.into(),
            AppError::Experiment(error) => error.into(),
            AppError::WebhookUrlForbidden(why) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                Code::WebhookUrlForbidden,
                why,
            ),
            AppError::Append(error) => error.into(),
            AppError::Store(error) => error.into(),
            AppError::Invalid(invalid) => invalid.into(),
            AppError::Metric(error) => error.into(),
            AppError::MemberActive => ApiError::conflict(
                Code::MemberActive,
                "the member is still in the team: remove them first (DELETE /v1/teams/{team_id}/members/{member_id})",
            ),
            AppError::Forbidden(why) => ApiError::forbidden(why),
            AppError::KnownAtTooCostly { .. } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                Code::KnownAtTooCostly,
                error.to_string(),
            ),
            AppError::ImportRejected(file) => {
                let mut problem = ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Code::ImportRejected,
                    format!(
                        "{} problem{} in the file (listed in `rejected`{}); nothing was imported",
                        file.total,
                        if file.total == 1 { "" } else { "s" },
                        if file.total > file.rejected.len() {
                            ", the first 1000"
                        } else {
                            ""
                        }
                    ),
                );
                problem.rejected = file.rejected;
                problem
            }
            AppError::ImportTooLarge(why) => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, Code::PayloadTooLarge, why)
            }
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(cause) => {
                tracing::warn!(error = %cause, "database unavailable");
                ApiError::unavailable("the database is unavailable; try again shortly")
            }
            StoreError::ProjectionFailed {
                projection,
                position,
            } => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                Code::ProjectionFailed,
                format!(
                    "the {projection} read model stopped for this team at position {position}, on an event it could not apply; it answers again once rebuilt (stride projections rebuild {projection})"
                ),
            ),
            other => ApiError::internal(other.into()),
        }
    }
}

impl From<AppendError> for ApiError {
    fn from(error: AppendError) -> Self {
        match error {
            AppendError::Conflict { .. } => ApiError::conflict(
                Code::VersionConflict,
                "the resource changed while this request was handled; read it again and retry",
            ),
            AppendError::Claimed { scope, value } => ApiError {
                errors: vec![FieldError {
                    field: scope.clone(),
                    message: format!("{value:?} is taken"),
                }],
                ..ApiError::conflict(Code::AlreadyTaken, format!("{scope} {value:?} is taken"))
            },
            AppendError::Store(error) => error.into(),
        }
    }
}

impl From<TeamError> for ApiError {
    fn from(error: TeamError) -> Self {
        match error {
            TeamError::AlreadyExists => ApiError::conflict(Code::AlreadyExists, error.to_string()),
            TeamError::NotFound => ApiError::not_found("team"),
            TeamError::MemberNotFound => ApiError::not_found("member"),
            TeamError::AlreadyMember => ApiError::conflict(Code::AlreadyMember, error.to_string()),
            TeamError::Forbidden(why) => ApiError::forbidden(why),
            TeamError::LastOwner => ApiError::conflict(Code::LastOwner, error.to_string()),
            TeamError::InvitationNotFound => ApiError::not_found("invitation"),
            TeamError::InvitationInvalid => ApiError::new(
                StatusCode::NOT_FOUND,
                Code::InvitationInvalid,
                error.to_string(),
            ),
            TeamError::TooManyInvitations => {
                ApiError::conflict(Code::TooManyInvitations, error.to_string())
            }
            TeamError::Invalid(invalid) => invalid.into(),
        }
    }
}

impl From<MetricError> for ApiError {
    fn from(error: MetricError) -> Self {
        match error {
            MetricError::BatchSize(_) => ApiError::unprocessable("observations", error.to_string()),
            MetricError::Row {
                index,
                field,
                message,
            } => ApiError::unprocessable(format!("observations[{index}].{field}"), message),
        }
    }
}
