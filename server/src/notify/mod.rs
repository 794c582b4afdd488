//! Notifications, stored: the events the watcher noticed (`events`), the
//! webhook destinations admins configured, and the outbox that carries
//! each event to each destination at least once (`deliver`). The watcher
//! itself is `watch`. Nothing here runs on the path of a page or an
//! action: recording an event is one transaction, and sending happens in
//! the background.
//!
//! Exactly once, across restarts: an event is keyed by what was observed,
//! and the event, its deliveries and what the watcher saw are written in
//! one transaction. A console that stops between two looks sees the same
//! state again and finds the event already there; a delivery is marked
//! done only after the receiver said 2xx.

pub mod deliver;

use crate::db::{Db, WritePool, now_ms};
use crate::on_pool;
use domain::notify::{
    AttemptView, DeliveryView, DestinationView, EventKind, EventView, NewDestination, WebhookFormat,
};
use sqlx::Row;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Notify;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// An event about to be recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub kind: EventKind,
    /// What makes it this event: the same key is one event, however often
    /// it is noticed.
    pub key: String,
    pub space: String,
    pub subject: String,
    pub title: String,
    /// The console page it is about, as a path.
    pub link: String,
    pub data: serde_json::Value,
}

/// What the watcher saw of one thing: a peering's status, a PrivateLink's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub kind: &'static str,
    pub scope: String,
    pub subject: String,
    pub status: String,
}

/// A destination as the outbox needs it.
#[derive(Debug, Clone)]
pub struct Destination {
    pub id: i64,
    pub name: String,
    pub url: String,
    pub format: WebhookFormat,
    pub secret: String,
}

/// An event as the outbox sends it.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub id: i64,
    pub kind: String,
    pub space: String,
    pub subject: String,
    pub title: String,
    pub link: String,
    pub data: serde_json::Value,
    pub at: String,
}

/// A due delivery, claimed for one attempt.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub delivery: i64,
    pub attempts: i64,
    pub created_ms: i64,
    pub destination: Destination,
    pub event: StoredEvent,
}

/// How one attempt went.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub status: Option<u16>,
    pub error: Option<String>,
    pub millis: u64,
}

impl Attempt {
    pub fn delivered(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// What became of a delivery after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    Delivered,
    /// Tried again at this time (ms).
    Retry(i64),
    GaveUp,
}

/// How long finished deliveries are kept, for the page.
const KEEP_MS: i64 = 30 * 24 * 3600 * 1000;
/// How many events are kept at least.
const KEEP_EVENTS: i64 = 10_000;

/// How long deliveries are tried before the outbox gives up.
pub const GIVE_UP_AFTER_MS: i64 = 24 * 3600 * 1000;

/// The wait before attempt `attempts + 1`: one second, doubling, at most
/// ten minutes, with a quarter of jitter either way so that receivers
/// coming back are not hit by every console at once.
pub fn backoff_ms(attempts: i64, jitter: f64) -> i64 {
    let base = 1000_f64 * 2_f64.powi(i32::try_from(attempts.clamp(1, 30) - 1).unwrap_or(0));
    let capped = base.min(600_000.0);
    (capped * (1.0 + 0.25 * jitter.clamp(-1.0, 1.0))) as i64
}

/// Now, in whole seconds: the stored form, which sorts as text.
fn rfc3339_now() -> String {
    crate::db::now()
}

pub struct Notifications {
    db: Db,
    /// Woken when there is something new to send.
    wake: Arc<Notify>,
}

impl Notifications {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            wake: Arc::new(Notify::new()),
        }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn wake(&self) -> &Arc<Notify> {
        &self.wake
    }

    /// What the watcher saw last of `kind` things in `scope`, by subject;
    /// `None` when it never looked there.
    pub async fn seen(
        &self,
        kind: &str,
        scope: &str,
    ) -> Result<Option<HashMap<String, String>>, StoreError> {
        on_pool!(&self.db, pool => {
            let looked = sqlx::query("SELECT 1 FROM watch_seen WHERE kind = $1 AND scope = $2 LIMIT 1")
                .bind(format!("{kind}.looked"))
                .bind(scope)
                .fetch_all(pool)
                .await?;
            if looked.is_empty() {
                return Ok(None);
            }
            let rows =
                sqlx::query("SELECT subject, status FROM watch_seen WHERE kind = $1 AND scope = $2")
                    .bind(kind)
                    .bind(scope)
                    .fetch_all(pool)
                    .await?;
            Ok(Some(rows.iter().map(|r| (r.get(0), r.get(1))).collect()))
        })
    }

