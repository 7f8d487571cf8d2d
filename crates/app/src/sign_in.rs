//! Sign-in through a team's OpenID Connect provider: a bearer JWT from the team's issuer, for
//! its audience, signs in the member whose e-mail address the token verifies.
//!
//! The signature is checked against the provider's keys, found through its discovery
//! document and kept for ten minutes; a token signed with a key not yet seen fetches them
//! again (at most once a second per issuer), so a provider that rotates its keys is followed.
//! Only RS256 and ES256 are taken, so neither `none` nor an HMAC keyed with a public key can
//! pass. `iss`, `aud` and `exp` are required and checked, `nbf` when present, each with 60 s
//! of leeway. A verified address that no member has, but a waiting invitation does, accepts
//! that invitation on this first sign-in.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::Deserialize;
use stride_domain::team::{Role, Sso};
use uuid::Uuid;

use crate::{App, AppError, Origin, invitations, teams};

/// How long a provider's keys are kept before they are fetched again.
pub const KEYS_KEPT: Duration = Duration::from_secs(600);
/// How often an unknown key may make the keys be fetched again, per issuer.
pub const REFETCH_MIN: Duration = Duration::from_secs(1);
/// Clock skew allowed on `exp` and `nbf`.
pub const LEEWAY_SECS: u64 = 60;
/// How long a provider may take to answer.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest discovery document or key set read.
const DOCUMENT_MAX: usize = 256 * 1024;

/// Why a token does not sign anyone in; each is a 401 with this as its detail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    #[error("this team signs in with Stride tokens only: its owner has set up no provider")]
    NoProvider,
    #[error("the bearer token is not a well-formed JWT")]
    Malformed,
    #[error("only RS256 and ES256 tokens are taken")]
    Algorithm,
    #[error("the token was signed with a key the provider does not publish")]
    UnknownKey,
    #[error("the token is not valid: {0}")]
    Invalid(String),
    #[error("the token carries no verified e-mail address")]
    NoVerifiedEmail,
    #[error("only addresses of {0} sign in to this team")]
    Domain(String),
    #[error("no member of this team has this e-mail address, and no invitation waits for it")]
    NotMember,
    #[error("the provider's keys could not be read: {0}")]
    Provider(String),
}

/// The member a token signed in, and a stable id of the identity it carried (in place of
/// a token id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub member_id: Uuid,
    pub role: Role,
    pub session_id: Uuid,
}

#[derive(Debug, Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    email_verified: Option<bool>,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Discovery {
    jwks_uri: String,
}

/// A provider's keys as last fetched.
#[derive(Debug, Clone)]
struct Keys {
    set: JwkSet,
    fetched: Instant,
}

/// The providers' keys, kept between requests, and the client that fetches them.
#[derive(Debug, Default)]
pub struct Providers {
    keys: tokio::sync::Mutex<HashMap<String, Keys>>,
    http: std::sync::OnceLock<reqwest::Client>,
}

impl Providers {
    /// The key `kid` of `issuer`: from the keys kept, else fetched afresh.
    async fn key(&self, issuer: &str, kid: Option<&str>) -> Result<DecodingKey, SignInError> {
        let mut kept = self.keys.lock().await;
        let fresh = kept
            .get(issuer)
            .filter(|k| k.fetched.elapsed() < KEYS_KEPT)
            .cloned();
        if let Some(keys) = &fresh
            && let Some(key) = find(&keys.set, kid)
        {
            return key;
        }
        let may_fetch = fresh
            .as_ref()
            .is_none_or(|k| k.fetched.elapsed() >= REFETCH_MIN);
        if !may_fetch {
            return Err(SignInError::UnknownKey);
        }
        let set = self.fetch_keys(issuer).await?;
        let key = find(&set, kid);
        kept.insert(
            issuer.to_owned(),
            Keys {
                set,
                fetched: Instant::now(),
            },
        );
        key.unwrap_or(Err(SignInError::UnknownKey))
    }
}

/// The key named `kid` (or the only key, for a token that names none).
fn find(set: &JwkSet, kid: Option<&str>) -> Option<Result<DecodingKey, SignInError>> {
    let jwk = match kid {
        Some(kid) => set.find(kid)?,
        None if set.keys.len() == 1 => &set.keys[0],
        None => return None,
    };
    Some(DecodingKey::from_jwk(jwk).map_err(|e| SignInError::Provider(e.to_string())))
}

