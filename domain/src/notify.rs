//! Notifications, as the browser and the server both see them: the kinds
//! of event the console's watcher notices, the webhook destinations an
//! admin sends them to, and what the Notifications page shows of both.
//! The watcher, the event store and the outbox are the server's
//! (`server/src/notify`).

use serde::{Deserialize, Serialize};
use std::fmt;

/// A kind of event. The strings are stored and sent to receivers, so they
/// never change; a new kind gets a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "&'static str")]
pub enum EventKind {
    /// A new peering request waits for acceptance.
    PeeringRequested,
    /// A pending request expires within 24 hours, or within one.
    PeeringExpiring,
    PeeringFailed,
    PeeringActive,
    PeeringDeleted,
    PrivateLinkOperational,
    /// A PrivateLink was deprovisioned or is no longer there.
    PrivateLinkGone,
    ApprovalRequested,
    /// Approved and executed, rejected, withdrawn, expired or failed.
    ApprovalDecided,
    /// The audit history failed verification.
    AuditFailed,
    /// Someone signed in with a break-glass password while the identity
    /// provider signs everyone else in.
    BreakGlass,
    /// What "Send a test" sends; it goes to one destination only.
    Test,
}

impl EventKind {
    /// The kinds a destination may subscribe to.
    pub const SUBSCRIBABLE: [EventKind; 11] = [
        Self::PeeringRequested,
        Self::PeeringExpiring,
        Self::PeeringFailed,
        Self::PeeringActive,
        Self::PeeringDeleted,
        Self::PrivateLinkOperational,
        Self::PrivateLinkGone,
        Self::ApprovalRequested,
        Self::ApprovalDecided,
        Self::AuditFailed,
        Self::BreakGlass,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PeeringRequested => "peering.requested",
            Self::PeeringExpiring => "peering.expiring",
            Self::PeeringFailed => "peering.failed",
            Self::PeeringActive => "peering.active",
            Self::PeeringDeleted => "peering.deleted",
            Self::PrivateLinkOperational => "privatelink.operational",
            Self::PrivateLinkGone => "privatelink.gone",
            Self::ApprovalRequested => "approval.requested",
            Self::ApprovalDecided => "approval.decided",
            Self::AuditFailed => "audit.failed",
            Self::BreakGlass => "auth.break_glass",
            Self::Test => "test",
        }
    }

    /// What it means, for the page's checkboxes.
    pub fn describe(self) -> &'static str {
        match self {
            Self::PeeringRequested => "A new peering request arrived",
            Self::PeeringExpiring => "A pending request expires within 24 h, and within 1 h",
            Self::PeeringFailed => "A peering failed",
            Self::PeeringActive => "A peering became active",
            Self::PeeringDeleted => "A peering was deleted",
            Self::PrivateLinkOperational => "A PrivateLink became Operational",
            Self::PrivateLinkGone => "A PrivateLink went away",
            Self::ApprovalRequested => "Someone asked for an approval",
            Self::ApprovalDecided => "An approval request was decided",
            Self::AuditFailed => "The audit history failed verification",
            Self::BreakGlass => "Someone signed in with a break-glass password",
            Self::Test => "A test sent from this page",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<EventKind> for &'static str {
    fn from(k: EventKind) -> Self {
        k.as_str()
    }
}

impl std::str::FromStr for EventKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::SUBSCRIBABLE
            .into_iter()
            .chain([Self::Test])
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| format!("\"{s}\" is not a kind of event"))
    }
}

impl TryFrom<String> for EventKind {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

/// How a destination wants its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookFormat {
    /// The event as JSON, signed with HMAC-SHA256 in `Spaceport-Signature`.
    Json,
    /// A Slack incoming-webhook message with a link back to the console.
    Slack,
}

impl WebhookFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Slack => "slack",
        }
    }
}

impl std::str::FromStr for WebhookFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "json" => Ok(Self::Json),
            "slack" => Ok(Self::Slack),
            other => Err(format!(
                "\"{other}\" is not a format; use json (signed) or slack."
            )),
        }
    }
}

/// The longest URL a destination may have.
const MAX_URL: usize = 2000;
/// The longest name a destination may have.
const MAX_NAME: usize = 60;

/// A webhook's URL: http or https, a host, no user name or password in it
/// (what the page shows of a URL must not be a credential), no spaces.
/// The server parses it again with a full URL parser before it keeps it.
pub fn webhook_url(input: &str) -> Result<String, String> {
    let url = input.trim();
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| "A webhook URL starts with https:// (or http://).".to_string())?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() {
        return Err("A webhook URL needs a host.".into());
    }
    if authority.contains('@') {
        return Err("Put no user name or password in a webhook URL.".into());
    }
    if url.len() > MAX_URL || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "A webhook URL has no spaces and at most {MAX_URL} characters."
        ));
    }
    Ok(url.to_string())
}

/// What the page (and the history) shows of a URL: its scheme, host and
/// port. The rest of a webhook URL is often its credential (a Slack URL's
/// path is). The URL is read by a full URL parser, the way the client that
/// sends to it reads it (`\\` is a `/` there, for one), so no way of
/// writing it can pass its path off as part of the host; one that does not
/// parse is shown as nothing but that.
pub fn shown_url(url: &str) -> String {
    let Ok(parsed) = url::Url::parse(url.trim()) else {
        return "(a URL that does not parse)".into();
    };
    let host = match (parsed.host_str(), parsed.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        (None, _) => return "(a URL without a host)".into(),
    };
    let rest = parsed.path() != "/" || parsed.query().is_some() || parsed.fragment().is_some();
    format!(
        "{}://{host}{}",
        parsed.scheme(),
        if rest { "/…" } else { "" }
    )
}

