//! The server's `Console`: every action goes authorise -> validate ->
//! record intent -> call the provider -> record outcome -> invalidate, and
//! every read goes through the single-flight cache.

use crate::audit::{AuditLog, Intent, OpenIntent, Outcome, OutcomeKind};
use crate::auth::users::Users;
use crate::cache::{Loader, Read};
use crate::provider::{AccountsChange, Mutated, Mutation, ProviderClient, ProviderError};
use app::access::{Caller, Permission};
use app::console::Console;
use app::error::AppError;
use app::model::{
    ActionResult, AuditPage, DataActionResult, DataAddonSummary, Freshness, Invited, Overview,
    Peering, PeeringInfo, PeeringStatus, PrivateLinkView, Space, SpaceSummary, SpaceView,
    UserSummary,
};
use app::validate::{self, Severity};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

pub mod mask;
mod privatelink;
mod users;

const AUDIT_PAGE_SIZE: u32 = 50;

/// What reading a resource back after a lost outcome found.
struct ReadBack {
    /// "the peering is now active", for the audit message.
    now: String,
    status: Option<String>,
    request_id: Option<String>,
}

/// What an audited action is: its name, where, on what, and any detail.
struct Act<'a> {
    /// Who acts: the signed-in user.
    actor: &'a str,
    action: &'a str,
    space: &'a str,
    target: &'a str,
    detail: Option<&'a str>,
}

pub struct ServerConsole {
    provider: Arc<ProviderClient>,
    audit: Arc<AuditLog>,
    /// The console's users, for the user admin page.
    users: Arc<Users>,
    spaces: Loader<(), Vec<Space>>,
    info: Loader<String, PeeringInfo>,
    peerings: Loader<String, Vec<Peering>>,
    apps: Loader<(), Vec<app::model::App>>,
    addons: Loader<String, Vec<app::model::Addon>>,
    /// `None` when the add-on has no PrivateLink.
    links: Loader<String, Option<app::model::PrivateLink>>,
    /// Apps' config vars, masked (see `console::mask`).
    masked_vars: Loader<String, std::collections::BTreeMap<String, String>>,
    /// How long a page follows a provisioning PrivateLink.
    privatelink_wait: Duration,
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn freshness<'a>(
    reads: impl IntoIterator<Item = (OffsetDateTime, Option<&'a String>)>,
) -> Freshness {
    let now = OffsetDateTime::now_utc();
    let mut oldest = now;
    let mut error = None;
    for (at, e) in reads {
        oldest = oldest.min(at);
        if error.is_none() {
            error = e.cloned();
        }
    }
    Freshness {
        fetched_at: rfc3339(oldest),
        as_of: rfc3339(now),
        stale_error: error,
    }
}

/// Logs an audit failure in full and tells the user in general terms.
fn audit_refused(e: crate::audit::AuditError) -> AppError {
    tracing::error!(error = %e, "audit intent could not be written; action refused");
    AppError::AuditUnavailable("Try again; if it persists, tell whoever runs Spaceport.".into())
}

impl ServerConsole {
    pub fn new(
        provider: Arc<ProviderClient>,
        audit: Arc<AuditLog>,
        users: Arc<Users>,
        refresh: Duration,
        privatelink_wait: Duration,
    ) -> Self {
        // Peering info hardly ever changes; peerings do.
        Self {
            provider,
            audit,
            users,
            spaces: Loader::new(refresh * 6, 1),
            info: Loader::new(refresh * 30, 1000),
            peerings: Loader::new(refresh, 1000),
            apps: Loader::new(refresh * 6, 1),
            addons: Loader::new(refresh * 6, 1000),
            links: Loader::new(refresh, 1000),
            masked_vars: Loader::new(refresh, 1000),
            privatelink_wait,
        }
    }

