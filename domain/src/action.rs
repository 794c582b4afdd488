//! Every change Spaceport makes, as a value. An `Action` knows the
//! permission it needs, the name the audit history gives it, the space and
//! the target it is about, and serialises to the JSON its intent record
//! keeps; so it can be shown, stored, approved and executed later. The
//! server's executor (`server/src/actions`) is the one place that carries
//! an action out.

use crate::access::{Caller, Role};
use crate::error::AppError;
use crate::ids::{AddonName, EndpointId, PcxId, Principals, Secret, SpaceRef, UserName};
use crate::kind::AuditName;
use crate::model::{ActionResult, DataActionResult, Invited, UserSummary};
use crate::notify::{NewDestination, WebhookAdded};
use crate::policy::{NewExpectedPeer, Policy};
use serde::{Deserialize, Serialize};
use strum::VariantNames;

/// One change, with everything needed to carry it out (except a password,
/// which is never stored: see `Secret`), by where the state it changes
/// lives. Each part is matched whole by the executor's arm for that state,
/// so a new kind of action is named by the compiler wherever it is missing.
///
/// It is stored as the part's own JSON, `{"kind": "accept_peering", …}`,
/// with no word of the part: the kind alone says which part reads it back.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Action {
    Provider(ProviderAction),
    Users(UserAction),
    Approvals(ApprovalAction),
    Notifications(NotifyAction),
    Audit(AuditAction),
}

/// What changes (or reads) something at the provider, in a space.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, VariantNames)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ProviderAction {
    AcceptPeering {
        space: SpaceRef,
        pcx_id: PcxId,
    },
    DestroyPeering {
        space: SpaceRef,
        pcx_id: PcxId,
    },
    CreatePrivateLink {
        space: SpaceRef,
        addon: AddonName,
        accounts: Principals,
    },
    DestroyPrivateLink {
        space: SpaceRef,
        addon: AddonName,
    },
    AddAccounts {
        space: SpaceRef,
        addon: AddonName,
        accounts: Principals,
    },
    RemoveAccounts {
        space: SpaceRef,
        addon: AddonName,
        accounts: Principals,
    },
    /// Shows an endpoint's unmasked connection URL to the caller.
    RevealUrl {
        space: SpaceRef,
        addon: AddonName,
        endpoint: EndpointId,
    },
}

/// What changes the console's users and their sessions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, VariantNames)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum UserAction {
    /// A new user with a one-time password the console makes and shows once.
    InviteUser {
        name: UserName,
        role: Role,
    },
    /// A new user with a password its maker chose (the command line), or
    /// one of the demo's ready-made users.
    AddUser {
        name: UserName,
        role: Role,
        demo: bool,
        #[serde(skip)]
        password: Secret,
    },
    SetRole {
        name: UserName,
        role: Role,
    },
    SetDisabled {
        name: UserName,
        disabled: bool,
    },
    /// A user's own password (after the current one was checked), or
    /// anyone's from the command line.
    SetPassword {
        name: UserName,
        #[serde(skip)]
        password: Secret,
    },
    /// Against the real provider, the demo's users must not exist.
    RemoveDemoUsers,
    /// A password checked and a session about to start; `None` names no
    /// user (the name typed matched nobody, and is not kept).
    SignIn {
        user: Option<UserName>,
        /// Where the sign-in came from, as the history says it.
        from: Option<String>,
    },
    SignOut {
        user: UserName,
    },
    /// A token for automation, shown once, and the service user it acts
    /// as, with `role` (operator unless an admin says more).
    CreateToken {
        name: UserName,
        role: Role,
        /// Days until it stops working.
        days: u32,
    },
    /// The token stops working at once; its service user stays disabled,
    /// so the history still names it.
    RevokeToken {
        name: UserName,
    },
    /// What the identity provider says of a person at their sign-in: who
    /// they are (its `sub`), the name they go by here, and the role their
    /// groups give (none: in no group that gives one). The console makes
    /// them at the first sign-in and sets their role at every one.
    ProviderSync {
        subject: String,
        name: UserName,
        role: Option<Role>,
        groups: Vec<String>,
    },
}

