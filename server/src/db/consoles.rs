//! The consoles sharing one database, and the jobs only one of them does.
//!
//! Each console process has a name of its own (`this_console`) and says it
//! is alive every few seconds (`beat`). An intent is stamped
//! with the console that wrote it, in the same transaction, so that the
//! intents a console left open when it died are told apart from those
//! another console is carrying out right now: only the first are
//! reconciled.
//!
//! The watcher runs on one console at a time: the one holding a
//! PostgreSQL session-level advisory lock (`Leadership`), which the
//! server releases when that console's connection ends, however it ends.
//! On SQLite there is one console per file, and it always leads.

use super::{Affected, Db, now_ms};
use crate::on_pool;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How long after its last word a console is taken for dead (seconds):
/// `--console-dead-secs`, set once at start.
static DEAD_AFTER_SECS: AtomicU64 = AtomicU64::new(30);

pub fn set_dead_after(secs: u64) {
    DEAD_AFTER_SECS.store(secs.max(3), Ordering::Relaxed);
}

fn dead_after() -> Duration {
    Duration::from_secs(DEAD_AFTER_SECS.load(Ordering::Relaxed))
}

/// How often a console says it is alive: three times in the time after
/// which it would be taken for dead, so one late word is not its end.
pub fn beat_every() -> Duration {
    dead_after() / 3
}

/// This process's name among the consoles: host, process id and a random
/// part, so that a restarted process (same host and pid) is another.
pub fn this_console() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_default();
        let random: u32 = rand::random();
        format!("{host}:{}:{random:08x}", std::process::id())
    })
}

/// The milliseconds stamp before which a console that said nothing since
/// is dead.
pub fn dead_before() -> i64 {
    now_ms() - i64::try_from(dead_after().as_millis()).unwrap_or(30_000)
}

/// Says, every `beat_every()` from now, that this console is alive (the
/// first `beat` is the start-up's own, before it serves).
pub fn spawn_beat(db: Db) {
    tokio::spawn(async move {
        let period = beat_every();
        let mut every = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        loop {
            every.tick().await;
            if let Err(e) = beat(&db).await {
                tracing::warn!(error = %e, "could not say this console is alive");
            }
        }
    });
}

pub async fn beat(db: &Db) -> Result<(), sqlx::Error> {
    on_pool!(db, p => {
        sqlx::query(
            "INSERT INTO consoles (id, started_at, seen_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET seen_ms = excluded.seen_ms",
        )
        .bind(this_console())
        .bind(super::now())
        .bind(now_ms())
        .execute(p)
        .await
        .affected()?;
        // Consoles that died without a word a day ago are forgotten:
        // whatever they left is settled long since.
        sqlx::query("DELETE FROM consoles WHERE seen_ms < $1")
            .bind(now_ms() - FORGET_AFTER_MS)
            .execute(p)
            .await
            .affected()
    })?;
    Ok(())
}

/// How long a dead console's name is kept.
const FORGET_AFTER_MS: i64 = 24 * 3600 * 1000;

/// Says this console is gone (a clean stop): what it left is anyone's.
pub async fn leave(db: &Db) -> Result<(), sqlx::Error> {
    on_pool!(db, p => {
        sqlx::query("DELETE FROM consoles WHERE id = $1")
            .bind(this_console())
            .execute(p)
            .await
            .affected()
    })?;
    Ok(())
}

/// The consoles alive now, by name.
pub async fn alive(db: &Db) -> Result<Vec<String>, sqlx::Error> {
    on_pool!(db, p => {
        sqlx::query_scalar("SELECT id FROM consoles WHERE seen_ms >= $1 ORDER BY id")
            .bind(dead_before())
            .fetch_all(p)
            .await
    })
}

/// The right to do a job alone among the consoles on one database.
pub struct Leadership {
    db: Db,
    key: i64,
    /// On PostgreSQL, a connection of its own, kept out of the pool: it
    /// holds the lock while this console leads, and asks for it again
    /// while another does (not a new connection at every ask).
    conn: tokio::sync::Mutex<Option<Held>>,
}

struct Held {
    conn: sqlx::PgConnection,
    leads: bool,
}

impl Leadership {
    /// `key` names the job (one advisory lock number per job).
    pub fn new(db: Db, key: i64) -> Self {
        Self {
            db,
            key,
            conn: tokio::sync::Mutex::new(None),
        }
    }

    /// Whether this console leads now: it held the lock and its connection
    /// still answers, or it took the lock just now.
    pub async fn lead(&self) -> bool {
        let pool = match &self.db {
            Db::Sqlite(_) => return true,
            Db::Postgres(pool) => pool,
        };
        let mut held = self.conn.lock().await;
        loop {
            // A connection kept from an earlier call may have died; one
            // made just now is asked once.
            let fresh = held.is_none();
            if fresh {
                match pool.acquire().await {
                    Ok(conn) => {
                        *held = Some(Held {
                            conn: conn.detach(),
                            leads: false,
                        })
                    }
                    Err(_) => return false,
                }
            }
            let Some(h) = held.as_mut() else {
                return false;
            };
            let asked = if h.leads {
                sqlx::query_scalar("SELECT true")
                    .fetch_one(&mut h.conn)
                    .await
            } else {
                sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                    .bind(self.key)
                    .fetch_one(&mut h.conn)
                    .await
            };
            match asked {
                Ok(leads) => {
                    if leads && !h.leads {
                        tracing::info!(job = self.key, "this console leads a console job");
                    }
                    h.leads = leads;
                    return leads;
                }
                Err(_) => {
                    // The connection, and with it any lock it held, is gone.
                    if h.leads {
                        tracing::warn!(job = self.key, "lost the lead of a console job");
                    }
                    *held = None;
                    if fresh {
                        return false;
                    }
                }
            }
        }
    }
}
