//! The gate every request passes: it resolves the session to a `Caller`,
//! puts it on the request for pages and server functions, and refuses what
//! the caller may not reach. A server function is refused unless the
//! access table has a rule for it and the caller's role holds that rule's
//! permission, so a new server function is closed until someone decides who
//! may call it.

use super::refusals::Refused;
use super::{Auth, Resolved};
use crate::address::ClientAddr;
use app::me::PageRefused;
use axum::{
    extract::{Request, State},
    http::{Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use domain::access::Caller;
use domain::error::AppError;
use domain::rules::{page_rule_for, rule_for};
use std::sync::Arc;
use tower_sessions::Session;

/// Paths anyone may fetch: the compiled app and its assets, and the
/// health checks (which say nothing but whether the console works).
fn is_asset(path: &str) -> bool {
    path.starts_with("/pkg/") || matches!(path, "/favicon.ico" | "/healthz" | "/readyz")
}

/// A refusal in the server functions' own error encoding, so the browser
/// shows its message like any other error.
pub fn refuse_call(e: AppError) -> Response {
    let status = StatusCode::from_u16(e.status_code()).unwrap_or(StatusCode::FORBIDDEN);
    let body = serde_json::to_string(&e).unwrap_or_default();
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::HeaderName::from_static("serverfnerror"), "AppError"),
        ],
        body,
    )
        .into_response()
}

/// A `next` to follow after sign-in, if it is a path of this console.
///
/// Browsers drop tabs and newlines from a URL and read `\` as `/`, so a
/// check on the first characters is not enough (`/<TAB>/evil.example`
/// becomes `//evil.example`). Only visible ASCII is taken, and only when
/// the URL parser, which follows the browsers' rules, resolves it against
/// this console's own origin without leaving it.
pub fn local_path(next: &str) -> Option<&str> {
    let visible = !next.is_empty() && next.bytes().all(|b| (0x21..=0x7e).contains(&b));
    if !visible || !next.starts_with('/') || next.contains('\\') {
        return None;
    }
    let home = url::Url::parse("http://console.invalid/").expect("static URL");
    let resolved = home.join(next).ok()?;
    (resolved.origin() == home.origin()).then_some(next)
}

fn to_sign_in(req: &Request, expired: bool) -> Response {
    let next = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let mut url = url::Url::parse("http://x/signin").expect("static URL");
    url.query_pairs_mut().append_pair("next", next);
    if expired {
        url.query_pairs_mut().append_pair("expired", "1");
    }
    let target = format!("{}?{}", url.path(), url.query().unwrap_or(""));
    Redirect::to(&target).into_response()
}

