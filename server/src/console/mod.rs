//! The server's `Console`: the read side the pages see, over the gateway
//! to the provider (its reads are cached there) and the stores, and the
//! one door to the executor for every change.

use crate::actions::Executor;
use crate::audit::AuditLog;
use crate::gateway::{Gateway, freshness, rfc3339};
use app::console::Console;
use domain::access::{Caller, Permission};
use domain::action::{Action, Done};
use domain::error::AppError;
use domain::ids::{AddonName, SpaceRef};
use domain::kind::AuditName;
use domain::model::{
    AuditPage, AuditQuery, DataAddonSummary, IntegrityAlarm, PeeringStatus, SpaceSummary,
};
use domain::views::{Overview, PrivateLinkView, SpaceView};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

mod approvals;
mod privatelink;

const AUDIT_PAGE_SIZE: u32 = 50;

pub struct ServerConsole {
    /// The provider, through its read caches.
    gateway: Arc<Gateway>,
    /// Carries out every change; holds the audit history and the users.
    executor: Executor,
    /// How long a page follows a provisioning PrivateLink.
    privatelink_wait: Duration,
    /// What pages show of approvals, by space (see `approvals::shown`).
    shown: moka::future::Cache<String, std::sync::Arc<approvals::Shown>>,
    /// What the watcher has cost lately; `None` when it is off.
    watch_log: Option<Arc<crate::watch::WatchLog>>,
    /// The latest readiness answer, and when it was worked out.
    readiness: tokio::sync::Mutex<Option<(std::time::Instant, Result<(), String>)>>,
}

/// How long a readiness answer is given again without checking.
const READY_FOR: Duration = Duration::from_secs(1);

impl ServerConsole {
    /// The pages' side: reads through `gateway`, changes by `executor`
    /// (which acts on the provider through the same gateway).
    pub fn new(
        gateway: Arc<Gateway>,
        executor: Executor,
        privatelink_wait: Duration,
        watch_log: Option<Arc<crate::watch::WatchLog>>,
    ) -> Self {
        Self {
            gateway,
            executor,
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
        let db = self.audit().db();
        if let Some(why) = db.unwritable() {
            return Err(format!("the database cannot be written: {why}"));
        }
        db.ping()
            .await
            .map_err(|e| format!("the database cannot be read: {e}"))?;
        if let Some(e) = self.audit().failing() {
            return Err(format!("the newest write to the history failed: {e}"));
        }
        // The provider answered within six refresh periods: the spaces'
        // list is read at most that often, whoever asks.
        match self.gateway.read_spaces().await {
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
}

#[async_trait::async_trait]
impl Console for ServerConsole {
    async fn overview(&self, who: &Caller) -> Result<Overview, AppError> {
        who.require(Permission::View)?;
        let spaces = self.gateway.read_spaces().await?;
        let now = rfc3339(OffsetDateTime::now_utc());
        let all = self.shown("").await?;
        let expected = &all.expected;
        let (reads, infos) = tokio::join!(
            futures::future::join_all(
                spaces
                    .value
                    .iter()
                    .map(|s| self.gateway.read_peerings(&s.name)),
            ),
            futures::future::join_all(spaces.value.iter().map(|s| self.gateway.read_info(&s.name)))
        );
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
        // The plans of the spaces whose info and peerings were read; a
        // space that failed says so in its row.
        let mut plans = Vec::new();
        let mut by_space = std::collections::BTreeMap::new();
        for ((s, read), info) in spaces.value.iter().zip(&reads).zip(&infos) {
            if let (Ok(r), Ok(i)) = (read, info) {
                times.push((i.at, i.stale_error.as_ref()));
                plans.push(domain::plan::Plan::of(&s.name, &i.value, &r.value));
                by_space.insert(s.name.as_str(), &r.value[..]);
            }
        }
        let shared = domain::plan::shared_peers(&plans, &by_space);
        Ok(Overview {
            plans,
            shared,
            spaces: summaries,
            freshness: freshness(times),
            provider_budget: self.gateway.client().budget().map(|b| {
                domain::model::ProviderBudget {
                    remaining: b.remaining,
                    at: rfc3339(b.at),
                }
            }),
            watch: self.watch_log.as_ref().map(|w| w.status()),
        })
    }

    async fn space(&self, who: &Caller, space: &SpaceRef) -> Result<SpaceView, AppError> {
        who.require(Permission::View)?;
        let space = self.gateway.space_named(space).await?;
        let space = space.as_str();
        let (info, peerings, approvals) = tokio::join!(
            self.gateway.read_info(space),
            self.gateway.read_peerings(space),
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

    async fn terraform(&self, who: &Caller, space: &SpaceRef) -> Result<String, AppError> {
        who.require(Permission::View)?;
        let space = self.gateway.space_named(space).await?;
        let (info, peerings) = tokio::join!(
            self.gateway.read_info(&space),
            self.gateway.read_peerings(&space)
        );
        let (info, peerings) = (info?, peerings?);
        crate::export::terraform::render(&space, &info.value, &peerings.value).map_err(|e| {
            tracing::error!(error = %e, %space, "the Terraform could not be written");
            AppError::Internal
        })
    }

    async fn inventory(&self, who: &Caller) -> Result<Vec<domain::views::InventoryRow>, AppError> {
        who.require(Permission::View)?;
        let spaces = self.gateway.read_spaces().await?;
        let now = rfc3339(OffsetDateTime::now_utc());
        let all = self.shown("").await?;
        let reads = futures::future::join_all(
            spaces
                .value
                .iter()
                .map(|s| self.gateway.read_peerings(&s.name)),
        )
        .await;
        let mut rows = Vec::new();
        for (s, read) in spaces.value.iter().zip(reads) {
            // An inventory with a space missing would mislead an audit:
            // the whole read fails instead.
            let read = read?;
            rows.extend(
                read.value
                    .iter()
                    .map(|p| domain::views::InventoryRow::of(&s.name, p, &all.expected, &now)),
            );
        }
        Ok(rows)
    }

    async fn data_addons(
        &self,
        who: &Caller,
        space: &SpaceRef,
    ) -> Result<Vec<DataAddonSummary>, AppError> {
        who.require(Permission::View)?;
        self.gateway.data_addons_of(space).await
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
        let db = self.audit().db();
        let page = crate::audit::query::page(db, &query, AUDIT_PAGE_SIZE)
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
            spaces: crate::audit::query::spaces(db).await.map_err(fail)?,
            actors: crate::audit::query::actors(db).await.map_err(fail)?,
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
            tokens: self.executor.users().tokens().await?,
            held,
            gate,
        })
    }

    async fn act(&self, who: &Caller, action: Action) -> Result<Done, AppError> {
        let done = self.executor.run(who, &action).await;
        self.forget_shown_after(&action).await;
        done
    }

    async fn act_or_ask(
        &self,
        who: &Caller,
        action: Action,
        reason: String,
    ) -> Result<Done, AppError> {
        let done = self.executor.run_or_ask(who, action.clone(), &reason).await;
        // Held back, what was done is a request for approval of it.
        if let Ok(Done::Asked(_)) = &done {
            self.forget_shown();
        } else {
            self.forget_shown_after(&action).await;
        }
        done
    }
}
