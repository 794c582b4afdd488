//! The one door from server functions to the server's services. Server
//! functions find a `SharedConsole` in the reactive context; the server
//! provides its implementation, and tests may provide another. Every method
//! enforces its own rules (validation, audit, provider call), so a server
//! function called directly over HTTP is held to the same rules as a button.

use crate::access::{Caller, Role};
use crate::error::AppError;
use crate::model::{
    ActionResult, AuditPage, DataActionResult, DataAddonSummary, Invited, Overview,
    PrivateLinkView, SpaceView, UserSummary,
};
use std::sync::Arc;

#[async_trait::async_trait]
pub trait Console: Send + Sync + 'static {
    /// Every space with its peerings counted by status.
    async fn overview(&self, who: &Caller) -> Result<Overview, AppError>;
    /// One space's peering info and peerings.
    async fn space(&self, who: &Caller, space: &str) -> Result<SpaceView, AppError>;
    async fn accept_peering(
        &self,
        who: &Caller,
        space: &str,
        pcx_id: &str,
    ) -> Result<ActionResult, AppError>;
    /// `confirm` must repeat the PCX ID, as the provider's CLI demands.
    async fn destroy_peering(
        &self,
        who: &Caller,
        space: &str,
        pcx_id: &str,
        confirm: &str,
    ) -> Result<ActionResult, AppError>;
    /// The data add-ons of a space's apps, with their PrivateLink status.
    async fn data_addons(
        &self,
        who: &Caller,
        space: &str,
    ) -> Result<Vec<DataAddonSummary>, AppError>;
    /// One add-on's PrivateLink, its connections and their masked URLs.
    async fn privatelink(
        &self,
        who: &Caller,
        space: &str,
        addon: &str,
    ) -> Result<PrivateLinkView, AppError>;
    /// `accounts` in any accepted form, separated by commas or new lines.
    async fn create_privatelink(
        &self,
        who: &Caller,
        space: &str,
        addon: &str,
        accounts: &str,
    ) -> Result<DataActionResult, AppError>;
    /// `confirm` must repeat the add-on's name.
    async fn destroy_privatelink(
        &self,
        who: &Caller,
        space: &str,
        addon: &str,
        confirm: &str,
    ) -> Result<DataActionResult, AppError>;
    async fn add_allowed_accounts(
        &self,
        who: &Caller,
        space: &str,
        addon: &str,
        accounts: &str,
    ) -> Result<DataActionResult, AppError>;
    async fn remove_allowed_account(
        &self,
        who: &Caller,
        space: &str,
        addon: &str,
        account: &str,
    ) -> Result<DataActionResult, AppError>;
    /// The unmasked connection URL of one endpoint; the reveal is audited.
    async fn reveal_connection_url(
        &self,
        who: &Caller,
        space: &str,
        addon: &str,
        endpoint_id: &str,
    ) -> Result<String, AppError>;
    /// One page (from 1) of the audit history, newest first.
    async fn audit(
        &self,
        who: &Caller,
        space: Option<String>,
        page: u32,
    ) -> Result<AuditPage, AppError>;
    /// Every user, for the user admin page.
    async fn users(&self, who: &Caller) -> Result<Vec<UserSummary>, AppError>;
    /// Creates a user with a one-time password, returned once.
    async fn invite_user(&self, who: &Caller, name: &str, role: &str) -> Result<Invited, AppError>;
    /// The last enabled admin cannot be demoted.
    async fn set_user_role(
        &self,
        who: &Caller,
        name: &str,
        role: &str,
    ) -> Result<UserSummary, AppError>;
    /// The last enabled admin cannot be disabled.
    async fn set_user_disabled(
        &self,
        who: &Caller,
        name: &str,
        disabled: bool,
    ) -> Result<UserSummary, AppError>;
}

pub type SharedConsole = Arc<dyn Console>;

/// The console provided by the server for this request, and who is
/// calling it: the signed-in user the server's sign-in layer put on the
/// request. No user, no console.
pub fn console() -> Result<(SharedConsole, Caller), AppError> {
    let console = leptos::prelude::use_context::<SharedConsole>().ok_or_else(|| {
        leptos::logging::error!("no Console in context: the server must provide one");
        AppError::Internal
    })?;
    Ok((console, caller()?))
}

/// The signed-in user of this request.
pub fn caller() -> Result<Caller, AppError> {
    leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Caller>().cloned())
        .ok_or_else(|| AppError::Unauthenticated("Sign in to use Spaceport.".into()))
}

/// Whether `role` parses; the user methods share it.
pub fn parse_role(role: &str) -> Result<Role, AppError> {
    role.parse().map_err(AppError::Invalid)
}
