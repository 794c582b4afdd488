//! What every server function and page needs. One table says what each
//! server function needs: a read permission, or the action it carries
//! out, whose permission comes from `AuditName::permission`. The server
//! refuses a call before it reaches the function when the caller's role
//! lacks it (and refuses a server function with no rule at all), and the
//! executor checks the action's permission again. The UI reads the same
//! rules to hide or disable what a role cannot do.

use crate::access::Permission;
use crate::kind::AuditName;

/// What a server function needs: a permission to read, or the permission
/// of the action it carries out (`AuditName::permission`), so the table and
/// the executor cannot disagree about a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    Read(Permission),
    Act(AuditName),
}

impl Rule {
    pub fn permission(self) -> Permission {
        match self {
            Self::Read(p) => p,
            Self::Act(a) => a.permission().unwrap_or(Permission::View),
        }
    }
}

/// The rule of each server function, by its path. A server function
/// missing here is refused to everyone, and a test lists every registered
/// server function against this table.
pub const SERVER_FN_RULES: &[(&str, Rule)] = &[
    ("/api/overview", Rule::Read(Permission::View)),
    ("/api/space", Rule::Read(Permission::View)),
    ("/api/terraform", Rule::Read(Permission::View)),
    ("/api/peerings_inventory", Rule::Read(Permission::View)),
    ("/api/audit", Rule::Read(Permission::View)),
    ("/api/alarm", Rule::Read(Permission::View)),
    (
        "/api/acknowledge_alarm",
        Rule::Act(AuditName::AuditAcknowledge),
    ),
    ("/api/data_addons", Rule::Read(Permission::View)),
    ("/api/privatelink", Rule::Read(Permission::View)),
    ("/api/users", Rule::Read(Permission::ManageUsers)),
    ("/api/accept_peering", Rule::Act(AuditName::PeeringAccept)),
    ("/api/destroy_peering", Rule::Act(AuditName::PeeringDestroy)),
    (
        "/api/create_privatelink",
        Rule::Act(AuditName::PrivateLinkCreate),
    ),
    (
        "/api/destroy_privatelink",
        Rule::Act(AuditName::PrivateLinkDestroy),
    ),
    (
        "/api/add_allowed_accounts",
        Rule::Act(AuditName::PrivateLinkAccountAdd),
    ),
    (
        "/api/remove_allowed_account",
        Rule::Act(AuditName::PrivateLinkAccountRemove),
    ),
    (
        "/api/reveal_connection_url",
        Rule::Act(AuditName::PrivateLinkRevealUrl),
    ),
    ("/api/invite_user", Rule::Act(AuditName::UserInvite)),
    ("/api/set_user_role", Rule::Act(AuditName::UserRole)),
    ("/api/set_user_disabled", Rule::Act(AuditName::UserDisable)),
    ("/api/create_token", Rule::Act(AuditName::TokenCreate)),
    ("/api/revoke_token", Rule::Act(AuditName::TokenRevoke)),
    ("/api/inbox", Rule::Read(Permission::View)),
    ("/api/inbox_count", Rule::Read(Permission::View)),
    ("/api/policy", Rule::Read(Permission::View)),
    (
        "/api/request_approval",
        Rule::Act(AuditName::ApprovalRequest),
    ),
    ("/api/approve", Rule::Act(AuditName::ApprovalApprove)),
    ("/api/reject", Rule::Act(AuditName::ApprovalReject)),
    ("/api/withdraw", Rule::Act(AuditName::ApprovalWithdraw)),
    ("/api/set_policy", Rule::Act(AuditName::PolicySet)),
    ("/api/expect_peer", Rule::Act(AuditName::PeerExpect)),
    ("/api/forget_peer", Rule::Act(AuditName::PeerForget)),
    (
        "/api/notifications",
        Rule::Read(Permission::ManageNotifications),
    ),
    ("/api/add_webhook", Rule::Act(AuditName::WebhookAdd)),
    ("/api/remove_webhook", Rule::Act(AuditName::WebhookRemove)),
    ("/api/test_webhook", Rule::Act(AuditName::WebhookTest)),
];

/// Pages that only some roles may open; every other page needs a sign-in
/// and nothing more (its data comes from server functions with their own
/// rules).
pub const PAGE_RULES: &[(&str, Permission)] = &[
    ("/users", Permission::ManageUsers),
    ("/settings", Permission::ManagePolicy),
    ("/notifications", Permission::ManageNotifications),
];

/// The permission a page needs beyond a sign-in, if any: the rule of the
/// page, or of the page it lies under (`/users/alice` is a Users page).
pub fn page_rule_for(path: &str) -> Option<Permission> {
    PAGE_RULES
        .iter()
        .find(|(p, _)| {
            path.strip_prefix(p)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
        .map(|(_, perm)| *perm)
}

/// The permission a server function path needs, if it has a rule.
pub fn rule_for(path: &str) -> Option<Permission> {
    SERVER_FN_RULES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, rule)| rule.permission())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_is_an_api_path_named_once() {
        for (i, (path, _)) in SERVER_FN_RULES.iter().enumerate() {
            assert!(path.starts_with("/api/"), "{path}");
            assert!(
                !SERVER_FN_RULES[i + 1..].iter().any(|(p, _)| p == path),
                "{path} twice"
            );
        }
        assert_eq!(rule_for("/api/nothing"), None);
        assert_eq!(page_rule_for("/users"), Some(Permission::ManageUsers));
        assert_eq!(page_rule_for("/users/alice"), Some(Permission::ManageUsers));
        assert_eq!(page_rule_for("/usersx"), None);
        assert_eq!(page_rule_for("/audit"), None);
    }
}
