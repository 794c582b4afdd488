//! Verifying the chain, one record at a time, so the same code checks the
//! whole history (`spaceport audit verify`, the start-up pass) and only the
//! records appended since the last check (the console in the background).

use super::chain::{self, GENESIS, Row};
use super::key::AuditKey;
use crate::db::Db;
use crate::on_pool;
use domain::kind::AuditName;
use std::sync::Arc;

/// A stored record: its content and the MAC (or, before the history was
/// keyed, the hash) it was stored with.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Stored {
    #[sqlx(flatten)]
    pub row: Row,
    #[sqlx(rename = "hash")]
    pub mac: String,
}

/// The columns of a `Stored`, in a query.
pub const STORED_COLUMNS: &str = "id, at, kind, intent_id, actor, action, space, target, outcome, \
     provider_status, message, request_id, detail, action_data, prev_hash, hash";

/// A record as `read_after` receives it: its columns in `STORED_COLUMNS`
/// order.
type Columns = (
    i64,
    String,
    String,
    Option<i64>,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
);

/// The records with ids in `after + 1 ..= after + span`, in id order.
/// SQLite hands them over as one JSON array: read row by row, the driver's
/// hand-over of each row between threads cost more than verifying it (a
/// million records took 11.5 s, most of it in the kernel and the
/// allocator).
pub async fn read_after(db: Db, after: i64, span: i64) -> Result<Vec<Stored>, sqlx::Error> {
    // The subquery hands the rows over in id order; they are sorted again
    // below (already in order, that costs one pass), since SQLite does not
    // promise an aggregate's order. PostgreSQL's aggregate takes an order.
    let sql = match &db {
        Db::Sqlite(_) => format!(
            "SELECT json_group_array(json_array({STORED_COLUMNS})) FROM \
             (SELECT * FROM audit_events WHERE id > $1 AND id <= $1 + $2 ORDER BY id)"
        ),
        Db::Postgres(_) => format!(
            "SELECT json_agg(json_build_array({STORED_COLUMNS}) ORDER BY id)::text \
             FROM audit_events WHERE id > $1 AND id <= $1 + $2"
        ),
    };
    let json: Option<String> = on_pool!(&db, p => {
        sqlx::query_scalar(&sql).bind(after).bind(span).fetch_one(p).await
    })?;
    let mut rows: Vec<Columns> = serde_json::from_str(json.as_deref().unwrap_or("[]"))
        .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    rows.sort_by_key(|c| c.0);
    Ok(rows.into_iter().map(Stored::from).collect())
}

/// Chunks read ahead while one is verified: SQLite's side of the work is
/// the larger, so two connections read while the MACs are checked.
const AHEAD: usize = 2;

/// Verifies every record, up to the newest now, after the last one `v`
/// checked, in chunks of `chunk` ids read ahead of the check; `progress`
/// is told after each chunk.
pub async fn verify_rest(
    db: &Db,
    v: &mut Verifier,
    chunk: i64,
    mut progress: impl FnMut(&Verifier),
) -> Result<(), sqlx::Error> {
    let newest = db.newest_record().await?;
    let mut starts = (v.through()..newest).step_by(chunk.max(1) as usize);
    let read = |after| tokio::spawn(read_after(db.clone(), after, chunk));
    let mut pending: std::collections::VecDeque<_> =
        starts.by_ref().take(AHEAD).map(read).collect();
    while let Some(reading) = pending.pop_front() {
        pending.extend(starts.next().map(read));
        let rows = reading
            .await
            .map_err(|e| sqlx::Error::Protocol(format!("reading failed: {e}")))??;
        rows.iter().for_each(|s| v.push(s));
        progress(v);
    }
    Ok(())
}

impl From<Columns> for Stored {
    fn from(c: Columns) -> Self {
        Self {
            row: Row {
                id: c.0,
                at: c.1,
                kind: c.2,
                intent_id: c.3,
                actor: c.4,
                action: c.5,
                space: c.6,
                target: c.7,
                outcome: c.8,
                provider_status: c.9,
                message: c.10,
                request_id: c.11,
                detail: c.12,
                action_data: c.13,
                prev_hash: c.14,
            },
            mac: c.15,
        }
    }
}

/// What is wrong with the history, at the first record it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    /// The record's content no longer matches its MAC.
    Edited { id: i64 },
    /// Records `from..=to` are gone.
    Missing { from: i64, to: i64 },
    /// The record does not point at the MAC of the record before it: it,
    /// or the one before, was replaced.
    Relinked { id: i64 },
    /// From `id` on, records were written under another key than the one
    /// held: the key file was replaced, or the history rewritten with one.
    OtherKey {
        id: i64,
        written_with: String,
        held: String,
    },
    /// The history ends at `ends_at`, before the record checkpoint `seq`
    /// signed (`last_id`): the newest records were deleted.
    Truncated {
        seq: i64,
        last_id: i64,
        ends_at: i64,
    },
    /// Record `last_id` has another MAC than checkpoint `seq` signed: the
    /// records after the checkpoint before it were rewritten.
    Rewritten { seq: i64, last_id: i64, after: i64 },
    /// A checkpoint is missing from where they are kept.
    CheckpointMissing { seq: i64 },
    /// A checkpoint's signature does not verify: forged, or another key.
    CheckpointForged { seq: i64 },
}

