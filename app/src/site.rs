//! The site's own files, as every page's `<head>` names them: the
//! stylesheet, the hydration module and its wasm.
//!
//! Leptos' `HashedStylesheet` and `HydrationScripts` look the hashed names
//! up again on every page (finding the binary, then reading `hash.txt`
//! beside it), and `HydrationScripts` panics when the file is missing. The
//! server reads the names once at start-up instead, refuses to start
//! without them, and hands them to the shell.

use leptos::prelude::*;
use std::sync::Arc;

/// Where the page loads the site's files from, e.g. `/pkg/spaceport.<hash>.css`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteFiles {
    pub css: Arc<str>,
    pub js: Arc<str>,
    pub wasm: Arc<str>,
}

/// The content hashes cargo-leptos gave each file, when it hashes names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hashes {
    pub css: Option<String>,
    pub js: Option<String>,
    pub wasm: Option<String>,
}

impl SiteFiles {
    /// The paths under `/{pkg}/` for the files named `output_name`, with
    /// each one's hash where it has one.
    pub fn new(pkg: &str, output_name: &str, hashes: &Hashes) -> Self {
        let path = |hash: &Option<String>, ext: &str| -> Arc<str> {
            match hash {
                Some(hash) => format!("/{pkg}/{output_name}.{hash}.{ext}"),
                None => format!("/{pkg}/{output_name}.{ext}"),
            }
            .into()
        };
        Self {
            css: path(&hashes.css, "css"),
            js: path(&hashes.js, "js"),
            wasm: path(&hashes.wasm, "wasm"),
        }
    }

    /// The module script that loads the wasm and brings the page's
    /// islands to life, in document order (an island inside another's
    /// children after it, with that one's `on_hydrate` first, as Leptos'
    /// own islands script does), then marks the body `data-hydrated`: the
    /// end-to-end tests wait for that mark. `window.spaceportIsland` does
    /// the same for an island a read of the page brings in later (once
    /// per element). The names come from the server's start-up, never
    /// from a request, and hold only characters that need no quoting.
    fn hydration_script(&self) -> String {
        format!(
            "import init, * as m from '{}';\n\
             init({{ module_or_path: '{}' }}).then(() => {{\n\
               performance.mark('spaceport-wasm-ready');\n\
               m.hydrate();\n\
               const island = (el) => {{\n\
                 if (el.$$island) return;\n\
                 el.$$island = true;\n\
                 const children = el.parentElement && el.parentElement.closest('leptos-children');\n\
                 if (children && children.$$on_hydrate) children.$$on_hydrate();\n\
                 const run = m[el.dataset.component];\n\
                 if (run) run(el);\n\
               }};\n\
               window.spaceportIsland = island;\n\
               document.querySelectorAll('leptos-island').forEach(island);\n\
               performance.mark('spaceport-hydrated');\n\
               document.body.setAttribute('data-hydrated', '');\n\
             }});",
            self.js, self.wasm
        )
    }
}

/// The stylesheet, the hints that fetch the module and the wasm while the
/// HTML is still parsed, and the script (with this response's nonce) that
/// hydrates.
#[component]
pub fn SiteHead(files: SiteFiles) -> impl IntoView {
    let nonce = leptos::nonce::use_nonce();
    let script = files.hydration_script();
    view! {
        <link rel="stylesheet" id="leptos" href=files.css />
        <link rel="modulepreload" href=files.js />
        <link
            rel="preload"
            href=files.wasm
            r#as="fetch"
            r#type="application/wasm"
            crossorigin="anonymous"
        />
        <script type="module" nonce=nonce>
            {script}
        </script>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_their_hash_where_there_is_one() {
        let hashes = Hashes {
            css: Some("c55".into()),
            js: Some("j5".into()),
            wasm: None,
        };
        let files = SiteFiles::new("pkg", "spaceport", &hashes);
        assert_eq!(&*files.css, "/pkg/spaceport.c55.css");
        assert_eq!(&*files.js, "/pkg/spaceport.j5.js");
        assert_eq!(&*files.wasm, "/pkg/spaceport.wasm");
        let script = files.hydration_script();
        assert!(script.contains("from '/pkg/spaceport.j5.js'"), "{script}");
        assert!(script.contains("'/pkg/spaceport.wasm'"), "{script}");
        // Every island is hydrated by its own function, then the page says so.
        assert!(script.contains("m[el.dataset.component]"), "{script}");
        assert!(script.contains("data-hydrated"), "{script}");
    }

    /// Why the shell does not use Leptos' own `HydrationScripts`: it looks
    /// for `hash.txt` beside the running binary on every page it renders
    /// and panics, mid-page, when there is none; nor does it say when the
    /// islands are hydrated. `SiteFiles` reads the names once at start-up
    /// and refuses to start without them. Should a Leptos upgrade change
    /// this, this test fails and the copy above can go.
    #[cfg(feature = "ssr")]
    #[test]
    fn leptos_own_scripts_panic_on_a_page_when_the_hash_file_is_missing() {
        use leptos::hydration::HydrationScripts;
        let rendered = std::panic::catch_unwind(|| {
            let owner = Owner::new();
            owner.set();
            let options = LeptosOptions::builder()
                .output_name("spaceport")
                .hash_files(true)
                .build();
            view! { <HydrationScripts options islands=true /> }.to_html()
        });
        let why = rendered.expect_err("a page rendered without the hash file");
        let why = why
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| why.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        assert!(why.contains("hash file"), "{why}");
    }
}
