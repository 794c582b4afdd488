//! The chain: each row's MAC covers its own content and the previous row's
//! MAC, so changing or removing any row breaks the chain there.
//!
//! Two schemes. Rows written before the history was keyed carry a plain
//! SHA-256 (`hash`), which anyone can recompute. From the first
//! `audit.keyed` record on, each row carries an HMAC-SHA256 (`mac`) under
//! the audit key (see `key`), which only the key's holder can make.

use super::key::AuditKey;
use hmac::Mac;
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The content of one row, in the order it is hashed.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Row {
    pub id: i64,
    pub at: String,
    pub kind: String,
    pub intent_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub space: String,
    pub target: String,
    pub outcome: Option<String>,
    pub provider_status: Option<String>,
    pub message: Option<String>,
    pub request_id: Option<String>,
    pub detail: Option<String>,
    /// The action an intent carries out, as JSON.
    pub action_data: Option<String>,
    pub prev_hash: String,
}

/// The row's hash: SHA-256 over a JSON array of its fields. JSON keeps the
/// encoding unambiguous (a field cannot leak into the next one).
pub fn hash(row: &Row) -> String {
    let mut canonical = serde_json::json!([
        row.id,
        row.at,
        row.kind,
        row.intent_id,
        row.actor,
        row.action,
        row.space,
        row.target,
        row.outcome,
        row.provider_status,
        row.message,
        row.request_id,
        row.prev_hash,
    ]);
    // Appended only when set: rows from before a column keep their hash.
    // With an action, the detail takes its place first (null if unset), so
    // a detail and an action can never be mistaken for each other.
    if let Some(fields) = canonical.as_array_mut() {
        match (&row.detail, &row.action_data) {
            (Some(d), None) => fields.push(d.clone().into()),
            (d, Some(a)) => {
                fields.push(d.clone().map_or(serde_json::Value::Null, Into::into));
                fields.push(a.clone().into());
            }
            (None, None) => {}
        }
    }
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

/// Feeds bytes written to it into a MAC.
struct MacWriter<'a>(&'a mut super::key::HmacSha256);

impl std::io::Write for MacWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The version tag that opens every keyed row's canonical content.
const KEYED: &str = "spaceport-audit-v2";

/// The row's MAC under `key`: HMAC-SHA256 over a JSON array of the version
/// tag and every field, the previous MAC last. Every column is there, null
/// when unset, so no field can pass for another.
pub fn mac(key: &AuditKey, row: &Row) -> String {
    hex::encode(keyed(key, row).finalize().into_bytes())
}

/// Whether `stored` (hex) is the row's MAC under `key`: compared as bytes,
/// in constant time, without formatting the MAC of every row verified.
pub fn mac_matches(key: &AuditKey, row: &Row, stored: &str) -> bool {
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(stored, &mut bytes).is_ok() && keyed(key, row).verify_slice(&bytes).is_ok()
}

/// The HMAC of the row's canonical content, not yet finalised.
fn keyed(key: &AuditKey, row: &Row) -> super::key::HmacSha256 {
    let mut hmac = key.hmac();
    let fields = (
        KEYED,
        row.id,
        &row.at,
        &row.kind,
        row.intent_id,
        &row.actor,
        &row.action,
        &row.space,
        &row.target,
        &row.outcome,
        &row.provider_status,
        &row.message,
        &row.request_id,
        &row.detail,
        &row.action_data,
        &row.prev_hash,
    );
    serde_json::to_writer(MacWriter(&mut hmac), &fields).expect("strings and numbers serialise");
    hmac
}

/// Checks rows of the unkeyed scheme in id order against their stored
/// hashes; the id of the first row that does not match, if any.
pub fn first_break<'a>(rows: impl IntoIterator<Item = (&'a Row, &'a str)>) -> Option<i64> {
    let mut prev = GENESIS.to_string();
    for (row, stored) in rows {
        if row.prev_hash != prev || hash(row) != stored {
            return Some(row.id);
        }
        prev = stored.to_string();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<(Row, String)> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|id| {
                let row = Row {
                    id,
                    at: format!("2026-11-22T12:00:{id:02}Z"),
                    kind: "intent".into(),
                    intent_id: None,
                    actor: "ops".into(),
                    action: domain::kind::AuditName::PeeringAccept.as_str().into(),
                    space: "s".into(),
                    target: format!("pcx-{id:08}"),
                    outcome: None,
                    provider_status: None,
                    message: None,
                    request_id: None,
                    detail: (id % 2 == 0).then(|| format!("detail {id}")),
                    action_data: (id % 3 == 0).then(|| format!("{{\"n\":{id}}}")),
                    prev_hash: prev.clone(),
                };
                let h = hash(&row);
                prev = h.clone();
                (row, h)
            })
            .collect()
    }

    fn check(rows: &[(Row, String)]) -> Option<i64> {
        first_break(rows.iter().map(|(r, h)| (r, h.as_str())))
    }

    #[test]
    fn an_untouched_chain_verifies() {
        assert_eq!(check(&chain(5)), None);
        assert_eq!(check(&[]), None);
    }

    #[test]
    fn an_edit_breaks_the_chain_at_that_row() {
        let mut rows = chain(5);
        rows[2].0.actor = "someone-else".into();
        assert_eq!(check(&rows), Some(3));
    }

    #[test]
    fn a_removed_row_breaks_the_chain_after_it() {
        let mut rows = chain(5);
        rows.remove(1);
        assert_eq!(check(&rows), Some(3));
    }

    #[test]
    fn an_edited_detail_breaks_the_chain() {
        let mut rows = chain(4);
        rows[1].0.detail = Some("123456789012".into());
        assert_eq!(check(&rows), Some(2));
        let mut rows = chain(4);
        rows[1].0.detail = None;
        assert_eq!(check(&rows), Some(2), "removing a detail is an edit too");
    }

    #[test]
    fn an_action_cannot_pass_for_a_detail() {
        let rows = chain(3);
        let mut moved = rows[2].0.clone();
        moved.detail = moved.action_data.take();
        assert_ne!(hash(&moved), rows[2].1);
        let mut rows = chain(4);
        rows[2].0.action_data = Some("{}".into());
        assert_eq!(check(&rows), Some(3));
    }

    #[test]
    fn a_keyed_mac_needs_the_key_and_covers_every_field() {
        let key = AuditKey::from_secret(&[1; 32]);
        let other = AuditKey::from_secret(&[2; 32]);
        let (row, _) = chain(1).remove(0);
        let m = mac(&key, &row);
        assert_eq!(m, mac(&key, &row.clone()));
        assert_ne!(m, mac(&other, &row));
        assert_ne!(m, hash(&row));
        let mut moved = row.clone();
        moved.detail = Some("x".into());
        assert_ne!(mac(&key, &moved), m);
        let mut moved = row.clone();
        moved.action_data = Some("x".into());
        assert_ne!(
            mac(&key, &moved),
            mac(&key, &{
                let mut r = row.clone();
                r.detail = Some("x".into());
                r
            })
        );
    }

    #[test]
    fn a_rehashed_edit_still_breaks_the_next_row() {
        let mut rows = chain(5);
        rows[1].0.message = Some("forged".into());
        rows[1].1 = hash(&rows[1].0);
        assert_eq!(check(&rows), Some(3));
    }
}