/// What changes the approval requests, the policy and the expected peers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, VariantNames)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ApprovalAction {
    /// Asks another person to approve `action`, saying why.
    RequestApproval {
        action: Box<Action>,
        reason: String,
    },
    /// Approves a request; with the last approval needed, its action runs.
    Approve {
        request: i64,
        #[serde(default)]
        comment: String,
    },
    Reject {
        request: i64,
        reason: String,
    },
    /// The requester takes their request back.
    Withdraw {
        request: i64,
    },
    /// The console marks a request nobody decided in time.
    ExpireApproval {
        request: i64,
    },
    SetPolicy {
        policy: Policy,
    },
    ExpectPeer {
        space: SpaceRef,
        peer: NewExpectedPeer,
    },
    ForgetPeer {
        id: i64,
    },
}

/// What changes where the console's notifications go.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, VariantNames)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum NotifyAction {
    /// A webhook destination; its signing secret is made by the change.
    AddWebhook {
        destination: NewDestination,
    },
    RemoveWebhook {
        id: i64,
    },
    /// Sends destination `id` a test event, through the outbox.
    TestWebhook {
        id: i64,
    },
}

/// What changes the standing of the audit history itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, VariantNames)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum AuditAction {
    /// An admin acknowledges the integrity alarm that says `finding`.
    AcknowledgeAlarm { finding: String },
}

macro_rules! parts {
    ($($part:ident($inner:ident)),* $(,)?) => {
        $(impl From<$inner> for Action {
            fn from(a: $inner) -> Self {
                Self::$part(a)
            }
        })*

        impl<'de> Deserialize<'de> for Action {
            /// Reads the kind first and hands the whole value to the part
            /// that has it, so a bad field is refused with that part's own
            /// message rather than "matched no part".
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                use serde::de::Error;
                let value = serde_json::Value::deserialize(d)?;
                let kind = value
                    .get("kind")
                    .and_then(serde_json::Value::as_str)
                    .ok_or_else(|| D::Error::missing_field("kind"))?;
                $(if $inner::VARIANTS.contains(&kind) {
                    return $inner::deserialize(value).map(Self::$part).map_err(D::Error::custom);
                })*
                Err(D::Error::unknown_variant(kind, &[]))
            }
        }

        impl Action {
            /// Every kind an action can have, as stored.
            pub fn kinds() -> impl Iterator<Item = &'static str> {
                std::iter::empty()$(.chain($inner::VARIANTS.iter().copied()))*
            }
        }
    };
}

parts!(
    Provider(ProviderAction),
    Users(UserAction),
    Approvals(ApprovalAction),
    Notifications(NotifyAction),
    Audit(AuditAction),
);

/// What the history names for a sign-in whose typed name matched no user.
pub const UNKNOWN_NAME: &str = "an unknown name";

impl Action {
    pub fn name(&self) -> AuditName {
        match self {
            Self::Provider(a) => a.name(),
            Self::Users(a) => a.name(),
            Self::Approvals(a) => a.name(),
            Self::Notifications(a) => a.name(),
            Self::Audit(AuditAction::AcknowledgeAlarm { .. }) => AuditName::AuditAcknowledge,
        }
    }

    /// Refuses, saying what is missing, unless `who` may do this. Anyone
    /// may set their own password.
    pub fn authorise(&self, who: &Caller) -> Result<(), AppError> {
        match (self, self.name().permission()) {
            (Self::Users(UserAction::SetPassword { name, .. }), _) if name.as_str() == who.name => {
                Ok(())
            }
            // Asking needs the role that could do it without the policy.
            (Self::Approvals(ApprovalAction::RequestApproval { action, .. }), _) => {
                action.authorise(who)
            }
            (
                Self::Approvals(ApprovalAction::Approve { .. } | ApprovalAction::Reject { .. }),
                _,
            ) if who.service => Err(AppError::Forbidden(crate::access::SERVICE_DECIDES.into())),
            (_, Some(p)) => who.require(p),
            (_, None) => Ok(()),
        }
    }

