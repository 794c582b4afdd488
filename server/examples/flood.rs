//! An anonymous flood against a running console, measured from outside:
//! REQUESTS requests (default 100,000) to `/healthz` and to made-up paths,
//! each with a method name made up for it (HTTP allows any token), 64 at a
//! time, then the size of the `/metrics` scrape and the console's resident
//! memory before and after. A tenth as many go first, unmeasured, so that
//! "before" is a console past its start-up (its history's verification,
//! its first reads) and already at work. Prints numbers, asserts nothing;
//! results and the command are kept in BENCHMARKS.md.
//!
//!   cargo build --release -p server --bin spaceport --example flood
//!   target/release/examples/flood [REQUESTS] [SPACEPORT_BINARY]
//!
//! The binary defaults to the `spaceport` beside this example; naming
//! another one (an older build) measures that one the same way.

use futures::StreamExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TOKEN: &str = "flood-metrics-token-0123456789";

/// The console's resident memory, in kB.
fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

async fn scrape(http: &reqwest::Client, base: &str) -> usize {
    http.get(format!("{base}/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .len()
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let requests: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let bin = args.next().map_or_else(
        || {
            let exe = std::env::current_exe().unwrap();
            exe.parent().unwrap().parent().unwrap().join("spaceport")
        },
        std::path::PathBuf::from,
    );
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut console = Command::new(&bin)
        .args(["--listen", &format!("127.0.0.1:{port}"), "--database"])
        .arg(dir.path().join("flood.db"))
        .args(["--watch-calls-per-hour", "0"])
        .env("SPACEPORT_METRICS_TOKEN", TOKEN)
        .env("RUST_LOG", "warn")
        .env_remove("HEROKU_API_KEY")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the spaceport binary starts");
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let started = Instant::now();
    while http.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "never listened"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let flood = |from: u32, to: u32| {
        futures::stream::iter(from..to)
            .map(|i| {
                let method = reqwest::Method::from_bytes(format!("M{i:07}X").as_bytes()).unwrap();
                let path = if i % 2 == 0 {
                    "/healthz".to_string()
                } else {
                    format!("/made/up/{i}")
                };
                http.request(method, format!("{base}{path}")).send()
            })
            .buffer_unordered(64)
            .filter(|r| std::future::ready(r.is_ok()))
            .count()
    };
    // The warm-up: start-up's own work done, the first odd requests seen.
    flood(requests, requests + requests / 10).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (scrape_before, rss_before) = (scrape(&http, &base).await, rss_kb(console.id()));
    let t = Instant::now();
    let answered = flood(0, requests).await;
    let took = t.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (scrape_after, rss_after) = (scrape(&http, &base).await, rss_kb(console.id()));
    let _ = console.kill();
    let _ = console.wait();
    println!(
        "{} of {requests} odd requests answered in {:.1} s ({:.0}/s)",
        answered,
        took.as_secs_f64(),
        f64::from(requests) / took.as_secs_f64()
    );
    println!("/metrics scrape: {scrape_before} bytes before, {scrape_after} after");
    println!(
        "resident memory: {} kB before, {} kB after ({:+} kB)",
        rss_before,
        rss_after,
        rss_after as i64 - rss_before as i64
    );
}
