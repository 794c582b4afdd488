//! The Data API half of the client (PrivateLink endpoint services), and the
//! Platform API reads around it: apps, their add-ons and config vars.

use super::wire::{Addon, App};
use super::{Answer, Api, Keep, Mutated, ProviderClient, ProviderError};
use domain::model::PrivateLink;
use reqwest::Method;
use std::collections::BTreeMap;

/// Adding or removing allowed accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountsChange {
    Add,
    Remove,
}

impl ProviderClient {
    pub async fn list_apps(&self) -> Result<Answer<Vec<App>>, ProviderError> {
        self.list(&["apps"]).await
    }

    pub async fn app_addons(&self, app: &str) -> Result<Answer<Vec<Addon>>, ProviderError> {
        self.list(&["apps", app, "addons"]).await
    }

    /// The app's config vars. They hold secrets: callers show them masked,
    /// and the answer is never kept in the ETag cache.
    pub async fn config_vars(
        &self,
        app: &str,
    ) -> Result<Answer<BTreeMap<String, String>>, ProviderError> {
        self.get_from(
            Api::Platform,
            self.url(&["apps", app, "config-vars"]),
            Keep::Never,
        )
        .await
    }

    /// The add-on named `addon` (on `app`, when given), as the provider's
    /// CLI resolves it before every `data:` command.
    pub async fn resolve_addon(
        &self,
        addon: &str,
        app: Option<&str>,
    ) -> Result<Addon, ProviderError> {
        let url = self.url(&["actions", "addons", "resolve"]);
        let (rb, request_id) = self.request(Method::POST, url);
        let res = self
            .send(rb.json(&serde_json::json!({"addon": addon, "app": app})))
            .await
            .map_err(|e| self.transport_error(e))?;
        if !res.status().is_success() {
            return Err(Self::error_from(res, request_id).await);
        }
        let found: Vec<Addon> = res
            .json()
            .await
            .map_err(|e| ProviderError::Decode(e.to_string()))?;
        found
            .into_iter()
            .next()
            .ok_or_else(|| ProviderError::Decode(format!("no add-on resolved for {addon}")))
    }

    pub async fn privatelink(&self, addon: &str) -> Result<Answer<PrivateLink>, ProviderError> {
        self.get_from(
            Api::Data,
            self.data_url(&["private-link", "v0", "databases", addon]),
            Keep::Revalidate,
        )
        .await
    }

    /// Reads the PrivateLink back after a mutation whose answer was lost.
    async fn read_back(&self, addon: &str) -> Result<PrivateLink, ProviderError> {
        Ok(self.privatelink(addon).await?.value)
    }

    /// `allowed_accounts` in the input forms (`123456789012:user/NAME`).
    pub async fn create_privatelink(
        &self,
        addon: &str,
        allowed_accounts: &[String],
    ) -> Result<Mutated<PrivateLink>, ProviderError> {
        let url = self.data_url(&["private-link", "v0", "databases", addon]);
        let body = serde_json::json!({ "allowed_accounts": allowed_accounts });
        self.mutate(Api::Data, Method::POST, url, Some(body), || {
            self.read_back(addon)
        })
        .await
    }

    pub async fn destroy_privatelink(
        &self,
        addon: &str,
    ) -> Result<Mutated<PrivateLink>, ProviderError> {
        let url = self.data_url(&["private-link", "v0", "databases", addon]);
        self.mutate(Api::Data, Method::DELETE, url, None, || {
            self.read_back(addon)
        })
        .await
    }

    pub async fn change_allowed_accounts(
        &self,
        addon: &str,
        change: AccountsChange,
        accounts: &[String],
    ) -> Result<Mutated<PrivateLink>, ProviderError> {
        let url = self.data_url(&["private-link", "v0", "databases", addon, "allowed_accounts"]);
        let method = match change {
            AccountsChange::Add => Method::PUT,
            AccountsChange::Remove => Method::PATCH,
        };
        let body = serde_json::json!({ "allowed_accounts": accounts });
        self.mutate(Api::Data, method, url, Some(body), || self.read_back(addon))
            .await
    }
}
