//! What the pages show, as it crosses the server-function boundary: a
//! space with its peerings and approvals, an add-on's PrivateLink, an
//! approval request as one person sees it, the inbox, the users and the
//! policy pages.

use crate::access::Role;
use crate::approval::ApprovalRecord;
use crate::kind::AuditName;
use crate::model::{ConnectionUrl, DataService, Freshness, Peering, PeeringInfo, PrivateLink};
use crate::policy::{Expectation, ExpectedPeer, Gate, Policy};
use serde::{Deserialize, Serialize};

/// An approval request as a page shows it to one person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalView {
    #[serde(flatten)]
    pub record: ApprovalRecord,
    /// Whether the person looking may approve or reject it (and if not, why).
    pub can_decide: bool,
    pub why_not: Option<String>,
    /// Whether the person looking asked for it (and so may withdraw it).
    pub mine: bool,
}

impl std::ops::Deref for ApprovalView {
    type Target = ApprovalRecord;
    fn deref(&self) -> &ApprovalRecord {
        &self.record
    }
}

/// The overview page: every space at a glance, the provider's budget,
/// and the estate's address plans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overview {
    pub spaces: Vec<crate::model::SpaceSummary>,
    pub freshness: Freshness,
    /// What the provider said is left of the account's hourly budget of
    /// calls, in its latest answer; `None` before it has answered.
    #[serde(default)]
    pub provider_budget: Option<crate::model::ProviderBudget>,
    /// What the watcher that sends notifications costs of that budget.
    #[serde(default)]
    pub watch: Option<crate::notify::WatchStatus>,
    /// Each space's address plan, for the estate at a glance (the spaces
    /// whose peering info could be read).
    #[serde(default)]
    pub plans: Vec<crate::plan::Plan>,
    /// The accounts and VPCs peered with more than one space.
    #[serde(default)]
    pub shared: Vec<crate::plan::SharedPeer>,
}

/// A pending peering request, for the inbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingRequest {
    pub space: String,
    pub peering: Peering,
    pub expectation: Option<Expectation>,
    /// The open approval request for accepting it, if any.
    pub approval: Option<i64>,
}

/// What waits for one person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Inbox {
    /// Requests they may decide.
    pub to_decide: Vec<ApprovalView>,
    /// Requests their role could decide but they may not (each says why:
    /// its requester made them able to, say).
    #[serde(default)]
    pub cannot_decide: Vec<ApprovalView>,
    /// Pending peering requests, soonest expiry first.
    pub pending: Vec<PendingRequest>,
    /// Their own requests, newest first.
    pub mine: Vec<ApprovalView>,
    pub as_of: String,
}

impl Inbox {
    /// The number the navigation shows: what this person could act on.
    pub fn count(&self, can_accept: bool) -> usize {
        self.to_decide.len()
            + if can_accept {
                self.pending.iter().filter(|p| p.approval.is_none()).count()
            } else {
                0
            }
    }
}

/// The Users page: everyone, and which changes wait for another admin
/// under the policy (those that change who may approve).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct UsersView {
    pub users: Vec<crate::model::UserSummary>,
    /// The tokens for automation, newest first.
    #[serde(default)]
    pub tokens: Vec<crate::model::TokenSummary>,
    /// The roles whose making (an invitation, a raise, an enabling) waits
    /// for another admin: those that could decide what the policy holds.
    pub held: Vec<Role>,
    /// What such a change waits for, and who could give it.
    pub gate: Gate,
}

impl UsersView {
    /// Whether inviting someone as `role` waits for approval.
    pub fn invite_held(&self, role: Role) -> bool {
        self.held.contains(&role)
    }

    /// Whether making `u` `role` waits for approval (a raise only).
    pub fn role_held(&self, u: &crate::model::UserSummary, role: Role) -> bool {
        role > u.role && self.held.contains(&role)
    }

    /// Whether enabling `u` waits for approval.
    pub fn enable_held(&self, u: &crate::model::UserSummary) -> bool {
        u.disabled && self.held.contains(&u.role)
    }

