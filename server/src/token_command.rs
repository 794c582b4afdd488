//! `spaceport token ...`: tokens for automation from the command line.
//! Making and revoking one is recorded like any change, with the actor
//! `command line`; a scan reads files only.

use crate::config::{TokenAction, TokenArgs};
use crate::user_command::{ACTOR, UserCommandError, close, open_executor};
use crate::users::tokens;
use domain::access::{Caller, Role};
use domain::action::UserAction as Change;
use std::io::Read;
use std::path::Path;

/// `Ok(false)` when a scan found a token.
pub async fn run(args: TokenArgs) -> Result<bool, UserCommandError> {
    if let TokenAction::Scan { paths } = &args.action {
        return scan(paths);
    }
    let executor = open_executor(&args.files).await?;
    let done = act(&executor, args.action).await;
    close(&executor).await;
    done
}

async fn act(
    executor: &crate::actions::Executor,
    action: TokenAction,
) -> Result<bool, UserCommandError> {
    let who = Caller::system(ACTOR);
    let change = match action {
        TokenAction::Create {
            name,
            role,
            expires,
        } => Change::CreateToken {
            name: name.parse().map_err(UserCommandError::Input)?,
            role: role.parse::<Role>().map_err(UserCommandError::Input)?,
            days: expires,
        },
        TokenAction::Revoke { name } => Change::RevokeToken {
            name: name.parse().map_err(UserCommandError::Input)?,
        },
        TokenAction::List => {
            println!(
                "{:<32} {:<9} {:<8} {:<21} {:<21} LAST USED",
                "NAME", "ROLE", "TOKEN", "STATE", "EXPIRES"
            );
            for t in executor.users().tokens().await? {
                let state = match (&t.revoked_at, t.expired) {
                    (Some(_), _) => "revoked",
                    (None, true) => "expired",
                    (None, false) => "active",
                };
                println!(
                    "{:<32} {:<9} {:<8} {:<21} {:<21} {}",
                    t.name,
                    t.role.as_str(),
                    format!("…{}", t.hint),
                    state,
                    t.expires_at,
                    t.last_used_at.as_deref().unwrap_or("never")
                );
            }
            return Ok(true);
        }
        TokenAction::Scan { paths } => return scan(&paths),
    };
    let done = executor.run_local(&who, &change.into()).await?;
    match done {
        domain::action::Done::Token(t) => {
            // The token alone on standard output, so `$(spaceport token
            // create ...)` holds it; what it is, on standard error.
            eprintln!("{}", t.message);
            println!("{}", t.token);
        }
        other => println!("{}", other.said()),
    }
    Ok(true)
}

/// Prints every token found under `paths` (or in standard input);
/// `Ok(false)` when any was.
fn scan(paths: &[std::path::PathBuf]) -> Result<bool, UserCommandError> {
    let mut found = 0;
    let mut report = |name: &str, text: &str| {
        for f in tokens::scan(text) {
            found += 1;
            println!(
                "{name}:{}:{}: a Spaceport token ({}); revoke it: spaceport token list, then \
                 spaceport token revoke NAME",
                f.line, f.column, f.masked
            );
        }
    };
    if paths.is_empty() {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| UserCommandError::Input(format!("cannot read standard input: {e}")))?;
        report("<stdin>", &text);
    }
    for path in paths {
        walk(path, &mut report)?;
    }
    Ok(found == 0)
}

/// Calls `each` with every file's text under `path` (binary files too,
/// read lossily: a token in a build artefact is still leaked).
fn walk(path: &Path, each: &mut impl FnMut(&str, &str)) -> Result<(), UserCommandError> {
    let unreadable =
        |e: std::io::Error| UserCommandError::Input(format!("cannot read {}: {e}", path.display()));
    let meta = std::fs::symlink_metadata(path).map_err(unreadable)?;
    if meta.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(path)
            .map_err(unreadable)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        entries.sort();
        for entry in entries {
            walk(&entry, each)?;
        }
    } else if meta.is_file() {
        let bytes = std::fs::read(path).map_err(unreadable)?;
        each(
            &path.display().to_string(),
            &String::from_utf8_lossy(&bytes),
        );
    }
    Ok(())
}
