//! Signed checkpoints: every so often the console signs "the history held
//! record N with MAC M" with the audit key's Ed25519 half, and delivers it
//! away from the database (a directory meant to be other storage, the log,
//! a webhook). Someone who can write the database, even with the key, can
//! no longer shorten or rewrite what a delivered checkpoint covers without
//! it showing. Each checkpoint also names the digest of the one before it,
//! and the database keeps a copy of each, so one removed from the
//! directory shows too.

use super::key::{self, AuditKey};
use super::verify::Break;
use crate::db::{Db, WritePool};
use crate::on_pool;
use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// What a checkpoint vouches for. The fields are signed in this order, as
/// compact JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub seq: i64,
    /// The newest record it covers, and that record's MAC.
    pub last_id: i64,
    pub last_mac: String,
    /// How many records the history held (ids run from 1 without gaps).
    pub count: i64,
    pub at: String,
    /// The audit key that signed it.
    pub key_id: String,
    /// The digest of the checkpoint before it, if any.
    pub prev: Option<String>,
}

/// A checkpoint with its signature, as stored and delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signed {
    pub checkpoint: Checkpoint,
    /// Ed25519, hex, over `body()`.
    pub signature: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("the checkpoint directory {path} cannot be read or written: {error}")]
    Dir { path: String, error: std::io::Error },
    #[error("the database failed: {0}")]
    Database(#[from] sqlx::Error),
}

impl Signed {
    pub fn new(key: &AuditKey, checkpoint: Checkpoint) -> Self {
        let signature = key.sign(body(&checkpoint).as_bytes());
        Self {
            checkpoint,
            signature,
        }
    }

    /// The SHA-256 of the signed body: what the next checkpoint names.
    pub fn digest(&self) -> String {
        hex::encode(Sha256::digest(body(&self.checkpoint).as_bytes()))
    }

    pub fn verifies(&self, public: &VerifyingKey) -> bool {
        key::signed_by(public, body(&self.checkpoint).as_bytes(), &self.signature)
    }
}

fn body(c: &Checkpoint) -> String {
    serde_json::to_string(c).expect("a checkpoint serialises")
}

/// `checkpoint-00000042.json`: names sort in the checkpoints' order.
pub fn file_name(seq: i64) -> String {
    format!("checkpoint-{seq:08}.json")
}

fn seq_of(name: &str) -> Option<i64> {
    name.strip_prefix("checkpoint-")?
        .strip_suffix(".json")?
        .parse()
        .ok()
}

fn dir_error(dir: &Path) -> impl Fn(std::io::Error) -> CheckpointError + '_ {
    move |error| CheckpointError::Dir {
        path: dir.display().to_string(),
        error,
    }
}

/// The sequence numbers of the checkpoints in `dir`, in order. A missing
/// directory holds none.
pub fn seqs_in(dir: &Path) -> Result<Vec<i64>, CheckpointError> {
    let entries = match std::fs::read_dir(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        other => other.map_err(dir_error(dir))?,
    };
    let mut seqs: Vec<i64> = entries
        .filter_map(|e| e.ok()?.file_name().to_str().and_then(seq_of))
        .collect();
    seqs.sort_unstable();
    Ok(seqs)
}

/// Checkpoint `seq` from `dir`; `None` if it does not parse.
pub fn read(dir: &Path, seq: i64) -> Result<Option<Signed>, CheckpointError> {
    let text = std::fs::read_to_string(dir.join(file_name(seq))).map_err(dir_error(dir))?;
    Ok(serde_json::from_str(&text).ok())
}

/// Writes a checkpoint into `dir` (made 0700 if missing), whole or not at
/// all: to a temporary name (0600, whatever the umask), synced, then
/// renamed.
pub fn write(dir: &Path, signed: &Signed) -> Result<PathBuf, CheckpointError> {
    use std::io::Write;
    use std::os::unix::fs::DirBuilderExt;
    let failed = dir_error(dir);
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(&failed)?;
    let path = dir.join(file_name(signed.checkpoint.seq));
    let tmp = dir.join(format!(".{}.tmp", file_name(signed.checkpoint.seq)));
    // Private like the database: a checkpoint names records and their MACs.
    let _ = std::fs::remove_file(&tmp);
    let mut file = crate::private::create_new(&tmp).map_err(&failed)?;
    let json = serde_json::to_string_pretty(signed).expect("a checkpoint serialises");
    writeln!(file, "{json}").map_err(&failed)?;
    file.sync_all().map_err(&failed)?;
    std::fs::rename(&tmp, &path).map_err(&failed)?;
    Ok(path)
}

