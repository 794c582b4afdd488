//! The sign-in, sign-out and password forms. They are plain HTML form
//! posts answered with a redirect, so they work before (and without) the
//! wasm, and a sign-in always ends in a full page load that carries the new
//! user. What went wrong travels as a short code in the query string, which
//! the page turns into a message; no free text from the request is echoed.

use super::Auth;
use super::gate::local_path;
use super::refusals::Refused;
use super::throttle::{Refusal, Scope};
use crate::address::ClientAddr;
use crate::users::password;
use axum::{
    Form,
    extract::{FromRequest, Request, State},
    http::{StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use domain::access::Caller;
use domain::action::{UNKNOWN_NAME, UserAction};
use domain::error::AppError;
use domain::ids::{Secret, UserName};
use serde::Deserialize;
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

/// Back to the sign-in page, saying why the attempt was not made.
fn held_back(refusal: Refusal, next: &str) -> Response {
    let scope = |s: Scope| match s {
        Scope::User => "user",
        Scope::Address => "address",
    };
    match refusal {
        Refusal::Locked(s, wait) => {
            let minutes = wait.as_secs().div_ceil(60).max(1).to_string();
            back_to_sign_in("locked", &[("scope", scope(s)), ("wait", &minutes)], next)
        }
        Refusal::Wait(s, wait) => {
            let secs = wait.as_secs_f64().ceil().max(1.0).to_string();
            back_to_sign_in("slow", &[("scope", scope(s)), ("secs", &secs)], next)
        }
    }
}

/// "Busy, try again": every password-checking thread was taken.
fn busy() -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::RETRY_AFTER, "1")],
        "The server is busy checking passwords; try again in a moment. Nothing was changed.",
    )
        .into_response()
}