pub async fn gate(
    State(auth): State<Arc<Auth>>,
    session: Session,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_string();
    if is_asset(&path) {
        return next.run(req).await;
    }
    // A request that shows a token is the token's alone: its session, if
    // it carries one, is not looked at.
    if let Some(presented) = bearer(&req) {
        return token_call(&auth, req, next, &presented).await;
    }
    let resolved = auth.resolve(&session).await;
    let expired = matches!(resolved, Resolved::Expired);
    let user = match resolved {
        Resolved::User(u) => Some(u),
        _ => None,
    };
    let must_change = user.as_ref().is_some_and(|u| u.must_change_password);
    let caller = user.as_ref().map(|u| u.caller());
    if let Some(c) = &caller {
        tracing::Span::current().record("user", c.name.as_str());
        req.extensions_mut().insert(c.clone());
    }
    let is_get = req.method() == Method::GET || req.method() == Method::HEAD;

    if path == "/signin" {
        if user.is_some() && is_get {
            return Redirect::to("/").into_response();
        }
        return next.run(req).await;
    }
    if matches!(
        path.as_str(),
        "/signout" | "/signin/sso" | "/signin/sso/callback"
    ) {
        return next.run(req).await;
    }
    // One limit per user for everything they make the console do, pages
    // and server functions alike: a page can cost as much as a call (a
    // free-text search of the history), and a loop of either must not
    // hold the console's cores, its database or the provider's budget.
    let too_fast = caller
        .as_ref()
        .and_then(|c| auth.calls.take(&c.name).err())
        .map(|wait| wait.as_secs_f64().ceil().max(1.0) as u64);
    if path.starts_with("/api/") {
        let Some(caller) = &caller else {
            let why = if expired {
                "Your sign-in has expired; sign in again. Nothing was changed."
            } else {
                "Sign in to use Spaceport. Nothing was changed."
            };
            return refuse_call(AppError::Unauthenticated(why.into()));
        };
        if must_change {
            return refuse_call(AppError::Forbidden(
                "Set your own password first (you signed in with a one-time password).".into(),
            ));
        }
        return call(&auth, req, next, caller, too_fast).await;
    }
    let Some(caller) = &caller else {
        return to_sign_in(&req, expired);
    };
    if must_change && path != "/password" {
        return Redirect::to("/password").into_response();
    }
    // A page refused is still the console's page, with its navigation and
    // what to do; what the page would have shown is never read.
    if let Some(secs) = too_fast {
        let message = format!(
            "You are opening this console's pages faster than it allows for one user; wait \
             {secs} second(s), then reload."
        );
        let res = refused_page(req, next, StatusCode::TOO_MANY_REQUESTS, message).await;
        return with_retry_after(res, secs);
    }
    if let Some(permission) = page_rule_for(&path)
        && !caller.can(permission)
    {
        let message = caller.page_refusal(permission);
        record_refusal(&auth, &req, caller, &message).await;
        return refused_page(req, next, StatusCode::FORBIDDEN, message).await;
    }
    next.run(req).await
}

/// A server function called by `caller`, who may make it, unless its
/// role lacks the function's permission or they call too fast.
async fn call(
    auth: &Auth,
    req: Request,
    next: Next,
    caller: &Caller,
    too_fast: Option<u64>,
) -> Response {
    let fn_path = req.uri().path();
    let Some(permission) = rule_for(fn_path) else {
        tracing::error!(path = %fn_path, "refused a server function with no access rule");
        return refuse_call(AppError::Forbidden(
            "This server function has no access rule, so nobody may call it.".into(),
        ));
    };
    if !caller.can(permission) {
        tracing::info!(user = %caller.name, path = %fn_path, "refused: role lacks permission");
        let message = caller.refusal(permission);
        record_refusal(auth, &req, caller, &message).await;
        return refuse_call(AppError::Forbidden(message));
    }
    if let Some(secs) = too_fast {
        return with_retry_after(
            refuse_call(AppError::TooFast(format!(
                "You are calling this console faster than it allows for one user; wait \
                 {secs} second(s) and try again. Nothing was changed."
            ))),
            secs,
        );
    }
    next.run(req).await
}

/// The token of `Authorization: Bearer <token>`, if the request shows one.
fn bearer(req: &Request) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

/// A call made with a token: the server functions only, as the token's
/// service user, through the same rules, limits and refusals as a person.
async fn token_call(auth: &Auth, mut req: Request, next: Next, presented: &str) -> Response {
    let path = req.uri().path().to_string();
    let address = ClientAddr::of(&req);
    if !path.starts_with("/api/") {
        return refuse_call(AppError::Unauthenticated(
            "A token calls the server functions (/api/...); the pages are for people, who sign \
             in. Nothing was changed."
                .into(),
        ));
    }
    let user = match auth.users.by_token(presented).await {
        Ok(Ok(user)) => user,
        Ok(Err(refused)) => {
            crate::metrics::global().sign_in_failures.inc();
            // Counted per address, like a guessed password.
            let source = super::refusals::address_source(address);
            auth.refusals
                .record(Refused {
                    source: &source,
                    actor: "a token",
                    target: &path,
                    message: format!("Token refused: {}", refused.says()),
                    detail: ClientAddr::detail(address),
                })
                .await;
            return refuse_call(AppError::Unauthenticated(refused.says().into()));
        }
        Err(e) => {
            tracing::error!(error = %e, "a token could not be checked");
            return refuse_call(AppError::AuditUnavailable(
                "The console could not read its tokens just now; try again.".into(),
            ));
        }
    };
    let caller = user.caller();
    tracing::Span::current().record("user", caller.name.as_str());
    req.extensions_mut().insert(caller.clone());
    let req = match json_as_form(req).await {
        Ok(req) => req,
        Err(refused) => return refused,
    };
    let too_fast = auth
        .calls
        .take(&caller.name)
        .err()
        .map(|wait| wait.as_secs_f64().ceil().max(1.0) as u64);
    call(auth, req, next, &caller, too_fast).await
}

