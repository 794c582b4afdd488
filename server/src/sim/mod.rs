//! The simulated provider: the provider's HTTP API on loopback, with demo
//! data and a state machine, so Spaceport (or any other client of the API)
//! runs and is tested without the real provider. `control` adds the paths
//! that play the AWS side and inject failures; they live under `/_sim`,
//! outside the provider's own paths.

mod api;
mod control;
pub mod data;
mod data_api;
pub mod range;
mod rules;
pub mod seed;
pub mod wire;
pub mod world;

use crate::listener::tuned;
use axum::Router;
use base64::Engine;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;
use world::{Timing, World};

/// The provider's limit: 4500 calls an hour, refilled at 75 a minute.
const RATE_CAPACITY: f64 = 4500.0;
const RATE_REFILL_PER_SEC: f64 = 75.0 / 60.0;

#[derive(Debug, Clone)]
pub struct SimOptions {
    /// How many times faster than real life transitions happen.
    pub time_scale: f64,
    /// The token clients must present; any non-empty token when `None`.
    pub token: Option<String>,
}

/// Failures to inject, set through the control surface. Counted ones apply
/// to that many upcoming API calls.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Delay before every answer, in milliseconds.
    pub latency_ms: u64,
    /// Answer this many calls with `fail_status` without doing anything.
    pub fail_next: u32,
    /// Do this many calls, then answer `fail_status`: a lost answer.
    pub fail_after_next: u32,
    pub fail_status: Option<u16>,
    /// Answer this many calls with 429 `rate_limit`.
    pub rate_limit_next: u32,
    /// Count only calls of this method (`GET`, `POST`, `DELETE`...); all when unset.
    pub method: Option<String>,
}

/// What one call gets out of the configured faults.
struct CallFaults {
    latency_ms: u64,
    fail_before: Option<u16>,
    fail_after: Option<u16>,
    rate_limited: bool,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Settings {
    /// The page size when a client sends no Range header.
    pub page_size: usize,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

pub struct SimState {
    world: Mutex<World>,
    data: Mutex<data::DataWorld>,
    faults: Mutex<Faults>,
    settings: Mutex<Settings>,
    bucket: Mutex<Bucket>,
    token: Option<String>,
    /// Provider API calls answered, whatever the answer (`/_sim/stats`).
    calls: std::sync::atomic::AtomicU64,
    /// Of those, the ones that may change something (not GET).
    changes: std::sync::atomic::AtomicU64,
}

pub type Shared = Arc<SimState>;

impl SimState {
    pub fn new(opts: &SimOptions) -> Shared {
        let now = time::OffsetDateTime::now_utc();
        Arc::new(Self {
            world: Mutex::new(seed::world(now, Timing::scaled(opts.time_scale))),
            data: Mutex::new(seed::data_world(
                now,
                data::DataTiming::scaled(opts.time_scale),
            )),
            faults: Mutex::new(Faults::default()),
            settings: Mutex::new(Settings {
                page_size: range::DEFAULT_MAX,
            }),
            bucket: Mutex::new(Bucket {
                tokens: RATE_CAPACITY,
                at: Instant::now(),
            }),
            token: opts.token.clone(),
            calls: std::sync::atomic::AtomicU64::new(0),
            changes: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// The world, moved along to now.
    fn world(&self) -> MutexGuard<'_, World> {
        // A panic while holding the lock leaves the world consistent enough
        // for a simulator; keep serving rather than poisoning every call.
        let mut w = self.world.lock().unwrap_or_else(|e| e.into_inner());
        w.advance(time::OffsetDateTime::now_utc());
        w
    }

    /// The data add-ons, moved along to now.
    fn data(&self) -> MutexGuard<'_, data::DataWorld> {
        let mut d = self.data.lock().unwrap_or_else(|e| e.into_inner());
        d.advance(time::OffsetDateTime::now_utc());
        d
    }

    fn take_faults(&self, method: &str) -> CallFaults {
        let mut f = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        let applies = f
            .method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method));
        let take = |n: &mut u32| {
            if !applies {
                return false;
            }
            let hit = *n > 0;
            *n = n.saturating_sub(1);
            hit
        };
        let rate_limited = take(&mut f.rate_limit_next);
        let before = !rate_limited && take(&mut f.fail_next);
        let after = !rate_limited && !before && take(&mut f.fail_after_next);
        let status = f.fail_status.unwrap_or(503);
        CallFaults {
            latency_ms: f.latency_ms,
            fail_before: before.then_some(status),
            fail_after: after.then_some(status),
            rate_limited,
        }
    }

    fn refill(b: &mut Bucket) {
        let now = Instant::now();
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * RATE_REFILL_PER_SEC)
            .min(RATE_CAPACITY);
        b.at = now;
    }

    /// Takes one call from the bucket; `None` when it is empty.
    fn take_token(&self) -> Option<u64> {
        let mut b = self.bucket.lock().unwrap_or_else(|e| e.into_inner());
        Self::refill(&mut b);
        if b.tokens < 1.0 {
            return None;
        }
        b.tokens -= 1.0;
        Some(b.tokens as u64)
    }

    fn remaining(&self) -> u64 {
        let mut b = self.bucket.lock().unwrap_or_else(|e| e.into_inner());
        Self::refill(&mut b);
        b.tokens as u64
    }
}

/// Decodes `Basic base64(user:password)` and returns the password.
pub(crate) fn basic_password(encoded: &str) -> Option<String> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    text.split_once(':').map(|(_, p)| p.to_string())
}

/// The Platform API with the control surface, and the Data API, sharing one
/// state (and one rate-limit bucket, as the provider's account does).
pub fn routers(state: Shared) -> (Router, Router) {
    let platform = Router::new()
        .nest("/_sim", control::router(state.clone()))
        .merge(api::router(state.clone()))
        .with_state(state.clone());
    let data = data_api::router(state.clone()).with_state(state);
    (platform, data)
}

/// Where a running simulator listens.
#[derive(Debug, Clone, Copy)]
pub struct SimAddrs {
    pub platform: SocketAddr,
    pub data: SocketAddr,
}

/// Serves the simulator until the process ends.
pub async fn serve(
    platform: tokio::net::TcpListener,
    data: tokio::net::TcpListener,
    opts: SimOptions,
) -> std::io::Result<()> {
    let (p, d) = routers(SimState::new(&opts));
    let (a, b) = tokio::join!(axum::serve(tuned(platform), p), axum::serve(tuned(data), d));
    a.and(b)
}

/// Starts the simulator on two free loopback ports.
pub async fn spawn_loopback(opts: SimOptions) -> std::io::Result<SimAddrs> {
    spawn(opts, None, None).await
}

/// Starts the simulator in the background, on the given addresses or on
/// free loopback ports.
pub async fn spawn(
    opts: SimOptions,
    platform: Option<SocketAddr>,
    data: Option<SocketAddr>,
) -> std::io::Result<SimAddrs> {
    let loopback: SocketAddr = ([127, 0, 0, 1], 0).into();
    let platform = tokio::net::TcpListener::bind(platform.unwrap_or(loopback)).await?;
    let data = tokio::net::TcpListener::bind(data.unwrap_or(loopback)).await?;
    let addrs = SimAddrs {
        platform: platform.local_addr()?,
        data: data.local_addr()?,
    };
    tokio::spawn(async move {
        if let Err(e) = serve(platform, data, opts).await {
            tracing::error!(error = %e, "the simulated provider stopped");
        }
    });
    Ok(addrs)
}
