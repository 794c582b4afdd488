//! An add-on's PrivateLink page, from the gateway's reads: its endpoint
//! service, its connections and their URLs (masked). Its actions are the
//! executor's (`actions::provider`).

use super::ServerConsole;
use crate::gateway::freshness;
use crate::provider::wire::{endpoint_config_var, plan_allows_privatelink};
use domain::error::AppError;
use domain::ids::{AddonName, SpaceRef};
use domain::model::ConnectionUrl;
use domain::views::PrivateLinkView;
use std::sync::Arc;

impl ServerConsole {
    pub(super) async fn privatelink_view(
        &self,
        space: &SpaceRef,
        addon: &AddonName,
    ) -> Result<PrivateLinkView, AppError> {
        let space = self.gateway.space_named(space).await?;
        let space = space.as_str();
        let (a, service) = self.gateway.space_addon(space, addon).await?;
        let link = self.gateway.read_link(addon.as_str()).await?;
        let info = self.gateway.read_info(space).await?;
        // The URL config vars of the endpoints, masked.
        let mut urls = Vec::new();
        if let Some(l) = Option::as_ref(&link.value).filter(|l| !l.connections.is_empty()) {
            let vars = self.gateway.read_masked_vars(&a.app.name).await?;
            for c in &l.connections {
                let var_name = endpoint_config_var(&a.attachment(service), &c.endpoint_id);
                urls.push(ConnectionUrl {
                    endpoint_id: c.endpoint_id.clone(),
                    masked: vars.get(&var_name).cloned(),
                    var_name,
                });
            }
        }
        Ok(PrivateLinkView {
            space: space.to_string(),
            app: a.app.name.clone(),
            addon: a.name.clone(),
            service,
            eligible: plan_allows_privatelink(&a.plan.name),
            plan: a.plan.name,
            region: info.value.aws_region.clone(),
            link: Arc::unwrap_or_clone(link.value),
            urls,
            wait_limit_secs: self.privatelink_wait.as_secs(),
            freshness: freshness([
                (link.at, link.stale_error.as_ref()),
                (info.at, info.stale_error.as_ref()),
            ]),
            gates: Default::default(),
            requests: Vec::new(),
        })
    }
}
