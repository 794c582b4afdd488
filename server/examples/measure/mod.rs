//! What the benchmarks share: latencies under load, and how they are said.
//! Each benchmark includes it and uses part of it.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::{Duration, Instant};

/// The benchmark's numeric arguments, in order.
pub fn numeric_args() -> Vec<usize> {
    std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect()
}

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Sends `total` requests from `concurrency` tasks; returns sorted latencies and wall time.
pub async fn load<F, Fut>(total: usize, concurrency: usize, make: F) -> (Vec<Duration>, Duration)
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = u16> + Send,
{
    load_by_task(total, concurrency, move |_| make()).await
}

/// The same, `make` told which task asks (each its own client, say).
pub async fn load_by_task<F, Fut>(
    total: usize,
    concurrency: usize,
    make: F,
) -> (Vec<Duration>, Duration)
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = u16> + Send,
{
    let make = Arc::new(make);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for task in 0..concurrency {
        let (make, next) = (make.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < total {
                let t = Instant::now();
                let status = make(task).await;
                assert!(status < 500, "server error {status}");
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let wall = started.elapsed();
    all.sort();
    (all, wall)
}

pub fn report(name: &str, lat: &[Duration], wall: Duration) {
    println!(
        "{name:<34} {:>6} req  {:>8.0} req/s  p50 {:>9}  p90 {:>9}  p99 {:>9}  max {:>9}",
        lat.len(),
        lat.len() as f64 / wall.as_secs_f64(),
        ms(percentile(lat, 0.5)),
        ms(percentile(lat, 0.9)),
        ms(percentile(lat, 0.99)),
        ms(*lat.last().unwrap_or(&Duration::ZERO)),
    );
}
