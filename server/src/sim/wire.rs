//! The provider's answers as the simulator writes them, in its own types:
//! the console's (`domain::model`, `provider::wire`) read the same JSON
//! leniently, and a mistake in them must show up as a difference against
//! the simulator, not be mirrored by it. The golden answers under
//! `server/tests/fixtures/provider/` hold both sides to the contract in
//! `PROVIDER_API.md`.

use serde::{Deserialize, Serialize};

/// `{"name": ...}`, as the provider names a region, a team, an app.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Named {
    pub name: String,
}

/// A Private Space, as `GET /spaces` and `GET /spaces/{space}` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Space {
    pub id: String,
    pub name: String,
    pub region: Named,
    pub state: String,
    pub shield: bool,
    pub cidr: Option<String>,
    pub data_cidr: Option<String>,
    pub team: Option<Named>,
    pub created_at: String,
    pub updated_at: String,
}

/// `GET /spaces/{space}/peering-info`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeeringInfo {
    pub aws_account_id: String,
    pub aws_region: String,
    pub vpc_id: String,
    pub vpc_cidr: String,
    pub dyno_cidr_blocks: Vec<String>,
    pub space_cidr_blocks: Vec<String>,
    pub unavailable_cidr_blocks: Vec<String>,
}

/// Who manages a peering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PeeringType {
    HerokuManaged,
    CustomerManaged,
    Unknown,
}

impl PeeringType {
    pub fn is_provider_managed(self) -> bool {
        self == Self::HerokuManaged
    }
}

/// A peering's status, as AWS and the provider name it; a status the
/// control surface sets that is none of these is sent as given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum PeeringStatus {
    InitiatingRequest,
    PendingAcceptance,
    Provisioning,
    Active,
    Failed,
    Expired,
    Rejected,
    Deleting,
    Deleted,
    Other(String),
}

const PEERING_STATUSES: [(PeeringStatus, &str); 9] = [
    (PeeringStatus::InitiatingRequest, "initiating-request"),
    (PeeringStatus::PendingAcceptance, "pending-acceptance"),
    (PeeringStatus::Provisioning, "provisioning"),
    (PeeringStatus::Active, "active"),
    (PeeringStatus::Failed, "failed"),
    (PeeringStatus::Expired, "expired"),
    (PeeringStatus::Rejected, "rejected"),
    (PeeringStatus::Deleting, "deleting"),
    (PeeringStatus::Deleted, "deleted"),
];

impl PeeringStatus {
    pub fn as_str(&self) -> &str {
        match self {
            Self::Other(s) => s,
            known => PEERING_STATUSES
                .iter()
                .find(|(s, _)| s == known)
                .map_or("", |(_, text)| text),
        }
    }
}

impl std::fmt::Display for PeeringStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for PeeringStatus {
    fn from(s: &str) -> Self {
        PEERING_STATUSES
            .iter()
            .find(|(_, text)| *text == s)
            .map_or_else(|| Self::Other(s.to_string()), |(status, _)| status.clone())
    }
}

impl From<String> for PeeringStatus {
    fn from(s: String) -> Self {
        Self::from(s.as_str())
    }
}

impl From<PeeringStatus> for String {
    fn from(s: PeeringStatus) -> String {
        s.as_str().to_string()
    }
}

/// One peering, as `GET /spaces/{space}/peerings` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Peering {
    #[serde(rename = "type")]
    pub kind: PeeringType,
    pub pcx_id: String,
    pub cidr_blocks: Vec<String>,
    /// The legacy singular form: never written by the simulator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr_block: Option<String>,
    pub status: PeeringStatus,
    pub aws_vpc_id: Option<String>,
    pub aws_region: Option<String>,
    pub aws_account_id: Option<String>,
    pub expires: Option<String>,
}

impl Peering {
    /// Every CIDR the peer announced.
    pub fn all_cidrs(&self) -> Vec<String> {
        let mut out = self.cidr_blocks.clone();
        if let Some(one) = self.cidr_block.as_ref().filter(|c| !c.is_empty())
            && !out.contains(one)
        {
            out.push(one.clone());
        }
        out
    }
}

/// An app, as `GET /apps` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct App {
    pub id: String,
    pub name: String,
    pub space: Option<Named>,
    pub region: Option<Named>,
}

/// An add-on, as `GET /apps/{app}/addons` and `POST /actions/addons/resolve` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Addon {
    pub id: String,
    pub name: String,
    pub addon_service: Named,
    pub plan: Named,
    pub app: Named,
    pub state: String,
    pub config_vars: Vec<String>,
}

/// The data services that can have a PrivateLink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataService {
    Redis,
    Postgres,
    Kafka,
}

impl Addon {
    pub fn data_service(&self) -> Option<DataService> {
        match self.addon_service.name.as_str() {
            "heroku-redis" | "heroku-keyvalue" | "heroku-key-value-store" => {
                Some(DataService::Redis)
            }
            "heroku-postgresql" => Some(DataService::Postgres),
            "heroku-kafka" => Some(DataService::Kafka),
            _ => None,
        }
    }

    /// The name the add-on is attached under, from the `<ATTACHMENT>_URL`
    /// config var it sets; the service's usual one when it sets none.
    pub fn attachment(&self, service: DataService) -> String {
        let usual = match service {
            DataService::Redis => "REDIS",
            DataService::Postgres => "DATABASE",
            DataService::Kafka => "KAFKA",
        };
        self.config_vars
            .iter()
            .find_map(|v| v.strip_suffix("_URL").filter(|a| !a.is_empty()))
            .unwrap_or(usual)
            .to_string()
    }
}

/// A PrivateLink's status, as the Data API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PrivateLinkStatus {
    Provisioning,
    Operational,
    Deprovisioning,
    Deprovisioned,
}

impl std::fmt::Display for PrivateLinkStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self, f)
    }
}

/// An AWS account a PrivateLink allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllowedAccount {
    pub arn: String,
    pub status: String,
}

/// A VPC endpoint connected to a PrivateLink.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointConnection {
    pub endpoint_id: String,
    pub owner_arn: String,
    pub status: String,
    pub hostname: String,
}

/// The Data API's PrivateLink object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivateLink {
    pub addon: Named,
    pub app: Named,
    pub status: PrivateLinkStatus,
    pub service_name: String,
    pub allowed_accounts: Vec<AllowedAccount>,
    pub connections: Vec<EndpointConnection>,
}

/// The provider's error body: `{"id": "not_found", "message": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub id: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_is_written_as_the_provider_names_it() {
        for (status, text) in PEERING_STATUSES {
            assert_eq!(PeeringStatus::from(text), status);
            assert_eq!(
                serde_json::to_string(&status).unwrap(),
                format!("\"{text}\"")
            );
        }
        let other = PeeringStatus::from("pending-something");
        assert_eq!(other.as_str(), "pending-something");
        assert_eq!(
            serde_json::to_string(&PeeringType::CustomerManaged).unwrap(),
            "\"customer-managed\""
        );
    }
}
