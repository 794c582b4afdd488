//! The gate every request passes: it resolves the session to a `Caller`,
//! puts it on the request for pages and server functions, and refuses what
//! the caller may not reach. A server function is refused unless the
//! access table has a rule for it and the caller's role holds that rule's
//! permission, so a new server function is closed until someone decides who
//! may call it.

use super::{Auth, Resolved};
use app::access::{Caller, page_rule_for, refusal, rule_for};
use app::error::AppError;
use axum::{
    extract::{Request, State},
    http::{Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use std::sync::Arc;
use tower_sessions::Session;

/// Paths anyone may fetch: the compiled app and its assets.
fn is_asset(path: &str) -> bool {
    path.starts_with("/pkg/") || path == "/favicon.ico"
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

/// Only a path of this site is followed after sign-in (no `//host`).
pub fn local_path(next: &str) -> Option<&str> {
    (next.starts_with('/') && !next.starts_with("//") && !next.contains('\\')).then_some(next)
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
    let resolved = auth.resolve(&session).await;
    let expired = matches!(resolved, Resolved::Expired);
    let user = match resolved {
        Resolved::User(u) => Some(u),
        _ => None,
    };
    let must_change = user.as_ref().is_some_and(|u| u.must_change_password);
    if let Some(u) = &user {
        req.extensions_mut().insert(Caller {
            name: u.name.clone(),
            role: u.role(),
        });
    }
    let is_get = req.method() == Method::GET || req.method() == Method::HEAD;

    if path == "/signin" {
        if user.is_some() && is_get {
            return Redirect::to("/").into_response();
        }
        return next.run(req).await;
    }
    if path == "/signout" {
        return next.run(req).await;
    }
    if path.starts_with("/api/") {
        let fn_path = path.as_str();
        let Some(user) = &user else {
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
        let Some(permission) = rule_for(fn_path) else {
            tracing::error!(path = %fn_path, "refused a server function with no access rule");
            return refuse_call(AppError::Forbidden(
                "This server function has no access rule, so nobody may call it.".into(),
            ));
        };
        if !user.role().can(permission) {
            tracing::info!(user = %user.name, path = %fn_path, "refused: role lacks permission");
            return refuse_call(AppError::Forbidden(refusal(user.role(), permission)));
        }
        return next.run(req).await;
    }
    if user.is_none() {
        return to_sign_in(&req, expired);
    }
    if must_change && path != "/password" {
        return Redirect::to("/password").into_response();
    }
    if let (Some(user), Some(permission)) = (&user, page_rule_for(&path))
        && !user.role().can(permission)
    {
        return (StatusCode::FORBIDDEN, refusal(user.role(), permission)).into_response();
    }
    next.run(req).await
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
    }
}
