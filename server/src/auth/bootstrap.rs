//! Users at start-up: the first admin of a new console, and the demo's
//! ready-made users, which exist only while the provider is the simulator.

use super::password;
use super::users::{NewUser, UserError, Users};
use crate::audit::{AuditLog, Intent};
use app::access::Role;

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
    Users(#[from] UserError),
    #[error(transparent)]
    Audit(#[from] crate::audit::AuditError),
}

/// With no users yet, makes `admin` with a random one-time password.
pub async fn first_admin(users: &Users, audit: &AuditLog) -> Result<Option<Made>, BootstrapError> {
    if users.count_real().await? > 0 {
        return Ok(None);
    }
    let pw = password::random();
    // Intent first: an admin made without a record (and so without its
    // password printed, as start-up would stop) would lock the console.
    let user = audit
        .audited(
            Intent::local(SYSTEM_ACTOR, "user.create", "admin", Some("role admin")),
            users.create(NewUser {
                name: "admin",
                role: Role::Admin,
                password: &pw,
                one_time: true,
                demo: false,
            }),
            |_| "First start: created the first admin with a one-time password.".into(),
        )
        .await??;
    Ok(Some(Made {
        name: user.name,
        role: Role::Admin,
        password: pw,
    }))
}

/// The demo's users, one per role, each with a fresh random password on
/// every start (printed), so a demo left running is not open to anyone
/// who reads the README.
pub async fn demo_users(users: &Users, audit: &AuditLog) -> Result<Vec<Made>, BootstrapError> {
    let mut made = Vec::new();
    for role in Role::ALL {
        let name = format!("demo-{role}");
        let pw = password::random();
        match users.by_name(&name).await? {
            Some(u) if u.demo => {
                users.set_password(&name, &pw, false).await?;
            }
            // A real user took the name; leave them alone.
            Some(_) => continue,
            None => {
                let detail = format!("role {role}");
                audit
                    .audited(
                        Intent::local(SYSTEM_ACTOR, "user.create", &name, Some(&detail)),
                        users.create(NewUser {
                            name: &name,
                            role,
                            password: &pw,
                            one_time: false,
                            demo: true,
                        }),
                        |_| "Created a demo user (simulated provider only).".into(),
                    )
                    .await??;
            }
        }
        made.push(Made {
            name,
            role,
            password: pw,
        });
    }
    Ok(made)
}

/// Against the real provider, the demo's users must not exist.
pub async fn remove_demo_users(users: &Users, audit: &AuditLog) -> Result<u64, BootstrapError> {
    let n = users.delete_demo().await?;
    if n > 0 {
        audit
            .record_done(
                SYSTEM_ACTOR,
                "user.delete",
                "demo-*",
                true,
                format!("Removed {n} demo users: this console runs against the real provider."),
                None,
            )
            .await?;
    }
    Ok(n)
}
