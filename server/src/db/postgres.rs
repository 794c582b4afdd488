//! A PostgreSQL server several consoles share. The URL is read at start
//! (the provider changes `DATABASE_URL` on credential rotation and
//! failover, and restarts the console with the new one).

use super::DbError;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;

/// Connections per console: two consoles at a deploy stay within the 20
/// of the provider's smallest PostgreSQL plans, with room for a `psql`.
const CONNECTIONS: u32 = 8;

fn options(url: &str) -> Result<PgConnectOptions, DbError> {
    Ok(PgConnectOptions::from_str(url)?.application_name("spaceport"))
}

fn pool() -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(CONNECTIONS)
        // No round trip to check a connection before each use: it cost
        // 11% of the throughput of two consoles (BENCHMARKS.md). A server
        // restarted or failed over leaves dead connections in the pool;
        // each fails one query, which the request reports, and is closed.
        .test_before_acquire(false)
        .acquire_timeout(Duration::from_secs(10))
}

/// Connects and migrates. sqlx's PostgreSQL migrator holds an advisory
/// lock while it runs, so consoles starting together (a deploy's release
/// phase and a new dyno, say) apply each migration once.
pub async fn open(url: &str) -> Result<PgPool, DbError> {
    let pool = pool().connect_with(options(url)?).await?;
    sqlx::migrate!("../migrations/postgres").run(&pool).await?;
    Ok(pool)
}

/// Connects with every transaction read-only, without migrating.
pub async fn open_read_only(url: &str) -> Result<PgPool, DbError> {
    let opts = options(url)?.options([("default_transaction_read_only", "on")]);
    Ok(pool().max_connections(2).connect_with(opts).await?)
}
