//! The console's watch over its own history. At start-up it compares the
//! database with the newest checkpoint (cheap, whatever the history's
//! length), then, in the background and without delaying the listener,
//! verifies every record once and from then on each record appended,
//! remembering how far it got. It signs a checkpoint every N records, every
//! M minutes, and at a clean shutdown. Whatever it finds raises the alarm
//! every page shows until an admin acknowledges it.

use super::checkpoint::{self, Checkpoint, Signed};
use super::verify::{Break, Verifier, verify_rest};
use super::{AuditError, AuditLog, now_rfc3339};
use domain::model::ChainStatus;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// When and where checkpoints are made.
#[derive(Debug, Clone)]
pub struct CheckpointSettings {
    /// The directory each checkpoint is also written to, if any.
    pub dir: Option<PathBuf>,
    /// A checkpoint once this many records are new...
    pub every: i64,
    /// ...or once this long has passed with any new record.
    pub interval: Duration,
    /// Each checkpoint is also POSTed here, as JSON.
    pub webhook: Option<url::Url>,
}

/// The default checkpoint directory: beside the database. Meant to be
/// moved to other storage (see the README).
pub fn default_dir(database: &std::path::Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push("-checkpoints");
    PathBuf::from(name)
}

/// How often the whole history is verified again, besides at start-up: the
/// incremental pass only reads new records, so an edit to an old one made
/// while the console runs is found by the next full pass.
const FULL_PASS: Duration = Duration::from_secs(24 * 3600);

/// Records verified per read.
const CHUNK: i64 = 10_000;

/// The setting that keeps the finding an admin acknowledged.
const ACKNOWLEDGED: &str = "audit_acknowledged";

#[derive(Debug, Default)]
struct State {
    through: i64,
    verified_at: Option<String>,
    /// The first break the verification found.
    broken: Option<Break>,
    /// What the start-up comparison with the checkpoints found.
    at_start: Vec<Break>,
    acknowledged: Option<String>,
    newest: Option<Signed>,
}

pub struct Integrity {
    log: Arc<AuditLog>,
    settings: CheckpointSettings,
    state: RwLock<State>,
    /// The verification's progress; held while it reads and while a
    /// checkpoint is made, so the two never interleave.
    progress: tokio::sync::Mutex<Progress>,
    http: reqwest::Client,
}

/// Where the background verification is, and when it last did what.
struct Progress {
    verifier: Verifier,
    last_checkpoint: Instant,
    /// When the current full pass started.
    full_pass: Instant,
}

/// Problems as one sentence: "Record 5 was edited: ...; checkpoint 3 is
/// missing." `None` when there are none.
fn in_words(problems: &[Break]) -> Option<String> {
    let all: Vec<String> = problems.iter().map(ToString::to_string).collect();
    (!all.is_empty()).then(|| {
        let mut text = all.join("; ");
        if let Some(first) = text.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        text + "."
    })
}

/// An acknowledgement that does not match the alarm shown.
#[derive(Debug, thiserror::Error)]
pub enum AcknowledgeError {
    #[error("There is no integrity alarm to acknowledge.")]
    NoAlarm,
    #[error("The alarm changed since it was shown; reload the page and read it again.")]
    Changed,
    #[error(transparent)]
    Audit(#[from] AuditError),
}

impl Integrity {
    /// Compares the history with the newest checkpoint, then starts the
    /// background verification; returns at once.
    pub async fn start(
        log: Arc<AuditLog>,
        settings: CheckpointSettings,
    ) -> Result<Arc<Self>, AuditError> {
        let db = log.db().clone();
        let public = log.key().public();
        let compared = match &settings.dir {
            Some(dir) => checkpoint::check_newest(&db, dir, &public).await,
            None => checkpoint::check_newest_recorded(&db, &public).await,
        };
        let at_start = match compared {
            Ok(found) => found,
            Err(checkpoint::CheckpointError::Database(e)) => return Err(e.into()),
            Err(e) => {
                tracing::error!(error = %e, "checkpoints not compared");
                Vec::new()
            }
        };
        for b in &at_start {
            tracing::error!(problem = %b, dir = ?settings.dir, "the audit history does not match its checkpoints");
        }
        let acknowledged = db.setting(ACKNOWLEDGED).await?;
        let newest = checkpoint::last_recorded(&db).await?;
        let key = log.key().clone();
        let me = Arc::new(Self {
            settings,
            state: RwLock::new(State {
                at_start,
                acknowledged,
                newest,
                ..State::default()
            }),
            progress: tokio::sync::Mutex::new(Progress {
                verifier: Verifier::new(Some(key)),
                last_checkpoint: Instant::now(),
                full_pass: Instant::now(),
            }),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
            log,
        });
        let keeper = me.clone();
        tokio::spawn(async move { keeper.keep().await });
        Ok(me)
    }

