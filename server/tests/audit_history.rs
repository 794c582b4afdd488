//! Reading the history: the Audit page's filters and cursors over a
//! generated history, the export for SIEMs, and the refusal of any change
//! whose record cannot be written.

use crate::common::{Console, make_users, spaceport, spaceport_audit};
use domain::kind::AuditName;
use domain::model::{AuditEntry, AuditPage};
use server::audit::{AuditLog, Intent, Outcome};
use std::collections::BTreeSet;

/// Actions in the generated history.
const N: usize = 130;

/// A console over a history of `N` actions by alice and bob, in two
/// spaces, every fifth one failed.
async fn with_generated_history() -> Console {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    make_users(&db).await;
    let log = AuditLog::open(&db).await.unwrap();
    for i in 0..N {
        let target = format!("pcx-{i:08x}");
        log.record_event(
            Intent {
                actor: if i % 3 == 0 { "alice" } else { "bob" },
                name: if i % 2 == 0 {
                    AuditName::PeeringAccept
                } else {
                    AuditName::PeeringDestroy
                },
                space: if i % 4 == 0 { "space-a" } else { "space-b" },
                target: &target,
                detail: None,
                action: None,
            },
            Outcome::local(i % 5 != 0, format!("generated action number {i}")),
        )
        .await
        .unwrap();
    }
    log.db().close().await;
    Console::start_in(dir, db, &[]).await
}

async fn page(c: &Console, form: &[(&str, &str)]) -> AuditPage {
    c.audit(form).await
}

fn targets(page: &AuditPage) -> Vec<String> {
    page.entries.iter().map(|e| e.target.clone()).collect()
}

#[tokio::test]
async fn cursors_walk_the_whole_history_both_ways() {
    let c = with_generated_history().await;
    let ids = |p: &AuditPage| -> Vec<i64> { p.entries.iter().map(|e| e.id).collect() };
    let mut seen: Vec<i64> = Vec::new();
    let mut p = page(&c, &[]).await;
    assert!(p.newer.is_none());
    loop {
        seen.extend(ids(&p));
        let Some(older) = p.older else {
            break;
        };
        p = page(&c, &[("before", &older.to_string())]).await;
    }
    assert!(
        seen.windows(2).all(|w| w[0] > w[1]),
        "newest first, no repeats"
    );
    let generated = seen.iter().filter(|id| **id > 2).count();
    assert!(generated >= N, "{seen:?}");
    // And back from the oldest page to the newest, meeting every action.
    let mut back = ids(&p);
    while let Some(newer) = p.newer {
        p = page(&c, &[("after", &newer.to_string())]).await;
        back.extend(ids(&p));
    }
    assert_eq!(p.entries.first().map(|e| e.id), seen.first().copied());
    back.sort_unstable();
    back.dedup();
    seen.sort_unstable();
    assert_eq!(back, seen);
}

