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
    let record = |action: &'static str, target: String, message: String| {
        let audit = &audit;
        async move {
            audit
                .record_done(ACTOR, action, &target, true, message, None)
                .await
        }
    };
    match args.action {
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
            record(
                "user.create",
                user.name.clone(),
                format!("Created {} as {role}.", user.name),
            )
            .await?;
            println!("Added {} ({role}).", user.name);
        }
        UserAction::Passwd { name } => {
            let password = read_password()?;
            let user = users.set_password(&name, &password, false).await?;
            record(
                "user.password",
                user.name.clone(),
                format!("Set the password of {}.", user.name),
            )
            .await?;
            println!("Set the password of {}.", user.name);
        }
        UserAction::Role { name, role } => {
            let role = parse_role(&role)?;
            let user = users.set_role(&name, role).await?;
            record(
                "user.role",
                user.name.clone(),
                format!("{} is now {role}.", user.name),
            )
            .await?;
            println!("{} is now {role}.", user.name);
        }
        UserAction::Disable { name } => {
            let user = users.set_disabled(&name, true).await?;
            record(
                "user.disable",
                user.name.clone(),
                format!("Disabled {}.", user.name),
            )
            .await?;
            println!("Disabled {}.", user.name);
        }
        UserAction::Enable { name } => {
            let user = users.set_disabled(&name, false).await?;
            record(
                "user.enable",
                user.name.clone(),
                format!("Enabled {}.", user.name),
            )
            .await?;
            println!("Enabled {}.", user.name);
        }
        UserAction::List => {
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
        }
    }
    Ok(())
}
