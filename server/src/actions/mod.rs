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
//! the console's own data, `console::steps` for the provider's. Intents
//! left open by a stop are settled at start-up by `console::reconcile`.

mod alarm;
pub mod local;

use crate::audit::integrity::Integrity;
use crate::audit::{AuditLog, Intent, Outcome, OutcomeKind};
use crate::auth::users::Users;
use crate::console::ServerConsole;
use crate::provider::{Mutated, ProviderError};
use app::access::Caller;
use app::action::{Action, Done};
use app::error::AppError;
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
}

impl Checked {
    pub fn local(action: &Action) -> Self {
        Self {
            detail: action.detail(),
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

/// The executor over one database. Provider actions need the console that
/// reads the provider; local ones (the command line, start-up) do not.
#[derive(Clone)]
pub struct Executor {
    audit: Arc<AuditLog>,
    users: Arc<Users>,
    /// The running console's watch over the history (not the command line's).
    integrity: Option<Arc<Integrity>>,
}

impl Executor {
    pub fn new(audit: Arc<AuditLog>, users: Arc<Users>) -> Self {
        Self {
            audit,
            users,
            integrity: None,
        }
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

    /// Carries out `action` for `who`; see the module's opening comment.
    pub async fn run(
        &self,
        who: &Caller,
        action: &Action,
        provider: Option<&ServerConsole>,
    ) -> Result<Done, AppError> {
        action.authorise(who)?;
        let provider = match (action.touches_provider(), provider) {
            (false, _) => None,
            (true, Some(p)) => Some(p),
            (true, None) => {
                tracing::error!(action = %action.name(), "a provider action without the provider");
                return Err(AppError::Internal);
            }
        };
        let checked = match (action, provider) {
            (Action::AcknowledgeAlarm { finding }, _) => alarm::check(self.integrity(), finding)?,
            (_, Some(p)) => p.check(action).await?,
            (_, None) => local::check(&self.users, who, action).await?,
        };
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
        let changed = match (action, provider) {
            (Action::AcknowledgeAlarm { finding }, _) => {
                alarm::change(self.integrity(), finding).await
            }
            (_, Some(p)) => p.change(action, &checked).await,
            (_, None) => local::change(&self.users, action).await,
        };
        self.audit.settle(intent_id, changed.outcome).await;
        if let Some(p) = provider {
            p.invalidate(action, &checked).await;
        }
        changed.result
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
