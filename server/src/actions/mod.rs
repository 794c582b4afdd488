//! The executor: the one path every change takes, whoever asks for it (a
//! button through a server function, `spaceport user`, start-up, the
//! sign-in form). In order:
//!
//! 1. authorise: the caller's role holds the action's permission;
//! 2. check: against fresh state (the provider's, or the users table), so
//!    nothing is recorded for what would be refused anyway;
//! 3. intent: committed to the audit history with the action as JSON; if
//!    it cannot be written, nothing is done (fail closed);
//! 4. change: exactly one provider call, or one local change;
//! 5. outcome: recorded (retried; left open for reconciliation if it
//!    still cannot be written);
//! 6. invalidate: the reads the change made stale.
//!
//! Each action's check and change are arms of one `match`: `local` for
//! the console's own data, `provider` for the provider's (through the
//! gateway). Intents left open by a stop are settled at start-up by
//! `reconcile`.

mod alarm;
pub(crate) mod approval;
pub mod local;
mod notify;
mod provider;
mod reconcile;

use crate::approvals::Approvals;
use crate::audit::integrity::Integrity;
use crate::audit::{AuditLog, Intent, Outcome, OutcomeKind};
use crate::gateway::Gateway;
use crate::provider::{Mutated, ProviderError};
use crate::users::Users;
use domain::access::Caller;
use domain::action::{Action, ApprovalAction, AuditAction, Done};
use domain::error::AppError;
use std::sync::Arc;

/// What an action's check found, handed to its change.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    /// The space's name as the provider lists it (whatever the caller
    /// called it); empty for local changes.
    pub space: String,
    /// What the history says beyond the action's own detail, if anything.
    pub detail: Option<String>,
    /// For a reveal: the add-on's app and the config var it reads.
    pub config_var: Option<(String, String)>,
    /// For an approval request: what it will store.
    pub approval: Option<Prepared>,
    /// For an accept: the expected peer it meets, consumed when it succeeds.
    pub expected: Option<i64>,
    /// For an approval: the grant the approver's standing rests on.
    pub approver: Option<domain::policy::Grant>,
}

/// An approval request checked and about to be stored.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub snapshot: domain::policy::Snapshot,
    pub expires_at: String,
    pub needs: u8,
}

/// On whose authority an action runs: its caller's own (where the policy
/// may ask for approval first), an approval request's, or the command
/// line's (which holds the database file, and so the policy itself).
#[derive(Debug, Clone, Copy)]
enum Authority<'a> {
    Own,
    Approved {
        request: i64,
        requester: &'a str,
        /// What the approvers were shown; the action runs only while it
        /// still holds.
        snapshot: &'a domain::policy::Snapshot,
    },
    CommandLine,
}

impl Authority<'_> {
    /// Who a change made under this authority was given by, as a user's
    /// grants keep it: the approved request's requester, with the
    /// approver, or whoever acted.
    fn granted<'a>(&'a self, who: &'a Caller) -> crate::users::Granted<'a> {
        match self {
            Authority::Approved { requester, .. } => crate::users::Granted {
                by: requester,
                approved_by: Some(&who.name),
            },
            Authority::Own | Authority::CommandLine => crate::users::Granted::by(&who.name),
        }
    }
}

impl Checked {
    pub fn local(detail: Option<String>) -> Self {
        Self {
            detail,
            ..Self::default()
        }
    }
}

/// What a change led to: the answer for the caller, and the outcome for
/// the history.
pub struct Changed {
    pub result: Result<Done, AppError>,
    pub outcome: Outcome,
}

impl Changed {
    /// A provider call's result, `describe`d as (status, message) on
    /// success; an error's own words, or "unknown" when its answer was lost.
    pub fn from_provider<T>(
        call: Result<Mutated<T>, ProviderError>,
        describe: impl FnOnce(&T, Option<&str>) -> (String, String),
        done: impl FnOnce(T, String) -> Done,
    ) -> Self {
        match call {
            Ok(m) => {
                let (status, message) = describe(&m.value, m.lost_answer.as_deref());
                Self {
                    outcome: Outcome {
                        kind: OutcomeKind::Ok,
                        provider_status: Some(status),
                        message: message.clone(),
                        request_id: m.request_id,
                    },
                    result: Ok(done(m.value, message)),
                }
            }
            Err(e) => Self::provider_error(e),
        }
    }

