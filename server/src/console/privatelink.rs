//! The console's PrivateLink half: a space's data add-ons, one add-on's
//! endpoint service, and the audited actions on it.

use super::{Act, ServerConsole, freshness};
use crate::provider::{AccountsChange, ProviderError};
use app::error::AppError;
use app::model::{
    Addon, ConnectionUrl, DataActionResult, DataAddonSummary, DataService, PrivateLink,
    PrivateLinkStatus, PrivateLinkView, endpoint_config_var, plan_allows_privatelink,
};
use app::validate;

fn valid_addon(addon: &str) -> Result<&str, AppError> {
    validate::addon_name(addon).map_err(AppError::Invalid)
}

/// The accounts as the Data API takes them, or every reason they are wrong.
fn valid_accounts(accounts: &str) -> Result<Vec<String>, AppError> {
    validate::aws_principals(accounts)
        .map(|ps| ps.iter().map(|p| p.input_form()).collect())
        .map_err(AppError::Invalid)
}

/// An add-on of a data service the console knows, with that service.
fn data_service(addon: &Addon) -> Option<DataService> {
    DataService::from_service(&addon.addon_service.name)
}

impl ServerConsole {
    async fn read_apps(&self) -> Result<crate::cache::Read<Vec<app::model::App>>, ProviderError> {
        self.apps
            .get((), async { Ok(self.provider.list_apps().await?.value) })
            .await
    }

    async fn read_addons(&self, app: &str) -> Result<Vec<Addon>, ProviderError> {
        let read = self
            .addons
            .get(app.to_string(), async {
                Ok(self.provider.app_addons(app).await?.value)
            })
            .await?;
        Ok(read.value)
    }

