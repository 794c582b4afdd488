//! Reads from the provider, cached per resource with single-flight loading:
//! however many people look at a space, the provider is asked once per
//! refresh period. That keeps a team inside the provider's rate limit
//! (4500 calls an hour for the whole account). When a read fails for a
//! passing reason, the last good answer is served with its age and the error.

use crate::provider::ProviderError;
use moka::future::Cache;
use std::future::Future;
use std::hash::Hash;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

/// Some data and when it was read.
#[derive(Debug, Clone)]
pub struct Fetched<V> {
    pub value: V,
    pub at: OffsetDateTime,
}

/// A read as served: possibly older data, with the error that kept it from
/// being fresh.
#[derive(Debug, Clone)]
pub struct Read<V> {
    pub value: V,
    pub at: OffsetDateTime,
    pub stale_error: Option<String>,
}

/// Values are kept behind an `Arc`: a read hands out the value the cache
/// holds, not a copy of it (a space page makes seven reads, and copying
/// each whole list was most of what they cost).
pub struct Loader<K, V> {
    /// What the metrics call this resource.
    name: &'static str,
    fresh: Cache<K, Fetched<Arc<V>>>,
    last_good: Cache<K, Fetched<Arc<V>>>,
}

impl<K, V> Loader<K, V>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Send + Sync + 'static,
{
    pub fn new(name: &'static str, refresh: Duration, capacity: u64) -> Self {
        Self {
            name,
            fresh: Cache::builder()
                .time_to_live(refresh)
                .max_capacity(capacity)
                .build(),
            last_good: Cache::builder().max_capacity(capacity).build(),
        }
    }

    /// The cached value, or one load shared by every concurrent caller.
    pub async fn get<F>(&self, key: K, load: F) -> Result<Read<Arc<V>>, ProviderError>
    where
        F: Future<Output = Result<V, ProviderError>>,
    {
        // Set when this caller ran the load (not when it was served from
        // the cache or joined someone else's load): only a new value needs
        // to be kept as the last good one.
        let ran = std::sync::atomic::AtomicBool::new(false);
        let loaded = self
            .fresh
            .try_get_with(key.clone(), async {
                ran.store(true, std::sync::atomic::Ordering::Relaxed);
                load.await.map(|value| Fetched {
                    value: Arc::new(value),
                    at: OffsetDateTime::now_utc(),
                })
            })
            .await;
        let ran = ran.load(std::sync::atomic::Ordering::Relaxed);
        crate::metrics::cache_read(self.name, ran);
        match loaded {
            Ok(f) => {
                if ran {
                    self.last_good.insert(key, f.clone()).await;
                }
                Ok(Read {
                    value: f.value,
                    at: f.at,
                    stale_error: None,
                })
            }
            Err(e) => {
                let e: ProviderError = Arc::unwrap_or_clone(e);
                match self.last_good.get(&key).await {
                    Some(old) if e.is_transient() => Ok(Read {
                        value: old.value,
                        at: old.at,
                        stale_error: Some(e.to_string()),
                    }),
                    _ => Err(e),
                }
            }
        }
    }

    /// Forgets the fresh value so the next read asks the provider.
    pub async fn invalidate(&self, key: &K) {
        self.fresh.invalidate(key).await;
    }

    /// Forgets every fresh value.
    pub fn invalidate_all(&self) {
        self.fresh.invalidate_all();
    }
}