    /// The name of the space `space` refers to (by name or id, in any
    /// case), checked against the list of spaces. A space the list does not
    /// have is "not found" without asking the provider: unknown spaces were
    /// never cached, so anyone could spend the account's hourly budget by
    /// asking for made-up ones. The list itself is re-read at most once a
    /// refresh period (times six), so a new space shows within a minute.
    async fn space_named(&self, space: &str) -> Result<String, AppError> {
        let space = validate::space_ref(space).map_err(AppError::Invalid)?;
        let spaces = self.read_spaces().await?;
        spaces
            .value
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(space) || s.id.eq_ignore_ascii_case(space))
            .map(|s| s.name.clone())
            .ok_or_else(|| {
                AppError::NotFound(format!(
                    "There is no space \"{space}\" among the spaces this console can see \
                     (as of {}).",
                    rfc3339(spaces.at)
                ))
            })
    }

    async fn read_spaces(&self) -> Result<Read<Vec<Space>>, ProviderError> {
        self.spaces
            .get((), async { Ok(self.provider.list_spaces().await?.value) })
            .await
    }

    async fn read_info(&self, space: &str) -> Result<Read<PeeringInfo>, ProviderError> {
        self.info
            .get(space.to_string(), async {
                Ok(self.provider.peering_info(space).await?.value)
            })
            .await
    }

    async fn read_peerings(&self, space: &str) -> Result<Read<Vec<Peering>>, ProviderError> {
        self.peerings
            .get(space.to_string(), async {
                Ok(self.provider.list_peerings(space).await?.value)
            })
            .await
    }

    /// The current state of one peering, straight from the provider: an
    /// action is decided on what is true now, not on what a cache saw.
    async fn current(&self, space: &str, pcx_id: &str) -> Result<Peering, AppError> {
        Ok(self.provider.get_peering(space, pcx_id).await?.value)
    }

    /// Records the outcome; see `AuditLog::settle`.
    async fn finish(&self, intent_id: i64, outcome: Outcome) {
        self.audit.settle(intent_id, outcome).await
    }

    /// Records the intent, refusing the action (fail closed) if it cannot.
    async fn intent(
        &self,
        actor: &str,
        action: &str,
        space: &str,
        target: &str,
        detail: Option<&str>,
    ) -> Result<i64, AppError> {
        self.audit
            .record_intent(Intent {
                actor,
                action,
                space,
                target,
                detail,
            })
            .await
            .map_err(audit_refused)
    }

    /// Runs one provider mutation inside the intent/outcome rule: the
    /// intent is committed first, the call is made once, and its outcome
    /// (or the error, or "unknown" when the answer was lost) is recorded.
    /// `describe` turns the result into its status and a message.
    async fn act<T, Fut>(
        &self,
        what: Act<'_>,
        call: Fut,
        describe: impl FnOnce(&T, Option<&str>) -> (String, String),
    ) -> Result<(T, String), AppError>
    where
        Fut: std::future::Future<Output = Result<Mutated<T>, ProviderError>>,
    {
        let intent_id = self
            .intent(
                what.actor,
                what.action,
                what.space,
                what.target,
                what.detail,
            )
            .await?;
        match call.await {
            Ok(m) => {
                let (status, message) = describe(&m.value, m.lost_answer.as_deref());
                self.finish(
                    intent_id,
                    Outcome {
                        kind: OutcomeKind::Ok,
                        provider_status: Some(status),
                        message: message.clone(),
                        request_id: m.request_id,
                    },
                )
                .await;
                Ok((m.value, message))
            }
            Err(e) => {
                let kind = if e.answer_may_be_lost() {
                    OutcomeKind::Unknown
                } else {
                    OutcomeKind::Error
                };
                self.finish(
                    intent_id,
                    Outcome {
                        kind,
                        provider_status: e.status().map(|s| s.to_string()),
                        message: e.to_string(),
                        request_id: e.request_id().map(str::to_string),
                    },
                )
                .await;
                Err(e.into())
            }
        }
    }