impl Providers {
    /// One client for every provider: no redirects followed, a short timeout.
    fn http(&self) -> Result<&reqwest::Client, SignInError> {
        if let Some(client) = self.http.get() {
            return Ok(client);
        }
        let client = reqwest::Client::builder()
            .timeout(PROVIDER_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| SignInError::Provider(e.to_string()))?;
        Ok(self.http.get_or_init(|| client))
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, SignInError> {
        let failed = |e: &dyn std::fmt::Display| SignInError::Provider(format!("{url}: {e}"));
        let response = self
            .http()?
            .get(url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| failed(&e))?;
        let body = response.bytes().await.map_err(|e| failed(&e))?;
        if body.len() > DOCUMENT_MAX {
            return Err(failed(&"the document is too large"));
        }
        serde_json::from_slice(&body).map_err(|e| failed(&e))
    }

    async fn fetch_keys(&self, issuer: &str) -> Result<JwkSet, SignInError> {
        let discovery: Discovery = self
            .get_json(&format!(
                "{}/.well-known/openid-configuration",
                issuer.trim_end_matches('/')
            ))
            .await?;
        self.get_json(&discovery.jwks_uri).await
    }
}

/// Why a header the library would not read is refused: an algorithm it does not know
/// (`none`, say) is named as such.
fn refused_header(token: &str) -> SignInError {
    use base64::Engine;
    let header = token.split('.').next().unwrap_or_default();
    let alg = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .ok()
        .and_then(|json| serde_json::from_slice::<serde_json::Value>(&json).ok())
        .and_then(|json| json.get("alg").cloned());
    match alg {
        Some(_) => SignInError::Algorithm,
        None => SignInError::Malformed,
    }
}

/// Whether `token` looks like a JWT rather than a Stride token: three dot-separated parts.
pub fn looks_like_jwt(token: &str) -> bool {
    token.split('.').count() == 3 && !token.starts_with("stride")
}

/// What a token of the team's provider must hold, signed with `algorithm`.
fn validation(sso: &Sso, algorithm: Algorithm) -> Validation {
    let mut validation = Validation::new(algorithm);
    validation.set_issuer(&[sso.issuer.as_str()]);
    validation.set_audience(&[sso.audience.as_str()]);
    validation.set_required_spec_claims(&["exp", "iss", "aud"]);
    validation.leeway = LEEWAY_SECS;
    validation.validate_nbf = true;
    validation
}

/// Signs in the member of `team_id` whose verified address `token` carries, accepting a
/// waiting invitation for that address on the way.
#[tracing::instrument(skip_all, fields(team_id = %team_id))]
pub async fn sign_in(
    app: &App,
    request_id: &str,
    team_id: Uuid,
    token: &str,
) -> Result<SignedIn, AppError> {
    let team = teams::load(&app.store, team_id).await?.state;
    let sso = team.sso.ok_or(SignInError::NoProvider)?;
    let header = decode_header(token).map_err(|_| refused_header(token))?;
    if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
        return Err(SignInError::Algorithm.into());
    }
    let key = app
        .providers
        .key(&sso.issuer, header.kid.as_deref())
        .await?;
    let claims = decode::<Claims>(token, &key, &validation(&sso, header.alg))
        .map_err(|e| SignInError::Invalid(e.to_string()))?
        .claims;
    let email = claims
        .email
        .filter(|_| claims.email_verified == Some(true))
        .ok_or(SignInError::NoVerifiedEmail)?;
    if let Some(domain) = &sso.allowed_domain {
        let of_domain = email
            .rsplit_once('@')
            .is_some_and(|(_, d)| d.eq_ignore_ascii_case(domain));
        if !of_domain {
            return Err(SignInError::Domain(domain.clone()).into());
        }
    }
    let session_id = Uuid::new_v5(
        &team_id,
        format!("{}\n{}", claims.iss, claims.sub).as_bytes(),
    );
    let directory = app.store.directory();
    if let Some(member) = directory.member_by_email(team_id, &email).await? {
        let role = Role::parse(&member.role).ok_or(AppError::NotFound("member"))?;
        return Ok(SignedIn {
            member_id: member.member_id,
            role,
            session_id,
        });
    }
    let invitation = directory
        .invitation_for_email(team_id, &email)
        .await?
        .ok_or(SignInError::NotMember)?;
    let name = claims
        .name
        .or_else(|| invitation.name.clone())
        .and_then(|n| stride_domain::text::title(&n, crate::people::PERSON_NAME_MAX).ok())
        .unwrap_or_else(|| email.clone());
    let origin = Origin {
        actor: stride_domain::Actor::Anonymous,
        request_id: request_id.to_owned(),
    };
    let joined = invitations::accept_record(app, &origin, invitation, name).await?;
    let role = Role::parse(&joined.member.role).ok_or(AppError::NotFound("member"))?;
    Ok(SignedIn {
        member_id: joined.member.member_id,
        role,
        session_id,
    })
}

/// What a browser needs to sign a person in to a team through its provider before it holds
/// any token: the team, the issuer to send them to, and the client id to send them with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderOf {
    pub team_id: Uuid,
    pub team_name: String,
    pub slug: String,
    pub issuer: String,
    /// The audience the team set: the client id its tokens are issued for.
    pub client_id: String,
}

/// The sign-in provider of the team at `slug`. A team without one and a slug that names no
/// team are one answer, `NotFound`, so that the lookup tells nothing of teams without a
/// provider. Issuer and client id are no secret: the provider's own sign-in page shows them.
#[tracing::instrument(skip_all, fields(slug = %slug))]
pub async fn provider_of(app: &App, slug: &str) -> Result<ProviderOf, AppError> {
    let team = app.boards.team(&app.store, slug).await?;
    let Some((team, sso)) = team.and_then(|t| t.sso.clone().map(|sso| (t, sso))) else {
        return Err(AppError::NotFound("sign-in provider"));
    };
    Ok(ProviderOf {
        team_id: team.id,
        team_name: team.name.clone(),
        slug: team.slug.clone(),
        issuer: sso.issuer,
        client_id: sso.audience,
    })
}
