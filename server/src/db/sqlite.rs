//! The embedded default: one SQLite file, made private, migrated, and its
//! pool handed to the stores and the sessions (the users also open one
//! connection of their own from the pool's options, for the read each
//! request makes).

use super::DbError;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::path::Path;
use std::str::FromStr;

/// Makes the database file, and its journal files if they exist, readable
/// and writable by its owner only (0600): the sessions table holds live
/// session ids that anyone who reads the file could replay. SQLite creates
/// the `-wal` and `-shm` files with the database file's own permissions, so
/// creating that one 0600 covers the journal files made later.
///
/// An existing file is never opened here, only given its mode: POSIX locks
/// belong to a process, and closing any descriptor of a file drops all of
/// its locks on that file, SQLite's included. A pool of this process that
/// had the file open would lose the lock that tells other processes it is
/// there, and the next `spaceport` command would, at its exit, take the WAL
/// for its own and remove it under the pool (stale reads, then a malformed
/// file). `create_new` fails on an existing file without opening it.
fn private_file(path: &Path) -> std::io::Result<()> {
    match crate::private::create_new(path) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        other => drop(other?),
    }
    for suffix in ["", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        crate::private::restrict(std::path::Path::new(&name))?;
    }
    Ok(())
}

/// Why the database at `path` cannot take writes, if the file system
/// under it says so (mounted read-only, or no room left), asked without
/// touching the database itself.
pub fn unwritable(path: &Path) -> Option<String> {
    use std::os::unix::ffi::OsStrExt;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    let mut fs = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `name` is a NUL-terminated path and `fs` is written whole by
    // a successful call, which is the only case read.
    let fs = unsafe {
        if libc::statvfs(name.as_ptr(), fs.as_mut_ptr()) != 0 {
            return Some(std::io::Error::last_os_error().to_string());
        }
        fs.assume_init()
    };
    if fs.f_flag & libc::ST_RDONLY != 0 {
        return Some(format!("{} is mounted read-only", dir.display()));
    }
    if fs.f_bavail == 0 {
        return Some(format!("the disk under {} is full", dir.display()));
    }
    None
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");

/// The newest migration this build applies to a file.
pub fn latest_migration() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Opens (creating if needed) the database file and applies migrations.
pub async fn open(path: &Path) -> Result<SqlitePool, DbError> {
    private_file(path)?;
    let opts = SqliteConnectOptions::from_str("sqlite://")?
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // Every commit synced to disk: an intent is durable before its
        // provider call, even across a power cut.
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        // A connection to a local file does not go stale the way one to a
        // database server does, and the check before each use is a round
        // trip to the connection's own thread (7% of the samples of a
        // loaded console; the JSON reads 7% faster without it, see
        // BENCHMARKS.md). A failing connection still fails its query.
        .test_before_acquire(false)
        .connect_with(opts)
        .await?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}

/// Opens an existing database for reading only, without migrating it:
/// for checking or exporting a history without changing a byte of it.
pub async fn open_read_only(path: &Path) -> Result<SqlitePool, DbError> {
    if !path.exists() {
        return Err(DbError::Missing(path.display().to_string()));
    }
    let opts = SqliteConnectOptions::from_str("sqlite://")?
        .filename(path)
        .read_only(true);
    // Two: verification reads ahead on both.
    Ok(SqlitePoolOptions::new()
        .max_connections(2)
        .connect_with(opts)
        .await?)
}

/// A consistent copy of the whole database into the empty file `target`,
/// made while others go on writing.
pub async fn copy_into(pool: &SqlitePool, target: &str) -> Result<(), sqlx::Error> {
    sqlx::query("VACUUM INTO ?")
        .bind(target)
        .execute(pool)
        .await
        .map(|_| ())
}
