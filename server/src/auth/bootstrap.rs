//! Users at start-up: the first admin of a new console, and the demo's
//! ready-made users, which exist only while the provider is the simulator.
//! Each is an action through the executor, recorded before it is made.

use crate::actions::Executor;
use crate::users::password;
use domain::access::{Caller, Role};
use domain::action::{Done, UserAction};
use domain::error::AppError;
use domain::ids::{Secret, UserName};

/// The actor the history names for what the console does by itself.
pub const SYSTEM_ACTOR: &str = "spaceport";

/// A user made at start-up, whose password is printed once.
pub struct Made {
    pub name: String,
    pub role: Role,
    pub password: String,
}

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error(transparent)]
    Users(#[from] crate::users::UserError),
    #[error("{0}")]
    Action(#[from] AppError),
}

fn name(s: &str) -> Result<UserName, AppError> {
    s.parse().map_err(AppError::Invalid)
}

/// With no users yet, makes `admin` with a random one-time password.
pub async fn first_admin(executor: &Executor) -> Result<Option<Made>, BootstrapError> {
    if executor.users().count_real().await? > 0 {
        return Ok(None);
    }
    // Intent first: an admin made without a record (and so without its
    // password printed, as start-up would stop) would lock the console.
    let done = executor
        .run_local(
            &Caller::system(SYSTEM_ACTOR),
            &UserAction::InviteUser {
                name: name("admin")?,
                role: Role::Admin,
            }
            .into(),
        )
        .await?;
    let invited = done.invited()?;
    Ok(Some(Made {
        name: invited.name,
        role: Role::Admin,
        password: invited.password,
    }))
}

/// The demo's users, one per role, each with a fresh random password on
/// every start (printed), so a demo left running is not open to anyone
/// who reads the README.
pub async fn demo_users(executor: &Executor) -> Result<Vec<Made>, BootstrapError> {
    let system = Caller::system(SYSTEM_ACTOR);
    let mut made = Vec::new();
    for role in Role::ALL {
        let name = name(&format!("demo-{role}"))?;
        let password = Secret::new(password::random());
        let action = match executor.users().by_name(name.as_str()).await? {
            Some(u) if u.demo => UserAction::SetPassword {
                name: name.clone(),
                password: password.clone(),
            },
            // A real user took the name; leave them alone.
            Some(_) => continue,
            None => UserAction::AddUser {
                name: name.clone(),
                role,
                demo: true,
                password: password.clone(),
            },
        };
        let _: Done = executor.run_local(&system, &action.into()).await?;
        made.push(Made {
            name: name.to_string(),
            role,
            password: password.expose().to_string(),
        });
    }
    Ok(made)
}

/// Against the real provider, the demo's users must not exist.
pub async fn remove_demo_users(executor: &Executor) -> Result<i64, BootstrapError> {
    let n = executor.users().count_demo().await?;
    if n > 0 {
        executor
            .run_local(
                &Caller::system(SYSTEM_ACTOR),
                &UserAction::RemoveDemoUsers.into(),
            )
            .await?;
    }
    Ok(n)
}
