//! Where the database is, as `--database` or `DATABASE_URL` says: a file
//! path (SQLite) or a `postgres://` URL.

use std::path::{Path, PathBuf};

#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    File(PathBuf),
    /// The URL as given, with its password: shown only through `Display`,
    /// which masks it.
    Postgres(String),
}

impl Location {
    pub fn parse(s: &str) -> Result<Self, String> {
        let lower = s.trim_start().to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            let url = url::Url::parse(s.trim())
                .map_err(|e| format!("the database URL cannot be read: {e}"))?;
            if url.host_str().unwrap_or("").is_empty()
                && !url.query_pairs().any(|(k, _)| k == "host")
            {
                return Err("the database URL names no host".into());
            }
            Ok(Location::Postgres(s.trim().to_string()))
        } else if lower.contains("://") {
            Err(format!(
                "the database must be a file path or a postgres:// URL, not {}",
                s.split("://").next().unwrap_or("")
            ))
        } else if s.trim().is_empty() {
            Err("the database path is empty".into())
        } else {
            Ok(Location::File(PathBuf::from(s)))
        }
    }

    /// What the files kept beside the database (its audit key, its
    /// checkpoints) are named after: the SQLite file, or for a server,
    /// `spaceport` in the working directory.
    pub fn files_base(&self) -> PathBuf {
        match self {
            Location::File(path) => path.clone(),
            Location::Postgres(_) => PathBuf::from("spaceport"),
        }
    }

    /// The SQLite file, if that is what this is.
    pub fn file(&self) -> Option<&Path> {
        match self {
            Location::File(p) => Some(p),
            Location::Postgres(_) => None,
        }
    }
}

impl std::str::FromStr for Location {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Location::parse(s)
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::File(p) => write!(f, "{}", p.display()),
            Location::Postgres(s) => match url::Url::parse(s) {
                Ok(mut url) => {
                    if url.password().is_some() {
                        let _ = url.set_password(Some("***"));
                    }
                    write!(f, "{url}")
                }
                Err(_) => f.write_str("postgres://…"),
            },
        }
    }
}

/// As `Display`: a URL's password stays out of logs and panics too.
impl std::fmt::Debug for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Location({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_urls() {
        assert_eq!(
            Location::parse("spaceport.db").unwrap(),
            Location::File("spaceport.db".into())
        );
        assert!(matches!(
            Location::parse("postgres://u:p@db.example:5432/x").unwrap(),
            Location::Postgres(_)
        ));
        assert!(matches!(
            Location::parse("postgresql://u@127.0.0.1/x").unwrap(),
            Location::Postgres(_)
        ));
        assert!(
            Location::parse("mysql://u@h/x")
                .unwrap_err()
                .contains("mysql")
        );
        assert!(Location::parse("").is_err());
    }

    #[test]
    fn the_password_is_never_shown() {
        let at = Location::parse("postgres://spaceport:s3cret@db.example:5432/console").unwrap();
        let shown = at.to_string();
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("db.example:5432/console"), "{shown}");
        assert!(!format!("{at:?}").contains("s3cret"));
    }
}
