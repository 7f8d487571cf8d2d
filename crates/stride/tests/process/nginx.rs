//! Two servers behind nginx, configured as the README's example: clients behind the proxy
//! each have their own board limits (which hold across both servers), a forged
//! `X-Forwarded-For` gains a client nothing, and a server drained under load through the
//! proxy fails no request. Runs where nginx is installed (`.ci/run` installs it).

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::json;
use stride_testkit::TestDatabase;
use tokio::sync::Mutex;

use crate::server::{Server, free_port, sign_up};

fn nginx_binary() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("nginx"))
            .find(|candidate| candidate.is_file())
    });
    on_path.or_else(|| {
        let sbin = PathBuf::from("/usr/sbin/nginx");
        sbin.is_file().then_some(sbin)
    })
}

/// nginx in front of `upstreams`, as the README's example configures it.
struct Nginx {
    child: Child,
    base: String,
}

impl Nginx {
    fn start(binary: &Path, dir: &Path, upstreams: &[&str]) -> Nginx {
        std::fs::create_dir_all(dir).unwrap();
        // Workers run as an unprivileged user when the tests run as root.
        let mut permissions = std::fs::metadata(dir).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o777);
        std::fs::set_permissions(dir, permissions).unwrap();
        let port = free_port();
        let servers: String = upstreams
            .iter()
            .map(|u| format!("        server {u} max_fails=1 fail_timeout=10s;\n"))
            .collect();
        let d = dir.display();
        let config = format!(
            "daemon off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    upstream stride {{
{servers}    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 50m;
        location / {{
            proxy_pass http://stride;
            proxy_http_version 1.1;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_next_upstream error timeout non_idempotent;
            proxy_buffering off;
            proxy_read_timeout 1h;
        }}
    }}
}}
"
        );
        let file = dir.join("nginx.conf");
        std::fs::write(&file, config).unwrap();
        let child = Command::new(binary)
            .arg("-c")
            .arg(&file)
            .arg("-e")
            .arg(dir.join("error.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("nginx starts");
        Nginx {
            child,
            base: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = kill(Pid::from_raw(self.child.id() as i32), Signal::SIGQUIT);
        let _ = self.child.wait();
    }
}

/// A client whose connections come from `address` (any of 127.0.0.0/8 is this machine).
fn client_from(address: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(address.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

/// `count` joins of the board `acme` through `base`, with `forged` as X-Forwarded-For.
async fn joins(http: &reqwest::Client, base: &str, forged: Option<&str>, count: usize) -> Vec<u16> {
    let mut statuses = Vec::new();
    for _ in 0..count {
        let mut request = http
            .post(format!("{base}/v1/boards/acme/contributors"))
            .json(&json!({}));
        if let Some(forged) = forged {
            request = request.header("x-forwarded-for", forged);
        }
        statuses.push(request.send().await.unwrap().status().as_u16());
    }
    statuses
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_nginx_clients_have_their_own_shared_limits_and_a_drained_server_fails_nothing() {
    let Some(binary) = nginx_binary() else {
        eprintln!("nginx is not installed: skipping the test behind nginx");
        return;
    };
    let db = TestDatabase::new().await.unwrap();
    let http = reqwest::Client::new();
    let env = [
        ("DATABASE_URL", db.url()),
        ("STRIDE_TRUSTED_PROXIES", "127.0.0.1/32"),
        ("STRIDE_BOARD_RATE_PER_MINUTE", "1"),
        ("STRIDE_BOARD_BURST", "2"),
        ("STRIDE_SHUTDOWN_NOTICE_SECS", "1"),
    ];
    let dir = std::env::temp_dir().join(format!("stride-{}-nginx", db.name()));
    let mut first = Server::start(&env, dir.with_extension("first.log"));
    let mut second = Server::start(&env, dir.with_extension("second.log"));
    first.wait_ready(&http).await;
    second.wait_ready(&http).await;
    let upstreams = [
        first.base.trim_start_matches("http://").to_owned(),
        second.base.trim_start_matches("http://").to_owned(),
    ];
    let nginx = Nginx::start(
        &binary,
        &dir,
        &upstreams.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let ready = http.get(format!("{}/readyz", nginx.base)).send().await;
        if ready.is_ok_and(|r| r.status().is_success()) {
            break;
        }
        assert!(Instant::now() < deadline, "nginx did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let team = sign_up(&http, &nginx.base).await;

    // Two clients behind the proxy, its requests shared round-robin by the two servers.
    let ada = client_from("127.0.0.2");
    let bo = client_from("127.0.0.3");
    assert_eq!(joins(&ada, &nginx.base, None, 3).await, [201, 201, 429]);
    assert_eq!(joins(&bo, &nginx.base, None, 1).await, [201]);
    // What Ada writes in the header is not where nginx saw her come from.
    assert_eq!(
        joins(&ada, &nginx.base, Some("203.0.113.9"), 2).await,
        [429, 429]
    );

    // Writers through the proxy while the first server drains.
    let stop = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let created = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let writers: Vec<_> = (0..4)
        .map(|writer| {
            let (http, stop, failures, created) = (
                http.clone(),
                stop.clone(),
                failures.clone(),
                created.clone(),
            );
            let url = format!("{}/v1/teams/{}/ideas", nginx.base, team.id);
            let token = team.token.clone();
            tokio::spawn(async move {
                let mut n = 0;
                while !stop.load(Ordering::SeqCst) {
                    n += 1;
                    let answer = http
                        .post(&url)
                        .bearer_auth(&token)
                        .json(&json!({ "title": format!("Through nginx {writer}-{n}") }))
                        .timeout(Duration::from_secs(20))
                        .send()
                        .await;
                    match answer {
                        Ok(r) if r.status().as_u16() == 201 => {
                            created.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok(r) => failures.lock().await.push(r.status().to_string()),
                        Err(e) => failures.lock().await.push(e.to_string()),
                    }
                }
            })
        })
        .collect();
    while created.load(Ordering::SeqCst) < 50 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (status, output) = tokio::task::spawn_blocking(move || first.terminate())
        .await
        .unwrap();
    assert!(status.success(), "{output}");
    let after = created.load(Ordering::SeqCst);
    while created.load(Ordering::SeqCst) < after + 50 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.store(true, Ordering::SeqCst);
    for writer in writers {
        writer.await.unwrap();
    }
    assert_eq!(*failures.lock().await, Vec::<String>::new());
    // And none ran twice: what nginx sent again had not been taken.
    let client = crate::faults::connect(db.url()).await;
    let written: i64 = client
        .query_one(
            "SELECT count(*) FROM events WHERE event_type = 'IdeaSubmitted' \
             AND data->>'title' LIKE 'Through nginx %'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(written as usize, created.load(Ordering::SeqCst));
    drop(nginx);
    second.stop();
    let _ = std::fs::remove_dir_all(&dir);
}
