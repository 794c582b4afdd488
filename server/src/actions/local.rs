//! The arms of the executor for the console's own data: users, passwords,
//! sign-ins. Each check reads the users table as it is now; each change is
//! one statement on it.

use super::{Changed, Checked};
use crate::users::password;
use crate::users::{Granted, NewUser, User, UserError, Users};
use domain::access::Caller;
use domain::action::{Done, UserAction};
use domain::error::AppError;
use domain::ids::Secret;
use domain::model::{Invited, NewToken};

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

fn new_password(p: &Secret) -> Result<(), AppError> {
    domain::validate::new_password(p.expose())
        .map(|_| ())
        .map_err(AppError::Invalid)
}

/// The longest a token may last: a year. One that never expires is the
/// kind that turns up in an old CI log years later and still works.
pub const MAX_TOKEN_DAYS: u32 = 366;

/// Refuses what the users table already says cannot be done.
pub async fn check(users: &Users, who: &Caller, action: &UserAction) -> Result<Checked, AppError> {
    let new_name = match action {
        UserAction::InviteUser { name, .. }
        | UserAction::AddUser { name, .. }
        | UserAction::CreateToken { name, .. } => Some(name),
        UserAction::RevokeToken { .. }
        | UserAction::ProviderSync { .. }
        | UserAction::SetRole { .. }
        | UserAction::SetDisabled { .. }
        | UserAction::SetPassword { .. }
        | UserAction::RemoveDemoUsers
        | UserAction::SignIn { .. }
        | UserAction::SignOut { .. } => None,
    };
    if let Some(name) = new_name {
        domain::validate::new_user_name(name.as_str()).map_err(AppError::Invalid)?;
        if users.by_name(name.as_str()).await?.is_some() {
            return Err(UserError::Exists(name.to_string()).into());
        }
    }
    if let UserAction::SetDisabled {
        name,
        disabled: true,
    } = action
        && name.as_str() == who.name
    {
        return Err(AppError::Conflict(
            "You cannot disable yourself; ask another admin.".into(),
        ));
    }
    if let UserAction::AddUser { password, .. } | UserAction::SetPassword { password, .. } = action
    {
        new_password(password)?;
    }
    if let UserAction::CreateToken { days, .. } = action
        && !(1..=MAX_TOKEN_DAYS).contains(days)
    {
        return Err(AppError::Invalid(format!(
            "A token lasts from 1 to {MAX_TOKEN_DAYS} days; {days} is outside that."
        )));
    }
    // A person is disabled, not revoked; the store says so too, but the
    // check answers before anything is recorded as attempted.
    if let UserAction::RevokeToken { name } = action {
        match users.by_name(name.as_str()).await? {
            None => return Err(UserError::NotFound(name.to_string()).into()),
            Some(u) if !u.service() => {
                return Err(AppError::Invalid(format!(
                    "\"{}\" is a person, not a token; disable them instead.",
                    u.name
                )));
            }
            Some(_) => {}
        }
    }
    Ok(Checked::local(action.detail()))
}

/// "alice is now operator, disabled."
fn now_is(u: &User) -> String {
    format!(
        "{} is now {}{}.",
        u.name,
        u.role(),
        if u.disabled { ", disabled" } else { "" }
    )
}

/// A user change's result, `said` of the user as they now are, or the
/// refusal.
fn user_changed(
    r: Result<User, UserError>,
    said: impl FnOnce(&User) -> String,
    done: impl FnOnce(&User) -> Done,
) -> Changed {
    match r {
        Ok(u) => Changed::ok(done(&u), said(&u)),
        Err(e) => Changed::failed(e.into()),
    }
}

