//! Wire types shared by the browser, the server functions, the provider
//! client and the simulated provider. Field names follow the provider's JSON
//! exactly (see PROVIDER_API.md), so one set of types serves both sides.
//!
//! The provider adds values over time (`type`, `status`), so the enums here
//! keep any value they do not know as text instead of failing to decode.

use serde::{Deserialize, Deserializer, Serialize};

/// Decodes `null` as the type's default; the provider sends `null` for some
/// list fields of heroku-managed rows.
pub fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// An object the provider refers to by name, such as `region` or `team`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Named {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeeringInfo {
    pub aws_account_id: String,
    pub aws_region: String,
    pub vpc_id: String,
    pub vpc_cidr: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub dyno_cidr_blocks: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub space_cidr_blocks: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub unavailable_cidr_blocks: Vec<String>,
}

macro_rules! open_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(from = "String", into = "String")]
        pub enum $name {
            $($variant,)+
            /// A value this version does not know, kept as the provider sent it.
            Other(String),
        }

        impl $name {
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)+
                    Self::Other(s) => s,
                }
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                match s.as_str() {
                    $($text => Self::$variant,)+
                    _ => Self::Other(s),
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self::from(s.to_string())
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.as_str().to_string()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

open_enum!(
    /// Who manages a peering. `heroku` and `external` are older names.
    PeeringType {
        HerokuManaged => "heroku-managed",
        CustomerManaged => "customer-managed",
        Unknown => "unknown",
    }
);

open_enum!(
    /// A peering's status, as AWS and the provider name them.
    PeeringStatus {
        InitiatingRequest => "initiating-request",
        PendingAcceptance => "pending-acceptance",
        Provisioning => "provisioning",
        Active => "active",
        Failed => "failed",
        Expired => "expired",
        Rejected => "rejected",
        Deleting => "deleting",
        Deleted => "deleted",
    }
);

impl PeeringStatus {
    /// The statuses the console shows in its filter, in lifecycle order.
    pub const KNOWN: [PeeringStatus; 9] = [
        Self::InitiatingRequest,
        Self::PendingAcceptance,
        Self::Provisioning,
        Self::Active,
        Self::Failed,
        Self::Expired,
        Self::Rejected,
        Self::Deleting,
        Self::Deleted,
    ];

    /// A status that will change by itself soon, so a page showing it keeps
    /// refreshing until it settles.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::InitiatingRequest | Self::Provisioning | Self::Deleting
        )
    }

    /// A peering in one of these statuses is gone; it no longer counts
    /// toward the space's peering limit and cannot be destroyed again.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            Self::Failed | Self::Expired | Self::Rejected | Self::Deleted
        )
    }
}