    /// The space the action is about, as it was named.
    pub fn space(&self) -> Option<&SpaceRef> {
        match self {
            Self::Provider(a) => Some(a.space()),
            Self::Approvals(ApprovalAction::ExpectPeer { space, .. }) => Some(space),
            Self::Approvals(ApprovalAction::RequestApproval { action, .. }) => action.space(),
            Self::Approvals(_) | Self::Users(_) | Self::Notifications(_) | Self::Audit(_) => None,
        }
    }

    /// What the action is about: a PCX ID, an add-on, a user.
    pub fn target(&self) -> String {
        match self {
            Self::Provider(a) => a.target(),
            Self::Users(a) => a.target(),
            Self::Approvals(a) => a.target(),
            Self::Notifications(a) => a.target(),
            Self::Audit(AuditAction::AcknowledgeAlarm { .. }) => "audit history".into(),
        }
    }

    /// What else the history should say about it, if anything.
    pub fn detail(&self) -> Option<String> {
        match self {
            Self::Provider(a) => a.detail(),
            Self::Users(a) => a.detail(),
            Self::Approvals(a) => a.detail(),
            Self::Notifications(a) => a.detail(),
            Self::Audit(AuditAction::AcknowledgeAlarm { finding }) => Some(finding.clone()),
        }
    }
}

impl ProviderAction {
    pub fn name(&self) -> AuditName {
        match self {
            Self::AcceptPeering { .. } => AuditName::PeeringAccept,
            Self::DestroyPeering { .. } => AuditName::PeeringDestroy,
            Self::CreatePrivateLink { .. } => AuditName::PrivateLinkCreate,
            Self::DestroyPrivateLink { .. } => AuditName::PrivateLinkDestroy,
            Self::AddAccounts { .. } => AuditName::PrivateLinkAccountAdd,
            Self::RemoveAccounts { .. } => AuditName::PrivateLinkAccountRemove,
            Self::RevealUrl { .. } => AuditName::PrivateLinkRevealUrl,
        }
    }

    pub fn space(&self) -> &SpaceRef {
        match self {
            Self::AcceptPeering { space, .. }
            | Self::DestroyPeering { space, .. }
            | Self::CreatePrivateLink { space, .. }
            | Self::DestroyPrivateLink { space, .. }
            | Self::AddAccounts { space, .. }
            | Self::RemoveAccounts { space, .. }
            | Self::RevealUrl { space, .. } => space,
        }
    }

    pub fn target(&self) -> String {
        match self {
            Self::AcceptPeering { pcx_id, .. } | Self::DestroyPeering { pcx_id, .. } => {
                pcx_id.to_string()
            }
            Self::CreatePrivateLink { addon, .. }
            | Self::DestroyPrivateLink { addon, .. }
            | Self::AddAccounts { addon, .. }
            | Self::RemoveAccounts { addon, .. }
            | Self::RevealUrl { addon, .. } => addon.to_string(),
        }
    }

    pub fn detail(&self) -> Option<String> {
        match self {
            Self::CreatePrivateLink { accounts, .. }
            | Self::AddAccounts { accounts, .. }
            | Self::RemoveAccounts { accounts, .. } => Some(accounts.to_string()),
            Self::RevealUrl { endpoint, .. } => Some(endpoint.to_string()),
            Self::AcceptPeering { .. }
            | Self::DestroyPeering { .. }
            | Self::DestroyPrivateLink { .. } => None,
        }
    }
}