impl Break {
    /// The first record concerned.
    pub fn record(&self) -> Option<i64> {
        match self {
            Self::Edited { id } | Self::Relinked { id } | Self::OtherKey { id, .. } => Some(*id),
            Self::Missing { from, .. } => Some(*from),
            Self::Truncated { ends_at, .. } => Some(ends_at + 1),
            Self::Rewritten { after, .. } => Some(after + 1),
            Self::CheckpointMissing { .. } | Self::CheckpointForged { .. } => None,
        }
    }
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Edited { id } => write!(
                f,
                "record {id} was edited: its content no longer matches its MAC"
            ),
            Self::Missing { from, to } if from == to => write!(f, "record {from} is missing"),
            Self::Missing { from, to } => write!(f, "records {from} to {to} are missing"),
            Self::Relinked { id } => write!(
                f,
                "record {id} does not follow the record before it: one of them was replaced"
            ),
            Self::OtherKey {
                id,
                written_with,
                held,
            } => write!(
                f,
                "from record {id} on, the history was written with audit key {written_with}, \
                 not the key held ({held}): the key was replaced or lost"
            ),
            Self::Truncated {
                seq,
                last_id,
                ends_at,
            } => write!(
                f,
                "truncated after checkpoint {seq}: the checkpoint signed record {last_id}, \
                 the history ends at record {ends_at}"
            ),
            Self::Rewritten {
                seq,
                last_id,
                after,
            } => write!(
                f,
                "rewritten: record {last_id} differs from checkpoint {seq}; records after \
                 {after} were replaced"
            ),
            Self::CheckpointMissing { seq } => write!(f, "checkpoint {seq} is missing"),
            Self::CheckpointForged { seq } => {
                write!(f, "checkpoint {seq} is not signed by the audit key")
            }
        }
    }
}

/// The detail of an `audit.keyed` record: the key the records from it on
/// are written with.
pub fn keyed_detail(key_id: &str) -> String {
    format!("key {key_id}")
}

/// The key an `audit.keyed` record's detail names, if it names one.
pub fn keyed_by(detail: Option<&str>) -> Option<&str> {
    detail?.strip_prefix("key ")
}

/// Which scheme the records being read are under.
#[derive(Debug, Clone)]
enum Scheme {
    Unkeyed,
    Keyed { key_id: String },
}

/// The most findings kept; the first is what matters, the rest help.
const KEEP: usize = 20;

/// Checks records in id order. Feed it every record from the first, or
/// keep it and feed it the records appended since.
#[derive(Debug, Clone)]
pub struct Verifier {
    key: Option<Arc<AuditKey>>,
    scheme: Scheme,
    prev_id: i64,
    prev_mac: String,
    /// The first record checked by linkage only (no key held for it).
    pub unchecked_from: Option<i64>,
    pub breaks: Vec<Break>,
    /// The first keyed record, if the history is keyed.
    pub keyed_from: Option<i64>,
}

impl Verifier {
    pub fn new(key: Option<Arc<AuditKey>>) -> Self {
        Self {
            key,
            scheme: Scheme::Unkeyed,
            prev_id: 0,
            prev_mac: GENESIS.to_string(),
            unchecked_from: None,
            breaks: Vec::new(),
            keyed_from: None,
        }
    }

    /// The last record checked.
    pub fn through(&self) -> i64 {
        self.prev_id
    }

    /// The MAC of the last record checked.
    pub fn last_mac(&self) -> &str {
        &self.prev_mac
    }

    pub fn first_break(&self) -> Option<&Break> {
        self.breaks.first()
    }

    fn note(&mut self, b: Break) {
        if self.breaks.len() < KEEP {
            self.breaks.push(b);
        }
    }

