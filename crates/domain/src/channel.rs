//! The channel aggregate: a platform a team publishes on, kept active, paused for a while,
//! or retired (cut loose) after an honest assessment, each change with its reason.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Invalid;
use crate::event;
use crate::text;

/// Longest handle or display name, in characters.
pub const NAME_MAX: usize = 100;
/// Longest reason, in characters.
pub const REASON_MAX: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    Twitter,
    Facebook,
    Instagram,
    Linkedin,
    Pinterest,
    Tiktok,
    Youtube,
    Blog,
    Newsletter,
    Other,
}

impl Platform {
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Twitter => "twitter",
            Platform::Facebook => "facebook",
            Platform::Instagram => "instagram",
            Platform::Linkedin => "linkedin",
            Platform::Pinterest => "pinterest",
            Platform::Tiktok => "tiktok",
            Platform::Youtube => "youtube",
            Platform::Blog => "blog",
            Platform::Newsletter => "newsletter",
            Platform::Other => "other",
        }
    }

    /// How people name it in a sentence ("on Instagram").
    pub fn display(self) -> &'static str {
        match self {
            Platform::Twitter => "Twitter",
            Platform::Facebook => "Facebook",
            Platform::Instagram => "Instagram",
            Platform::Linkedin => "LinkedIn",
            Platform::Pinterest => "Pinterest",
            Platform::Tiktok => "TikTok",
            Platform::Youtube => "YouTube",
            Platform::Blog => "the blog",
            Platform::Newsletter => "the newsletter",
            Platform::Other => "another channel",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChannelStatus {
    Active,
    Paused,
    Retired,
}

impl ChannelStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelStatus::Active => "active",
            ChannelStatus::Paused => "paused",
            ChannelStatus::Retired => "retired",
        }
    }
}

