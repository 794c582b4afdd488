//! `spaceport migrate`: the database's migrations on their own (the
//! platform's release phase), and `--to`, moving a console from its
//! SQLite file to a PostgreSQL database that several consoles can share.
//!
//! The move copies every table a console keeps, row for row and id for
//! id, in one PostgreSQL transaction: the target holds all of it or none.
//! The history keeps its bytes, so its MACs and signed checkpoints hold
//! there; the copy is verified before the command says it is done. The
//! source is opened read-only. Sessions are not copied (everyone signs in
//! again), nor what the consoles say of themselves.

use crate::audit::key::{AuditKey, KeyError};
use crate::audit::verify::{Verifier, verify_rest};
use crate::config::MigrateArgs;
use crate::db::{Db, Location, WritePool};
use sqlx::{PgPool, SqlitePool};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Database(#[from] crate::db::DbError),
    #[error("the database failed: {0}")]
    Sql(#[from] sqlx::Error),
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// What a console keeps, in an order where every row's references are
/// copied before it.
const TABLES: &[&str] = &[
    "console_settings",
    "users",
    "user_grants",
    "tokens",
    "audit_events",
    "audit_checkpoints",
    "approval_requests",
    "approval_votes",
    "expected_peers",
    "webhook_destinations",
    "events",
    "webhook_deliveries",
    "webhook_attempts",
    "watch_seen",
];

/// The tables whose ids PostgreSQL hands out: their sequences go on
/// after the copied ids.
const NUMBERED: &[&str] = &[
    "users",
    "user_grants",
    "tokens",
    "approval_requests",
    "expected_peers",
    "webhook_destinations",
    "events",
    "webhook_deliveries",
    "webhook_attempts",
];

/// Rows read and written per statement.
const BATCH: i64 = 5_000;

/// `Ok(true)` when done (and, after a move, the copy's history holds).
pub async fn run(args: MigrateArgs) -> Result<bool, MigrateError> {
    let from = args.files.location();
    let Some(to) = args.to else {
        crate::db::open(&from).await?.close().await;
        println!("The database {from} is migrated.");
        return Ok(true);
    };
    let Location::Postgres(_) = &to else {
        return Err(MigrateError::Usage(
            "--to takes the postgres:// URL of the database to move the console to".into(),
        ));
    };
    let Some(file) = from.file() else {
        return Err(MigrateError::Usage(
            "a console on PostgreSQL moves with pg_dump and pg_restore, not with migrate".into(),
        ));
    };
    let Db::Sqlite(source) = crate::db::open_read_only(&from).await? else {
        unreachable!("a file opens as SQLite")
    };
    current(&source).await?;
    let target = crate::db::open(&to).await?;
    let Db::Postgres(pool) = &target else {
        unreachable!("a postgres:// URL opens as PostgreSQL")
    };
    let started = std::time::Instant::now();
    let copied = copy(&source, pool, &to).await?;
    let took = started.elapsed();
    for (table, rows) in &copied {
        println!("  {table:<22} {rows:>9} rows");
    }
    println!(
        "Copied the console from {from} to {to} in {:.1} s.",
        took.as_secs_f64()
    );
    let key = match AuditKey::resolve(args.files.audit_key_file.as_deref(), file, false) {
        Ok((k, _)) => Some(Arc::new(k)),
        Err(KeyError::Missing(path)) => {
            println!("No audit key at {path}: the copy's MACs are not checked, only its links.");
            None
        }
        Err(e) => return Err(e.into()),
    };
    let mut verifier = Verifier::new(key);
    verify_rest(&target, &mut verifier, 10_000, |_| {}).await?;
    match verifier.first_break() {
        None => {
            println!(
                "The copy's audit history holds: {} records verified. Start the consoles with \
                 --database set to it (or DATABASE_URL) and the same audit key.",
                verifier.through()
            );
            Ok(true)
        }
        Some(b) => {
            println!("The copy's audit history does NOT hold: {b}.");
            Ok(false)
        }
    }
}

/// Refuses a file whose schema is older than this build's: start a
/// console on it once (it migrates at start), then move it.
async fn current(source: &SqlitePool) -> Result<(), MigrateError> {
    let at: Option<i64> =
        sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(source)
            .await
            .map_err(|_| MigrateError::Usage("the file holds no console".into()))?;
    let latest = crate::db::sqlite::latest_migration();
    if at != Some(latest) {
        return Err(MigrateError::Usage(format!(
            "the file's schema is at {}, this spaceport's at {latest}: start this spaceport on \
             the file once (it migrates it), then move it",
            at.map_or("nothing".into(), |v| v.to_string())
        )));
    }
    Ok(())
}

/// Copies every table in one transaction, refusing a target that holds a
/// console already; the rows copied, by table.
async fn copy(
    source: &SqlitePool,
    target: &PgPool,
    to: &Location,
) -> Result<Vec<(&'static str, u64)>, MigrateError> {
    // Under the write lock: two moves at once cannot both find it empty.
    let mut tx = target.begin_write().await?;
    let holds: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM users) OR EXISTS (SELECT 1 FROM audit_events) \
         OR EXISTS (SELECT 1 FROM console_settings)",
    )
    .fetch_one(&mut *tx)
    .await?;
    if holds {
        return Err(MigrateError::Usage(format!(
            "{to} holds a console already; move into an empty database"
        )));
    }
    let mut copied = Vec::new();
    for &table in TABLES {
        let columns = shared_columns(source, &mut tx, table).await?;
        let list = columns.join(", ");
        // Each batch as one JSON array: SQLite writes it, PostgreSQL reads
        // it into the table's own types (0 and 1 into booleans).
        let read = format!(
            "SELECT rowid, json_object({}) FROM {table} WHERE rowid > $1 ORDER BY rowid LIMIT $2",
            columns
                .iter()
                .map(|c| format!("'{c}', {c}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let write = format!(
            "INSERT INTO {table} ({list}) SELECT {list} \
             FROM json_populate_recordset(NULL::{table}, $1::json)"
        );
        let (mut after, mut rows) = (0_i64, 0_u64);
        loop {
            let batch: Vec<(i64, String)> = sqlx::query_as(&read)
                .bind(after)
                .bind(BATCH)
                .fetch_all(source)
                .await?;
            let Some(&(last, _)) = batch.last() else {
                break;
            };
            let json = format!(
                "[{}]",
                batch
                    .iter()
                    .map(|(_, o)| o.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            );
            rows += sqlx::query(&write)
                .bind(json)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            after = last;
        }
        copied.push((table, rows));
    }
    for table in NUMBERED {
        sqlx::query(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
             (SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
        ))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(copied)
}

/// The columns `table` has on both sides (names of ours, never input).
async fn shared_columns(
    source: &SqlitePool,
    target: &mut sqlx::PgConnection,
    table: &str,
) -> Result<Vec<String>, sqlx::Error> {
    let theirs: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info($1)")
        .bind(table)
        .fetch_all(source)
        .await?;
    let ours: Vec<String> = sqlx::query_scalar(
        "SELECT column_name::text FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
    )
    .bind(table)
    .fetch_all(target)
    .await?;
    Ok(ours.into_iter().filter(|c| theirs.contains(c)).collect())
}
