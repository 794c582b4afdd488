//! The audit history at scale: builds a keyed history of RECORDS records
//! (default 1,000,000) and measures, in one run, what a team a few years
//! in would feel. Prints numbers, asserts nothing; results and the command
//! are kept in BENCHMARKS.md.
//!
//!   cargo build --release -p server --bin spaceport --example history
//!   target/release/examples/history [RECORDS] [SMALL] [DIR]
//!
//! With DIR, the two databases are kept there and reused by the next run
//! (building a million records takes a few minutes).
//!
//! 1. start-up to listening of the real `spaceport` binary, on a history
//!    of SMALL records (default 10,000) and on the big one;
//! 2. the first Audit page, and a page filtered by actor deep in the
//!    history, through the server function, p50 of 50 calls each;
//! 3. a full `spaceport audit verify` of the big history;
//! 4. appends per second, each intent committed (and synced) before the
//!    "provider call", from 16 tasks at once, on the big history.

use server::audit::chain::{self, GENESIS, Row};
use server::audit::checkpoint::{self, Checkpoint, Signed};
use server::audit::key::AuditKey;
use server::audit::verify::keyed_detail;
use server::audit::{AuditLog, Intent, Outcome};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const ACTORS: [&str; 12] = [
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory",
    "olga",
];
const SPACES: [&str; 5] = [
    "acme-prod-tokyo",
    "acme-prod-dublin",
    "acme-staging",
    "spaces-peering-example",
    "data-eu",
];

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// Record `id` of a generated history: actions by a dozen people over five
/// spaces; the first two records key it, as a new console's do.
fn generated(id: i64, key: &AuditKey) -> Row {
    let intent = id % 2 == 1;
    let n = (id - 1) / 2; // the action's number
    let keyed = n == 0;
    let (action, space, target, detail) = if keyed {
        (
            "audit.keyed",
            "",
            "audit history".to_string(),
            Some(keyed_detail(key.id())),
        )
    } else if n % 7 == 0 {
        (
            "auth.sign_in",
            "",
            ACTORS[n as usize % 12].to_string(),
            Some("from 10.0.0.1".into()),
        )
    } else {
        (
            if n % 3 == 0 {
                "peering.destroy"
            } else {
                "peering.accept"
            },
            SPACES[n as usize % 5],
            format!("pcx-{n:08x}"),
            None,
        )
    };
    Row {
        id,
        at: now(),
        kind: if intent { "intent" } else { "outcome" }.into(),
        intent_id: (!intent).then_some(id - 1),
        actor: if keyed {
            "console".into()
        } else {
            ACTORS[n as usize % 12].into()
        },
        action: action.into(),
        space: space.into(),
        target,
        outcome: (!intent).then(|| if n % 11 == 0 { "error" } else { "ok" }.into()),
        provider_status: (!intent).then(|| "provisioning".into()),
        message: (!intent).then(|| format!("Accepted; the peering is provisioning (action {n}).")),
        request_id: (!intent).then(|| format!("{:032x}", n * 7919)),
        detail,
        action_data: None,
        prev_hash: String::new(),
    }
}

/// A database of `records` generated records under the key beside it,
/// with a signed checkpoint of its newest record. Inserted in large
/// transactions: this builds the fixture, it is not what is measured.
async fn build(db: &Path, records: i64) -> Arc<AuditKey> {
    let t = Instant::now();
    let pool = server::db::sqlite::open(db).await.unwrap();
    let (key, _) = AuditKey::resolve(None, db, true).unwrap();
    let mut prev = GENESIS.to_string();
    let mut id = 1;
    while id <= records {
        let mut tx = pool.begin().await.unwrap();
        let end = (id + 20_000).min(records + 1);
        for i in id..end {
            let mut row = generated(i, &key);
            row.prev_hash = prev;
            let mac = chain::mac(&key, &row);
            server::audit::insert(server::db::Conn::from(&mut *tx), &row, &mac)
                .await
                .unwrap();
            prev = mac;
        }
        tx.commit().await.unwrap();
        id = end;
    }
    let signed = Signed::new(
        &key,
        Checkpoint {
            seq: 1,
            last_id: records,
            last_mac: prev,
            count: records,
            at: now(),
            key_id: key.id().into(),
            prev: None,
        },
    );
    checkpoint::record(&server::db::Db::Sqlite(pool.clone()), &signed)
        .await
        .unwrap();
    checkpoint::write(&server::audit::integrity::default_dir(db), &signed).unwrap();
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let size = std::fs::metadata(db).map(|m| m.len()).unwrap_or(0);
    println!(
        "built {records} records in {:.1} s ({} MB on disk)",
        t.elapsed().as_secs_f64(),
        size / 1_000_000
    );
    Arc::new(key)
}

