//! The sessions, in the database so they outlive a restart and any
//! console serves them. The user a session names is still read from the
//! database on every request (see `Auth::resolve`), because other
//! processes change users.
//!
//! On SQLite, one console owns the file: sessions are also kept in memory
//! in front of it, so a request does not wait on SQLite for its session
//! (every write and removal goes to both). On PostgreSQL there is no such
//! cache: a sign-out on one console must end the session on the others at
//! their next request, and a cache in each would keep it alive there.

use crate::db::Db;
use std::time::Duration;
use tower_sessions::ExpiredDeletion;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, CachingSessionStore, SessionStore};
use tower_sessions_moka_store::MokaStore;
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

/// Sessions kept in memory at most on SQLite (the least used beyond it
/// are read from the database again when they come back).
const SESSIONS_IN_MEMORY: u64 = 10_000;

#[derive(Clone, Debug)]
pub enum Sessions {
    File(CachingSessionStore<MokaStore, SqliteStore>),
    Shared(PostgresStore),
}

impl Sessions {
    /// The session store over `db`, its table made if missing, with a
    /// sweeper that removes expired sessions every ten minutes.
    pub async fn open(db: &Db) -> Result<Self, String> {
        let sessions = match db {
            Db::Sqlite(pool) => {
                let store = SqliteStore::new(pool.clone())
                    .with_table_name("sessions")
                    .map_err(|e| e.to_string())?;
                store.migrate().await.map_err(|e| e.to_string())?;
                spawn_sweeper(store.clone());
                Sessions::File(CachingSessionStore::new(
                    MokaStore::new(Some(SESSIONS_IN_MEMORY)),
                    store,
                ))
            }
            Db::Postgres(pool) => {
                let store = PostgresStore::new(pool.clone())
                    .with_schema_name("public")
                    .and_then(|s| s.with_table_name("sessions"))
                    .map_err(|e| e.to_string())?;
                store.migrate().await.map_err(|e| e.to_string())?;
                spawn_sweeper(store.clone());
                Sessions::Shared(store)
            }
        };
        Ok(sessions)
    }
}

fn spawn_sweeper(store: impl ExpiredDeletion + 'static) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(600));
        loop {
            every.tick().await;
            if let Err(e) = store.delete_expired().await {
                tracing::warn!(error = %e, "expired sessions not removed");
            }
        }
    });
}

#[async_trait::async_trait]
impl SessionStore for Sessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            Sessions::File(s) => s.create(record).await,
            Sessions::Shared(s) => s.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            Sessions::File(s) => s.save(record).await,
            Sessions::Shared(s) => s.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            Sessions::File(s) => s.load(id).await,
            Sessions::Shared(s) => s.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            Sessions::File(s) => s.delete(id).await,
            Sessions::Shared(s) => s.delete(id).await,
        }
    }
}
