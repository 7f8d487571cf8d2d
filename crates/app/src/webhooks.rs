//! Webhook endpoints: created with a secret shown once, listed, changed, paused, rotated and
//! deleted by a team's owners and admins; their deliveries listed and sent again; a test
//! message sent on demand. Where an endpoint may send is the server's policy
//! ([`WebhookPolicy`]): `https` only and never into a private network, checked at creation,
//! at every change and again before every delivery, since DNS answers can change.

use std::net::{IpAddr, SocketAddr};

use base64::Engine;
use chrono::{DateTime, Utc};
use rand::RngCore;
use stride_domain::Actor;
use stride_domain::webhook::{
    Webhook, WebhookChange, WebhookCommand, WebhookError, WebhookEvent, WebhookStatus,
};
use stride_storage::SideWrite;
use stride_storage::webhooks::Delivery;
use uuid::Uuid;

use crate::execute::{self, Outcome};
use crate::versioned::{self, Versioned};
use crate::{App, AppError, Origin};

/// How long a webhook URL's host may take to resolve.
const LOOKUP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Where webhooks may send.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WebhookPolicy {
    /// `http` and private, loopback and link-local destinations too: for local development
    /// and tests only (`STRIDE_WEBHOOK_ALLOW_PRIVATE=true`).
    pub allow_private: bool,
}

/// Why an address may not be sent to, if it may not: loopback, private, link-local,
/// multicast, unspecified, broadcast or shared (carrier-grade NAT) addresses, IPv4 ones
/// mapped into IPv6 included.
pub fn forbidden_address(ip: IpAddr) -> Option<&'static str> {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    let why = match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            if v4.is_loopback() {
                "a loopback address"
            } else if v4.is_private() || (a == 100 && (64..128).contains(&b)) {
                "a private address"
            } else if v4.is_link_local() {
                "a link-local address"
            } else if v4.is_multicast() || v4.is_broadcast() {
                "a multicast or broadcast address"
            } else if v4.is_unspecified() || a == 0 {
                "an unspecified address"
            } else {
                return None;
            }
        }
        IpAddr::V6(v6) => {
            if v6.is_loopback() {
                "a loopback address"
            } else if v6.is_unique_local() {
                "a private address"
            } else if v6.is_unicast_link_local() {
                "a link-local address"
            } else if v6.is_multicast() {
                "a multicast address"
            } else if v6.is_unspecified() {
                "an unspecified address"
            } else {
                return None;
            }
        }
    };
    Some(why)
}

impl WebhookPolicy {
    /// The URL's host and port, if its scheme may be sent to and its host, when an address
    /// itself, is allowed; a host name is checked when it is resolved.
    pub fn host_of(self, url: &str) -> Result<(String, u16), AppError> {
        let forbidden = |why: String| AppError::WebhookUrlForbidden(why);
        let parsed =
            url::Url::parse(url).map_err(|e| forbidden(format!("url is not a valid URL: {e}")))?;
        let plain_allowed = self.allow_private && parsed.scheme() == "http";
        if parsed.scheme() != "https" && !plain_allowed {
            return Err(forbidden("url must be an https URL".into()));
        }
        let host = parsed
            .host_str()
            .ok_or_else(|| forbidden("url must name a host".into()))?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        if let Ok(ip) = host.parse::<IpAddr>() {
            self.allowed(&host, ip)?;
        }
        Ok((host, parsed.port_or_known_default().unwrap_or(443)))
    }

    fn allowed(self, host: &str, ip: IpAddr) -> Result<(), AppError> {
        match forbidden_address(ip) {
            Some(why) if !self.allow_private => Err(AppError::WebhookUrlForbidden(format!(
                "url's host {host} is {why} ({ip}): webhooks send only to public addresses"
            ))),
            _ => Ok(()),
        }
    }

    /// The addresses `host` resolves to, all allowed, or why it may not be sent to.
    pub async fn resolve(self, host: &str, port: u16) -> Result<Vec<SocketAddr>, AppError> {
        let forbidden = |why: String| AppError::WebhookUrlForbidden(why);
        let lookup = tokio::time::timeout(LOOKUP_TIMEOUT, tokio::net::lookup_host((host, port)));
        let addresses: Vec<SocketAddr> = match lookup.await {
            Ok(Ok(found)) => found.collect(),
            Ok(Err(_)) => Vec::new(),
            Err(_) => {
                return Err(forbidden(format!(
                    "url's host {host} did not resolve within {} s",
                    LOOKUP_TIMEOUT.as_secs()
                )));
            }
        };
        if addresses.is_empty() {
            return Err(forbidden(format!("url's host {host} does not resolve")));
        }
        for address in &addresses {
            self.allowed(host, address.ip())?;
        }
        Ok(addresses)
    }