    async fn read_link(
        &self,
        addon: &str,
    ) -> Result<crate::cache::Read<Option<PrivateLink>>, ProviderError> {
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
    ) -> Result<std::collections::BTreeMap<String, String>, ProviderError> {
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
            for addon in self.read_addons(&app).await? {
                if let Some(service) = data_service(&addon) {
                    out.push((addon, service));
                }
            }
        }
        out.sort_by(|a, b| (&a.0.app.name, &a.0.name).cmp(&(&b.0.app.name, &b.0.name)));
        Ok(out)
    }

    /// One data add-on of the space; one outside it is "not found", so a
    /// space's page never reaches another space's add-ons.
    async fn space_addon(
        &self,
        space: &str,
        addon: &str,
    ) -> Result<(Addon, DataService), AppError> {
        self.space_addons(space)
            .await?
            .into_iter()
            .find(|(a, _)| a.name == addon)
            .ok_or_else(|| AppError::NotFound(format!("{space} has no data add-on named {addon}.")))
    }

    pub(super) async fn data_addons_of(
        &self,
        space: &str,
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
                    Ok(r) => (r.value.map(|l| l.status), None),
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
        space: &str,
        addon: &str,
    ) -> Result<PrivateLinkView, AppError> {
        let space = self.space_named(space).await?;
        let space = space.as_str();
        let addon = valid_addon(addon)?;
        let (a, service) = self.space_addon(space, addon).await?;
        let link = self.read_link(addon).await?;
        let info = self.read_info(space).await?;
        // The URL config vars of the endpoints, masked.
        let mut urls = Vec::new();
        if let Some(l) = link.value.as_ref().filter(|l| !l.connections.is_empty()) {
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
            link: link.value,
            urls,
            wait_limit_secs: self.privatelink_wait.as_secs(),
            freshness: freshness([
                (link.at, link.stale_error.as_ref()),
                (info.at, info.stale_error.as_ref()),
            ]),
        })
    }

    /// A PrivateLink mutation, audited, and the cache it makes stale.
    async fn act_on_link<Fut>(
        &self,
        what: Act<'_>,
        verb: &str,
        call: Fut,
    ) -> Result<DataActionResult, AppError>
    where
        Fut: std::future::Future<
                Output = Result<crate::provider::Mutated<PrivateLink>, ProviderError>,
            >,
    {
        let addon = what.target.to_string();
        let result = self
            .act(what, call, |l: &PrivateLink, lost| {
                let message = match lost {
                    None => format!("{verb}: the endpoint service of {addon} is {}.", l.status),
                    Some(lost) => format!(
                        "The provider's answer was lost ({lost}); read back, the endpoint service of {addon} is {}.",
                        l.status
                    ),
                };
                (l.status.to_string(), message)
            })
            .await;
        self.links.invalidate(&addon).await;
        let (link, message) = result?;
        Ok(DataActionResult {
            addon,
            status: link.status,
            message,
        })
    }

    pub(super) async fn create_link(
        &self,
        actor: &str,
        space: &str,
        addon: &str,
        accounts: &str,
    ) -> Result<DataActionResult, AppError> {
        let space = self.space_named(space).await?;
        let space = space.as_str();
        let addon = valid_addon(addon)?;
        let accounts = valid_accounts(accounts)?;
        let (a, _) = self.space_addon(space, addon).await?;
        if !plan_allows_privatelink(&a.plan.name) {
            return Err(AppError::Invalid(format!(
                "{addon} is on {}; only private and shield plans can have a PrivateLink.",
                a.plan.name
            )));
        }
        self.links.invalidate(&addon.to_string()).await;
        if let Some(l) = self.read_link(addon).await?.value
            && l.status != PrivateLinkStatus::Deprovisioned
        {
            return Err(AppError::Conflict(format!(
                "{addon} already has a PrivateLink ({}).",
                l.status
            )));
        }
        let detail = accounts.join(", ");
        let what = Act {
            actor,
            action: "privatelink.create",
            space,
            target: addon,
            detail: Some(&detail),
        };
        self.act_on_link(
            what,
            "Created",
            self.provider.create_privatelink(addon, &accounts),
        )
        .await
    }

    pub(super) async fn destroy_link(
        &self,
        actor: &str,
        space: &str,
        addon: &str,
        confirm: &str,
    ) -> Result<DataActionResult, AppError> {
        let space = self.space_named(space).await?;
        let space = space.as_str();
        let addon = valid_addon(addon)?;
        if confirm.trim() != addon {
            return Err(AppError::Invalid(format!(
                "To destroy, type the add-on name {addon} exactly; nothing was destroyed."
            )));
        }
        self.space_addon(space, addon).await?;
        let what = Act {
            actor,
            action: "privatelink.destroy",
            space,
            target: addon,
            detail: None,
        };
        self.act_on_link(what, "Destroying", self.provider.destroy_privatelink(addon))
            .await
    }

    pub(super) async fn change_accounts(
        &self,
        actor: &str,
        space: &str,
        addon: &str,
        accounts: &str,
        change: AccountsChange,
    ) -> Result<DataActionResult, AppError> {
        let space = self.space_named(space).await?;
        let space = space.as_str();
        let addon = valid_addon(addon)?;
        let accounts = valid_accounts(accounts)?;
        self.space_addon(space, addon).await?;
        let (action, verb) = match change {
            AccountsChange::Add => ("privatelink.account_add", "Accounts added"),
            AccountsChange::Remove => ("privatelink.account_remove", "Accounts removed"),
        };
        let detail = accounts.join(", ");
        let what = Act {
            actor,
            action,
            space,
            target: addon,
            detail: Some(&detail),
        };
        self.act_on_link(
            what,
            verb,
            self.provider
                .change_allowed_accounts(addon, change, &accounts),
        )
        .await
    }

    /// The secret URL, read fresh from the app's config vars. The reveal is
    /// recorded before the value is read, and the value is never logged.
    pub(super) async fn reveal_url(
        &self,
        actor: &str,
        space: &str,
        addon: &str,
        endpoint_id: &str,
    ) -> Result<String, AppError> {
        let space = self.space_named(space).await?;
        let space = space.as_str();
        let addon = valid_addon(addon)?;
        let endpoint_id = validate::vpce_id(endpoint_id).map_err(AppError::Invalid)?;
        let (a, service) = self.space_addon(space, addon).await?;
        let var = endpoint_config_var(&a.attachment(service), endpoint_id);
        let intent_id = self
            .intent(
                actor,
                "privatelink.reveal_url",
                space,
                addon,
                Some(&format!("{endpoint_id} ({var})")),
            )
            .await?;
        let found = self
            .provider
            .config_vars(&a.app.name)
            .await
            .map(|vars| vars.value.get(&var).cloned());
        let (outcome, result) = match found {
            Ok(Some(url)) => (
                super::Outcome {
                    kind: super::OutcomeKind::Ok,
                    provider_status: None,
                    message: format!("Revealed {var}."),
                    request_id: None,
                },
                Ok(url),
            ),
            Ok(None) => (
                super::Outcome {
                    kind: super::OutcomeKind::Error,
                    provider_status: None,
                    message: format!("{} has no {var} yet.", a.app.name),
                    request_id: None,
                },
                Err(AppError::NotFound(format!(
                    "{} has no {var} yet.",
                    a.app.name
                ))),
            ),
            Err(e) => (
                super::Outcome {
                    kind: super::OutcomeKind::Error,
                    provider_status: e.status().map(|s| s.to_string()),
                    message: e.to_string(),
                    request_id: e.request_id().map(str::to_string),
                },
                Err(e.into()),
            ),
        };
        self.finish(intent_id, outcome).await;
        result
    }
}
