//! What the pages show of four eyes: a space's requests and expected
//! peers, the inbox, the policy and who could approve.

use super::ServerConsole;
use crate::actions::approval::Deciders;
use crate::approvals::{self, Request};
use domain::access::{Caller, Permission};
use domain::action::{Action, ProviderAction, UserAction};
use domain::error::AppError;
use domain::kind::AuditName;
use domain::model::PeeringStatus;
use domain::policy::{Expectation, Policy, expectation_of};
use domain::views::{ApprovalView, Inbox, PendingRequest, SpaceApprovals};
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

/// How long what the pages show of approvals may be reused (see `shown`).
pub(super) const SHOWN_FOR: std::time::Duration = std::time::Duration::from_secs(1);

/// What the pages show of one space's approvals, as read.
pub(crate) struct Shown {
    deciders: Deciders,
    requests: Vec<Request>,
    pub(crate) expected: Vec<domain::policy::ExpectedPeer>,
}

/// How long a decided request stays on its space's page and in the inbox.
const DECIDED_SHOWN: Duration = Duration::days(1);

fn since() -> String {
    approvals::stamp(OffsetDateTime::now_utc() - DECIDED_SHOWN)
}

impl ServerConsole {
    /// A stored request as `who` sees it, with `deciders` read lately.
    pub(crate) fn approval_view(
        &self,
        r: Request,
        who: &Caller,
        deciders: &Deciders,
    ) -> ApprovalView {
        let voted = r.approvals.contains(&who.name);
        let grants = deciders
            .grants
            .get(&who.name)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let makers = deciders.makers(&r.requester);
        let verdict = self
            .executor
            .decidable(who, &r, grants, &makers, &deciders.policy);
        let (can_decide, why_not) = match (verdict, voted) {
            (Ok(_), false) => (true, None),
            (Ok(_), true) => (false, Some("You approved it already.".to_string())),
            (Err(e), _) => (false, Some(e.to_string())),
        };
        ApprovalView {
            mine: r.requester == who.name,
            record: r,
            can_decide,
            why_not,
        }
    }

    /// What the pages show of `space`'s approvals ("" for the expected
    /// peers of every space), read at most once per `SHOWN_FOR` however
    /// many pages ask. Deciding never uses it: the executor reads afresh.
    pub(crate) async fn shown(&self, space: &str) -> Result<Arc<Shown>, AppError> {
        self.shown
            .try_get_with(space.to_string(), async {
                let store = self.executor.approvals();
                let whole = space.is_empty();
                Ok::<_, AppError>(Arc::new(Shown {
                    deciders: self.executor.deciders().await?,
                    requests: if whole {
                        Vec::new()
                    } else {
                        store.of_space(space, &since()).await?
                    },
                    expected: store
                        .expected((!whole).then_some(space), &approvals::now())
                        .await?,
                }))
            })
            .await
            .map_err(|e| (*e).clone())
    }

    /// Forgets what pages were shown of approvals after `action`, done
    /// here, if it changed them: its requests, the expected peers (an
    /// accept may use one up), who may approve, or what needs approval.
    /// Changes made elsewhere show within `SHOWN_FOR`.
    pub(crate) async fn forget_shown_after(&self, action: &Action) {
        let shown_changes = match action {
            Action::Provider(a) => match a {
                ProviderAction::AcceptPeering { .. } | ProviderAction::DestroyPeering { .. } => {
                    true
                }
                ProviderAction::CreatePrivateLink { .. }
                | ProviderAction::DestroyPrivateLink { .. }
                | ProviderAction::AddAccounts { .. }
                | ProviderAction::RemoveAccounts { .. }
                | ProviderAction::RevealUrl { .. } => false,
            },
            Action::Approvals(_) => true,
            Action::Users(a) => match a {
                UserAction::SetRole { .. }
                | UserAction::SetDisabled { .. }
                | UserAction::InviteUser { .. }
                | UserAction::AddUser { .. }
                | UserAction::RemoveDemoUsers
                | UserAction::CreateToken { .. }
                | UserAction::RevokeToken { .. }
                | UserAction::ProviderSync { .. } => true,
                UserAction::SetPassword { .. }
                | UserAction::SignIn { .. }
                | UserAction::SignOut { .. } => false,
            },
            Action::Notifications(_) | Action::Audit(_) => false,
        };
        if shown_changes {
            self.forget_shown();
        }
    }

    /// Forgets every page's approvals, after a change to them.
    pub(crate) fn forget_shown(&self) {
        self.shown.invalidate_all();
    }