    /// Whether any change of `u` waits for approval.
    pub fn any_held(&self, u: &crate::model::UserSummary) -> bool {
        self.enable_held(u) || Role::ALL.iter().any(|r| self.role_held(u, *r))
    }
}

/// What each PrivateLink action needs, for an add-on's page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PrivateLinkGates {
    pub create: Gate,
    pub add: Gate,
    pub remove: Gate,
    pub destroy: Gate,
}

/// The policy, and what changing it needs, for the Settings page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PolicyView {
    pub policy: Policy,
    pub gate: Gate,
}

/// The approval requests and expectations of one space, for its page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SpaceApprovals {
    /// Open requests and those decided in the last day, newest first.
    pub requests: Vec<ApprovalView>,
    pub expected: Vec<ExpectedPeer>,
    pub accept: Gate,
    pub destroy: Gate,
    pub require_expected_peer: bool,
    /// Whether the person looking may register expected peers.
    pub can_expect: bool,
}

impl SpaceApprovals {
    /// The newest request about `target` of kind `kind`.
    pub fn latest(&self, kind: AuditName, target: &str) -> Option<&ApprovalView> {
        self.requests
            .iter()
            .find(|r| r.kind == kind && r.target == target)
    }
}

/// One space's page: its peering info, peerings and approvals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpaceView {
    pub name: String,
    pub info: PeeringInfo,
    pub peerings: Vec<Peering>,
    pub freshness: Freshness,
    /// Its approval requests, expected peers and what the policy asks.
    #[serde(default)]
    pub approvals: SpaceApprovals,
}

/// One add-on's PrivateLink page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrivateLinkView {
    pub space: String,
    pub app: String,
    pub addon: String,
    pub service: DataService,
    pub plan: String,
    pub eligible: bool,
    /// The AWS region the endpoint service is in (the space's).
    pub region: String,
    pub link: Option<PrivateLink>,
    pub urls: Vec<ConnectionUrl>,
    /// How long the page follows a provisioning endpoint before it stops.
    pub wait_limit_secs: u64,
    pub freshness: Freshness,
    /// What each action on it needs, and its approval requests (open, or
    /// decided in the last day), newest first.
    #[serde(default)]
    pub gates: PrivateLinkGates,
    #[serde(default)]
    pub requests: Vec<ApprovalView>,
}

/// One peering of the inventory: every space's peerings, for the team's
/// spreadsheets and audits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryRow {
    pub space: String,
    pub pcx_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub status: String,
    pub cidr_blocks: Vec<String>,
    pub aws_account_id: Option<String>,
    pub aws_vpc_id: Option<String>,
    pub aws_region: Option<String>,
    /// When a pending request expires (RFC 3339), if it does.
    pub expires: Option<String>,
    /// For a pending request: `expected` or `unexpected`.
    pub expectation: Option<String>,
    /// The note of the expected peer it matches, if any.
    pub expected_note: Option<String>,
}

impl InventoryRow {
    /// The row of peering `p` of `space`, matched against the team's
    /// expected peers at `now`.
    pub fn of(
        space: &str,
        p: &Peering,
        expected: &[crate::policy::ExpectedPeer],
        now: &str,
    ) -> Self {
        let expectation = crate::policy::expectation_of(p, expected, now).map(|e| match e {
            Expectation::Expected(_) => "expected".to_string(),
            Expectation::Unexpected => "unexpected".to_string(),
        });
        Self {
            space: space.to_string(),
            pcx_id: p.pcx_id.clone(),
            kind: p.kind.to_string(),
            status: p.status.to_string(),
            cidr_blocks: p.all_cidrs(),
            aws_account_id: p.aws_account_id.clone(),
            aws_vpc_id: p.aws_vpc_id.clone(),
            aws_region: p.aws_region.clone(),
            expires: p.expires.clone().filter(|e| !e.is_empty()),
            expectation,
            expected_note: crate::policy::expected_match(p, expected, now).map(|e| e.note.clone()),
        }
    }
}