fn spaceport_bin() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().join("spaceport")
}

/// The console started on `db`; how long until it accepted a connection,
/// and the demo admin's password from what it printed.
struct Running {
    child: std::process::Child,
    base: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start(db: &Path) -> (Running, Duration, String) {
    use std::io::BufRead;
    let port = free_port();
    let started = Instant::now();
    let mut child = Command::new(spaceport_bin())
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--user-calls-per-minute", "1000000", "--database"])
        .arg(db)
        .env("RUST_LOG", "warn")
        .env_remove("HEROKU_API_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("target/release/spaceport: build it with --bin spaceport");
    let addr = format!("127.0.0.1:{port}");
    let listening = loop {
        if std::net::TcpStream::connect(&addr).is_ok() {
            break started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "never listened"
        );
        std::thread::sleep(Duration::from_millis(2));
    };
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let password = stdout
        .lines()
        .map_while(Result::ok)
        .find_map(|l| {
            let mut words = l.split_whitespace();
            (words.next() == Some("demo-admin"))
                .then(|| words.nth(1).unwrap_or_default().to_string())
        })
        .expect("the demo admin's password");
    let running = Running {
        child,
        base: format!("http://{addr}"),
    };
    (running, listening, password)
}

/// p50 and p95 of 50 calls of the audit server function with `form`.
async fn audit_calls(
    http: &reqwest::Client,
    base: &str,
    form: &[(&str, String)],
) -> (Duration, Duration, usize) {
    let mut lat = Vec::new();
    let mut entries = 0;
    for _ in 0..50 {
        let t = Instant::now();
        let res = http
            .post(format!("{base}/api/audit"))
            .header("accept", "application/json")
            .form(form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let page: serde_json::Value = res.json().await.unwrap();
        lat.push(t.elapsed());
        entries = page["entries"].as_array().map_or(0, Vec::len);
    }
    lat.sort();
    (lat[24], lat[47], entries)
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let records: i64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let small: i64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let temp = tempfile::tempdir().unwrap();
    let dir = args
        .next()
        .map_or_else(|| temp.path().to_path_buf(), PathBuf::from);
    let small_db = dir.join(format!("small-{small}.db"));
    let big_db = dir.join(format!("big-{records}.db"));
    let built = |db: &Path| db.exists();
    if !built(&small_db) {
        build(&small_db, small).await;
    }
    let key = if built(&big_db) {
        println!("reusing {}", big_db.display());
        Arc::new(AuditKey::resolve(None, &big_db, false).unwrap().0)
    } else {
        build(&big_db, records).await
    };

    // 1. Start-up to listening, small then big.
    let (running, listening, _) = start(&small_db).await;
    drop(running);
    println!("start-up to listening, {small} records: {}", ms(listening));
    let (running, listening, password) = start(&big_db).await;
    println!(
        "start-up to listening, {records} records: {}",
        ms(listening)
    );

    // 2. Pages, once the background verification has finished (it runs
    //    at start-up; the pages are measured without it competing).
    // A browser on the console's own pages says so in every request.
    let mut same_site = reqwest::header::HeaderMap::new();
    same_site.insert("sec-fetch-site", "same-origin".parse().unwrap());
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .default_headers(same_site)
        .build()
        .unwrap();
    let res = http
        .post(format!("{}/signin", running.base))
        .form(&[
            ("name", "demo-admin"),
            ("password", password.as_str()),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success() || res.status().is_redirection());
    let t = Instant::now();
    loop {
        let res = http
            .post(format!("{}/api/audit", running.base))
            .header("accept", "application/json")
            .send()
            .await
            .unwrap();
        let status = res.status();
        let page: serde_json::Value = res.json().await.unwrap();
        assert_eq!(status, 200, "{page}");
        let chain = &page["chain"];
        if !chain["verified_at"].is_null() && chain["verified_through"] == chain["records"] {
            println!(
                "background verification at start-up: {} records in about {:.1} s, problem: {}",
                chain["records"],
                t.elapsed().as_secs_f64(),
                chain["problem"]
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (p50, p95, n) = audit_calls(&http, &running.base, &[]).await;
    println!(
        "first Audit page ({n} actions): p50 {}, p95 {}",
        ms(p50),
        ms(p95)
    );
    let deep = (records / 20).to_string();
    let filter = [("actor", "heidi".to_string()), ("before", deep.clone())];
    let (p50, p95, n) = audit_calls(&http, &running.base, &filter).await;
    println!(
        "Audit page filtered by actor, before record {deep} ({n} actions): p50 {}, p95 {}",
        ms(p50),
        ms(p95)
    );
    let filter = [
        ("space", "acme-staging".to_string()),
        ("action", "peering.destroy".to_string()),
        ("outcome", "error".to_string()),
        ("before", deep.clone()),
    ];
    let (p50, p95, n) = audit_calls(&http, &running.base, &filter).await;
    println!(
        "Audit page filtered by space, action and outcome, before record {deep} ({n} actions): p50 {}, p95 {}",
        ms(p50),
        ms(p95)
    );
    // Free text: a word in every other record, a rare one, one that is
    // nowhere, and a common word with a filter that matches few records.
    for (label, filter) in [
        ("a common word", vec![("text", "provisioning".to_string())]),
        ("a rare word", vec![("text", "0000beef".to_string())]),
        (
            "a word that is nowhere",
            vec![("text", "zzqqxx".to_string())],
        ),
        (
            "a phrase that is nowhere, of common trigrams",
            vec![("text", "is provisioning (action 99999999".to_string())],
        ),
        (
            "a common word by one actor",
            vec![
                ("text", "provisioning".to_string()),
                ("actor", "heidi".to_string()),
            ],
        ),
    ] {
        let (p50, p95, n) = audit_calls(&http, &running.base, &filter).await;
        println!(
            "Audit page, free-text search for {label} ({n} actions): p50 {}, p95 {}",
            ms(p50),
            ms(p95)
        );
    }
    // A rare word deep in the history: every page, from the newest to the
    // oldest, as someone clicking Older would.
    let t = Instant::now();
    let (mut pages, mut found) = (0, 0);
    let mut before: Option<String> = None;
    loop {
        let mut form = vec![("text", "0000beef".to_string())];
        if let Some(b) = &before {
            form.push(("before", b.clone()));
        }
        let page: serde_json::Value = http
            .post(format!("{}/api/audit", running.base))
            .header("accept", "application/json")
            .form(&form)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        pages += 1;
        found += page["entries"].as_array().map_or(0, Vec::len);
        match page["older"].as_i64() {
            Some(o) => before = Some(o.to_string()),
            None => break,
        }
    }
    println!(
        "Audit pages, free-text search for a rare word to the oldest record: {found} found over \
         {pages} pages in {}",
        ms(t.elapsed())
    );
    drop(running);

    // 3. A full verify by the command line.
    let t = Instant::now();
    let out = Command::new(spaceport_bin())
        .args(["audit", "verify", "--database"])
        .arg(&big_db)
        .arg("--checkpoints")
        .arg(server::audit::integrity::default_dir(&big_db))
        .output()
        .unwrap();
    println!(
        "spaceport audit verify --checkpoints, {} records: {} (exit {:?}: {})",
        records,
        ms(t.elapsed()),
        out.status.code(),
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or_default()
    );

    // 4. Appends: intents and outcomes from 16 tasks, each commit synced.
    let pool = server::db::sqlite::open(&big_db).await.unwrap();
    let log = Arc::new(
        AuditLog::new(server::db::Db::Sqlite(pool), key)
            .await
            .unwrap(),
    );
    let actions = 2_000;
    let t = Instant::now();
    let tasks: Vec<_> = (0..16)
        .map(|task| {
            let log = log.clone();
            tokio::spawn(async move {
                for i in 0..actions / 16 {
                    let target = format!("pcx-{task:02x}{i:06x}");
                    let id = log
                        .record_intent(Intent {
                            actor: "bench",
                            name: domain::kind::AuditName::PeeringAccept,
                            space: SPACES[0],
                            target: &target,
                            detail: None,
                            action: None,
                        })
                        .await
                        .unwrap();
                    log.record_outcome(id, Outcome::local(true, "Accepted.".into()))
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let took = t.elapsed();
    println!(
        "appends: {} records ({} actions) from 16 tasks in {:.2} s = {:.0} records/s, each committed and synced",
        actions * 2,
        actions,
        took.as_secs_f64(),
        (actions * 2) as f64 / took.as_secs_f64()
    );
}