#[tokio::test]
async fn each_filter_narrows_the_page() {
    let c = with_generated_history().await;
    let all = |p: &AuditPage, field: &str, want: &str| {
        let value = |e: &AuditEntry| match field {
            "actor" => Some(e.actor.clone()),
            "action" => Some(e.action.clone()),
            "space" => Some(e.space.clone()),
            "outcome" => e.outcome.clone(),
            _ => panic!("no filter {field}"),
        };
        assert!(!p.entries.is_empty(), "{field}={want}");
        assert!(
            p.entries.iter().all(|e| value(e).as_deref() == Some(want)),
            "{field}={want}: {p:?}"
        );
        p.entries.len()
    };
    let alice = page(&c, &[("actor", "alice")]).await;
    assert_eq!(all(&alice, "actor", "alice"), N.div_ceil(3));
    let p = page(&c, &[("action", "peering.destroy")]).await;
    assert_eq!(all(&p, "action", "peering.destroy"), 50);
    assert!(p.older.is_some(), "65 destroys: a second page");
    let p = page(&c, &[("space", "space-a"), ("actor", "alice")]).await;
    assert_eq!(all(&p, "space", "space-a"), N.div_ceil(12));
    let p = page(&c, &[("outcome", "error")]).await;
    assert_eq!(all(&p, "outcome", "error"), N / 5);
    // Free text: any part of a target or a message.
    let p = page(&c, &[("text", "0000004b")]).await;
    assert_eq!(targets(&p), ["pcx-0000004b"]);
    let p = page(&c, &[("text", "action number 12")]).await;
    let found: BTreeSet<String> = targets(&p).into_iter().collect();
    let want: BTreeSet<String> = [12, 120, 121, 122, 123, 124, 125, 126, 127, 128, 129]
        .iter()
        .map(|i| format!("pcx-{i:08x}"))
        .collect();
    assert_eq!(found, want);
    // Time: today holds everything, yesterday nothing.
    let today = time::OffsetDateTime::now_utc().date();
    let p = page(&c, &[("since", &today.to_string()), ("actor", "alice")]).await;
    assert_eq!(all(&p, "actor", "alice"), N.div_ceil(3));
    let yesterday = today.previous_day().unwrap().to_string();
    let p = page(&c, &[("until", &yesterday)]).await;
    assert!(p.entries.is_empty(), "{p:?}");
    // The filters' choices come from the history.
    assert!(alice.spaces.len() >= 2);
    assert!(alice.actors.iter().any(|a| a == "bob"));
}

#[tokio::test]
async fn a_bad_filter_is_refused_with_its_reason() {
    let c = with_generated_history().await;
    for (field, value, words) in [
        ("outcome", "maybe", "not an outcome"),
        ("action", "peering.launch", "not a kind of audit record"),
        ("since", "yesterday", "YYYY-MM-DD"),
        ("text", "ab", "at least 3"),
    ] {
        let (status, body) = c.call("audit", &[(field, value)]).await;
        assert_eq!(status, 400, "{field}={value}: {body}");
        assert!(body.to_string().contains(words), "{field}={value}: {body}");
    }
    // Quotes and FTS words are searched for, never run.
    let p = page(&c, &[("text", "\" OR pcx NEAR(")]).await;
    assert!(p.entries.is_empty(), "{p:?}");
}

#[tokio::test]
async fn the_export_has_every_record_with_its_mac() {
    let c = with_generated_history().await;
    let records: i64 = sqlx::query_scalar("SELECT MAX(id) FROM audit_events")
        .fetch_one(
            &sqlx::SqlitePool::connect(&format!("sqlite://{}", c.db.display()))
                .await
                .unwrap(),
        )
        .await
        .unwrap();
    let (code, out) = spaceport_audit(&c.db, &["export", "--format", "jsonl"]);
    assert_eq!(code, Some(0), "{out}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        lines.len() as i64 >= records,
        "{} of {records}",
        lines.len()
    );
    assert!(
        lines
            .iter()
            .all(|l| l["mac"].as_str().is_some_and(|m| m.len() == 64))
    );
    assert!(lines.windows(2).all(|w| w[1]["prev_mac"] == w[0]["mac"]));
    let (code, out) = spaceport_audit(
        &c.db,
        &[
            "export", "--format", "csv", "--space", "space-a", "--since", "10",
        ],
    );
    assert_eq!(code, Some(0), "{out}");
    let mut rows = out.lines();
    assert!(rows.next().unwrap().ends_with("prev_mac,mac"));
    let data: Vec<&str> = rows.filter(|r| r.contains(",space-a,")).collect();
    // Records 1 and 2 key the history; action i is records 3 + 2i and
    // 4 + 2i, so from record 10 on only action 0 (records 3, 4) is left out.
    assert_eq!(data.len(), 2 * N.div_ceil(4) - 2, "from record 10 on");
    let (code, out) = spaceport_audit(
        &c.db,
        &["export", "--format", "jsonl", "--since", "someday"],
    );
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("--since"), "{out}");
}