/// The newest checkpoint the database keeps, as a body and a signature.
const NEWEST: &str = "SELECT body, signature FROM audit_checkpoints ORDER BY seq DESC LIMIT 1";

/// The newest checkpoint the database keeps.
pub async fn last_recorded(db: &Db) -> Result<Option<Signed>, sqlx::Error> {
    let row: Option<(String, String)> =
        on_pool!(db, p => sqlx::query_as(NEWEST).fetch_optional(p).await)?;
    Ok(parse(row))
}

/// Keeps a copy of `signed` in the database, whatever it holds already.
pub async fn record(db: &Db, signed: &Signed) -> Result<(), sqlx::Error> {
    record_next(db, |_| Some(signed.clone())).await.map(|_| ())
}

/// What `record_next` did.
pub enum Next {
    Made(Signed),
    /// None was made: the newest the database holds (if any) covers as much.
    Covered(Option<Signed>),
}

fn parse(row: Option<(String, String)>) -> Option<Signed> {
    row.and_then(|(body, signature)| {
        Some(Signed {
            checkpoint: serde_json::from_str(&body).ok()?,
            signature,
        })
    })
}

/// Keeps the checkpoint `make` signs after the newest the database holds,
/// under the database's write lock, so that consoles sharing a database
/// never sign two checkpoints with one sequence number. `make` answers
/// `None` when the newest covers as much as it would.
pub async fn record_next(
    db: &Db,
    make: impl FnOnce(Option<&Signed>) -> Option<Signed>,
) -> Result<Next, sqlx::Error> {
    on_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let newest = parse(sqlx::query_as(NEWEST).fetch_optional(&mut *tx).await?);
        let Some(signed) = make(newest.as_ref()) else {
            return Ok(Next::Covered(newest));
        };
        sqlx::query(
            "INSERT INTO audit_checkpoints (seq, last_id, body, signature) VALUES ($1, $2, $3, $4)",
        )
        .bind(signed.checkpoint.seq)
        .bind(signed.checkpoint.last_id)
        .bind(body(&signed.checkpoint))
        .bind(&signed.signature)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Next::Made(signed))
    })
}

/// The check at start-up where no checkpoint directory is kept (consoles
/// on PostgreSQL without a disk that lasts): the newest checkpoint the
/// database holds is signed by this key and holds. The checkpoints sent
/// to the webhook are the copies kept apart; `spaceport audit verify
/// --checkpoints DIR` checks the history against them.
pub async fn check_newest_recorded(
    db: &Db,
    public: &VerifyingKey,
) -> Result<Vec<Break>, CheckpointError> {
    let Some(newest) = last_recorded(db).await? else {
        return Ok(Vec::new());
    };
    if !newest.verifies(public) {
        return Ok(vec![Break::CheckpointForged {
            seq: newest.checkpoint.seq,
        }]);
    }
    let before: Option<i64> = on_pool!(db, p => {
        sqlx::query_scalar("SELECT last_id FROM audit_checkpoints WHERE seq = $1")
            .bind(newest.checkpoint.seq - 1)
            .fetch_optional(p)
            .await
    })?;
    Ok(compare(db, &newest, before.unwrap_or(0))
        .await?
        .into_iter()
        .collect())
}

/// What the database holds against one checkpoint; `after` is the record
/// the checkpoint before it covered (0 for the first).
pub async fn compare(db: &Db, signed: &Signed, after: i64) -> Result<Option<Break>, sqlx::Error> {
    let c = &signed.checkpoint;
    let mac: Option<String> = on_pool!(db, p => {
        sqlx::query_scalar("SELECT hash FROM audit_events WHERE id = $1")
            .bind(c.last_id)
            .fetch_optional(p)
            .await
    })?;
    Ok(match mac {
        None => Some(Break::Truncated {
            seq: c.seq,
            last_id: c.last_id,
            ends_at: db.newest_record().await?,
        }),
        Some(mac) if mac != c.last_mac => Some(Break::Rewritten {
            seq: c.seq,
            last_id: c.last_id,
            after,
        }),
        Some(_) => None,
    })
}

