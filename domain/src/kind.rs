//! The kinds of action, as the audit history, the policy and the access
//! rules name them. The stored names and the list of every kind are
//! derived (strum) from the one enum, and parsing back reads that list, so a kind cannot be
//! written under a name that is never read back; the permission a kind
//! needs is one exhaustive `match`, which the compiler holds complete.

use crate::access::Permission;
use serde::{Deserialize, Serialize};
use std::fmt;
use strum::VariantArray;

/// What the audit history calls a kind of record. The strings are stored,
/// so they never change; a new kind gets a new one.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[serde(try_from = "String", into = "&'static str")]
pub enum AuditName {
    #[strum(serialize = "peering.accept")]
    PeeringAccept,
    #[strum(serialize = "peering.destroy")]
    PeeringDestroy,
    #[strum(serialize = "privatelink.create")]
    PrivateLinkCreate,
    #[strum(serialize = "privatelink.destroy")]
    PrivateLinkDestroy,
    #[strum(serialize = "privatelink.account_add")]
    PrivateLinkAccountAdd,
    #[strum(serialize = "privatelink.account_remove")]
    PrivateLinkAccountRemove,
    #[strum(serialize = "privatelink.reveal_url")]
    PrivateLinkRevealUrl,
    #[strum(serialize = "user.invite")]
    UserInvite,
    #[strum(serialize = "user.create")]
    UserCreate,
    #[strum(serialize = "user.role")]
    UserRole,
    #[strum(serialize = "user.disable")]
    UserDisable,
    #[strum(serialize = "user.enable")]
    UserEnable,
    #[strum(serialize = "user.password")]
    UserPassword,
    #[strum(serialize = "user.delete")]
    UserDelete,
    #[strum(serialize = "auth.sign_in")]
    SignIn,
    #[strum(serialize = "auth.sign_out")]
    SignOut,
    /// A call refused before it was made (a role, another site, a throttle).
    #[strum(serialize = "auth.refused")]
    Refused,
    /// From this record on, the history is keyed with the audit key it
    /// names (see `server/src/audit/key.rs`).
    #[strum(serialize = "audit.keyed")]
    AuditKeyed,
    /// An admin saw an integrity alarm and acknowledged it.
    #[strum(serialize = "audit.acknowledge")]
    AuditAcknowledge,
    /// Someone asked another person to approve an action.
    #[strum(serialize = "approval.request")]
    ApprovalRequest,
    #[strum(serialize = "approval.approve")]
    ApprovalApprove,
    #[strum(serialize = "approval.reject")]
    ApprovalReject,
    #[strum(serialize = "approval.withdraw")]
    ApprovalWithdraw,
    /// A request nobody decided in time.
    #[strum(serialize = "approval.expire")]
    ApprovalExpire,
    /// An admin changed how many approvals each kind of action needs.
    #[strum(serialize = "policy.set")]
    PolicySet,
    /// Someone registered a peering the team expects.
    #[strum(serialize = "peer.expect")]
    PeerExpect,
    #[strum(serialize = "peer.forget")]
    PeerForget,
    /// An admin added a webhook destination, removed one, or sent it a test.
    #[strum(serialize = "webhook.add")]
    WebhookAdd,
    #[strum(serialize = "webhook.remove")]
    WebhookRemove,
    #[strum(serialize = "webhook.test")]
    WebhookTest,
    /// An admin made a token for automation (and its service user).
    #[strum(serialize = "token.create")]
    TokenCreate,
    #[strum(serialize = "token.revoke")]
    TokenRevoke,
    /// The identity provider, at a person's sign-in, made them or set
    /// their role (or disabled them: in no group that gives one).
    #[strum(serialize = "user.sync")]
    UserSync,
}

impl AuditName {
    /// Every kind, in the order declared.
    pub const ALL: &'static [AuditName] = Self::VARIANTS;