impl UserAction {
    pub fn name(&self) -> AuditName {
        match self {
            Self::InviteUser { .. } => AuditName::UserInvite,
            Self::AddUser { .. } => AuditName::UserCreate,
            Self::SetRole { .. } => AuditName::UserRole,
            Self::SetDisabled { disabled: true, .. } => AuditName::UserDisable,
            Self::SetDisabled {
                disabled: false, ..
            } => AuditName::UserEnable,
            Self::SetPassword { .. } => AuditName::UserPassword,
            Self::RemoveDemoUsers => AuditName::UserDelete,
            Self::SignIn { .. } => AuditName::SignIn,
            Self::SignOut { .. } => AuditName::SignOut,
            Self::CreateToken { .. } => AuditName::TokenCreate,
            Self::RevokeToken { .. } => AuditName::TokenRevoke,
            Self::ProviderSync { .. } => AuditName::UserSync,
        }
    }

    pub fn target(&self) -> String {
        match self {
            Self::InviteUser { name, .. }
            | Self::AddUser { name, .. }
            | Self::SetRole { name, .. }
            | Self::SetDisabled { name, .. }
            | Self::SetPassword { name, .. }
            | Self::CreateToken { name, .. }
            | Self::RevokeToken { name }
            | Self::ProviderSync { name, .. }
            | Self::SignOut { user: name } => name.to_string(),
            Self::SignIn { user, .. } => user
                .as_ref()
                .map_or_else(|| UNKNOWN_NAME.to_string(), UserName::to_string),
            Self::RemoveDemoUsers => "demo-*".into(),
        }
    }

    pub fn detail(&self) -> Option<String> {
        match self {
            Self::InviteUser { role, .. } | Self::AddUser { role, .. } => {
                Some(format!("role {role}"))
            }
            Self::SetRole { role, .. } => Some(format!("to {role}")),
            Self::SetDisabled { disabled, .. } => {
                Some(if *disabled { "disabled" } else { "enabled" }.into())
            }
            Self::SignIn { from, .. } => from.clone(),
            Self::CreateToken { role, days, .. } => {
                Some(format!("role {role}, expires in {days} days"))
            }
            Self::ProviderSync {
                subject,
                role,
                groups,
                ..
            } => {
                let groups = if groups.is_empty() {
                    "no groups".to_string()
                } else {
                    format!("groups {}", groups.join(", "))
                };
                Some(match role {
                    Some(role) => format!("role {role} from {groups} (sub {subject})"),
                    None => format!("no role: {groups} give none (sub {subject})"),
                })
            }
            Self::SetPassword { .. }
            | Self::RemoveDemoUsers
            | Self::SignOut { .. }
            | Self::RevokeToken { .. } => None,
        }
    }
}

impl ApprovalAction {
    pub fn name(&self) -> AuditName {
        match self {
            Self::RequestApproval { .. } => AuditName::ApprovalRequest,
            Self::Approve { .. } => AuditName::ApprovalApprove,
            Self::Reject { .. } => AuditName::ApprovalReject,
            Self::Withdraw { .. } => AuditName::ApprovalWithdraw,
            Self::ExpireApproval { .. } => AuditName::ApprovalExpire,
            Self::SetPolicy { .. } => AuditName::PolicySet,
            Self::ExpectPeer { .. } => AuditName::PeerExpect,
            Self::ForgetPeer { .. } => AuditName::PeerForget,
        }
    }

    pub fn target(&self) -> String {
        match self {
            Self::RequestApproval { action, .. } => action.target(),
            Self::Approve { request, .. }
            | Self::Reject { request, .. }
            | Self::Withdraw { request }
            | Self::ExpireApproval { request } => format!("approval #{request}"),
            Self::SetPolicy { .. } => "approval policy".into(),
            Self::ExpectPeer { peer, .. } => format!("{} {}", peer.aws_account_id, peer.vpc_id),
            Self::ForgetPeer { id } => format!("expected peer #{id}"),
        }
    }