/// Serialized as a projection keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channel {
    pub id: Uuid,
    pub platform: Platform,
    pub handle: String,
    pub name: Option<String>,
    pub status: ChannelStatus,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelCommand {
    AddChannel {
        channel_id: Uuid,
        platform: Platform,
        handle: String,
        name: Option<String>,
    },
    ChangeStatus {
        status: ChannelStatus,
        reason: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum ChannelEvent {
    ChannelAdded {
        channel_id: Uuid,
        platform: Platform,
        handle: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    ChannelStatusChanged {
        from: ChannelStatus,
        to: ChannelStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
}

event::event_payload!(
    ChannelEvent,
    "channel",
    [ChannelAdded, ChannelStatusChanged]
);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChannelError {
    #[error("the channel already exists")]
    AlreadyExists,
    #[error("no such channel")]
    NotFound,
    #[error(transparent)]
    Invalid(#[from] Invalid),
}

/// An optional free-text reason: trimmed, at most [`REASON_MAX`] characters, empty is none.
pub fn reason(raw: Option<String>) -> Result<Option<String>, crate::text::TextError> {
    text::optional_title(raw.as_deref(), REASON_MAX)
}

pub fn decide(
    state: Option<&Channel>,
    command: ChannelCommand,
) -> Result<Vec<ChannelEvent>, ChannelError> {
    match (state, command) {
        (
            None,
            ChannelCommand::AddChannel {
                channel_id,
                platform,
                handle,
                name,
                ..
            },
        ) => {
            let handle = text::title(&handle, NAME_MAX).map_err(|e| Invalid::new("handle", e))?;
            let name = text::optional_title(name.as_deref(), NAME_MAX)
                .map_err(|e| Invalid::new("name", e))?;
            Ok(vec![ChannelEvent::ChannelAdded {
                channel_id,
                platform,
                handle,
                name,
            }])
        }
        (Some(_), ChannelCommand::AddChannel { .. }) => Err(ChannelError::AlreadyExists),
        (None, ChannelCommand::ChangeStatus { .. }) => Err(ChannelError::NotFound),
        (
            Some(channel),
            ChannelCommand::ChangeStatus {
                status,
                reason: why,
            },
        ) => {
            let why = reason(why).map_err(|e| Invalid::new("reason", e))?;
            if channel.status == status {
                return Ok(vec![]);
            }
            Ok(vec![ChannelEvent::ChannelStatusChanged {
                from: channel.status,
                to: status,
                reason: why,
            }])
        }
    }
}

/// Folds one event into the state.
pub fn apply(state: Option<Channel>, event: &ChannelEvent) -> Option<Channel> {
    match (state, event) {
        (
            None,
            ChannelEvent::ChannelAdded {
                channel_id,
                platform,
                handle,
                name,
            },
        ) => Some(Channel {
            id: *channel_id,
            platform: *platform,
            handle: handle.clone(),
            name: name.clone(),
            status: ChannelStatus::Active,
        }),
        (Some(mut channel), ChannelEvent::ChannelStatusChanged { to, .. }) => {
            channel.status = *to;
            Some(channel)
        }
        (state, _) => state,
    }
}

impl crate::Aggregate for Channel {
    type Command = ChannelCommand;
    type Event = ChannelEvent;
    type Error = ChannelError;
    type Context = ();

    fn decide(
        state: Option<&Channel>,
        command: ChannelCommand,
        _: &(),
    ) -> Result<Vec<ChannelEvent>, ChannelError> {
        decide(state, command)
    }

    fn apply(state: Option<Channel>, event: &ChannelEvent) -> Option<Channel> {
        apply(state, event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHANNEL: Uuid = Uuid::from_u128(2);

    fn add(handle: &str, name: Option<&str>) -> Result<Vec<ChannelEvent>, ChannelError> {
        decide(
            None,
            ChannelCommand::AddChannel {
                channel_id: CHANNEL,
                platform: Platform::Instagram,
                handle: handle.into(),
                name: name.map(Into::into),
            },
        )
    }

    fn instagram() -> Channel {
        add("@acme", None)
            .unwrap()
            .iter()
            .fold(None, apply)
            .unwrap()
    }

    #[test]
    fn a_channel_starts_active() {
        let channel = instagram();
        assert_eq!(
            (channel.status, channel.handle.as_str(), channel.name),
            (ChannelStatus::Active, "@acme", None)
        );
        assert_eq!(
            add(" @acme ", Some("  ")).unwrap(),
            add("@acme", None).unwrap(),
            "blank names are none"
        );
    }

    #[test]
    fn handles_and_names_are_checked() {
        assert!(matches!(
            add(" ", None),
            Err(ChannelError::Invalid(Invalid {
                field: "handle",
                ..
            }))
        ));
        assert!(matches!(
            add("@a", Some(&"n".repeat(NAME_MAX + 1))),
            Err(ChannelError::Invalid(Invalid { field: "name", .. }))
        ));
    }

    #[test]
    fn pausing_and_retiring_record_the_reason_and_repeats_record_nothing() {
        let channel = instagram();
        let pause = ChannelCommand::ChangeStatus {
            status: ChannelStatus::Paused,
            reason: Some(" summer break ".into()),
        };
        let events = decide(Some(&channel), pause).unwrap();
        assert_eq!(
            events,
            vec![ChannelEvent::ChannelStatusChanged {
                from: ChannelStatus::Active,
                to: ChannelStatus::Paused,
                reason: Some("summer break".into())
            }]
        );
        let paused = events
            .iter()
            .try_fold(channel, |s, e| apply(Some(s), e))
            .unwrap();
        assert_eq!(paused.status, ChannelStatus::Paused);
        let again = ChannelCommand::ChangeStatus {
            status: ChannelStatus::Paused,
            reason: None,
        };
        assert_eq!(decide(Some(&paused), again), Ok(vec![]));
        let too_long = ChannelCommand::ChangeStatus {
            status: ChannelStatus::Retired,
            reason: Some("x".repeat(REASON_MAX + 1)),
        };
        assert!(matches!(
            decide(Some(&paused), too_long),
            Err(ChannelError::Invalid(Invalid {
                field: "reason",
                ..
            }))
        ));
    }

    #[test]
    fn channels_are_added_once_and_changed_only_when_they_exist() {
        let channel = instagram();
        let add_again = ChannelCommand::AddChannel {
            channel_id: CHANNEL,
            platform: Platform::Blog,
            handle: "x".into(),
            name: None,
        };
        assert_eq!(
            decide(Some(&channel), add_again),
            Err(ChannelError::AlreadyExists)
        );
        let change = ChannelCommand::ChangeStatus {
            status: ChannelStatus::Retired,
            reason: None,
        };
        assert_eq!(decide(None, change), Err(ChannelError::NotFound));
    }
}
