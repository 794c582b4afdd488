//! `spaceport audit export`: every record in id order, with its MAC, as
//! JSON lines or CSV, for a SIEM. Read in pages along the ids, so memory
//! stays flat however long the history is.

use super::verify::{STORED_COLUMNS, Stored};
use crate::db::Db;
use crate::on_pool;
use serde::Serialize;
use std::io::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Jsonl,
    Csv,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("the database failed: {0}")]
    Database(#[from] sqlx::Error),
    #[error("cannot write: {0}")]
    Write(#[from] std::io::Error),
    #[error("cannot write: {0}")]
    Csv(#[from] csv::Error),
    #[error("--since: \"{0}\" is neither a record id nor a day (YYYY-MM-DD) or RFC 3339 time")]
    Since(String),
}

impl ExportError {
    /// The reader went away (`| head`): not the export's failure.
    pub fn is_broken_pipe(&self) -> bool {
        let io = match self {
            Self::Write(e) => Some(e),
            Self::Csv(e) => match e.kind() {
                csv::ErrorKind::Io(e) => Some(e),
                _ => None,
            },
            _ => None,
        };
        io.is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

/// Where the export starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Since {
    Record(i64),
    /// A time in the stored form (UTC, RFC 3339).
    Time(String),
}

impl std::str::FromStr for Since {
    type Err = ExportError;
    fn from_str(s: &str) -> Result<Self, ExportError> {
        if let Ok(id) = s.parse::<i64>() {
            return Ok(Self::Record(id));
        }
        super::query::instant(s, "start", false)
            .map(Self::Time)
            .map_err(|_| ExportError::Since(s.into()))
    }
}

/// One exported record: every stored field, the MAC last.
#[derive(Serialize)]
struct Record<'a> {
    id: i64,
    at: &'a str,
    kind: &'a str,
    intent_id: Option<i64>,
    actor: &'a str,
    action: &'a str,
    space: &'a str,
    target: &'a str,
    outcome: Option<&'a str>,
    provider_status: Option<&'a str>,
    message: Option<&'a str>,
    request_id: Option<&'a str>,
    detail: Option<&'a str>,
    action_data: Option<&'a str>,
    prev_mac: &'a str,
    mac: &'a str,
}

impl<'a> From<&'a Stored> for Record<'a> {
    fn from(s: &'a Stored) -> Self {
        let r = &s.row;
        Self {
            id: r.id,
            at: &r.at,
            kind: &r.kind,
            intent_id: r.intent_id,
            actor: &r.actor,
            action: &r.action,
            space: &r.space,
            target: &r.target,
            outcome: r.outcome.as_deref(),
            provider_status: r.provider_status.as_deref(),
            message: r.message.as_deref(),
            request_id: r.request_id.as_deref(),
            detail: r.detail.as_deref(),
            action_data: r.action_data.as_deref(),
            prev_mac: &r.prev_hash,
            mac: &s.mac,
        }
    }
}

/// Where the records go, in their format.
enum Sink<W: Write> {
    Jsonl(std::io::BufWriter<W>),
    Csv(Box<csv::Writer<W>>),
}

impl<W: Write> Sink<W> {
    fn write(&mut self, r: Record<'_>) -> Result<(), ExportError> {
        match self {
            Self::Jsonl(w) => {
                serde_json::to_writer(&mut *w, &r).map_err(std::io::Error::from)?;
                w.write_all(b"\n")?;
            }
            Self::Csv(w) => w.serialize(r)?,
        }
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Self::Jsonl(w) => w.flush(),
            Self::Csv(w) => w.flush(),
        }
    }
}

/// Records read per query.
const CHUNK: i64 = 5_000;

/// Writes the records from `since` (all when `None`), of `space` only when
/// given, to `out`. Returns how many were written.
pub async fn export(
    db: &Db,
    format: Format,
    since: Option<&Since>,
    space: Option<&str>,
    out: impl Write,
) -> Result<u64, ExportError> {
    let mut after = match since {
        None => 0,
        Some(Since::Record(id)) => id - 1,
        Some(Since::Time(t)) => {
            let first: Option<i64> = on_pool!(db, p => {
                sqlx::query_scalar("SELECT MIN(id) FROM audit_events WHERE at >= $1")
                    .bind(t)
                    .fetch_one(p)
                    .await
            })?;
            first.map_or(i64::MAX - 1, |id| id - 1)
        }
    };
    let mut sink = match format {
        Format::Jsonl => Sink::Jsonl(std::io::BufWriter::new(out)),
        Format::Csv => Sink::Csv(Box::new(csv::Writer::from_writer(out))),
    };
    let mut written = 0;
    let sql = format!(
        "SELECT {STORED_COLUMNS} FROM audit_events WHERE id > $1 AND ($2 IS NULL OR space = $2) \
         ORDER BY id LIMIT $3"
    );
    loop {
        let rows: Vec<Stored> = on_pool!(db, p => {
            sqlx::query_as(&sql)
                .bind(after)
                .bind(space)
                .bind(CHUNK)
                .fetch_all(p)
                .await
        })?;
        let Some(last) = rows.last() else { break };
        after = last.row.id;
        for s in &rows {
            sink.write(Record::from(s))?;
            written += 1;
        }
    }
    sink.flush()?;
    Ok(written)
}
