//! The team aggregate: its name and slug, its settings, who belongs to it with which role,
//! and the invitations not yet accepted.
//!
//! Names and e-mail addresses of members and invitees are personal data and never enter an
//! event: they live in erasable tables in storage, referenced here by `member_id` and
//! `invitation_id`. Nor does an invitation's code, which storage keeps only as a hash.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Invalid;
use crate::event::{self, Actor};
use crate::text;

/// Longest team name, in characters.
pub const NAME_MAX: usize = 100;
/// How long an invitation may be accepted.
pub const INVITATION_VALID: Duration = Duration::days(7);
/// Invitations a team may have waiting at once.
pub const INVITATIONS_MAX: usize = 500;
/// Longest issuer URL and audience of a team's sign-in provider.
pub const ISSUER_MAX: usize = 2048;
pub const AUDIENCE_MAX: usize = 255;

/// Sign-in through an OpenID Connect provider: a bearer JWT from `issuer` for `audience`
/// signs in the member with its verified e-mail address (within `allowed_domain`, when set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Sso {
    /// The provider's issuer, exactly as its tokens' `iss` says it; its discovery document
    /// is at `<issuer>/.well-known/openid-configuration`. `https`, or `http` on this machine.
    pub issuer: String,
    /// What the tokens' `aud` must hold: the client id the team registered.
    pub audience: String,
    /// Only addresses of this domain sign in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_domain: Option<String>,
}

/// The team's provider, checked: an issuer URL without query or fragment (`http` only on
/// this machine), an audience, and a lower-case domain.
pub fn sso(spec: Sso) -> Result<Sso, Invalid> {
    let issuer =
        text::url(spec.issuer.trim(), ISSUER_MAX).map_err(|e| Invalid::new("sso.issuer", e))?;
    let local = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
        .iter()
        .any(|prefix| {
            issuer
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([':', '/']))
        });
    if !(issuer.starts_with("https://") || local) {
        return Err(Invalid::new(
            "sso.issuer",
            "must be an https URL (http only on this machine)",
        ));
    }
    if issuer.contains(['?', '#']) {
        return Err(Invalid::new("sso.issuer", "must have no query or fragment"));
    }
    let audience =
        text::title(&spec.audience, AUDIENCE_MAX).map_err(|e| Invalid::new("sso.audience", e))?;
    let allowed_domain = spec
        .allowed_domain
        .map(|raw| {
            let domain = raw.trim().to_ascii_lowercase();
            // Two labels or more, each of letters, digits and inner hyphens.
            let label = |l: &str| {
                !l.is_empty()
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            };
            let valid = domain.len() <= 253 && domain.contains('.') && domain.split('.').all(label);
            if valid {
                Ok(domain)
            } else {
                Err(Invalid::new(
                    "sso.allowed_domain",
                    "must be a domain such as example.com",
                ))
            }
        })
        .transpose()?;
    Ok(Sso {
        issuer,
        audience,
        allowed_domain,
    })
}

/// What a member may do. Ordered from most to least powerful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Admin,
    Member,
    Viewer,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Member, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Member => "member",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(raw: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == raw)
    }

    /// Creating and editing goals, posts, ideas and metrics.
    pub fn can_write(self) -> bool {
        self != Role::Viewer
    }

    /// Adding, re-roling and removing members; team settings.
    pub fn can_administer(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardSettings {
    pub public: bool,
    pub accepting_ideas: bool,
}

impl Default for BoardSettings {
    fn default() -> Self {
        BoardSettings {
            public: true,
            accepting_ideas: true,
        }
    }
}

/// The team as its events describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub require_approval: bool,
    pub board: BoardSettings,
    pub members: BTreeMap<Uuid, Role>,
    /// Invitations neither accepted nor revoked (some may have expired).
    pub invitations: BTreeMap<Uuid, Invitation>,
    /// Sign-in through the team's identity provider, when set up.
    pub sso: Option<Sso>,
}

/// An invitation waiting to be accepted: the role it gives, and until when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invitation {
    pub role: Role,
    pub expires_at: DateTime<Utc>,
}

