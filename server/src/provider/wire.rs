//! The provider's wire types that never cross the server-function
//! boundary (spaces, apps, add-ons, the error body) and the server's
//! helpers over them. What a page shows is in `domain::model`.

use domain::model::{DataService, Named, null_as_default};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Space {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub region: Named,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub shield: bool,
    #[serde(default)]
    pub cidr: Option<String>,
    #[serde(default)]
    pub data_cidr: Option<String>,
    #[serde(default)]
    pub team: Option<Named>,
    #[serde(default)]
    pub created_at: String,
    #[serde(default)]
    pub updated_at: String,
}

/// An app, as `GET /apps` lists it; `space` is absent for apps outside spaces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct App {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub space: Option<Named>,
    #[serde(default)]
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
    #[serde(default)]
    pub state: String,
    /// The config var names the add-on sets on its app.
    #[serde(default, deserialize_with = "null_as_default")]
    pub config_vars: Vec<String>,
}

impl Addon {
    /// The data service of the add-on, if it is one that can have a
    /// PrivateLink.
    pub fn data_service(&self) -> Option<DataService> {
        data_service(&self.addon_service.name)
    }

    /// The name the add-on is attached under (`REDIS`, `CACHE`,
    /// `HEROKU_POSTGRESQL_ORANGE`), from the config vars it sets
    /// (`<ATTACHMENT>_URL`); the service's usual one when it lists none.
    pub fn attachment(&self, service: DataService) -> String {
        self.config_vars
            .iter()
            .find_map(|v| v.strip_suffix("_URL").filter(|a| !a.is_empty()))
            .map_or_else(|| service.attachment().to_string(), str::to_string)
    }
}

/// From an add-on service name such as `heroku-redis`.
pub fn data_service(name: &str) -> Option<DataService> {
    match name {
        "heroku-redis" | "heroku-keyvalue" | "heroku-key-value-store" => Some(DataService::Redis),
        "heroku-postgresql" => Some(DataService::Postgres),
        "heroku-kafka" => Some(DataService::Kafka),
        _ => None,
    }
}

/// Private and Shield plans are the ones that can have a PrivateLink.
pub fn plan_allows_privatelink(plan: &str) -> bool {
    let tier = plan.rsplit(':').next().unwrap_or(plan);
    tier.starts_with("private-") || tier.starts_with("shield-")
}

/// The config var that holds a VPC endpoint's connection URL:
/// `<ATTACHMENT>_ENDPOINT_<last 17 characters of the id, upper-cased>_URL`.
pub fn endpoint_config_var(attachment: &str, endpoint_id: &str) -> String {
    let id = endpoint_id.trim();
    let tail = &id[id.len().saturating_sub(17)..];
    format!("{attachment}_ENDPOINT_{}_URL", tail.to_ascii_uppercase())
}

/// The provider's error body: `{"id": "not_found", "message": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderErrorBody {
    pub id: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_attachment_comes_from_the_addons_config_vars() {
        let addon = |vars: &[&str]| Addon {
            id: "i".into(),
            name: "n".into(),
            addon_service: Named::default(),
            plan: Named::default(),
            app: Named::default(),
            state: String::new(),
            config_vars: vars.iter().map(|v| v.to_string()).collect(),
        };
        assert_eq!(
            addon(&["CACHE_URL"]).attachment(DataService::Redis),
            "CACHE"
        );
        assert_eq!(
            addon(&["HEROKU_POSTGRESQL_ORANGE_URL"]).attachment(DataService::Postgres),
            "HEROKU_POSTGRESQL_ORANGE"
        );
        assert_eq!(addon(&[]).attachment(DataService::Kafka), "KAFKA");
    }

    #[test]
    fn the_seed_documents_config_var_name() {
        assert_eq!(
            endpoint_config_var("REDIS", "vpce-01c87ae3c05563935"),
            "REDIS_ENDPOINT_01C87AE3C05563935_URL"
        );
    }

    #[test]
    fn private_and_shield_plans_allow_privatelink() {
        assert!(plan_allows_privatelink("heroku-redis:private-7"));
        assert!(plan_allows_privatelink("heroku-postgresql:shield-4"));
        assert!(!plan_allows_privatelink("heroku-redis:premium-0"));
    }
}
