//! The site's files under `/pkg/`: the wasm, its JS glue and the CSS.
//!
//! cargo-leptos names each after a hash of its content (`hash-files`), so a
//! browser may keep one for a year: a new build is a new name, and the page
//! (never cached) names the build it belongs to. A release build also
//! leaves a brotli and a gzip copy of each (`--precompress`); the one the
//! browser accepts is sent as it is, never compressed per request.

use axum::{
    Router,
    extract::Request,
    http::{HeaderValue, header},
    middleware::{self, Next},
    response::Response,
};
use std::path::Path;
use tower_http::services::ServeDir;

/// A year: the longest lifetime caches honour.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// A name without a hash may mean another file tomorrow: ask each time.
const REVALIDATE: &str = "no-cache";

/// The `/pkg/` files of the site at `site_root`.
pub fn service<S: Clone + Send + Sync + 'static>(site_root: &str) -> Router<S> {
    let files = ServeDir::new(Path::new(site_root).join("pkg"))
        .precompressed_br()
        .precompressed_gzip();
    Router::new()
        .fallback_service(files)
        .layer(middleware::from_fn(cache_headers))
}

async fn cache_headers(req: Request, next: Next) -> Response {
    let policy = if is_hashed(req.uri().path()) {
        IMMUTABLE
    } else {
        REVALIDATE
    };
    let mut res = next.run(req).await;
    if res.status().is_success() {
        let h = res.headers_mut();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
        // One name, up to three bodies (brotli, gzip, as is): a shared cache
        // must not give one browser the encoding another asked for.
        h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    res
}

/// Whether a file name carries cargo-leptos' content hash: a middle part
/// of 22 URL-safe base64 characters (an MD5), as in `spaceport.<hash>.wasm`.
fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() >= 3
        && parts[1..parts.len() - 1].iter().any(|p| {
            p.len() == 22
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

#[cfg(test)]
mod tests {
    use super::is_hashed;

    #[test]
    fn only_content_hashed_names_are_kept_for_a_year() {
        assert!(is_hashed("/pkg/spaceport.kZ3x0d9Qp1-aB_cDeFgHiJ.wasm"));
        assert!(is_hashed("/pkg/spaceport.kZ3x0d9Qp1-aB_cDeFgHiJ.css"));
        assert!(is_hashed("/spaceport.kZ3x0d9Qp1-aB_cDeFgHiJ.js"));
        assert!(!is_hashed("/pkg/spaceport.wasm"));
        assert!(!is_hashed("/pkg/spaceport.css"));
        assert!(!is_hashed("/pkg/spaceport.short.wasm"));
        assert!(!is_hashed("/pkg/spaceport.kZ3x0d9Qp1-aB_cDeFgHi!.wasm"));
    }
}