#[tokio::test]
async fn a_change_whose_record_cannot_be_written_is_refused() {
    let c = Console::start().await;
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", c.db.display()))
        .await
        .unwrap();
    sqlx::query(
        "CREATE TRIGGER audit_full BEFORE INSERT ON audit_events \
         BEGIN SELECT RAISE(ABORT, 'disk full'); END",
    )
    .execute(&pool)
    .await
    .unwrap();
    // From the command line: nothing made.
    let (ok, out) = spaceport(
        &c.db,
        &["add", "carol", "--role", "admin"],
        "carol-password-1\n",
    );
    assert!(!ok, "{out}");
    let carol: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE name = 'carol'")
        .fetch_optional(&pool)
        .await
        .unwrap();
    assert_eq!(carol, None, "{out}");
    // From the console: refused, and the provider never asked.
    let (status, body) = c
        .call(
            "accept_peering",
            &[
                ("space", crate::common::SPACE),
                ("pcx_id", crate::common::PCX),
            ],
        )
        .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        c.peering_status(crate::common::PCX).await,
        "pending-acceptance"
    );
}

#[tokio::test]
async fn checkpoints_reach_the_webhook_signed() {
    use axum::routing::post;
    let received = std::sync::Arc::new(tokio::sync::Mutex::new(Vec::<serde_json::Value>::new()));
    let keep = received.clone();
    let receiver = axum::Router::new().route(
        "/checkpoints",
        post(move |axum::Json(body): axum::Json<serde_json::Value>| {
            let keep = keep.clone();
            async move { keep.lock().await.push(body) }
        }),
    );
    let url = crate::common::serve(receiver).await;
    let hook = format!("{url}/checkpoints");
    let c = Console::start_with(&[
        "--audit-checkpoint-every",
        "1",
        "--audit-checkpoint-webhook",
        &hook,
    ])
    .await;
    c.call(
        "accept_peering",
        &[
            ("space", crate::common::SPACE),
            ("pcx_id", crate::common::PCX),
        ],
    )
    .await;
    let (key, _) = server::audit::key::AuditKey::resolve(None, &c.db, false).unwrap();
    for _ in 0..100 {
        let newest = received.lock().await.last().cloned();
        if let Some(body) = newest {
            let signed: server::audit::checkpoint::Signed = serde_json::from_value(body).unwrap();
            assert!(signed.verifies(&key.public()));
            let mac: String = sqlx::query_scalar("SELECT hash FROM audit_events WHERE id = ?")
                .bind(signed.checkpoint.last_id)
                .fetch_one(
                    &sqlx::SqlitePool::connect(&format!("sqlite://{}", c.db.display()))
                        .await
                        .unwrap(),
                )
                .await
                .unwrap();
            assert_eq!(mac, signed.checkpoint.last_mac);
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no checkpoint reached the webhook");
}

#[tokio::test]
async fn a_clean_stop_signs_a_checkpoint_of_the_newest_record() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("stop.db");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_spaceport"))
        .args(["--listen", "127.0.0.1:0", "--database"])
        .arg(&db)
        .env_remove("HEROKU_API_KEY")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kept open to the end: the console may still print.
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let listening = lines
        .by_ref()
        .map_while(Result::ok)
        .any(|l| l.contains("Spaceport is listening"));
    assert!(listening);
    // SIGTERM, as a service manager stops it.
    let pid = i32::try_from(child.id()).unwrap();
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    assert!(child.wait().unwrap().success());
    drop(lines);
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let newest: i64 = sqlx::query_scalar("SELECT MAX(id) FROM audit_events")
        .fetch_one(&pool)
        .await
        .unwrap();
    let dir = server::audit::integrity::default_dir(&db);
    let seqs = server::audit::checkpoint::seqs_in(&dir).unwrap();
    let last = server::audit::checkpoint::read(&dir, *seqs.last().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(last.checkpoint.last_id, newest);
    let (code, out) = spaceport_audit(&db, &["verify", "--checkpoints", dir.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{out}");
}

/// A console over a history of `actions` actions written straight into
/// the file (a real chain under the console's key, but many rows to a
/// transaction): every outcome says "provisioning", every 500th action's
/// target holds "needle", and every 700th action's outcome says "haystack".
async fn with_long_history(actions: i64) -> Console {
    use server::audit::chain::{self, GENESIS, Row};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    make_users(&db).await;
    let pool = server::db::sqlite::open(&db).await.unwrap();
    let (key, _) = server::audit::key::AuditKey::resolve(None, &db, true).unwrap();
    let last: Option<(i64, String)> =
        sqlx::query_as("SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1")
            .fetch_optional(&pool)
            .await
            .unwrap();
    let (mut id, mut prev) = last.unwrap_or((0, GENESIS.to_string()));
    let mut tx = pool.begin().await.unwrap();
    for n in 0..actions {
        for outcome in [false, true] {
            id += 1;
            let row = Row {
                id,
                at: "2026-12-01T00:00:00Z".into(),
                kind: if outcome { "outcome" } else { "intent" }.into(),
                intent_id: outcome.then_some(id - 1),
                actor: "alice".into(),
                action: AuditName::PeeringAccept.as_str().into(),
                space: "space-a".into(),
                target: if n % 500 == 0 {
                    format!("pcx-needle-{n}")
                } else {
                    format!("pcx-{n:08x}")
                },
                outcome: outcome.then(|| "ok".into()),
                provider_status: None,
                message: outcome.then(|| {
                    if n % 700 == 0 {
                        format!("haystack {n}: provisioning")
                    } else {
                        format!("the peering is provisioning ({n})")
                    }
                }),
                request_id: None,
                detail: None,
                action_data: None,
                prev_hash: prev.clone(),
            };
            let mac = chain::mac(&key, &row);
            server::audit::insert(server::db::Conn::from(&mut *tx), &row, &mac)
                .await
                .unwrap();
            prev = mac;
        }
    }
    tx.commit().await.unwrap();
    pool.close().await;
    Console::start_in(dir, db, &[]).await
}

/// Follows a search's cursors from the newest page to the oldest; the
/// targets found, and how many pages it took.
async fn search_all(c: &Console, form: &[(&str, &str)]) -> (Vec<String>, usize) {
    let mut found = Vec::new();
    let mut pages = 0;
    let mut cursor: Option<String> = None;
    loop {
        let mut f = form.to_vec();
        if let Some(b) = &cursor {
            f.push(("before", b));
        }
        let p = page(c, &f).await;
        pages += 1;
        found.extend(targets(&p));
        match p.older {
            Some(older) => cursor = Some(older.to_string()),
            None => return (found, pages),
        }
        assert!(pages < 100, "the search ends");
    }
}

#[tokio::test]
async fn free_text_reads_a_bounded_stretch_per_page_and_finds_everything() {
    let hits = server::audit::query::TEXT_HITS;
    // More matching actions than one page reads, three times over.
    let actions = hits * 3 + 500;
    let c = with_long_history(actions).await;

    // A rare word: every match once.
    let (found, _) = search_all(&c, &[("text", "needle")]).await;
    let needles = (0..actions).filter(|n| n % 500 == 0).count();
    assert_eq!(found.len(), needles, "{found:?}");
    assert_eq!(found.iter().collect::<BTreeSet<_>>().len(), needles);

    // A word in an outcome's message finds its action.
    let (found, _) = search_all(&c, &[("text", "haystack")]).await;
    let hay = (0..actions).filter(|n| n % 700 == 0).count();
    assert_eq!(found.len(), hay, "{found:?}");

    // A common word fills its page at once, from the newest.
    let p = page(&c, &[("text", "provisioning")]).await;
    assert_eq!(targets(&p).len(), 50);
    assert!(p.searched_to.is_none(), "{:?}", p.searched_to);

    // A common word with a filter that matches nothing: each page reads
    // its share of matches, stops, says where, and Older goes on from
    // there; at the end, nothing, and no page read more than its share.
    let first = page(&c, &[("text", "provisioning"), ("actor", "bob")]).await;
    assert_eq!(targets(&first).len(), 0);
    let stopped = first.searched_to.expect("the search says where it stopped");
    assert_eq!(first.older, Some(stopped));
    let (found, pages) = search_all(&c, &[("text", "provisioning"), ("actor", "bob")]).await;
    assert!(found.is_empty());
    assert_eq!(pages as i64, actions / hits + 1, "{pages} pages");
}