    /// A peering mutation, and the caches it makes stale.
    async fn act_on_peering<Fut>(
        &self,
        actor: &str,
        action: &str,
        space: &str,
        pcx_id: &str,
        verb: &str,
        call: Fut,
    ) -> Result<ActionResult, AppError>
    where
        Fut: std::future::Future<Output = Result<Mutation, ProviderError>>,
    {
        let what = Act {
            actor,
            action,
            space,
            target: pcx_id,
            detail: None,
        };
        let result = self
            .act(what, call, |p: &Peering, lost| {
                let message = match lost {
                    None => format!("{verb} {pcx_id}: it is now {}.", p.status),
                    Some(lost) => format!(
                        "The provider's answer was lost ({lost}); read back, {pcx_id} is now {}.",
                        p.status
                    ),
                };
                (p.status.to_string(), message)
            })
            .await;
        self.peerings.invalidate(&space.to_string()).await;
        self.spaces.invalidate(&()).await;
        let (peering, message) = result?;
        Ok(ActionResult {
            pcx_id: pcx_id.to_string(),
            status: peering.status,
            message,
        })
    }

    /// The current state of what an open intent acted on, read from the
    /// provider: the peering, or the add-on's PrivateLink. A URL reveal
    /// changed nothing on the provider, so there is nothing to read.
    async fn read_back(&self, intent: &OpenIntent) -> Result<Option<ReadBack>, ProviderError> {
        let (space, target) = (&intent.space, &intent.target);
        if intent.action.starts_with("peering.") {
            let a = self.provider.get_peering(space, target).await?;
            let status = a.value.status.to_string();
            return Ok(Some(ReadBack {
                now: format!("the peering is now {status}"),
                status: Some(status),
                request_id: a.request_id,
            }));
        }
        // A reveal changed nothing on the provider; sign-ins and user
        // changes are local.
        if !intent.action.starts_with("privatelink.") || intent.action == "privatelink.reveal_url" {
            return Ok(None);
        }
        match self.provider.privatelink(target).await {
            Ok(a) => {
                let status = a.value.status.to_string();
                Ok(Some(ReadBack {
                    now: format!("the PrivateLink is now {status}"),
                    status: Some(status),
                    request_id: a.request_id,
                }))
            }
            Err(ProviderError::Api {
                status: 404,
                request_id,
                ..
            }) => Ok(Some(ReadBack {
                now: "the add-on has no PrivateLink".into(),
                status: None,
                request_id,
            })),
            Err(e) => Err(e),
        }
    }

    /// Writes the outcome of every intent left open by a stop between the
    /// provider call and the outcome, by reading the resource back.
    pub async fn reconcile(&self) -> Result<usize, crate::audit::AuditError> {
        let open = self.audit.open_intents().await?;
        const LOST: &str = "Reconciled at start-up: the outcome was not recorded";
        for intent in &open {
            let outcome = match self.read_back(intent).await {
                Ok(Some(back)) => Outcome {
                    kind: OutcomeKind::Unknown,
                    provider_status: back.status,
                    message: format!("{LOST}; {}.", back.now),
                    request_id: back.request_id,
                },
                Ok(None) => Outcome {
                    kind: OutcomeKind::Unknown,
                    provider_status: None,
                    message: format!("{LOST}; there is nothing on the provider to read back."),
                    request_id: None,
                },
                Err(e) => Outcome {
                    kind: OutcomeKind::Unknown,
                    provider_status: e.status().map(|s| s.to_string()),
                    message: format!("{LOST}; reading back failed: {e}"),
                    request_id: e.request_id().map(str::to_string),
                },
            };
            tracing::warn!(intent = intent.id, action = %intent.action, "reconciling an open intent");
            self.audit.record_outcome(intent.id, outcome).await?;
        }
        Ok(open.len())
    }
}

fn valid_pcx(pcx_id: &str) -> Result<&str, AppError> {
    validate::pcx_id(pcx_id).map_err(AppError::Invalid)
}

