//! Consoles as the platform runs them: separate processes on one
//! PostgreSQL database, killed without warning or stopped with SIGTERM
//! while a new one starts (a deploy), under load.

use crate::common::{PASSWORD, SPACE, TOKEN, browser, call_at, sign_in};
use crate::shared::Pair;
use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A console process; killed if the test ends first.
struct Process {
    child: Child,
    base: String,
}

impl Process {
    /// `spaceport serve` on the pair's database and provider.
    fn start(p: &Pair, extra: &[&str]) -> Self {
        let server::db::Location::Postgres(url) = &p.at else {
            panic!("a PostgreSQL database")
        };
        let mut child = Command::new(env!("CARGO_BIN_EXE_spaceport"))
            .args(["serve", "--listen", "127.0.0.1:0", "--database", url])
            .arg("--audit-key-file")
            .arg(&p.key)
            .args(["--api-url", &p.sim.url, "--data-api-url", &p.sim.data_url])
            .args(["--refresh-secs", "1", "--watch-calls-per-hour", "0"])
            .args(["--user-calls-per-minute", "1000000"])
            .args(["--console-dead-secs", "6"])
            .args(extra)
            .env("HEROKU_API_KEY", TOKEN)
            .env_remove("SPACEPORT_AUDIT_KEY")
            .env_remove("DATABASE_URL")
            .env_remove("PORT")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let mut base = None;
        for line in lines.map_while(Result::ok) {
            if let Some(at) = line.strip_prefix("Spaceport is listening on ") {
                base = Some(at.trim().to_string());
                break;
            }
        }
        Self {
            child,
            base: base.expect("the console says where it listens"),
        }
    }

    fn pid(&self) -> i32 {
        i32::try_from(self.child.id()).unwrap()
    }

    fn signal(&self, signal: i32) {
        // SAFETY: a plain kill(2) of our own child.
        assert_eq!(unsafe { libc::kill(self.pid(), signal) }, 0);
    }

