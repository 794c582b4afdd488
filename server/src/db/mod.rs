//! The console's database: one SQLite file (the embedded default, one
//! console), or a PostgreSQL server that several consoles share. `open`
//! gives a `Db` for either; the stores hold it and write each query once
//! where both databases read it alike (`$1` placeholders, which sqlx binds
//! by number on SQLite too), and as twins side by side where they differ.
//!
//! `on_pool!` runs one body against whichever pool it is: the body is
//! compiled once per database, so its queries are checked for both types.

pub mod consoles;
mod location;
mod postgres;
pub mod sqlite;

pub use location::Location;

use sqlx::{PgConnection, PgPool, SqliteConnection, SqlitePool};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("the database failed: {0}")]
    Database(#[from] sqlx::Error),
    #[error("the database could not be migrated: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("the database file could not be made private: {0}")]
    Permissions(#[from] std::io::Error),
    #[error("there is no database at {0}")]
    Missing(String),
}

/// The console's database, as the stores hold it (a clone shares the pool).
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// One connection (or transaction) of either database, for a helper that
/// writes inside a caller's transaction.
pub enum Conn<'a> {
    Sqlite(&'a mut SqliteConnection),
    Postgres(&'a mut PgConnection),
}

impl<'a> From<&'a mut SqliteConnection> for Conn<'a> {
    fn from(c: &'a mut SqliteConnection) -> Self {
        Conn::Sqlite(c)
    }
}

impl<'a> From<&'a mut PgConnection> for Conn<'a> {
    fn from(c: &'a mut PgConnection) -> Self {
        Conn::Postgres(c)
    }
}

/// `on_pool!(db, pool => body)`: `body` with `pool` bound to the
/// concrete pool of `db` (a `&Db`).
#[macro_export]
macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}

/// `on_conn!(conn, c => body)`: the same for a `Conn`.
#[macro_export]
macro_rules! on_conn {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::db::Conn::Sqlite($c) => $body,
            $crate::db::Conn::Postgres($c) => $body,
        }
    };
}

/// How many rows a statement changed, from either database's result: the
/// one thing the stores read of one, and the same type for both arms.
pub trait Affected {
    fn affected(self) -> Result<u64, sqlx::Error>;
}

impl Affected for Result<sqlx::sqlite::SqliteQueryResult, sqlx::Error> {
    fn affected(self) -> Result<u64, sqlx::Error> {
        self.map(|r| r.rows_affected())
    }
}

impl Affected for Result<sqlx::postgres::PgQueryResult, sqlx::Error> {
    fn affected(self) -> Result<u64, sqlx::Error> {
        self.map(|r| r.rows_affected())
    }
}

/// The one lock every writing transaction takes on PostgreSQL, so that
/// writes are serialised as SQLite's `BEGIN IMMEDIATE` serialises them:
/// the stores read and then write in one transaction (the chain's last
/// hash, a user's role before it changes), and count on nobody writing
/// in between. A transaction-level advisory lock is released at commit
/// or rollback, and by the server if the console dies.
const WRITE_LOCK: i64 = 0x5370_6163_6570_6f72; // "Spaceport"

/// A transaction that holds the database's write lock from its start.
pub trait WritePool {
    type Database: sqlx::Database;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<
        Output = Result<sqlx::Transaction<'static, Self::Database>, sqlx::Error>,
    > + Send;
}

impl WritePool for SqlitePool {
    type Database = sqlx::Sqlite;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
}

impl WritePool for PgPool {
    type Database = sqlx::Postgres;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        let mut tx = self.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(WRITE_LOCK)
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }
}

/// Opens (creating if needed) the database and applies its migrations:
/// the file's own, or PostgreSQL's under sqlx's advisory lock, so that
/// consoles starting together migrate once.
pub async fn open(at: &Location) -> Result<Db, DbError> {
    match at {
        Location::File(path) => Ok(Db::Sqlite(sqlite::open(path).await?)),
        Location::Postgres(url) => Ok(Db::Postgres(postgres::open(url).await?)),
    }
}

/// Opens an existing database for reading only, without migrating it:
/// for checking or exporting a history without changing a byte of it.
pub async fn open_read_only(at: &Location) -> Result<Db, DbError> {
    match at {
        Location::File(path) => Ok(Db::Sqlite(sqlite::open_read_only(path).await?)),
        Location::Postgres(url) => Ok(Db::Postgres(postgres::open_read_only(url).await?)),
    }
}

impl Db {
    /// The SQLite pool, for what only a file does (its copy, its plans).
    pub fn as_sqlite(&self) -> Option<&SqlitePool> {
        match self {
            Db::Sqlite(p) => Some(p),
            Db::Postgres(_) => None,
        }
    }

    pub async fn close(&self) {
        on_pool!(self, p => p.close().await)
    }

    /// A read that needs no lock: whether the database answers at all.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        on_pool!(self, p => sqlx::query("SELECT 1").execute(p).await.map(|_| ()))
    }

    /// Why the database cannot take writes, if the file system under a
    /// SQLite file says so; a server says so itself, on the write.
    pub fn unwritable(&self) -> Option<String> {
        match self {
            Db::Sqlite(p) => sqlite::unwritable(p.connect_options().get_filename()),
            Db::Postgres(_) => None,
        }
    }

    /// A value of the console's own settings table.
    pub async fn setting(&self, key: &str) -> Result<Option<String>, sqlx::Error> {
        on_pool!(self, p => {
            sqlx::query_scalar("SELECT value FROM console_settings WHERE key = $1")
                .bind(key)
                .fetch_optional(p)
                .await
        })
    }

    pub async fn set_setting(&self, key: &str, value: &str) -> Result<(), sqlx::Error> {
        on_pool!(self, p => {
            sqlx::query(
                "INSERT INTO console_settings (key, value) VALUES ($1, $2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(key)
            .bind(value)
            .execute(p)
            .await
            .map(|_| ())
        })
    }

    /// The newest record's id, 0 for an empty history.
    pub async fn newest_record(&self) -> Result<i64, sqlx::Error> {
        on_pool!(self, p => {
            sqlx::query_scalar("SELECT coalesce(MAX(id), 0) FROM audit_events")
                .fetch_one(p)
                .await
        })
    }

    /// Records `wanted` as the provider this database serves, unless one is
    /// recorded already, and answers the one recorded.
    pub async fn bind_provider(&self, wanted: &str) -> Result<String, sqlx::Error> {
        on_pool!(self, p => {
            sqlx::query(
                "INSERT INTO console_settings (key, value) VALUES ('provider', $1) \
                 ON CONFLICT (key) DO NOTHING",
            )
            .bind(wanted)
            .execute(p)
            .await?;
            sqlx::query_scalar("SELECT value FROM console_settings WHERE key = 'provider'")
                .fetch_one(p)
                .await
        })
    }
}

/// `t` as RFC 3339 in whole seconds, UTC: the one form stored, so that
/// times compare as text in SQL.
pub fn stamp(t: time::OffsetDateTime) -> String {
    let t = t
        .to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(t);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

pub fn now() -> String {
    stamp(time::OffsetDateTime::now_utc())
}

/// Milliseconds since the epoch: the form kept where time is arithmetic
/// (the outbox's schedule, the consoles' signs of life).
pub fn now_ms() -> i64 {
    i64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000)
        .unwrap_or(i64::MAX)
}
