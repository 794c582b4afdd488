//! Reading the history for the Audit page: filters, each served by an index
//! (see migration `20261126000001`), and keyset pagination, so a page deep
//! in a million records costs what the first one does.
//!
//! Free text is the one filter no ordinary index serves: a trigram index
//! (migration `20261207000001`) finds the actions whose words match, and a
//! page reads its matches newest first from the cursor, at most
//! `TEXT_HITS` of them and no further back than `TEXT_WINDOW` records. A
//! page that stops there before it is full says so and offers Older to go
//! on from where it stopped: every page of any search costs a bounded
//! amount of work, however common the word or rare the combination.

use super::AuditError;
use crate::db::Db;
use crate::on_pool;
use domain::kind::AuditName;
use domain::model::{AuditEntry, AuditQuery};
use sqlx::QueryBuilder;
use time::format_description::well_known::Rfc3339;

/// A filter that does not parse: said back to the user as it is.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadFilter(pub String);

/// The longest free-text search accepted.
const MAX_TEXT: usize = 200;
/// The most free-text matches one page reads...
pub const TEXT_HITS: i64 = 1000;
/// ...and how many records back from its cursor it looks at most. (At a
/// million records, a page costs the same whatever this is, up to the
/// whole history: BENCHMARKS.md. It bounds what a much longer history
/// could cost.)
pub const TEXT_WINDOW: i64 = 200_000;

/// How far one page of a free-text search reads.
#[derive(Debug, Clone, Copy)]
struct TextBounds {
    hits: i64,
    window: i64,
}

/// A query's filters, checked.
#[derive(Debug, Default)]
struct Filter {
    space: Option<String>,
    actor: Option<String>,
    action: Option<AuditName>,
    outcome: Option<&'static str>,
    since: Option<String>,
    until: Option<String>,
    /// The text searched for, as typed (see `text_pattern`).
    text: Option<String>,
}