/// The most a token's JSON body may hold.
const JSON_BODY_LIMIT: usize = 64 * 1024;

/// A call whose fields come as one JSON object (what scripts send) with
/// them URL-encoded instead, as the server functions read them: text,
/// numbers and true/false as they are, a list or an object as its JSON
/// text (`request_approval`'s `action`), null as no field.
async fn json_as_form(req: Request) -> Result<Request, Response> {
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Ok(req);
    }
    let invalid = |m: String| refuse_call(AppError::Invalid(format!("{m} Nothing was changed.")));
    let (mut parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, JSON_BODY_LIMIT)
        .await
        .map_err(|_| invalid(format!("The body is over {} KiB.", JSON_BODY_LIMIT / 1024)))?;
    let fields: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&bytes)
        .map_err(|e| invalid(format!("The body is not one JSON object of fields: {e}.")))?;
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in &fields {
        match value {
            serde_json::Value::Null => {}
            serde_json::Value::String(s) => {
                form.append_pair(name, s);
            }
            other => {
                form.append_pair(name, &other.to_string());
            }
        }
    }
    parts.headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Ok(Request::from_parts(
        parts,
        axum::body::Body::from(form.finish()),
    ))
}

/// The console's page at `req`'s address rendered with `message` in place
/// of the page's own content, answered with `status`.
async fn refused_page(
    mut req: Request,
    next: Next,
    status: StatusCode,
    message: String,
) -> Response {
    req.extensions_mut().insert(PageRefused(message));
    let mut res = next.run(req).await;
    *res.status_mut() = status;
    res
}

fn with_retry_after(mut res: Response, secs: u64) -> Response {
    res.headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
    res
}

/// Puts a refusal of a signed-in caller in the history, within their
/// budget of such records.
fn record_refusal<'a>(
    auth: &'a Auth,
    req: &Request,
    caller: &'a Caller,
    message: &str,
) -> impl std::future::Future<Output = ()> + Send + 'a {
    // What is needed of the request is taken now: the request itself is
    // not held across the write.
    let address = ClientAddr::of(req);
    let path = req.uri().path().to_string();
    let message = message.to_string();
    async move {
        auth.refusals
            .record(Refused {
                source: &caller.name,
                actor: &caller.name,
                target: &path,
                message,
                detail: ClientAddr::detail(address),
            })
            .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path("/spaces/x?y=1"), Some("/spaces/x?y=1"));
        assert_eq!(local_path("//evil.example"), None);
        assert_eq!(local_path("https://evil.example"), None);
        assert_eq!(local_path("/\\evil.example"), None);
        for hostile in [
            "/\t/evil.example/x",
            "/\n/evil.example",
            "/ /x",
            "/%5C/x\\",
            "javascript:alert(1)",
            "",
        ] {
            assert_eq!(local_path(hostile), None, "{hostile:?}");
        }
        // Encoded, these are harmless paths of this console.
        assert_eq!(local_path("/%09/evil.example"), Some("/%09/evil.example"));
        assert_eq!(local_path("/%2F%2Fevil"), Some("/%2F%2Fevil"));
    }

    proptest::proptest! {
        /// Whatever `next` is, what is followed stays on the console, the
        /// way a browser resolves it.
        #[test]
        fn a_followed_next_stays_home(next in "(?s).{0,40}", prefix in "[/\\\\ \t\n]{0,3}") {
            let next = format!("{prefix}{next}");
            if let Some(path) = local_path(&next) {
                let home = url::Url::parse("http://console.test/").unwrap();
                let went = home.join(path).unwrap();
                proptest::prop_assert_eq!(went.origin(), home.origin());
            }
        }
    }
}