/// Makes the one local change the action is; `granted` says who asked
/// for it (and who approved it), as the user's grants will keep it.
pub async fn change(users: &Users, action: &UserAction, granted: Granted<'_>) -> Changed {
    match action {
        UserAction::InviteUser { name, role } => {
            let password = Secret::new(password::random());
            let made = users
                .create(NewUser {
                    name,
                    role: *role,
                    password: &password,
                    one_time: true,
                    demo: false,
                    granted,
                })
                .await;
            let said = |u: &User| format!("Invited {} as {role} with a one-time password.", u.name);
            user_changed(made, said, |u| {
                Done::Invited(Invited {
                    name: u.name.clone(),
                    role: *role,
                    password: password.expose().to_string(),
                    message: format!(
                        "Invited {} as {role}. Their one-time password, shown only now:",
                        u.name
                    ),
                })
            })
        }
        UserAction::AddUser {
            name,
            role,
            demo,
            password,
        } => {
            let made = users
                .create(NewUser {
                    name,
                    role: *role,
                    password,
                    one_time: false,
                    demo: *demo,
                    granted,
                })
                .await;
            let said = |u: &User| {
                let demo = if *demo {
                    " (a demo user: simulated provider only)"
                } else {
                    ""
                };
                format!("Added {} as {role}{demo}.", u.name)
            };
            user_changed(made, said, |u| Done::Said(said(u)))
        }
        UserAction::SetRole { name, role } => {
            user_changed(users.set_role(name, *role, granted).await, now_is, |u| {
                Done::User(u.summary())
            })
        }
        UserAction::SetDisabled { name, disabled } => user_changed(
            users.set_disabled(name, *disabled, granted).await,
            now_is,
            |u| Done::User(u.summary()),
        ),
        UserAction::SetPassword { name, password } => {
            match users.set_password(name, password, false).await {
                Ok(u) => {
                    let said = format!("Set the password of {}.", u.name);
                    Changed::ok(Done::Said(said.clone()), said)
                }
                Err(e) => Changed::failed(e.into()),
            }
        }
        UserAction::RemoveDemoUsers => match users.delete_demo().await {
            Ok(n) => {
                let said =
                    format!("Removed {n} demo users: this console runs against the real provider.");
                Changed::ok(Done::Said(said.clone()), said)
            }
            Err(e) => Changed::failed(e.into()),
        },
        UserAction::SignIn {
            user: Some(name), ..
        } => {
            let signed = match users.by_name(name.as_str()).await {
                Ok(Some(u)) => users.record_sign_in(u.id).await.map(|()| u),
                Ok(None) => Err(UserError::NotFound(name.to_string())),
                Err(e) => Err(e),
            };
            match signed {
                Ok(u) => {
                    let said = format!("Signed in as {}.", u.role());
                    Changed::ok(Done::Said(said.clone()), said)
                }
                Err(e) => Changed::failed(e.into()),
            }
        }
        UserAction::SignOut { .. } => {
            Changed::ok(Done::Said("Signed out.".into()), "Signed out.".into())
        }
        UserAction::CreateToken { name, role, days } => {
            match users.create_service(name, *role, *days, granted).await {
                Ok((u, token, expires_at)) => {
                    let said =
                        format!("Made the token {} ({role}), expiring {expires_at}.", u.name);
                    Changed::ok(
                        Done::Token(NewToken {
                            name: u.name.clone(),
                            role: *role,
                            token,
                            expires_at: expires_at.clone(),
                            message: format!(
                                "Made the token {} ({role}), expiring {expires_at}. Copy it \
                                 now: it is shown only this once.",
                                u.name
                            ),
                        }),
                        said,
                    )
                }
                Err(e) => Changed::failed(e.into()),
            }
        }
        UserAction::ProviderSync {
            subject,
            name,
            role,
            ..
        } => match users
            .sync_from_provider(subject, name, *role, granted)
            .await
        {
            Ok(said) => Changed::ok(Done::Said(said.clone()), said),
            Err(e) => Changed::failed(e.into()),
        },
        UserAction::RevokeToken { name } => user_changed(
            users.revoke_token(name, granted.by).await,
            |u| format!("Revoked the token {}; it no longer works.", u.name),
            |u| Done::Said(format!("Revoked the token {}; it no longer works.", u.name)),
        ),
        // A sign-in that names nobody is only ever recorded as refused
        // (`Executor::record_refused`), never run.
        UserAction::SignIn { user: None, .. } => {
            tracing::error!("a sign-in naming no user was run");
            Changed::failed(AppError::Internal)
        }
    }
}
