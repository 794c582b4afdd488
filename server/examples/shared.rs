//! Consoles sharing PostgreSQL against one console on its SQLite file:
//! USERS people (default 200) each reading the space page's answer,
//! spread over the consoles; then the history's appends per second on
//! each. Prints numbers, asserts nothing; results and the command are
//! kept in BENCHMARKS.md.
//!
//!   scripts/postgres.sh start /tmp/spaceport-pg     # prints URL
//!   SPACEPORT_BENCH_POSTGRES=URL \
//!     cargo run --release -p server --example shared -- [VIEWS] [USERS] [CONSOLES]
//!
//! Everything runs on loopback in this process: a simulated provider (time
//! scale 1), the consoles, and one client per person.

#[path = "measure/mod.rs"]
mod measure;

use clap::Parser;
use measure::{load_by_task, report};
use server::audit::{AuditLog, Intent, Outcome};
use server::config::Cli;
use server::db::Location;
use std::sync::Arc;
use std::time::{Duration, Instant};

const TOKEN: &str = "bench-token";
const SPACE: &str = "spaces-peering-example";

struct Setup {
    name: String,
    at: Location,
    consoles: usize,
}

/// A new database for one setup: a file in `dir`, or a database of its
/// own on the server.
async fn database(postgres: Option<&str>, dir: &std::path::Path, name: &str) -> Location {
    match postgres {
        None => Location::File(dir.join(format!("{name}.db"))),
        Some(server) => {
            let admin = sqlx::PgPool::connect(server).await.unwrap();
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
                .execute(&admin)
                .await
                .unwrap();
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&admin)
                .await
                .unwrap();
            let mut url = url::Url::parse(server).unwrap();
            url.set_path(name);
            Location::Postgres(url.to_string())
        }
    }
}

/// The people, made before the consoles start.
async fn people(at: &Location, key: &Arc<server::audit::key::AuditKey>, users: usize) {
    let db = server::db::open(at).await.unwrap();
    let log = AuditLog::new(db.clone(), key.clone()).await.unwrap();
    let store = Arc::new(server::users::Users::new(log.db().clone()));
    let made = (0..users).map(|i| {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .create(server::users::NewUser {
                    name: &format!("person-{i}").parse().unwrap(),
                    role: domain::access::Role::Viewer,
                    password: &domain::ids::Secret::new(format!("person-{i}-password")),
                    one_time: false,
                    demo: false,
                    granted: server::users::Granted::by("command line"),
                })
                .await
                .unwrap()
        })
    });
    futures::future::join_all(made).await;
    db.close().await;
}

/// A console on `at`, served on a free loopback port; its base URL.
async fn console(at: &Location, key_file: &std::path::Path, sim: &(String, String)) -> String {
    let database = match at {
        Location::File(p) => p.to_str().unwrap().to_string(),
        Location::Postgres(url) => url.clone(),
    };
    let cli = Cli::try_parse_from([
        "spaceport",
        "--database",
        &database,
        "--audit-key-file",
        key_file.to_str().unwrap(),
        "--api-url",
        &sim.0,
        "--data-api-url",
        &sim.1,
        "--api-key",
        TOKEN,
        "--refresh-secs",
        "10",
        "--watch-calls-per-hour",
        "0",
        "--user-calls-per-minute",
        "1000000",
    ])
    .unwrap();
    let (router, _console) = server::startup::build(&cli.serve).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { server::startup::serve_on(listener, router).await });
    base
}