    pub fn provider_error(e: ProviderError) -> Self {
        Self {
            outcome: Outcome {
                kind: if e.answer_may_be_lost() {
                    OutcomeKind::Unknown
                } else {
                    OutcomeKind::Error
                },
                provider_status: e.status().map(|s| s.to_string()),
                message: e.to_string(),
                request_id: e.request_id().map(str::to_string),
            },
            result: Err(e.into()),
        }
    }

    /// A refusal or failure that is the console's own, said as `error`.
    pub fn failed(e: AppError) -> Self {
        Self {
            outcome: Outcome::local(false, e.to_string()),
            result: Err(e),
        }
    }

    /// A local change done, saying `message`.
    pub fn ok(done: Done, message: String) -> Self {
        Self {
            outcome: Outcome::local(true, message),
            result: Ok(done),
        }
    }
}

/// Logs an audit failure in full and tells the user in general terms.
pub fn audit_refused(e: crate::audit::AuditError) -> AppError {
    tracing::error!(error = %e, "audit intent could not be written; action refused");
    AppError::AuditUnavailable("Try again; if it persists, tell whoever runs Spaceport.".into())
}

/// The executor over one database. Provider actions need the gateway to
/// the provider; local ones (the command line, start-up) do not.
#[derive(Clone)]
pub struct Executor {
    audit: Arc<AuditLog>,
    users: Arc<Users>,
    approvals: Arc<Approvals>,
    notifications: Arc<crate::notify::Notifications>,
    /// The running console's watch over the history (not the command line's).
    integrity: Option<Arc<Integrity>>,
    /// The provider, for the actions on it (not the command line's).
    gateway: Option<Arc<Gateway>>,
}

impl Executor {
    pub fn new(audit: Arc<AuditLog>, users: Arc<Users>) -> Self {
        let approvals = Arc::new(Approvals::new(audit.db().clone()));
        let notifications = Arc::new(crate::notify::Notifications::new(audit.db().clone()));
        Self {
            audit,
            users,
            approvals,
            notifications,
            integrity: None,
            gateway: None,
        }
    }

    pub fn with_gateway(self, gateway: Arc<Gateway>) -> Self {
        Self {
            gateway: Some(gateway),
            ..self
        }
    }

    pub fn gateway(&self) -> Option<&Gateway> {
        self.gateway.as_deref()
    }

    pub fn with_integrity(self, integrity: Arc<Integrity>) -> Self {
        Self {
            integrity: Some(integrity),
            ..self
        }
    }

    pub fn integrity(&self) -> Option<&Arc<Integrity>> {
        self.integrity.as_ref()
    }

    pub fn audit(&self) -> &Arc<AuditLog> {
        &self.audit
    }

    pub fn users(&self) -> &Arc<Users> {
        &self.users
    }

    pub fn approvals(&self) -> &Arc<Approvals> {
        &self.approvals
    }

    pub fn notifications(&self) -> &Arc<crate::notify::Notifications> {
        &self.notifications
    }

    /// Carries out `action` for `who`; see the module's opening comment.
    /// Refused when the policy says another person must approve it first.
    pub async fn run(&self, who: &Caller, action: &Action) -> Result<Done, AppError> {
        self.run_as(who, action, Authority::Own).await
    }

    /// The same for the console itself (start-up) and its command line,
    /// which the policy does not hold back: whoever runs them holds the
    /// database file, and so the policy itself. Recorded like any action.
    pub async fn run_local(&self, who: &Caller, action: &Action) -> Result<Done, AppError> {
        self.run_as(who, action, Authority::CommandLine).await
    }

    /// Carries out `action` for `who` when the policy lets them alone; when
    /// it holds it back, asks for approval with `reason` instead (and
    /// without one, says that one is needed).
    pub async fn run_or_ask(
        &self,
        who: &Caller,
        action: Action,
        reason: &str,
    ) -> Result<Done, AppError> {
        action.authorise(who)?;
        if self.needs(&action).await? == 0 || reason.trim().is_empty() {
            return self.run(who, &action).await;
        }
        let ask = ApprovalAction::RequestApproval {
            action: Box::new(action),
            reason: reason.to_string(),
        };
        self.run(who, &ask.into()).await
    }

