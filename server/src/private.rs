//! Files only their owner may read. What the console writes may hold
//! secrets (the database's sessions table holds live session ids, a backup
//! holds the same, an export holds who did what), so each is made 0600
//! whatever the process's umask: the mode is set again after creation,
//! since the umask can only take bits away from what `open` asks for.

use std::fs::{File, OpenOptions, Permissions};
use std::io;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Creates `path`, which must not exist yet (so neither a file nor a
/// symbolic link someone planted there is written through), readable and
/// writable by its owner only.
pub fn create_new(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.set_permissions(Permissions::from_mode(0o600))?;
    Ok(file)
}

/// Makes an existing file 0600, without opening it (see `db::open` for
/// why a database file is never opened by hand); a missing one is fine.
pub fn restrict(path: &Path) -> io::Result<()> {
    match std::fs::set_permissions(path, Permissions::from_mode(0o600)) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// Why `dir` is no place for a secret, if it is one others may write to
/// (group or world writable, sticky or not): whoever can write there can
/// at least delete what is written and put their own file in its place.
pub fn shared_directory(dir: &Path) -> io::Result<Option<String>> {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let mode = std::fs::metadata(dir)?.permissions().mode();
    Ok((mode & 0o022 != 0).then(|| {
        format!(
            "{} can be written by others (mode {:o}): anyone who may write there could \
             remove or replace the copy",
            dir.display(),
            mode & 0o7777
        )
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_file_is_the_owners_alone_and_is_never_made_twice() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        create_new(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(
            create_new(&path).unwrap_err().kind(),
            io::ErrorKind::AlreadyExists
        );
    }

    #[test]
    fn a_directory_others_write_to_is_named() {
        let dir = tempfile::tempdir().unwrap();
        assert!(shared_directory(dir.path()).unwrap().is_none());
        std::fs::set_permissions(dir.path(), Permissions::from_mode(0o1777)).unwrap();
        let why = shared_directory(dir.path()).unwrap().unwrap();
        assert!(why.contains("1777"), "{why}");
    }
}
