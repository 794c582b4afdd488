//! Consoles sharing a PostgreSQL database drop each other's stale reads:
//! a change made on one is announced with `NOTIFY`, and every console
//! (the one that made it too) `LISTEN`s and forgets what it makes stale.
//! A colleague on another console sees an accepted peering at their next
//! read, not after the refresh period.
//!
//! A notification sent while a console's listening connection was down is
//! lost; when the connection comes back, that console forgets every
//! cached read instead.

use super::Gateway;
use crate::db::Db;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use std::sync::Arc;

const CHANNEL: &str = "spaceport_stale";

/// What a change made stale, as announced.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "stale", rename_all = "snake_case")]
pub enum Stale {
    /// A space's peerings (and the list of spaces).
    Peerings { space: String },
    /// An add-on's PrivateLink.
    Link { addon: String },
    /// Anything: after notifications may have been missed.
    Everything,
}

pub struct Announcer {
    pool: PgPool,
}

impl Announcer {
    /// An announcer on PostgreSQL; none on SQLite (one console per file).
    pub fn new(db: &Db) -> Option<Self> {
        match db {
            Db::Sqlite(_) => None,
            Db::Postgres(pool) => Some(Self { pool: pool.clone() }),
        }
    }

    pub async fn announce(&self, stale: &Stale) {
        let payload = serde_json::to_string(stale).unwrap_or_default();
        if let Err(e) = sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(payload)
            .execute(&self.pool)
            .await
        {
            // The others see the change within their refresh period.
            tracing::warn!(error = %e, "a change was not announced to the other consoles");
        }
    }
}

/// Listens for the other consoles' changes for as long as the console
/// runs (PostgreSQL only).
pub fn spawn_listener(db: &Db, gateway: Arc<Gateway>) {
    let Db::Postgres(pool) = db else { return };
    let pool = pool.clone();
    tokio::spawn(async move {
        loop {
            if let Err(e) = listen(&pool, &gateway).await {
                tracing::warn!(error = %e, "not listening for the other consoles' changes");
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    });
}

async fn listen(pool: &PgPool, gateway: &Gateway) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    // Whatever was announced before this connection listened is unknown.
    gateway.drop_stale(&Stale::Everything).await;
    loop {
        match listener.try_recv().await? {
            Some(n) => match serde_json::from_str::<Stale>(n.payload()) {
                Ok(stale) => gateway.drop_stale(&stale).await,
                Err(e) => tracing::warn!(error = %e, "an announcement could not be read"),
            },
            // The connection dropped (and is made again at the next call):
            // announcements in between are lost.
            None => gateway.drop_stale(&Stale::Everything).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announcements_read_back() {
        for s in [
            Stale::Peerings {
                space: "acme".into(),
            },
            Stale::Link {
                addon: "postgresql-a".into(),
            },
            Stale::Everything,
        ] {
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(serde_json::from_str::<Stale>(&json).unwrap(), s);
        }
    }
}
