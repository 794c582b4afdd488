//! Password hashing (argon2id, the crate's default parameters) and the
//! random passwords given to a first admin, an invited user or a demo user.
//! Hashing is deliberately slow, so it runs on the blocking pool.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::Rng;

/// A PHC string (`$argon2id$v=19$...`) for `password`, with a fresh salt.
pub async fn hash(password: &str) -> Result<String, String> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
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
pub async fn verify(password: &str, phc: &str) -> bool {
    let (password, phc) = (password.to_string(), phc.to_string());
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&phc)
            .map(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
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
        assert!(verify("correct horse battery", &h).await);
        assert!(!verify("correct horse batterY", &h).await);
        assert!(!verify("anything", "not a hash").await);
        assert!(!verify("", DECOY).await);
    }

    #[test]
    fn random_passwords_differ_and_are_long() {
        let (a, b) = (random(), random());
        assert_eq!(a.len(), 20);
        assert_ne!(a, b);
        assert!(app::validate::new_password(&a).is_ok());
    }
}
