//! The executor's arms for the provider's actions: what each one checks
//! against fresh provider state, the one call it makes, and the reads it
//! makes stale. The order they run in is `actions::Executor::run`'s.

use super::{ServerConsole, rfc3339};
use crate::actions::{Changed, Checked};
use crate::provider::AccountsChange;
use crate::provider::wire::{endpoint_config_var, plan_allows_privatelink};
use domain::action::{Action, Done};
use domain::error::AppError;
use domain::ids::{AddonName, PcxId};
use domain::model::{
    ActionResult, DataActionResult, Peering, PeeringStatus, PrivateLink, PrivateLinkStatus,
};

use domain::checks::{self, Severity};
use time::OffsetDateTime;

/// "Accepted pcx-…: it is now provisioning.", or what was read back after
/// the provider's answer was lost.
fn peering_said(verb: &str, pcx_id: &PcxId, p: &Peering, lost: Option<&str>) -> (String, String) {
    let message = match lost {
        None => format!("{verb} {pcx_id}: it is now {}.", p.status),
        Some(lost) => format!(
            "The provider's answer was lost ({lost}); read back, {pcx_id} is now {}.",
            p.status
        ),
    };
    (p.status.to_string(), message)
}

fn peering_done(pcx_id: &PcxId) -> impl FnOnce(Peering, String) -> Done + '_ {
    move |p, message| {
        Done::Peering(ActionResult {
            pcx_id: pcx_id.to_string(),
            status: p.status,
            message,
        })
    }
}

fn link_said(
    verb: &str,
    addon: &AddonName,
    l: &PrivateLink,
    lost: Option<&str>,
) -> (String, String) {
    let message = match lost {
        None => format!("{verb}: the endpoint service of {addon} is {}.", l.status),
        Some(lost) => format!(
            "The provider's answer was lost ({lost}); read back, the endpoint service of {addon} is {}.",
            l.status
        ),
    };
    (l.status.to_string(), message)
}

fn link_done(addon: &AddonName) -> impl FnOnce(PrivateLink, String) -> Done + '_ {
    move |l, message| {
        Done::PrivateLink(DataActionResult {
            addon: addon.to_string(),
            status: l.status,
            message,
        })
    }
}

impl ServerConsole {
    /// The current state of one peering, straight from the provider: an
    /// action is decided on what is true now, not on what a cache saw.
    pub(super) async fn current(&self, space: &str, pcx_id: &PcxId) -> Result<Peering, AppError> {
        Ok(self
            .provider
            .get_peering(space, pcx_id.as_str())
            .await?
            .value)
    }

    /// Refuses what the provider's current state says cannot be done.
    pub(crate) async fn check(&self, action: &Action) -> Result<Checked, AppError> {
        let Some(space) = action.space() else {
            return Ok(Checked::local(action));
        };
        let space = self.space_named(space).await?;
        let mut checked = Checked {
            detail: action.detail(),
            ..Checked::default()
        };
        match action {
            Action::AcceptPeering { pcx_id, .. } => {
                let peering = self.current(&space, pcx_id).await?;
                if peering.kind.is_provider_managed() {
                    return Err(AppError::Forbidden(
                        "Heroku-managed peerings cannot be accepted.".into(),
                    ));
                }
                if peering.status != PeeringStatus::PendingAcceptance {
                    return Err(AppError::Conflict(format!(
                        "{pcx_id} is {}; only a pending-acceptance request can be accepted.",
                        peering.status
                    )));
                }
                // The same checks the confirmation showed, enforced here.
                let info = self.read_info(&space).await?.value;
                let others = self.read_peerings(&space).await?.value;
                let now = rfc3339(OffsetDateTime::now_utc());
                let blockers: Vec<String> = checks::accept_findings(&peering, &info, &others, &now)
                    .into_iter()
                    .filter(|f| f.severity == Severity::Blocker)
                    .map(|f| f.message)
                    .collect();
                if !blockers.is_empty() {
                    return Err(AppError::Invalid(format!(
                        "Not accepted: {}",
                        blockers.join(" ")
                    )));
                }
                // Who the team expected; the policy may accept no one else.
                let store = self.executor.approvals();
                let expected = store
                    .expected(Some(&space), &crate::approvals::now())
                    .await?;
                let met = domain::policy::expected_match(&peering, &expected, &now);
                if met.is_none() && store.policy().await?.require_expected_peer {
                    return Err(AppError::Invalid(format!(
                        "Not accepted: {pcx_id} (account {}, {}) matches no expected peer, and \
                         the policy accepts only expected ones. If it is yours, register it \
                         under Expected peers first.",
                        peering.aws_account_id.as_deref().unwrap_or("unknown"),
                        peering.aws_vpc_id.as_deref().unwrap_or("no VPC"),
                    )));
                }
                checked.expected = met.map(|e| e.id);
            }
            Action::DestroyPeering { pcx_id, .. } => {
                let peering = self.current(&space, pcx_id).await?;
                if peering.kind.is_provider_managed() {
                    return Err(AppError::Forbidden(
                        "Heroku-managed peerings cannot be destroyed.".into(),
                    ));
                }
                if !peering.can_destroy() {
                    return Err(AppError::Conflict(format!(
                        "{pcx_id} is {}; there is nothing to destroy.",
                        peering.status
                    )));
                }
            }
            Action::CreatePrivateLink { addon, .. } => {
                let (a, _) = self.space_addon(&space, addon).await?;
                if !plan_allows_privatelink(&a.plan.name) {
                    return Err(AppError::Invalid(format!(
                        "{addon} is on {}; only private and shield plans can have a PrivateLink.",
                        a.plan.name
                    )));
                }
                self.links.invalidate(&addon.to_string()).await;
                if let Some(l) = &*self.read_link(addon.as_str()).await?.value
                    && l.status != PrivateLinkStatus::Deprovisioned
                {
                    return Err(AppError::Conflict(format!(
                        "{addon} already has a PrivateLink ({}).",
                        l.status
                    )));
                }
            }
            Action::DestroyPrivateLink { addon, .. }
            | Action::AddAccounts { addon, .. }
            | Action::RemoveAccounts { addon, .. } => {
                self.space_addon(&space, addon).await?;
            }
            Action::RevealUrl {
                addon, endpoint, ..
            } => {
                let (a, service) = self.space_addon(&space, addon).await?;
                let var = endpoint_config_var(&a.attachment(service), endpoint.as_str());
                checked.detail = Some(format!("{endpoint} ({var})"));
                checked.config_var = Some((a.app.name, var));
            }
            other => {
                tracing::error!(action = %other.name(), "not a provider action");
                return Err(AppError::Internal);
            }
        }
        checked.space = space;
        Ok(checked)
    }

