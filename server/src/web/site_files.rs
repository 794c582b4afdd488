//! The names of the site's files, from the `hash.txt` cargo-leptos writes
//! beside the binary when it hashes them (`hash-files` in Cargo.toml).
//! Read once at start-up: a missing or mangled file stops the console
//! there, with the reason, rather than breaking every page it serves.

use app::site::{Hashes, SiteFiles};
use leptos::config::LeptosOptions;

/// The site's files as the pages will name them.
pub fn site_files(options: &LeptosOptions) -> Result<SiteFiles, String> {
    let hashes = if options.hash_files {
        let beside = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|dir| dir.to_path_buf()))
            .unwrap_or_default();
        let path = beside.join(options.hash_file.as_ref());
        let text = std::fs::read_to_string(&path).map_err(|e| {
            format!(
                "cannot read the site's file names from {}: {e}. cargo-leptos writes it \
                 beside the binary; deploy the two together",
                path.display()
            )
        })?;
        parse(&text).map_err(|e| format!("{}: {e}", path.display()))?
    } else {
        Hashes::default()
    };
    Ok(SiteFiles::new(
        &options.site_pkg_dir,
        &options.output_name,
        &hashes,
    ))
}

/// `css: <hash>`, `js: <hash>` and `wasm: <hash>`, one per line, each once.
/// Other lines (cargo-leptos' split-build entries) are left alone.
fn parse(text: &str) -> Result<Hashes, String> {
    let mut hashes = Hashes::default();
    for line in text.lines() {
        let Some((file, hash)) = line.split_once(':') else {
            continue;
        };
        let slot = match file.trim() {
            "css" => &mut hashes.css,
            "js" => &mut hashes.js,
            "wasm" => &mut hashes.wasm,
            _ => continue,
        };
        let hash = hash.trim();
        if !safe_name(hash) {
            return Err(format!(
                "the {} hash {hash:?} is not a plain name",
                file.trim()
            ));
        }
        if slot.replace(hash.to_string()).is_some() {
            return Err(format!("the {} hash is given twice", file.trim()));
        }
    }
    for (file, hash) in [
        ("css", &hashes.css),
        ("js", &hashes.js),
        ("wasm", &hashes.wasm),
    ] {
        if hash.is_none() {
            return Err(format!("no {file} hash"));
        }
    }
    Ok(hashes)
}

/// Letters, digits, `-` and `_` only: the name goes into a URL and into the
/// page's script unquoted.
fn safe_name(hash: &str) -> bool {
    !hash.is_empty()
        && hash
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_files_hash() {
        let hashes = parse("js: AbC-1_\nwasm: w2\n\ncss: c3\nsplit: s4\n").unwrap();
        assert_eq!(hashes.js.as_deref(), Some("AbC-1_"));
        assert_eq!(hashes.wasm.as_deref(), Some("w2"));
        assert_eq!(hashes.css.as_deref(), Some("c3"));
    }

    #[test]
    fn refuses_a_missing_or_repeated_hash() {
        assert_eq!(parse("js: a\nwasm: b\n").unwrap_err(), "no css hash");
        assert_eq!(
            parse("js: a\nwasm: b\ncss: c\njs: d\n").unwrap_err(),
            "the js hash is given twice"
        );
    }

    #[test]
    fn hashed_names_without_their_file_stop_the_start() {
        let options = LeptosOptions::builder()
            .output_name("spaceport")
            .hash_files(true)
            .hash_file("no-such-hash.txt".into())
            .build();
        let err = site_files(&options).unwrap_err();
        assert!(err.contains("no-such-hash.txt"), "{err}");
    }

    #[test]
    fn unhashed_names_need_no_file() {
        let options = LeptosOptions::builder()
            .output_name("spaceport")
            .site_pkg_dir("pkg")
            .build();
        let files = site_files(&options).unwrap();
        assert_eq!(&*files.js, "/pkg/spaceport.js");
    }

    #[test]
    fn refuses_a_hash_that_could_break_out_of_the_page() {
        for bad in ["a'b", "a/b", "", "a b", "a\"<"] {
            let text = format!("js: {bad}\nwasm: b\ncss: c\n");
            assert!(parse(&text).is_err(), "{bad:?} accepted");
        }
    }
}
