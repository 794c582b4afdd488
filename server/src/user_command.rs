//! `spaceport user ...`: managing users from the command line, for the
//! first admin's colleagues and for automation. Every change is recorded in
//! the audit history with the actor `command line`.

use crate::actions::Executor;
use crate::audit::AuditLog;
use crate::config::FileArgs;
use crate::config::{UserAction, UserArgs};
use crate::users::{UserError, Users};
use domain::access::{Caller, Role};
use domain::action::UserAction as Change;
use domain::error::AppError;
use domain::ids::{Secret, UserName};
use std::io::{BufRead, IsTerminal};
use std::sync::Arc;

/// The actor the history names for these changes.
pub const ACTOR: &str = "command line";

#[derive(Debug, thiserror::Error)]
pub enum UserCommandError {
    #[error(transparent)]
    Users(#[from] UserError),
    #[error(transparent)]
    Audit(#[from] crate::audit::AuditError),
    #[error("{0}")]
    Refused(#[from] AppError),
    #[error("{0}")]
    Input(String),
}

/// The new password: asked twice without echo on a terminal, otherwise
/// the first line of standard input (so `printf '%s\n' "$PW" | spaceport
/// user add ...` works in a script).
fn read_password() -> Result<String, UserCommandError> {
    let input =
        |e: std::io::Error| UserCommandError::Input(format!("cannot read the password: {e}"));
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("New password: ").map_err(input)?;
        let again = rpassword::prompt_password("Again: ").map_err(input)?;
        if first != again {
            return Err(UserCommandError::Input(
                "The two passwords differ; nothing was changed.".into(),
            ));
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(input)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// A name or role as typed, parsed as the server functions parse theirs.
fn parsed<T: std::str::FromStr<Err = String>>(s: &str) -> Result<T, UserCommandError> {
    s.parse().map_err(UserCommandError::Input)
}

/// The executor over the console's database, with its own key: what the
/// command line's changes go through, chained onto the console's history.
pub async fn open_executor(files: &FileArgs) -> Result<Executor, UserCommandError> {
    let (key, _) = crate::audit::key::AuditKey::resolve_for(
        files.audit_key_file.as_deref(),
        &files.location(),
        true,
    )
    .map_err(crate::audit::AuditError::from)?;
    let pool = crate::db::open(&files.location())
        .await
        .map_err(crate::audit::AuditError::from)?;
    let audit = Arc::new(AuditLog::new(pool, Arc::new(key)).await?);
    let users = Arc::new(Users::new(audit.db().clone()));
    Ok(Executor::new(audit, users))
}

/// Closes the command's database, once its work is done whatever the
/// outcome: its connections end before the process does, so SQLite
/// finishes with the file (checkpointing the WAL when no console has it
/// open) rather than leaving that to the next one to open it.
pub async fn close(executor: &Executor) {
    executor.audit().db().close().await;
}

pub async fn run(args: UserArgs) -> Result<(), UserCommandError> {
    let executor = open_executor(&args.files).await?;
    let done = act(&executor, args.action).await;
    close(&executor).await;
    done
}

async fn act(executor: &Executor, action: UserAction) -> Result<(), UserCommandError> {
    let users = executor.users().clone();
    let action = match action {
        UserAction::Add { name, role } => {
            let name: UserName = parsed(&name)?;
            let role: Role = parsed(&role)?;
            // Said before the password is asked for, not after.
            if users.by_name(name.as_str()).await?.is_some() {
                return Err(UserError::Exists(name.to_string()).into());
            }
            Change::AddUser {
                name,
                role,
                demo: false,
                password: Secret::new(read_password()?),
            }
        }
        UserAction::Passwd { name } => Change::SetPassword {
            name: parsed(&name)?,
            password: Secret::new(read_password()?),
        },
        UserAction::Role { name, role } => Change::SetRole {
            name: parsed(&name)?,
            role: parsed(&role)?,
        },
        UserAction::Disable { name } => Change::SetDisabled {
            name: parsed(&name)?,
            disabled: true,
        },
        UserAction::Enable { name } => Change::SetDisabled {
            name: parsed(&name)?,
            disabled: false,
        },
        UserAction::List => {
            print_users(&users).await?;
            return Ok(());
        }
    };
    // Through the executor like any change: recorded before it is made.
    let done = executor
        .run_local(&Caller::system(ACTOR), &action.into())
        .await?;
    println!("{}", done.said());
    Ok(())
}

async fn print_users(users: &Users) -> Result<(), UserCommandError> {
    println!("{:<32} {:<9} {:<9} LAST SIGN-IN", "NAME", "ROLE", "STATUS");
    for u in users.list().await? {
        let status = match (u.disabled, u.must_change_password, u.demo) {
            (true, _, _) => "disabled",
            (_, _, true) => "demo",
            (_, true, _) => "invited",
            _ => "active",
        };
        println!(
            "{:<32} {:<9} {:<9} {}",
            u.name,
            u.role().as_str(),
            status,
            u.last_sign_in.as_deref().unwrap_or("never")
        );
    }
    Ok(())
}
