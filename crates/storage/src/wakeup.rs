//! Wake-ups across server processes: after a commit this process announces new events with
//! `NOTIFY stride_events` (from its own connection, after the commit, so appends never pay
//! for it), and a `LISTEN stride_events` connection wakes this process's projectors and live
//! streams when another process appends. Announcements coalesce: the commits of a 2 ms
//! window, and those made while one NOTIFY is in flight, make one more. Projectors also
//! poll, so a lost connection only slows them down until it is back.

use std::time::Duration;

use futures_util::StreamExt;
use tokio_postgres::{AsyncMessage, NoTls};

use crate::Store;

const CHANNEL: &str = "stride_events";
const RETRY: Duration = Duration::from_secs(1);
/// How long an announcement waits for more commits to announce with it.
const GATHER: Duration = Duration::from_millis(2);

impl Store {
    /// Starts announcing this process's appends and listening for others'; runs until the
    /// runtime stops, reconnecting as needed.
    pub fn spawn_wakeups(&self, config: tokio_postgres::Config) -> tokio::task::JoinHandle<()> {
        let store = self.clone();
        tokio::spawn(async move {
            loop {
                if let Err(error) = store.wake_on_notify(&config).await {
                    tracing::debug!(error = %error, "event notifications paused; polling meanwhile");
                }
                tokio::time::sleep(RETRY).await;
            }
        })
    }

    async fn wake_on_notify(
        &self,
        config: &tokio_postgres::Config,
    ) -> Result<(), tokio_postgres::Error> {
        let (client, mut connection) = config.connect(NoTls).await?;
        let (heard, mut hearing) = tokio::sync::mpsc::unbounded_channel::<()>();
        let driver = tokio::spawn(async move {
            let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
            while let Some(message) = messages.next().await {
                match message {
                    Ok(AsyncMessage::Notification(_)) => {
                        if heard.send(()).is_err() {
                            break;
                        }
                    }
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
        });
        client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
        let notify = format!("NOTIFY {CHANNEL}");
        let result = loop {
            tokio::select! {
                () = self.to_announce() => {
                    // Let the commits of the next moment join this announcement.
                    tokio::time::sleep(GATHER).await;
                    if let Err(error) = client.batch_execute(&notify).await {
                        break Err(error);
                    }
                }
                message = hearing.recv() => match message {
                    Some(()) => self.wake_local(),
                    None => break Ok(()),
                },
            }
        };
        driver.abort();
        result
    }
}
