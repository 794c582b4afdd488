//! The simulated provider's data add-ons and their PrivateLink endpoint
//! services. Pure, like `world`: every operation takes `now`.

use super::rules::principal_arn;
use super::rules::{endpoint_config_var, plan_allows_privatelink};
use super::wire::{
    Addon, AllowedAccount, App, DataService, EndpointConnection, Named, PrivateLink,
    PrivateLinkStatus,
};
use super::world::SimError;
use std::collections::BTreeMap;
use time::{Duration, OffsetDateTime};

/// How long things take at time scale 1 (the seed says 5-10 minutes).
const LINK_PROVISIONING: Duration = Duration::seconds(450);
const ACCOUNT_PROVISIONING: Duration = Duration::seconds(60);
const CONNECTION_PENDING: Duration = Duration::seconds(60);
const DEPROVISIONING: Duration = Duration::seconds(120);
/// A destroyed endpoint answers `Deprovisioned` for a while, then 404.
const DEPROVISIONED_VISIBLE: Duration = Duration::seconds(300);

#[derive(Debug, Clone, Copy)]
pub struct DataTiming {
    pub link_provisioning: Duration,
    pub account_provisioning: Duration,
    pub connection_pending: Duration,
    pub deprovisioning: Duration,
    pub deprovisioned_visible: Duration,
}

impl DataTiming {
    pub fn scaled(scale: f64) -> Self {
        let f = super::world::scaler(scale);
        Self {
            link_provisioning: f(LINK_PROVISIONING),
            account_provisioning: f(ACCOUNT_PROVISIONING),
            connection_pending: f(CONNECTION_PENDING),
            deprovisioning: f(DEPROVISIONING),
            deprovisioned_visible: f(DEPROVISIONED_VISIBLE),
        }
    }
}

#[derive(Debug, Clone)]
pub struct SimApp {
    pub app: App,
    pub addons: Vec<Addon>,
    pub config_vars: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct SimLink {
    pub link: PrivateLink,
    pub region: String,
    next: Option<(OffsetDateTime, PrivateLinkStatus)>,
    gone_at: Option<OffsetDateTime>,
    /// Allowed accounts and connections still settling, with when they do.
    settling_accounts: Vec<(String, OffsetDateTime)>,
    settling_connections: Vec<(String, OffsetDateTime)>,
    /// Answered with nulls where the real provider is known to send them.
    sparse: bool,
}

impl SimLink {
    pub fn operational(link: PrivateLink, region: &str) -> Self {
        Self {
            link,
            region: region.into(),
            next: None,
            gone_at: None,
            settling_accounts: Vec::new(),
            settling_connections: Vec::new(),
            sparse: false,
        }
    }

    /// This link's answers carry nulls: no service name, no app, no
    /// accounts, connections without owner and hostname. The real Data
    /// API sends such answers, so a client must read them.
    pub fn sparse(mut self) -> Self {
        self.sparse = true;
        self
    }

    fn gone(&self, now: OffsetDateTime) -> bool {
        self.gone_at.is_some_and(|g| g <= now)
    }
}

/// A VPC endpoint connecting from the AWS side (the control surface's input).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct EndpointRequest {
    /// The principal creating the endpoint, in any accepted form.
    pub owner: String,
    #[serde(default)]
    pub endpoint_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct DataWorld {
    pub apps: Vec<SimApp>,
    pub links: Vec<SimLink>,
    pub timing: DataTiming,
}

fn not_found(addon: &str) -> SimError {
    SimError::NotFound(format!("Couldn't find that add-on: {addon}."))
}

/// The random-looking part of AWS ids, derived from a name so the
/// simulator's answers are stable for one add-on.
fn hex_from(name: &str, len: usize) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(name.as_bytes()))[..len].to_string()
}

impl DataWorld {
    pub fn advance(&mut self, now: OffsetDateTime) {
        for l in &mut self.links {
            if let Some((at, status)) = l.next
                && at <= now
            {
                l.next = None;
                match status {
                    PrivateLinkStatus::Operational => {
                        l.link.service_name = format!(
                            "com.amazonaws.vpce.{}.vpce-svc-{}",
                            l.region,
                            hex_from(&l.link.addon.name, 17)
                        );
                    }
                    PrivateLinkStatus::Deprovisioned => {
                        l.gone_at = Some(at + self.timing.deprovisioned_visible);
                    }
                    _ => {}
                }
                l.link.status = status;
            }
            l.settling_accounts.retain(|(arn, at)| {
                let done = *at <= now;
                if done && let Some(a) = l.link.allowed_accounts.iter_mut().find(|a| &a.arn == arn)
                {
                    a.status = "Active".into();
                }
                !done
            });
            l.settling_connections.retain(|(id, at)| {
                let done = *at <= now;
                if done
                    && let Some(c) = l.link.connections.iter_mut().find(|c| &c.endpoint_id == id)
                {
                    c.status = "Available".into();
                }
                !done
            });
        }
        self.links.retain(|l| !l.gone(now));
    }