    /// Whether `url` may be sent to now: its scheme, and every address its host resolves to.
    pub async fn destinations(self, url: &str) -> Result<Vec<SocketAddr>, AppError> {
        let (host, port) = self.host_of(url)?;
        self.resolve(&host, port).await
    }
}

/// Resolves the hosts a delivery connects to under the policy, so that the addresses checked
/// are the very ones connected to: DNS cannot answer one thing to the check and another to
/// the connection.
#[derive(Debug, Clone, Copy)]
pub struct PolicyResolver(pub WebhookPolicy);

impl reqwest::dns::Resolve for PolicyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let (policy, host) = (self.0, name.as_str().to_owned());
        Box::pin(async move {
            let addresses = policy.resolve(&host, 0).await.map_err(
                |e| -> Box<dyn std::error::Error + Send + Sync> { e.to_string().into() },
            )?;
            let addresses: reqwest::dns::Addrs = Box::new(addresses.into_iter());
            Ok(addresses)
        })
    }
}

/// A new signing secret: `whsec_` and 32 random bytes in base64, as Standard Webhooks
/// libraries read it.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// What a new endpoint is created with.
#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub url: String,
    pub description: Option<String>,
    pub event_types: Vec<String>,
}

/// Creates an endpoint with a new secret, shown in this answer only.
#[tracing::instrument(skip_all, fields(team_id = %team_id))]
pub async fn create(
    app: &App,
    origin: &Origin,
    team_id: Uuid,
    new: NewWebhook,
) -> Result<(Versioned<Webhook>, String), AppError> {
    // Every field is checked before the URL's host is looked up.
    let url = stride_domain::webhook::url(&new.url)?;
    stride_domain::webhook::checked_event_types(new.event_types.clone())?;
    app.webhook_policy.destinations(&url).await?;
    let webhook_id = Uuid::now_v7();
    let secret = new_secret();
    let command = WebhookCommand::Create {
        webhook_id,
        url,
        description: new.description,
        event_types: new.event_types,
    };
    let write = SideWrite::WebhookSecret {
        webhook_id,
        secret: secret.clone(),
    };
    let outcome = run_with(
        app,
        origin,
        (team_id, webhook_id),
        None,
        command,
        vec![write],
    )
    .await?;
    Ok((Versioned::found(outcome, "webhook")?, secret))
}

/// The team's endpoints, oldest first.
pub async fn list(app: &App, team_id: Uuid) -> Result<Vec<Versioned<Webhook>>, AppError> {
    versioned::in_team::<Webhook>(&app.store, team_id).await
}

/// One of the team's endpoints.
pub async fn get(
    app: &App,
    team_id: Uuid,
    webhook_id: Uuid,
) -> Result<Versioned<Webhook>, AppError> {
    let outcome = execute::load_aggregate::<Webhook>(&app.store, team_id, webhook_id).await?;
    Versioned::found(outcome, "webhook")
}

/// Changes an endpoint's URL, description, event types or status.
pub async fn change(
    app: &App,
    origin: &Origin,
    ids: (Uuid, Uuid),
    if_match: Option<i64>,
    change: WebhookChange,
) -> Result<Versioned<Webhook>, AppError> {
    if let Some(url) = &change.url {
        app.webhook_policy
            .destinations(&stride_domain::webhook::url(url)?)
            .await?;
    }
    // Set active again, an endpoint's failures before no longer count towards pausing it.
    let writes = match change.status {
        Some(WebhookStatus::Active) => vec![SideWrite::WebhookResumed { webhook_id: ids.1 }],
        _ => Vec::new(),
    };
    let command = WebhookCommand::Change(change);
    let outcome = run_with(app, origin, ids, if_match, command, writes).await?;
    Versioned::found(outcome, "webhook")
}

/// Pauses an endpoint that has failed every delivery since `failing_since` (over
/// [`stride_domain::webhook::FAILING_MAX`] hours), saying so; nothing when it is paused or
/// gone already.
pub async fn pause_failing(
    app: &App,
    ids: (Uuid, Uuid),
    failing_since: DateTime<Utc>,
) -> Result<(), AppError> {
    let origin = Origin {
        actor: Actor::System,
        request_id: format!("webhook-health-{}", ids.1),
    };
    let command = WebhookCommand::PauseFailing { failing_since };
    match run_with(app, &origin, ids, None, command, Vec::new()).await {
        Ok(_) | Err(AppError::Webhook(WebhookError::NotFound)) => Ok(()),
        Err(error) => Err(error),
    }
}

