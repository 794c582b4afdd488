//! User management from the user admin page. Each change follows the same
//! rule as a provider action: the intent is committed to the audit history
//! first (no record, no change), then the change, then its outcome.

use super::{ServerConsole, audit_refused};
use crate::audit::Intent;
use crate::auth::password;
use crate::auth::users::{NewUser, User, UserError};
use app::access::Caller;
use app::console::parse_role;
use app::error::AppError;
use app::model::{Invited, UserSummary};

impl From<UserError> for AppError {
    fn from(e: UserError) -> Self {
        match e {
            UserError::NotFound(_) => AppError::NotFound(e.to_string()),
            UserError::Exists(_) | UserError::LastAdmin(_) => AppError::Conflict(e.to_string()),
            UserError::Invalid(m) => AppError::Invalid(m),
            UserError::Database(_) | UserError::Hash(_) => {
                tracing::error!(error = %e, "user change failed");
                AppError::Internal
            }
        }
    }
}

impl ServerConsole {
    /// Runs one user change inside the intent/outcome rule.
    async fn change_user<F>(
        &self,
        who: &Caller,
        action: &str,
        target: &str,
        detail: &str,
        change: F,
    ) -> Result<User, AppError>
    where
        F: std::future::Future<Output = Result<User, UserError>>,
    {
        let result = self
            .audit
            .audited(
                Intent::local(&who.name, action, target, Some(detail)),
                change,
                |u: &User| {
                    format!(
                        "{} is now {}{}.",
                        u.name,
                        u.role(),
                        if u.disabled { ", disabled" } else { "" }
                    )
                },
            )
            .await
            .map_err(audit_refused)?;
        Ok(result?)
    }

    pub(super) async fn list_users(&self) -> Result<Vec<UserSummary>, AppError> {
        Ok(self.users.list().await?.iter().map(User::summary).collect())
    }

    pub(super) async fn invite(
        &self,
        who: &Caller,
        name: &str,
        role: &str,
    ) -> Result<Invited, AppError> {
        let name = app::validate::user_name(name).map_err(AppError::Invalid)?;
        let role = parse_role(role)?;
        let password = password::random();
        let user = self
            .change_user(
                who,
                "user.invite",
                &name,
                &format!("role {role}"),
                self.users.create(NewUser {
                    name: &name,
                    role,
                    password: &password,
                    one_time: true,
                    demo: false,
                }),
            )
            .await?;
        Ok(Invited {
            name: user.name,
            role,
            password,
        })
    }

    pub(super) async fn change_role(
        &self,
        who: &Caller,
        name: &str,
        role: &str,
    ) -> Result<UserSummary, AppError> {
        let name = app::validate::user_name(name).map_err(AppError::Invalid)?;
        let role = parse_role(role)?;
        let user = self
            .change_user(
                who,
                "user.role",
                &name,
                &format!("to {role}"),
                self.users.set_role(&name, role),
            )
            .await?;
        Ok(user.summary())
    }

    pub(super) async fn change_disabled(
        &self,
        who: &Caller,
        name: &str,
        disabled: bool,
    ) -> Result<UserSummary, AppError> {
        let name = app::validate::user_name(name).map_err(AppError::Invalid)?;
        if disabled && name == who.name {
            return Err(AppError::Conflict(
                "You cannot disable yourself; ask another admin.".into(),
            ));
        }
        let (action, detail) = if disabled {
            ("user.disable", "disabled")
        } else {
            ("user.enable", "enabled")
        };
        let user = self
            .change_user(
                who,
                action,
                &name,
                detail,
                self.users.set_disabled(&name, disabled),
            )
            .await?;
        Ok(user.summary())
    }
}
