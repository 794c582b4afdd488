//! Token buckets by key: a burst, then a steady rate. Used to cap what one
//! user or one address can make the console do (calls and page loads,
//! refusal records), where the cost falls on something shared: the CPU,
//! the provider's hourly budget, the audit history.
//!
//! The keys come from outside (addresses, names), so the map is bounded
//! twice over: buckets that are full again are swept, at most once a
//! second however busy the console is (a sweep walks every key), and past
//! `MAX_KEYS` a key not seen before shares one overflow bucket with every
//! other such key, so a flood of new sources costs neither memory nor a
//! scan per lookup.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Past this many keys, full buckets are swept (at most once a second).
const SWEEP_AT: usize = 10_000;
const SWEEP_EVERY: Duration = Duration::from_secs(1);
/// The most keys kept; beyond it new keys share the overflow bucket.
pub const MAX_KEYS: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
    /// Takes refused since the last one granted.
    refused: u64,
}

impl Bucket {
    fn full(burst: f64, now: Instant) -> Self {
        Self {
            tokens: burst,
            at: now,
            refused: 0,
        }
    }

    fn refill(&mut self, now: Instant, burst: f64, per_sec: f64) {
        let gained = now.saturating_duration_since(self.at).as_secs_f64() * per_sec;
        self.tokens = (self.tokens + gained).min(burst);
        self.at = now;
    }

    /// `Ok` with how many were refused since the last granted, or `Err`
    /// with how long until one is free.
    fn take(&mut self, now: Instant, burst: f64, per_sec: f64) -> Result<u64, Duration> {
        self.refill(now, burst, per_sec);
        if self.tokens < 1.0 {
            self.refused += 1;
            return Err(Duration::from_secs_f64((1.0 - self.tokens) / per_sec));
        }
        self.tokens -= 1.0;
        Ok(std::mem::take(&mut self.refused))
    }
}

struct Buckets<K> {
    by_key: HashMap<K, Bucket>,
    /// Shared by every key that arrived while the map was full.
    overflow: Bucket,
    swept: Instant,
}

pub struct KeyedBuckets<K> {
    burst: f64,
    per_sec: f64,
    max_keys: usize,
    buckets: Mutex<Buckets<K>>,
}

impl<K: Hash + Eq + Clone> KeyedBuckets<K> {
    /// `burst` at once, refilled at `per_sec`.
    pub fn new(burst: u32, per_sec: f64) -> Self {
        Self::with_max_keys(burst, per_sec, MAX_KEYS)
    }

    pub fn with_max_keys(burst: u32, per_sec: f64, max_keys: usize) -> Self {
        let burst = f64::from(burst.max(1));
        let now = Instant::now();
        Self {
            burst,
            per_sec: per_sec.max(f64::MIN_POSITIVE),
            max_keys: max_keys.max(1),
            buckets: Mutex::new(Buckets {
                by_key: HashMap::new(),
                overflow: Bucket::full(burst, now),
                swept: now,
            }),
        }
    }

    /// Takes one for `key`: `Ok` with how many were refused since the
    /// last granted, or `Err` with how long until one is free.
    pub fn take(&self, key: &K) -> Result<u64, Duration> {
        self.take_at(key, Instant::now())
    }

    pub fn take_at(&self, key: &K, now: Instant) -> Result<u64, Duration> {
        let (burst, per_sec) = (self.burst, self.per_sec);
        let mut b = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if b.by_key.len() > SWEEP_AT.min(self.max_keys) && now >= b.swept + SWEEP_EVERY {
            b.swept = now;
            b.by_key.retain(|_, bucket| {
                bucket.refill(now, burst, per_sec);
                bucket.tokens < burst || bucket.refused > 0
            });
        }
        let room = b.by_key.len() < self.max_keys;
        let bucket = match b.by_key.get_mut(key) {
            Some(bucket) => bucket,
            None if room => b
                .by_key
                .entry(key.clone())
                .or_insert(Bucket::full(burst, now)),
            None => &mut b.overflow,
        };
        bucket.take(now, burst, per_sec)
    }

    /// How many keys have a bucket of their own.
    pub fn keys(&self) -> usize {
        self.buckets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .by_key
            .len()
    }
}

/// One bucket for everything: a bound on the whole console's rate of
/// something, whoever causes it.
pub struct GlobalBucket {
    burst: f64,
    per_sec: f64,
    bucket: Mutex<Bucket>,
}

impl GlobalBucket {
    pub fn new(burst: u32, per_sec: f64) -> Self {
        let burst = f64::from(burst.max(1));
        Self {
            burst,
            per_sec: per_sec.max(f64::MIN_POSITIVE),
            bucket: Mutex::new(Bucket::full(burst, Instant::now())),
        }
    }

    /// Takes one: `Ok` with how many were refused since the last granted.
    pub fn take(&self) -> Result<u64, Duration> {
        self.bucket.lock().unwrap_or_else(|e| e.into_inner()).take(
            Instant::now(),
            self.burst,
            self.per_sec,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_the_steady_rate() {
        let b = KeyedBuckets::new(3, 1.0);
        let now = Instant::now();
        for _ in 0..3 {
            assert_eq!(b.take_at(&"a", now), Ok(0));
        }
        let wait = b.take_at(&"a", now).unwrap_err();
        assert!(wait <= Duration::from_secs(1) && wait > Duration::ZERO);
        assert!(b.take_at(&"a", now).is_err());
        // Another key has its own bucket.
        assert_eq!(b.take_at(&"b", now), Ok(0));
        // A second later one more, and it says two were refused meanwhile.
        assert_eq!(b.take_at(&"a", now + Duration::from_secs(1)), Ok(2));
    }

    #[test]
    fn a_flood_of_new_keys_is_bounded_and_shares_one_bucket() {
        let b = KeyedBuckets::with_max_keys(2, 1.0 / 60.0, 1000);
        let now = Instant::now();
        for k in 0..1000u32 {
            assert!(b.take_at(&k, now).is_ok());
        }
        // Past the bound, new keys share one bucket: two, then nothing.
        let late: Vec<_> = (1000..1100u32).map(|k| b.take_at(&k, now)).collect();
        assert_eq!(late.iter().filter(|r| r.is_ok()).count(), 2);
        assert_eq!(b.keys(), 1000);
        // A key that has its own bucket keeps it.
        assert!(b.take_at(&7, now).is_ok());
        assert!(b.take_at(&7, now).is_err());
    }

    #[test]
    fn full_buckets_are_swept_at_most_once_a_second() {
        let b = KeyedBuckets::with_max_keys(1, 1.0, 1_000_000);
        let now = Instant::now();
        for k in 0..20_000u32 {
            let _ = b.take_at(&k, now);
        }
        // Every bucket is spent: none may be swept yet, and the next
        // lookups do not sweep again within the second.
        assert_eq!(b.keys(), 20_000);
        let later = now + Duration::from_secs(2);
        let _ = b.take_at(&0, later);
        // Two seconds later they are full again, and were swept, all but
        // the one just taken from.
        assert_eq!(b.keys(), 1);
    }
}