    /// Verifies and checkpoints whenever records are appended, and at
    /// least every checkpoint interval.
    async fn keep(self: Arc<Self>) {
        loop {
            if let Err(e) = self.step(false).await {
                tracing::error!(error = %e, "audit verification failed to read the history");
            }
            tokio::select! {
                () = self.log.appended().notified() => {}
                () = tokio::time::sleep(self.settings.interval) => {}
            }
        }
    }

    /// Verifies what is new, then checkpoints if it is time (or `force`).
    async fn step(&self, force: bool) -> Result<(), AuditError> {
        let mut progress = self.progress.lock().await;
        let Progress {
            verifier,
            last_checkpoint,
            full_pass,
        } = &mut *progress;
        if full_pass.elapsed() >= FULL_PASS {
            // Start again from the first record; the findings so far stand
            // until the new pass has its own.
            *verifier = Verifier::new(Some(self.log.key().clone()));
            *full_pass = Instant::now();
        }
        self.catch_up(verifier).await?;
        let newest = self.read().newest.clone();
        let covered = newest.as_ref().map_or(0, |s| s.checkpoint.last_id);
        let new = verifier.through() - covered;
        let due = new >= self.settings.every
            || (new > 0 && last_checkpoint.elapsed() >= self.settings.interval);
        if new > 0 && (force || due) {
            self.checkpoint(verifier).await;
            *last_checkpoint = Instant::now();
        }
        Ok(())
    }

    /// Reads and verifies the records after the last one verified.
    async fn catch_up(&self, verifier: &mut Verifier) -> Result<(), AuditError> {
        verify_rest(self.log.db(), verifier, CHUNK, |v| {
            let mut state = self.write();
            state.through = state.through.max(v.through());
            if state.broken.is_none()
                && let Some(b) = v.first_break()
            {
                tracing::error!(problem = %b, "the audit history does not verify");
                state.broken = Some(b.clone());
            }
        })
        .await?;
        self.write().verified_at = Some(now_rfc3339());
        Ok(())
    }

