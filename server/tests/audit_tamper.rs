//! The audit history against someone who can write the database file. Each
//! way of tampering is found by `spaceport audit verify` (run first, on the
//! file as the attacker left it) and by the status the Audit page shows
//! once the console is started again on it.

use crate::common::{Console, PCX, SPACE, spaceport_audit};
use domain::model::{ChainStatus, IntegrityAlarm};
use server::audit::chain::{self, Row};
use server::audit::key::{self, AuditKey};
use std::path::PathBuf;
use std::time::Duration;

async fn pool(db: &std::path::Path) -> sqlx::SqlitePool {
    sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap()
}

/// What an attacker does first: the triggers only stop honest mistakes.
async fn drop_triggers(pool: &sqlx::SqlitePool) {
    for t in ["audit_events_no_update", "audit_events_no_delete"] {
        sqlx::query(&format!("DROP TRIGGER IF EXISTS {t}"))
            .execute(pool)
            .await
            .unwrap();
    }
}

/// Runs `sql` with the one parameter `id`.
async fn exec(pool: &sqlx::SqlitePool, sql: &str, id: i64) {
    sqlx::query(sql).bind(id).execute(pool).await.unwrap();
}

fn checkpoints(c: &Console) -> PathBuf {
    server::audit::integrity::default_dir(&c.db)
}

