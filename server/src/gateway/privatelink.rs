//! The provider's data add-ons and their PrivateLinks, as read through
//! the caches: a space's add-ons, one add-on's endpoint service, and its
//! app's config vars (masked before they are kept).

use super::Gateway;
use crate::provider::ProviderError;
use crate::provider::wire::{Addon, plan_allows_privatelink};
use domain::error::AppError;
use domain::ids::{AddonName, SpaceRef};
use domain::model::{DataAddonSummary, DataService, PrivateLink};
use std::sync::Arc;

/// An add-on of a data service the console knows, with that service.
fn data_service(addon: &Addon) -> Option<DataService> {
    addon.data_service()
}

impl Gateway {
    pub(crate) async fn read_apps(
        &self,
    ) -> Result<crate::cache::Read<Arc<Vec<crate::provider::wire::App>>>, ProviderError> {
        self.apps
            .get((), async { Ok(self.provider.list_apps().await?.value) })
            .await
    }

    pub(crate) async fn read_addons(&self, app: &str) -> Result<Arc<Vec<Addon>>, ProviderError> {
        let read = self
            .addons
            .get(app.to_string(), async {
                Ok(self.provider.app_addons(app).await?.value)
            })
            .await?;
        Ok(read.value)
    }

    pub(crate) async fn read_link(
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
    pub(crate) async fn read_masked_vars(
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
    pub(crate) async fn space_addons(
        &self,
        space: &str,
    ) -> Result<Vec<(Addon, DataService)>, AppError> {
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
    pub(crate) async fn space_addon(
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

    pub(crate) async fn data_addons_of(
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

    /// An add-on's PrivateLink read afresh, for an action's check or a
    /// request's snapshot: what is true now, not what a cache saw.
    pub(crate) async fn read_link_fresh(
        &self,
        addon: &str,
    ) -> Result<crate::cache::Read<Arc<Option<PrivateLink>>>, ProviderError> {
        self.links.invalidate(&addon.to_string()).await;
        self.read_link(addon).await
    }
}