    /// The action of approval request `r`, carried out by `who`, who
    /// approved it last.
    async fn run_approved(
        &self,
        who: &Caller,
        r: &crate::approvals::Request,
    ) -> Result<Done, AppError> {
        let authority = Authority::Approved {
            request: r.id,
            requester: &r.requester,
            snapshot: &r.snapshot,
        };
        self.run_as(who, &r.action, authority).await
    }

    async fn run_as(
        &self,
        who: &Caller,
        action: &Action,
        authority: Authority<'_>,
    ) -> Result<Done, AppError> {
        action.authorise(who)?;
        if let Authority::Own = authority {
            let needs = self.needs(action).await?;
            if needs > 0 {
                return Err(AppError::Conflict(format!(
                    "The policy says {} needs the approval of {needs} other person; ask for it \
                     with Request approval, saying why. Nothing was done.",
                    action.name()
                )));
            }
        }
        let mut checked = self.check(who, action).await?;
        if let Authority::Approved {
            request,
            requester,
            snapshot,
        } = authority
        {
            // Compared again in the step that carries it out, on what was
            // read for it just now: what runs is what was approved, even
            // if it changed after the approval's own comparison.
            let (now, _) = self.snapshot_of(action, &checked).await?;
            let changed = snapshot.differences(&now);
            if !changed.is_empty() {
                return Err(AppError::Conflict(format!(
                    "Not done: what #{request} asks for changed since it was approved: {}. \
                     Nothing was changed; ask again if it is still wanted.",
                    changed.join("; ")
                )));
            }
            let by = format!("approval #{request}, asked for by {requester}");
            checked.detail = Some(match checked.detail.take() {
                Some(d) => format!("{d}; {by}"),
                None => by,
            });
        }
        let target = action.target();
        let intent_id = self
            .audit
            .record_intent(Intent {
                actor: &who.name,
                name: action.name(),
                space: &checked.space,
                target: &target,
                detail: checked.detail.as_deref(),
                action: Some(action),
            })
            .await
            .map_err(audit_refused)?;
        let changed = self
            .change(who, action, &checked, authority.granted(who))
            .await;
        self.audit.settle(intent_id, changed.outcome).await;
        if let (Some(g), Action::Provider(a)) = (&self.gateway, action) {
            g.forget(a, &checked.space).await;
        }
        changed.result
    }

    /// An action's check, by where its state lives.
    async fn check(&self, who: &Caller, action: &Action) -> Result<Checked, AppError> {
        match action {
            Action::Provider(a) => self.provider_check(self.provider()?, a).await,
            Action::Users(a) => local::check(&self.users, who, a).await,
            Action::Approvals(a) => self.check_approval(who, a).await,
            Action::Notifications(a) => notify::check(&self.notifications, a).await,
            Action::Audit(AuditAction::AcknowledgeAlarm { finding }) => {
                alarm::check(self.integrity(), finding)
            }
        }
    }

    /// An action's one change, by where its state lives.
    async fn change(
        &self,
        who: &Caller,
        action: &Action,
        checked: &Checked,
        granted: crate::users::Granted<'_>,
    ) -> Changed {
        match action {
            Action::Provider(a) => match self.provider() {
                Ok(g) => self.provider_change(g, a, checked).await,
                Err(e) => Changed::failed(e),
            },
            Action::Users(a) => local::change(&self.users, a, granted).await,
            Action::Approvals(a) => self.change_approval(who, a, checked).await,
            Action::Notifications(a) => notify::change(&self.notifications, &who.name, a).await,
            Action::Audit(AuditAction::AcknowledgeAlarm { finding }) => {
                alarm::change(self.integrity(), finding).await
            }
        }
    }

    /// The provider gateway, which the command line's executor has not.
    pub(super) fn provider(&self) -> Result<&Gateway, AppError> {
        self.gateway().ok_or_else(|| {
            tracing::error!("a provider action without the provider");
            AppError::Internal
        })
    }

    /// Records an action that was decided against before it could be
    /// carried out (a failed sign-in): its intent and its `error` outcome.
    pub async fn record_refused(
        &self,
        who: &str,
        action: &Action,
        message: String,
    ) -> Result<(), crate::audit::AuditError> {
        let target = action.target();
        let detail = action.detail();
        self.audit
            .record_event(
                Intent {
                    actor: who,
                    name: action.name(),
                    space: "",
                    target: &target,
                    detail: detail.as_deref(),
                    action: Some(action),
                },
                Outcome::local(false, message),
            )
            .await
            .map(|_| ())
    }
}