pub async fn sign_in(State(auth): State<Arc<Auth>>, session: Session, req: Request) -> Response {
    let address = ClientAddr::of(&req);
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
    let user = match auth.users.by_name(&typed).await {
        Ok(u) => u,
        Err(e) => {
            tracing::error!(error = %e, "user could not be read");
            return back_to_sign_in("unavailable", &[], &form.next);
        }
    };
    let known: Option<UserName> = user.as_ref().and_then(|u| u.name.parse().ok());
    let named = user
        .as_ref()
        .map_or_else(|| UNKNOWN_NAME.to_string(), |u| u.name.clone());
    let attempt = match auth.throttle.begin(&typed, address) {
        Ok(a) => a,
        Err(refusal) => {
            crate::metrics::global().sign_in_failures.inc();
            let source = address.map_or_else(
                || typed.clone(),
                |a| super::throttle::address_key(a).to_string(),
            );
            auth.refusals
                .record(Refused {
                    source: &source,
                    actor: &named,
                    target: &named,
                    message: match refusal {
                        Refusal::Locked(..) => "Sign-in refused: locked after too many failures.",
                        Refusal::Wait(..) => "Sign-in refused: too many failures, held back.",
                    }
                    .into(),
                    detail: ClientAddr::detail(address),
                })
                .await;
            return held_back(refusal, &form.next);
        }
    };
    if let Some(d) = attempt.delay {
        tokio::time::sleep(d).await;
    }
    // A user with no password of ours (a token's, one the identity
    // provider signs in) is checked against the decoy like an unknown
    // name, taking as long, and never matches.
    let hash = user
        .as_ref()
        .filter(|u| u.has_password())
        .map(|u| u.password_hash.as_str())
        .unwrap_or(password::DECOY);
    let Ok(password_ok) = password::verify(&form.password, hash).await else {
        // Not evaluated: the attempt is released, not counted.
        return busy();
    };
    let checked = match user {
        Some(u) if password_ok && u.has_password() => {
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
    let user = match checked {
        Ok(u) => u,
        Err(why) => {
            crate::metrics::global().sign_in_failures.inc();
            let locked = attempt.failed();
            let message = match locked {
                Some(Scope::Address) => {
                    format!("Sign-in refused: {why}; this address is now locked for a while.")
                }
                _ => format!("Sign-in refused: {why}."),
            };
            // The history names the user when one of that name exists.
            // Anything else typed into the name field (people type
            // passwords there) is kept nowhere.
            let action = UserAction::SignIn {
                user: known.clone(),
                from: ClientAddr::detail(address),
            }
            .into();
            if let Err(e) = auth.executor.record_refused(&named, &action, message).await {
                tracing::error!(error = %e, "failed sign-in could not be audited");
            }
            // A lock this failure started is said now; a wait, at the next try.
            return match locked {
                Some(scope) => {
                    held_back(Refusal::Locked(scope, auth.throttle.lockout()), &form.next)
                }
                None => back_to_sign_in("bad", &[], &form.next),
            };
        }
    };
    // Fail closed: a sign-in that cannot be recorded does not happen.
    let signing_in = UserAction::SignIn {
        user: known,
        from: ClientAddr::detail(address),
    }
    .into();
    let who = user.caller();
    if let Err(e) = auth.executor.run(&who, &signing_in).await {
        tracing::error!(error = %e, "sign-in could not be recorded; refused");
        return back_to_sign_in("unavailable", &[], &form.next);
    }
    attempt.succeeded();
    if let Err(e) = auth.start_session(&session, &user).await {
        tracing::error!(error = %e, "session could not be started");
        return back_to_sign_in("unavailable", &[], &form.next);
    }
    if user.must_change_password {
        return Redirect::to("/password").into_response();
    }
    Redirect::to(local_path(&form.next).unwrap_or("/")).into_response()
}

pub async fn sign_out(State(auth): State<Arc<Auth>>, session: Session, req: Request) -> Response {
    if let Some(c) = req.extensions().get::<Caller>()
        && let Ok(user) = c.name.parse()
        && let Err(e) = auth
            .executor
            .run(c, &UserAction::SignOut { user }.into())
            .await
    {
        tracing::error!(error = %e, "sign-out could not be recorded");
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
    let address = ClientAddr::of(&req);
    let Some(caller) = req.extensions().get::<Caller>().cloned() else {
        return Redirect::to("/signin?next=/password").into_response();
    };
    let Ok(Form(form)) = Form::<PasswordForm>::from_request(req, &()).await else {
        return back_to_password("missing");
    };
    let attempt = match auth.throttle.begin(&caller.name, address) {
        Ok(a) => a,
        Err(_) => return back_to_password("locked"),
    };
    let user = match auth.users.by_name(&caller.name).await {
        Ok(Some(u)) => u,
        _ => return back_to_password("unavailable"),
    };
    match password::verify(&form.current, &user.password_hash).await {
        Ok(true) => attempt.succeeded(),
        Ok(false) => {
            attempt.failed();
            return back_to_password("current");
        }
        Err(_) => return busy(),
    }
    if form.new != form.repeat {
        return back_to_password("mismatch");
    }
    if form.new == form.current {
        return back_to_password("same");
    }
    let Ok(name) = caller.name.parse::<UserName>() else {
        return back_to_password("unavailable");
    };
    let action = UserAction::SetPassword {
        name,
        password: Secret::new(form.new),
    }
    .into();
    // The executor's check holds the rule for new passwords; a password it
    // refuses is the only `Invalid` it answers with here.
    match auth.executor.run(&caller, &action).await {
        Ok(_) => {}
        Err(AppError::Invalid(_)) => return back_to_password("weak"),
        Err(e) => {
            tracing::error!(error = %e, "password could not be changed");
            return back_to_password("unavailable");
        }
    }
    let user = match auth.users.by_name(&caller.name).await {
        Ok(Some(user)) => user,
        _ => return back_to_password("unavailable"),
    };
    // A new id after a credential change, like after a sign-in, under the
    // user's new session epoch: this session goes on, their others end.
    if let Err(e) = auth.start_session(&session, &user).await {
        tracing::error!(error = %e, "session could not be renewed");
    }
    Redirect::to("/?password_changed=1").into_response()
}
