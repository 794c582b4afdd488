//! The server's `Console`: every read goes through the single-flight
//! cache, and every change is handed to the executor (`crate::actions`),
//! whose provider arms are in `steps`.

use crate::actions::Executor;
use crate::audit::AuditLog;
use crate::cache::{Loader, Read};
use crate::provider::wire::Space;
use crate::provider::{ProviderClient, ProviderError};
use app::console::Console;
use domain::access::{Caller, Permission};
use domain::action::{Action, Done};
use domain::error::AppError;
use domain::ids::{AddonName, SpaceRef};
use domain::kind::AuditName;
use domain::model::{
    AuditPage, AuditQuery, DataAddonSummary, Freshness, IntegrityAlarm, Overview, Peering,
    PeeringInfo, PeeringStatus, SpaceSummary,
};
use domain::views::{PrivateLinkView, SpaceView};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

mod approvals;
pub mod mask;
mod privatelink;
mod reconcile;
mod steps;
pub(crate) mod watch;

const AUDIT_PAGE_SIZE: u32 = 50;

pub struct ServerConsole {
    pub(crate) provider: Arc<ProviderClient>,
    /// Carries out every change; holds the audit history and the users.
    executor: Executor,
    spaces: Loader<(), Vec<Space>>,
    info: Loader<String, PeeringInfo>,
    peerings: Loader<String, Vec<Peering>>,
    apps: Loader<(), Vec<crate::provider::wire::App>>,
    addons: Loader<String, Vec<crate::provider::wire::Addon>>,
    /// `None` when the add-on has no PrivateLink.
    links: Loader<String, Option<domain::model::PrivateLink>>,
    /// Apps' config vars, masked (see `console::mask`).
    masked_vars: Loader<String, std::collections::BTreeMap<String, String>>,
    /// How long a page follows a provisioning PrivateLink.
    privatelink_wait: Duration,
    /// What pages show of approvals, by space (see `approvals::shown`).
    shown: moka::future::Cache<String, std::sync::Arc<approvals::Shown>>,
    /// What the watcher has cost lately; `None` when it is off.
    watch_log: Option<Arc<crate::notify::watch::WatchLog>>,
    /// The latest readiness answer, and when it was worked out.
    readiness: tokio::sync::Mutex<Option<(std::time::Instant, Result<(), String>)>>,
}

/// How long a readiness answer is given again without checking.
const READY_FOR: Duration = Duration::from_secs(1);

pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
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

impl ServerConsole {
    pub fn new(
        provider: Arc<ProviderClient>,
        executor: Executor,
        refresh: Duration,
        privatelink_wait: Duration,
        watch_log: Option<Arc<crate::notify::watch::WatchLog>>,
    ) -> Self {
        // Peering info hardly ever changes; peerings do.
        Self {
            provider,
            executor,
            spaces: Loader::new("spaces", refresh * 6, 1),
            info: Loader::new("info", refresh * 30, 1000),
            peerings: Loader::new("peerings", refresh, 1000),
            apps: Loader::new("apps", refresh * 6, 1),
            addons: Loader::new("addons", refresh * 6, 1000),
            links: Loader::new("links", refresh, 1000),
            masked_vars: Loader::new("masked_vars", refresh, 1000),
            privatelink_wait,
            shown: moka::future::Cache::builder()
                .time_to_live(approvals::SHOWN_FOR)
                .max_capacity(1000)
                .build(),
            watch_log,
            readiness: tokio::sync::Mutex::new(None),
        }
    }

    /// Whether the console can work, checked without taking the write
    /// lock (which a flood of anonymous checks would take from actions and
    /// sign-ins): the disk under the database is writable and has room, a
    /// read answers, the newest write did not fail, and the provider
    /// answered lately.
    async fn check_ready(&self) -> Result<(), String> {
        let pool = self.audit().pool();
        if let Some(why) = crate::db::unwritable(pool.connect_options().get_filename()) {
            return Err(format!("the database cannot be written: {why}"));
        }
        sqlx::query("SELECT 1")
            .execute(pool)
            .await
            .map_err(|e| format!("the database cannot be read: {e}"))?;
        if let Some(e) = self.audit().failing() {
            return Err(format!("the newest write to the history failed: {e}"));
        }
        // The provider answered within six refresh periods: the spaces'
        // list is read at most that often, whoever asks.
        match self.read_spaces().await {
            Ok(r) => match r.stale_error {
                None => Ok(()),
                Some(e) => Err(format!(
                    "the provider's latest answer failed ({e}); its last good one was at {}",
                    rfc3339(r.at)
                )),
            },
            Err(e) => Err(format!("the provider did not answer: {e}")),
        }
    }

