//! `spaceport backup FILE`: a consistent copy of the console's database,
//! taken while it runs, and checked. SQLite's `VACUUM INTO` writes the copy
//! from one read transaction, so it is a snapshot however busy the console
//! is; then the copy's audit history is verified with the console's key,
//! so a backup that could not be trusted says so when it is made.

use crate::audit::key::{AuditKey, KeyError};
use crate::audit_command::{AuditCommandError, verify};
use crate::config::BackupArgs;
use std::sync::Arc;

/// `Ok(true)` when the copy was made and its history holds.
pub async fn run(args: BackupArgs) -> Result<bool, AuditCommandError> {
    let (database, key_file) = (&args.files.database, args.files.audit_key_file.as_deref());
    if args.file.exists() {
        return Err(AuditCommandError::Usage(format!(
            "{} exists already; a backup never overwrites a file. Name a new one.",
            args.file.display()
        )));
    }
    let target = args.file.to_str().ok_or_else(|| {
        AuditCommandError::Usage(format!("{} is not a UTF-8 path.", args.file.display()))
    })?;
    let pool = crate::db::open_read_only(database).await?;
    let started = std::time::Instant::now();
    sqlx::query("VACUUM INTO ?")
        .bind(target)
        .execute(&pool)
        .await?;
    pool.close().await;
    let bytes = std::fs::metadata(&args.file).map(|m| m.len()).unwrap_or(0);
    println!(
        "Copied {} to {} ({bytes} bytes) in {} ms.",
        database.display(),
        args.file.display(),
        started.elapsed().as_millis()
    );
    let key = match AuditKey::resolve(key_file, database, false) {
        Ok((k, _)) => Some(Arc::new(k)),
        Err(KeyError::Missing(path)) => {
            println!("No audit key at {path}: the copy's MACs are not checked, only its links.");
            None
        }
        Err(e) => return Err(e.into()),
    };
    let public = key.as_ref().map(|k| k.public());
    let copy = crate::db::open_read_only(&args.file).await?;
    let holds = verify(&copy, key, None, public).await?;
    println!(
        "Keep with it, stored apart from it: the audit key ({}), and the signed checkpoints \
         (--audit-checkpoint-dir). To restore, stop the console, remove the database's -wal \
         and -shm files, put the copy in its place, and start it: it checks the history \
         against the newest checkpoint.",
        key_file
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| crate::audit::key::default_path(database)
                .display()
                .to_string())
    );
    Ok(holds)
}
