//! Start-up: the outcome of every intent left open by a stop between the
//! change and its outcome. The stored action says what to read back; what
//! the provider shows now says whether the change took effect.

use super::Executor;
use crate::audit::{AuditError, OpenIntent, Outcome, OutcomeKind};
use crate::gateway::Gateway;
use crate::provider::ProviderError;
use domain::action::{Action, ProviderAction};
use domain::kind::AuditName;
use domain::model::{PeeringStatus, PrivateLinkStatus};

const LOST: &str =
    "Settled after the console carrying it out stopped: its outcome was not recorded";

/// What there is to read back for an open intent.
enum Subject {
    /// A peering: whether an accept or a destroy, and of which.
    Peering { pcx_id: String, accept: bool },
    /// An add-on's PrivateLink, and whether it was being created (`Some(true)`),
    /// destroyed (`Some(false)`) or changed otherwise.
    Link { addon: String, create: Option<bool> },
    /// A reveal, or a local change: nothing on the provider to read.
    Nothing,
}

impl Subject {
    fn of(intent: &OpenIntent) -> Self {
        match intent.action() {
            Some(action) => Self::of_action(&action),
            // Written before actions were stored: go by the record's name.
            None => Self::of_name(intent),
        }
    }

    fn of_action(action: &Action) -> Self {
        match action {
            Action::Provider(a) => Self::of_provider(a),
            Action::Users(_)
            | Action::Approvals(_)
            | Action::Notifications(_)
            | Action::Audit(_) => Self::Nothing,
        }
    }

    fn of_provider(action: &ProviderAction) -> Self {
        match action {
            ProviderAction::AcceptPeering { pcx_id, .. } => Self::Peering {
                pcx_id: pcx_id.to_string(),
                accept: true,
            },
            ProviderAction::DestroyPeering { pcx_id, .. } => Self::Peering {
                pcx_id: pcx_id.to_string(),
                accept: false,
            },
            ProviderAction::CreatePrivateLink { addon, .. } => {
                Self::link(addon.as_str(), Some(true))
            }
            ProviderAction::DestroyPrivateLink { addon, .. } => {
                Self::link(addon.as_str(), Some(false))
            }
            ProviderAction::AddAccounts { addon, .. }
            | ProviderAction::RemoveAccounts { addon, .. } => Self::link(addon.as_str(), None),
            ProviderAction::RevealUrl { .. } => Self::Nothing,
        }
    }

    /// Records written before their action was stored: by their name.
    fn of_name(intent: &OpenIntent) -> Self {
        use AuditName as N;
        let target = intent.target.clone();
        let Ok(name) = intent.name.parse::<AuditName>() else {
            return Self::Nothing;
        };
        match name {
            N::PeeringAccept => Self::Peering {
                pcx_id: target,
                accept: true,
            },
            N::PeeringDestroy => Self::Peering {
                pcx_id: target,
                accept: false,
            },
            N::PrivateLinkCreate => Self::link(&target, Some(true)),
            N::PrivateLinkDestroy => Self::link(&target, Some(false)),
            N::PrivateLinkAccountAdd | N::PrivateLinkAccountRemove => Self::link(&target, None),
            // Nothing at the provider to read back.
            N::PrivateLinkRevealUrl
            | N::UserInvite
            | N::UserCreate
            | N::UserRole
            | N::UserDisable
            | N::UserEnable
            | N::UserPassword
            | N::UserDelete
            | N::TokenCreate
            | N::TokenRevoke
            | N::UserSync
            | N::SignIn
            | N::SignOut
            | N::Refused
            | N::AuditKeyed
            | N::AuditAcknowledge
            | N::ApprovalRequest
            | N::ApprovalApprove
            | N::ApprovalReject
            | N::ApprovalWithdraw
            | N::ApprovalExpire
            | N::PolicySet
            | N::PeerExpect
            | N::PeerForget
            | N::WebhookAdd
            | N::WebhookRemove
            | N::WebhookTest => Self::Nothing,
        }
    }

    fn link(addon: &str, create: Option<bool>) -> Self {
        Self::Link {
            addon: addon.to_string(),
            create,
        }
    }
}

/// Whether what was read back shows the change happened.
fn took_effect(took: Option<bool>, now: String) -> (OutcomeKind, String) {
    match took {
        Some(true) => (OutcomeKind::Ok, format!("{LOST}; it took effect: {now}.")),
        Some(false) => (
            OutcomeKind::Error,
            format!("{LOST}; it did not take effect: {now}."),
        ),
        None => (OutcomeKind::Unknown, format!("{LOST}; {now}.")),
    }
}

