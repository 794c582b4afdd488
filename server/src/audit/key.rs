//! The audit key: one secret kept outside the database. Two keys are
//! derived from it: the chain's HMAC key, so that only its holder can make
//! a record whose MAC verifies, and the Ed25519 key that signs checkpoints,
//! whose public half anyone may hold to check them.
//!
//! The secret lives in a file (`--audit-key-file`, by default beside the
//! database, created 0600 on first start) or, hex-encoded, in the
//! environment variable `SPACEPORT_AUDIT_KEY`. Losing it means the records
//! written under it can no longer be proven by their MACs (only by the
//! checkpoints delivered elsewhere); see the README.

use ed25519_dalek::{Signer, SigningKey, Verifier, VerifyingKey};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

pub type HmacSha256 = Hmac<Sha256>;

/// The environment variable that may hold the secret itself, in hex.
pub const ENV: &str = "SPACEPORT_AUDIT_KEY";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the audit key file {path} cannot be read: {error}")]
    Read { path: String, error: std::io::Error },
    #[error("the audit key file {path} cannot be created: {error}")]
    Create { path: String, error: std::io::Error },
    #[error(
        "the audit key in {0} is not 64 hexadecimal characters; restore the key file from \
         its backup (a new key cannot prove the records written under the old one)"
    )]
    Malformed(String),
    #[error("there is no audit key at {0}: give --audit-key-file or set {ENV}")]
    Missing(String),
    #[error(
        "the public key is not 64 hexadecimal characters (as `spaceport audit pubkey` prints it)"
    )]
    BadPublicKey,
    #[error(
        "on PostgreSQL every console needs the same audit key: give it hex-encoded in {ENV} \
         (for a new console, `openssl rand -hex 32`), or name its file with --audit-key-file"
    )]
    Required,
}

pub struct AuditKey {
    mac: [u8; 32],
    signing: SigningKey,
    id: String,
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AuditKey({})", self.id)
    }
}

/// `HMAC-SHA256(secret, label)`: one derived key per use, so the MAC key and
/// the signing key are never the same bytes.
fn derive(secret: &[u8; 32], label: &str) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(label.as_bytes());
    mac.finalize().into_bytes().into()
}

/// A short name for a public key: the first 16 hex digits of its SHA-256.
pub fn key_id(public: &VerifyingKey) -> String {
    hex::encode(&Sha256::digest(public.as_bytes())[..8])
}

impl AuditKey {
    pub fn from_secret(secret: &[u8; 32]) -> Self {
        let signing =
            SigningKey::from_bytes(&derive(secret, "spaceport audit checkpoint signing v1"));
        Self {
            mac: derive(secret, "spaceport audit chain mac v1"),
            id: key_id(&signing.verifying_key()),
            signing,
        }
    }

    fn from_hex(text: &str, source: &str) -> Result<Self, KeyError> {
        let bytes = hex::decode(text.trim()).map_err(|_| KeyError::Malformed(source.into()))?;
        let secret: [u8; 32] = bytes
            .try_into()
            .map_err(|_| KeyError::Malformed(source.into()))?;
        Ok(Self::from_secret(&secret))
    }

    /// The key as configured: `SPACEPORT_AUDIT_KEY` if set, else the file
    /// (`path`, or the default beside `database`). With `create`, a missing
    /// file is made with a new random secret (first start); `true` then
    /// says it was.
    /// The key of the database at `at`, as `resolve` finds it, except that
    /// a database server has no default file: every console sharing it
    /// signs with one key, and one made on a console's own disk would be
    /// another at each console (and lost with a dyno's disk).
    pub fn resolve_for(
        path: Option<&Path>,
        at: &crate::db::Location,
        create: bool,
    ) -> Result<(Self, bool), KeyError> {
        let in_env = std::env::var(ENV).is_ok_and(|v| !v.trim().is_empty());
        if path.is_none() && at.file().is_none() && !in_env {
            return Err(KeyError::Required);
        }
        Self::resolve(path, &at.files_base(), create)
    }

