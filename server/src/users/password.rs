//! Password hashing (argon2id, the crate's default parameters) and the
//! random passwords given to a first admin, an invited user or a demo user.
//!
//! Each argon2 run takes about 19 MiB and tens of milliseconds of a core.
//! Run on the blocking pool, a burst of sign-ins ran hundreds of them at
//! once and took the process to gigabytes. So they run on a fixed set of
//! threads, one per core, and a caller waits for a place at most
//! `QUEUE_WAIT`; past that the answer is "busy, try again", and a burst
//! costs bounded memory whatever its size.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::Rng;
use std::sync::{LazyLock, Mutex, mpsc};
use std::time::Duration;
use tokio::sync::{Semaphore, oneshot};

/// How long a caller waits for a free hashing thread before "busy".
const QUEUE_WAIT: Duration = Duration::from_secs(5);

/// Every hashing thread was taken for longer than `QUEUE_WAIT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the server is busy checking passwords; try again in a moment")]
pub struct Busy;

type Job = Box<dyn FnOnce() + Send>;

/// The hashing threads and the places in front of them.
struct Pool {
    places: Semaphore,
    jobs: Mutex<mpsc::Sender<Job>>,
}

static POOL: LazyLock<Pool> = LazyLock::new(|| {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let (tx, rx) = mpsc::channel::<Job>();
    let rx = std::sync::Arc::new(Mutex::new(rx));
    for i in 0..threads {
        let rx = rx.clone();
        std::thread::Builder::new()
            .name(format!("argon2-{i}"))
            .spawn(move || {
                loop {
                    let job = rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                }
            })
            .expect("a hashing thread starts");
    }
    Pool {
        places: Semaphore::new(threads),
        jobs: Mutex::new(tx),
    }
});

/// Runs `work` on a hashing thread, once one is free within `QUEUE_WAIT`.
async fn on_pool<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, Busy> {
    let pool = &*POOL;
    let _place = tokio::time::timeout(QUEUE_WAIT, pool.places.acquire())
        .await
        .map_err(|_| Busy)?
        .map_err(|_| Busy)?;
    let (tx, rx) = oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(work());
    });
    pool.jobs
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .send(job)
        .map_err(|_| Busy)?;
    rx.await.map_err(|_| Busy)
}

/// Has glibc give large freed blocks back to the system at once.
///
/// Each password check allocates about 19 MiB (argon2) and frees it. glibc
/// starts by serving such blocks with mmap, but after the first free it
/// raises its mmap threshold above their size and serves them from the
/// thread's heap arena, which keeps them after they are freed: a burst of
/// sign-ins left the process tens of MiB larger for good. A fixed threshold
/// stops that adjustment; blocks of 1 MiB and more are mapped and unmapped.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn return_large_blocks() {
    // SAFETY: mallopt only sets an allocator parameter; call it once, at
    // the start of main, before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn return_large_blocks() {}

/// A PHC string (`$argon2id$v=19$...`) for `password`, with a fresh salt.
pub async fn hash(password: &str) -> Result<String, String> {
    let password = password.to_string();
    on_pool(move || {
        let salt_bytes: [u8; 16] = rand::rng().random();
        let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| e.to_string())?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())?
}

/// Whether `password` matches `phc`. A malformed hash never matches.
pub async fn verify(password: &str, phc: &str) -> Result<bool, Busy> {
    let (password, phc) = (password.to_string(), phc.to_string());
    on_pool(move || {
        PasswordHash::new(&phc)
            .map(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
}

/// A hash of nothing anyone can type, verified against when the user name
/// is unknown, so an unknown name takes as long to refuse as a wrong
/// password and the timing does not tell which names exist.
pub const DECOY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c3BhY2Vwb3J0ZGVjb3k$kcCM1k7ldQ/BvI7aBF0Z9Kd8sOe0mzNcqOlH2KVQ1dY";

/// A random password of 20 characters from an alphabet without look-alikes
/// (no 0/O, 1/l/I), about 115 bits.
pub fn random() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_only_its_password() {
        let h = hash("correct horse battery").await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert_eq!(verify("correct horse battery", &h).await, Ok(true));
        assert_eq!(verify("correct horse batterY", &h).await, Ok(false));
        assert_eq!(verify("anything", "not a hash").await, Ok(false));
        assert_eq!(verify("", DECOY).await, Ok(false));
    }

    #[tokio::test]
    async fn a_burst_runs_only_as_many_as_there_are_threads() {
        let running = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let most = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let jobs = (0..40).map(|_| {
            let (running, most) = (running.clone(), most.clone());
            on_pool(move || {
                use std::sync::atomic::Ordering::SeqCst;
                let now = running.fetch_add(1, SeqCst) + 1;
                most.fetch_max(now, SeqCst);
                std::thread::sleep(Duration::from_millis(5));
                running.fetch_sub(1, SeqCst);
            })
        });
        let done = futures::future::join_all(jobs).await;
        assert!(done.iter().all(|d| d.is_ok()));
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        assert!(most.load(std::sync::atomic::Ordering::SeqCst) <= threads);
    }

    #[test]
    fn random_passwords_differ_and_are_long() {
        let (a, b) = (random(), random());
        assert_eq!(a.len(), 20);
        assert_ne!(a, b);
        assert!(domain::validate::new_password(&a).is_ok());
    }
}