impl Team {
    pub fn role_of(&self, member_id: Uuid) -> Option<Role> {
        self.members.get(&member_id).copied()
    }

    fn owner_count(&self) -> usize {
        self.members.values().filter(|r| **r == Role::Owner).count()
    }
}

/// A change to the team's settings; `None` leaves a setting as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TeamChanges {
    pub name: Option<String>,
    pub require_approval: Option<bool>,
    pub board_public: Option<bool>,
    pub board_accepting_ideas: Option<bool>,
    /// `Some(None)` turns sign-in through a provider off. Owners only.
    pub sso: Option<Option<Sso>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TeamCommand {
    CreateTeam {
        team_id: Uuid,
        name: String,
        slug: String,
        owner_id: Uuid,
    },
    UpdateTeam(TeamChanges),
    AddMember {
        member_id: Uuid,
        role: Role,
    },
    ChangeMemberRole {
        member_id: Uuid,
        role: Role,
    },
    RemoveMember {
        member_id: Uuid,
    },
    /// Invites someone to join with `role`, for [`INVITATION_VALID`] from `now`.
    Invite {
        invitation_id: Uuid,
        role: Role,
        now: DateTime<Utc>,
    },
    RevokeInvitation {
        invitation_id: Uuid,
    },
    /// The invitee, who holds the invitation's code, joins as `member_id`.
    AcceptInvitation {
        invitation_id: Uuid,
        member_id: Uuid,
        now: DateTime<Utc>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum TeamEvent {
    TeamCreated {
        team_id: Uuid,
        name: String,
        slug: String,
    },
    TeamRenamed {
        name: String,
    },
    TeamSettingsChanged {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        require_approval: Option<bool>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        board_public: Option<bool>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        board_accepting_ideas: Option<bool>,
    },
    MemberAdded {
        member_id: Uuid,
        role: Role,
    },
    MemberRoleChanged {
        member_id: Uuid,
        from: Role,
        to: Role,
    },
    MemberRemoved {
        member_id: Uuid,
    },
    MemberInvited {
        invitation_id: Uuid,
        role: Role,
        expires_at: DateTime<Utc>,
    },
    InvitationRevoked {
        invitation_id: Uuid,
    },
    /// Followed in the same commit by the `MemberAdded` of the member it made.
    InvitationAccepted {
        invitation_id: Uuid,
        member_id: Uuid,
    },
    /// Sign-in through a provider set up, changed, or (null) turned off.
    TeamSsoChanged {
        #[serde(default)]
        sso: Option<Sso>,
    },
}

event::event_payload!(
    TeamEvent,
    "team",
    [
        TeamCreated,
        TeamRenamed,
        TeamSettingsChanged,
        MemberAdded,
        MemberRoleChanged,
        MemberRemoved,
        MemberInvited,
        InvitationRevoked,
        InvitationAccepted,
        TeamSsoChanged
    ]
);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TeamError {
    #[error("the team already exists")]
    AlreadyExists,
    #[error("no such team")]
    NotFound,
    #[error("no such member")]
    MemberNotFound,
    #[error("already a member of this team")]
    AlreadyMember,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("a team needs at least one owner: make someone else an owner first")]
    LastOwner,
    #[error("no such invitation")]
    InvitationNotFound,
    /// Unknown, used, revoked or expired: which, is not told.
    #[error("this invitation code is not valid: it is unknown, used, revoked or expired")]
    InvitationInvalid,
    #[error("the team has {INVITATIONS_MAX} invitations waiting: revoke some first")]
    TooManyInvitations,
    #[error(transparent)]
    Invalid(#[from] Invalid),
}

/// Decides which events `command`, issued by `actor`, produces for the team in `state`.
pub fn decide(
    state: Option<&Team>,
    actor: Actor,
    command: TeamCommand,
) -> Result<Vec<TeamEvent>, TeamError> {
    let (team, command) = match (state, command) {
        (
            None,
            TeamCommand::CreateTeam {
                team_id,
                name,
                slug,
                owner_id,
            },
        ) => {
            let name = text::title(&name, NAME_MAX).map_err(|e| Invalid::new("name", e))?;
            let slug = text::slug(&slug).map_err(|e| Invalid::new("slug", e))?;
            return Ok(vec![
                TeamEvent::TeamCreated {
                    team_id,
                    name,
                    slug,
                },
                TeamEvent::MemberAdded {
                    member_id: owner_id,
                    role: Role::Owner,
                },
            ]);
        }
        (Some(_), TeamCommand::CreateTeam { .. }) => return Err(TeamError::AlreadyExists),
        (None, _) => return Err(TeamError::NotFound),
        // The invitee is no member yet: holding the code is what lets them in.
        (
            Some(team),
            TeamCommand::AcceptInvitation {
                invitation_id,
                member_id,
                now,
            },
        ) => return accept(team, invitation_id, member_id, now),
        (Some(team), command) => (team, command),
    };
    let acting_role =
        actor
            .member_id()
            .and_then(|id| team.role_of(id))
            .ok_or(TeamError::Forbidden(
                "only members of this team may change it",
            ))?;
    if !acting_role.can_administer() {
        return Err(TeamError::Forbidden(
            "only owners and admins may change the team and its members",
        ));
    }
    match command {
        TeamCommand::CreateTeam { .. } => Err(TeamError::AlreadyExists),
        TeamCommand::UpdateTeam(changes) => {
            if changes.sso.is_some() && acting_role != Role::Owner {
                return Err(TeamError::Forbidden(
                    "only owners may set up sign-in through a provider",
                ));
            }
            update(team, changes)
        }
        TeamCommand::AddMember { member_id, role } => {
            if team.members.contains_key(&member_id) {
                return Err(TeamError::AlreadyMember);
            }
            if role == Role::Owner && acting_role != Role::Owner {
                return Err(TeamError::Forbidden(
                    "only owners may make someone an owner",
                ));
            }
            Ok(vec![TeamEvent::MemberAdded { member_id, role }])
        }
        TeamCommand::ChangeMemberRole { member_id, role } => {
            let from = team.role_of(member_id).ok_or(TeamError::MemberNotFound)?;
            if (from == Role::Owner || role == Role::Owner) && acting_role != Role::Owner {
                return Err(TeamError::Forbidden(
                    "only owners may grant or take away the owner role",
                ));
            }
            if from == role {
                return Ok(vec![]);
            }
            if from == Role::Owner && team.owner_count() == 1 {
                return Err(TeamError::LastOwner);
            }
            Ok(vec![TeamEvent::MemberRoleChanged {
                member_id,
                from,
                to: role,
            }])
        }
        TeamCommand::RemoveMember { member_id } => {
            let role = team.role_of(member_id).ok_or(TeamError::MemberNotFound)?;
            if role == Role::Owner && acting_role != Role::Owner {
                return Err(TeamError::Forbidden("only owners may remove an owner"));
            }
            if role == Role::Owner && team.owner_count() == 1 {
                return Err(TeamError::LastOwner);
            }
            Ok(vec![TeamEvent::MemberRemoved { member_id }])
        }
        TeamCommand::Invite {
            invitation_id,
            role,
            now,
        } => {
            if role == Role::Owner && acting_role != Role::Owner {
                return Err(TeamError::Forbidden("only owners may invite an owner"));
            }
            let waiting = team
                .invitations
                .values()
                .filter(|i| i.expires_at > now)
                .count();
            if waiting >= INVITATIONS_MAX {
                return Err(TeamError::TooManyInvitations);
            }
            Ok(vec![TeamEvent::MemberInvited {
                invitation_id,
                role,
                expires_at: now + INVITATION_VALID,
            }])
        }
        TeamCommand::RevokeInvitation { invitation_id } => {
            if !team.invitations.contains_key(&invitation_id) {
                return Err(TeamError::InvitationNotFound);
            }
            Ok(vec![TeamEvent::InvitationRevoked { invitation_id }])
        }
        TeamCommand::AcceptInvitation {
            invitation_id,
            member_id,
            now,
        } => accept(team, invitation_id, member_id, now),
    }
}

/// The invitee joins with the invitation's role, if it is still waiting and not expired.
fn accept(
    team: &Team,
    invitation_id: Uuid,
    member_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<TeamEvent>, TeamError> {
    let invitation = team
        .invitations
        .get(&invitation_id)
        .filter(|i| i.expires_at > now)
        .ok_or(TeamError::InvitationInvalid)?;
    if team.members.contains_key(&member_id) {
        return Err(TeamError::AlreadyMember);
    }
    Ok(vec![
        TeamEvent::InvitationAccepted {
            invitation_id,
            member_id,
        },
        TeamEvent::MemberAdded {
            member_id,
            role: invitation.role,
        },
    ])
}

fn update(team: &Team, changes: TeamChanges) -> Result<Vec<TeamEvent>, TeamError> {
    let mut events = Vec::new();
    if let Some(name) = changes.name {
        let name = text::title(&name, NAME_MAX).map_err(|e| Invalid::new("name", e))?;
        if name != team.name {
            events.push(TeamEvent::TeamRenamed { name });
        }
    }
    // Only settings that really change are recorded, so a PATCH that repeats the current
    // values writes nothing.
    let differs = |new: Option<bool>, old: bool| new.filter(|n| *n != old);
    let require_approval = differs(changes.require_approval, team.require_approval);
    let board_public = differs(changes.board_public, team.board.public);
    let board_accepting_ideas = differs(changes.board_accepting_ideas, team.board.accepting_ideas);
    if require_approval.is_some() || board_public.is_some() || board_accepting_ideas.is_some() {
        events.push(TeamEvent::TeamSettingsChanged {
            require_approval,
            board_public,
            board_accepting_ideas,
        });
    }
    if let Some(wanted) = changes.sso {
        let wanted = wanted.map(sso).transpose()?;
        if wanted != team.sso {
            events.push(TeamEvent::TeamSsoChanged { sso: wanted });
        }
    }
    Ok(events)
}

/// Folds one event into the state.
pub fn apply(state: Option<Team>, event: &TeamEvent) -> Option<Team> {
    match (state, event) {
        (
            None,
            TeamEvent::TeamCreated {
                team_id,
                name,
                slug,
            },
        ) => Some(Team {
            id: *team_id,
            name: name.clone(),
            slug: slug.clone(),
            require_approval: false,
            board: BoardSettings::default(),
            members: BTreeMap::new(),
            invitations: BTreeMap::new(),
            sso: None,
        }),
        (None, _) => None,
        (Some(mut team), event) => {
            match event {
                TeamEvent::TeamCreated { .. } => {}
                TeamEvent::TeamRenamed { name } => team.name = name.clone(),
                TeamEvent::TeamSettingsChanged {
                    require_approval,
                    board_public,
                    board_accepting_ideas,
                } => {
                    team.require_approval = require_approval.unwrap_or(team.require_approval);
                    team.board.public = board_public.unwrap_or(team.board.public);
                    team.board.accepting_ideas =
                        board_accepting_ideas.unwrap_or(team.board.accepting_ideas);
                }
                TeamEvent::MemberAdded { member_id, role } => {
                    team.members.insert(*member_id, *role);
                }
                TeamEvent::MemberRoleChanged { member_id, to, .. } => {
                    team.members.insert(*member_id, *to);
                }
                TeamEvent::MemberRemoved { member_id } => {
                    team.members.remove(member_id);
                }
                TeamEvent::MemberInvited {
                    invitation_id,
                    role,
                    expires_at,
                } => {
                    team.invitations.insert(
                        *invitation_id,
                        Invitation {
                            role: *role,
                            expires_at: *expires_at,
                        },
                    );
                }
                TeamEvent::InvitationRevoked { invitation_id }
                | TeamEvent::InvitationAccepted { invitation_id, .. } => {
                    team.invitations.remove(invitation_id);
                }
                TeamEvent::TeamSsoChanged { sso } => team.sso = sso.clone(),
            }
            Some(team)
        }
    }
}

/// Folds a whole stream.
pub fn replay<'a>(events: impl IntoIterator<Item = &'a TeamEvent>) -> Option<Team> {
    events.into_iter().fold(None, apply)
}

impl crate::Aggregate for Team {
    type Command = TeamCommand;
    type Event = TeamEvent;
    type Error = TeamError;
    type Context = crate::Actor;

    fn decide(
        state: Option<&Team>,
        command: TeamCommand,
        context: &crate::Actor,
    ) -> Result<Vec<TeamEvent>, TeamError> {
        decide(state, *context, command)
    }

    fn apply(state: Option<Team>, event: &TeamEvent) -> Option<Team> {
        apply(state, event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{DecodeError, EventPayload};

    const TEAM: Uuid = Uuid::from_u128(1);
    const OWNER: Uuid = Uuid::from_u128(10);
    const ADMIN: Uuid = Uuid::from_u128(11);
    const MEMBER: Uuid = Uuid::from_u128(12);
    const VIEWER: Uuid = Uuid::from_u128(13);
    const NEWCOMER: Uuid = Uuid::from_u128(14);

    fn by(member_id: Uuid) -> Actor {
        Actor::Member { member_id }
    }

    fn created() -> Vec<TeamEvent> {
        decide(
            None,
            Actor::Anonymous,
            TeamCommand::CreateTeam {
                team_id: TEAM,
                name: " Acme Coffee ".into(),
                slug: "acme-coffee".into(),
                owner_id: OWNER,
            },
        )
        .unwrap()
    }

    /// A team with one member of each role.
    fn full_team() -> Team {
        let mut events = created();
        for (member_id, role) in [
            (ADMIN, Role::Admin),
            (MEMBER, Role::Member),
            (VIEWER, Role::Viewer),
        ] {
            events.push(TeamEvent::MemberAdded { member_id, role });
        }
        replay(&events).unwrap()
    }

    fn when(team: &Team, actor: Uuid, command: TeamCommand) -> Result<Vec<TeamEvent>, TeamError> {
        decide(Some(team), by(actor), command)
    }

    #[test]
    fn creating_a_team_makes_its_first_member_the_owner() {
        let events = created();
        assert_eq!(
            events,
            vec![
                TeamEvent::TeamCreated {
                    team_id: TEAM,
                    name: "Acme Coffee".into(),
                    slug: "acme-coffee".into()
                },
                TeamEvent::MemberAdded {
                    member_id: OWNER,
                    role: Role::Owner
                },
            ]
        );
        let team = replay(&events).unwrap();
        assert_eq!(team.role_of(OWNER), Some(Role::Owner));
        assert!(team.board.public && team.board.accepting_ideas && !team.require_approval);
    }

    #[test]
    fn a_team_is_created_once() {
        let team = full_team();
        let again = TeamCommand::CreateTeam {
            team_id: TEAM,
            name: "x".into(),
            slug: "xyz".into(),
            owner_id: OWNER,
        };
        assert_eq!(when(&team, OWNER, again), Err(TeamError::AlreadyExists));
    }

    #[test]
    fn bad_names_and_slugs_are_rejected_by_field() {
        let create = |name: &str, slug: &str| {
            decide(
                None,
                Actor::Anonymous,
                TeamCommand::CreateTeam {
                    team_id: TEAM,
                    name: name.into(),
                    slug: slug.into(),
                    owner_id: OWNER,
                },
            )
        };
        assert!(matches!(
            create("", "acme"),
            Err(TeamError::Invalid(Invalid { field: "name", .. }))
        ));
        assert!(matches!(
            create(&"n".repeat(NAME_MAX + 1), "acme"),
            Err(TeamError::Invalid(Invalid { field: "name", .. }))
        ));
        assert!(matches!(
            create("Acme", "Acme!"),
            Err(TeamError::Invalid(Invalid { field: "slug", .. }))
        ));
    }

    #[test]
    fn commands_on_a_missing_team_are_not_found() {
        let result = decide(
            None,
            by(OWNER),
            TeamCommand::RemoveMember { member_id: MEMBER },
        );
        assert_eq!(result, Err(TeamError::NotFound));
    }

    #[test]
    fn members_and_viewers_cannot_administer() {
        let team = full_team();
        for actor in [MEMBER, VIEWER, NEWCOMER] {
            let add = TeamCommand::AddMember {
                member_id: NEWCOMER,
                role: Role::Viewer,
            };
            assert!(
                matches!(when(&team, actor, add), Err(TeamError::Forbidden(_))),
                "{actor}"
            );
            let rename = TeamCommand::UpdateTeam(TeamChanges {
                name: Some("New".into()),
                ..Default::default()
            });
            assert!(
                matches!(when(&team, actor, rename), Err(TeamError::Forbidden(_))),
                "{actor}"
            );
        }
    }

    #[test]
    fn admins_manage_members_but_not_owners() {
        let team = full_team();
        let add = TeamCommand::AddMember {
            member_id: NEWCOMER,
            role: Role::Member,
        };
        assert_eq!(
            when(&team, ADMIN, add),
            Ok(vec![TeamEvent::MemberAdded {
                member_id: NEWCOMER,
                role: Role::Member
            }])
        );
        let add_owner = TeamCommand::AddMember {
            member_id: NEWCOMER,
            role: Role::Owner,
        };
        assert!(matches!(
            when(&team, ADMIN, add_owner),
            Err(TeamError::Forbidden(_))
        ));
        let remove_owner = TeamCommand::RemoveMember { member_id: OWNER };
        assert!(matches!(
            when(&team, ADMIN, remove_owner),
            Err(TeamError::Forbidden(_))
        ));
        let demote_owner = TeamCommand::ChangeMemberRole {
            member_id: OWNER,
            role: Role::Viewer,
        };
        assert!(matches!(
            when(&team, ADMIN, demote_owner),
            Err(TeamError::Forbidden(_))
        ));
        let promote = TeamCommand::ChangeMemberRole {
            member_id: MEMBER,
            role: Role::Admin,
        };
        assert_eq!(
            when(&team, ADMIN, promote),
            Ok(vec![TeamEvent::MemberRoleChanged {
                member_id: MEMBER,
                from: Role::Member,
                to: Role::Admin
            }])
        );
    }

    #[test]
    fn the_last_owner_cannot_leave_or_step_down() {
        let team = full_team();
        assert_eq!(
            when(&team, OWNER, TeamCommand::RemoveMember { member_id: OWNER }),
            Err(TeamError::LastOwner)
        );
        let step_down = TeamCommand::ChangeMemberRole {
            member_id: OWNER,
            role: Role::Admin,
        };
        assert_eq!(
            when(&team, OWNER, step_down.clone()),
            Err(TeamError::LastOwner)
        );

        let mut two_owners = team.clone();
        two_owners.members.insert(ADMIN, Role::Owner);
        assert_eq!(
            when(&two_owners, OWNER, step_down),
            Ok(vec![TeamEvent::MemberRoleChanged {
                member_id: OWNER,
                from: Role::Owner,
                to: Role::Admin
            }])
        );
    }

    #[test]
    fn unknown_members_are_not_found_and_members_are_added_once() {
        let team = full_team();
        assert_eq!(
            when(
                &team,
                OWNER,
                TeamCommand::RemoveMember {
                    member_id: NEWCOMER
                }
            ),
            Err(TeamError::MemberNotFound)
        );
        let add_again = TeamCommand::AddMember {
            member_id: MEMBER,
            role: Role::Viewer,
        };
        assert_eq!(when(&team, OWNER, add_again), Err(TeamError::AlreadyMember));
    }

    #[test]
    fn removed_members_lose_their_role() {
        let team = full_team();
        let events = when(
            &team,
            OWNER,
            TeamCommand::RemoveMember { member_id: MEMBER },
        )
        .unwrap();
        let team = events.iter().fold(Some(team), apply).unwrap();
        assert_eq!(team.role_of(MEMBER), None);
    }

    #[test]
    fn updates_record_only_what_changes() {
        let team = full_team();
        let same = TeamChanges {
            name: Some("Acme Coffee".into()),
            require_approval: Some(false),
            board_public: Some(true),
            board_accepting_ideas: None,
            sso: Some(None),
        };
        assert_eq!(
            when(&team, OWNER, TeamCommand::UpdateTeam(same)),
            Ok(vec![])
        );

        let changes = TeamChanges {
            name: Some("Acme Roasters".into()),
            require_approval: Some(true),
            board_public: Some(true),
            board_accepting_ideas: Some(false),
            sso: None,
        };
        let events = when(&team, ADMIN, TeamCommand::UpdateTeam(changes)).unwrap();
        assert_eq!(
            events,
            vec![
                TeamEvent::TeamRenamed {
                    name: "Acme Roasters".into()
                },
                TeamEvent::TeamSettingsChanged {
                    require_approval: Some(true),
                    board_public: None,
                    board_accepting_ideas: Some(false)
                },
            ]
        );
        let team = events.iter().fold(Some(team), apply).unwrap();
        assert_eq!(
            (
                team.name.as_str(),
                team.require_approval,
                team.board.public,
                team.board.accepting_ideas
            ),
            ("Acme Roasters", true, true, false)
        );
    }

    #[test]
    fn events_survive_an_encode_decode_round_trip() {
        let events = vec![
            TeamEvent::TeamCreated {
                team_id: TEAM,
                name: "Acme".into(),
                slug: "acme".into(),
            },
            TeamEvent::TeamSettingsChanged {
                require_approval: Some(true),
                board_public: None,
                board_accepting_ideas: None,
            },
            TeamEvent::MemberRoleChanged {
                member_id: MEMBER,
                from: Role::Member,
                to: Role::Viewer,
            },
        ];
        for event in events {
            let data = event.encode().unwrap();
            assert!(
                data.get("type").is_none(),
                "the type lives in its own column"
            );
            let back = TeamEvent::decode(event.event_type(), event.schema_version(), data).unwrap();
            assert_eq!(back, event);
        }
        assert!(matches!(
            TeamEvent::decode("NoSuchEvent", 1, serde_json::json!({})),
            Err(DecodeError::Unknown { .. })
        ));
        assert!(matches!(
            TeamEvent::decode("TeamRenamed", 9, serde_json::json!({})),
            Err(DecodeError::Unknown { .. })
        ));
        assert!(matches!(
            TeamEvent::decode("TeamRenamed", 1, serde_json::json!({"name": 3})),
            Err(DecodeError::Malformed { .. })
        ));
    }

    fn now() -> DateTime<Utc> {
        "2026-11-30T12:00:00Z".parse().unwrap()
    }

    const INVITATION: Uuid = Uuid::from_u128(20);

    fn invite(team: &Team, actor: Uuid, role: Role) -> Result<Vec<TeamEvent>, TeamError> {
        let command = TeamCommand::Invite {
            invitation_id: INVITATION,
            role,
            now: now(),
        };
        when(team, actor, command)
    }

    fn accept(team: &Team, at: DateTime<Utc>) -> Result<Vec<TeamEvent>, TeamError> {
        let command = TeamCommand::AcceptInvitation {
            invitation_id: INVITATION,
            member_id: NEWCOMER,
            now: at,
        };
        decide(Some(team), Actor::Anonymous, command)
    }

    #[test]
    fn an_invitation_is_accepted_once_within_seven_days_with_its_role() {
        let team = full_team();
        let invited = invite(&team, ADMIN, Role::Member).unwrap();
        assert_eq!(
            invited,
            vec![TeamEvent::MemberInvited {
                invitation_id: INVITATION,
                role: Role::Member,
                expires_at: now() + Duration::days(7),
            }]
        );
        let waiting = invited.iter().fold(Some(team.clone()), apply).unwrap();
        let joined = accept(&waiting, now() + Duration::days(6)).unwrap();
        assert_eq!(
            joined,
            vec![
                TeamEvent::InvitationAccepted {
                    invitation_id: INVITATION,
                    member_id: NEWCOMER,
                },
                TeamEvent::MemberAdded {
                    member_id: NEWCOMER,
                    role: Role::Member,
                },
            ]
        );
        let after = joined.iter().fold(Some(waiting.clone()), apply).unwrap();
        assert_eq!(after.role_of(NEWCOMER), Some(Role::Member));
        assert!(after.invitations.is_empty());
        // Used, expired or never made: the same answer.
        assert_eq!(accept(&after, now()), Err(TeamError::InvitationInvalid));
        assert_eq!(
            accept(&waiting, now() + Duration::days(7)),
            Err(TeamError::InvitationInvalid)
        );
        assert_eq!(accept(&team, now()), Err(TeamError::InvitationInvalid));
    }

    #[test]
    fn only_owners_and_admins_invite_and_revoke_and_only_owners_invite_owners() {
        let team = full_team();
        assert!(matches!(
            invite(&team, MEMBER, Role::Viewer),
            Err(TeamError::Forbidden(_))
        ));
        assert!(matches!(
            invite(&team, ADMIN, Role::Owner),
            Err(TeamError::Forbidden(_))
        ));
        let invited = invite(&team, OWNER, Role::Owner).unwrap();
        let waiting = invited.iter().fold(Some(team.clone()), apply).unwrap();
        let revoke = TeamCommand::RevokeInvitation {
            invitation_id: INVITATION,
        };
        assert!(matches!(
            when(&waiting, VIEWER, revoke.clone()),
            Err(TeamError::Forbidden(_))
        ));
        let revoked = when(&waiting, ADMIN, revoke.clone()).unwrap();
        let after = revoked.iter().fold(Some(waiting), apply).unwrap();
        assert_eq!(accept(&after, now()), Err(TeamError::InvitationInvalid));
        assert_eq!(
            when(&after, ADMIN, revoke),
            Err(TeamError::InvitationNotFound)
        );
    }

    #[test]
    fn a_team_has_at_most_500_invitations_waiting_and_expired_ones_do_not_count() {
        let mut team = full_team();
        for n in 0..INVITATIONS_MAX {
            team.invitations.insert(
                Uuid::from_u128(1000 + n as u128),
                Invitation {
                    role: Role::Member,
                    expires_at: now() + Duration::days(1),
                },
            );
        }
        assert_eq!(
            invite(&team, OWNER, Role::Member),
            Err(TeamError::TooManyInvitations)
        );
        let later = TeamCommand::Invite {
            invitation_id: INVITATION,
            role: Role::Member,
            now: now() + Duration::days(2),
        };
        assert!(when(&team, OWNER, later).is_ok());
    }

    #[test]
    fn only_owners_set_up_a_provider_and_it_is_checked() {
        let team = full_team();
        let okta = |issuer: &str, domain: Option<&str>| TeamChanges {
            sso: Some(Some(Sso {
                issuer: issuer.into(),
                audience: "stride".into(),
                allowed_domain: domain.map(str::to_owned),
            })),
            ..TeamChanges::default()
        };
        assert!(matches!(
            when(
                &team,
                ADMIN,
                TeamCommand::UpdateTeam(okta("https://acme.okta.com", None))
            ),
            Err(TeamError::Forbidden(_))
        ));
        let set = when(
            &team,
            OWNER,
            TeamCommand::UpdateTeam(okta("https://acme.okta.com", Some(" Acme.COM "))),
        )
        .unwrap();
        let after = set.iter().fold(Some(team.clone()), apply).unwrap();
        assert_eq!(
            after.sso.as_ref().and_then(|s| s.allowed_domain.as_deref()),
            Some("acme.com")
        );
        for (issuer, domain) in [
            ("http://acme.okta.com", None),
            ("https://acme.okta.com/?x=1", None),
            ("ftp://acme", None),
            ("https://acme.okta.com", Some("not a domain")),
            ("https://acme.okta.com", Some("acme..com")),
            ("https://acme.okta.com", Some("acme-.com")),
        ] {
            assert!(matches!(
                when(&team, OWNER, TeamCommand::UpdateTeam(okta(issuer, domain))),
                Err(TeamError::Invalid(_))
            ));
        }
        assert!(
            when(
                &team,
                OWNER,
                TeamCommand::UpdateTeam(okta("http://127.0.0.1:8080", None))
            )
            .is_ok()
        );
        let off = TeamChanges {
            sso: Some(None),
            ..TeamChanges::default()
        };
        assert_eq!(
            when(&after, OWNER, TeamCommand::UpdateTeam(off)).unwrap(),
            vec![TeamEvent::TeamSsoChanged { sso: None }]
        );
    }
}
