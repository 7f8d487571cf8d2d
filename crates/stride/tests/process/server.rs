//! A `stride serve` process under test: started, waited for, stopped or killed; and the
//! team a test signs up on it.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::{Value, json};

pub struct Server {
    pub child: Child,
    pub base: String,
    log: PathBuf,
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Server {
    /// `stride serve` on a free port with `env` (and no `DATABASE_URL` unless `env` has
    /// one), logging to `log`.
    pub fn start(env: &[(&str, &str)], log: PathBuf) -> Server {
        let port = free_port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_stride"));
        command
            .arg("serve")
            .env_remove("DATABASE_URL")
            .env("STRIDE_ADDR", format!("127.0.0.1:{port}"))
            .env("STRIDE_WORKERS", "1")
            // No load balancer to give notice to, unless a test says otherwise.
            .env("STRIDE_SHUTDOWN_NOTICE_SECS", "0");
        for (name, value) in env {
            command.env(name, value);
        }
        let child = command
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::create(&log).unwrap().try_clone().unwrap())
            .spawn()
            .expect("stride starts");
        Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        }
    }

    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub async fn wait_ready(&mut self, http: &reqwest::Client) {
        let deadline = Instant::now() + Duration::from_secs(90);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("stride exited early ({status}):\n{}", self.output());
            }
            if let Ok(response) = http.get(format!("{}/readyz", self.base)).send().await
                && response.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("stride did not become ready:\n{}", self.output());
    }

    /// SIGTERM, then the exit status within 30 s.
    pub fn terminate(mut self) -> (std::process::ExitStatus, String) {
        kill(Pid::from_raw(self.child.id() as i32), Signal::SIGTERM).unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status, self.output());
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("stride did not stop on SIGTERM:\n{}", self.output());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGTERM, and a clean exit.
    pub fn stop(self) {
        let (status, output) = self.terminate();
        assert!(status.success(), "{output}");
    }

    /// SIGKILL: no shutdown, no flush, no goodbye.
    pub fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

/// A server still running when its test ends (a failed assertion, say) is killed rather
/// than left serving after the test binary exits.
impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A team signed up on a server: its id and its owner's token.
pub struct Team {
    pub id: String,
    pub token: String,
}

/// Signs up the team `acme` on the server at `base`.
pub async fn sign_up(http: &reqwest::Client, base: &str) -> Team {
    sign_up_as(http, base, "acme").await
}

/// Signs up a team with `slug` on the server at `base`.
pub async fn sign_up_as(http: &reqwest::Client, base: &str, slug: &str) -> Team {
    let body = answer(
        http.post(format!("{base}/v1/teams"))
            .json(&json!({ "name": "Acme", "slug": slug, "owner": { "name": "Olivia", "email": "olivia@example.com" } })),
    )
    .await;
    Team {
        id: body["team"]["id"].as_str().unwrap().to_owned(),
        token: body["token"]["secret"].as_str().unwrap().to_owned(),
    }
}

/// Sends `request` and answers the JSON body of its response.
pub async fn answer(request: reqwest::RequestBuilder) -> Value {
    request.send().await.unwrap().json().await.unwrap()
}
