//! The executor's arms for the provider's actions: what each one checks
//! against fresh provider state, the one call it makes, and what a request
//! for it keeps of what it is about. The order they run in is
//! `actions::Executor::run`'s; the reads go through the gateway.

use super::{Changed, Checked, Executor};
use crate::gateway::{Gateway, rfc3339};
use crate::provider::AccountsChange;
use crate::provider::wire::{endpoint_config_var, plan_allows_privatelink};
use domain::action::{Done, ProviderAction};
use domain::error::AppError;
use domain::ids::{AddonName, PcxId};
use domain::model::{
    ActionResult, DataActionResult, Peering, PeeringStatus, PrivateLink, PrivateLinkStatus,
};

use domain::checks::{self, Severity};
use domain::policy::{Snapshot, peering_snapshot};
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

impl Executor {
    /// Refuses what the provider's current state says cannot be done.
    pub(super) async fn provider_check(
        &self,
        g: &Gateway,
        action: &ProviderAction,
    ) -> Result<Checked, AppError> {
        let space = g.space_named(action.space()).await?;
        let mut checked = Checked {
            detail: action.detail(),
            ..Checked::default()
        };
        match action {
            ProviderAction::AcceptPeering { pcx_id, .. } => {
                let peering = g.current(&space, pcx_id).await?;
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
                let info = g.read_info(&space).await?.value;
                let others = g.read_peerings(&space).await?.value;
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
                let store = self.approvals();
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
            ProviderAction::DestroyPeering { pcx_id, .. } => {
                let peering = g.current(&space, pcx_id).await?;
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
            ProviderAction::CreatePrivateLink { addon, .. } => {
                let (a, _) = g.space_addon(&space, addon).await?;
                if !plan_allows_privatelink(&a.plan.name) {
                    return Err(AppError::Invalid(format!(
                        "{addon} is on {}; only private and shield plans can have a PrivateLink.",
                        a.plan.name
                    )));
                }
                if let Some(l) = &*g.read_link_fresh(addon.as_str()).await?.value
                    && l.status != PrivateLinkStatus::Deprovisioned
                {
                    return Err(AppError::Conflict(format!(
                        "{addon} already has a PrivateLink ({}).",
                        l.status
                    )));
                }
            }
            ProviderAction::DestroyPrivateLink { addon, .. }
            | ProviderAction::AddAccounts { addon, .. }
            | ProviderAction::RemoveAccounts { addon, .. } => {
                g.space_addon(&space, addon).await?;
            }
            ProviderAction::RevealUrl {
                addon, endpoint, ..
            } => {
                let (a, service) = g.space_addon(&space, addon).await?;
                let var = endpoint_config_var(&a.attachment(service), endpoint.as_str());
                checked.detail = Some(format!("{endpoint} ({var})"));
                checked.config_var = Some((a.app.name, var));
            }
        }
        checked.space = space;
        Ok(checked)
    }

    /// Makes the one provider call the action is.
    pub(super) async fn provider_change(
        &self,
        g: &Gateway,
        action: &ProviderAction,
        checked: &Checked,
    ) -> Changed {
        let space = checked.space.as_str();
        let p = g.client();
        match action {
            ProviderAction::AcceptPeering { pcx_id, .. } => {
                let mut changed = Changed::from_provider(
                    p.accept_peering(space, pcx_id.as_str()).await,
                    |v, lost| peering_said("Accepted", pcx_id, v, lost),
                    peering_done(pcx_id),
                );
                if let (Ok(_), Some(id)) = (&changed.result, checked.expected) {
                    match self.approvals().consume(id, pcx_id.as_str()).await {
                        Ok(_) => changed
                            .outcome
                            .message
                            .push_str(&format!(" It met expected peer #{id}.")),
                        Err(e) => tracing::error!(error = %e, "expected peer not consumed"),
                    }
                }
                changed
            }
            ProviderAction::DestroyPeering { pcx_id, .. } => Changed::from_provider(
                p.destroy_peering(space, pcx_id.as_str()).await,
                |v, lost| peering_said("Destroying", pcx_id, v, lost),
                peering_done(pcx_id),
            ),
            ProviderAction::CreatePrivateLink {
                addon, accounts, ..
            } => Changed::from_provider(
                p.create_privatelink(addon.as_str(), &accounts.input_forms())
                    .await,
                |v, lost| link_said("Created", addon, v, lost),
                link_done(addon),
            ),
            ProviderAction::DestroyPrivateLink { addon, .. } => Changed::from_provider(
                p.destroy_privatelink(addon.as_str()).await,
                |v, lost| link_said("Destroying", addon, v, lost),
                link_done(addon),
            ),
            ProviderAction::AddAccounts {
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
            ProviderAction::RemoveAccounts {
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
            ProviderAction::RevealUrl { .. } => reveal(g, checked).await,
        }
    }

    /// What `action` is about now, and the deadline of the thing itself.
    pub(super) async fn provider_snapshot(
        &self,
        g: &Gateway,
        action: &ProviderAction,
        checked: &Checked,
    ) -> Result<(Snapshot, Option<String>), AppError> {
        let space = checked.space.as_str();
        match action {
            ProviderAction::AcceptPeering { pcx_id, .. }
            | ProviderAction::DestroyPeering { pcx_id, .. } => {
                let p = g.current(space, pcx_id).await?;
                let findings = if matches!(action, ProviderAction::AcceptPeering { .. }) {
                    let info = g.read_info(space).await?.value;
                    let others = g.read_peerings(space).await?.value;
                    let now = rfc3339(OffsetDateTime::now_utc());
                    checks::accept_findings(&p, &info, &others, &now)
                        .into_iter()
                        .map(|f| f.message)
                        .collect()
                } else {
                    Vec::new()
                };
                Ok((peering_snapshot(&p, findings), p.expires.clone()))
            }
            ProviderAction::CreatePrivateLink { addon, .. }
            | ProviderAction::DestroyPrivateLink { addon, .. }
            | ProviderAction::AddAccounts { addon, .. }
            | ProviderAction::RemoveAccounts { addon, .. } => {
                let link = g.read_link_fresh(addon.as_str()).await?.value;
                let (status, accounts) = match &*link {
                    Some(l) => (
                        l.status.to_string(),
                        l.allowed_accounts
                            .iter()
                            .map(|a| a.arn.clone())
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
                    None => ("none".into(), String::new()),
                };
                let mut facts = vec![
                    ("Add-on".to_string(), addon.to_string()),
                    ("PrivateLink".to_string(), status),
                    ("Allowed accounts".to_string(), accounts),
                ];
                if let Some(d) = action.detail() {
                    facts.push(("Accounts named".into(), d));
                }
                Ok((
                    Snapshot {
                        facts,
                        findings: vec![],
                    },
                    None,
                ))
            }
            // A reveal changes nothing, so the policy holds none back.
            ProviderAction::RevealUrl { .. } => Err(AppError::Invalid(
                "Revealing a URL never waits for approval; nothing was asked.".into(),
            )),
        }
    }
}

/// The secret URL, read fresh from the app's config vars (never from a
/// cache, never logged).
async fn reveal(g: &Gateway, checked: &Checked) -> Changed {
    let Some((app, var)) = &checked.config_var else {
        return Changed::failed(AppError::Internal);
    };
    match g.client().config_vars(app).await {
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
