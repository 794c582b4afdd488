//! Brute-force protection for sign-in.
//!
//! An attempt is reserved before its password is checked and settled after,
//! so a burst of parallel guesses counts the ones still in flight: a
//! hundred guesses sent at once get no more passwords evaluated than a
//! hundred sent one by one.
//!
//! Per user name, failures slow the name down progressively (each wait
//! twice the one before, up to a cap) instead of locking it: anyone can
//! type someone else's name, and a hard lock would let them keep an admin
//! out for good. Per client address, failures past a first threshold are
//! slowed and past a second the address is locked for a while, even with
//! the right password. IPv6 clients are counted per /64, the block one
//! client usually holds. Kept in memory: a restart forgets the counts,
//! which costs an attacker a restart they cannot cause.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Attempts a user name gets in a window before it has to wait.
    pub user_free: u32,
    /// The first wait; each further failure doubles it...
    pub user_first_wait: Duration,
    /// ...up to this.
    pub user_max_wait: Duration,
    /// Failures from one address after which each attempt waits `delay`.
    pub address_slow_after: u32,
    /// Failures from one address after which it is locked for `lockout`.
    pub address_lock_after: u32,
    /// Failures older than this are forgotten.
    pub window: Duration,
    pub delay: Duration,
    pub lockout: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            user_free: 3,
            user_first_wait: Duration::from_secs(1),
            user_max_wait: Duration::from_secs(60),
            // An office behind one address has many users; it gets more room.
            address_slow_after: 10,
            address_lock_after: 30,
            window: Duration::from_secs(15 * 60),
            delay: Duration::from_secs(1),
            lockout: Duration::from_secs(15 * 60),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    User,
    Address,
}

/// Why an attempt may not go now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Try again after this long.
    Wait(Scope, Duration),
    /// Locked; the lock lifts after this long.
    Locked(Scope, Duration),
}

/// What a key has done lately.
#[derive(Debug, Clone, Copy)]
struct Record {
    failures: u32,
    last_failure: Instant,
    locked_until: Option<Instant>,
    /// Attempts reserved and not yet settled.
    in_flight: u32,
}

impl Record {
    fn new(now: Instant) -> Self {
        Self {
            failures: 0,
            last_failure: now,
            locked_until: None,
            in_flight: 0,
        }
    }

    /// Forgets failures past the window and a lock that has lifted.
    fn age(&mut self, now: Instant, window: Duration) {
        if self.locked_until.is_some_and(|u| u <= now) {
            self.locked_until = None;
            self.failures = 0;
        }
        if self.locked_until.is_none() && now.duration_since(self.last_failure) >= window {
            self.failures = 0;
        }
    }

    fn is_idle(&self) -> bool {
        self.failures == 0 && self.in_flight == 0 && self.locked_until.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    User(String),
    Address(IpAddr),
    /// Every new name or address that arrived while the table was full:
    /// counted together, strictly, so a flood of new sources costs no
    /// memory and gains no fresh attempts.
    Overflow(Scope),
}

/// The address a client is counted under: itself for IPv4 (also when
/// written as IPv4-mapped IPv6), its /64 for IPv6.
pub fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(prefix.into())
            }
        },
    }
}

pub struct Throttle {
    policy: Policy,
    records: Mutex<Records>,
}

struct Records {
    by_key: HashMap<Key, Record>,
    swept: Instant,
}

impl Records {
    /// `key` itself, or the overflow key of its scope when the table is
    /// full and `key` has no record yet.
    fn admit(&self, key: Key, scope: Scope) -> Key {
        if self.by_key.len() >= MAX_KEYS && !self.by_key.contains_key(&key) {
            Key::Overflow(scope)
        } else {
            key
        }
    }
}

/// Past this many keys, idle entries are swept, at most once a second (a
/// sweep walks every key).
const SWEEP_AT: usize = 10_000;
const SWEEP_EVERY: Duration = Duration::from_secs(1);
/// The most names and addresses followed at once.
const MAX_KEYS: usize = 100_000;

/// A reserved attempt. Settle it with `failed` or `succeeded`; dropped
/// unsettled (the check itself failed), it frees its place.
pub struct Attempt<'a> {
    throttle: &'a Throttle,
    user: Key,
    address: Option<Key>,
    /// How long to wait before checking the password.
    pub delay: Option<Duration>,
    settled: bool,
}

