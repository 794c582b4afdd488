//! What the people who run Spaceport need from it: health checks a load
//! balancer may call without signing in, and a backup taken while the
//! console works that restores to a console whose history verifies.

use crate::common::{Console, spaceport_audit, spaceport_backup};

#[tokio::test]
async fn the_health_checks_answer_without_a_sign_in() {
    let c = Console::start().await;
    let anyone = reqwest::Client::new();
    let get = |path: &str| anyone.get(format!("{}{path}", c.base)).send();
    let res = get("/healthz").await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.text().await.unwrap(), "ok");
    let res = get("/readyz").await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.text().await.unwrap(), "ready");
    // They open nothing else: a page still asks for a sign-in.
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/audit", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
}

#[tokio::test]
async fn a_console_whose_provider_is_gone_is_alive_but_not_ready() {
    // A port nobody listens on.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    crate::common::make_users(&db).await;
    let cli = <server::config::Cli as clap::Parser>::try_parse_from([
        "spaceport",
        "--listen",
        "127.0.0.1:0",
        "--database",
        db.to_str().unwrap(),
        "--api-url",
        &dead,
        "--data-api-url",
        &dead,
        "--api-key",
        "some-token-1234",
    ])
    .unwrap();
    let (router, _) = server::startup::build(&cli.serve).await.unwrap();
    let base = crate::common::serve(router).await;
    let res = reqwest::get(format!("{base}/healthz")).await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let res = reqwest::get(format!("{base}/readyz")).await.unwrap();
    assert_eq!(res.status().as_u16(), 503);
    let reason = res.text().await.unwrap();
    assert!(reason.contains("the provider did not answer"), "{reason}");
    assert!(!reason.contains("some-token-1234"), "{reason}");
}

#[tokio::test]
async fn a_backup_taken_under_load_restores_and_verifies() {
    let c = Console::start().await;
    // Changes recorded while the copy is made: role changes, back and forth.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load = {
        let stop = stop.clone();
        let session = c.in_process_as(Some(domain::access::Role::Admin)).await;
        tokio::spawn(async move {
            let mut n = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let role = if n.is_multiple_of(2) {
                    "operator"
                } else {
                    "viewer"
                };
                let (status, body) = session
                    .call("set_user_role", &[("name", "t-viewer"), ("role", role)])
                    .await;
                assert_eq!(status, 200, "{body}");
                n += 1;
            }
            n
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let copy = c.db.with_file_name("backup.db");
    let (db, file) = (c.db.clone(), copy.clone());
    let (code, out) = tokio::task::spawn_blocking(move || spaceport_backup(&db, &file))
        .await
        .unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let changes = load.await.unwrap();
    assert!(changes > 10, "the console was busy: {changes} changes");
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("The audit history holds"), "{out}");
    assert!(
        out.contains("audit key"),
        "it says what else to keep: {out}"
    );

    // A second backup to the same name is refused, and changes nothing.
    let before = std::fs::read(&copy).unwrap();
    let (code, out) = spaceport_backup(&c.db, &copy);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("exists already"), "{out}");
    assert_eq!(std::fs::read(&copy).unwrap(), before);

    // Restored as the README says (the console stopped, the copy put in
    // the database's place, without the old file's WAL), the history
    // verifies and the console starts on it against its own provider. The
    // first console is left running on the file it had open, as a stopped
    // process would have left it; the copy gets a new inode by rename.
    let in_place = c.db.with_file_name("restoring.db");
    std::fs::copy(&copy, &in_place).unwrap();
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", c.db.display()));
    }
    std::fs::rename(&in_place, &c.db).unwrap();
    let (code, out) = spaceport_audit(&c.db, &["verify"]);
    assert_eq!(code, Some(0), "{out}");
    let restored = c.restart(&[]).await;
    let chain = restored.audit(&[]).await.chain;
    assert!(chain.problem.is_none(), "{chain:?}");
}

#[test]
fn logs_are_json_lines_when_asked() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("logs.db");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_spaceport"))
        .args([
            "--log-format",
            "json",
            "--listen",
            "127.0.0.1:0",
            "--database",
        ])
        .arg(&db)
        .env_remove("HEROKU_API_KEY")
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    assert!(
        lines
            .by_ref()
            .map_while(Result::ok)
            .any(|l| l.contains("Spaceport is listening"))
    );
    // A clean stop logs the checkpoint it signs.
    let pid = i32::try_from(child.id()).unwrap();
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(child.wait().unwrap().success());
    let logged: Vec<serde_json::Value> = rest
        .iter()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(!logged.is_empty(), "{rest:?}");
    for line in &logged {
        assert!(
            line["timestamp"].is_string() && line["level"].is_string(),
            "{line}"
        );
    }
    assert!(
        logged.iter().any(|l| l["target"]
            .as_str()
            .is_some_and(|t| t.contains("checkpoint"))),
        "{logged:?}"
    );
}

/// The database file may be opened again by a process that already has
/// it open (a test harness, a second pool), and another process (the
/// command line) then writes to it and exits. POSIX locks belong to a
/// process, and closing any descriptor of a file drops all of them: an
/// open that closed a descriptor of its own left the first pool without
/// the lock that tells the command line it is not alone, so at its exit
/// the command line took the WAL for its own and removed it, and the
/// first pool went on reading pages that were no longer the file's.
#[tokio::test]
async fn a_file_opened_twice_in_one_process_still_sees_the_command_line() {
    use domain::kind::AuditName;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    let console = server::db::sqlite::open(&db).await.unwrap();
    let approvals = server::approvals::Approvals::new(server::db::Db::Sqlite(console.clone()));
    approvals.policy().await.unwrap();
    server::db::sqlite::open(&db).await.unwrap().close().await;
    for n in [0u8, 1, 0, 1, 0, 1, 0, 1] {
        let (ok, out) =
            crate::common::spaceport_policy(&db, &["set", &format!("peering.accept={n}")]);
        assert!(ok, "{out}");
        let seen = approvals.policy().await.unwrap();
        assert_eq!(seen.needs(AuditName::PeeringAccept), n, "after setting {n}");
    }
}
