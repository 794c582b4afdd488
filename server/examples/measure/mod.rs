//! What the benchmarks share: latencies under load, and how they are said.
//! Each benchmark includes it and uses part of it.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The CPU time this process (server and client alike) spent on the last
/// `load`, for `report`: on a shared two-core machine the latencies move
/// from run to run with the neighbours, the CPU a request costs much less.
static LAST_CPU: Mutex<Duration> = Mutex::new(Duration::ZERO);

/// User and system CPU time of this process so far.
pub fn cpu_time() -> Duration {
    // SAFETY: getrusage fills the struct it is given and reads nothing else.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let of = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    of(usage.ru_utime) + of(usage.ru_stime)
}

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
    let cpu = cpu_time();
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
    *LAST_CPU.lock().unwrap() = cpu_time() - cpu;
    all.sort();
    (all, wall)
}

/// One line for a load: its latencies, and the CPU time of the last `load`
/// per request.
pub fn report(name: &str, lat: &[Duration], wall: Duration) {
    let cpu = *LAST_CPU.lock().unwrap() / lat.len().max(1) as u32;
    println!(
        "{name:<34} {:>6} req  {:>8.0} req/s  p50 {:>9}  p90 {:>9}  p99 {:>9}  max {:>9}  CPU/req {:.3} ms",
        lat.len(),
        lat.len() as f64 / wall.as_secs_f64(),
        ms(percentile(lat, 0.5)),
        ms(percentile(lat, 0.9)),
        ms(percentile(lat, 0.99)),
        ms(*lat.last().unwrap_or(&Duration::ZERO)),
        cpu.as_secs_f64() * 1000.0,
    );
}
