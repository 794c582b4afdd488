//! Who the client is, as far as an address goes. Directly connected, it is
//! the peer of the connection. Behind a TLS proxy every client shares the
//! proxy's address, so a peer listed with `--trusted-proxy` may say who
//! the client was in `X-Forwarded-For`: the rightmost address there that
//! is not itself a trusted proxy is the client (everything to its left was
//! written by the client and proves nothing). From any other peer the
//! header is ignored.

use axum::{
    extract::{ConnectInfo, Request, State},
    http::HeaderMap,
    middleware::Next,
    response::Response,
};
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// The client's address, put on every request by `client_address`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub Option<IpAddr>);

impl ClientAddr {
    /// The address the middleware found for this request, if any.
    pub fn of<B>(req: &axum::http::Request<B>) -> Option<IpAddr> {
        req.extensions().get::<Self>().and_then(|c| c.0)
    }

    /// "from ADDRESS", as the audit history's detail says where a sign-in
    /// or a refusal came from.
    pub fn detail(address: Option<IpAddr>) -> Option<String> {
        address.map(|a| format!("from {a}"))
    }
}

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Arc<Vec<IpNet>>);

impl TrustedProxies {
    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client behind `peer`, given the request's headers.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = canonical(peer);
        if !self.trusts(client) {
            return client;
        }
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect();
        for hop in hops.iter().rev() {
            // An unreadable hop ends the trail: nothing left of it is known.
            let Some(ip) = parse_hop(hop) else { break };
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        client
    }
}

/// An address as a hop writes it: bare, or with a port (`1.2.3.4:5`,
/// `[2001:db8::1]:5`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(canonical)
}

/// IPv4-mapped IPv6 (`::ffff:1.2.3.4`) is the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// A `--trusted-proxy` value: a CIDR block, or one address.
pub fn parse_proxy(s: &str) -> Result<IpNet, String> {
    let s = s.trim();
    s.parse::<IpNet>()
        .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("\"{s}\" is not an address or a CIDR block (such as 10.0.0.0/8)"))
}

pub async fn client_address(
    State(proxies): State<TrustedProxies>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let client = peer.map(|p| proxies.client(p, req.headers()));
    req.extensions_mut().insert(ClientAddr(client));
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xff(v: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", v.parse().unwrap());
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn only_a_trusted_peer_is_believed() {
        let proxies = TrustedProxies(Arc::new(vec![parse_proxy("10.0.0.0/8").unwrap()]));
        let h = xff("203.0.113.5");
        assert_eq!(proxies.client(ip("10.1.2.3"), &h), ip("203.0.113.5"));
        assert_eq!(proxies.client(ip("192.0.2.1"), &h), ip("192.0.2.1"));
        assert_eq!(
            TrustedProxies::default().client(ip("10.1.2.3"), &h),
            ip("10.1.2.3")
        );
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let proxies = TrustedProxies(Arc::new(vec![
            parse_proxy("10.0.0.0/8").unwrap(),
            parse_proxy("192.0.2.9").unwrap(),
        ]));
        // The client wrote the first one itself.
        let h = xff("198.51.100.1, 203.0.113.5, 192.0.2.9");
        assert_eq!(proxies.client(ip("10.0.0.1"), &h), ip("203.0.113.5"));
        let h = xff("garbage, 10.0.0.7");
        assert_eq!(proxies.client(ip("10.0.0.1"), &h), ip("10.0.0.7"));
        let h = xff("[2001:db8::1]:4711");
        assert_eq!(proxies.client(ip("::ffff:10.0.0.1"), &h), ip("2001:db8::1"));
        let mut two = xff("198.51.100.1");
        two.append("x-forwarded-for", "203.0.113.6".parse().unwrap());
        assert_eq!(proxies.client(ip("10.0.0.1"), &two), ip("203.0.113.6"));
    }

    proptest::proptest! {
        #[test]
        fn a_proxy_value_parses_or_says_why(s in "(?s).{0,40}") {
            if let Err(m) = parse_proxy(&s) {
                proptest::prop_assert!(m.contains("not an address"));
            }
        }
    }

    #[test]
    fn proxies_parse_as_blocks_or_addresses() {
        assert!(parse_proxy("10.0.0.0/8").is_ok());
        assert!(parse_proxy("fd00::/8").is_ok());
        assert_eq!(parse_proxy("127.0.0.1").unwrap().prefix_len(), 32);
        assert!(
            parse_proxy("10.0.0.0/33")
                .unwrap_err()
                .contains("not an address")
        );
    }
}