    pub fn resolve(
        path: Option<&Path>,
        database: &Path,
        create: bool,
    ) -> Result<(Self, bool), KeyError> {
        if let Some(text) = std::env::var(ENV).ok().filter(|v| !v.trim().is_empty()) {
            return Ok((Self::from_hex(&text, ENV)?, false));
        }
        let path = path.map_or_else(|| default_path(database), Path::to_path_buf);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok((Self::from_hex(&text, &path.display().to_string())?, false)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                Ok((Self::create(&path)?, true))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(KeyError::Missing(path.display().to_string()))
            }
            Err(error) => Err(KeyError::Read {
                path: path.display().to_string(),
                error,
            }),
        }
    }

    /// A new secret in a new file, readable by its owner only. `create_new`
    /// so that two processes starting at once cannot both make one.
    fn create(path: &Path) -> Result<Self, KeyError> {
        use std::io::Write;
        let failed = |error| KeyError::Create {
            path: path.display().to_string(),
            error,
        };
        let secret: [u8; 32] = rand::random();
        let mut file = crate::private::create_new(path).map_err(failed)?;
        writeln!(file, "{}", hex::encode(secret)).map_err(failed)?;
        file.sync_all().map_err(failed)?;
        Ok(Self::from_secret(&secret))
    }

    /// The name records and checkpoints give this key.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The checkpoints' public key, in hex.
    pub fn public_hex(&self) -> String {
        hex::encode(self.signing.verifying_key().as_bytes())
    }

    pub fn public(&self) -> VerifyingKey {
        self.signing.verifying_key()
    }

    /// A MAC in the making, keyed with the chain's key.
    pub fn hmac(&self) -> HmacSha256 {
        HmacSha256::new_from_slice(&self.mac).expect("HMAC takes any key length")
    }

    /// An Ed25519 signature of `message`, in hex.
    pub fn sign(&self, message: &[u8]) -> String {
        hex::encode(self.signing.sign(message).to_bytes())
    }
}

/// The file the key is kept in when none is given: beside the database.
pub fn default_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".audit-key");
    PathBuf::from(name)
}

/// A public key as `spaceport audit pubkey` prints it.
pub fn parse_public(text: &str) -> Result<VerifyingKey, KeyError> {
    let bytes: [u8; 32] = hex::decode(text.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(KeyError::BadPublicKey)?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| KeyError::BadPublicKey)
}

/// Whether `signature` (hex) is `public`'s signature of `message`.
pub fn signed_by(public: &VerifyingKey, message: &[u8], signature: &str) -> bool {
    let Some(bytes) = hex::decode(signature)
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
    else {
        return false;
    };
    public
        .verify(message, &ed25519_dalek::Signature::from_bytes(&bytes))
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_key_file_is_private_and_reads_back_as_the_same_key() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("c.db");
        let (made, created) = AuditKey::resolve(None, &db, true).unwrap();
        assert!(created);
        let path = default_path(&db);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let (read, created) = AuditKey::resolve(None, &db, true).unwrap();
        assert!(!created);
        assert_eq!(made.id(), read.id());
        assert_eq!(made.public_hex(), read.public_hex());
    }

    #[test]
    fn a_missing_key_is_not_made_unless_asked() {
        let dir = tempfile::tempdir().unwrap();
        let err = AuditKey::resolve(None, &dir.path().join("c.db"), false).unwrap_err();
        assert!(matches!(err, KeyError::Missing(_)), "{err}");
    }

    #[test]
    fn signatures_verify_with_the_public_key_only() {
        let key = AuditKey::from_secret(&[7; 32]);
        let other = AuditKey::from_secret(&[8; 32]);
        let sig = key.sign(b"checkpoint");
        let public = parse_public(&key.public_hex()).unwrap();
        assert!(signed_by(&public, b"checkpoint", &sig));
        assert!(!signed_by(&public, b"checkpoint!", &sig));
        assert!(!signed_by(&other.public(), b"checkpoint", &sig));
        assert!(!signed_by(&public, b"checkpoint", "zz"));
        assert_ne!(key.id(), other.id());
    }
}