    /// Waits for the process to end; whether it ended well, and how long
    /// it took.
    fn wait(&mut self) -> (bool, Duration) {
        let started = Instant::now();
        let status = self.child.wait().unwrap();
        (status.success(), started.elapsed())
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn verify(p: &Pair) -> (Option<i32>, String) {
    let server::db::Location::Postgres(url) = &p.at else {
        unreachable!()
    };
    let out = Command::new(env!("CARGO_BIN_EXE_spaceport"))
        .args(["audit", "verify", "--database", url])
        .arg("--audit-key-file")
        .arg(&p.key)
        .env_remove("SPACEPORT_AUDIT_KEY")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[tokio::test]
async fn a_console_killed_in_the_middle_of_an_accept_is_settled_by_the_other() {
    let p = Pair::start(true, &[]).await;
    let a = Process::start(&p, &[]);
    let b = Process::start(&p, &[]);
    let admin = browser();
    sign_in(&admin, &a.base, "t-admin", PASSWORD).await;
    // The provider takes three seconds to answer the accept.
    let faults = serde_json::json!({"latency_ms": 3000, "method": "POST"});
    p.sim.control(reqwest::Method::PUT, "/faults", faults).await;
    let base = a.base.clone();
    let accept = tokio::spawn(async move {
        call_at(
            &base,
            &admin,
            "accept_peering",
            &[
                ("space", SPACE),
                ("pcx_id", "pcx-111aaa111"),
                ("confirm", "pcx-111aaa111"),
            ],
        )
        .await
    });
    // Killed once its intent is recorded and the provider has the call.
    let viewer = browser();
    sign_in(&viewer, &b.base, "t-admin", PASSWORD).await;
    let accepts = async || {
        let (status, page) =
            call_at(&b.base, &viewer, "audit", &[("action", "peering.accept")]).await;
        assert_eq!(status, 200, "{page}");
        serde_json::from_value::<domain::model::AuditPage>(page)
            .unwrap()
            .entries
    };
    let started = Instant::now();
    while accepts().await.is_empty() {
        assert!(started.elapsed() < Duration::from_secs(30), "no intent");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut a = a;
    a.signal(libc::SIGKILL);
    assert!(!a.wait().0, "killed");
    let _ = accept.await;
    p.sim
        .control(reqwest::Method::DELETE, "/faults", serde_json::json!({}))
        .await;
    assert_eq!(
        accepts().await[0].outcome,
        None,
        "open when the console died"
    );

    // The other console settles the accept once the first is taken for
    // dead (six seconds here), from what the provider says.
    let viewer = browser();
    sign_in(&viewer, &b.base, "t-admin", PASSWORD).await;
    let started = Instant::now();
    let settled = loop {
        let (status, page) =
            call_at(&b.base, &viewer, "audit", &[("action", "peering.accept")]).await;
        assert_eq!(status, 200, "{page}");
        let page: domain::model::AuditPage = serde_json::from_value(page).unwrap();
        if let Some(e) = page.entries.first()
            && e.outcome.is_some()
        {
            break e.clone();
        }
        assert!(
            started.elapsed() < Duration::from_secs(40),
            "the accept was never settled: {page:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    println!(
        "settled after {:?}: {:?} {:?}",
        started.elapsed(),
        settled.outcome,
        settled.message
    );
    let (code, out) = verify(&p);
    assert_eq!(code, Some(0), "{out}");
    drop(b);
}

#[tokio::test]
async fn a_rolling_restart_under_load_loses_no_request_and_no_record() {
    let p = Pair::start(true, &[]).await;
    let a = Process::start(&p, &[]);
    let b = Process::start(&p, &[]);
    // The router: the consoles in rotation. A stopping console leaves it
    // the moment it is told to stop, as the platform's router does.
    let rotation = Arc::new(std::sync::Mutex::new(vec![a.base.clone(), b.base.clone()]));
    let admin = browser();
    sign_in(&admin, &a.base, "t-admin", PASSWORD).await;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (reads, writes, failures) = (
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(std::sync::Mutex::new(Vec::<String>::new())),
    );
    let workers: Vec<_> = (0..8)
        .map(|w| {
            let (rotation, admin, stop) = (rotation.clone(), admin.clone(), stop.clone());
            let (reads, writes, failures) = (reads.clone(), writes.clone(), failures.clone());
            tokio::spawn(async move {
                let mut n = 0_usize;
                while !stop.load(Ordering::Relaxed) {
                    let base = {
                        let r = rotation.lock().unwrap();
                        r[(w + n) % r.len()].clone()
                    };
                    n += 1;
                    // One worker in four writes: a role back and forth,
                    // each change one record.
                    let (name, form): (&str, Vec<(&str, &str)>) = if w % 4 == 0 {
                        let role = if n.is_multiple_of(2) {
                            "operator"
                        } else {
                            "viewer"
                        };
                        ("set_user_role", vec![("name", "t-viewer"), ("role", role)])
                    } else {
                        ("space", vec![("space", SPACE)])
                    };
                    let (status, body) = call_at(&base, &admin, name, &form).await;
                    if status == 200 {
                        if w % 4 == 0 { &writes } else { &reads }.fetch_add(1, Ordering::Relaxed);
                    } else {
                        failures
                            .lock()
                            .unwrap()
                            .push(format!("{base} {name}: {status} {body}"));
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(2)).await;
    // The deploy: a third console starts, joins the rotation, and the
    // first is told to stop.
    let c = Process::start(&p, &[]);
    rotation.lock().unwrap().push(c.base.clone());
    let mut a = a;
    rotation.lock().unwrap().retain(|b| *b != a.base);
    // What was routed to it just before reaches it before the signal.
    tokio::time::sleep(Duration::from_millis(200)).await;
    a.signal(libc::SIGTERM);
    let (clean, took) = a.wait();
    assert!(clean, "the stopped console exits cleanly");
    assert!(took < Duration::from_secs(30), "{took:?}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.await.unwrap();
    }
    let failures = failures.lock().unwrap().clone();
    assert!(
        failures.is_empty(),
        "{} failed: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    let (reads, writes) = (
        reads.load(Ordering::Relaxed),
        writes.load(Ordering::Relaxed),
    );
    println!("{reads} reads and {writes} writes through the restart; the stop took {took:?}");
    assert!(writes > 10 && reads > 50, "{reads} reads, {writes} writes");
    // Every write is one record, on whichever console made it.
    let mut recorded = 0;
    let mut before: Option<i64> = None;
    loop {
        let mut form = vec![("action", "user.role".to_string())];
        if let Some(b) = before {
            form.push(("before", b.to_string()));
        }
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, page) = call_at(&c.base, &admin, "audit", &form).await;
        assert_eq!(status, 200, "{page}");
        let page: domain::model::AuditPage = serde_json::from_value(page).unwrap();
        recorded += page
            .entries
            .iter()
            .filter(|e| e.outcome.as_deref() == Some("ok"))
            .count() as u64;
        match page.older {
            Some(o) => before = Some(o),
            None => break,
        }
    }
    assert_eq!(recorded, writes, "one record per write");
    let (code, out) = verify(&p);
    assert_eq!(code, Some(0), "{out}");
    drop((b, c));
}