async fn sim_calls(http: &reqwest::Client, sim: &str) -> u64 {
    let stats: serde_json::Value = http
        .get(format!("{sim}/_sim/stats"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    stats["calls"].as_u64().unwrap_or(0)
}

/// Appends from 16 tasks for five seconds, over one log per console (one
/// pool each, as separate consoles have); appends per second.
async fn appends(at: &Location, key: &Arc<server::audit::key::AuditKey>, consoles: usize) -> f64 {
    let mut logs = Vec::new();
    for _ in 0..consoles {
        let db = server::db::open(at).await.unwrap();
        logs.push(Arc::new(AuditLog::new(db, key.clone()).await.unwrap()));
    }
    let until = Instant::now() + Duration::from_secs(5);
    let started = Instant::now();
    let tasks = (0..16).map(|t| {
        let log = logs[t % consoles].clone();
        tokio::spawn(async move {
            let mut n = 0_u64;
            while Instant::now() < until {
                log.record_event(
                    Intent::event("bench", domain::kind::AuditName::SignIn, "bench", None),
                    Outcome::local(true, "signed in".into()),
                )
                .await
                .unwrap();
                n += 2;
            }
            n
        })
    });
    let total: u64 = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .sum();
    total as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    server::users::password::return_large_blocks();
    run();
}

#[tokio::main]
async fn run() {
    let args = measure::numeric_args();
    let views = *args.first().unwrap_or(&20_000);
    let users = *args.get(1).unwrap_or(&200);
    let shared = *args.get(2).unwrap_or(&2);
    let postgres = std::env::var("SPACEPORT_BENCH_POSTGRES").ok();
    println!("views={views} users={users} consoles on PostgreSQL={shared}");

    let sim = server::sim::spawn_loopback(server::sim::SimOptions {
        time_scale: 1.0,
        token: Some(TOKEN.into()),
    })
    .await
    .unwrap();
    let sim = (
        format!("http://{}", sim.platform),
        format!("http://{}", sim.data),
    );
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("audit-key");
    std::fs::write(&key_file, format!("{}\n", "6b".repeat(32))).unwrap();
    let key = Arc::new(server::audit::key::AuditKey::from_secret(&[0x6b; 32]));

    let mut setups = vec![Setup {
        name: "1 console, SQLite".into(),
        at: database(None, dir.path(), "bench_sqlite").await,
        consoles: 1,
    }];
    match &postgres {
        Some(server) => setups.push(Setup {
            name: format!("{shared} consoles, PostgreSQL"),
            at: database(Some(server), dir.path(), "bench_shared").await,
            consoles: shared,
        }),
        None => println!("(no SPACEPORT_BENCH_POSTGRES: SQLite only)"),
    }
    let plain = reqwest::Client::new();
    for setup in &setups {
        people(&setup.at, &key, users).await;
        let mut bases = Vec::new();
        for _ in 0..setup.consoles {
            bases.push(console(&setup.at, &key_file, &sim).await);
        }
        // One browser per person, on the console the router sent them to.
        let mut clients = Vec::new();
        for i in 0..users {
            let mut same_origin = reqwest::header::HeaderMap::new();
            same_origin.insert(
                "sec-fetch-site",
                reqwest::header::HeaderValue::from_static("same-origin"),
            );
            let client = reqwest::Client::builder()
                .default_headers(same_origin)
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            let base = bases[i % bases.len()].clone();
            let res = client
                .post(format!("{base}/signin"))
                .form(&[
                    ("name", format!("person-{i}")),
                    ("password", format!("person-{i}-password")),
                    ("next", "/".into()),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(res.status().as_u16(), 303, "signed in");
            clients.push((client, base));
        }
        let clients = Arc::new(clients);
        let view = move |clients: Arc<Vec<(reqwest::Client, String)>>| {
            move |task: usize| {
                let (client, base) = clients[task].clone();
                async move {
                    let res = client
                        .post(format!("{base}/api/space"))
                        .header("Accept", "application/json")
                        .form(&[("space", SPACE)])
                        .send()
                        .await
                        .unwrap();
                    let status = res.status().as_u16();
                    res.bytes().await.unwrap();
                    status
                }
            }
        };
        // Warm: every console has read the provider once.
        load_by_task(users, users, view(clients.clone())).await;
        let before = sim_calls(&plain, &sim.0).await;
        let (lat, wall) = load_by_task(views, users, view(clients.clone())).await;
        let calls = sim_calls(&plain, &sim.0).await - before;
        report(&format!("space view, {}", setup.name), &lat, wall);
        println!(
            "{:<34} provider calls per 1,000 views: {:.2} ({calls} in {:.1} s)",
            "",
            calls as f64 * 1000.0 / lat.len() as f64,
            wall.as_secs_f64()
        );
        let rate = appends(&setup.at, &key, setup.consoles).await;
        println!("{:<34} audit appends per second: {rate:.0}", setup.name);
    }
}
