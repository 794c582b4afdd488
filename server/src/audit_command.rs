//! `spaceport audit ...`: checking the history as an auditor would, from
//! the database file alone (read-only), and handing it to other tools.

use crate::audit::checkpoint;
use crate::audit::export::{self, Since};
use crate::audit::key::{self, AuditKey, KeyError};
use crate::audit::verify::{Verifier, verify_rest};
use crate::config::{AuditAction, AuditArgs};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum AuditCommandError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Database(#[from] crate::db::DbError),
    #[error("the database failed: {0}")]
    Sql(#[from] sqlx::Error),
    #[error(transparent)]
    Checkpoint(#[from] checkpoint::CheckpointError),
    #[error(transparent)]
    Export(#[from] export::ExportError),
    #[error("{0}")]
    Usage(String),
}

/// What a command found: `Ok(true)` when everything holds.
pub async fn run(args: AuditArgs) -> Result<bool, AuditCommandError> {
    let (at, key_file) = (&args.files.location(), args.files.audit_key_file.as_deref());
    let key = || AuditKey::resolve_for(key_file, at, false);
    match args.action {
        AuditAction::Pubkey => {
            let (key, _) = key()?;
            println!("{}", key.public_hex());
            eprintln!("(audit key {})", key.id());
            Ok(true)
        }
        AuditAction::Verify {
            checkpoints,
            pubkey,
        } => {
            // The database first: without it there is nothing to say.
            let pool = crate::db::open_read_only(at).await?;
            let key = match key() {
                Ok((k, _)) => Some(Arc::new(k)),
                Err(KeyError::Missing(path)) => {
                    println!(
                        "No audit key at {path}: the records' MACs are not checked, only their links."
                    );
                    None
                }
                Err(e) => return Err(e.into()),
            };
            let public = match (&pubkey, &key) {
                (Some(p), _) => Some(key::parse_public(p)?),
                (None, Some(k)) => Some(k.public()),
                (None, None) => None,
            };
            verify(&pool, key, checkpoints.as_deref(), public).await
        }
        AuditAction::Export {
            output,
            format,
            since,
            space,
        } => {
            let since = since.map(|s| s.parse::<Since>()).transpose()?;
            let pool = crate::db::open_read_only(at).await?;
            let sink: Box<dyn std::io::Write> = match &output {
                None => Box::new(std::io::stdout().lock()),
                Some(path) => Box::new(crate::private::create_new(path).map_err(|e| {
                    AuditCommandError::Usage(format!("{} cannot be made: {e}", path.display()))
                })?),
            };
            match export::export(&pool, format, since.as_ref(), space.as_deref(), sink).await {
                Ok(n) => {
                    eprintln!("{n} records exported.");
                    Ok(true)
                }
                // A reader that stopped early (`| head`) is not a failure.
                Err(export::ExportError::Write(e))
                    if e.kind() == std::io::ErrorKind::BrokenPipe =>
                {
                    Ok(true)
                }
                Err(e) => Err(e.into()),
            }
        }
    }
}

/// Checks the chain and, if given, the checkpoints; prints what it found.
/// Checks the history in `db` and says what it found; `Ok(true)` when
/// everything holds.
pub(crate) async fn verify(
    db: &crate::db::Db,
    key: Option<Arc<AuditKey>>,
    checkpoints: Option<&std::path::Path>,
    public: Option<ed25519_dalek::VerifyingKey>,
) -> Result<bool, AuditCommandError> {
    let mut verifier = Verifier::new(key);
    verify_rest(db, &mut verifier, 10_000, |_| {}).await?;
    let mut found = verifier.breaks.clone();
    let mut counted = 0;
    if let Some(dir) = checkpoints {
        let public = public.ok_or_else(|| {
            AuditCommandError::Usage(
                "--checkpoints needs the audit key or --pubkey to check their signatures".into(),
            )
        })?;
        counted = checkpoint::seqs_in(dir)?.len();
        found.extend(checkpoint::check_all(db, dir, &public).await?);
    }
    let through = verifier.through();
    match found.first() {
        None => {
            println!("The audit history holds: {through} records verified.");
            if let Some(from) = verifier.keyed_from {
                println!("  Keyed (HMAC-SHA256) from record {from}; SHA-256 chain before it.");
            }
            if let Some(from) = verifier.unchecked_from {
                println!(
                    "  Records from {from} were checked for their links only (no key for them)."
                );
            }
            if checkpoints.is_some() {
                println!("  {counted} signed checkpoints hold.");
            }
            Ok(true)
        }
        Some(first) => {
            match first.record() {
                Some(id) => println!("BROKEN at record {id}: {first}."),
                None => println!("BROKEN: {first}."),
            }
            for more in &found[1..] {
                println!("  also: {more}");
            }
            Ok(false)
        }
    }
}
