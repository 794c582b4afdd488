//! The sign-in, sign-out and password forms. They are plain HTML form
//! posts answered with a redirect, so they work before (and without) the
//! wasm, and a sign-in always ends in a full page load that carries the new
//! user. What went wrong travels as a short code in the query string, which
//! the page turns into a message; no free text from the request is echoed.

use super::gate::local_path;
use super::throttle::{Scope, Verdict};
use super::{Auth, password};
use crate::audit::Intent;
use app::access::Caller;
use axum::{
    Form,
    extract::{ConnectInfo, FromRequest, Request, State},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use tower_sessions::Session;

#[derive(Debug, Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

fn back_to_sign_in(code: &str, extra: &[(&str, &str)], next: &str) -> Response {
    let mut url = url::Url::parse("http://x/signin").expect("static URL");
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("error", code);
        for (k, v) in extra {
            q.append_pair(k, v);
        }
        if local_path(next).is_some() {
            q.append_pair("next", next);
        }
    }
    Redirect::to(&format!("/signin?{}", url.query().unwrap_or(""))).into_response()
}

fn locked(scope: Scope, wait: std::time::Duration, next: &str) -> Response {
    let minutes = wait.as_secs().div_ceil(60).max(1).to_string();
    let scope = match scope {
        Scope::User => "user",
        Scope::Address => "address",
    };
    back_to_sign_in("locked", &[("scope", scope), ("wait", &minutes)], next)
}

fn client_address(req: &Request) -> Option<IpAddr> {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

pub async fn sign_in(State(auth): State<Arc<Auth>>, session: Session, req: Request) -> Response {
    let address = client_address(&req);
    let Ok(Form(form)) = Form::<SignInForm>::from_request(req, &()).await else {
        return back_to_sign_in("bad", &[], "/");
    };
    // The throttle counts by what was typed, valid name or not.
    let typed: String = form
        .name
        .trim()
        .to_ascii_lowercase()
        .chars()
        .take(64)
        .collect();
    match auth.throttle.check(&typed, address) {
        Verdict::Locked(scope, wait) => return locked(scope, wait, &form.next),
        Verdict::Slow(d) => tokio::time::sleep(d).await,
        Verdict::Go => {}
    }
    let user = match auth.users.by_name(&typed).await {
        Ok(u) => u,
        Err(e) => {
            tracing::error!(error = %e, "user could not be read");
            return back_to_sign_in("unavailable", &[], &form.next);
        }
    };
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.as_str())
        .unwrap_or(password::DECOY);
    let password_ok = password::verify(&form.password, hash).await;
    let from = address.map(|a| format!("from {a}"));
    let checked = match user {
        Some(u) if password_ok => {
            if u.disabled {
                Err("the user is disabled")
            } else if u.demo && !auth.demo {
                Err("demo users cannot sign in against the real provider")
            } else {
                Ok(u)
            }
        }
        _ => Err("wrong user name or password"),
    };
    let actor = if app::validate::user_name(&typed).is_ok() {
        typed.as_str()
    } else {
        "(not a user name)"
    };
    let user = match checked {
        Ok(u) => u,
        Err(why) => {
            let lock = auth.throttle.failed(&typed, address);
            let message = match lock {
                Some(Scope::User) => {
                    format!("Sign-in refused: {why}; this user is now locked for a while.")
                }
                Some(Scope::Address) => {
                    format!("Sign-in refused: {why}; this address is now locked for a while.")
                }
                None => format!("Sign-in refused: {why}."),
            };
            if let Err(e) = auth
                .audit
                .record_done(
                    actor,
                    "auth.sign_in",
                    actor,
                    false,
                    message,
                    from.as_deref(),
                )
                .await
            {
                tracing::error!(error = %e, "failed sign-in could not be audited");
            }
            return match auth.throttle.check(&typed, address) {
                Verdict::Locked(scope, wait) => locked(scope, wait, &form.next),
                Verdict::Slow(_) => back_to_sign_in("slow", &[], &form.next),
                Verdict::Go => back_to_sign_in("bad", &[], &form.next),
            };
        }
    };
    // Fail closed: a sign-in that cannot be recorded does not happen.
    if let Err(e) = auth
        .audit
        .record_done(
            &user.name,
            "auth.sign_in",
            &user.name,
            true,
            format!("Signed in as {}.", user.role()),
            from.as_deref(),
        )
        .await
    {
        tracing::error!(error = %e, "sign-in could not be audited; refused");
        return back_to_sign_in("unavailable", &[], &form.next);
    }
    auth.throttle.succeeded(&typed);
    if let Err(e) = auth.start_session(&session, &user).await {
        tracing::error!(error = %e, "session could not be started");
        return back_to_sign_in("unavailable", &[], &form.next);
    }
    if let Err(e) = auth.users.record_sign_in(user.id).await {
        tracing::warn!(error = %e, "last sign-in time not recorded");
    }
    if user.must_change_password {
        return Redirect::to("/password").into_response();
    }
    Redirect::to(local_path(&form.next).unwrap_or("/")).into_response()
}

