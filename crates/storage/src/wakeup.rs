//! Wake-ups across server processes: after a commit this process announces new events with
//! `NOTIFY stride_events` (from its own connection, after the commit, so appends never pay
//! for it), and a `LISTEN stride_events` connection wakes this process's projectors and live
//! streams when another process appends. The same connection hears `stride_tokens`, sent by
//! the transaction that revokes a member token, removes a member or changes a role, and
//! makes this process forget the member tokens it keeps; they are kept only while it listens.
//! Announcements coalesce: the commits of a 2 ms window, and those made while one NOTIFY is
//! in flight, make one more. While the connection is up, caught-up projectors wait for these
//! wake-ups alone (with a 5 s safety net); while it is down they poll, so a lost connection
//! only slows them down until it is back. Within a process, [`EventLog::watch_appends`]
//! wakes a waiter after the next append seen.

use std::time::Duration;

use futures_util::StreamExt;
use tokio_postgres::{AsyncMessage, NoTls};

use crate::Store;
use crate::events::EventLog;

pub(crate) const CHANNEL: &str = "stride_events";
/// Sent in the transaction that revokes a member token, removes a member or changes a role.
const TOKENS: &str = "stride_tokens";
const RETRY: Duration = Duration::from_secs(1);
/// How long an announcement waits for more commits to announce with it.
const GATHER: Duration = Duration::from_millis(2);

/// A wake-up armed by [`EventLog::watch_appends`].
pub struct AppendWatch<'a>(std::pin::Pin<Box<tokio::sync::futures::Notified<'a>>>);

impl AppendWatch<'_> {
    /// Resolves once an append was seen since the watch was armed, or after `timeout`.
    pub async fn or(self, timeout: Duration) {
        let _ = tokio::time::timeout(timeout, self.0).await;
    }
}

impl<'a> EventLog<'a> {
    /// Resolves after the next append seen (see [`Store::spawn_wakeups`]), or after
    /// `timeout`.
    pub async fn appended_or(self, timeout: Duration) {
        self.watch_appends().or(timeout).await;
    }

    /// Arms a wake-up for the next append seen, to take before reading: an append that
    /// commits while the caller reads then wakes it at once instead of being missed.
    pub fn watch_appends(self) -> AppendWatch<'a> {
        let mut notified = Box::pin(self.store.appended().notified());
        notified.as_mut().enable();
        AppendWatch(notified)
    }
}

/// Announces this process's appends and listens for others' (see [`Store::spawn_wakeups`]).
pub(crate) fn spawn(store: Store, config: tokio_postgres::Config) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(error) = wake_on_notify(&store, &config).await {
                tracing::debug!(error = %error, "event notifications paused; polling meanwhile");
            }
            tokio::time::sleep(RETRY).await;
        }
    })
}

async fn wake_on_notify(
    store: &Store,
    config: &tokio_postgres::Config,
) -> Result<(), tokio_postgres::Error> {
    let (client, mut connection) = config.connect(NoTls).await?;
    // What was heard: true for a change of member tokens, false for new events.
    let (heard, mut hearing) = tokio::sync::mpsc::unbounded_channel::<bool>();
    let driver = tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message {
                Ok(AsyncMessage::Notification(notification)) => {
                    if heard.send(notification.channel() == TOKENS).is_err() {
                        break;
                    }
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
    });
    client
        .batch_execute(&format!("LISTEN {CHANNEL}; LISTEN {TOKENS}"))
        .await?;
    // From here on a change of member tokens is heard: they may be kept in memory.
    store.member_tokens().set_listening(true);
    let notify = format!("NOTIFY {CHANNEL}");
    let result = loop {
        tokio::select! {
            () = store.to_announce() => {
                // Let the commits of the next moment join this announcement.
                tokio::time::sleep(GATHER).await;
                if let Err(error) = client.batch_execute(&notify).await {
                    break Err(error);
                }
            }
            message = hearing.recv() => match message {
                Some(true) => store.member_tokens().forget(),
                Some(false) => store.wake_local(),
                None => break Ok(()),
            },
        }
    };
    store.member_tokens().set_listening(false);
    driver.abort();
    result
}
