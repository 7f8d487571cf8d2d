//! The address of the client a request comes from, for the board's per-address limits.
//!
//! Behind a load balancer or reverse proxy every request arrives from the proxy, and only the
//! proxy knows the client: it says so in `Forwarded` (RFC 7239) or `X-Forwarded-For`. Those
//! headers are believed only from a peer inside `STRIDE_TRUSTED_PROXIES`; from anyone else
//! they are ignored, since a client can write whatever it likes in them. Through a chain of
//! proxies the hops are read from the right (the one nearest this server) leftwards, past
//! every trusted proxy, to the first address that is not one: the rightmost untrusted hop,
//! the last address a trusted proxy vouched for. `Forwarded` is read when a request has it,
//! else `X-Forwarded-For`.

use std::net::{IpAddr, SocketAddr};

use actix_web::http::header::HeaderMap;
use ipnet::IpNet;

/// Hops read at most from a forwarding chain, from the right.
const HOPS_MAX: usize = 64;

/// The networks whose requests say truthfully whom they forward.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// CIDRs (`10.0.0.0/8`, `2001:db8::/32`) or single addresses; empty entries are skipped.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<TrustedProxies, String> {
        let mut nets = Vec::new();
        for entry in entries.iter().map(|e| e.as_ref().trim()) {
            if entry.is_empty() {
                continue;
            }
            let net = entry
                .parse::<IpNet>()
                .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    format!(
                        "STRIDE_TRUSTED_PROXIES: {entry:?} is neither a CIDR (10.0.0.0/8) nor an address"
                    )
                })?;
            nets.push(net.trunc());
        }
        Ok(TrustedProxies(nets))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client of a request that came from `peer` with `headers`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.trusts(client) {
            return client;
        }
        let hops = forwarded(headers).unwrap_or_else(|| x_forwarded_for(headers));
        for hop in hops.iter().rev().take(HOPS_MAX) {
            match hop {
                Some(ip) => {
                    client = ip.to_canonical();
                    if !self.trusts(client) {
                        return client;
                    }
                }
                // A proxy that hid the hop before it: it is as far back as anyone can see.
                None => return client,
            }
        }
        client
    }
}

/// An address as a forwarding header writes a node: `192.0.2.1`, `192.0.2.1:4711`,
/// `[2001:db8::1]`, `[2001:db8::1]:4711` or a bare IPv6 address; `None` for `unknown`, an
/// obfuscated `_name` or anything else.
fn node(raw: &str) -> Option<IpAddr> {
    let raw = raw.trim().trim_matches('"');
    if let Ok(ip) = raw.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(socket) = raw.parse::<SocketAddr>() {
        return Some(socket.ip());
    }
    let bracketed = raw.strip_prefix('[')?;
    bracketed.split_once(']')?.0.parse::<IpAddr>().ok()
}

/// The `for` of each element of every `Forwarded` header, in order; `None` for a request
/// without one.
fn forwarded(headers: &HeaderMap) -> Option<Vec<Option<IpAddr>>> {
    let mut hops = Vec::new();
    let mut any = false;
    for value in headers.get_all("forwarded") {
        any = true;
        let Ok(value) = value.to_str() else {
            hops.push(None);
            continue;
        };
        for element in value.split(',') {
            let for_ = element.split(';').find_map(|pair| {
                let (name, value) = pair.split_once('=')?;
                name.trim().eq_ignore_ascii_case("for").then_some(value)
            });
            hops.push(for_.and_then(node));
        }
    }
    any.then_some(hops)
}

