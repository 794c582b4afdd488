//! The outbox's worker: claims due deliveries, sends each in a task of
//! its own with a timeout, and settles it (delivered, or tried again
//! later with exponential backoff, or given up after a day). A receiver
//! that hangs holds one task until its timeout, never a page, an action
//! or another destination's deliveries.
//!
//! The JSON format is signed so that a receiver can tell it came from this
//! console and was not changed on the way: `Spaceport-Signature: t=<unix
//! seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the destination's
//! secret>`. The time is inside what is signed, so a receiver can refuse
//! old deliveries replayed. `Spaceport-Event-Id` lets it drop a repeat
//! (delivery is at least once).

use super::{Attempt, Claimed, Notifications, Settled, StoredEvent};
use domain::notify::WebhookFormat;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long one attempt may take, connection included.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// A claim outlives an attempt, so no other worker takes it meanwhile.
const LEASE_MS: i64 = 15_000;
/// Attempts under way at once, across destinations.
const IN_FLIGHT: usize = 16;
/// How often the outbox is looked at when nothing wakes it.
const IDLE: Duration = Duration::from_secs(1);
/// How often finished deliveries and old events are forgotten.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

pub const SIGNATURE_HEADER: &str = "Spaceport-Signature";

/// Whether a webhook may be sent to `ip`. Not to link-local addresses
/// (169.254.0.0/16 and fe80::/10, where clouds serve instance metadata and
/// its credentials, and AWS's fd00:ec2::254), nor to unspecified ("this
/// network", 0.0.0.0/8), multicast or broadcast ones, however an IPv6
/// address carries them: IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible
/// (`::a.b.c.d`), NAT64 (`64:ff9b::/96`, which a DNS64 network turns into
/// the IPv4 address) and 6to4 (`2002:AABB:CCDD::`). Teredo (`2001::/32`)
/// and NAT64's local-use prefix (`64:ff9b:1::/48`), whose IPv4 part is
/// obfuscated or placed by the network, are refused whole. Loopback and
/// private ranges stay allowed: an internal receiver or a local relay is
/// a fair destination.
pub fn reachable(ip: std::net::IpAddr) -> bool {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    let v4_ok = |v4: Ipv4Addr| {
        !(v4.is_link_local()
            || v4.is_unspecified()
            || v4.octets()[0] == 0
            || v4.is_multicast()
            || v4.is_broadcast())
    };
    let v6 = match ip {
        IpAddr::V4(v4) => return v4_ok(v4),
        IpAddr::V6(v6) => v6,
    };
    let s = v6.segments();
    let embedded = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    // The forms that carry an IPv4 address in their last 32 bits.
    let carries_v4 =
        s[..5] == [0; 5] && (s[5] == 0xffff || s[5] == 0) || s[..6] == [0x64, 0xff9b, 0, 0, 0, 0];
    if carries_v4 && !v6.is_loopback() && !v6.is_unspecified() {
        return v4_ok(embedded(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        return v4_ok(embedded(s[1], s[2]));
    }
    let teredo = s[0] == 0x2001 && s[1] == 0;
    let nat64_local = s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1;
    let aws_metadata = Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254);
    !(v6.is_unicast_link_local()
        || v6.is_unspecified()
        || v6.is_multicast()
        || v6 == aws_metadata
        || teredo
        || nat64_local)
}

/// What the resolver says of a name it will not connect to.
const REFUSED_NAME: &str = "resolves only to addresses webhooks may not reach";

/// The webhooks' name resolution: the system's, without the addresses
/// `reachable` refuses, so a name that points at instance metadata (or is
/// made to, between the check and the send) reaches nothing.
struct Guarded;

impl reqwest::dns::Resolve for Guarded {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let found = tokio::net::lookup_host((name.as_str(), 0)).await?;
            let allowed: Vec<std::net::SocketAddr> = found.filter(|a| reachable(a.ip())).collect();
            if allowed.is_empty() {
                return Err(format!("{} {REFUSED_NAME}", name.as_str()).into());
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Why a URL's host may not be sent to, when it is an address `reachable`
/// refuses (names are checked as they are resolved).
pub fn refused_host(url: &url::Url) -> Option<String> {
    let ip = match url.host()? {
        url::Host::Ipv4(v4) => std::net::IpAddr::V4(v4),
        url::Host::Ipv6(v6) => std::net::IpAddr::V6(v6),
        url::Host::Domain(_) => return None,
    };
    (!reachable(ip)).then(|| {
        format!("Webhooks are not sent to {ip}: link-local, unspecified and multicast addresses (where instance metadata lives) are refused.")
    })
}

/// The signature header's value for `body` sent at `t`.
pub fn signature(secret: &str, t: i64, body: &[u8]) -> String {
    let mac = mac(secret, t, body);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// The HMAC-SHA256 of `"<t>.<body>"` under `secret`, for signing and
/// checking alike.
fn mac(secret: &str, t: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// Whether `header` is a valid signature of `body` under `secret`: what a
/// receiver checks (and what the tests check as a receiver would).
pub fn verify(secret: &str, header: &str, body: &[u8]) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) => v1 = hex::decode(value).ok(),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    mac(secret, t, body).verify_slice(&v1).is_ok()
}

/// A new destination's signing secret.
pub fn new_secret() -> String {
    use rand::Rng;
    let bytes: [u8; 32] = rand::rng().random();
    format!("whsec_{}", hex::encode(bytes))
}

/// Escapes what Slack reads as markup in message text.
fn slack_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The body sent for `event` in `format`, with links under `base`.
pub fn body(event: &StoredEvent, format: WebhookFormat, base: &str) -> Vec<u8> {
    let url = format!("{}{}", base.trim_end_matches('/'), event.link);
    let value = match format {
        WebhookFormat::Json => serde_json::json!({
            "id": event.id,
            "kind": event.kind,
            "at": event.at,
            "space": event.space,
            "subject": event.subject,
            "title": event.title,
            "url": url,
            "data": event.data,
        }),
        WebhookFormat::Slack => serde_json::json!({
            "text": format!("{} <{}|Open in Spaceport>", slack_text(&event.title), url),
        }),
    };
    serde_json::to_vec(&value).unwrap_or_default()
}

pub struct Outbox {
    store: Arc<Notifications>,
    http: reqwest::Client,
    /// The console's address, for the links in messages.
    base: String,
}

impl Outbox {
    pub fn new(store: Arc<Notifications>, base: String) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(ATTEMPT_TIMEOUT)
            // A redirect could send the signed body somewhere the admin
            // never named.
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would resolve the name itself, past `Guarded`: a name
            // that points at instance metadata would go through it.
            .no_proxy()
            .dns_resolver(Arc::new(Guarded))
            .user_agent(concat!("spaceport/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the webhook client builds");
        Self { store, http, base }
    }

    /// Sends what is due, for as long as the console runs.
    pub fn spawn(self) {
        let this = Arc::new(self);
        let slots = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
        tokio::spawn(async move {
            let mut pruned = Instant::now();
            loop {
                if pruned.elapsed() >= PRUNE_EVERY {
                    pruned = Instant::now();
                    if let Err(e) = this.store.prune().await {
                        tracing::warn!(error = %e, "old deliveries not pruned");
                    }
                }
                let free = i64::try_from(slots.available_permits()).unwrap_or(0);
                let claimed = if free > 0 {
                    this.store.claim_due(free, LEASE_MS).await
                } else {
                    Ok(Vec::new())
                };
                match claimed {
                    Ok(claimed) => {
                        for c in claimed {
                            let Ok(slot) = slots.clone().acquire_owned().await else {
                                return;
                            };
                            let this = this.clone();
                            tokio::spawn(async move {
                                this.attempt(c).await;
                                drop(slot);
                            });
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "the outbox could not be read"),
                }
                let wake = this.store.wake().clone();
                tokio::select! {
                    () = wake.notified() => {}
                    () = tokio::time::sleep(IDLE) => {}
                }
            }
        });
    }

    /// One attempt at one delivery, written down whatever happens.
    async fn attempt(&self, c: Claimed) {
        let started = Instant::now();
        let refused = match url::Url::parse(&c.destination.url) {
            Ok(url) => refused_host(&url),
            Err(e) => Some(format!("the URL cannot be used: {e}")),
        };
        let attempt = match refused {
            Some(why) => Attempt {
                status: None,
                error: Some(why),
                millis: 0,
            },
            None => self.send(&c, started).await,
        };
        self.settle(&c, &attempt).await;
    }

    async fn send(&self, c: &Claimed, started: Instant) -> Attempt {
        let body = body(&c.event, c.destination.format, &self.base);
        let mut req = self
            .http
            .post(&c.destination.url)
            .header(http::header::CONTENT_TYPE, "application/json")
            .header("Spaceport-Event", &c.event.kind)
            .header("Spaceport-Event-Id", c.event.id.to_string())
            .header("Spaceport-Delivery", c.delivery.to_string());
        if c.destination.format == WebhookFormat::Json {
            let t = time::OffsetDateTime::now_utc().unix_timestamp();
            req = req.header(SIGNATURE_HEADER, signature(&c.destination.secret, t, &body));
        }
        let sent = req.body(body).send().await;
        let millis = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match sent {
            Ok(res) => {
                let status = res.status().as_u16();
                Attempt {
                    status: Some(status),
                    error: (!res.status().is_success()).then(|| format!("answered {status}")),
                    millis,
                }
            }
            Err(e) => Attempt {
                status: None,
                error: Some(if e.is_timeout() {
                    format!("no answer within {} s", ATTEMPT_TIMEOUT.as_secs())
                } else if e.is_connect() {
                    // The resolver's refusal is deep in a connect error's sources.
                    let mut cause: Option<&dyn std::error::Error> = Some(&e);
                    let mut said = "could not connect".to_string();
                    while let Some(c) = cause {
                        if c.to_string().contains(REFUSED_NAME) {
                            said = c.to_string();
                        }
                        cause = c.source();
                    }
                    said
                } else {
                    e.without_url().to_string()
                }),
                millis,
            },
        }
    }

    /// Writes an attempt down, and counts it.
    async fn settle(&self, c: &Claimed, attempt: &Attempt) {
        let jitter = rand::random::<f64>() * 2.0 - 1.0;
        let outcome = match self.store.settle(c, attempt, jitter).await {
            Ok(Settled::Delivered) => "delivered",
            Ok(Settled::Retry(_)) => "failed",
            Ok(Settled::GaveUp) => "gave_up",
            Err(e) => {
                tracing::error!(error = %e, delivery = c.delivery, "a delivery attempt could not be written down");
                return;
            }
        };
        crate::metrics::global()
            .webhook_deliveries
            .get_or_create(&crate::metrics::OutcomeLabels { outcome })
            .inc();
        if outcome != "delivered" {
            tracing::info!(
                destination = %c.destination.name,
                event = c.event.id,
                error = attempt.error.as_deref().unwrap_or(""),
                outcome,
                "webhook not delivered"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_and_a_change_to_anything_does_not() {
        let body = br#"{"kind":"test"}"#;
        let sig = signature("whsec_1", 1_700_000_000, body);
        assert!(verify("whsec_1", &sig, body));
        assert!(!verify("whsec_2", &sig, body));
        assert!(!verify("whsec_1", &sig, br#"{"kind":"tesT"}"#));
        let other_time = sig.replace("t=1700000000", "t=1700000001");
        assert!(!verify("whsec_1", &other_time, body));
        assert!(!verify("whsec_1", "v1=00", body));
    }

    #[test]
    fn instance_metadata_and_link_local_addresses_are_never_reached() {
        for refused in [
            "169.254.169.254",
            "0.0.0.0",
            "224.0.0.1",
            "fe80::1",
            "fd00:ec2::254",
            "::ffff:169.254.169.254",
            "::",
            // The same metadata address, however IPv6 carries it.
            "::a9fe:a9fe",
            "::169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b::169.254.169.254",
            "2002:a9fe:a9fe::1",
            "64:ff9b:1::a9fe:a9fe",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "0.1.2.3",
        ] {
            assert!(!reachable(refused.parse().unwrap()), "{refused}");
        }
        for allowed in [
            "127.0.0.1",
            "10.0.0.5",
            "192.168.1.2",
            "203.0.113.9",
            "::1",
            "2001:db8::1",
            "64:ff9b::a00:5",
            "2002:cb00:7109::1",
        ] {
            assert!(reachable(allowed.parse().unwrap()), "{allowed}");
        }
        let url = url::Url::parse("http://169.254.169.254/latest/meta-data/").unwrap();
        assert!(refused_host(&url).is_some());
        let url = url::Url::parse("http://[fe80::1]:8080/").unwrap();
        assert!(refused_host(&url).is_some());
        let url = url::Url::parse("http://[::a9fe:a9fe]/latest/meta-data/").unwrap();
        assert!(refused_host(&url).is_some());
        assert!(refused_host(&url::Url::parse("https://hooks.example.com/x").unwrap()).is_none());
    }

    #[tokio::test]
    async fn names_resolve_without_the_refused_addresses() {
        use reqwest::dns::Resolve;
        let resolve = |n: &str| Guarded.resolve(n.parse().unwrap());
        let local: Vec<_> = resolve("localhost").await.unwrap().collect();
        assert!(local.iter().all(|a| a.ip().is_loopback()) && !local.is_empty());
        let metadata = resolve("169.254.169.254").await.err().unwrap().to_string();
        assert!(metadata.contains(REFUSED_NAME), "{metadata}");
    }

    #[test]
    fn slack_messages_escape_markup_and_link_back() {
        let e = StoredEvent {
            id: 1,
            kind: "peering.requested".into(),
            space: "s".into(),
            subject: "pcx-1".into(),
            title: "a <b> & c".into(),
            link: "/spaces/s".into(),
            data: serde_json::Value::Null,
            at: "2026-12-03T12:00:00Z".into(),
        };
        let b: serde_json::Value =
            serde_json::from_slice(&body(&e, WebhookFormat::Slack, "https://sp.example/")).unwrap();
        assert_eq!(
            b["text"],
            "a &lt;b&gt; &amp; c <https://sp.example/spaces/s|Open in Spaceport>"
        );
    }
}