/// The checkpoints the database recorded, by sequence number.
async fn recorded_seqs(db: &Db) -> Result<Option<i64>, sqlx::Error> {
    on_pool!(db, p => {
        sqlx::query_scalar("SELECT MAX(seq) FROM audit_checkpoints")
            .fetch_one(p)
            .await
    })
}

/// Sequence numbers from 1 to the newest (in `dir` or recorded) that `dir`
/// lacks.
fn missing(seqs: &[i64], recorded: Option<i64>) -> Vec<Break> {
    let newest = seqs.last().copied().max(recorded).unwrap_or(0);
    let present: std::collections::HashSet<i64> = seqs.iter().copied().collect();
    (1..=newest)
        .filter(|s| !present.contains(s))
        .map(|seq| Break::CheckpointMissing { seq })
        .collect()
}

/// Checks every checkpoint in `dir` against `public` and the database.
pub async fn check_all(
    db: &Db,
    dir: &Path,
    public: &VerifyingKey,
) -> Result<Vec<Break>, CheckpointError> {
    check(db, dir, public, false).await
}

/// The check at start-up, cheap whatever the history's length: the names
/// in `dir` run without gaps to the newest the database recorded, and the
/// newest checkpoint holds.
pub async fn check_newest(
    db: &Db,
    dir: &Path,
    public: &VerifyingKey,
) -> Result<Vec<Break>, CheckpointError> {
    check(db, dir, public, true).await
}

async fn check(
    db: &Db,
    dir: &Path,
    public: &VerifyingKey,
    newest_only: bool,
) -> Result<Vec<Break>, CheckpointError> {
    let seqs = seqs_in(dir)?;
    let mut found = missing(&seqs, recorded_seqs(db).await?);
    let start = if newest_only {
        seqs.len().saturating_sub(1)
    } else {
        0
    };
    // The record the checkpoint before the first one checked covered.
    let mut after = match start.checked_sub(1) {
        Some(i) => read(dir, seqs[i])?.map_or(0, |p| p.checkpoint.last_id),
        None => 0,
    };
    for &seq in &seqs[start..] {
        match read(dir, seq)? {
            Some(s) if s.checkpoint.seq == seq && s.verifies(public) => {
                found.extend(compare(db, &s, after).await?);
                after = s.checkpoint.last_id;
            }
            _ => found.push(Break::CheckpointForged { seq }),
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(key: &AuditKey, seq: i64) -> Signed {
        Signed::new(
            key,
            Checkpoint {
                seq,
                last_id: seq * 10,
                last_mac: "ab".repeat(32),
                count: seq * 10,
                at: "2026-11-23T12:00:00Z".into(),
                key_id: key.id().into(),
                prev: None,
            },
        )
    }

    #[test]
    fn a_written_checkpoint_reads_back_and_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let key = AuditKey::from_secret(&[5; 32]);
        let s = signed(&key, 3);
        write(dir.path(), &s).unwrap();
        assert_eq!(seqs_in(dir.path()).unwrap(), [3]);
        let back = read(dir.path(), 3).unwrap().unwrap();
        assert_eq!(back, s);
        assert!(back.verifies(&key.public()));
        let mut forged = back.clone();
        forged.checkpoint.last_id += 1;
        assert!(!forged.verifies(&key.public()));
        assert!(!back.verifies(&AuditKey::from_secret(&[6; 32]).public()));
    }

    #[test]
    fn gaps_are_missing_checkpoints() {
        assert_eq!(
            missing(&[1, 2, 4], None),
            [Break::CheckpointMissing { seq: 3 }]
        );
        assert_eq!(
            missing(&[1, 2], Some(3)),
            [Break::CheckpointMissing { seq: 3 }]
        );
        assert_eq!(missing(&[], None), []);
    }
}