    /// Records `events` (those not already recorded) with a delivery for
    /// each destination that wants them, and replaces what was seen of
    /// `kind` things in `scope` with `seen`, in one transaction. Returns
    /// how many events were new.
    pub async fn record(
        &self,
        events: &[NewEvent],
        seen: Option<(&'static str, &str, &[Seen])>,
    ) -> Result<usize, StoreError> {
        // Whether destination `d` wants the kind bound as $4: its `kinds`
        // is a JSON array, read by each database's own JSON functions.
        let wants = match &self.db {
            Db::Sqlite(_) => "EXISTS (SELECT 1 FROM json_each(d.kinds) WHERE value = $4)",
            Db::Postgres(_) => {
                "EXISTS (SELECT 1 FROM jsonb_array_elements_text(d.kinds::jsonb) k WHERE k = $4)"
            }
        };
        let deliveries = format!(
            "INSERT INTO webhook_deliveries (destination, event, created_ms, next_ms) \
             SELECT d.id, $1, $2, $3 FROM webhook_destinations d \
             WHERE d.removed_at IS NULL AND {wants}"
        );
        on_pool!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            let at = rfc3339_now();
            let now = now_ms();
            let mut new = 0;
            for e in events {
                let id: Option<i64> = sqlx::query_scalar(
                    "INSERT INTO events (kind, key, space, subject, title, link, data, at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (key) DO NOTHING RETURNING id",
                )
                .bind(e.kind.as_str())
                .bind(&e.key)
                .bind(&e.space)
                .bind(&e.subject)
                .bind(&e.title)
                .bind(&e.link)
                .bind(e.data.to_string())
                .bind(&at)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(id) = id else { continue };
                new += 1;
                sqlx::query(&deliveries)
                .bind(id)
                .bind(now)
                .bind(now)
                .bind(e.kind.as_str())
                .execute(&mut *tx)
                .await?;
            }
            if let Some((kind, scope, seen)) = seen {
                sqlx::query("DELETE FROM watch_seen WHERE kind IN ($1, $2) AND scope = $3")
                    .bind(kind)
                    .bind(format!("{kind}.looked"))
                    .bind(scope)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO watch_seen (kind, scope, subject, status) VALUES ($1, $2, '', '')",
                )
                .bind(format!("{kind}.looked"))
                .bind(scope)
                .execute(&mut *tx)
                .await?;
                for s in seen {
                    sqlx::query(
                        "INSERT INTO watch_seen (kind, scope, subject, status) \
                         VALUES ($1, $2, $3, $4) ON CONFLICT (kind, scope, subject) \
                         DO UPDATE SET status = excluded.status",
                    )
                    .bind(s.kind)
                    .bind(&s.scope)
                    .bind(&s.subject)
                    .bind(&s.status)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            tx.commit().await?;
            if new > 0 {
                self.wake.notify_one();
            }
            Ok(new)
        })
    }

    /// A value the watcher keeps between looks (a cursor).
    pub async fn mark(&self, name: &str) -> Result<Option<String>, StoreError> {
        on_pool!(&self.db, pool => {
            Ok(sqlx::query_scalar(
                "SELECT status FROM watch_seen WHERE kind = 'mark' AND scope = $1 AND subject = ''",
            )
            .bind(name)
            .fetch_all(pool)
            .await?
            .into_iter()
            .next())
        })
    }

