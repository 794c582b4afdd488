//! Who is at the screen, for the pages being rendered: the signed-in
//! caller and why a page is refused to them, put in the reactive context
//! by the server for each page (the pages render there only).

use domain::access::{Caller, Permission};

/// The caller of the page being rendered. `None` on the sign-in page.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Me(pub Option<Caller>);

impl Me {
    pub fn can(&self, p: Permission) -> bool {
        self.0.as_ref().is_some_and(|c| c.can(p))
    }
}

/// Why the page asked for is not shown to this caller (a role it needs,
/// or pages asked for too fast), set by the server's gate: the console's
/// layout shows this instead of the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRefused(pub String);

/// What the UI uses: can the person at the screen do `p`?
pub fn i_can(p: Permission) -> bool {
    leptos::prelude::use_context::<Me>().is_some_and(|me| me.can(p))
}

/// How people sign in to this console, for the sign-in page; set by the
/// server from its configuration.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SignInOptions {
    /// "Sign in with NAME", when an identity provider is configured.
    pub provider: Option<String>,
    pub passwords: Passwords,
}

/// Who signs in with a password this console keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Passwords {
    #[default]
    All,
    /// Only named break-glass admins.
    BreakGlass,
    Off,
}