/// The Audit page's chain status once the console has verified every
/// record it holds.
async fn settled_status(c: &Console) -> ChainStatus {
    for _ in 0..100 {
        let chain = c.audit(&[]).await.chain;
        if chain.verified_at.is_some() && chain.verified_through == chain.records {
            return chain;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never verified: {:?}", c.audit(&[]).await.chain);
}

/// A console with some history (the harness's sign-ins, an accept), each
/// record checkpointed as soon as it is verified.
async fn with_history() -> Console {
    let c = Console::start_with(&["--audit-checkpoint-every", "1"]).await;
    let (status, done) = c
        .call("accept_peering", &[("space", SPACE), ("pcx_id", PCX)])
        .await;
    assert_eq!(status, 200, "{done}");
    // And something after it, so the accept is in the middle.
    c.in_process_as(Some(domain::access::Role::Viewer)).await;
    let chain = settled_status(&c).await;
    assert!(chain.problem.is_none(), "{chain:?}");
    for _ in 0..100 {
        let chain = settled_status(&c).await;
        if chain.checkpoint.as_ref().map(|c| c.1) == Some(chain.records) {
            return c;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no checkpoint of the newest record");
}

/// `spaceport audit verify --checkpoints DIR` on the file as it is; then
/// the console started again on it, and its page's status.
async fn found(c: Console) -> (Option<i32>, String, ChainStatus) {
    let dir = checkpoints(&c);
    let (code, out) = spaceport_audit(&c.db, &["verify", "--checkpoints", dir.to_str().unwrap()]);
    let c = c.restart(&["--audit-checkpoint-every", "1"]).await;
    let chain = settled_status(&c).await;
    (code, out, chain)
}

async fn rows(pool: &sqlx::SqlitePool) -> Vec<Row> {
    sqlx::query_as(
        "SELECT id, at, kind, intent_id, actor, action, space, target, outcome, \
         provider_status, message, request_id, detail, action_data, prev_hash \
         FROM audit_events ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn accept_intent(pool: &sqlx::SqlitePool) -> i64 {
    sqlx::query_scalar(
        "SELECT id FROM audit_events WHERE action = 'peering.accept' AND kind = 'intent'",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

/// Edits the accept's intent and recomputes every later row's link and
/// MAC with `mac`.
async fn rewrite_from_accept(pool: &sqlx::SqlitePool, mac: impl Fn(&Row) -> String) -> i64 {
    drop_triggers(pool).await;
    let edited = accept_intent(pool).await;
    let mut prev: Option<String> = None;
    for mut row in rows(pool).await.into_iter().filter(|r| r.id >= edited) {
        if row.id == edited {
            row.actor = "someone-else".into();
        }
        if let Some(p) = prev.take() {
            row.prev_hash = p;
        }
        let m = mac(&row);
        sqlx::query("UPDATE audit_events SET actor = ?, prev_hash = ?, hash = ? WHERE id = ?")
            .bind(&row.actor)
            .bind(&row.prev_hash)
            .bind(&m)
            .bind(row.id)
            .execute(pool)
            .await
            .unwrap();
        prev = Some(m);
    }
    edited
}

fn says(code: Option<i32>, out: &str, chain: &ChainStatus, words: &str) {
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("BROKEN") && out.contains(words), "{out}");
    let problem = chain.problem.clone().unwrap_or_default().to_lowercase();
    assert!(problem.contains(&words.to_lowercase()), "{chain:?}");
}

#[tokio::test]
async fn an_untouched_history_verifies_and_verify_changes_nothing() {
    let c = with_history().await;
    let copy = c.db.with_file_name("copy.db");
    sqlx::query("VACUUM INTO ?")
        .bind(copy.to_str().unwrap())
        .execute(&pool(&c.db).await)
        .await
        .unwrap();
    let before = std::fs::read(&copy).unwrap();
    let key_file = key::default_path(&c.db);
    let (code, out) = spaceport_audit(
        &copy,
        &[
            "verify",
            "--audit-key-file",
            key_file.to_str().unwrap(),
            "--checkpoints",
            checkpoints(&c).to_str().unwrap(),
        ],
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("The audit history holds") && out.contains("checkpoints hold"),
        "{out}"
    );
    assert_eq!(
        std::fs::read(&copy).unwrap(),
        before,
        "verify wrote to the file"
    );
    // Whoever holds only the public key checks the checkpoints and links.
    let (_, public) = spaceport_audit(&c.db, &["pubkey"]);
    let public = public.lines().next().unwrap().to_string();
    let (code, out) = spaceport_audit(
        &copy,
        &[
            "verify",
            "--audit-key-file",
            "/nonexistent/key",
            "--pubkey",
            &public,
            "--checkpoints",
            checkpoints(&c).to_str().unwrap(),
        ],
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("links only"), "{out}");
    let chain = settled_status(&c).await;
    assert!(
        chain.problem.is_none() && chain.broken_at.is_none(),
        "{chain:?}"
    );
}

#[tokio::test]
async fn an_edit_in_place_is_found() {
    let c = with_history().await;
    let pool = pool(&c.db).await;
    drop_triggers(&pool).await;
    let id = accept_intent(&pool).await;
    exec(
        &pool,
        "UPDATE audit_events SET actor = 'someone-else' WHERE id = ?",
        id,
    )
    .await;
    let (code, out, chain) = found(c).await;
    says(code, &out, &chain, &format!("record {id} was edited"));
    assert_eq!(chain.broken_at, Some(id));
}

#[tokio::test]
async fn deleting_the_newest_records_is_found() {
    let c = with_history().await;
    let pool = pool(&c.db).await;
    drop_triggers(&pool).await;
    let newest: i64 = sqlx::query_scalar("SELECT MAX(id) FROM audit_events")
        .fetch_one(&pool)
        .await
        .unwrap();
    exec(&pool, "DELETE FROM audit_events WHERE id >= ?", newest - 1).await;
    let (code, out, chain) = found(c).await;
    says(code, &out, &chain, "truncated after checkpoint");
    assert!(
        out.contains(&format!("the history ends at record {}", newest - 2)),
        "{out}"
    );
}

#[tokio::test]
async fn deleting_a_middle_record_is_found() {
    let c = with_history().await;
    let pool = pool(&c.db).await;
    drop_triggers(&pool).await;
    // The accept's outcome: nothing refers to it.
    let id = accept_intent(&pool).await + 1;
    exec(&pool, "DELETE FROM audit_events WHERE id = ?", id).await;
    let (code, out, chain) = found(c).await;
    says(code, &out, &chain, &format!("record {id} is missing"));
    assert_eq!(chain.broken_at, Some(id));
}

#[tokio::test]
async fn a_tail_rehashed_without_the_key_is_found_at_the_edit() {
    let c = with_history().await;
    let edited = rewrite_from_accept(&pool(&c.db).await, chain::hash).await;
    let (code, out, chain) = found(c).await;
    says(code, &out, &chain, &format!("record {edited} was edited"));
    assert_eq!(chain.broken_at, Some(edited));
}

#[tokio::test]
async fn a_tail_rewritten_with_the_key_is_found_by_the_checkpoints() {
    let c = with_history().await;
    let (key, _) = AuditKey::resolve(None, &c.db, false).unwrap();
    let edited = rewrite_from_accept(&pool(&c.db).await, |r| chain::mac(&key, r)).await;
    // The chain alone cannot tell: whoever holds the key can redo it.
    let (code, out) = spaceport_audit(&c.db, &["verify"]);
    assert_eq!(code, Some(0), "{out}");
    let (code, out, chain) = found(c).await;
    says(code, &out, &chain, "rewritten");
    assert!(
        out.contains(&format!("records after {}", edited - 1)) || out.contains("rewritten"),
        "{out}"
    );
}

#[tokio::test]
async fn a_replaced_key_is_found() {
    let c = with_history().await;
    let other = AuditKey::from_secret(&[9; 32]);
    std::fs::write(key::default_path(&c.db), format!("{}\n", "09".repeat(32))).unwrap();
    let (code, out, chain) = found(c).await;
    says(code, &out, &chain, "audit key");
    assert!(out.contains(other.id()), "{out}");
}

#[tokio::test]
async fn a_deleted_checkpoint_file_is_found() {
    let c = with_history().await;
    let dir = checkpoints(&c);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 2, "{files:?}");
    // The newest: no gap shows in the directory, the database's copy does.
    let newest = files.pop().unwrap();
    std::fs::remove_file(&newest).unwrap();
    let seq = files.len() + 1;
    let (code, out, chain) = found(c).await;
    says(code, &out, &chain, &format!("checkpoint {seq} is missing"));
}

#[tokio::test]
async fn the_alarm_stays_until_an_admin_acknowledges_it_and_that_is_recorded() {
    let c = with_history().await;
    let pool = pool(&c.db).await;
    drop_triggers(&pool).await;
    let id = accept_intent(&pool).await + 1;
    exec(&pool, "DELETE FROM audit_events WHERE id = ?", id).await;
    let c = c.restart(&[]).await;
    settled_status(&c).await;
    let alarm: Option<IntegrityAlarm> = c.read("alarm", &[]).await;
    let alarm = alarm.expect("an alarm");
    let finding = alarm.finding;
    assert!(alarm.can_acknowledge);
    // Every page carries it, server-rendered.
    let html = c
        .http
        .get(format!("{}/", c.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let body = &html[html.find("<body").unwrap_or(0)..];
    assert!(
        html.contains("integrity-alarm") && html.contains("is missing"),
        "{body}"
    );
    // An operator sees it but may not silence it; nor may a stale text.
    let operator = c.in_process_as(Some(domain::access::Role::Operator)).await;
    let alarm: Option<IntegrityAlarm> = operator.read("alarm", &[]).await;
    assert_eq!(alarm.map(|a| a.can_acknowledge), Some(false));
    let (status, _) = operator
        .call("acknowledge_alarm", &[("finding", &finding)])
        .await;
    assert_eq!(status, 403);
    let (status, body) = c
        .call("acknowledge_alarm", &[("finding", "Something else.")])
        .await;
    assert_eq!(status, 409, "{body}");
    let (status, body) = c.call("acknowledge_alarm", &[("finding", &finding)]).await;
    assert_eq!(status, 200, "{body}");
    let (_, alarm) = c.call("alarm", &[]).await;
    assert!(alarm.is_null(), "{alarm}");
    let page = c.audit(&[("action", "audit.acknowledge")]).await;
    let entry = &page.entries[0];
    assert_eq!(entry.actor, "t-admin");
    assert_eq!(entry.detail.as_deref(), Some(finding.as_str()));
    assert_eq!(entry.outcome.as_deref(), Some("ok"));
    // Still found and shown on the Audit page; the banner stays off after
    // a restart for the same finding.
    assert!(page.chain.problem.is_some());
    let c = c.restart(&[]).await;
    settled_status(&c).await;
    let (_, alarm) = c.call("alarm", &[]).await;
    assert!(alarm.is_null(), "{alarm}");
}
