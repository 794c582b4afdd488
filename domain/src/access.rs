//! Who may do what: roles, the permissions each holds, and the caller an
//! action is done for, with the words a refusal says. What each server
//! function and page needs is `rules`, one layer up.

use crate::error::AppError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A user's role; each one can do everything the one before it can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "&'static str")]
pub enum Role {
    Viewer,
    Operator,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Operator, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Operator => "operator",
            Self::Admin => "admin",
        }
    }

    pub fn can(self, p: Permission) -> bool {
        self >= p.least_role()
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<Role> for &'static str {
    fn from(r: Role) -> Self {
        r.as_str()
    }
}

impl TryFrom<String> for Role {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "viewer" => Ok(Self::Viewer),
            "operator" => Ok(Self::Operator),
            "admin" => Ok(Self::Admin),
            other => Err(format!(
                "\"{other}\" is not a role; use viewer, operator or admin."
            )),
        }
    }
}

/// Something a server function does that a role may or may not do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Permission {
    /// See spaces, peerings, PrivateLinks and the audit history.
    View,
    AcceptPeering,
    CreatePrivateLink,
    AddAccounts,
    DestroyPeering,
    DestroyPrivateLink,
    RemoveAccount,
    RevealUrl,
    ManageUsers,
    /// Acknowledge that the audit history's integrity alarm was seen.
    AcknowledgeAlarm,
    /// Ask for, approve, reject and withdraw approval requests (each one
    /// also needs the permission of the action it holds).
    Decide,
    /// Register and forget the peerings the team expects.
    ExpectPeers,
    /// Change the approval policy.
    ManagePolicy,
    /// See and change where notifications go (webhook URLs and secrets).
    ManageNotifications,
}

impl Permission {
    /// The least role that holds this permission.
    pub fn least_role(self) -> Role {
        match self {
            Self::View => Role::Viewer,
            Self::AcceptPeering
            | Self::CreatePrivateLink
            | Self::AddAccounts
            | Self::Decide
            | Self::ExpectPeers => Role::Operator,
            Self::DestroyPeering
            | Self::DestroyPrivateLink
            | Self::RemoveAccount
            | Self::RevealUrl
            | Self::ManageUsers
            | Self::AcknowledgeAlarm
            | Self::ManagePolicy
            | Self::ManageNotifications => Role::Admin,
        }
    }

    /// "accept peerings", for "Your role cannot accept peerings".
    pub fn describe(self) -> &'static str {
        match self {
            Self::View => "view this console",
            Self::AcceptPeering => "accept peerings",
            Self::CreatePrivateLink => "create PrivateLinks",
            Self::AddAccounts => "add allowed accounts",
            Self::DestroyPeering => "destroy peerings",
            Self::DestroyPrivateLink => "destroy PrivateLinks",
            Self::RemoveAccount => "remove allowed accounts",
            Self::RevealUrl => "reveal connection URLs",
            Self::ManageUsers => "manage users",
            Self::AcknowledgeAlarm => "acknowledge integrity alarms",
            Self::Decide => "ask for or decide approvals",
            Self::ExpectPeers => "register expected peers",
            Self::ManagePolicy => "change the approval policy",
            Self::ManageNotifications => "manage notifications",
        }
    }
}

/// The signed-in user a request is made by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caller {
    pub name: String,
    pub role: Role,
    /// One of the demo's ready-made users. Their passwords are printed at
    /// every start, so they manage no users: a demo admin must not be able
    /// to make a real one.
    #[serde(default)]
    pub demo: bool,
    /// A service user: automation acting through its token. It goes
    /// through the same gate and policy as a person, but it manages no
    /// users and decides no approval: a token someone made must never be
    /// the second pair of eyes, nor make itself more.
    #[serde(default)]
    pub service: bool,
    /// Signs in through the identity provider, which keeps their
    /// password: this console has none of theirs to change.
    #[serde(default)]
    pub via_provider: bool,
}

/// Why a demo user may not manage users.
pub const DEMO_REFUSAL: &str = "The demo's users cannot manage users; sign in as a user made with \
                                `spaceport user add`. Nothing was changed.";

/// Why a token may not manage users.
pub const SERVICE_REFUSAL: &str = "A token acts for automation, which cannot manage users; a \
                                   person who is an admin can. Nothing was changed.";

/// Why a token may not approve or reject.
pub const SERVICE_DECIDES: &str = "A token acts for automation, which may ask for approval but \
                                   never decide one: a person must. Nothing was changed.";

impl Caller {
    /// The console itself (start-up) or its command line: whoever can run
    /// those already holds the database file, so it acts as an admin. The
    /// name is what the history says.
    pub fn system(name: &str) -> Self {
        Self {
            name: name.into(),
            role: Role::Admin,
            demo: false,
            service: false,
            via_provider: false,
        }
    }

    pub fn can(&self, p: Permission) -> bool {
        self.role.can(p) && self.barred(p).is_none()
    }

    /// Why the caller may not do `p` though their role may, if so.
    fn barred(&self, p: Permission) -> Option<&'static str> {
        match p {
            Permission::ManageUsers if self.service => Some(SERVICE_REFUSAL),
            Permission::ManageUsers if self.demo => Some(DEMO_REFUSAL),
            _ => None,
        }
    }

    /// Refuses, with a message that says what is missing, unless the
    /// caller may do `p`.
    pub fn require(&self, p: Permission) -> Result<(), AppError> {
        if self.can(p) {
            Ok(())
        } else {
            Err(AppError::Forbidden(self.refusal(p)))
        }
    }

    /// What a page that needs `p` says to this caller, who lacks it: who
    /// it is for, and what to do.
    pub fn page_refusal(&self, p: Permission) -> String {
        if let Some(why) = self.barred(p) {
            return why.into();
        }
        let who = match p.least_role() {
            Role::Admin => "admins",
            _ => "operators and admins",
        };
        format!(
            "This page is where {who} {}; your role ({}) cannot. If you need it, ask an admin \
             to change your role.",
            p.describe(),
            self.role
        )
    }

    /// What a refusal of `p` says to this caller.
    pub fn refusal(&self, p: Permission) -> String {
        match self.barred(p) {
            Some(why) => why.to_string(),
            None => refusal(self.role, p),
        }
    }
}

/// "Your role (viewer) cannot accept peerings; an operator or admin can."
pub fn refusal(role: Role, p: Permission) -> String {
    let who = match p.least_role() {
        Role::Admin => "an admin",
        _ => "an operator or admin",
    };
    format!(
        "Your role ({role}) cannot {}; {who} can. Nothing was changed.",
        p.describe()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_and_parse() {
        assert!(Role::Admin.can(Permission::DestroyPeering));
        assert!(!Role::Operator.can(Permission::DestroyPeering));
        assert!(Role::Operator.can(Permission::AcceptPeering));
        assert!(!Role::Viewer.can(Permission::AcceptPeering));
        assert!(Role::Viewer.can(Permission::View));
        assert_eq!("Admin".parse::<Role>(), Ok(Role::Admin));
        assert!("root".parse::<Role>().unwrap_err().contains("not a role"));
    }

    #[test]
    fn a_refusal_says_who_can() {
        let m = refusal(Role::Viewer, Permission::AcceptPeering);
        assert!(
            m.contains("viewer") && m.contains("operator or admin"),
            "{m}"
        );
        let m = refusal(Role::Operator, Permission::DestroyPeering);
        assert!(m.contains("an admin can"), "{m}");
    }
}
