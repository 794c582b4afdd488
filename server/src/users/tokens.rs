//! Tokens for automation. A token is `spt_`, 30 random base62 characters
//! and a 6-character base62 CRC32 of those thirty: the prefix lets secret
//! scanners (and `spaceport token scan`) find a leaked one, and the
//! checksum lets them, and the gate, tell a token from a lookalike without
//! asking the database. Only the token's SHA-256 is kept.

use super::{COLUMNS, User, UserError};
use crate::db::{Affected, Conn, WritePool};
use crate::{on_conn, on_pool};
use domain::model::TokenSummary;
use rand::Rng;
use sha2::{Digest, Sha256};
use sqlx::FromRow;

/// What every token starts with.
pub const PREFIX: &str = "spt_";
const BODY: usize = 30;
const CHECK: usize = 6;
/// A token's whole length.
pub const LEN: usize = PREFIX.len() + BODY + CHECK;
const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The CRC32 of `body` in six base62 digits (62^6 > 2^32).
fn checksum(body: &str) -> String {
    let mut n = crc32fast::hash(body.as_bytes()) as u64;
    let mut out = [b'0'; CHECK];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A new token.
pub fn generate() -> String {
    let mut rng = rand::rng();
    let body: String = (0..BODY)
        .map(|_| BASE62[rng.random_range(0..BASE62.len())] as char)
        .collect();
    format!("{PREFIX}{body}{}", checksum(&body))
}

/// Whether `s` is shaped like a token and its checksum holds.
pub fn well_formed(s: &str) -> bool {
    let Some(rest) = s.strip_prefix(PREFIX) else {
        return false;
    };
    if rest.len() != BODY + CHECK || !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    let (body, check) = rest.split_at(BODY);
    checksum(body) == check
}

/// What is kept of a token.
pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A token found in some text: where, and enough of it to tell which.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub line: usize,
    pub column: usize,
    /// `spt_…abcd`: the prefix and the last four characters.
    pub masked: String,
}

/// Every well-formed token in `text` (lookalikes whose checksum fails
/// are not reported).
pub fn scan(text: &str) -> Vec<Found> {
    static SHAPE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(&format!(r"{PREFIX}[0-9A-Za-z]{{{}}}", BODY + CHECK)).expect("static")
    });
    let mut found = Vec::new();
    for (i, line) in text.lines().enumerate() {
        for m in SHAPE.find_iter(line) {
            // A longer run of letters is not a token of ours.
            let longer = line[m.end()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric());
            if !longer && well_formed(m.as_str()) {
                found.push(Found {
                    line: i + 1,
                    column: m.start() + 1,
                    masked: masked(m.as_str()),
                });
            }
        }
    }
    found
}

/// `spt_…abcd`.
pub fn masked(token: &str) -> String {
    format!("{PREFIX}…{}", hint(token))
}

fn hint(token: &str) -> &str {
    &token[token.len().saturating_sub(4)..]
}

fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn rfc3339(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// How often a token's last use is written at most: more often would be
/// a write per call.
const TOUCH_EVERY_SECS: i64 = 60;

#[derive(FromRow)]
struct TokenRow {
    name: String,
    role: String,
    hint: String,
    created_at: i64,
    created_by: String,
    expires_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
    revoked_by: Option<String>,
}

impl TokenRow {
    fn summary(self, now: i64) -> TokenSummary {
        TokenSummary {
            name: self.name,
            role: self.role.parse().unwrap_or(domain::access::Role::Viewer),
            hint: self.hint,
            created_at: rfc3339(self.created_at),
            created_by: self.created_by,
            expires_at: rfc3339(self.expires_at),
            last_used_at: self.last_used_at.map(rfc3339),
            revoked_at: self.revoked_at.map(rfc3339),
            revoked_by: self.revoked_by,
            expired: self.expires_at <= now,
        }
    }
}

/// Why a token was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Not a token of this console (or never was).
    Unknown,
    Expired,
    Revoked,
    /// Its service user is disabled.
    Disabled,
}

impl Refused {
    pub fn says(self) -> &'static str {
        match self {
            Self::Unknown => "This token is not one of this console's. Nothing was changed.",
            Self::Expired => {
                "This token has expired; an admin can make a new one (Users, or `spaceport token \
                 create`). Nothing was changed."
            }
            Self::Revoked => "This token was revoked. Nothing was changed.",
            Self::Disabled => "The service user of this token is disabled. Nothing was changed.",
        }
    }
}

