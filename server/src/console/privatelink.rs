//! The console's PrivateLink reads: a space's data add-ons and one
//! add-on's endpoint service. Its actions are arms of `steps`.

use super::{ServerConsole, freshness};
use crate::provider::ProviderError;
use crate::provider::wire::{Addon, endpoint_config_var, plan_allows_privatelink};
use domain::error::AppError;
use domain::ids::{AddonName, SpaceRef};
use domain::model::{ConnectionUrl, DataAddonSummary, DataService, PrivateLink};
use domain::views::PrivateLinkView;
use std::sync::Arc;

/// An add-on of a data service the console knows, with that service.
fn data_service(addon: &Addon) -> Option<DataService> {
    addon.data_service()
}

impl ServerConsole {
    async fn read_apps(
        &self,
    ) -> Result<crate::cache::Read<Arc<Vec<crate::provider::wire::App>>>, ProviderError> {
        self.apps
            .get((), async { Ok(self.provider.list_apps().await?.value) })
            .await
    }

    async fn read_addons(&self, app: &str) -> Result<Arc<Vec<Addon>>, ProviderError> {
        let read = self
            .addons
            .get(app.to_string(), async {
                Ok(self.provider.app_addons(app).await?.value)
            })
            .await?;
        Ok(read.value)
    }

    pub(super) async fn read_link(
        &self,
        addon: &str,
    ) -> Result<crate::cache::Read<Arc<Option<PrivateLink>>>, ProviderError> {
        self.links
            .get(addon.to_string(), async {
                match self.provider.privatelink(addon).await {
                    Ok(a) => Ok(Some(a.value)),
                    Err(ProviderError::Api { status: 404, .. }) => Ok(None),
                    Err(e) => Err(e),
                }
            })
            .await
    }

    /// An app's config vars, each masked as a URL, kept for a refresh
    /// period like any other read: every add-on view used to read them
    /// afresh. Only the masked values are kept; a reveal reads afresh.
    async fn read_masked_vars(
        &self,
        app: &str,
    ) -> Result<Arc<std::collections::BTreeMap<String, String>>, ProviderError> {
        let read = self
            .masked_vars
            .get(app.to_string(), async {
                let vars = self.provider.config_vars(app).await?.value;
                Ok(vars
                    .into_iter()
                    .map(|(k, v)| (k, super::mask::mask_url(&v)))
                    .collect())
            })
            .await?;
        Ok(read.value)
    }

    /// The data add-ons of the space's apps.
    async fn space_addons(&self, space: &str) -> Result<Vec<(Addon, DataService)>, AppError> {
        let apps = self.read_apps().await?;
        let in_space: Vec<String> = apps
            .value
            .iter()
            .filter(|a| a.space.as_ref().is_some_and(|s| s.name == space))
            .map(|a| a.name.clone())
            .collect();
        let mut out = Vec::new();
        for app in in_space {
            for addon in self.read_addons(&app).await?.iter() {
                if let Some(service) = data_service(addon) {
                    out.push((addon.clone(), service));
                }
            }
        }
        out.sort_by(|a, b| (&a.0.app.name, &a.0.name).cmp(&(&b.0.app.name, &b.0.name)));
        Ok(out)
    }

    /// One data add-on of the space; one outside it is "not found", so a
    /// space's page never reaches another space's add-ons.
    pub(super) async fn space_addon(
        &self,
        space: &str,
        addon: &AddonName,
    ) -> Result<(Addon, DataService), AppError> {
        self.space_addons(space)
            .await?
            .into_iter()
            .find(|(a, _)| addon == a.name.as_str())
            .ok_or_else(|| AppError::NotFound(format!("{space} has no data add-on named {addon}.")))
    }

    pub(super) async fn data_addons_of(
        &self,
        space: &SpaceRef,
    ) -> Result<Vec<DataAddonSummary>, AppError> {
        let space = self.space_named(space).await?;
        let space = space.as_str();
        let addons = self.space_addons(space).await?;
        let links =
            futures::future::join_all(addons.iter().map(|(a, _)| self.read_link(&a.name))).await;
        Ok(addons
            .into_iter()
            .zip(links)
            .map(|((a, service), link)| {
                let (privatelink, error) = match link {
                    Ok(r) => (Option::as_ref(&r.value).map(|l| l.status.clone()), None),
                    Err(e) => (None, Some(AppError::from(e).to_string())),
                };
                DataAddonSummary {
                    app: a.app.name.clone(),
                    eligible: plan_allows_privatelink(&a.plan.name),
                    addon: a.name,
                    service,
                    plan: a.plan.name,
                    privatelink,
                    error,
                }
            })
            .collect())
    }

    pub(super) async fn privatelink_view(
        &self,
        space: &SpaceRef,
        addon: &AddonName,
    ) -> Result<PrivateLinkView, AppError> {
        let space = self.space_named(space).await?;
        let space = space.as_str();
        let (a, service) = self.space_addon(space, addon).await?;
        let link = self.read_link(addon.as_str()).await?;
        let info = self.read_info(space).await?;
        // The URL config vars of the endpoints, masked.
        let mut urls = Vec::new();
        if let Some(l) = Option::as_ref(&link.value).filter(|l| !l.connections.is_empty()) {
            let vars = self.read_masked_vars(&a.app.name).await?;
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
