//! The one door from server functions to the server's services. Server
//! functions find a `SharedConsole` in the reactive context; the server
//! provides its implementation, and tests may provide another. Every method
//! enforces its own rules (validation, audit, provider call), so a server
//! function called directly over HTTP is held to the same rules as a button.

use crate::error::AppError;
use crate::model::{
    ActionResult, AuditPage, DataActionResult, DataAddonSummary, Overview, PrivateLinkView,
    SpaceView,
};
use std::sync::Arc;

#[async_trait::async_trait]
pub trait Console: Send + Sync + 'static {
    /// Every space with its peerings counted by status.
    async fn overview(&self) -> Result<Overview, AppError>;
    /// One space's peering info and peerings.
    async fn space(&self, space: &str) -> Result<SpaceView, AppError>;
    async fn accept_peering(&self, space: &str, pcx_id: &str) -> Result<ActionResult, AppError>;
    /// `confirm` must repeat the PCX ID, as the provider's CLI demands.
    async fn destroy_peering(
        &self,
        space: &str,
        pcx_id: &str,
        confirm: &str,
    ) -> Result<ActionResult, AppError>;
    /// The data add-ons of a space's apps, with their PrivateLink status.
    async fn data_addons(&self, space: &str) -> Result<Vec<DataAddonSummary>, AppError>;
    /// One add-on's PrivateLink, its connections and their masked URLs.
    async fn privatelink(&self, space: &str, addon: &str) -> Result<PrivateLinkView, AppError>;
    /// `accounts` in any accepted form, separated by commas or new lines.
    async fn create_privatelink(
        &self,
        space: &str,
        addon: &str,
        accounts: &str,
    ) -> Result<DataActionResult, AppError>;
    /// `confirm` must repeat the add-on's name.
    async fn destroy_privatelink(
        &self,
        space: &str,
        addon: &str,
        confirm: &str,
    ) -> Result<DataActionResult, AppError>;
    async fn add_allowed_accounts(
        &self,
        space: &str,
        addon: &str,
        accounts: &str,
    ) -> Result<DataActionResult, AppError>;
    async fn remove_allowed_account(
        &self,
        space: &str,
        addon: &str,
        account: &str,
    ) -> Result<DataActionResult, AppError>;
    /// The unmasked connection URL of one endpoint; the reveal is audited.
    async fn reveal_connection_url(
        &self,
        space: &str,
        addon: &str,
        endpoint_id: &str,
    ) -> Result<String, AppError>;
    /// One page (from 1) of the audit history, newest first.
    async fn audit(&self, space: Option<String>, page: u32) -> Result<AuditPage, AppError>;
}

pub type SharedConsole = Arc<dyn Console>;

/// The console provided by the server for this request.
pub fn console() -> Result<SharedConsole, AppError> {
    leptos::prelude::use_context::<SharedConsole>().ok_or_else(|| {
        leptos::logging::error!("no Console in context: the server must provide one");
        AppError::Internal
    })
}