impl super::Users {
    /// Makes service user `user` with a new token that expires in `days`,
    /// in one transaction (with its grant); returns the token, this once.
    pub(super) async fn insert_token(
        tx: Conn<'_>,
        user: &User,
        days: u32,
        by: &str,
    ) -> Result<(String, String), sqlx::Error> {
        let token = generate();
        let now = unix_now();
        let expires = now + i64::from(days) * 86_400;
        on_conn!(tx, c => sqlx::query(
            "INSERT INTO tokens (user_id, hash, hint, created_at, created_by, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(user.id)
        .bind(digest(&token))
        .bind(hint(&token))
        .bind(now)
        .bind(by)
        .bind(expires)
        .execute(c)
        .await
        .affected())?;
        Ok((token, rfc3339(expires)))
    }

    /// The service user a presented token acts as, if it still works;
    /// notes its use (at most once a minute).
    pub async fn by_token(&self, token: &str) -> Result<Result<User, Refused>, UserError> {
        if !well_formed(token) {
            return Ok(Err(Refused::Unknown));
        }
        #[derive(FromRow)]
        struct Found {
            user_id: i64,
            expires_at: i64,
            last_used_at: Option<i64>,
            revoked_at: Option<i64>,
        }
        let hash = digest(token);
        let found: Option<Found> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT user_id, expires_at, last_used_at, revoked_at FROM tokens WHERE hash = $1",
        )
        .bind(&hash)
        .fetch_optional(p)
        .await)?;
        let Some(found) = found else {
            return Ok(Err(Refused::Unknown));
        };
        let now = unix_now();
        if found.revoked_at.is_some() {
            return Ok(Err(Refused::Revoked));
        }
        if found.expires_at <= now {
            return Ok(Err(Refused::Expired));
        }
        let Some(user) = self.by_id(found.user_id).await? else {
            return Ok(Err(Refused::Unknown));
        };
        if user.disabled {
            return Ok(Err(Refused::Disabled));
        }
        if found
            .last_used_at
            .is_none_or(|at| now - at >= TOUCH_EVERY_SECS)
        {
            on_pool!(&self.db, p => sqlx::query("UPDATE tokens SET last_used_at = $1 WHERE hash = $2")
                .bind(now)
                .bind(&hash)
                .execute(p)
                .await
                .affected())?;
        }
        Ok(Ok(user))
    }

    /// Every token, newest first.
    pub async fn tokens(&self) -> Result<Vec<TokenSummary>, UserError> {
        let rows: Vec<TokenRow> = on_pool!(&self.db, p => sqlx::query_as(
            "SELECT u.name, u.role, t.hint, t.created_at, t.created_by, t.expires_at, \
             t.last_used_at, t.revoked_at, t.revoked_by \
             FROM tokens t JOIN users u ON u.id = t.user_id ORDER BY t.id DESC",
        )
        .fetch_all(p)
        .await)?;
        let now = unix_now();
        Ok(rows.into_iter().map(|r| r.summary(now)).collect())
    }

    /// Revokes the token of service user `name` and disables the user, so
    /// nothing it could still hold works; refuses a name that is not a
    /// token's, or one revoked already.
    pub async fn revoke_token(
        &self,
        name: &domain::ids::UserName,
        by: &str,
    ) -> Result<User, UserError> {
        let user = self.existing(name).await?;
        if !user.service() {
            return Err(UserError::Invalid(format!(
                "\"{}\" is a person, not a token; disable them instead.",
                user.name
            )));
        }
        let disable = format!(
            "UPDATE users SET disabled = TRUE, session_epoch = session_epoch + 1 WHERE id = $1 \
             RETURNING {COLUMNS}"
        );
        on_pool!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            let revoked = sqlx::query(
                "UPDATE tokens SET revoked_at = $1, revoked_by = $2 \
                 WHERE user_id = $3 AND revoked_at IS NULL",
            )
            .bind(unix_now())
            .bind(by)
            .bind(user.id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if revoked == 0 {
                return Err(UserError::Invalid(format!(
                    "The token {} was revoked already.",
                    user.name
                )));
            }
            let changed = sqlx::query_as::<_, User>(&disable)
                .bind(user.id)
                .fetch_one(&mut *tx)
                .await?;
            if !user.disabled {
                super::grant(
                    Conn::from(&mut *tx),
                    &changed,
                    domain::policy::GrantChange::Disabled,
                    super::Granted::by(by),
                )
                .await?;
            }
            tx.commit().await?;
            Ok(changed)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_recognisable_and_its_checksum_holds() {
        let t = generate();
        assert_eq!(t.len(), LEN);
        assert!(t.starts_with(PREFIX));
        assert!(well_formed(&t));
        // One character changed anywhere after the prefix breaks it.
        for i in PREFIX.len()..t.len() {
            let mut b = t.clone().into_bytes();
            b[i] = if b[i] == b'a' { b'b' } else { b'a' };
            assert!(!well_formed(&String::from_utf8(b).unwrap()), "{i}");
        }
        assert!(!well_formed("spt_short"));
        assert_ne!(generate(), generate());
    }

    #[test]
    fn a_scan_finds_tokens_and_not_lookalikes() {
        let t = generate();
        let lookalike = format!("{PREFIX}{}", "A".repeat(BODY + CHECK));
        let text = format!(
            "export X=1\nSPACEPORT_TOKEN={t} # ci\n{lookalike}\n\"{t}x\"\ncurl -H 'Authorization: Bearer {t}'\n"
        );
        let found = scan(&text);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!((found[0].line, found[0].column), (2, 17));
        assert_eq!(found[1].line, 5);
        assert_eq!(found[0].masked, masked(&t));
        assert!(!found[0].masked.contains(&t[4..20]));
    }
}