    /// The name stored in the history and the policy.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The permission an action of this kind needs; `None` for what any
    /// signed-in user (or a visitor, for a sign-in) may do.
    pub fn permission(self) -> Option<Permission> {
        Some(match self {
            Self::PeeringAccept => Permission::AcceptPeering,
            Self::PeeringDestroy => Permission::DestroyPeering,
            Self::PrivateLinkCreate => Permission::CreatePrivateLink,
            Self::PrivateLinkDestroy => Permission::DestroyPrivateLink,
            Self::PrivateLinkAccountAdd => Permission::AddAccounts,
            Self::PrivateLinkAccountRemove => Permission::RemoveAccount,
            Self::PrivateLinkRevealUrl => Permission::RevealUrl,
            Self::UserInvite
            | Self::UserCreate
            | Self::UserRole
            | Self::UserDisable
            | Self::UserEnable
            | Self::UserPassword
            | Self::UserDelete
            | Self::TokenCreate
            | Self::TokenRevoke
            | Self::UserSync => Permission::ManageUsers,
            Self::AuditAcknowledge => Permission::AcknowledgeAlarm,
            // Whether this person may decide this request (their role may
            // do what it holds, and they did not ask for it) is the
            // executor's check; this is the least it takes.
            Self::ApprovalRequest
            | Self::ApprovalApprove
            | Self::ApprovalReject
            | Self::ApprovalWithdraw => Permission::Decide,
            Self::ApprovalExpire | Self::PolicySet => Permission::ManagePolicy,
            Self::PeerExpect | Self::PeerForget => Permission::ExpectPeers,
            Self::WebhookAdd | Self::WebhookRemove | Self::WebhookTest => {
                Permission::ManageNotifications
            }
            Self::SignIn | Self::SignOut | Self::Refused | Self::AuditKeyed => return None,
        })
    }
}

impl fmt::Display for AuditName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for AuditName {
    type Err = String;
    /// Read back by the derived list and names, so every kind written
    /// reads back.
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .iter()
            .copied()
            .find(|n| n.as_str() == s)
            .ok_or_else(|| format!("\"{s}\" is not a kind of audit record"))
    }
}

impl TryFrom<String> for AuditName {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every name ever stored, in order. The history and the policies on
    /// disk hold these strings: a kind renamed or dropped would leave
    /// records that no longer read back, so this list only ever grows.
    const STORED: &[&str] = &[
        "peering.accept",
        "peering.destroy",
        "privatelink.create",
        "privatelink.destroy",
        "privatelink.account_add",
        "privatelink.account_remove",
        "privatelink.reveal_url",
        "user.invite",
        "user.create",
        "user.role",
        "user.disable",
        "user.enable",
        "user.password",
        "user.delete",
        "auth.sign_in",
        "auth.sign_out",
        "auth.refused",
        "audit.keyed",
        "audit.acknowledge",
        "approval.request",
        "approval.approve",
        "approval.reject",
        "approval.withdraw",
        "approval.expire",
        "policy.set",
        "peer.expect",
        "peer.forget",
        "webhook.add",
        "webhook.remove",
        "webhook.test",
        "token.create",
        "token.revoke",
        "user.sync",
    ];

    #[test]
    fn every_kind_is_listed_and_reads_back_under_its_stored_name() {
        let listed: Vec<&str> = AuditName::ALL.iter().map(|n| n.as_str()).collect();
        assert_eq!(listed, STORED);
        for n in AuditName::ALL {
            assert_eq!(n.as_str().parse::<AuditName>(), Ok(*n));
            let json = serde_json::to_string(n).unwrap();
            assert_eq!(serde_json::from_str::<AuditName>(&json).unwrap(), *n);
        }
        let unknown = "peering.launch".parse::<AuditName>();
        assert!(unknown.is_err());
        let said = serde_json::from_str::<AuditName>("\"peering.launch\"").unwrap_err();
        assert!(
            said.to_string().contains("not a kind of audit record"),
            "{said}"
        );
    }
}
