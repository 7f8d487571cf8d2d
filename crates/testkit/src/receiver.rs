//! A webhook receiver for tests: an HTTP/1.1 server on 127.0.0.1 that answers each request
//! with the next status of its script (then 204), after an optional delay, and keeps what
//! it got.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

/// One message as the receiver got it.
#[derive(Debug, Clone)]
pub struct Received {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: Vec<u8>,
}

pub struct Receiver {
    /// Where to send: `http://127.0.0.1:<port>/hook`.
    pub url: String,
    pub received: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    /// Answers at once, with `script`'s statuses first.
    pub async fn start(script: Vec<u16>) -> std::io::Result<Receiver> {
        Receiver::start_slow(script, Duration::ZERO).await
    }

    /// Answers each request `delay` after it arrived (it is kept on arrival).
    pub async fn start_slow(script: Vec<u16>, delay: Duration) -> std::io::Result<Receiver> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/hook", listener.local_addr()?);
        let received = Arc::new(Mutex::new(Vec::new()));
        let (kept, script) = (received.clone(), Arc::new(Mutex::new(script.into_iter())));
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (kept, script) = (kept.clone(), script.clone());
                tokio::spawn(async move {
                    let mut stream = BufReader::new(stream);
                    let mut headers = Vec::new();
                    loop {
                        let mut line = String::new();
                        if stream.read_line(&mut line).await.unwrap_or(0) == 0 || line == "\r\n" {
                            break;
                        }
                        if let Some((name, value)) = line.trim_end().split_once(':') {
                            headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
                        }
                    }
                    let header = |name: &str| {
                        headers
                            .iter()
                            .find(|(n, _)| n == name)
                            .map(|(_, v)| v.clone())
                            .unwrap_or_default()
                    };
                    let length: usize = header("content-length").parse().unwrap_or(0);
                    let mut body = vec![0; length];
                    // A request cut short (its sender died) was not received.
                    if stream.read_exact(&mut body).await.is_err()
                        || header("webhook-id").is_empty()
                    {
                        return;
                    }
                    if let Ok(mut kept) = kept.lock() {
                        kept.push(Received {
                            id: header("webhook-id"),
                            timestamp: header("webhook-timestamp"),
                            signature: header("webhook-signature"),
                            body,
                        });
                    }
                    tokio::time::sleep(delay).await;
                    let status = script.lock().ok().and_then(|mut s| s.next()).unwrap_or(204);
                    // A long body: what a delivery keeps of it is bounded.
                    let answer = format!(
                        "HTTP/1.1 {status} X\r\ncontent-length: 2000\r\nconnection: close\r\n\r\n{}",
                        "e".repeat(2000)
                    );
                    let _ = stream.get_mut().write_all(answer.as_bytes()).await;
                });
            }
        });
        Ok(Receiver { url, received })
    }

    /// What it got so far.
    pub fn got(&self) -> Vec<Received> {
        self.received.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Waits until it holds `count` messages, at most `within`; what it holds then.
    pub async fn wait_for(&self, count: usize, within: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let got = self.got();
            if got.len() >= count || tokio::time::Instant::now() >= deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
