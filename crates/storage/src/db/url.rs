//! Formatting a connection config back into a `postgres://` URL, for code that takes a URL.

use std::os::unix::ffi::OsStrExt;

use tokio_postgres::Config;
use tokio_postgres::config::{Host, SslMode};

/// Formats a connection config as a `postgres://user:password@host:port/dbname` URL.
pub fn config_url(config: &Config) -> String {
    let mut url = String::from("postgres://");
    if let Some(user) = config.get_user() {
        url.push_str(&encode(user.as_bytes()));
        if let Some(password) = config.get_password() {
            url.push(':');
            url.push_str(&encode(password));
        }
        url.push('@');
    }
    let ports = config.get_ports();
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, host)| {
            let mut host = match host {
                Host::Tcp(name) if name.contains(':') => format!("[{name}]"),
                Host::Tcp(name) => encode(name.as_bytes()),
                Host::Unix(path) => encode(path.as_os_str().as_bytes()),
            };
            // libpq's rule: one port for every host, or one port per host.
            if let Some(port) = ports.get(i).or(ports.first()) {
                host.push_str(&format!(":{port}"));
            }
            host
        })
        .collect();
    url.push_str(&hosts.join(","));
    if let Some(dbname) = config.get_dbname() {
        url.push('/');
        url.push_str(&encode(dbname.as_bytes()));
    }
    let mut params = Vec::new();
    match config.get_ssl_mode() {
        SslMode::Disable => params.push("sslmode=disable".to_owned()),
        SslMode::Require => params.push("sslmode=require".to_owned()),
        _ => {}
    }
    if let Some(name) = config.get_application_name() {
        params.push(format!("application_name={}", encode(name.as_bytes())));
    }
    if let Some(options) = config.get_options() {
        params.push(format!("options={}", encode(options.as_bytes())));
    }
    if !params.is_empty() {
        url.push('?');
        url.push_str(&params.join("&"));
    }
    url
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_config_formats_back_into_an_equivalent_url() {
        for url in [
            "postgres://postgres@127.0.0.1:5432/postgres",
            "postgres://me:p%40ss%3Aw%2Frd@db.example.com:6543/stride?sslmode=disable",
            "postgres://me@%2Fvar%2Frun%2Fpostgresql:5432/stride",
            "postgres://me@[::1]:5433,other:5434/stride?application_name=t%20x",
        ] {
            let config: Config = url.parse().unwrap();
            let again: Config = config_url(&config).parse().unwrap();
            assert_eq!(format!("{config:?}"), format!("{again:?}"), "{url}");
            assert_eq!(again.get_password(), config.get_password(), "{url}");
        }
        let config: Config = "host=/tmp user=me dbname=x".parse().unwrap();
        assert_eq!(config_url(&config), "postgres://me@%2Ftmp/x");
    }
}