impl PeeringType {
    /// Heroku-managed rows are the provider's own: shown, never touched.
    /// `heroku` is the older name; `heroku-postgresql` is named by the seed.
    pub fn is_provider_managed(&self) -> bool {
        match self {
            Self::HerokuManaged => true,
            Self::Other(s) => s == "heroku" || s.starts_with("heroku-"),
            _ => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Peering {
    #[serde(rename = "type")]
    pub kind: PeeringType,
    pub pcx_id: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub cidr_blocks: Vec<String>,
    /// The legacy singular form; read, never written by the simulator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr_block: Option<String>,
    pub status: PeeringStatus,
    #[serde(default)]
    pub aws_vpc_id: Option<String>,
    #[serde(default)]
    pub aws_region: Option<String>,
    #[serde(default)]
    pub aws_account_id: Option<String>,
    /// RFC 3339, absent or empty when there is no deadline.
    #[serde(default)]
    pub expires: Option<String>,
}

impl Peering {
    /// Every CIDR the peer announced, whichever field the provider used.
    pub fn all_cidrs(&self) -> Vec<String> {
        let mut out = self.cidr_blocks.clone();
        if let Some(one) = &self.cidr_block
            && !one.is_empty()
            && !out.contains(one)
        {
            out.push(one.clone());
        }
        out
    }

    pub fn can_accept(&self) -> bool {
        self.status == PeeringStatus::PendingAcceptance && !self.kind.is_provider_managed()
    }

    pub fn can_destroy(&self) -> bool {
        !self.kind.is_provider_managed()
            && !self.status.is_final()
            && self.status != PeeringStatus::Deleting
    }
}

/// How fresh the data on a page is: when it was read from the provider and,
/// when the latest read failed, why (the last good data is shown anyway).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Freshness {
    /// RFC 3339 time of the read the data comes from.
    pub fetched_at: String,
    /// RFC 3339 time the server answered; relative times are computed
    /// against it so server and browser render the same text.
    pub as_of: String,
    /// Set when the latest read failed and older data is shown.
    pub stale_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpaceSummary {
    pub name: String,
    pub region: String,
    pub state: String,
    pub shield: bool,
    /// Peerings counted by status, in lifecycle order; empty statuses left out.
    pub counts: Vec<(String, usize)>,
    pub pending: usize,
    /// When the first pending request expires (RFC 3339), if any does.
    pub soonest_expiry: Option<String>,
    /// Pending requests that match no expected peer.
    #[serde(default)]
    pub unexpected: usize,
    /// Set when this space's peerings could not be read.
    pub error: Option<String>,
}

/// The provider's `RateLimit-Remaining`, and when it was reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderBudget {
    pub remaining: u64,
    pub at: String,
}

/// The provider's hourly budget of calls for a whole account.
pub const PROVIDER_HOURLY_CALLS: u64 = 4500;

/// What an accept or destroy led to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionResult {
    pub pcx_id: String,
    pub status: PeeringStatus,
    pub message: String,
}

/// One action of the audit history: its intent and, once known, its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub space: String,
    pub target: String,
    /// `ok`, `error` or `unknown`; `None` while the outcome is not recorded.
    pub outcome: Option<String>,
    pub provider_status: Option<String>,
    pub message: Option<String>,
    pub request_id: Option<String>,
    pub finished_at: Option<String>,
    /// What else the action was about: accounts, an endpoint.
    pub detail: Option<String>,
}

/// A console user, as the user admin page lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    pub name: String,
    pub role: crate::access::Role,
    pub disabled: bool,
    /// Signed in with a one-time password and not yet changed it.
    pub must_change_password: bool,
    /// A ready-made user of the embedded demo.
    pub demo: bool,
    pub created_at: String,
    pub last_sign_in: Option<String>,
    /// Who the user is: a person with a password, a person the identity
    /// provider signs in, or automation acting through a token.
    #[serde(default)]
    pub kind: UserKind,
}

/// How a user signs in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserKind {
    /// A person with a password this console keeps.
    #[default]
    Local,
    /// A person the identity provider signs in.
    Provider,
    /// Automation, acting through its token.
    Service,
}

/// A token for automation, as the Users page lists it (never the token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSummary {
    /// The service user it acts as.
    pub name: String,
    pub role: crate::access::Role,
    /// Its last four characters, to tell it apart.
    pub hint: String,
    pub created_at: String,
    pub created_by: String,
    pub expires_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
    pub revoked_by: Option<String>,
    /// Expired at the time the list was read.
    pub expired: bool,
}

impl TokenSummary {
    /// Whether it still works.
    pub fn active(&self) -> bool {
        self.revoked_at.is_none() && !self.expired
    }
}

/// A token just made, shown once to the admin who made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewToken {
    pub name: String,
    pub role: crate::access::Role,
    pub token: String,
    pub expires_at: String,
    /// What the page says above the token.
    pub message: String,
}

/// A user just invited, with the one-time password shown once to the admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invited {
    pub name: String,
    pub role: crate::access::Role,
    pub password: String,
    /// What the page says above the password.
    pub message: String,
}

/// What the console knows of the audit history's integrity: how far the
/// background verification got, and the first problem it or the start-up
/// comparison with the newest checkpoint found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainStatus {
    /// The newest record's id (ids run from 1 without gaps).
    pub records: i64,
    /// Every record up to this one has been verified...
    pub verified_through: i64,
    /// ...as of this time (RFC 3339); `None` until the first pass ends.
    pub verified_at: Option<String>,
    /// The first record concerned by the first problem, if any.
    pub broken_at: Option<i64>,
    /// What is wrong, in words, if anything.
    pub problem: Option<String>,
    /// The newest signed checkpoint: its number, the record it covers, when.
    pub checkpoint: Option<(i64, i64, String)>,
}

/// The red banner every page shows while an integrity problem has not been
/// acknowledged by an admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrityAlarm {
    pub finding: String,
    /// Whether the signed-in user may acknowledge it.
    pub can_acknowledge: bool,
}

