//! Spaceport's benchmarks: prints numbers, asserts nothing. Results and the
//! command that produced them are kept in BENCHMARKS.md.
//!
//!   cargo run --release -p server --example bench -- [VIEWS] [CONCURRENCY] [pages]
//!
//! `pages` loads the two pages only (the space page and the shell), for
//! comparing builds in many short runs. With SPACEPORT_BENCH_PAGE=FILE
//! the space page as measured is written to FILE.
//!
//! The audit history at scale has its own: `examples/history.rs`.
//!
//! Everything runs on loopback in this process: a simulated provider (time
//! scale 1), a console on a temporary SQLite file, and a client.

#[path = "measure/mod.rs"]
mod measure;

use clap::Parser;
use measure::{load, ms, report};
use reqwest::Method;
use server::config::Cli;
use std::sync::Arc;
use std::time::{Duration, Instant};

const TOKEN: &str = "bench-token";
const SPACE: &str = "spaces-peering-example";

fn rss_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Loads the console with requests that `build` makes from the client and
/// the console's base URL.
async fn hammer<B>(
    http: &reqwest::Client,
    base: &str,
    total: usize,
    concurrency: usize,
    build: B,
) -> (Vec<Duration>, Duration)
where
    B: Fn(&reqwest::Client, &str) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let (http, base, build) = (http.clone(), base.to_string(), Arc::new(build));
    load(total, concurrency, move || {
        let request = build(&http, &base);
        // Read to the last byte, as a browser does: the time is the whole
        // answer's, and only a response read to its end gives its
        // connection back to the pool (one left unread is closed, and the
        // next request would pay for a new connection).
        async move {
            let res = request.send().await.unwrap();
            let status = res.status().as_u16();
            res.bytes().await.unwrap();
            status
        }
    })
    .await
}

fn main() {
    // As the console's own main does (see `return_large_blocks`).
    server::users::password::return_large_blocks();
    run();
}