/// The addresses of every `X-Forwarded-For` header, in order.
fn x_forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    headers
        .get_all("x-forwarded-for")
        .flat_map(|value| match value.to_str() {
            Ok(value) => value.split(',').map(node).collect(),
            Err(_) => vec![None],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::{HeaderName, HeaderValue};

    use super::*;

    fn ip(raw: &str) -> IpAddr {
        raw.parse().unwrap()
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    fn trusted(entries: &[&str]) -> TrustedProxies {
        TrustedProxies::parse(entries).unwrap()
    }

    #[test]
    fn a_forged_header_from_an_untrusted_peer_is_ignored() {
        let forged = headers(&[
            ("x-forwarded-for", "203.0.113.9"),
            ("forwarded", "for=203.0.113.9"),
        ]);
        assert_eq!(
            TrustedProxies::default().client(ip("198.51.100.4"), &forged),
            ip("198.51.100.4")
        );
        assert_eq!(
            trusted(&["10.0.0.0/8"]).client(ip("198.51.100.4"), &forged),
            ip("198.51.100.4")
        );
    }

    #[test]
    fn through_a_chain_of_proxies_the_rightmost_untrusted_hop_is_the_client() {
        let proxies = trusted(&["10.0.0.0/8", "192.168.1.1"]);
        // The client wrote a forged first hop; the edge proxy appended the real one; an inner
        // proxy appended the edge proxy.
        let chain = headers(&[("x-forwarded-for", "1.2.3.4, 203.0.113.7, 192.168.1.1")]);
        assert_eq!(proxies.client(ip("10.0.0.2"), &chain), ip("203.0.113.7"));
        // Split across headers, the order is the same.
        let split = headers(&[
            ("x-forwarded-for", "1.2.3.4"),
            ("x-forwarded-for", "203.0.113.7, 192.168.1.1"),
        ]);
        assert_eq!(proxies.client(ip("10.0.0.2"), &split), ip("203.0.113.7"));
        // Every hop trusted: the leftmost is as far as it goes.
        let inside = headers(&[("x-forwarded-for", "10.1.1.1, 192.168.1.1")]);
        assert_eq!(proxies.client(ip("10.0.0.2"), &inside), ip("10.1.1.1"));
        // A trusted peer that forwards nothing is the client itself.
        assert_eq!(
            proxies.client(ip("10.0.0.2"), &HeaderMap::new()),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn forwarded_is_read_before_x_forwarded_for_in_each_of_its_forms() {
        let proxies = trusted(&["10.0.0.0/8"]);
        let both = headers(&[
            (
                "forwarded",
                r#"for=192.0.2.60;proto=http;by=203.0.113.43, for="[2001:db8:cafe::17]:4711""#,
            ),
            ("x-forwarded-for", "198.51.100.1"),
        ]);
        assert_eq!(
            proxies.client(ip("10.0.0.1"), &both),
            ip("2001:db8:cafe::17")
        );
        let with_port = headers(&[("forwarded", r#"For="192.0.2.60:8080""#)]);
        assert_eq!(proxies.client(ip("10.0.0.1"), &with_port), ip("192.0.2.60"));
        // A hidden hop stops the walk at the proxy that hid it.
        let hidden = headers(&[("forwarded", "for=192.0.2.60, for=_gateway, for=10.0.0.9")]);
        assert_eq!(proxies.client(ip("10.0.0.1"), &hidden), ip("10.0.0.9"));
        let unknown = headers(&[("x-forwarded-for", "unknown")]);
        assert_eq!(proxies.client(ip("10.0.0.1"), &unknown), ip("10.0.0.1"));
    }

    #[test]
    fn v4_mapped_peers_are_their_v4_address_and_bad_entries_are_refused() {
        let proxies = trusted(&["127.0.0.1", " ", "::1/128"]);
        let forwarded = headers(&[("x-forwarded-for", "203.0.113.7")]);
        assert_eq!(
            proxies.client(ip("::ffff:127.0.0.1"), &forwarded),
            ip("203.0.113.7")
        );
        assert_eq!(proxies.client(ip("::1"), &forwarded), ip("203.0.113.7"));
        assert!(TrustedProxies::parse(&["10.0.0.0/33"]).is_err());
        assert!(TrustedProxies::parse(&["proxy.internal"]).is_err());
    }
}
