//! Who is signed in, and what they may reach. Users (with their argon2
//! hashes, or the identity provider's `sub`) live in the database
//! (`users`), and so do sessions (tower-sessions' store). A person signs
//! in with a password (`handlers`) or through the identity provider
//! (`sso`); automation shows a token (`crate::users::tokens`). `gate`
//! resolves each request's token or session to a `Caller` and refuses what
//! the caller may not reach, before any page or server function runs.

pub mod bootstrap;
pub mod gate;
pub mod handlers;
pub mod refusals;
pub mod sso;
pub mod throttle;

use crate::users::{User, Users};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use throttle::Throttle;
use tower_sessions::Session;

/// Where in the session the sign-in is kept.
const SIGNED_IN: &str = "signed_in";

/// The sign-in a session carries. Times are Unix seconds.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct SignedIn {
    user_id: i64,
    /// When the password was checked: the absolute expiry counts from here.
    at: i64,
    /// The last request, to the minute: the idle expiry counts from here.
    seen: i64,
    /// The user's session epoch at sign-in; a credential change moves the
    /// user's on, which ends this sign-in.
    #[serde(default)]
    epoch: i64,
    /// Signed in through the identity provider (sign-out then goes on to
    /// the provider's, when it has one).
    #[serde(default)]
    sso: bool,
}

/// Where in the session the provider's ID token is kept, for the
/// provider's sign-out.
const SSO_ID_TOKEN: &str = "sso_id_token";

/// How often `seen` is written back at most; more often would be a write
/// per request. A short idle limit gets a write per half of it.
const SEEN_EVERY_SECS: i64 = 60;

pub struct Auth {
    pub users: Arc<Users>,
    /// Sign-ins, sign-outs and password changes are actions like any other.
    pub executor: crate::actions::Executor,
    pub throttle: Throttle,
    pub refusals: Arc<refusals::Refusals>,
    /// Server-function calls per user (see `--user-calls-per-minute`).
    pub calls: crate::limit::KeyedBuckets<String>,
    /// A session unused this long is over.
    pub idle: Duration,
    /// A session this old is over, however busy.
    pub max_age: Duration,
    /// The provider is the simulator, so the demo's users may sign in.
    pub demo: bool,
    /// The team's identity provider, when one is configured.
    pub sso: Option<Arc<sso::Sso>>,
    /// Who may sign in with a password of this console's.
    pub local: crate::config::LocalSignIn,
    /// Under `--local-sign-in break-glass`, the admins who still may.
    pub break_glass: Vec<String>,
}

/// What a request's session comes to.
pub enum Resolved {
    Nobody,
    /// There was a sign-in, and it has expired.
    Expired,
    User(User),
}

fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

impl Auth {
    /// The signed-in user of a session, if the sign-in still holds: not
    /// expired, the user still there, enabled, and not a demo user on the
    /// real provider. A sign-in that no longer holds is removed.
    pub async fn resolve(&self, session: &Session) -> Resolved {
        let signed_in = match session.get::<SignedIn>(SIGNED_IN).await {
            Ok(Some(s)) => s,
            Ok(None) => return Resolved::Nobody,
            Err(e) => {
                tracing::error!(error = %e, "session could not be read");
                return Resolved::Nobody;
            }
        };
        let now = unix_now();
        let expired = now - signed_in.at > self.max_age.as_secs() as i64
            || now - signed_in.seen > self.idle.as_secs() as i64;
        let user = if expired {
            None
        } else {
            match self.users.by_id(signed_in.user_id).await {
                Ok(u) => u.filter(|u| {
                    !u.disabled && (self.demo || !u.demo) && u.session_epoch == signed_in.epoch
                }),
                Err(e) => {
                    tracing::error!(error = %e, "user could not be read");
                    None
                }
            }
        };
        let Some(user) = user else {
            if let Err(e) = session.flush().await {
                tracing::error!(error = %e, "session could not be removed");
            }
            return if expired {
                Resolved::Expired
            } else {
                Resolved::Nobody
            };
        };
        let seen_every = SEEN_EVERY_SECS.min(self.idle.as_secs() as i64 / 2);
        if now - signed_in.seen >= seen_every {
            let seen = SignedIn {
                seen: now,
                ..signed_in
            };
            if let Err(e) = session.insert(SIGNED_IN, seen).await {
                tracing::error!(error = %e, "session could not be updated");
            }
        }
        Resolved::User(user)
    }

    /// Starts a sign-in: a new session id (so an id planted before the
    /// sign-in is worthless after it), then the user in it, under their
    /// current session epoch. A session that already holds a sign-in of
    /// the same user (signing in again, or a password change) keeps that
    /// sign-in's start: renewing the id must not renew the absolute limit.
    async fn start_session(
        &self,
        session: &Session,
        user: &User,
        sso_id_token: Option<&str>,
    ) -> Result<(), String> {
        let now = unix_now();
        let at = match session.get::<SignedIn>(SIGNED_IN).await {
            Ok(Some(s)) if s.user_id == user.id && now - s.at <= self.max_age.as_secs() as i64 => {
                s.at
            }
            _ => now,
        };
        session.cycle_id().await.map_err(|e| e.to_string())?;
        session
            .insert(
                SIGNED_IN,
                SignedIn {
                    user_id: user.id,
                    at,
                    seen: now,
                    epoch: user.session_epoch,
                    sso: sso_id_token.is_some(),
                },
            )
            .await
            .map_err(|e| e.to_string())?;
        if let Some(token) = sso_id_token {
            session
                .insert(SSO_ID_TOKEN, token)
                .await
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// Whether the session's sign-in came through the identity provider,
    /// and the ID token it came with.
    async fn sso_sign_in(&self, session: &Session) -> Option<String> {
        let signed_in = session.get::<SignedIn>(SIGNED_IN).await.ok()??;
        if !signed_in.sso {
            return None;
        }
        session.get::<String>(SSO_ID_TOKEN).await.ok()?
    }
}