/// A new secret for an endpoint, shown in this answer only; the one before still signs for
/// 24 h.
pub async fn rotate_secret(
    app: &App,
    origin: &Origin,
    ids: (Uuid, Uuid),
) -> Result<(Versioned<Webhook>, String), AppError> {
    let secret = new_secret();
    let write = SideWrite::WebhookSecret {
        webhook_id: ids.1,
        secret: secret.clone(),
    };
    let command = WebhookCommand::RotateSecret;
    let outcome = run_with(app, origin, ids, None, command, vec![write]).await?;
    Ok((Versioned::found(outcome, "webhook")?, secret))
}

/// Deletes an endpoint with its secrets; what it had not delivered yet is given up.
pub async fn delete(app: &App, origin: &Origin, ids: (Uuid, Uuid)) -> Result<i64, AppError> {
    let write = SideWrite::WebhookDeleted { webhook_id: ids.1 };
    let outcome = run_with(app, origin, ids, None, WebhookCommand::Delete, vec![write]).await?;
    Ok(outcome.position)
}

/// Runs a command with the rows that go with its events.
async fn run_with(
    app: &App,
    origin: &Origin,
    ids: (Uuid, Uuid),
    if_match: Option<i64>,
    command: WebhookCommand,
    writes: Vec<SideWrite>,
) -> Result<Outcome<Webhook>, AppError> {
    execute::execute_with(
        app,
        origin,
        ids,
        if_match,
        stride_domain::webhook::apply,
        |state| {
            let events: Vec<WebhookEvent> = stride_domain::webhook::decide(state, command.clone())?;
            let writes = if events.is_empty() {
                Vec::new()
            } else {
                writes.clone()
            };
            Ok::<_, AppError>((events, writes))
        },
    )
    .await
}

/// A webhook's deliveries, newest first (see [`stride_storage::webhooks::Deliveries::list`]).
pub async fn deliveries(
    app: &App,
    (team_id, webhook_id): (Uuid, Uuid),
    status: Option<&str>,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Delivery>, AppError> {
    get(app, team_id, webhook_id).await?;
    Ok(app
        .store
        .deliveries()
        .list(team_id, webhook_id, status, before, limit)
        .await?)
}

/// Queues one delivery again now.
pub async fn redeliver(
    app: &App,
    (team_id, webhook_id): (Uuid, Uuid),
    delivery_id: Uuid,
) -> Result<Delivery, AppError> {
    let deliveries = app.store.deliveries();
    let delivery = deliveries
        .redeliver(team_id, webhook_id, delivery_id)
        .await?
        .ok_or(AppError::NotFound("delivery"))?;
    deliveries.wake();
    Ok(delivery)
}

/// Queues a `webhook.test` message to an endpoint now.
pub async fn send_test(
    app: &App,
    (team_id, webhook_id): (Uuid, Uuid),
) -> Result<Delivery, AppError> {
    let webhook = get(app, team_id, webhook_id).await?;
    let payload = serde_json::json!({
        "type": "webhook.test",
        "timestamp": Utc::now(),
        "data": { "webhook_id": webhook.state.id, "url": webhook.state.url },
    });
    let deliveries = app.store.deliveries();
    let Some(delivery) = deliveries.queue_test(team_id, webhook_id, payload).await? else {
        return Err(AppError::NotFound("webhook"));
    };
    deliveries.wake();
    Ok(delivery)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_loopback_link_local_and_multicast_addresses_are_forbidden_public_ones_not() {
        for forbidden in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "ff02::1",
            "::",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            let ip: IpAddr = forbidden.parse().unwrap();
            assert!(forbidden_address(ip).is_some(), "{forbidden}");
        }
        for public in ["93.184.215.14", "1.1.1.1", "2606:4700::1111", "100.128.0.1"] {
            let ip: IpAddr = public.parse().unwrap();
            assert_eq!(forbidden_address(ip), None, "{public}");
        }
    }

    #[test]
    fn a_secret_is_whsec_and_32_bytes_of_base64() {
        let secret = new_secret();
        let raw = secret.strip_prefix("whsec_").unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(raw)
            .unwrap();
        assert_eq!(bytes.len(), 32);
        assert_ne!(secret, new_secret());
    }
}