    /// Makes the one provider call the action is.
    pub(crate) async fn change(&self, action: &Action, checked: &Checked) -> Changed {
        let space = checked.space.as_str();
        let p = &self.provider;
        match action {
            Action::AcceptPeering { pcx_id, .. } => {
                let mut changed = Changed::from_provider(
                    p.accept_peering(space, pcx_id.as_str()).await,
                    |v, lost| peering_said("Accepted", pcx_id, v, lost),
                    peering_done(pcx_id),
                );
                if let (Ok(_), Some(id)) = (&changed.result, checked.expected) {
                    match self.executor.approvals().consume(id, pcx_id.as_str()).await {
                        Ok(_) => changed
                            .outcome
                            .message
                            .push_str(&format!(" It met expected peer #{id}.")),
                        Err(e) => tracing::error!(error = %e, "expected peer not consumed"),
                    }
                }
                changed
            }
            Action::DestroyPeering { pcx_id, .. } => Changed::from_provider(
                p.destroy_peering(space, pcx_id.as_str()).await,
                |v, lost| peering_said("Destroying", pcx_id, v, lost),
                peering_done(pcx_id),
            ),
            Action::CreatePrivateLink {
                addon, accounts, ..
            } => Changed::from_provider(
                p.create_privatelink(addon.as_str(), &accounts.input_forms())
                    .await,
                |v, lost| link_said("Created", addon, v, lost),
                link_done(addon),
            ),
            Action::DestroyPrivateLink { addon, .. } => Changed::from_provider(
                p.destroy_privatelink(addon.as_str()).await,
                |v, lost| link_said("Destroying", addon, v, lost),
                link_done(addon),
            ),
            Action::AddAccounts {
                addon, accounts, ..
            } => Changed::from_provider(
                p.change_allowed_accounts(
                    addon.as_str(),
                    AccountsChange::Add,
                    &accounts.input_forms(),
                )
                .await,
                |v, lost| link_said("Accounts added", addon, v, lost),
                link_done(addon),
            ),
            Action::RemoveAccounts {
                addon, accounts, ..
            } => Changed::from_provider(
                p.change_allowed_accounts(
                    addon.as_str(),
                    AccountsChange::Remove,
                    &accounts.input_forms(),
                )
                .await,
                |v, lost| link_said("Accounts removed", addon, v, lost),
                link_done(addon),
            ),
            Action::RevealUrl { .. } => self.reveal(checked).await,
            other => {
                tracing::error!(action = %other.name(), "not a provider action");
                Changed::failed(AppError::Internal)
            }
        }
    }

    /// The secret URL, read fresh from the app's config vars (never from a
    /// cache, never logged).
    async fn reveal(&self, checked: &Checked) -> Changed {
        let Some((app, var)) = &checked.config_var else {
            return Changed::failed(AppError::Internal);
        };
        match self.provider.config_vars(app).await {
            Ok(vars) => match vars.value.get(var) {
                Some(url) => Changed::ok(Done::Url(url.clone()), format!("Revealed {var}.")),
                None => Changed::failed(AppError::NotFound(format!("{app} has no {var} yet."))),
            },
            // A read: nothing can have changed, so its answer is not "unknown".
            Err(e) => {
                let mut changed = Changed::provider_error(e);
                changed.outcome.kind = crate::audit::OutcomeKind::Error;
                changed
            }
        }
    }

    /// Forgets the reads the action made stale.
    pub(crate) async fn invalidate(&self, action: &Action, checked: &Checked) {
        match action {
            Action::AcceptPeering { .. } | Action::DestroyPeering { .. } => {
                self.peerings.invalidate(&checked.space).await;
                self.spaces.invalidate(&()).await;
                // An accept may have used up an expected peer.
                self.forget_shown(Some(&checked.space)).await;
            }
            Action::RequestApproval { .. }
            | Action::Approve { .. }
            | Action::Reject { .. }
            | Action::Withdraw { .. }
            | Action::ExpireApproval { .. }
            | Action::ExpectPeer { .. }
            | Action::ForgetPeer { .. } => self.forget_shown(Some(&checked.space)).await,
            // Who may approve, and what needs it.
            Action::SetPolicy { .. }
            | Action::SetRole { .. }
            | Action::SetDisabled { .. }
            | Action::InviteUser { .. }
            | Action::AddUser { .. } => self.forget_shown(None).await,
            Action::CreatePrivateLink { addon, .. }
            | Action::DestroyPrivateLink { addon, .. }
            | Action::AddAccounts { addon, .. }
            | Action::RemoveAccounts { addon, .. } => {
                self.links.invalidate(&addon.to_string()).await;
            }
            _ => {}
        }
    }
}
