//! The one door from server functions to the server's services. Server
//! functions find a `SharedConsole` in the reactive context; the server
//! provides its implementation, and tests may provide another. Reads take
//! validated arguments; every change is an `Action` handed to `act`, which
//! the server carries out through its one executor (authorise, check,
//! record the intent, change, record the outcome), so a server function
//! called directly over HTTP is held to the same rules as a button.

use domain::access::Caller;
use domain::action::{Action, Answer, Done};
use domain::error::AppError;
use domain::ids::{AddonName, SpaceRef};
use domain::model::{AuditPage, AuditQuery, DataAddonSummary, IntegrityAlarm};
use domain::views::{Overview, PrivateLinkView, SpaceView};
use std::sync::Arc;

#[async_trait::async_trait]
pub trait Console: Send + Sync + 'static {
    /// Every space with its peerings counted by status.
    async fn overview(&self, who: &Caller) -> Result<Overview, AppError>;
    /// One space's peering info and peerings.
    async fn space(&self, who: &Caller, space: &SpaceRef) -> Result<SpaceView, AppError>;
    /// The data add-ons of a space's apps, with their PrivateLink status.
    async fn data_addons(
        &self,
        who: &Caller,
        space: &SpaceRef,
    ) -> Result<Vec<DataAddonSummary>, AppError>;
    /// One add-on's PrivateLink, its connections and their masked URLs.
    async fn privatelink(
        &self,
        who: &Caller,
        space: &SpaceRef,
        addon: &AddonName,
    ) -> Result<PrivateLinkView, AppError>;
    /// One page of the audit history, newest first, as `query` filters it.
    async fn audit(&self, who: &Caller, query: AuditQuery) -> Result<AuditPage, AppError>;
    /// The integrity alarm every page shows, while there is one. Not
    /// async: the page's context is made without waiting, and carries it.
    fn alarm(&self, _who: &Caller) -> Result<Option<IntegrityAlarm>, AppError> {
        Ok(None)
    }
    /// What waits for `who`: requests to decide, pending peerings, their own.
    async fn inbox(&self, _who: &Caller) -> Result<domain::views::Inbox, AppError> {
        Ok(domain::views::Inbox::default())
    }
    /// The approval policy, for the Settings page.
    async fn policy(&self, _who: &Caller) -> Result<domain::views::PolicyView, AppError> {
        Ok(domain::views::PolicyView::default())
    }
    /// Webhook destinations, their deliveries and the latest events.
    async fn notifications(
        &self,
        _who: &Caller,
    ) -> Result<domain::notify::NotificationsView, AppError> {
        Ok(domain::notify::NotificationsView::default())
    }
    /// Whether this console can do its work: `Err` says why not (for a
    /// load balancer's readiness check, which signs nobody in).
    async fn ready(&self) -> Result<(), String> {
        Ok(())
    }
    /// A space's peerings as Terraform (HCL): accepters with their
    /// imports, the peering-info data source, the AWS side as a template.
    async fn terraform(&self, who: &Caller, space: &SpaceRef) -> Result<String, AppError>;
    /// Every space's peerings, one row each, with expected-peer notes.
    async fn inventory(&self, who: &Caller) -> Result<Vec<domain::views::InventoryRow>, AppError>;
    /// Every user, for the user admin page.
    async fn users(&self, who: &Caller) -> Result<domain::views::UsersView, AppError>;
    /// Carries out one change on behalf of `who`.
    async fn act(&self, who: &Caller, action: Action) -> Result<Done, AppError>;
    /// The same, or, where the policy holds it back, a request for
    /// approval of it saying `reason`.
    async fn act_or_ask(
        &self,
        who: &Caller,
        action: Action,
        _reason: String,
    ) -> Result<Done, AppError> {
        self.act(who, action).await
    }
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

/// A server function's answer. An error sets the response's status from
/// its kind (400, 403, 404, 409, 429, 502, 503...) through Leptos'
/// `ResponseOptions`; server functions would otherwise answer every error
/// with 500.
pub async fn answer<T>(
    body: impl std::future::Future<Output = Result<T, AppError>>,
) -> Result<T, crate::error::FnError> {
    let result = body.await;
    if let Err(e) = &result {
        crate::error::set_status(e);
    }
    result.map_err(crate::error::FnError)
}

/// Carries out `action` for the caller of this request.
pub async fn act(action: impl Into<Action>) -> Result<Done, AppError> {
    let (console, who) = console()?;
    console.act(&who, action.into()).await
}

/// Carries out `action` for the caller of this request, or asks for
/// approval of it with `reason` where the policy holds it back.
pub async fn act_or_ask(
    action: impl Into<Action>,
    reason: Option<String>,
) -> Result<Done, AppError> {
    let (console, who) = console()?;
    console
        .act_or_ask(&who, action.into(), reason.unwrap_or_default())
        .await
}

/// Asks for approval of `action` with `reason`, never carrying it out:
/// what a held destroy sends, which has no typed confirmation to do it with.
pub async fn ask(action: impl Into<Action>, reason: Option<String>) -> Result<Done, AppError> {
    act(domain::action::ApprovalAction::RequestApproval {
        action: Box::new(action.into()),
        reason: reason.unwrap_or_default(),
    })
    .await
}

/// A server function's whole answer for a change the policy may hold
/// back: `action` done (its result read by `done`), or asked for with
/// `reason`.
pub async fn change<T>(
    action: impl Into<Action>,
    reason: Option<String>,
    done: fn(Done) -> Result<T, AppError>,
) -> Result<Answer<T>, crate::error::FnError> {
    answer(async move { act_or_ask(action, reason).await?.or_asked(done) }).await
}

/// The same for a destroy, which `typed` must confirm by repeating
/// `expected` (the `what`); sent with a reason and no confirmation, it
/// is only ever asked for: the approver's decision is the confirmation.
pub async fn destroy<T>(
    action: impl Into<Action>,
    (typed, expected, what): (Option<String>, &str, &str),
    reason: Option<String>,
    done: fn(Done) -> Result<T, AppError>,
) -> Result<Answer<T>, crate::error::FnError> {
    answer(async move {
        let done_or_asked = match (typed, reason) {
            (None, Some(reason)) => ask(action, Some(reason)).await?,
            (typed, reason) => {
                domain::action::confirmed(&typed.unwrap_or_default(), expected, what)?;
                act_or_ask(action, reason).await?
            }
        };
        done_or_asked.or_asked(done)
    })
    .await
}

/// The signed-in user of this request.
pub fn caller() -> Result<Caller, AppError> {
    leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Caller>().cloned())
        .ok_or_else(|| AppError::Unauthenticated("Sign in to use Spaceport.".into()))
}