    pub fn detail(&self) -> Option<String> {
        match self {
            Self::RequestApproval { action, reason } => {
                Some(format!("{}: {reason}", action.name()))
            }
            Self::Approve { comment, .. } => (!comment.is_empty()).then(|| comment.clone()),
            Self::Reject { reason, .. } => Some(reason.clone()),
            Self::ExpectPeer { peer, .. } => Some(format!(
                "{} until {}: {}",
                peer.cidr, peer.valid_until, peer.note
            )),
            Self::Withdraw { .. }
            | Self::ExpireApproval { .. }
            | Self::SetPolicy { .. }
            | Self::ForgetPeer { .. } => None,
        }
    }
}

impl NotifyAction {
    pub fn name(&self) -> AuditName {
        match self {
            Self::AddWebhook { .. } => AuditName::WebhookAdd,
            Self::RemoveWebhook { .. } => AuditName::WebhookRemove,
            Self::TestWebhook { .. } => AuditName::WebhookTest,
        }
    }

    pub fn target(&self) -> String {
        match self {
            Self::AddWebhook { destination } => format!("webhook \"{}\"", destination.name),
            Self::RemoveWebhook { id } | Self::TestWebhook { id } => format!("webhook #{id}"),
        }
    }

    pub fn detail(&self) -> Option<String> {
        match self {
            Self::AddWebhook { destination: d } => Some(format!(
                "{} to {} ({})",
                d.format.as_str(),
                crate::notify::shown_url(&d.url),
                d.kinds
                    .iter()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            Self::RemoveWebhook { .. } | Self::TestWebhook { .. } => None,
        }
    }
}

/// What an executed action led to, by kind of action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Done {
    Peering(ActionResult),
    PrivateLink(DataActionResult),
    /// A revealed connection URL.
    Url(String),
    Invited(Invited),
    User(UserSummary),
    /// A webhook destination made, with its secret shown once.
    WebhookAdded(WebhookAdded),
    /// A token made, shown once.
    Token(crate::model::NewToken),
    /// A change that answers with a sentence only.
    Said(String),
    /// A change the policy held back, asked for instead: the sentence
    /// that says which request waits for whom.
    Asked(String),
}

/// An executor answered with a result of another kind than the action's:
/// a bug, told in general terms (the server logs what is internal).
fn mismatch(_: &Done) -> AppError {
    AppError::Internal
}

impl Done {
    pub fn peering(self) -> Result<ActionResult, AppError> {
        match self {
            Self::Peering(r) => Ok(r),
            other => Err(mismatch(&other)),
        }
    }

    pub fn privatelink(self) -> Result<DataActionResult, AppError> {
        match self {
            Self::PrivateLink(r) => Ok(r),
            other => Err(mismatch(&other)),
        }
    }

    pub fn url(self) -> Result<String, AppError> {
        match self {
            Self::Url(u) => Ok(u),
            other => Err(mismatch(&other)),
        }
    }

    pub fn invited(self) -> Result<Invited, AppError> {
        match self {
            Self::Invited(i) => Ok(i),
            other => Err(mismatch(&other)),
        }
    }

    pub fn token(self) -> Result<crate::model::NewToken, AppError> {
        match self {
            Self::Token(t) => Ok(t),
            other => Err(mismatch(&other)),
        }
    }

    pub fn user(self) -> Result<UserSummary, AppError> {
        match self {
            Self::User(u) => Ok(u),
            other => Err(mismatch(&other)),
        }
    }

    pub fn webhook_added(self) -> Result<WebhookAdded, AppError> {
        match self {
            Self::WebhookAdded(w) => Ok(w),
            other => Err(mismatch(&other)),
        }
    }