    /// An add-on by name or id, with its app.
    pub fn addon(&self, key: &str) -> Result<(&SimApp, &Addon), SimError> {
        self.apps
            .iter()
            .find_map(|a| {
                a.addons
                    .iter()
                    .find(|x| x.name == key || x.id == key)
                    .map(|x| (a, x))
            })
            .ok_or_else(|| not_found(key))
    }

    pub fn app(&self, key: &str) -> Result<&SimApp, SimError> {
        self.apps
            .iter()
            .find(|a| a.app.name == key || a.app.id == key)
            .ok_or_else(|| SimError::NotFound(format!("Couldn't find that app: {key}.")))
    }

    fn link_index(&self, addon: &str, now: OffsetDateTime) -> Result<usize, SimError> {
        let (_, a) = self.addon(addon)?;
        self.links
            .iter()
            .position(|l| l.link.addon.name == a.name && !l.gone(now))
            .ok_or_else(|| SimError::NotFound(format!("{} has no PrivateLink endpoint.", a.name)))
    }

    pub fn link(&mut self, addon: &str, now: OffsetDateTime) -> Result<PrivateLink, SimError> {
        self.advance(now);
        let i = self.link_index(addon, now)?;
        Ok(self.links[i].link.clone())
    }

    /// A link as the Data API answers it: with nulls for a sparse one.
    pub fn answer(
        &mut self,
        addon: &str,
        now: OffsetDateTime,
    ) -> Result<serde_json::Value, SimError> {
        self.advance(now);
        let l = &self.links[self.link_index(addon, now)?];
        let mut v = serde_json::to_value(&l.link).unwrap_or_default();
        if l.sparse {
            for field in ["service_name", "app", "allowed_accounts"] {
                v[field] = serde_json::Value::Null;
            }
            if let Some(cs) = v["connections"].as_array_mut() {
                for c in cs {
                    c["owner_arn"] = serde_json::Value::Null;
                    c["hostname"] = serde_json::Value::Null;
                }
            }
        }
        Ok(v)
    }

    fn parse_accounts(accounts: &[String]) -> Result<Vec<String>, SimError> {
        accounts
            .iter()
            .map(|a| principal_arn(a))
            .collect::<Result<_, _>>()
            .map_err(SimError::InvalidParams)
    }

    pub fn create(
        &mut self,
        addon: &str,
        accounts: &[String],
        region: &str,
        now: OffsetDateTime,
    ) -> Result<PrivateLink, SimError> {
        self.advance(now);
        let (app, a) = self.addon(addon)?;
        let (app_name, addon_name) = (app.app.name.clone(), a.name.clone());
        if a.data_service().is_none() || !plan_allows_privatelink(&a.plan.name) {
            return Err(SimError::InvalidParams(format!(
                "{addon_name} ({}) cannot have a PrivateLink: only private and shield data plans can.",
                a.plan.name
            )));
        }
        if self.link_index(addon, now).is_ok() {
            return Err(SimError::InvalidParams(format!(
                "{addon_name} already has a PrivateLink endpoint."
            )));
        }
        let arns = Self::parse_accounts(accounts)?;
        if arns.is_empty() {
            return Err(SimError::InvalidParams(
                "allowed_accounts must name at least one account.".into(),
            ));
        }
        let ready = now + self.timing.account_provisioning;
        let link = PrivateLink {
            addon: Named { name: addon_name },
            app: Named { name: app_name },
            status: PrivateLinkStatus::Provisioning,
            service_name: String::new(),
            allowed_accounts: arns
                .iter()
                .map(|arn| AllowedAccount {
                    arn: arn.clone(),
                    status: "Provisioning".into(),
                })
                .collect(),
            connections: Vec::new(),
        };
        self.links.push(SimLink {
            link: link.clone(),
            region: region.into(),
            next: Some((
                now + self.timing.link_provisioning,
                PrivateLinkStatus::Operational,
            )),
            gone_at: None,
            settling_accounts: arns
                .into_iter()
                .map(|a| (a, ready.max(now + self.timing.link_provisioning)))
                .collect(),
            settling_connections: Vec::new(),
            sparse: false,
        });
        Ok(link)
    }