/// A destination as an admin enters it, each field checked by `new`.
/// As an action it is recorded without its URL, which may be a
/// credential: a Slack URL's path is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewDestination {
    pub name: String,
    #[serde(skip)]
    pub url: String,
    pub format: WebhookFormat,
    pub kinds: Vec<EventKind>,
}

impl NewDestination {
    pub fn new(
        name: &str,
        url: &str,
        format: WebhookFormat,
        mut kinds: Vec<EventKind>,
    ) -> Result<Self, String> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME {
            return Err(format!(
                "Name the destination (at most {MAX_NAME} characters)."
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(
                "A destination's name is one line of text, without control characters.".into(),
            );
        }
        kinds.retain(|k| *k != EventKind::Test);
        kinds.sort();
        kinds.dedup();
        if kinds.is_empty() {
            return Err("Choose at least one kind of event to send.".into());
        }
        Ok(Self {
            name: name.to_string(),
            url: webhook_url(url)?,
            format,
            kinds,
        })
    }
}

/// A destination just added: its signing secret, shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookAdded {
    pub id: i64,
    pub name: String,
    /// For the JSON format only; a Slack URL is its own credential.
    pub secret: Option<String>,
    /// What the page says above the secret.
    pub message: String,
}

/// One attempt to deliver an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptView {
    pub at: String,
    /// The receiver's HTTP status; `None` when it never answered.
    pub status: Option<u16>,
    pub error: Option<String>,
    pub millis: u64,
}

/// One event on its way to one destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryView {
    pub id: i64,
    pub event: i64,
    pub kind: EventKind,
    pub title: String,
    /// `pending`, `delivered` or `gave_up`.
    pub state: String,
    /// When the next attempt is due, while pending.
    pub next_at: Option<String>,
    pub attempts: Vec<AttemptView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DestinationView {
    pub id: i64,
    pub name: String,
    /// Scheme and host only (`shown_url`).
    pub url: String,
    pub format: WebhookFormat,
    pub kinds: Vec<EventKind>,
    pub created_by: String,
    pub created_at: String,
    /// The latest deliveries, newest first.
    pub deliveries: Vec<DeliveryView>,
}

/// An event as the console recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventView {
    pub id: i64,
    pub kind: EventKind,
    pub space: String,
    pub title: String,
    /// The console page it is about, as a path.
    pub link: String,
    pub at: String,
}

/// What the watcher costs and when it last looked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct WatchStatus {
    /// Another console sharing the database watches the provider; this
    /// one takes over if that one stops.
    #[serde(default)]
    pub elsewhere: bool,
    /// Provider calls the watcher made in the last hour...
    pub calls_last_hour: u64,
    /// ...in this many looks.
    pub looks_last_hour: u64,
    /// The most it may make in an hour.
    pub budget: u64,
    pub last_check: Option<String>,
    /// Set when its latest look failed.
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct NotificationsView {
    pub destinations: Vec<DestinationView>,
    /// The latest events, newest first.
    pub events: Vec<EventView>,
    pub watch: Option<WatchStatus>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_back_and_are_unique() {
        for (i, k) in EventKind::SUBSCRIBABLE.iter().enumerate() {
            assert_eq!(k.as_str().parse::<EventKind>(), Ok(*k));
            assert!(!EventKind::SUBSCRIBABLE[i + 1..].contains(k));
        }
        assert_eq!("test".parse::<EventKind>(), Ok(EventKind::Test));
        assert!("peering.launched".parse::<EventKind>().is_err());
    }

    #[test]
    fn urls_are_checked_and_shown_without_their_path() {
        assert!(webhook_url("https://hooks.example.com/services/T/B/X").is_ok());
        assert!(webhook_url("http://127.0.0.1:9000/hook").is_ok());
        for bad in [
            "ftp://example.com/x",
            "https://",
            "https:///x",
            "https://user:pw@example.com/",
            "https://example.com/a b",
            "javascript:alert(1)",
        ] {
            assert!(webhook_url(bad).is_err(), "{bad}");
        }
        assert_eq!(
            shown_url("https://hooks.example.com/services/T/B/X"),
            "https://hooks.example.com/…"
        );
        assert_eq!(shown_url("http://127.0.0.1:9000"), "http://127.0.0.1:9000");
        // Backslashes are slashes to the client that sends: still the path.
        assert_eq!(
            shown_url("https://hooks.slack.com\\services\\T0\\B0\\SECRET"),
            "https://hooks.slack.com/…"
        );
        assert_eq!(
            shown_url("https://hooks.example.com?token=SECRET"),
            "https://hooks.example.com/…"
        );
        assert_eq!(shown_url("not a url"), "(a URL that does not parse)");
    }

    #[test]
    fn a_destination_needs_a_name_and_a_kind_and_keeps_its_url_out_of_json() {
        let k = vec![EventKind::PeeringRequested, EventKind::PeeringRequested];
        let d =
            NewDestination::new(" ops ", "https://x.example/h", WebhookFormat::Json, k).unwrap();
        assert_eq!(d.name, "ops");
        assert_eq!(d.kinds, vec![EventKind::PeeringRequested]);
        assert!(!serde_json::to_string(&d).unwrap().contains("x.example"));
        let none = NewDestination::new("ops", "https://x.example/h", WebhookFormat::Json, vec![]);
        assert!(none.unwrap_err().contains("at least one"));
        let only_test = vec![EventKind::Test];
        assert!(
            NewDestination::new("a", "https://x.example", WebhookFormat::Slack, only_test).is_err()
        );
        assert!(
            NewDestination::new("", "https://x.example", WebhookFormat::Slack, k_all()).is_err()
        );
    }

    fn k_all() -> Vec<EventKind> {
        EventKind::SUBSCRIBABLE.to_vec()
    }
}