#[async_trait::async_trait]
impl Console for ServerConsole {
    async fn overview(&self, who: &Caller) -> Result<Overview, AppError> {
        who.require(Permission::View)?;
        let spaces = self.read_spaces().await?;
        let reads =
            futures::future::join_all(spaces.value.iter().map(|s| self.read_peerings(&s.name)))
                .await;
        let mut times = vec![(spaces.at, spaces.stale_error.as_ref())];
        let summaries: Vec<SpaceSummary> = spaces
            .value
            .iter()
            .zip(&reads)
            .map(|(s, read)| {
                let (counts, pending, soonest_expiry, error) = match read {
                    Ok(r) => {
                        times.push((r.at, r.stale_error.as_ref()));
                        let count =
                            |st: &PeeringStatus| r.value.iter().filter(|p| &p.status == st).count();
                        let mut counts: Vec<(String, usize)> = PeeringStatus::KNOWN
                            .iter()
                            .map(|st| (st.to_string(), count(st)))
                            .filter(|(_, n)| *n > 0)
                            .collect();
                        for p in &r.value {
                            if let PeeringStatus::Other(o) = &p.status
                                && !counts.iter().any(|(s, _)| s == o)
                            {
                                counts.push((o.clone(), count(&p.status)));
                            }
                        }
                        // RFC 3339 UTC times in one format sort as text.
                        let soonest = r
                            .value
                            .iter()
                            .filter(|p| p.status == PeeringStatus::PendingAcceptance)
                            .filter_map(|p| p.expires.clone().filter(|e| !e.is_empty()))
                            .min();
                        (
                            counts,
                            count(&PeeringStatus::PendingAcceptance),
                            soonest,
                            None,
                        )
                    }
                    Err(e) => (
                        Vec::new(),
                        0,
                        None,
                        Some(AppError::from(e.clone()).to_string()),
                    ),
                };
                SpaceSummary {
                    name: s.name.clone(),
                    region: s.region.name.clone(),
                    state: s.state.clone(),
                    shield: s.shield,
                    counts,
                    pending,
                    soonest_expiry,
                    error,
                }
            })
            .collect();
        Ok(Overview {
            spaces: summaries,
            freshness: freshness(times),
            provider_budget: self.provider.budget().map(|b| app::model::ProviderBudget {
                remaining: b.remaining,
                at: rfc3339(b.at),
            }),
        })
    }

    async fn space(&self, who: &Caller, space: &str) -> Result<SpaceView, AppError> {
        who.require(Permission::View)?;
        let space = self.space_named(space).await?;
        let space = space.as_str();
        let (info, peerings) = tokio::join!(self.read_info(space), self.read_peerings(space));
        let (info, peerings) = (info?, peerings?);
        Ok(SpaceView {
            name: space.to_string(),
            freshness: freshness([
                (info.at, info.stale_error.as_ref()),
                (peerings.at, peerings.stale_error.as_ref()),
            ]),
            info: info.value,
            peerings: peerings.value,
        })
    }

    async fn accept_peering(
        &self,
        who: &Caller,
        space: &str,
        pcx_id: &str,
    ) -> Result<ActionResult, AppError> {
        who.require(Permission::AcceptPeering)?;
        let pcx_id = valid_pcx(pcx_id)?;
        let space = self.space_named(space).await?;
        let space = space.as_str();
        let peering = self.current(space, pcx_id).await?;
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
        let info = self.read_info(space).await?.value;
        let others = self.read_peerings(space).await?.value;
        let now = rfc3339(OffsetDateTime::now_utc());
        let blockers: Vec<String> = validate::accept_findings(&peering, &info, &others, &now)
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
        self.act_on_peering(
            &who.name,
            "peering.accept",
            space,
            pcx_id,
            "Accepted",
            self.provider.accept_peering(space, pcx_id),
        )
        .await
    }

    async fn destroy_peering(
        &self,
        who: &Caller,
        space: &str,
        pcx_id: &str,
        confirm: &str,
    ) -> Result<ActionResult, AppError> {
        who.require(Permission::DestroyPeering)?;
        let pcx_id = valid_pcx(pcx_id)?;
        let space = self.space_named(space).await?;
        let space = space.as_str();
        if confirm.trim() != pcx_id {
            return Err(AppError::Invalid(format!(
                "To destroy, type the PCX ID {pcx_id} exactly; nothing was destroyed."
            )));
        }
        let peering = self.current(space, pcx_id).await?;
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
        self.act_on_peering(
            &who.name,
            "peering.destroy",
            space,
            pcx_id,
            "Destroying",
            self.provider.destroy_peering(space, pcx_id),
        )
        .await
    }