    /// Signs the history up to the last verified record, keeps the
    /// checkpoint in the database, and delivers it: the directory, the log,
    /// the webhook. A delivery that fails is logged; the next checkpoint
    /// covers the same records and more.
    ///
    /// Several consoles on one database sign one sequence between them:
    /// the next checkpoint follows the newest the database holds, made
    /// under its write lock, and none is made when that one already covers
    /// as much (another console signed first).
    async fn checkpoint(&self, verifier: &Verifier) {
        let key = self.log.key().clone();
        let (through, last_mac) = (verifier.through(), verifier.last_mac().to_string());
        let made = checkpoint::record_next(self.log.db(), |previous| {
            (previous.map_or(0, |p| p.checkpoint.last_id) < through).then(|| {
                Signed::new(
                    &key,
                    Checkpoint {
                        seq: previous.map_or(1, |p| p.checkpoint.seq + 1),
                        last_id: through,
                        last_mac,
                        count: through,
                        at: now_rfc3339(),
                        key_id: key.id().to_string(),
                        prev: previous.map(Signed::digest),
                    },
                )
            })
        })
        .await;
        let signed = match made {
            Ok(checkpoint::Next::Made(signed)) => signed,
            Ok(checkpoint::Next::Covered(newest)) => {
                self.write().newest = newest;
                return;
            }
            Err(e) => {
                tracing::error!(error = %e, "checkpoint not kept in the database");
                return;
            }
        };
        let json = serde_json::to_string(&signed).unwrap_or_default();
        tracing::info!(target: "spaceport::audit::checkpoint", checkpoint = %json, "audit checkpoint");
        if let Some(dir) = &self.settings.dir
            && let Err(e) = checkpoint::write(dir, &signed)
        {
            tracing::error!(error = %e, "checkpoint not written to its directory");
        }
        if let Some(url) = self.settings.webhook.clone() {
            let request = self.http.post(url).json(&signed);
            let seq = signed.checkpoint.seq;
            tokio::spawn(async move {
                match request.send().await.and_then(|r| r.error_for_status()) {
                    Ok(_) => tracing::debug!(seq, "checkpoint delivered to the webhook"),
                    Err(e) => {
                        tracing::error!(seq, error = %e, "checkpoint not delivered to the webhook")
                    }
                }
            });
        }
        self.write().newest = Some(signed);
    }

    /// Verifies up to the newest record and signs a checkpoint of it: at
    /// a clean shutdown.
    pub async fn checkpoint_now(&self) -> Result<(), AuditError> {
        self.step(true).await
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Every problem found, the earliest record first (those about
    /// checkpoints alone last).
    fn problems(&self) -> Vec<Break> {
        let state = self.read();
        let mut all: Vec<Break> = state
            .at_start
            .iter()
            .chain(&state.broken)
            .cloned()
            .collect();
        all.sort_by_key(|b| b.record().unwrap_or(i64::MAX));
        all
    }

    /// Every problem found, in words, or `None` when the history holds.
    pub fn finding(&self) -> Option<String> {
        in_words(&self.problems())
    }

    /// The finding, unless an admin has acknowledged it.
    pub fn alarm(&self) -> Option<String> {
        let finding = self.finding()?;
        let acknowledged = self.read().acknowledged.clone();
        (acknowledged.as_deref() != Some(finding.as_str())).then_some(finding)
    }

    /// Whether `finding` is the alarm now shown.
    pub fn check_acknowledge(&self, finding: &str) -> Result<(), AcknowledgeError> {
        match self.alarm() {
            None => Err(AcknowledgeError::NoAlarm),
            Some(f) if f == finding => Ok(()),
            Some(_) => Err(AcknowledgeError::Changed),
        }
    }

    /// Silences the alarm that says `finding` (kept across restarts; a new
    /// finding raises the alarm again).
    pub async fn acknowledge(&self, finding: &str) -> Result<(), AcknowledgeError> {
        self.check_acknowledge(finding)?;
        self.log
            .db()
            .set_setting(ACKNOWLEDGED, finding)
            .await
            .map_err(AuditError::from)?;
        self.write().acknowledged = Some(finding.to_string());
        Ok(())
    }

    /// What the Audit page shows: how far verification got, and the first
    /// problem, without reading more than the newest record's id.
    pub async fn status(&self) -> Result<ChainStatus, AuditError> {
        let records = self.log.db().newest_record().await?;
        let problems = self.problems();
        let problem = in_words(&problems);
        let broken_at = problems.first().and_then(Break::record);
        let state = self.read();
        Ok(ChainStatus {
            records,
            verified_through: state.through,
            verified_at: state.verified_at.clone(),
            broken_at,
            problem,
            checkpoint: state.newest.as_ref().map(|s| {
                let c = &s.checkpoint;
                (c.seq, c.last_id, c.at.clone())
            }),
        })
    }
}
