//! Brute-force protection for sign-in. Failures are counted per user name
//! and per client address over a window: past a first threshold every
//! attempt is slowed, past a second the name or address is refused for a
//! while, even with the right password. Kept in memory: a restart forgets
//! the counts, which costs an attacker a restart they cannot cause.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Thresholds for one kind of key (a user name or an address).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Failures after which each attempt waits `delay`.
    pub slow_after: u32,
    /// Failures after which attempts are refused for `lockout`.
    pub lock_after: u32,
}

#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub user: Limits,
    pub address: Limits,
    /// Failures older than this are forgotten.
    pub window: Duration,
    pub delay: Duration,
    pub lockout: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            user: Limits {
                slow_after: 3,
                lock_after: 6,
            },
            // An office behind one address has many users; it gets more room.
            address: Limits {
                slow_after: 10,
                lock_after: 30,
            },
            window: Duration::from_secs(15 * 60),
            delay: Duration::from_secs(1),
            lockout: Duration::from_secs(15 * 60),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    User,
    Address,
}

/// What an attempt may do before its password is even checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Go,
    /// Go, after waiting this long.
    Slow(Duration),
    /// Refused; the lock lifts after this long.
    Locked(Scope, Duration),
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    since: Instant,
    locked_until: Option<Instant>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    User(String),
    Address(IpAddr),
}

pub struct Throttle {
    policy: Policy,
    failures: Mutex<HashMap<Key, Failures>>,
}

/// Past this many keys, expired entries are swept on the next failure.
const SWEEP_AT: usize = 10_000;

impl Throttle {
    pub fn new(policy: Policy) -> Self {
        Self {
            policy,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn limits(&self, key: &Key) -> Limits {
        match key {
            Key::User(_) => self.policy.user,
            Key::Address(_) => self.policy.address,
        }
    }

    fn keys(user: &str, address: Option<IpAddr>) -> Vec<(Key, Scope)> {
        let mut keys = vec![(Key::User(user.to_string()), Scope::User)];
        if let Some(a) = address {
            keys.push((Key::Address(a), Scope::Address));
        }
        keys
    }

    pub fn check(&self, user: &str, address: Option<IpAddr>) -> Verdict {
        self.check_at(user, address, Instant::now())
    }

    fn check_at(&self, user: &str, address: Option<IpAddr>, now: Instant) -> Verdict {
        let map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let mut verdict = Verdict::Go;
        for (key, scope) in Self::keys(user, address) {
            let Some(f) = map.get(&key) else { continue };
            if let Some(until) = f.locked_until
                && until > now
            {
                return Verdict::Locked(scope, until - now);
            }
            if now.duration_since(f.since) < self.policy.window
                && f.count >= self.limits(&key).slow_after
            {
                verdict = Verdict::Slow(self.policy.delay);
            }
        }
        verdict
    }

    /// Counts a failed attempt; returns the lock it started, if it did.
    pub fn failed(&self, user: &str, address: Option<IpAddr>) -> Option<Scope> {
        self.failed_at(user, address, Instant::now())
    }

    fn failed_at(&self, user: &str, address: Option<IpAddr>, now: Instant) -> Option<Scope> {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > SWEEP_AT {
            let window = self.policy.window;
            map.retain(|_, f| {
                now.duration_since(f.since) < window || f.locked_until.is_some_and(|u| u > now)
            });
        }
        let mut locked = None;
        for (key, scope) in Self::keys(user, address) {
            let limits = self.limits(&key);
            let f = map.entry(key).or_insert(Failures {
                count: 0,
                since: now,
                locked_until: None,
            });
            let expired_lock = f.locked_until.is_some_and(|u| u <= now);
            if expired_lock || now.duration_since(f.since) >= self.policy.window {
                *f = Failures {
                    count: 0,
                    since: now,
                    locked_until: None,
                };
            }
            f.count += 1;
            if f.count >= limits.lock_after && f.locked_until.is_none() {
                f.locked_until = Some(now + self.policy.lockout);
                locked = locked.or(Some(scope));
            }
        }
        locked
    }

    /// A right password clears the user's count (not the address's: one
    /// good account must not unlock guessing at the others).
    pub fn succeeded(&self, user: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&Key::User(user.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn a_user_is_slowed_then_locked_then_let_go() {
        let t = Throttle::new(Policy::default());
        let now = Instant::now();
        for _ in 0..3 {
            assert_eq!(t.check_at("alice", ip("10.0.0.1"), now), Verdict::Go);
            assert_eq!(t.failed_at("alice", ip("10.0.0.1"), now), None);
        }
        assert_eq!(
            t.check_at("alice", ip("10.0.0.1"), now),
            Verdict::Slow(Duration::from_secs(1))
        );
        t.failed_at("alice", ip("10.0.0.1"), now);
        t.failed_at("alice", ip("10.0.0.1"), now);
        assert_eq!(t.failed_at("alice", ip("10.0.0.1"), now), Some(Scope::User));
        assert!(matches!(
            t.check_at("alice", ip("10.0.0.2"), now),
            Verdict::Locked(Scope::User, _)
        ));
        // Another user from the same address is not locked.
        assert_eq!(t.check_at("bob", ip("10.0.0.1"), now), Verdict::Go);
        let later = now + Duration::from_secs(15 * 60 + 1);
        assert_eq!(t.check_at("alice", ip("10.0.0.1"), later), Verdict::Go);
    }

    #[test]
    fn an_address_trying_many_names_is_locked() {
        let t = Throttle::new(Policy::default());
        let now = Instant::now();
        for i in 0..30 {
            t.failed_at(&format!("user{i}"), ip("10.0.0.9"), now);
        }
        assert!(matches!(
            t.check_at("someone-else", ip("10.0.0.9"), now),
            Verdict::Locked(Scope::Address, _)
        ));
        assert_eq!(t.check_at("someone-else", ip("10.0.0.8"), now), Verdict::Go);
    }

    #[test]
    fn success_clears_the_user_and_old_failures_expire() {
        let t = Throttle::new(Policy::default());
        let now = Instant::now();
        for _ in 0..4 {
            t.failed_at("carol", None, now);
        }
        t.succeeded("carol");
        assert_eq!(t.check_at("carol", None, now), Verdict::Go);
        for _ in 0..4 {
            t.failed_at("dave", None, now);
        }
        let later = now + Duration::from_secs(16 * 60);
        assert_eq!(t.check_at("dave", None, later), Verdict::Go);
    }
}
