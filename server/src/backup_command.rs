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
    let (at, key_file) = (&args.files.location(), args.files.audit_key_file.as_deref());
    let Some(database) = at.file() else {
        return Err(AuditCommandError::Usage(
            "backup copies a SQLite file; for PostgreSQL use pg_dump (see the README's \
             \"Backups\"), then check the copy with `spaceport audit verify`"
                .into(),
        ));
    };
    let usage = |why: String| AuditCommandError::Usage(why);
    let target = args
        .file
        .to_str()
        .ok_or_else(|| usage(format!("{} is not a UTF-8 path.", args.file.display())))?;
    // The copy holds the sessions table (live session ids), password
    // hashes and webhook secrets: it is made 0600, and not where others
    // could take it away or put theirs in its place.
    let dir = args.file.parent().unwrap_or(std::path::Path::new("."));
    match crate::private::shared_directory(dir) {
        Err(e) => return Err(usage(format!("{}: {e}", dir.display()))),
        Ok(Some(why)) if !args.allow_shared_directory => {
            return Err(usage(format!(
                "{why}. Keep backups in a directory only you can write to, or pass \
                 --allow-shared-directory if that is what you mean. No copy was made."
            )));
        }
        Ok(_) => {}
    }
    let pool = crate::db::sqlite::open_read_only(database).await?;
    // Made empty and private first; VACUUM INTO fills an empty file.
    if let Err(e) = crate::private::create_new(&args.file) {
        return Err(usage(if e.kind() == std::io::ErrorKind::AlreadyExists {
            format!(
                "{} exists already; a backup never overwrites a file. Name a new one.",
                args.file.display()
            )
        } else {
            format!("{} cannot be made: {e}", args.file.display())
        }));
    }
    let started = std::time::Instant::now();
    let copied = crate::db::sqlite::copy_into(&pool, target).await;
    pool.close().await;
    if let Err(e) = copied {
        // No copy was made: leave no empty or partial file behind.
        let _ = std::fs::remove_file(&args.file);
        return Err(e.into());
    }
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
    let copy = crate::db::open_read_only(&crate::db::Location::File(args.file.clone())).await?;
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