    pub fn push(&mut self, s: &Stored) {
        let row = &s.row;
        if row.id != self.prev_id + 1 {
            self.note(Break::Missing {
                from: self.prev_id + 1,
                to: row.id - 1,
            });
        } else if row.prev_hash != self.prev_mac {
            self.note(Break::Relinked { id: row.id });
        }
        if row.kind == "intent" && row.action == AuditName::AuditKeyed.as_str() {
            let key_id = keyed_by(row.detail.as_deref())
                .unwrap_or_default()
                .to_string();
            self.keyed_from.get_or_insert(row.id);
            self.scheme = Scheme::Keyed { key_id };
            self.check_key(row.id);
        }
        let intact = match (&self.scheme, &self.key) {
            (Scheme::Unkeyed, _) => chain::hash(row) == s.mac,
            (Scheme::Keyed { key_id }, Some(key)) if key.id() == key_id => {
                chain::mac_matches(key, row, &s.mac)
            }
            // Another key's records, or none held: linkage only.
            (Scheme::Keyed { .. }, _) => {
                self.unchecked_from.get_or_insert(row.id);
                true
            }
        };
        if !intact {
            self.note(Break::Edited { id: row.id });
        }
        self.prev_id = row.id;
        self.prev_mac.clone_from(&s.mac);
    }

    /// At a keyed record: a key held that is not the segment's is a break.
    fn check_key(&mut self, id: i64) {
        if let (Scheme::Keyed { key_id }, Some(key)) = (&self.scheme, &self.key)
            && key.id() != key_id
        {
            let b = Break::OtherKey {
                id,
                written_with: key_id.clone(),
                held: key.id().to_string(),
            };
            self.note(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, action: &str, detail: Option<String>, prev: &str) -> Row {
        Row {
            id,
            at: format!("2026-11-23T12:00:{:02}Z", id % 60),
            kind: "intent".into(),
            intent_id: None,
            actor: "ops".into(),
            action: action.into(),
            space: String::new(),
            target: format!("t{id}"),
            outcome: None,
            provider_status: None,
            message: None,
            request_id: None,
            detail,
            action_data: None,
            prev_hash: prev.into(),
        }
    }

    /// `unkeyed` records under the old scheme, then a keyed marker and
    /// keyed records up to `n`.
    fn history(key: &AuditKey, unkeyed: i64, n: i64) -> Vec<Stored> {
        let mut prev = GENESIS.to_string();
        let mut keyed = false;
        (1..=n)
            .map(|id| {
                let r = if id == unkeyed + 1 {
                    keyed = true;
                    row(
                        id,
                        AuditName::AuditKeyed.as_str(),
                        Some(keyed_detail(key.id())),
                        &prev,
                    )
                } else {
                    row(id, "peering.accept", None, &prev)
                };
                let mac = if keyed {
                    chain::mac(key, &r)
                } else {
                    chain::hash(&r)
                };
                prev = mac.clone();
                Stored { row: r, mac }
            })
            .collect()
    }

    fn verify(key: &Arc<AuditKey>, rows: &[Stored]) -> Verifier {
        let mut v = Verifier::new(Some(key.clone()));
        rows.iter().for_each(|s| v.push(s));
        v
    }

    #[test]
    fn both_schemes_verify_and_the_first_keyed_record_is_known() {
        let key = Arc::new(AuditKey::from_secret(&[3; 32]));
        let v = verify(&key, &history(&key, 4, 10));
        assert_eq!(v.breaks, []);
        assert_eq!(v.keyed_from, Some(5));
        assert_eq!(v.through(), 10);
        assert_eq!(v.unchecked_from, None);
    }

    #[test]
    fn a_tail_rehashed_without_the_key_breaks_at_the_edit() {
        let key = Arc::new(AuditKey::from_secret(&[3; 32]));
        let mut rows = history(&key, 2, 8);
        rows[5].row.actor = "mallory".into();
        let mut prev = rows[4].mac.clone();
        for s in &mut rows[5..] {
            s.row.prev_hash = prev;
            s.mac = chain::hash(&s.row);
            prev = s.mac.clone();
        }
        assert_eq!(
            verify(&key, &rows).first_break(),
            Some(&Break::Edited { id: 6 })
        );
    }

    #[test]
    fn gaps_and_relinks_are_named() {
        let key = Arc::new(AuditKey::from_secret(&[3; 32]));
        let mut rows = history(&key, 0, 8);
        rows.drain(3..5);
        assert_eq!(
            verify(&key, &rows).first_break(),
            Some(&Break::Missing { from: 4, to: 5 })
        );
        let mut rows = history(&key, 0, 8);
        rows[3].row.prev_hash = GENESIS.into();
        assert_eq!(
            verify(&key, &rows).first_break(),
            Some(&Break::Relinked { id: 4 })
        );
    }

    #[test]
    fn another_key_is_named_and_no_key_checks_linkage_only() {
        let key = Arc::new(AuditKey::from_secret(&[3; 32]));
        let other = Arc::new(AuditKey::from_secret(&[4; 32]));
        let rows = history(&key, 2, 6);
        let v = verify(&other, &rows);
        assert!(matches!(
            v.first_break(),
            Some(Break::OtherKey { id: 3, .. })
        ));
        let mut v = Verifier::new(None);
        rows.iter().for_each(|s| v.push(s));
        assert_eq!(v.breaks, []);
        assert_eq!(v.unchecked_from, Some(3));
    }
}
