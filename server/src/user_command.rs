//! `spaceport user ...`: managing users from the command line, for the
//! first admin's colleagues and for automation. Every change is recorded in
//! the audit history with the actor `command line`.

use crate::audit::AuditLog;
use crate::auth::users::{NewUser, UserError, Users};
use crate::config::{UserAction, UserArgs};
use app::access::Role;
use std::io::{BufRead, IsTerminal};

const ACTOR: &str = "command line";

#[derive(Debug, thiserror::Error)]
pub enum UserCommandError {
    #[error(transparent)]
    Users(#[from] UserError),
    #[error(transparent)]
    Audit(#[from] crate::audit::AuditError),
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

fn parse_role(role: &str) -> Result<Role, UserCommandError> {
    role.parse().map_err(UserCommandError::Input)
}

pub async fn run(args: UserArgs) -> Result<(), UserCommandError> {
    let audit = AuditLog::open(&args.database).await?;
    let users = Users::new(audit.pool().clone());
    // Each change says what it did; that sentence is both the audit
    // record's message and what is printed.
    let (action, target, message) = match args.action {
        UserAction::Add { name, role } => {
            let role = parse_role(&role)?;
            let name = app::validate::user_name(&name).map_err(UserCommandError::Input)?;
            if users.by_name(&name).await?.is_some() {
                return Err(UserError::Exists(name).into());
            }
            let password = read_password()?;
            let user = users
                .create(NewUser {
                    name: &name,
                    role,
                    password: &password,
                    one_time: false,
                    demo: false,
                })
                .await?;
            let message = format!("Added {} as {role}.", user.name);
            ("user.create", user.name, message)
        }
        UserAction::Passwd { name } => {
            let password = read_password()?;
            let user = users.set_password(&name, &password, false).await?;
            let message = format!("Set the password of {}.", user.name);
            ("user.password", user.name, message)
        }
        UserAction::Role { name, role } => {
            let role = parse_role(&role)?;
            let user = users.set_role(&name, role).await?;
            let message = format!("{} is now {role}.", user.name);
            ("user.role", user.name, message)
        }
        UserAction::Disable { name } => {
            let user = users.set_disabled(&name, true).await?;
            let message = format!("Disabled {}.", user.name);
            ("user.disable", user.name, message)
        }
        UserAction::Enable { name } => {
            let user = users.set_disabled(&name, false).await?;
            let message = format!("Enabled {}.", user.name);
            ("user.enable", user.name, message)
        }
        UserAction::List => {
            print_users(&users).await?;
            return Ok(());
        }
    };
    audit
        .record_done(ACTOR, action, &target, true, message.clone(), None)
        .await?;
    println!("{message}");
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