    /// The sentence that says what happened.
    pub fn said(&self) -> String {
        match self {
            Self::Peering(r) => r.message.clone(),
            Self::PrivateLink(r) => r.message.clone(),
            Self::Url(_) => "Revealed.".into(),
            Self::Invited(i) => format!("Invited {} as {}.", i.name, i.role),
            Self::User(u) => format!(
                "{} is now {}{}.",
                u.name,
                u.role,
                if u.disabled { ", disabled" } else { "" }
            ),
            Self::WebhookAdded(w) => format!("Added the webhook \"{}\".", w.name),
            Self::Token(t) => format!("Made the token {} ({}).", t.name, t.role),
            Self::Said(s) | Self::Asked(s) => s.clone(),
        }
    }
}

impl Done {
    /// What a change the policy may hold back answers: `done` of what it
    /// led to, or the request made of it.
    pub fn or_asked<T>(
        self,
        done: impl FnOnce(Self) -> Result<T, AppError>,
    ) -> Result<Answer<T>, AppError> {
        match self {
            Self::Asked(message) => Ok(Answer::Asked {
                message,
                asked: true,
            }),
            other => done(other).map(Answer::Done),
        }
    }
}

/// The answer of a server function whose change the policy may hold back:
/// what the change led to, or, held, the sentence that says a request for
/// approval was made of it (`asked` is always true, so a reader can tell).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answer<T> {
    Done(T),
    Asked { message: String, asked: bool },
}