impl Attempt<'_> {
    /// Counts the failure; returns the lock it started, if it did.
    pub fn failed(mut self) -> Option<Scope> {
        self.settled = true;
        self.throttle
            .settle(&self.user, self.address.as_ref(), true)
    }

    /// A right password clears the user's failures (not the address's: one
    /// good account must not unlock guessing at the others).
    pub fn succeeded(mut self) {
        self.settled = true;
        self.throttle
            .settle(&self.user, self.address.as_ref(), false);
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if !self.settled {
            self.throttle.release(&self.user, self.address.as_ref());
        }
    }
}

impl Throttle {
    pub fn new(policy: Policy) -> Self {
        Self {
            policy,
            records: Mutex::new(Records {
                by_key: HashMap::new(),
                swept: Instant::now(),
            }),
        }
    }

    /// How long a lock lasts once it starts.
    pub fn lockout(&self) -> Duration {
        self.policy.lockout
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Records> {
        self.records.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How long a user name waits after `failures` failures.
    fn user_wait(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(self.policy.user_free).min(20);
        self.policy
            .user_first_wait
            .saturating_mul(1 << doublings)
            .min(self.policy.user_max_wait)
    }

    /// Reserves an attempt for `user` from `address`, or says why not now.
    pub fn begin(&self, user: &str, address: Option<IpAddr>) -> Result<Attempt<'_>, Refusal> {
        self.begin_at(user, address, Instant::now())
    }

    fn begin_at(
        &self,
        user: &str,
        address: Option<IpAddr>,
        now: Instant,
    ) -> Result<Attempt<'_>, Refusal> {
        let p = self.policy;
        let mut records = self.lock();
        if records.by_key.len() > SWEEP_AT && now >= records.swept + SWEEP_EVERY {
            records.swept = now;
            records.by_key.retain(|_, r| {
                r.age(now, p.window);
                !r.is_idle()
            });
        }
        let user_key = records.admit(Key::User(user.to_string()), Scope::User);
        let address_key =
            address.map(|a| records.admit(Key::Address(address_key(a)), Scope::Address));
        let map = &mut records.by_key;
        let mut delay = None;
        if let Some(key) = &address_key {
            let r = map.entry(key.clone()).or_insert_with(|| Record::new(now));
            r.age(now, p.window);
            if let Some(until) = r.locked_until {
                return Err(Refusal::Locked(Scope::Address, until - now));
            }
            let used = r.failures + r.in_flight;
            if used >= p.address_lock_after {
                return Err(Refusal::Wait(Scope::Address, p.delay));
            }
            if used >= p.address_slow_after {
                delay = Some(p.delay);
            }
        }
        let r = map
            .entry(user_key.clone())
            .or_insert_with(|| Record::new(now));
        r.age(now, p.window);
        if r.failures + r.in_flight >= p.user_free {
            // Past the free attempts, one at a time, each after its wait.
            let ready = r.last_failure + self.user_wait(r.failures);
            if r.in_flight > 0 || ready > now {
                let wait = ready.saturating_duration_since(now).max(p.user_first_wait);
                return Err(Refusal::Wait(Scope::User, wait));
            }
        }
        r.in_flight += 1;
        if let Some(key) = &address_key
            && let Some(a) = map.get_mut(key)
        {
            a.in_flight += 1;
        }
        Ok(Attempt {
            throttle: self,
            user: user_key,
            address: address_key,
            delay,
            settled: false,
        })
    }

    fn release(&self, user: &Key, address: Option<&Key>) {
        let map = &mut self.lock().by_key;
        for key in std::iter::once(user).chain(address) {
            if let Some(r) = map.get_mut(key) {
                r.in_flight = r.in_flight.saturating_sub(1);
            }
        }
    }

    fn settle(&self, user: &Key, address: Option<&Key>, failed: bool) -> Option<Scope> {
        self.settle_at(user, address, failed, Instant::now())
    }

