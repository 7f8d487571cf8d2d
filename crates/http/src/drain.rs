//! Draining: what a server does between SIGTERM and its exit, so that a load balancer moves
//! its traffic elsewhere without a request that was taken failing.
//!
//! At once: `/readyz` answers 503, the server's background work stops (its projectors' and
//! the webhook watcher's leaderships pass to another server as their connections close, and
//! the delivery worker's claims are sent by others), and event streams end with a `retry:`
//! hint so that clients reconnect, to another server. Requests are still taken for the
//! notice period, for the balancer's health check to see the 503, each answer closing its
//! connection so that the next request opens a new one elsewhere; then the listener closes,
//! requests in flight have the grace period to finish, and the process exits 0. A second
//! signal stops at once.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

/// How long a draining server still takes requests after SIGTERM, by default.
pub const NOTICE_DEFAULT: Duration = Duration::from_secs(2);
/// How long requests in flight have to finish once the listener closed, by default.
pub const GRACE_DEFAULT: Duration = Duration::from_secs(30);
/// What an event stream sends last: reconnect after this many milliseconds.
pub const RECONNECT_MS: u64 = 1000;

/// Whether this server is draining; cheap to clone.
#[derive(Debug, Clone)]
pub struct Drain {
    draining: Arc<watch::Sender<bool>>,
}

impl Default for Drain {
    fn default() -> Self {
        Drain {
            draining: Arc::new(watch::Sender::new(false)),
        }
    }
}

impl Drain {
    pub fn start(&self) {
        self.draining.send_replace(true);
    }

    pub fn is_draining(&self) -> bool {
        *self.draining.borrow()
    }

    /// Resolves once the server drains.
    pub fn started(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut draining = self.draining.subscribe();
        async move {
            let _ = draining.wait_for(|d| *d).await;
        }
    }
}

/// The timing of a shutdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shutdown {
    /// After SIGTERM, how long requests are still taken while `/readyz` answers 503.
    pub notice: Duration,
    /// Once the listener closed, how long requests in flight have to finish.
    pub grace: Duration,
}

impl Default for Shutdown {
    fn default() -> Self {
        Shutdown {
            notice: NOTICE_DEFAULT,
            grace: GRACE_DEFAULT,
        }
    }
}

/// Which signal began the shutdown.
enum Signal {
    /// SIGTERM, from a process manager: the balancer is given notice.
    Terminate,
    /// SIGINT, from a terminal: no balancer to tell.
    Interrupt,
}

/// Waits for SIGTERM or SIGINT, drains, and stops `server` as [`Shutdown`] says; a second
/// signal stops it at once.
pub(crate) async fn on_signals(
    drain: Drain,
    shutdown: Shutdown,
    server: actix_web::dev::ServerHandle,
    background: Vec<tokio::task::AbortHandle>,
) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut terminate), Ok(mut interrupt)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::warn!("could not listen for SIGTERM and SIGINT: no draining");
        return;
    };
    let first = tokio::select! {
        _ = terminate.recv() => Signal::Terminate,
        _ = interrupt.recv() => Signal::Interrupt,
    };
    drain.start();
    for task in &background {
        task.abort();
    }
    let notice = match first {
        Signal::Terminate => shutdown.notice,
        Signal::Interrupt => Duration::ZERO,
    };
    tracing::info!(
        notice_s = notice.as_secs_f64(),
        grace_s = shutdown.grace.as_secs_f64(),
        "draining: /readyz answers 503, background work handed over"
    );
    let again = async {
        tokio::select! {
            _ = terminate.recv() => {},
            _ = interrupt.recv() => {},
        }
    };
    tokio::pin!(again);
    tokio::select! {
        () = tokio::time::sleep(notice) => {}
        () = &mut again => {
            tracing::info!("stopping at once");
            server.stop(false).await;
            return;
        }
    }
    tracing::info!("listener closed; finishing the requests in flight");
    tokio::select! {
        () = server.stop(true) => {}
        () = &mut again => {
            tracing::info!("stopping at once");
            server.stop(false).await;
        }
    }
}