/// A destroy's confirmation: the person typed the name of what goes.
pub fn confirmed(typed: &str, expected: &str, what: &str) -> Result<(), AppError> {
    if typed.trim() == expected {
        Ok(())
    } else {
        Err(AppError::Invalid(format!(
            "To destroy, type the {what} {expected} exactly; nothing was destroyed."
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_action_round_trips_as_json_without_its_password() {
        let a: Action = ProviderAction::AcceptPeering {
            space: "spaces-peering-example".parse().unwrap(),
            pcx_id: "pcx-111aaa111".parse().unwrap(),
        }
        .into();
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"accept_peering","space":"spaces-peering-example","pcx_id":"pcx-111aaa111"}"#
        );
        assert_eq!(serde_json::from_str::<Action>(&json).unwrap(), a);
        let p: Action = UserAction::SetPassword {
            name: "alice".parse().unwrap(),
            password: Secret::new("correct horse battery"),
        }
        .into();
        assert!(!serde_json::to_string(&p).unwrap().contains("horse"));
        // A stored action is parsed like any input: a bad id is refused.
        let bad = r#"{"kind":"accept_peering","space":"x y","pcx_id":"pcx-111aaa111"}"#;
        assert!(serde_json::from_str::<Action>(bad).is_err());
    }

    #[test]
    fn authorise_follows_the_permission() {
        let op = Caller {
            name: "olga".into(),
            role: Role::Operator,
            demo: false,
            service: false,
            via_provider: false,
        };
        let destroy: Action = ProviderAction::DestroyPeering {
            space: "spaces-peering-example".parse().unwrap(),
            pcx_id: "pcx-111aaa111".parse().unwrap(),
        }
        .into();
        assert_eq!(destroy.authorise(&op).unwrap_err().status_code(), 403);
        let own = Action::from(UserAction::SetPassword {
            name: "olga".parse().unwrap(),
            password: Secret::default(),
        });
        assert!(own.authorise(&op).is_ok());
        let other = Action::from(UserAction::SetPassword {
            name: "admin".parse().unwrap(),
            password: Secret::default(),
        });
        assert!(other.authorise(&op).is_err());
    }

    /// One stored action of every kind, as the history and the approval
    /// requests keep them. They must read back, and write again, byte for
    /// byte: records written before a change of shape stay readable.
    const STORED: &[&str] = &[
        r#"{"kind":"accept_peering","space":"spaces-peering-example","pcx_id":"pcx-111aaa111"}"#,
        r#"{"kind":"destroy_peering","space":"spaces-peering-example","pcx_id":"pcx-111aaa111"}"#,
        r#"{"kind":"create_private_link","space":"spaces-peering-example","addon":"postgresql-a","accounts":"123456789012:root"}"#,
        r#"{"kind":"destroy_private_link","space":"spaces-peering-example","addon":"postgresql-a"}"#,
        r#"{"kind":"add_accounts","space":"spaces-peering-example","addon":"postgresql-a","accounts":"123456789012:root"}"#,
        r#"{"kind":"remove_accounts","space":"spaces-peering-example","addon":"postgresql-a","accounts":"123456789012:root"}"#,
        r#"{"kind":"reveal_url","space":"spaces-peering-example","addon":"postgresql-a","endpoint":"vpce-0a1b2c3d4e5f60718"}"#,
        r#"{"kind":"invite_user","name":"alice","role":"operator"}"#,
        r#"{"kind":"add_user","name":"alice","role":"admin","demo":false}"#,
        r#"{"kind":"set_role","name":"alice","role":"viewer"}"#,
        r#"{"kind":"set_disabled","name":"alice","disabled":true}"#,
        r#"{"kind":"set_password","name":"alice"}"#,
        r#"{"kind":"remove_demo_users"}"#,
        r#"{"kind":"sign_in","user":null,"from":"10.0.0.1"}"#,
        r#"{"kind":"sign_out","user":"alice"}"#,
        r#"{"kind":"create_token","name":"ci-bot","role":"operator","days":90}"#,
        r#"{"kind":"revoke_token","name":"ci-bot"}"#,
        r#"{"kind":"provider_sync","subject":"u-1001","name":"alice","role":"admin","groups":["sp-admins"]}"#,
        r#"{"kind":"request_approval","action":{"kind":"destroy_peering","space":"spaces-peering-example","pcx_id":"pcx-111aaa111"},"reason":"gone"}"#,
        r#"{"kind":"approve","request":1,"comment":""}"#,
        r#"{"kind":"reject","request":1,"reason":"no"}"#,
        r#"{"kind":"withdraw","request":1}"#,
        r#"{"kind":"expire_approval","request":1}"#,
        r#"{"kind":"forget_peer","id":3}"#,
        r#"{"kind":"remove_webhook","id":2}"#,
        r#"{"kind":"test_webhook","id":2}"#,
        r#"{"kind":"acknowledge_alarm","finding":"the chain breaks at #4"}"#,
    ];

    #[test]
    fn stored_actions_read_back_and_write_again_byte_for_byte() {
        for json in STORED {
            let action: Action =
                serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"));
            assert_eq!(&serde_json::to_string(&action).unwrap(), json);
        }
    }

    #[test]
    fn every_kind_belongs_to_exactly_one_part() {
        let kinds: Vec<_> = Action::kinds().collect();
        let mut unique = kinds.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(
            kinds.len(),
            unique.len(),
            "a kind is in two parts: {kinds:?}"
        );
        // A kind with no stored example here is a kind whose JSON shape
        // nothing pins; the policy, expected peer and webhook kinds carry
        // values whose own tests pin them.
        let pinned = ["set_policy", "expect_peer", "add_webhook"];
        for kind in kinds {
            assert!(
                pinned.contains(&kind)
                    || STORED
                        .iter()
                        .any(|j| j.starts_with(&format!("{{\"kind\":\"{kind}\""))),
                "no stored example of {kind}"
            );
        }
    }

    #[test]
    fn an_unknown_kind_or_a_bad_field_is_refused_with_a_reason() {
        let unknown = serde_json::from_str::<Action>(r#"{"kind":"tag_peering"}"#).unwrap_err();
        assert!(unknown.to_string().contains("tag_peering"), "{unknown}");
        let bad = serde_json::from_str::<Action>(r#"{"kind":"forget_peer","id":"x"}"#).unwrap_err();
        assert!(bad.to_string().contains("invalid type"), "{bad}");
        assert!(serde_json::from_str::<Action>(r#"{"id":1}"#).is_err());
    }
}