    pub async fn set_mark(&self, name: &str, value: &str) -> Result<(), StoreError> {
        on_pool!(&self.db, pool => {
            sqlx::query(
                "INSERT INTO watch_seen (kind, scope, subject, status) \
                 VALUES ('mark', $1, '', $2) ON CONFLICT (kind, scope, subject) \
                 DO UPDATE SET status = excluded.status",
            )
            .bind(name)
            .bind(value)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    pub async fn add_destination(
        &self,
        d: &NewDestination,
        secret: &str,
        by: &str,
    ) -> Result<i64, StoreError> {
        on_pool!(&self.db, pool => {
            let kinds: Vec<&str> = d.kinds.iter().map(|k| k.as_str()).collect();
            Ok(sqlx::query_scalar(
                "INSERT INTO webhook_destinations (name, url, format, kinds, secret, created_by, \
                 created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(&d.name)
            .bind(&d.url)
            .bind(d.format.as_str())
            .bind(serde_json::to_string(&kinds).unwrap_or_else(|_| "[]".into()))
            .bind(secret)
            .bind(by)
            .bind(rfc3339_now())
            .fetch_one(pool)
            .await?)
        })
    }

    /// The destination `id`, unless it was removed.
    pub async fn destination(&self, id: i64) -> Result<Option<Destination>, StoreError> {
        on_pool!(&self.db, pool => {
            let row = sqlx::query_as(
                "SELECT id, name, url, format, secret FROM webhook_destinations \
                 WHERE id = $1 AND removed_at IS NULL",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?;
            Ok(row.map(destination_of))
        })
    }

    /// Removes a destination and drops what it still had to receive.
    pub async fn remove_destination(&self, id: i64) -> Result<bool, StoreError> {
        on_pool!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            let removed = sqlx::query(
                "UPDATE webhook_destinations SET removed_at = $1 WHERE id = $2 AND removed_at IS NULL",
            )
            .bind(rfc3339_now())
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            sqlx::query(
                "UPDATE webhook_deliveries SET state = 'gave_up', done_at = $1 \
                 WHERE destination = $2 AND state = 'pending'",
            )
            .bind(rfc3339_now())
            .bind(id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(removed)
        })
    }

    /// A test event for destination `id` alone, through the outbox like
    /// any other.
    pub async fn enqueue_test(&self, id: i64, by: &str) -> Result<i64, StoreError> {
        on_pool!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            let event: i64 = sqlx::query_scalar(
                "INSERT INTO events (kind, key, title, link, data, at) VALUES ('test', $1, $2, '/notifications', $3, $4) \
                 RETURNING id",
            )
            .bind(format!("test:{id}:{}", uuid::Uuid::new_v4()))
            .bind(format!("A test from Spaceport, sent by {by}"))
            .bind(serde_json::json!({ "sent_by": by }).to_string())
            .bind(rfc3339_now())
            .fetch_one(&mut *tx)
            .await?;
            let now = now_ms();
            sqlx::query(
                "INSERT INTO webhook_deliveries (destination, event, created_ms, next_ms) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(id)
            .bind(event)
            .bind(now)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            self.wake.notify_one();
            Ok(event)
        })
    }

    /// Claims up to `limit` due deliveries for one attempt each, leased
    /// until `lease_ms` from now: another worker (a second console on the
    /// file or the server) skips them until the lease runs out. On
    /// PostgreSQL the rows another console is claiming at this moment
    /// are skipped, not waited for (`FOR UPDATE SKIP LOCKED`).
    pub async fn claim_due(&self, limit: i64, lease_ms: i64) -> Result<Vec<Claimed>, StoreError> {
        let skip_locked = match &self.db {
            Db::Sqlite(_) => "",
            Db::Postgres(_) => " FOR UPDATE OF w SKIP LOCKED",
        };
        let claim = format!(
            "UPDATE webhook_deliveries SET lease_ms = $1 WHERE id IN ( \
               SELECT w.id FROM webhook_deliveries w \
               JOIN webhook_destinations d ON d.id = w.destination AND d.removed_at IS NULL \
               WHERE w.state = 'pending' AND w.next_ms <= $2 AND w.lease_ms <= $3 \
               ORDER BY w.next_ms LIMIT $4{skip_locked}) \
             RETURNING id"
        );
        on_pool!(&self.db, pool => {
            let now = now_ms();
            let rows = sqlx::query(&claim)
            .bind(now + lease_ms)
            .bind(now)
            .bind(now)
            .bind(limit)
            .fetch_all(pool)
            .await?;
            let mut claimed = Vec::with_capacity(rows.len());
            for r in rows {
                let id: i64 = r.get(0);
                let row = sqlx::query(
                    "SELECT w.id, w.attempts, w.created_ms, \
                            d.id, d.name, d.url, d.format, d.secret, \
                            e.id, e.kind, e.space, e.subject, e.title, e.link, e.data, e.at \
                     FROM webhook_deliveries w \
                     JOIN webhook_destinations d ON d.id = w.destination \
                     JOIN events e ON e.id = w.event WHERE w.id = $1",
                )
                .bind(id)
                .fetch_one(pool)
                .await?;
                claimed.push(Claimed {
                    delivery: row.get(0),
                    attempts: row.get(1),
                    created_ms: row.get(2),
                    destination: Destination {
                        id: row.get(3),
                        name: row.get(4),
                        url: row.get(5),
                        format: format_of(&row.get::<String, _>(6)),
                        secret: row.get(7),
                    },
                    event: StoredEvent {
                        id: row.get(8),
                        kind: row.get(9),
                        space: row.get(10),
                        subject: row.get(11),
                        title: row.get(12),
                        link: row.get(13),
                        data: serde_json::from_str(&row.get::<String, _>(14))
                            .unwrap_or(serde_json::Value::Null),
                        at: row.get(15),
                    },
                });
            }
            Ok(claimed)
        })
    }

    /// Writes an attempt down and moves its delivery on: done on a 2xx,
    /// otherwise tried again later, until a day has gone by.
    pub async fn settle(
        &self,
        c: &Claimed,
        a: &Attempt,
        jitter: f64,
    ) -> Result<Settled, StoreError> {
        on_pool!(&self.db, pool => {
            let now = now_ms();
            let attempts = c.attempts + 1;
            let settled = if a.delivered() {
                Settled::Delivered
            } else if now - c.created_ms >= GIVE_UP_AFTER_MS {
                Settled::GaveUp
            } else {
                Settled::Retry(now + backoff_ms(attempts, jitter))
            };
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "INSERT INTO webhook_attempts (delivery, at, status, error, millis) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(c.delivery)
            .bind(rfc3339_now())
            .bind(a.status.map(i64::from))
            .bind(&a.error)
            .bind(i64::try_from(a.millis).unwrap_or(i64::MAX))
            .execute(&mut *tx)
            .await?;
            let (state, next, done) = match settled {
                Settled::Delivered => ("delivered", now, Some(rfc3339_now())),
                Settled::GaveUp => ("gave_up", now, Some(rfc3339_now())),
                Settled::Retry(at) => ("pending", at, None),
            };
            sqlx::query(
                "UPDATE webhook_deliveries SET state = $1, attempts = $2, next_ms = $3, lease_ms = 0, \
                 done_at = $4 WHERE id = $5 AND state = 'pending'",
            )
            .bind(state)
            .bind(attempts)
            .bind(next)
            .bind(done)
            .bind(c.delivery)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(settled)
        })
    }

    /// Forgets finished deliveries (and their attempts) older than
    /// `KEEP_MS`, and events past the newest `KEEP_EVENTS` that no
    /// delivery still names: the outbox is a queue, not a history.
    pub async fn prune(&self) -> Result<u64, StoreError> {
        on_pool!(&self.db, pool => {
            let before = now_ms() - KEEP_MS;
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "DELETE FROM webhook_attempts WHERE delivery IN (SELECT id FROM webhook_deliveries              WHERE state != 'pending' AND created_ms < $1)",
            )
            .bind(before)
            .execute(&mut *tx)
            .await?;
            let deliveries = sqlx::query(
                "DELETE FROM webhook_deliveries WHERE state != 'pending' AND created_ms < $1",
            )
            .bind(before)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            let events = sqlx::query(
                "DELETE FROM events WHERE id <= (SELECT max(id) FROM events) - $1              AND id NOT IN (SELECT event FROM webhook_deliveries)",
            )
            .bind(KEEP_EVENTS)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            tx.commit().await?;
            Ok(deliveries + events)
        })
    }

    pub async fn pending(&self) -> Result<i64, StoreError> {
        on_pool!(&self.db, pool => {
            Ok(
                sqlx::query_scalar("SELECT count(*) FROM webhook_deliveries WHERE state = 'pending'")
                    .fetch_one(pool)
                    .await?,
            )
        })
    }

    /// What the Notifications page shows: every destination with its
    /// latest deliveries and their attempts, and the latest events. Four
    /// queries, however many destinations there are: the page reads this
    /// every few seconds.
    pub async fn view(&self) -> Result<(Vec<DestinationView>, Vec<EventView>), StoreError> {
        on_pool!(&self.db, pool => {
            let rows = sqlx::query(
                "SELECT id, name, url, format, kinds, created_by, created_at \
                 FROM webhook_destinations WHERE removed_at IS NULL ORDER BY id",
            )
            .fetch_all(pool)
            .await?;
            let mut deliveries = self.latest_deliveries().await?;
            let destinations = rows
                .iter()
                .map(|r| {
                    let id: i64 = r.get(0);
                    let kinds: Vec<String> =
                        serde_json::from_str(&r.get::<String, _>(4)).unwrap_or_default();
                    DestinationView {
                        id,
                        name: r.get(1),
                        url: domain::notify::shown_url(&r.get::<String, _>(2)),
                        format: format_of(&r.get::<String, _>(3)),
                        kinds: kinds.iter().filter_map(|k| k.parse().ok()).collect(),
                        created_by: r.get(5),
                        created_at: r.get(6),
                        deliveries: deliveries.remove(&id).unwrap_or_default(),
                    }
                })
                .collect();
            let events = sqlx::query(
                "SELECT id, kind, space, title, link, at FROM events ORDER BY id DESC LIMIT 30",
            )
            .fetch_all(pool)
            .await?
            .iter()
            .filter_map(|r| {
                Some(EventView {
                    id: r.get(0),
                    kind: r.get::<String, _>(1).parse().ok()?,
                    space: r.get(2),
                    title: r.get(3),
                    link: r.get(4),
                    at: r.get(5),
                })
            })
            .collect();
            Ok((destinations, events))
        })
    }

    /// Each live destination's latest 10 deliveries, newest first, with
    /// their latest 5 attempts, by destination.
    async fn latest_deliveries(&self) -> Result<HashMap<i64, Vec<DeliveryView>>, StoreError> {
        on_pool!(&self.db, pool => {
            let rows = sqlx::query(
                "SELECT w.id, w.destination, e.id, e.kind, e.title, w.state, w.next_ms FROM ( \
                   SELECT *, row_number() OVER (PARTITION BY destination ORDER BY id DESC) AS n \
                   FROM webhook_deliveries WHERE destination IN \
                     (SELECT id FROM webhook_destinations WHERE removed_at IS NULL)) w \
                 JOIN events e ON e.id = w.event WHERE w.n <= 10 ORDER BY w.id DESC",
            )
            .fetch_all(pool)
            .await?;
            let ids: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
            let mut attempts: HashMap<i64, Vec<AttemptView>> = HashMap::new();
            if !ids.is_empty() {
                // The ids are integers read just now, never input.
                let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
                let sql = format!(
                    "SELECT delivery, at, status, error, millis FROM ( \
                       SELECT *, row_number() OVER (PARTITION BY delivery ORDER BY id DESC) AS n \
                       FROM webhook_attempts WHERE delivery IN ({list})) a \
                     WHERE n <= 5 ORDER BY id DESC"
                );
                for a in sqlx::query(&sql).fetch_all(pool).await? {
                    attempts.entry(a.get(0)).or_default().push(AttemptView {
                        at: a.get(1),
                        status: a
                            .get::<Option<i64>, _>(2)
                            .and_then(|s| u16::try_from(s).ok()),
                        error: a.get(3),
                        millis: u64::try_from(a.get::<i64, _>(4)).unwrap_or(0),
                    });
                }
            }
            let mut out: HashMap<i64, Vec<DeliveryView>> = HashMap::new();
            for r in rows {
                let id: i64 = r.get(0);
                let state: String = r.get(5);
                let next_at = (state == "pending").then(|| {
                    let t = time::OffsetDateTime::from_unix_timestamp_nanos(
                        i128::from(r.get::<i64, _>(6)) * 1_000_000,
                    )
                    .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
                    crate::db::stamp(t)
                });
                out.entry(r.get(1)).or_default().push(DeliveryView {
                    id,
                    event: r.get(2),
                    kind: r.get::<String, _>(3).parse().unwrap_or(EventKind::Test),
                    title: r.get(4),
                    state,
                    next_at,
                    attempts: attempts.remove(&id).unwrap_or_default(),
                });
            }
            Ok(out)
        })
    }
}

fn format_of(s: &str) -> WebhookFormat {
    s.parse().unwrap_or(WebhookFormat::Json)
}

fn destination_of(
    (id, name, url, format, secret): (i64, String, String, String, String),
) -> Destination {
    Destination {
        id,
        name,
        url,
        format: format_of(&format),
        secret,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_a_second_up_to_ten_minutes_with_jitter() {
        assert_eq!(backoff_ms(1, 0.0), 1000);
        assert_eq!(backoff_ms(2, 0.0), 2000);
        assert_eq!(backoff_ms(5, 0.0), 16_000);
        assert_eq!(backoff_ms(40, 0.0), 600_000);
        assert_eq!(backoff_ms(1, 1.0), 1250);
        assert_eq!(backoff_ms(1, -1.0), 750);
    }
}
