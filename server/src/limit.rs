//! Token buckets by key: a burst, then a steady rate. Used to cap what one
//! user or one address can make the console do (server-function calls,
//! refusal records), where the cost falls on something shared: the
//! provider's hourly budget, the audit history.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Past this many keys, full buckets are swept.
const SWEEP_AT: usize = 10_000;

struct Bucket {
    tokens: f64,
    at: Instant,
    /// Takes refused since the last one granted.
    refused: u64,
}

pub struct KeyedBuckets<K> {
    burst: f64,
    per_sec: f64,
    buckets: Mutex<HashMap<K, Bucket>>,
}

impl<K: Hash + Eq + Clone> KeyedBuckets<K> {
    /// `burst` at once, refilled at `per_sec`.
    pub fn new(burst: u32, per_sec: f64) -> Self {
        Self {
            burst: f64::from(burst.max(1)),
            per_sec: per_sec.max(f64::MIN_POSITIVE),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one for `key`: `Ok` with how many were refused since the
    /// last granted, or `Err` with how long until one is free.
    pub fn take(&self, key: &K) -> Result<u64, Duration> {
        self.take_at(key, Instant::now())
    }

    pub fn take_at(&self, key: &K, now: Instant) -> Result<u64, Duration> {
        let (burst, per_sec) = (self.burst, self.per_sec);
        let refill = |b: &mut Bucket| {
            let gained = now.saturating_duration_since(b.at).as_secs_f64() * per_sec;
            b.tokens = (b.tokens + gained).min(burst);
            b.at = now;
        };
        let mut map = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > SWEEP_AT {
            map.retain(|_, b| {
                refill(b);
                b.tokens < burst || b.refused > 0
            });
        }
        let b = map.entry(key.clone()).or_insert(Bucket {
            tokens: burst,
            at: now,
            refused: 0,
        });
        refill(b);
        if b.tokens < 1.0 {
            b.refused += 1;
            return Err(Duration::from_secs_f64((1.0 - b.tokens) / per_sec));
        }
        b.tokens -= 1.0;
        Ok(std::mem::take(&mut b.refused))
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
}