#[tokio::main]
async fn run() {
    let args = measure::numeric_args();
    let views = *args.first().unwrap_or(&5000);
    let concurrency = *args.get(1).unwrap_or(&50);
    let pages_only = std::env::args().any(|a| a == "pages");
    println!("views={views} concurrency={concurrency}");

    let sim_addr = server::sim::spawn_loopback(server::sim::SimOptions {
        time_scale: 1.0,
        token: Some(TOKEN.into()),
    })
    .await
    .unwrap();
    let sim = format!("http://{}", sim_addr.platform);
    let sim_data = format!("http://{}", sim_addr.data);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bench.db");
    {
        let audit = server::audit::AuditLog::open(&db).await.unwrap();
        let users = server::users::Users::new(audit.db().clone());
        // The bench's own user, and the name the guessing bursts aim at.
        for name in ["bench", "victim"] {
            users
                .create(server::users::NewUser {
                    name: &name.parse().unwrap(),
                    role: domain::access::Role::Admin,
                    password: &domain::ids::Secret::new(format!("{name}-password")),
                    one_time: false,
                    demo: false,
                    granted: server::users::Granted::by("command line"),
                })
                .await
                .unwrap();
        }
        // The accept measured below is one person's click: no approval.
        let mut open = domain::policy::Policy::default();
        open.approvals.clear();
        server::approvals::Approvals::new(audit.db().clone())
            .set_policy(&open)
            .await
            .unwrap();
    }
    let cli = Cli::try_parse_from([
        "spaceport",
        "--database",
        db.to_str().unwrap(),
        "--api-url",
        &sim,
        "--data-api-url",
        &sim_data,
        "--api-key",
        TOKEN,
        "--refresh-secs",
        "10",
        // One user drives all the load here; the per-user limit would
        // measure itself rather than the console.
        "--user-calls-per-minute",
        "1000000",
    ])
    .unwrap();
    let (router, _console) = server::startup::build(&cli.serve).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { server::startup::serve_on(listener, router).await });
    // A browser on the console's own pages says so with every request.
    let mut same_origin = reqwest::header::HeaderMap::new();
    same_origin.insert(
        "sec-fetch-site",
        reqwest::header::HeaderValue::from_static("same-origin"),
    );
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .default_headers(same_origin)
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // Sign-in costs an argon2 verification; measured once, then every
    // request below carries the session.
    let t = Instant::now();
    let res = http
        .post(format!("{base}/signin"))
        .form(&[("name", "bench"), ("password", "bench-password")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/", "the bench user signs in");
    println!("sign-in (argon2 verify + session): {}", ms(t.elapsed()));
    let provider_calls = {
        let (http, sim) = (http.clone(), sim.clone());
        move || {
            let (http, sim) = (http.clone(), sim.clone());
            async move {
                let v: serde_json::Value = http
                    .get(format!("{sim}/_sim/stats"))
                    .bearer_auth(TOKEN)
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                v["calls"].as_u64().unwrap()
            }
        }
    };
    let rss_before = rss_kib("VmRSS:");

    // 1. Many viewers of one space: the cache makes them one provider read.
    if !pages_only {
        let calls_before = provider_calls().await;
        let (lat, wall) = hammer(&http, &base, views, concurrency, |h, b| {
            h.post(format!("{b}/api/space")).form(&[("space", SPACE)])
        })
        .await;
        report("server fn `space` (JSON)", &lat, wall);
        println!(
            "  provider calls for those {} views: {} (over {:.1} s)",
            lat.len(),
            provider_calls().await - calls_before,
            wall.as_secs_f64()
        );

        // 1b. The space's data add-ons, which the space page also reads.
        let (lat, wall) = hammer(&http, &base, views, concurrency, |h, b| {
            h.post(format!("{b}/api/data_addons"))
                .form(&[("space", SPACE)])
        })
        .await;
        report("server fn `data_addons` (JSON)", &lat, wall);
    }

    // 2. The server-rendered page, as a first visit gets it. Measured
    //    after the reads above, or after a round of its own, so that the
    //    cache is warm.
    let space_page = |h: &reqwest::Client, b: &str| h.get(format!("{b}/spaces/{SPACE}"));
    if pages_only {
        hammer(&http, &base, views / 10, concurrency, space_page).await;
    }
    let page = http
        .get(format!("{base}/spaces/{SPACE}"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    println!("the space page: {} bytes", page.len());
    if let Some(to) = std::env::var_os("SPACEPORT_BENCH_PAGE") {
        std::fs::write(to, &page).unwrap();
    }
    let calls_before = provider_calls().await;
    let (lat, wall) = hammer(&http, &base, views, concurrency, space_page).await;
    report("SSR page /spaces/{space} (HTML)", &lat, wall);
    println!(
        "  provider calls: {}",
        provider_calls().await - calls_before
    );

    // 2b. The smallest page (the password form): what any page costs for
    //     its document, navigation and banner, which the space page's own
    //     parts come on top of.
    let (lat, wall) = hammer(&http, &base, views, concurrency, |h, b| {
        h.get(format!("{b}/password"))
    })
    .await;
    report("SSR page /password (the shell)", &lat, wall);
    if pages_only {
        return;
    }

    // 3. The overview: every space's peerings, each its own cached read.
    let (lat, wall) = hammer(&http, &base, views, concurrency, |h, b| {
        h.post(format!("{b}/api/overview"))
    })
    .await;
    report("server fn `overview` (JSON)", &lat, wall);

    // 4. Accepts end to end: validate, current read, audit intent, provider
    //    call, audit outcome. Each on its own fresh request.
    let accepts = 200.min(views);
    let mut pcx_ids = Vec::new();
    for i in 0..accepts {
        let res: serde_json::Value = http
            .request(Method::POST, format!("{sim}/_sim/spaces/{SPACE}/peering-requests"))
            .bearer_auth(TOKEN)
            .json(&serde_json::json!({"aws_account_id": "210987654321", "vpc_id": "vpc-0fedcba987654321",
                "cidr_block": format!("10.{}.{}.0/24", 100 + i / 256, i % 256), "immediate": true}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        pcx_ids.push(res["pcx_id"].as_str().unwrap().to_string());
    }
    let queue = Arc::new(std::sync::Mutex::new(pcx_ids));
    let (lat, wall) = hammer(&http, &base, accepts, 4, move |h, b| {
        let pcx = queue.lock().unwrap().pop().unwrap();
        h.post(format!("{b}/api/accept_peering"))
            .form(&[("space", SPACE), ("pcx_id", pcx.as_str())])
    })
    .await;
    report("server fn `accept_peering`", &lat, wall);
    println!(
        "memory: VmRSS {} KiB before load, {} KiB after; peak VmHWM {} KiB",
        rss_before,
        rss_kib("VmRSS:"),
        rss_kib("VmHWM:")
    );

    // 6. A viewer looping reads of spaces that do not exist, by made-up
    //    names and mixed-case UUIDs: answered from the list of spaces.
    let calls_before = provider_calls().await;
    let unknown = 3000;
    let t = Instant::now();
    let (lat, wall) = hammer(&http, &base, unknown, concurrency, |h, b| {
        let n = uuid::Uuid::new_v4();
        let space = if n.as_bytes()[0].is_multiple_of(2) {
            n.to_string().to_uppercase()
        } else {
            format!("no-such-space-{}", &n.to_string()[..8])
        };
        h.post(format!("{b}/api/space")).form(&[("space", space)])
    })
    .await;
    report("unknown spaces (404)", &lat, wall);
    println!(
        "  provider calls for {unknown} unknown-space reads: {} (over {:.1} s)",
        provider_calls().await - calls_before,
        t.elapsed().as_secs_f64()
    );

    // 7. Guessing bursts: 100 wrong passwords for one name at once, then
    //    100 unknown names at once, from one address. Counts the passwords
    //    actually evaluated (each leaves "wrong user name or password" in
    //    the history) and the peak memory of each burst.
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let evaluated = || {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM audit_events WHERE kind = 'outcome' \
                 AND message LIKE '%wrong user name or password%'",
            )
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    for (name, same_name) in [("one name", true), ("unknown names", false)] {
        let before = evaluated().await;
        // Resets the peak (VmHWM) to the current size, so the burst's own peak shows.
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let rss = rss_kib("VmRSS:");
        let t = Instant::now();
        let guesses = (0..100).map(|i| {
            let (http, base) = (http.clone(), base.clone());
            let name = if same_name {
                "victim".to_string()
            } else {
                format!("nobody-{i}")
            };
            tokio::spawn(async move {
                http.post(format!("{base}/signin"))
                    .form(&[("name", name.as_str()), ("password", "a wrong password")])
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        });
        let statuses = futures::future::join_all(guesses).await;
        let busy = statuses.iter().filter(|s| matches!(s, Ok(429))).count();
        println!(
            "guessing burst, {name}: 100 parallel sign-ins in {}, {} passwords evaluated, {busy} answered busy; \
             VmRSS {rss} KiB before, peak {} KiB",
            ms(t.elapsed()),
            evaluated().await - before,
            rss_kib("VmHWM:")
        );
    }
}