/// The Audit page's filters and where it starts. Every field is optional;
/// `before` and `after` are record ids (keyset pagination: a page is read
/// from its cursor through an index, however deep in the history).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditQuery {
    pub space: Option<String>,
    pub actor: Option<String>,
    /// A stored action name, such as `peering.accept`.
    pub action: Option<String>,
    /// `ok`, `error`, `unknown` or `pending`.
    pub outcome: Option<String>,
    /// From this day or time (inclusive), RFC 3339 or YYYY-MM-DD.
    pub since: Option<String>,
    /// Up to this day (inclusive) or time (exclusive).
    pub until: Option<String>,
    /// Text anywhere in a target, a detail or a message.
    pub text: Option<String>,
    pub before: Option<i64>,
    pub after: Option<i64>,
}

impl AuditQuery {
    /// The query string for this query, moved to another cursor.
    pub fn link(&self, before: Option<i64>, after: Option<i64>) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("space", &self.space),
            ("actor", &self.actor),
            ("action", &self.action),
            ("outcome", &self.outcome),
            ("since", &self.since),
            ("until", &self.until),
            ("text", &self.text),
        ] {
            if let Some(v) = v {
                query.append_pair(k, v);
            }
        }
        if let Some(b) = before {
            query.append_pair("before", &b.to_string());
        }
        if let Some(a) = after {
            query.append_pair("after", &a.to_string());
        }
        format!("/audit?{}", query.finish())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub query: AuditQuery,
    /// The cursor of the next older page, if there is one.
    pub older: Option<i64>,
    /// The cursor of the next newer page, if this is not the newest.
    pub newer: Option<i64>,
    /// A free-text search looks at a bounded stretch of the history per
    /// page; when it stopped before reaching the end, the record it
    /// stopped at (the Older, or Newer, link goes on from there).
    #[serde(default)]
    pub searched_to: Option<i64>,
    pub spaces: Vec<String>,
    pub actors: Vec<String>,
    pub chain: ChainStatus,
}

// ---- PrivateLink (the Data API) and the Platform API pieces around it ----

/// The data services that can have a PrivateLink.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DataService {
    Redis,
    Postgres,
    Kafka,
}

impl DataService {
    /// The port to open in the endpoint's security group. Redis over
    /// PrivateLink is plain 6379, not the stunnel port 6380.
    pub fn port(self) -> u16 {
        match self {
            Self::Redis => 6379,
            Self::Postgres => 5432,
            Self::Kafka => 9096,
        }
    }

    /// The attachment name that prefixes the endpoint's config var.
    pub fn attachment(self) -> &'static str {
        match self {
            Self::Redis => "REDIS",
            Self::Postgres => "DATABASE",
            Self::Kafka => "KAFKA",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Redis => "Redis (Key-Value Store)",
            Self::Postgres => "Postgres",
            Self::Kafka => "Kafka",
        }
    }
}

open_enum!(
    /// A PrivateLink endpoint service's status.
    PrivateLinkStatus {
        Provisioning => "Provisioning",
        Operational => "Operational",
        Deprovisioning => "Deprovisioning",
        Deprovisioned => "Deprovisioned",
        Unknown => "Unknown",
    }
);