    /// A space's requests, expected peers and gates, for its page.
    pub(crate) async fn space_approvals(
        &self,
        space: &str,
        who: &Caller,
    ) -> Result<SpaceApprovals, AppError> {
        let shown = self.shown(space).await?;
        let gate = |kind| shown.deciders.gate_of(&who.name, kind);
        Ok(SpaceApprovals {
            requests: shown
                .requests
                .iter()
                .map(|r| self.approval_view(r.clone(), who, &shown.deciders))
                .collect(),
            expected: shown.expected.clone(),
            accept: gate(AuditName::PeeringAccept),
            destroy: gate(AuditName::PeeringDestroy),
            require_expected_peer: shown.deciders.policy.require_expected_peer,
            can_expect: who.can(Permission::ExpectPeers),
        })
    }

    /// An add-on's gates and approval requests, onto its page.
    pub(crate) async fn privatelink_approvals(
        &self,
        view: &mut domain::views::PrivateLinkView,
        who: &Caller,
    ) -> Result<(), AppError> {
        let shown = self.shown(&view.space).await?;
        let gate = |kind| shown.deciders.gate_of(&who.name, kind);
        view.gates = domain::views::PrivateLinkGates {
            create: gate(AuditName::PrivateLinkCreate),
            add: gate(AuditName::PrivateLinkAccountAdd),
            remove: gate(AuditName::PrivateLinkAccountRemove),
            destroy: gate(AuditName::PrivateLinkDestroy),
        };
        view.requests = shown
            .requests
            .iter()
            .filter(|r| r.target == view.addon)
            .map(|r| self.approval_view(r.clone(), who, &shown.deciders))
            .collect();
        Ok(())
    }

    /// The policy, for the Settings page, and what a change that loosens
    /// it would wait for.
    pub(crate) async fn policy_of(
        &self,
        who: &Caller,
    ) -> Result<(Policy, domain::policy::Gate), AppError> {
        let deciders = self.executor.deciders().await?;
        let mut looser = deciders.policy.clone();
        looser.approvals.clear();
        let needs = deciders.policy.change_needs(&looser);
        let gate = deciders.gate(&who.name, AuditName::PolicySet, needs);
        Ok((deciders.policy, gate))
    }

    /// What waits for `who`.
    pub(crate) async fn inbox_of(&self, who: &Caller) -> Result<Inbox, AppError> {
        self.executor.expire_due().await;
        let store = self.executor.approvals();
        let open = store.open().await?;
        let mine = store.of_requester(&who.name, &since()).await?;
        let all = self.shown("").await?;
        let deciders = &all.deciders;
        let expected = &all.expected;
        let now = super::rfc3339(OffsetDateTime::now_utc());
        let spaces = self.gateway.read_spaces().await?.value;
        let reads =
            futures::future::join_all(spaces.iter().map(|s| self.gateway.read_peerings(&s.name)))
                .await;
        let mut pending = Vec::new();
        for (s, read) in spaces.iter().zip(reads) {
            let Ok(read) = read else { continue };
            for p in read.value.iter() {
                if p.status != PeeringStatus::PendingAcceptance || p.kind.is_provider_managed() {
                    continue;
                }
                let mine: Vec<_> = expected
                    .iter()
                    .filter(|e| e.space == s.name)
                    .cloned()
                    .collect();
                let approval = open
                    .iter()
                    .find(|r| r.kind == AuditName::PeeringAccept && r.target == p.pcx_id)
                    .map(|r| r.id);
                pending.push(PendingRequest {
                    space: s.name.clone(),
                    expectation: expectation_of(p, &mine, &now),
                    peering: p.clone(),
                    approval,
                });
            }
        }
        // Soonest expiry first; RFC 3339 UTC times sort as text.
        pending.sort_by(|a, b| {
            let key = |p: &PendingRequest| p.peering.expires.clone().unwrap_or_else(|| "~".into());
            key(a).cmp(&key(b))
        });
        // What they may decide, and what they could, but for why not (made
        // by its requester, say): said, so nobody wonders where it went.
        let (to_decide, not_mine): (Vec<_>, Vec<_>) = open
            .into_iter()
            .filter(|r| r.state == domain::approval::ApprovalState::Pending)
            .filter(|r| r.requester != who.name && r.action.authorise(who).is_ok())
            .map(|r| self.approval_view(r, who, deciders))
            .partition(|v| v.can_decide);
        Ok(Inbox {
            to_decide,
            cannot_decide: not_mine,
            pending,
            mine: mine
                .into_iter()
                .map(|r| self.approval_view(r, who, deciders))
                .collect(),
            as_of: now,
        })
    }

    /// How many of `space`'s pending requests match no expected peer.
    pub(crate) fn unexpected(
        peerings: &[domain::model::Peering],
        expected: &[domain::policy::ExpectedPeer],
        space: &str,
        now: &str,
    ) -> usize {
        let mine: Vec<_> = expected
            .iter()
            .filter(|e| e.space == space)
            .cloned()
            .collect();
        peerings
            .iter()
            .filter(|p| expectation_of(p, &mine, now) == Some(Expectation::Unexpected))
            .count()
    }
}