    /// The executor every change goes through.
    pub fn executor(&self) -> &Executor {
        &self.executor
    }

    /// What a scrape of `/metrics` reports of this console's state.
    pub async fn metrics_state(&self) -> crate::metrics::State {
        let status = match self.executor.integrity() {
            Some(i) => i.status().await.ok(),
            None => None,
        };
        let watch = self.watch_log.as_ref().map(|w| w.status());
        crate::metrics::State {
            audit_records: status.as_ref().map_or(0, |s| s.records),
            audit_verified_through: status.as_ref().map_or(0, |s| s.verified_through),
            audit_alarm: self.executor.integrity().and_then(|i| i.alarm()).is_some(),
            outbox_pending: self.executor.notifications().pending().await.unwrap_or(0),
            watch_calls_last_hour: watch.as_ref().map_or(0, |w| w.calls_last_hour),
            watch_budget: watch.as_ref().map_or(0, |w| w.budget),
        }
    }

    /// The console's watch over its history, for a clean shutdown.
    pub fn integrity(&self) -> Option<&Arc<crate::audit::integrity::Integrity>> {
        self.executor.integrity()
    }

    pub(crate) fn audit(&self) -> &Arc<AuditLog> {
        self.executor.audit()
    }

    /// The name of the space `space` refers to (by name or id, in any
    /// case), checked against the list of spaces. A space the list does not
    /// have is "not found" without asking the provider: unknown spaces were
    /// never cached, so anyone could spend the account's hourly budget by
    /// asking for made-up ones. The list itself is re-read at most once a
    /// refresh period (times six), so a new space shows within a minute.
    pub(crate) async fn space_named(&self, space: &SpaceRef) -> Result<String, AppError> {
        let space = space.as_str();
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

    async fn read_spaces(&self) -> Result<Read<Arc<Vec<Space>>>, ProviderError> {
        self.spaces
            .get((), async { Ok(self.provider.list_spaces().await?.value) })
            .await
    }

    async fn read_info(&self, space: &str) -> Result<Read<Arc<PeeringInfo>>, ProviderError> {
        self.info
            .get(space.to_string(), async {
                Ok(self.provider.peering_info(space).await?.value)
            })
            .await
    }

    async fn read_peerings(&self, space: &str) -> Result<Read<Arc<Vec<Peering>>>, ProviderError> {
        self.peerings
            .get(space.to_string(), async {
                Ok(self.provider.list_peerings(space).await?.value)
            })
            .await
    }
}

#[async_trait::async_trait]
impl Console for ServerConsole {
    async fn overview(&self, who: &Caller) -> Result<Overview, AppError> {
        who.require(Permission::View)?;
        let spaces = self.read_spaces().await?;
        let now = rfc3339(OffsetDateTime::now_utc());
        let all = self.shown("").await?;
        let expected = &all.expected;
        let reads =
            futures::future::join_all(spaces.value.iter().map(|s| self.read_peerings(&s.name)))
                .await;
        let mut times = vec![(spaces.at, spaces.stale_error.as_ref())];
        let summaries: Vec<SpaceSummary> = spaces
            .value
            .iter()
            .zip(&reads)
            .map(|(s, read)| {
                let (counts, pending, soonest_expiry, unexpected, error) = match read {
                    Ok(r) => {
                        times.push((r.at, r.stale_error.as_ref()));
                        let count =
                            |st: &PeeringStatus| r.value.iter().filter(|p| &p.status == st).count();
                        let mut counts: Vec<(String, usize)> = PeeringStatus::KNOWN
                            .iter()
                            .map(|st| (st.to_string(), count(st)))
                            .filter(|(_, n)| *n > 0)
                            .collect();
                        for p in r.value.iter() {
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
                            Self::unexpected(&r.value, expected, &s.name, &now),
                            None,
                        )
                    }
                    Err(e) => (
                        Vec::new(),
                        0,
                        None,
                        0,
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
                    unexpected,
                    error,
                }
            })
            .collect();
        Ok(Overview {
            spaces: summaries,
            freshness: freshness(times),
            provider_budget: self
                .provider
                .budget()
                .map(|b| domain::model::ProviderBudget {
                    remaining: b.remaining,
                    at: rfc3339(b.at),
                }),
            watch: self.watch_log.as_ref().map(|w| w.status()),
        })
    }

    async fn space(&self, who: &Caller, space: &SpaceRef) -> Result<SpaceView, AppError> {
        who.require(Permission::View)?;
        let space = self.space_named(space).await?;
        let space = space.as_str();
        let (info, peerings, approvals) = tokio::join!(
            self.read_info(space),
            self.read_peerings(space),
            self.space_approvals(space, who)
        );
        let (info, peerings, approvals) = (info?, peerings?, approvals?);
        Ok(SpaceView {
            name: space.to_string(),
            freshness: freshness([
                (info.at, info.stale_error.as_ref()),
                (peerings.at, peerings.stale_error.as_ref()),
            ]),
            info: Arc::unwrap_or_clone(info.value),
            peerings: Arc::unwrap_or_clone(peerings.value),
            approvals,
        })
    }

    async fn data_addons(
        &self,
        who: &Caller,
        space: &SpaceRef,
    ) -> Result<Vec<DataAddonSummary>, AppError> {
        who.require(Permission::View)?;
        self.data_addons_of(space).await
    }

    async fn privatelink(
        &self,
        who: &Caller,
        space: &SpaceRef,
        addon: &AddonName,
    ) -> Result<PrivateLinkView, AppError> {
        who.require(Permission::View)?;
        let mut view = self.privatelink_view(space, addon).await?;
        self.privatelink_approvals(&mut view, who).await?;
        Ok(view)
    }

    async fn inbox(&self, who: &Caller) -> Result<domain::views::Inbox, AppError> {
        who.require(Permission::View)?;
        self.inbox_of(who).await
    }

    async fn policy(&self, who: &Caller) -> Result<domain::views::PolicyView, AppError> {
        who.require(Permission::View)?;
        let (policy, gate) = self.policy_of(who).await?;
        Ok(domain::views::PolicyView { policy, gate })
    }

    async fn audit(&self, who: &Caller, query: AuditQuery) -> Result<AuditPage, AppError> {
        who.require(Permission::View)?;
        let fail = |e: crate::audit::AuditError| {
            tracing::error!(error = %e, "audit history could not be read");
            AppError::Internal
        };
        let pool = self.audit().pool();
        let page = crate::audit::query::page(pool, &query, AUDIT_PAGE_SIZE)
            .await
            .map_err(|e| match e {
                crate::audit::query::PageError::Filter(bad) => AppError::Invalid(bad.0),
                crate::audit::query::PageError::Audit(e) => fail(e),
            })?;
        let chain = match self.executor.integrity() {
            Some(i) => i.status().await.map_err(fail)?,
            None => domain::model::ChainStatus::default(),
        };
        Ok(AuditPage {
            entries: page.entries,
            query,
            older: page.older,
            newer: page.newer,
            searched_to: page.searched_to,
            spaces: crate::audit::query::spaces(pool).await.map_err(fail)?,
            actors: crate::audit::query::actors(pool).await.map_err(fail)?,
            chain,
        })
    }

    fn alarm(&self, who: &Caller) -> Result<Option<IntegrityAlarm>, AppError> {
        who.require(Permission::View)?;
        Ok(self
            .executor
            .integrity()
            .and_then(|i| i.alarm())
            .map(|finding| IntegrityAlarm {
                finding,
                can_acknowledge: who.can(Permission::AcknowledgeAlarm),
            }))
    }

    async fn ready(&self) -> Result<(), String> {
        // Anyone may ask, as often as they like: the answer is worked out
        // at most once a second, by one caller while the others wait.
        let mut last = self.readiness.lock().await;
        if let Some((at, answer)) = &*last
            && at.elapsed() < READY_FOR
        {
            return answer.clone();
        }
        let answer = self.check_ready().await;
        *last = Some((std::time::Instant::now(), answer.clone()));
        answer
    }

    async fn notifications(
        &self,
        who: &Caller,
    ) -> Result<domain::notify::NotificationsView, AppError> {
        who.require(Permission::ManageNotifications)?;
        let (destinations, events) = self.executor.notifications().view().await?;
        Ok(domain::notify::NotificationsView {
            destinations,
            events,
            watch: self.watch_log.as_ref().map(|w| w.status()),
        })
    }

    async fn users(&self, who: &Caller) -> Result<domain::views::UsersView, AppError> {
        who.require(Permission::ManageUsers)?;
        let users = self.executor.users().list().await?;
        let deciders = self.executor.deciders().await?;
        let held: Vec<_> = domain::access::Role::ALL
            .into_iter()
            .filter(|r| deciders.policy.decides(*r))
            .collect();
        let gate = deciders.gate(&who.name, AuditName::UserRole, u8::from(!held.is_empty()));
        Ok(domain::views::UsersView {
            users: users.iter().map(|u| u.summary()).collect(),
            held,
            gate,
        })
    }

    async fn act(&self, who: &Caller, action: Action) -> Result<Done, AppError> {
        self.executor.run(who, &action, Some(self)).await
    }

    async fn act_or_ask(
        &self,
        who: &Caller,
        action: Action,
        reason: String,
    ) -> Result<Done, AppError> {
        self.executor
            .run_or_ask(who, action, &reason, Some(self))
            .await
    }
}
