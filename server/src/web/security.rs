//! What every response and every state-changing request goes through:
//! refusing cross-site requests that change state, and the security headers.

use super::Site;
use crate::address::ClientAddr;
use crate::auth::gate::refuse_call;
use crate::auth::refusals::{Refusals, Refused};
use axum::{
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use domain::error::AppError;
use std::sync::Arc;

/// The CSP of anything that is not a page (server-function answers,
/// redirects, files): it may load nothing and be framed by nobody. Pages
/// get their own, with the nonce of their scripts (see `app::shell`).
const NOT_A_PAGE_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// Why a request is cross-site, if it is. Browsers send `Sec-Fetch-Site`
/// and `Origin` on every POST. A request that sends neither (or says
/// `Sec-Fetch-Site: none`, typed in by the user) is not from a page of this
/// site either: it passes only when it carries no session, as a script
/// signing in with curl does, and still needs a session for anything else.
fn cross_site(site: &Site, headers: &HeaderMap) -> Option<String> {
    // The browser's own word, when it gives it, settles it: under a strict
    // referrer policy it may send `Origin: null` for a same-origin form.
    if let Some(fetch_site) = headers.get("sec-fetch-site") {
        let v = fetch_site.to_str().unwrap_or("");
        return match v {
            "same-origin" => None,
            "none" if carries_session(site, headers) => {
                Some("a signed-in request came from no page (Sec-Fetch-Site is none)".into())
            }
            "none" => None,
            other => Some(format!("Sec-Fetch-Site is {other}")),
        };
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return carries_session(site, headers)
            .then(|| "a signed-in request said neither its Origin nor its Sec-Fetch-Site".into());
    };
    let origin = origin.to_str().unwrap_or("null");
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let same_host = origin
        .split_once("://")
        .is_some_and(|(_, rest)| !host.is_empty() && rest == host);
    if same_host || site.is_public_origin(origin) {
        None
    } else {
        Some(format!("Origin {origin} is not this site"))
    }
}

/// Whether the request carries this console's session cookie.
fn carries_session(site: &Site, headers: &HeaderMap) -> bool {
    let name = site.cookie_name();
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|pair| pair.trim().split_once('=').is_some_and(|(k, _)| k == name))
}

/// What the same-site check needs: where the console is, and where its
/// refusals are recorded.
#[derive(Clone)]
pub struct SameSite {
    pub site: Site,
    pub refusals: Arc<Refusals>,
}

/// Refuses a state-changing request made from another site, and records
/// the refusal. Only GET, HEAD and OPTIONS pass unchecked, and none of
/// them changes anything here.
pub async fn same_site_only(State(guard): State<SameSite>, req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && let Some(why) = cross_site(&guard.site, req.headers()) {
        let path = req.uri().path();
        tracing::warn!(%path, %why, "refused a cross-site request");
        let message = "Refused: this request came from another site. Nothing was changed.";
        let address = ClientAddr::of(&req);
        // Counted like the sign-in throttle counts: IPv6 per /64, so a
        // client cannot rotate addresses to write more.
        let source = crate::auth::refusals::address_source(address);
        guard
            .refusals
            .record(Refused {
                source: &source,
                actor: "a request from another site",
                target: path,
                message: format!("{message} ({why})"),
                detail: ClientAddr::detail(address),
            })
            .await;
        if path.starts_with("/api/") {
            return refuse_call(AppError::Forbidden(message.into()));
        }
        return (StatusCode::FORBIDDEN, message).into_response();
    }
    next.run(req).await
}

/// The headers every response carries.
pub async fn headers(req: Request, next: Next) -> Response {
    let is_file = req.uri().path().starts_with("/pkg/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Same-origin: other sites learn nothing, and this site's own form posts
    // keep a real Origin (under no-referrer, browsers send `Origin: null`).
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(NOT_A_PAGE_CSP),
        );
    }
    // Pages and answers carry who-sees-what; no shared cache may keep them.
    if !is_file {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn same_origin_passes_and_other_sites_do_not() {
        let site = Site::from_public_url(None);
        let ok = headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:3000"),
        ]);
        assert_eq!(cross_site(&site, &ok), None);
        let evil = headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://evil.example"),
        ]);
        assert!(cross_site(&site, &evil).is_some());
        let null = headers(&[("host", "127.0.0.1:3000"), ("origin", "null")]);
        assert!(cross_site(&site, &null).is_some());
        let fetch = headers(&[("host", "h"), ("sec-fetch-site", "cross-site")]);
        assert!(cross_site(&site, &fetch).is_some());
        let sibling = headers(&[("host", "h"), ("sec-fetch-site", "same-site")]);
        assert!(cross_site(&site, &sibling).is_some());
        let form = headers(&[
            ("host", "h"),
            ("origin", "null"),
            ("sec-fetch-site", "same-origin"),
        ]);
        assert_eq!(cross_site(&site, &form), None);
        // No word on where it came from: fine without a session (a script
        // signing in), refused with one.
        assert_eq!(cross_site(&site, &headers(&[("host", "h")])), None);
        let bare = headers(&[("host", "h"), ("cookie", "a=1; spaceport=abc")]);
        assert!(cross_site(&site, &bare).is_some());
        let typed = headers(&[
            ("host", "h"),
            ("cookie", "spaceport=abc"),
            ("sec-fetch-site", "none"),
        ]);
        assert!(cross_site(&site, &typed).is_some());
        let other_cookie = headers(&[("host", "h"), ("cookie", "notspaceport=abc")]);
        assert_eq!(cross_site(&site, &other_cookie), None);
    }

    #[test]
    fn the_public_url_is_this_site_behind_a_proxy() {
        let url = url::Url::parse("https://spaceport.example.com/").unwrap();
        let site = Site::from_public_url(Some(&url));
        assert!(site.secure);
        let proxied = headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "https://spaceport.example.com"),
        ]);
        assert_eq!(cross_site(&site, &proxied), None);
    }
}