// The Data API's PrivateLink answers are read loosely: the provider's own
// CLI plugin treats `service_name` as possibly null and its fixtures spell
// the app `app` or `apps`, and in practice any field may come back null. A
// missing or null field becomes empty (a status, `Unknown`), so one odd
// field never blanks a page.

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllowedAccount {
    #[serde(default, deserialize_with = "null_as_default")]
    pub arn: String,
    /// `Provisioning`, `Active`, or another value the provider adds.
    #[serde(default, deserialize_with = "null_as_default")]
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointConnection {
    #[serde(default, deserialize_with = "null_as_default")]
    pub endpoint_id: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub owner_arn: String,
    /// `Available` once usable; AWS's other endpoint states are passed through.
    #[serde(default, deserialize_with = "null_as_default")]
    pub status: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub hostname: String,
}

/// A name given as `{"name": ...}`, as a bare string, as a list of either
/// (the first counts), or not at all.
pub fn loosely_named<'de, D: Deserializer<'de>>(d: D) -> Result<Named, D::Error> {
    let name = match Option::<serde_json::Value>::deserialize(d)? {
        Some(serde_json::Value::String(s)) => s,
        Some(serde_json::Value::Array(items)) => items
            .into_iter()
            .next()
            .map(|v| match v {
                serde_json::Value::String(s) => s,
                v => v["name"].as_str().unwrap_or_default().to_string(),
            })
            .unwrap_or_default(),
        Some(v) => v["name"].as_str().unwrap_or_default().to_string(),
        None => String::new(),
    };
    Ok(Named { name })
}

fn status_or_unknown<'de, D: Deserializer<'de>>(d: D) -> Result<PrivateLinkStatus, D::Error> {
    Ok(Option::<String>::deserialize(d)?
        .filter(|s| !s.is_empty())
        .map_or(PrivateLinkStatus::Unknown, PrivateLinkStatus::from))
}

fn unknown_status() -> PrivateLinkStatus {
    PrivateLinkStatus::Unknown
}

/// The Data API's PrivateLink object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivateLink {
    #[serde(default, deserialize_with = "loosely_named")]
    pub addon: Named,
    #[serde(default, alias = "apps", deserialize_with = "loosely_named")]
    pub app: Named,
    #[serde(default = "unknown_status", deserialize_with = "status_or_unknown")]
    pub status: PrivateLinkStatus,
    /// Empty while provisioning (the provider may send null).
    #[serde(default, deserialize_with = "null_as_default")]
    pub service_name: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub allowed_accounts: Vec<AllowedAccount>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub connections: Vec<EndpointConnection>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_privatelink_answer_with_nulls_everywhere_still_reads() {
        let nulls = r#"{"addon":null,"app":null,"status":null,"service_name":null,
            "allowed_accounts":[{"arn":null,"status":null}],
            "connections":[{"endpoint_id":"vpce-1","owner_arn":null,"status":null,"hostname":null}]}"#;
        let l: PrivateLink = serde_json::from_str(nulls).unwrap();
        assert_eq!(l.status, PrivateLinkStatus::Unknown);
        assert!(l.service_name.is_empty() && l.app.name.is_empty());
        assert_eq!(l.connections[0].endpoint_id, "vpce-1");
        let bare: PrivateLink = serde_json::from_str("{}").unwrap();
        assert!(bare.connections.is_empty());
        // The plugin's fixtures spell the app `apps`, as an object or a list.
        for apps in [r#"{"name":"a1"}"#, r#"[{"name":"a1"}]"#, r#""a1""#] {
            let l: PrivateLink = serde_json::from_str(&format!(r#"{{"apps":{apps}}}"#)).unwrap();
            assert_eq!(l.app.name, "a1", "{apps}");
        }
    }

    #[test]
    fn unknown_values_are_kept_as_text() {
        let p: Peering = serde_json::from_str(
            r#"{"type":"external","pcx_id":"pcx-1","cidr_blocks":null,"cidr_block":"10.9.0.0/16",
                "status":"something-new","expires":""}"#,
        )
        .unwrap();
        assert_eq!(p.kind, PeeringType::Other("external".into()));
        assert_eq!(p.status.as_str(), "something-new");
        assert_eq!(p.all_cidrs(), vec!["10.9.0.0/16"]);
        let l: PrivateLink = serde_json::from_str(
            r#"{"addon":{"name":"a"},"app":{"name":"b"},"status":"Rebooting","allowed_accounts":null}"#,
        )
        .unwrap();
        assert_eq!(l.status, PrivateLinkStatus::Other("Rebooting".into()));
    }
}

/// One data add-on of a space, as the space page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataAddonSummary {
    pub app: String,
    pub addon: String,
    pub service: DataService,
    pub plan: String,
    /// Whether its plan can have a PrivateLink at all.
    pub eligible: bool,
    /// `None` when it has no PrivateLink.
    pub privatelink: Option<PrivateLinkStatus>,
    /// Set when its PrivateLink could not be read.
    pub error: Option<String>,
}

/// A connection's URL config var, with the password masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionUrl {
    pub endpoint_id: String,
    pub var_name: String,
    /// What a viewer may see of the URL (scheme, host, port, path; see the
    /// server's `console::mask`); `None` until the app has the config var.
    pub masked: Option<String>,
}

/// What a PrivateLink action led to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataActionResult {
    pub addon: String,
    pub status: PrivateLinkStatus,
    pub message: String,
}