/// Whether a peering now in `status` shows an accept (or a destroy) took
/// effect: `None` where the status says neither.
fn peering_took(accept: bool, status: &PeeringStatus) -> Option<bool> {
    use PeeringStatus as S;
    match status {
        S::PendingAcceptance => accept.then_some(false),
        S::Provisioning | S::Active => accept.then_some(true),
        S::Deleting | S::Deleted => (!accept).then_some(true),
        S::InitiatingRequest | S::Failed | S::Expired | S::Rejected | S::Other(_) => None,
    }
}

/// The same for a PrivateLink being created (or destroyed).
fn link_took(create: bool, status: &PrivateLinkStatus) -> Option<bool> {
    use PrivateLinkStatus as S;
    match status {
        S::Provisioning => create.then_some(true),
        S::Operational => Some(create),
        S::Deprovisioning => (!create).then_some(true),
        S::Deprovisioned => Some(!create),
        S::Unknown | S::Other(_) => None,
    }
}

/// The outcome of one open intent, from what the provider shows now.
async fn read_back(g: &Gateway, intent: &OpenIntent) -> Result<Outcome, ProviderError> {
    let space = intent.space.as_str();
    let (kind, message, status, request_id) = match Subject::of(intent) {
        Subject::Peering { pcx_id, accept } => {
            let read = g.client().get_peering(space, &pcx_id).await?;
            let status = read.value.status;
            let took = peering_took(accept, &status);
            let (kind, message) = took_effect(took, format!("the peering is now {status}"));
            (kind, message, Some(status.to_string()), read.request_id)
        }
        Subject::Link { addon, create } => match g.client().privatelink(&addon).await {
            Ok(read) => {
                let status = read.value.status;
                let took = create.and_then(|create| link_took(create, &status));
                let (kind, message) = took_effect(took, format!("the PrivateLink is now {status}"));
                (kind, message, Some(status.to_string()), read.request_id)
            }
            Err(ProviderError::Api {
                status: 404,
                request_id,
                ..
            }) => {
                let took = create.map(|create| !create);
                let (kind, message) = took_effect(took, "the add-on has no PrivateLink".into());
                (kind, message, None, request_id)
            }
            Err(e) => return Err(e),
        },
        Subject::Nothing => (
            OutcomeKind::Unknown,
            format!("{LOST}; there is nothing on the provider to read back."),
            None,
            None,
        ),
    };
    Ok(Outcome {
        kind,
        provider_status: status,
        message,
        request_id,
    })
}

impl Executor {
    /// Writes the outcome of every intent left open by a stop between the
    /// change and the outcome, by reading what it acted on back through
    /// the gateway (an executor without one, the command line's, leaves
    /// them for the console). On SQLite, at start-up: every intent open
    /// is one a stop left. On PostgreSQL, where other consoles are
    /// carrying out their own, only those of consoles no longer alive
    /// (see `db::consoles`), at start-up and every few seconds after.
    pub async fn reconcile(&self) -> Result<usize, AuditError> {
        let Some(g) = self.gateway() else {
            return Ok(0);
        };
        let mut open = self.audit().open_intents().await?;
        if let crate::db::Db::Postgres(_) = self.audit().db() {
            let alive = crate::db::consoles::alive(self.audit().db()).await?;
            open.retain(|i| i.console.as_ref().is_none_or(|c| !alive.contains(c)));
        }
        self.settle_open(g, &open).await?;
        Ok(open.len())
    }

    /// Settles the intents this console left open: at a stop, those of
    /// actions the drain cut off.
    pub async fn settle_own(&self) -> Result<usize, AuditError> {
        let Some(g) = self.gateway() else {
            return Ok(0);
        };
        let mut open = self.audit().open_intents().await?;
        let me = crate::db::consoles::this_console();
        open.retain(|i| i.console.as_deref() == Some(me));
        self.settle_open(g, &open).await?;
        Ok(open.len())
    }

    async fn settle_open(
        &self,
        g: &crate::gateway::Gateway,
        open: &[crate::audit::OpenIntent],
    ) -> Result<(), AuditError> {
        for intent in open {
            let outcome = read_back(g, intent).await.unwrap_or_else(|e| Outcome {
                kind: OutcomeKind::Unknown,
                provider_status: e.status().map(|s| s.to_string()),
                message: format!("{LOST}; reading back failed: {e}"),
                request_id: e.request_id().map(str::to_string),
            });
            tracing::warn!(intent = intent.id, action = %intent.name, "reconciling an open intent");
            match self.audit().record_outcome(intent.id, outcome).await {
                // Another console settled it first: so much the better.
                Ok(_) | Err(AuditError::AlreadySettled(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}