    async fn data_addons(
        &self,
        who: &Caller,
        space: &str,
    ) -> Result<Vec<DataAddonSummary>, AppError> {
        who.require(Permission::View)?;
        self.data_addons_of(space).await
    }

    async fn privatelink(
        &self,
        who: &Caller,
        space: &str,
        addon: &str,
    ) -> Result<PrivateLinkView, AppError> {
        who.require(Permission::View)?;
        self.privatelink_view(space, addon).await
    }

    async fn create_privatelink(
        &self,
        who: &Caller,
        space: &str,
        addon: &str,
        accounts: &str,
    ) -> Result<DataActionResult, AppError> {
        who.require(Permission::CreatePrivateLink)?;
        self.create_link(&who.name, space, addon, accounts).await
    }

    async fn destroy_privatelink(
        &self,
        who: &Caller,
        space: &str,
        addon: &str,
        confirm: &str,
    ) -> Result<DataActionResult, AppError> {
        who.require(Permission::DestroyPrivateLink)?;
        self.destroy_link(&who.name, space, addon, confirm).await
    }

    async fn add_allowed_accounts(
        &self,
        who: &Caller,
        space: &str,
        addon: &str,
        accounts: &str,
    ) -> Result<DataActionResult, AppError> {
        who.require(Permission::AddAccounts)?;
        self.change_accounts(&who.name, space, addon, accounts, AccountsChange::Add)
            .await
    }

    async fn remove_allowed_account(
        &self,
        who: &Caller,
        space: &str,
        addon: &str,
        account: &str,
    ) -> Result<DataActionResult, AppError> {
        who.require(Permission::RemoveAccount)?;
        self.change_accounts(&who.name, space, addon, account, AccountsChange::Remove)
            .await
    }

    async fn reveal_connection_url(
        &self,
        who: &Caller,
        space: &str,
        addon: &str,
        endpoint_id: &str,
    ) -> Result<String, AppError> {
        who.require(Permission::RevealUrl)?;
        self.reveal_url(&who.name, space, addon, endpoint_id).await
    }

    async fn audit(
        &self,
        who: &Caller,
        space: Option<String>,
        page: u32,
    ) -> Result<AuditPage, AppError> {
        who.require(Permission::View)?;
        let fail = |e: crate::audit::AuditError| {
            tracing::error!(error = %e, "audit history could not be read");
            AppError::Internal
        };
        let page = page.max(1);
        let (entries, total) = self
            .audit
            .page(space.as_deref(), page, AUDIT_PAGE_SIZE)
            .await
            .map_err(fail)?;
        Ok(AuditPage {
            entries,
            page,
            page_size: AUDIT_PAGE_SIZE,
            total,
            spaces: self.audit.spaces().await.map_err(fail)?,
            chain: self.audit.verify().await.map_err(fail)?,
        })
    }

    async fn users(&self, who: &Caller) -> Result<Vec<UserSummary>, AppError> {
        who.require(Permission::ManageUsers)?;
        self.list_users().await
    }

    async fn invite_user(&self, who: &Caller, name: &str, role: &str) -> Result<Invited, AppError> {
        who.require(Permission::ManageUsers)?;
        self.invite(who, name, role).await
    }

    async fn set_user_role(
        &self,
        who: &Caller,
        name: &str,
        role: &str,
    ) -> Result<UserSummary, AppError> {
        who.require(Permission::ManageUsers)?;
        self.change_role(who, name, role).await
    }

    async fn set_user_disabled(
        &self,
        who: &Caller,
        name: &str,
        disabled: bool,
    ) -> Result<UserSummary, AppError> {
        who.require(Permission::ManageUsers)?;
        self.change_disabled(who, name, disabled).await
    }
}