    fn settle_at(
        &self,
        user: &Key,
        address: Option<&Key>,
        failed: bool,
        now: Instant,
    ) -> Option<Scope> {
        let p = self.policy;
        let mut records = self.lock();
        let map = &mut records.by_key;
        let mut locked = None;
        for key in std::iter::once(user).chain(address) {
            let r = map.entry(key.clone()).or_insert_with(|| Record::new(now));
            r.in_flight = r.in_flight.saturating_sub(1);
            match (key, failed) {
                (Key::User(_), false) => r.failures = 0,
                (Key::Address(_) | Key::Overflow(_), false) => {}
                (_, true) => {
                    r.failures += 1;
                    r.last_failure = now;
                }
            }
            if failed
                && matches!(key, Key::Address(_) | Key::Overflow(Scope::Address))
                && r.failures >= p.address_lock_after
                && r.locked_until.is_none()
            {
                r.locked_until = Some(now + p.lockout);
                locked = Some(Scope::Address);
            }
        }
        locked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    fn fail(t: &Throttle, user: &str, address: Option<IpAddr>, now: Instant) -> Option<Scope> {
        let a = t.begin_at(user, address, now).expect("may try");
        let (u, ad) = (a.user.clone(), a.address.clone());
        std::mem::forget(a);
        t.settle_at(&u, ad.as_ref(), true, now)
    }

    #[test]
    fn a_name_slows_down_progressively_and_is_never_locked() {
        let t = Throttle::new(Policy::default());
        let mut now = Instant::now();
        for _ in 0..3 {
            assert_eq!(fail(&t, "alice", ip("10.0.0.1"), now), None);
        }
        // Each wait is twice the one before.
        for wait in [1, 2, 4, 8, 16, 32, 60, 60] {
            let wait = Duration::from_secs(wait);
            assert_eq!(
                t.begin_at("alice", ip("10.0.0.2"), now).err(),
                Some(Refusal::Wait(Scope::User, wait))
            );
            now += wait;
            fail(&t, "alice", ip(&format!("10.0.1.{}", wait.as_secs())), now);
        }
        // Waited out, the owner may try, and a right password clears it.
        now += Duration::from_secs(60);
        t.begin_at("alice", ip("10.0.0.3"), now)
            .unwrap()
            .succeeded();
        assert!(t.begin_at("alice", ip("10.0.0.3"), now).is_ok());
        // Another name from the same address was never slowed.
        assert!(t.begin_at("bob", ip("10.0.0.1"), now).is_ok());
    }

    #[test]
    fn attempts_in_flight_count_against_the_limit() {
        let t = Throttle::new(Policy::default());
        let now = Instant::now();
        let held: Vec<_> = (0..3)
            .map(|_| t.begin_at("carol", None, now).unwrap())
            .collect();
        assert!(matches!(
            t.begin_at("carol", None, now),
            Err(Refusal::Wait(Scope::User, _))
        ));
        // An attempt dropped unsettled frees its place.
        drop(held);
        assert!(t.begin_at("carol", None, now).is_ok());
    }

    #[test]
    fn an_address_trying_many_names_is_slowed_then_locked() {
        let t = Throttle::new(Policy::default());
        let now = Instant::now();
        for i in 0..10 {
            fail(&t, &format!("user{i}"), ip("10.0.0.9"), now);
        }
        let slowed = t.begin_at("someone", ip("10.0.0.9"), now).unwrap();
        assert_eq!(slowed.delay, Some(Duration::from_secs(1)));
        drop(slowed);
        for i in 10..29 {
            assert_eq!(fail(&t, &format!("user{i}"), ip("10.0.0.9"), now), None);
        }
        assert_eq!(
            fail(&t, "user29", ip("10.0.0.9"), now),
            Some(Scope::Address)
        );
        assert!(matches!(
            t.begin_at("someone-else", ip("10.0.0.9"), now).err(),
            Some(Refusal::Locked(Scope::Address, _))
        ));
        assert!(t.begin_at("someone-else", ip("10.0.0.8"), now).is_ok());
        let later = now + Duration::from_secs(15 * 60 + 1);
        assert!(t.begin_at("someone-else", ip("10.0.0.9"), later).is_ok());
    }

    #[test]
    fn ipv6_counts_per_64_and_mapped_ipv4_as_ipv4() {
        let a = address_key("2001:db8:1:2:aaaa::1".parse().unwrap());
        let b = address_key("2001:db8:1:2:bbbb::2".parse().unwrap());
        let c = address_key("2001:db8:1:3::1".parse().unwrap());
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(
            address_key("::ffff:192.0.2.7".parse().unwrap()),
            "192.0.2.7".parse::<IpAddr>().unwrap()
        );
        let t = Throttle::new(Policy::default());
        let now = Instant::now();
        for i in 0..30 {
            fail(
                &t,
                &format!("u{i}"),
                ip(&format!("2001:db8:1:2::{:x}", i + 1)),
                now,
            );
        }
        assert!(t.begin_at("x", ip("2001:db8:1:2:ffff::9"), now).is_err());
        assert!(t.begin_at("x", ip("2001:db8:1:3::9"), now).is_ok());
    }

    #[test]
    fn old_failures_are_forgotten() {
        let t = Throttle::new(Policy::default());
        let now = Instant::now();
        for _ in 0..3 {
            fail(&t, "dave", None, now);
        }
        assert!(t.begin_at("dave", None, now).is_err());
        let later = now + Duration::from_secs(16 * 60);
        assert!(t.begin_at("dave", None, later).is_ok());
    }
}