fn some(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// A day (`2026-11-23`) or an RFC 3339 time, as the stored form compares:
/// UTC with a `Z`. `end` makes a day mean its end (the next midnight).
pub(crate) fn instant(v: &str, what: &str, end: bool) -> Result<String, BadFilter> {
    let utc = |t: time::OffsetDateTime| {
        t.to_offset(time::UtcOffset::UTC)
            .format(&Rfc3339)
            .unwrap_or_default()
    };
    if let Ok(t) = time::OffsetDateTime::parse(v, &Rfc3339) {
        return Ok(utc(t));
    }
    let day = time::macros::format_description!("[year]-[month]-[day]");
    match time::Date::parse(v, &day) {
        Ok(d) => {
            let d = if end { d.next_day().unwrap_or(d) } else { d };
            Ok(utc(d.midnight().assume_utc()))
        }
        Err(_) => Err(BadFilter(format!(
            "\"{v}\" is not a {what} date: use YYYY-MM-DD or an RFC 3339 time."
        ))),
    }
}

impl Filter {
    fn parse(q: &AuditQuery) -> Result<Self, BadFilter> {
        let action = some(&q.action)
            .map(|a| a.parse::<AuditName>().map_err(BadFilter))
            .transpose()?;
        let outcome = match some(&q.outcome) {
            None => None,
            Some("ok") => Some("ok"),
            Some("error") => Some("error"),
            Some("unknown") => Some("unknown"),
            Some("pending") => Some("pending"),
            Some(o) => {
                return Err(BadFilter(format!(
                    "\"{o}\" is not an outcome: use ok, error, unknown or pending."
                )));
            }
        };
        let text = match some(&q.text) {
            None => None,
            Some(t) if t.chars().count() < 3 => {
                return Err(BadFilter("Search for at least 3 characters.".into()));
            }
            Some(t) if t.len() > MAX_TEXT => {
                return Err(BadFilter(format!(
                    "Search for at most {MAX_TEXT} characters."
                )));
            }
            Some(t) => Some(t.to_string()),
        };
        Ok(Self {
            space: some(&q.space).map(str::to_string),
            actor: some(&q.actor).map(str::to_string),
            action,
            outcome,
            since: some(&q.since)
                .map(|v| instant(v, "start", false))
                .transpose()?,
            until: some(&q.until)
                .map(|v| instant(v, "end", true))
                .transpose()?,
            text,
        })
    }
}

/// One action of the history as the Audit page reads it: an intent joined
/// with its outcome.
#[derive(sqlx::FromRow)]
struct EntryRow {
    id: i64,
    at: String,
    actor: String,
    action: String,
    space: String,
    target: String,
    outcome: Option<String>,
    provider_status: Option<String>,
    message: Option<String>,
    request_id: Option<String>,
    finished_at: Option<String>,
    detail: Option<String>,
}

impl From<EntryRow> for AuditEntry {
    fn from(r: EntryRow) -> Self {
        AuditEntry {
            id: r.id,
            at: r.at,
            actor: r.actor,
            action: r.action,
            space: r.space,
            target: r.target,
            outcome: r.outcome,
            provider_status: r.provider_status,
            message: r.message,
            request_id: r.request_id,
            finished_at: r.finished_at,
            detail: r.detail,
        }
    }
}

/// One page of the history and the cursors around it.
pub struct Page {
    pub entries: Vec<AuditEntry>,
    pub older: Option<i64>,
    pub newer: Option<i64>,
    /// A free-text search that stopped before the end of the history:
    /// the record it stopped at (Older, or Newer, goes on from there).
    pub searched_to: Option<i64>,
}

/// Where a free-text page looks, and what it found there.
struct TextScan {
    /// The matching actions in the stretch looked at, in reading order.
    hits: Vec<i64>,
    /// Where the stretch ended, when it ended before the history did: the
    /// cursor that goes on from there.
    stopped_at: Option<i64>,
}

/// What each database's text index is asked for: SQLite's FTS5 one
/// phrase (quotes doubled, so the text is never FTS syntax), PostgreSQL's
/// trigram index an ILIKE pattern (its wildcards escaped). Both match any
/// part of the text, ignoring case.
fn text_pattern(db: &Db, text: &str) -> String {
    match db {
        Db::Sqlite(_) => format!("\"{}\"", text.replace('"', "\"\"")),
        Db::Postgres(_) => {
            let mut escaped = String::with_capacity(text.len() + 2);
            escaped.push('%');
            for c in text.chars() {
                if matches!(c, '%' | '_' | '\\') {
                    escaped.push('\\');
                }
                escaped.push(c);
            }
            escaped.push('%');
            escaped
        }
    }
}

/// A query builder for `pool`'s database.
fn builder<'a, DB: sqlx::Database>(_pool: &sqlx::Pool<DB>, init: &str) -> QueryBuilder<'a, DB> {
    QueryBuilder::new(init)
}

/// The free-text matches of `text` a page reads: from the cursor
/// (`before`, or `after`, or the newest record), in reading order, at most
/// `TEXT_HITS` of them within `TEXT_WINDOW` records.
async fn scan_text(
    db: &Db,
    text: &str,
    before: Option<i64>,
    after: Option<i64>,
    bounds: TextBounds,
) -> Result<TextScan, sqlx::Error> {
    let TextBounds {
        hits: max_hits,
        window,
    } = bounds;
    let newest = db.newest_record().await?;
    // The stretch [low, high) of record ids looked at.
    let (low, high, newest_first) = match (after, before) {
        (Some(a), _) => (a + 1, (a + 1 + window).min(newest + 1), false),
        (None, b) => {
            let high = b.unwrap_or(i64::MAX).min(newest + 1);
            ((high - window).max(1), high, true)
        }
    };
    let (id, matches) = match db {
        Db::Sqlite(_) => ("rowid", "audit_text MATCH $1"),
        Db::Postgres(_) => ("id", "body ILIKE $1"),
    };
    let sql = format!(
        "SELECT {id} FROM audit_text WHERE {matches} AND {id} >= $2 AND {id} < $3 \
         ORDER BY {id} {} LIMIT $4",
        if newest_first { "DESC" } else { "ASC" }
    );
    let pattern = text_pattern(db, text);
    let hits: Vec<i64> = on_pool!(db, p => {
        sqlx::query_scalar(&sql)
            .bind(&pattern)
            .bind(low)
            .bind(high)
            .bind(max_hits)
            .fetch_all(p)
            .await
    })?;
    let full = hits.len() as i64 == max_hits;
    let last = hits.last().copied();
    let stopped_at = match (newest_first, full) {
        // Cursors are exclusive: Older reads below it, Newer above it.
        (true, true) => last,
        (true, false) => (low > 1).then_some(low),
        (false, true) => last,
        (false, false) => (high <= newest).then_some(high - 1),
    };
    Ok(TextScan { hits, stopped_at })
}

/// The page `q` asks for: `size` actions, newest first, older than
/// `q.before` or newer than `q.after` (the newest when neither).
pub async fn page(db: &Db, q: &AuditQuery, size: u32) -> Result<Page, PageError> {
    let bounds = TextBounds {
        hits: TEXT_HITS,
        window: TEXT_WINDOW,
    };
    page_within(db, q, size, bounds).await
}

async fn page_within(
    db: &Db,
    q: &AuditQuery,
    size: u32,
    bounds: TextBounds,
) -> Result<Page, PageError> {
    let f = Filter::parse(q)?;
    let scan = match &f.text {
        Some(text) => Some(scan_text(db, text, q.before, q.after, bounds).await?),
        None => None,
    };
    // The matches found, each looked up by its id (a JSON array of them).
    let in_ids = match db {
        Db::Sqlite(_) => " AND i.id IN (SELECT value FROM json_each(",
        Db::Postgres(_) => " AND i.id IN (SELECT value::bigint FROM json_array_elements_text((",
    };
    let close = match db {
        Db::Sqlite(_) => "))",
        Db::Postgres(_) => ")::json))",
    };
    let newest_first = q.after.is_none();
    let mut rows: Vec<EntryRow> = on_pool!(db, pool => {
    let mut sql = builder(pool,
        "SELECT i.id, i.at, i.actor, i.action, i.space, i.target, o.outcome, \
         o.provider_status, o.message, o.request_id, o.at AS finished_at, i.detail \
         FROM audit_events i \
         LEFT JOIN audit_events o ON o.kind = 'outcome' AND o.intent_id = i.id \
         WHERE i.kind = 'intent'",
    );
    if let Some(s) = &f.space {
        sql.push(" AND i.space = ").push_bind(s.clone());
    }
    if let Some(a) = &f.actor {
        sql.push(" AND i.actor = ").push_bind(a.clone());
    }
    if let Some(a) = f.action {
        sql.push(" AND i.action = ").push_bind(a.as_str());
    }
    match f.outcome {
        None => {}
        Some("pending") => {
            sql.push(" AND i.id IN (SELECT intent_id FROM audit_open_intents)");
        }
        Some(o) => {
            sql.push(" AND o.outcome = ").push_bind(o);
        }
    }
    // Times become id bounds through the time index (records are appended
    // in time order), so the page is still read along the ids.
    if let Some(t) = &f.since {
        sql.push(" AND i.at >= ")
            .push_bind(t.clone())
            .push(" AND i.id >= (SELECT coalesce(MIN(id), 0) FROM audit_events WHERE at >= ")
            .push_bind(t.clone())
            .push(")");
    }
    if let Some(t) = &f.until {
        sql.push(" AND i.at < ")
            .push_bind(t.clone())
            .push(" AND i.id <= (SELECT coalesce(MAX(id), 0) FROM audit_events WHERE at < ")
            .push_bind(t.clone())
            .push(")");
    }
    if let Some(scan) = &scan {
        let ids = serde_json::to_string(&scan.hits).unwrap_or_else(|_| "[]".into());
        sql.push(in_ids).push_bind(ids).push(close);
    }
    if let Some(b) = q.before {
        sql.push(" AND i.id < ").push_bind(b);
    }
    if let Some(a) = q.after {
        sql.push(" AND i.id > ").push_bind(a);
    }
    sql.push(if newest_first {
        " ORDER BY i.id DESC LIMIT "
    } else {
        " ORDER BY i.id ASC LIMIT "
    })
    .push_bind(i64::from(size) + 1);
    sql.build_query_as().fetch_all(pool).await
    })?;
    let more = rows.len() > size as usize;
    rows.truncate(size as usize);
    if !newest_first {
        rows.reverse();
    }
    let (first, last) = (rows.first().map(|r| r.id), rows.last().map(|r| r.id));
    // A search that stopped before the page was full goes on from where it
    // stopped; a full page goes on from its last entry, as any page does.
    let searched_to = scan.and_then(|s| s.stopped_at).filter(|_| !more);
    let (older, newer) = if newest_first {
        (
            if more { last } else { searched_to },
            q.before.and(first).or(q.before.map(|b| b - 1)),
        )
    } else {
        (
            last.or(q.after.map(|a| a + 1)),
            if more { first } else { searched_to },
        )
    };
    Ok(Page {
        entries: rows.into_iter().map(AuditEntry::from).collect(),
        // Cursors are exclusive: "older" reads ids below it, "newer" above.
        older,
        newer,
        searched_to,
    })
}

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error(transparent)]
    Filter(#[from] BadFilter),
    #[error(transparent)]
    Audit(#[from] AuditError),
}

impl From<sqlx::Error> for PageError {
    fn from(e: sqlx::Error) -> Self {
        Self::Audit(e.into())
    }
}

/// The distinct values of an indexed column, read by skipping through the
/// index (one lookup per value) instead of scanning it.
async fn distinct(db: &Db, column: &str, intents: bool) -> Result<Vec<String>, AuditError> {
    let only = if intents { "kind = 'intent' AND " } else { "" };
    let sql = format!(
        "WITH RECURSIVE v(x) AS ( \
           SELECT (SELECT MIN({column}) FROM audit_events WHERE {only}{column} > '') \
           UNION ALL \
           SELECT (SELECT MIN({column}) FROM audit_events WHERE {only}{column} > v.x) \
           FROM v WHERE v.x IS NOT NULL) \
         SELECT x FROM v WHERE x IS NOT NULL"
    );
    Ok(on_pool!(db, p => sqlx::query_scalar(&sql).fetch_all(p).await)?)
}

/// The spaces that appear in the history, for the filter.
pub async fn spaces(db: &Db) -> Result<Vec<String>, AuditError> {
    distinct(db, "space", false).await
}

/// Who appears in the history, for the filter.
pub async fn actors(db: &Db) -> Result<Vec<String>, AuditError> {
    distinct(db, "actor", true).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Follows a search's Older links with `bounds` from the newest page;
    /// the targets found and each page's `searched_to`.
    async fn walk(pool: &Db, text: &str, bounds: TextBounds) -> (Vec<String>, Vec<Option<i64>>) {
        let mut q = AuditQuery {
            text: Some(text.into()),
            ..AuditQuery::default()
        };
        let (mut found, mut stops) = (Vec::new(), Vec::new());
        loop {
            let p = page_within(pool, &q, 10, bounds).await.unwrap();
            found.extend(p.entries.iter().map(|e| e.target.clone()));
            stops.push(p.searched_to);
            match p.older {
                Some(o) => q.before = Some(o),
                None => return (found, stops),
            }
            assert!(stops.len() < 500, "the search ends");
        }
    }

    #[tokio::test]
    async fn a_free_text_page_looks_only_so_far_and_the_next_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let log = super::super::AuditLog::open(&dir.path().join("q.db"))
            .await
            .unwrap();
        for i in 0..120 {
            let target = if i % 30 == 0 {
                format!("pcx-needle-{i}")
            } else {
                format!("pcx-{i:04}")
            };
            log.record_event(
                super::super::Intent::event("alice", AuditName::PeeringAccept, &target, None),
                super::super::Outcome::local(true, format!("provisioning {i}")),
            )
            .await
            .unwrap();
        }
        let pool = log.db();
        // A window of 40 records (20 actions): the four needles over many
        // pages, each found once; the pages that found none say where
        // they stopped.
        let small = TextBounds {
            hits: 1000,
            window: 40,
        };
        let (found, stops) = walk(pool, "needle", small).await;
        assert_eq!(found.len(), 4, "{found:?}");
        assert!(stops.len() >= 6, "{stops:?}");
        assert!(
            stops.iter().filter(|s| s.is_some()).count() >= 5,
            "{stops:?}"
        );
        // Three matches a page: a common word goes on from its last match.
        let few = TextBounds {
            hits: 3,
            window: 100_000,
        };
        let (found, _) = walk(pool, "provisioning", few).await;
        assert_eq!(found.len(), 120);
        let mut unique = found.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 120, "no action twice");
        // The whole history in one stretch: nothing said, one page each.
        let wide = TextBounds {
            hits: 1000,
            window: 100_000,
        };
        let (found, stops) = walk(pool, "needle", wide).await;
        assert_eq!(found.len(), 4);
        assert_eq!(stops, vec![None]);
    }

    fn q(f: impl FnOnce(&mut AuditQuery)) -> Result<Filter, BadFilter> {
        let mut q = AuditQuery::default();
        f(&mut q);
        Filter::parse(&q)
    }

    #[tokio::test]
    async fn filters_are_parsed_or_refused_with_a_reason() {
        assert!(q(|_| {}).is_ok());
        let f = q(|q| q.since = Some("2026-11-23".into())).unwrap();
        assert_eq!(f.since.as_deref(), Some("2026-11-23T00:00:00Z"));
        let f = q(|q| q.until = Some("2026-11-23".into())).unwrap();
        assert_eq!(f.until.as_deref(), Some("2026-11-24T00:00:00Z"));
        let f = q(|q| q.since = Some("2026-11-23T10:00:00+02:00".into())).unwrap();
        assert_eq!(f.since.as_deref(), Some("2026-11-23T08:00:00Z"));
        let e = q(|q| q.since = Some("yesterday".into())).unwrap_err();
        assert!(e.0.contains("YYYY-MM-DD"), "{e}");
        assert!(q(|q| q.outcome = Some("maybe".into())).is_err());
        assert!(q(|q| q.action = Some("peering.launch".into())).is_err());
        assert!(q(|q| q.text = Some("ab".into())).is_err());
        let f = q(|q| q.text = Some("a\"b OR c".into())).unwrap();
        assert_eq!(f.text.as_deref(), Some("a\"b OR c"));
        let sqlite = Db::Sqlite(sqlx::SqlitePool::connect_lazy("sqlite::memory:").unwrap());
        assert_eq!(text_pattern(&sqlite, "a\"b OR c"), "\"a\"\"b OR c\"");
        let pg = Db::Postgres(sqlx::PgPool::connect_lazy("postgres://x@127.0.0.1/x").unwrap());
        assert_eq!(text_pattern(&pg, "50%_a\\b"), "%50\\%\\_a\\\\b%");
    }
}