    pub fn destroy(&mut self, addon: &str, now: OffsetDateTime) -> Result<PrivateLink, SimError> {
        self.advance(now);
        let i = self.link_index(addon, now)?;
        let deprovisioning = self.timing.deprovisioning;
        let l = &mut self.links[i];
        if matches!(
            l.link.status,
            PrivateLinkStatus::Deprovisioning | PrivateLinkStatus::Deprovisioned
        ) {
            return Err(SimError::InvalidParams(format!(
                "The PrivateLink endpoint of {} is already {}.",
                l.link.addon.name, l.link.status
            )));
        }
        l.link.status = PrivateLinkStatus::Deprovisioning;
        l.next = Some((now + deprovisioning, PrivateLinkStatus::Deprovisioned));
        Ok(l.link.clone())
    }

    /// The link an accounts change is for, and the accounts as ARNs.
    fn accounts_change(
        &mut self,
        addon: &str,
        accounts: &[String],
        now: OffsetDateTime,
    ) -> Result<(usize, Vec<String>), SimError> {
        self.advance(now);
        let arns = Self::parse_accounts(accounts)?;
        Ok((self.link_index(addon, now)?, arns))
    }

    /// Adds accounts; one already allowed is left as it is (a no-op).
    pub fn add_accounts(
        &mut self,
        addon: &str,
        accounts: &[String],
        now: OffsetDateTime,
    ) -> Result<PrivateLink, SimError> {
        let (i, arns) = self.accounts_change(addon, accounts, now)?;
        let ready = now + self.timing.account_provisioning;
        let l = &mut self.links[i];
        for arn in arns {
            if !l.link.allowed_accounts.iter().any(|a| a.arn == arn) {
                l.link.allowed_accounts.push(AllowedAccount {
                    arn: arn.clone(),
                    status: "Provisioning".into(),
                });
                l.settling_accounts.push((arn, ready));
            }
        }
        Ok(l.link.clone())
    }

    pub fn remove_accounts(
        &mut self,
        addon: &str,
        accounts: &[String],
        now: OffsetDateTime,
    ) -> Result<PrivateLink, SimError> {
        let (i, arns) = self.accounts_change(addon, accounts, now)?;
        let l = &mut self.links[i];
        if let Some(missing) = arns
            .iter()
            .find(|arn| !l.link.allowed_accounts.iter().any(|a| &&a.arn == arn))
        {
            return Err(SimError::InvalidParams(format!(
                "{missing} is not an allowed account."
            )));
        }
        l.link.allowed_accounts.retain(|a| !arns.contains(&a.arn));
        l.settling_accounts.retain(|(a, _)| !arns.contains(a));
        Ok(l.link.clone())
    }