pub async fn sign_out(State(auth): State<Arc<Auth>>, session: Session, req: Request) -> Response {
    if let Some(c) = req.extensions().get::<Caller>()
        && let Err(e) = auth
            .audit
            .record_done(
                &c.name,
                "auth.sign_out",
                &c.name,
                true,
                "Signed out.".into(),
                None,
            )
            .await
    {
        tracing::error!(error = %e, "sign-out could not be audited");
    }
    if let Err(e) = session.flush().await {
        tracing::error!(error = %e, "session could not be removed");
    }
    Redirect::to("/signin?signed_out=1").into_response()
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    repeat: String,
}

fn back_to_password(code: &str) -> Response {
    Redirect::to(&format!("/password?error={code}")).into_response()
}

/// Sets the signed-in user's own password, given the current one.
pub async fn change_password(
    State(auth): State<Arc<Auth>>,
    session: Session,
    req: Request,
) -> Response {
    let address = client_address(&req);
    let Some(caller) = req.extensions().get::<Caller>().cloned() else {
        return Redirect::to("/signin?next=/password").into_response();
    };
    let Ok(Form(form)) = Form::<PasswordForm>::from_request(req, &()).await else {
        return back_to_password("missing");
    };
    if let Verdict::Locked(scope, wait) = auth.throttle.check(&caller.name, address) {
        return locked(scope, wait, "/password");
    }
    let user = match auth.users.by_name(&caller.name).await {
        Ok(Some(u)) => u,
        _ => return back_to_password("unavailable"),
    };
    if !password::verify(&form.current, &user.password_hash).await {
        auth.throttle.failed(&caller.name, address);
        return back_to_password("current");
    }
    if form.new != form.repeat {
        return back_to_password("mismatch");
    }
    if form.new == form.current {
        return back_to_password("same");
    }
    if app::validate::new_password(&form.new).is_err() {
        return back_to_password("weak");
    }
    // Intent first (no record, no change), then the change, then its outcome.
    let changed = auth
        .audit
        .audited(
            Intent::local(&caller.name, "user.password", &caller.name, None),
            auth.users.set_password(&caller.name, &form.new, false),
            |_| "Changed their own password.".into(),
        )
        .await;
    match changed {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => {
            tracing::error!(error = %e, "password could not be changed");
            return back_to_password("unavailable");
        }
        Err(e) => {
            tracing::error!(error = %e, "password change could not be audited; refused");
            return back_to_password("unavailable");
        }
    }
    // A new id after a credential change, like after a sign-in.
    if let Err(e) = auth.start_session(&session, &user).await {
        tracing::error!(error = %e, "session could not be renewed");
    }
    Redirect::to("/?password_changed=1").into_response()
}