    /// A VPC endpoint created on the AWS side. Refused unless the owner's
    /// account is allowed and the endpoint service is operational; once
    /// available, the app gains the endpoint's URL config var.
    pub fn connect(
        &mut self,
        addon: &str,
        req: &EndpointRequest,
        now: OffsetDateTime,
    ) -> Result<EndpointConnection, SimError> {
        self.advance(now);
        let owner_arn = principal_arn(&req.owner).map_err(SimError::InvalidParams)?;
        // The account is the ARN's fourth field: arn:aws:iam::ACCOUNT:...
        let owner_account = owner_arn.split(':').nth(4).unwrap_or_default().to_string();
        let endpoint_id = match &req.endpoint_id {
            Some(id) => {
                let id = id.trim();
                let ok = id.strip_prefix("vpce-").is_some_and(|h| {
                    (8..=17).contains(&h.len()) && h.bytes().all(|b| b.is_ascii_hexdigit())
                });
                if !ok {
                    return Err(SimError::InvalidParams(format!(
                        "\"{id}\" is not a VPC endpoint id such as vpce-01c87ae3c05563935"
                    )));
                }
                id.to_string()
            }
            None => format!(
                "vpce-{}",
                hex_from(&format!("{addon}{}{now}", owner_arn), 17)
            ),
        };
        let i = self.link_index(addon, now)?;
        let pending = self.timing.connection_pending;
        let l = &self.links[i];
        if l.link.status != PrivateLinkStatus::Operational {
            return Err(SimError::InvalidParams(format!(
                "The endpoint service is {}, not Operational.",
                l.link.status
            )));
        }
        let root = format!("arn:aws:iam::{owner_account}:root");
        let allowed = l
            .link
            .allowed_accounts
            .iter()
            .any(|a| a.arn == owner_arn || a.arn == root);
        if !allowed {
            return Err(SimError::Forbidden(format!(
                "{} is not allowed to connect to this endpoint service.",
                owner_arn
            )));
        }
        if l.link
            .connections
            .iter()
            .any(|c| c.endpoint_id == endpoint_id)
        {
            return Err(SimError::InvalidParams(format!(
                "{endpoint_id} is already connected."
            )));
        }
        let service = l
            .link
            .service_name
            .rsplit('.')
            .next()
            .unwrap_or_default()
            .to_string();
        let connection = EndpointConnection {
            endpoint_id: endpoint_id.clone(),
            owner_arn,
            status: "PendingAcceptance".into(),
            hostname: format!(
                "{endpoint_id}-{}.{service}.{}.vpce.amazonaws.com",
                &hex_from(&endpoint_id, 8),
                l.region
            ),
        };
        let (app_name, addon_name) = (l.link.app.name.clone(), l.link.addon.name.clone());
        let l = &mut self.links[i];
        l.link.connections.push(connection.clone());
        l.settling_connections
            .push((endpoint_id.clone(), now + pending));
        // The URL config var appears with the connection; its value is secret.
        let addon = self.addon(&addon_name)?.1.clone();
        let kind = addon.data_service().unwrap_or(DataService::Redis);
        // Key-Value Store over PrivateLink speaks TLS on 6379 (`rediss://`),
        // as the seed document connects.
        let url = match kind {
            DataService::Redis => format!(
                "rediss://default:{}@{}:6379",
                hex_from(&endpoint_id, 32),
                connection.hostname
            ),
            DataService::Postgres => format!(
                "postgres://u{}:{}@{}:5432/d{}",
                hex_from(&addon_name, 8),
                hex_from(&endpoint_id, 32),
                connection.hostname,
                hex_from(&app_name, 8)
            ),
            DataService::Kafka => format!("kafka+ssl://{}:9096", connection.hostname),
        };
        if let Some(app) = self.apps.iter_mut().find(|a| a.app.name == app_name) {
            app.config_vars.insert(
                endpoint_config_var(&addon.attachment(kind), &endpoint_id),
                url,
            );
        }
        Ok(connection)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::seed;

    fn t0() -> OffsetDateTime {
        super::super::world::parse_time("2026-11-22T12:00:00Z").unwrap()
    }

    fn world() -> DataWorld {
        seed::data_world(t0(), DataTiming::scaled(1.0))
    }

    const PG: &str = "postgresql-curved-12345";

    #[test]
    fn the_seed_documents_endpoint_is_there() {
        let mut w = world();
        let l = w.link("redis-sushi-12345", t0()).unwrap();
        assert_eq!(l.status, PrivateLinkStatus::Operational);
        assert_eq!(
            l.service_name,
            "com.amazonaws.vpce.us-east-1.vpce-svc-0410a2e25933fe8ec"
        );
        assert_eq!(l.connections[0].endpoint_id, "vpce-01c87ae3c05563935");
        let app = w.app("privatelink-vpc-endpoint-demo").unwrap();
        assert!(app.config_vars["REDIS_ENDPOINT_01C87AE3C05563935_URL"].ends_with(":6379"));
        assert!(matches!(w.link(PG, t0()), Err(SimError::NotFound(_))));
        assert_eq!(
            w.link("kafka-fluffy-12345", t0()).unwrap().status,
            PrivateLinkStatus::Provisioning
        );
    }

    #[test]
    fn create_provisions_then_operates_with_a_service_name() {
        let mut w = world();
        let l = w
            .create(PG, &["123456789012:user/ops".into()], "us-east-1", t0())
            .unwrap();
        assert_eq!(l.status, PrivateLinkStatus::Provisioning);
        assert!(l.service_name.is_empty());
        assert_eq!(
            l.allowed_accounts[0].arn,
            "arn:aws:iam::123456789012:user/ops"
        );
        assert_eq!(l.allowed_accounts[0].status, "Provisioning");
        let later = t0() + Duration::seconds(450);
        let l = w.link(PG, later).unwrap();
        assert_eq!(l.status, PrivateLinkStatus::Operational);
        assert!(
            l.service_name
                .starts_with("com.amazonaws.vpce.us-east-1.vpce-svc-")
        );
        assert_eq!(l.allowed_accounts[0].status, "Active");
        assert!(
            matches!(w.create(PG, &["123456789012".into()], "us-east-1", later), Err(SimError::InvalidParams(m)) if m.contains("already"))
        );
    }

    #[test]
    fn only_private_and_shield_data_plans_and_valid_accounts() {
        let mut w = world();
        assert!(
            matches!(w.create("redis-cosy-54321", &["123456789012".into()], "us-east-1", t0()), Err(SimError::InvalidParams(m)) if m.contains("private and shield"))
        );
        assert!(
            matches!(w.create(PG, &["12345678901".into()], "us-east-1", t0()), Err(SimError::InvalidParams(m)) if m.contains("12 digits"))
        );
        assert!(matches!(
            w.create(PG, &[], "us-east-1", t0()),
            Err(SimError::InvalidParams(_))
        ));
        assert!(matches!(
            w.create("nope", &["123456789012".into()], "us-east-1", t0()),
            Err(SimError::NotFound(_))
        ));
    }

    #[test]
    fn accounts_add_as_a_no_op_when_present_and_remove() {
        let mut w = world();
        let r = "redis-sushi-12345";
        let l = w
            .add_accounts(
                r,
                &["123456789101:user/abc.xyz".into(), "210987654321".into()],
                t0(),
            )
            .unwrap();
        assert_eq!(
            l.allowed_accounts.len(),
            2,
            "the existing account is not added twice"
        );
        assert_eq!(l.allowed_accounts[1].status, "Provisioning");
        let l = w.link(r, t0() + Duration::seconds(60)).unwrap();
        assert_eq!(l.allowed_accounts[1].status, "Active");
        let l = w
            .remove_accounts(r, &["210987654321:root".into()], t0())
            .unwrap();
        assert_eq!(l.allowed_accounts.len(), 1);
        assert!(matches!(
            w.remove_accounts(r, &["210987654321".into()], t0()),
            Err(SimError::InvalidParams(_))
        ));
    }

    #[test]
    fn endpoints_connect_only_from_allowed_accounts() {
        let mut w = world();
        let r = "redis-sushi-12345";
        let refused = w.connect(
            r,
            &EndpointRequest {
                owner: "999999999999".into(),
                endpoint_id: None,
            },
            t0(),
        );
        assert!(matches!(refused, Err(SimError::Forbidden(_))));
        let c = w
            .connect(
                r,
                &EndpointRequest {
                    owner: "123456789101:user/abc.xyz".into(),
                    endpoint_id: Some("vpce-0aaaabbbbccccdddd".into()),
                },
                t0(),
            )
            .unwrap();
        assert_eq!(c.status, "PendingAcceptance");
        assert!(
            c.hostname
                .contains("vpce-svc-0410a2e25933fe8ec.us-east-1.vpce.amazonaws.com")
        );
        let l = w.link(r, t0() + Duration::seconds(60)).unwrap();
        assert_eq!(l.connections[1].status, "Available");
        let vars = &w.app("privatelink-vpc-endpoint-demo").unwrap().config_vars;
        assert!(vars["REDIS_ENDPOINT_0AAAABBBBCCCCDDDD_URL"].starts_with("rediss://"));
        // Not while provisioning.
        let k = w.connect(
            "kafka-fluffy-12345",
            &EndpointRequest {
                owner: "123456789012".into(),
                endpoint_id: None,
            },
            t0(),
        );
        assert!(matches!(k, Err(SimError::InvalidParams(m)) if m.contains("Provisioning")));
    }

    #[test]
    fn destroy_deprovisions_then_answers_404() {
        let mut w = world();
        let r = "redis-sushi-12345";
        assert_eq!(
            w.destroy(r, t0()).unwrap().status,
            PrivateLinkStatus::Deprovisioning
        );
        assert!(matches!(
            w.destroy(r, t0()),
            Err(SimError::InvalidParams(_))
        ));
        let t1 = t0() + Duration::seconds(120);
        assert_eq!(
            w.link(r, t1).unwrap().status,
            PrivateLinkStatus::Deprovisioned
        );
        let t2 = t1 + Duration::seconds(300);
        assert!(matches!(w.link(r, t2), Err(SimError::NotFound(_))));
        // And it can be created again.
        assert!(
            w.create(r, &["123456789012".into()], "us-east-1", t2)
                .is_ok()
        );
    }
}
