//! The sign-in, sign-out and password forms, and the two legs of a sign-in
//! through the identity provider (its start, and its callback; the
//! protocol itself is `sso`). The forms are plain HTML form posts
//! answered with a redirect, so they work before (and without) the wasm,
//! and a sign-in always ends in a full page load that carries the new
//! user. What went wrong travels as a short code in the query string, which
//! the page turns into a message; no free text from the request is echoed.

use super::Auth;
use super::gate::local_path;
use super::refusals::Refused;
use super::sso;
use super::throttle::{Refusal, Scope};
use crate::address::ClientAddr;
use crate::config::LocalSignIn;
use crate::notify::NewEvent;
use crate::users::password;
use axum::extract::Query;
use axum::{
    Form,
    extract::{FromRequest, Request, State},
    http::{StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use domain::access::{Caller, Role};
use domain::action::{UNKNOWN_NAME, UserAction};
use domain::error::AppError;
use domain::ids::{Secret, UserName};
use domain::notify::EventKind;
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
    // Where the identity provider signs people in, passwords may be off,
    // or kept for named break-glass admins only; nothing is checked for
    // anyone else.
    let local_allowed = match auth.local {
        LocalSignIn::All => true,
        LocalSignIn::BreakGlass => auth.break_glass.contains(&typed),
        LocalSignIn::Off => false,
    };
    if !local_allowed {
        let source = super::refusals::address_source(address);
        auth.refusals
            .record(Refused {
                source: &source,
                actor: UNKNOWN_NAME,
                target: "/signin",
                message: "Sign-in with a password refused: this console signs people in \
                          through its identity provider."
                    .into(),
                detail: ClientAddr::detail(address),
            })
            .await;
        return back_to_sign_in("local_off", &[], &form.next);
    }
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
            } else if auth.local == LocalSignIn::BreakGlass && u.role() != Role::Admin {
                Err("only admins sign in with a break-glass password")
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
    if let Err(e) = auth.start_session(&session, &user, None).await {
        tracing::error!(error = %e, "session could not be started");
        return back_to_sign_in("unavailable", &[], &form.next);
    }
    if auth.local == LocalSignIn::BreakGlass {
        break_glass_notice(&auth, &user.name, address).await;
    }
    if user.must_change_password {
        return Redirect::to("/password").into_response();
    }
    Redirect::to(local_path(&form.next).unwrap_or("/")).into_response()
}

/// Tells everyone who listens that a break-glass password was used: while
/// the identity provider signs everyone else in, such a sign-in is news.
async fn break_glass_notice(auth: &Auth, name: &str, address: Option<std::net::IpAddr>) {
    let kind = EventKind::BreakGlass;
    let from = ClientAddr::detail(address)
        .map(|d| format!(" {d}"))
        .unwrap_or_default();
    let event = NewEvent {
        kind,
        key: format!("{kind}:{name}:{}", crate::db::now_ms()),
        space: String::new(),
        subject: name.to_string(),
        title: format!("Break-glass sign-in: {name} signed in with a password{from}"),
        link: "/audit?action=auth.sign_in".into(),
        data: serde_json::json!({ "user": name, "address": address.map(|a| a.to_string()) }),
    };
    if let Err(e) = auth.executor.notifications().record(&[event], None).await {
        tracing::error!(error = %e, "the break-glass sign-in could not be notified");
    }
}

/// `next` of the sign-in through the provider.
#[derive(Debug, Default, Deserialize)]
pub struct SsoStart {
    #[serde(default)]
    next: String,
}

/// Sends the browser to the identity provider, with a new pending sign-in.
pub async fn sso_start(State(auth): State<Arc<Auth>>, req: Request) -> Response {
    let Some(sso) = auth.sso.clone() else {
        return back_to_sign_in("sso_off", &[], "/");
    };
    let start: SsoStart = Query::try_from_uri(req.uri())
        .map(|q| q.0)
        .unwrap_or_default();
    let next = local_path(&start.next).unwrap_or("/");
    match sso.begin(ClientAddr::of(&req), &host_of(&req), next).await {
        Ok((url, state)) => (
            StatusCode::SEE_OTHER,
            [
                (header::LOCATION, url.to_string()),
                (header::SET_COOKIE, sso.state_cookie(&state, 600)),
            ],
        )
            .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "a sign-in through the identity provider could not start");
            back_to_sign_in(e.code(), &[], next)
        }
    }
}

/// The host the browser reached this console at.
fn host_of(req: &Request) -> String {
    req.headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost")
        .to_string()
}

/// Where the identity provider sends the browser back: the person it
/// signed in is made or updated (as the provider's change), then signed in
/// like after a password, or refused with a page that says why.
pub async fn sso_callback(
    State(auth): State<Arc<Auth>>,
    session: Session,
    req: Request,
) -> Response {
    let address = ClientAddr::of(&req);
    let Some(sso) = auth.sso.clone() else {
        return back_to_sign_in("sso_off", &[], "/");
    };
    let back: sso::Callback = Query::try_from_uri(req.uri())
        .map(|q| q.0)
        .unwrap_or_default();
    let cookie = sso::Sso::state_from(req.headers());
    let forget = sso.state_cookie("", 0);
    let refused = |code: &str| {
        let mut res = back_to_sign_in(code, &[], "/");
        if let Ok(v) = header::HeaderValue::from_str(&forget) {
            res.headers_mut().insert(header::SET_COOKIE, v);
        }
        res
    };
    let who = match sso
        .finish(address, &host_of(&req), back, cookie.as_deref())
        .await
    {
        Ok(who) => who,
        Err(e) => {
            tracing::warn!(error = %e, "a sign-in through the identity provider was refused");
            let source = super::refusals::address_source(address);
            auth.refusals
                .record(Refused {
                    source: &source,
                    actor: &format!("a sign-in through {}", sso.name),
                    target: "/signin/sso/callback",
                    message: format!("Sign-in through {} refused: {e}.", sso.name),
                    detail: ClientAddr::detail(address),
                })
                .await;
            return refused(e.code());
        }
    };
    // The provider's word on the person, recorded as its change: made at
    // the first sign-in, their role set at every one, disabled when their
    // groups give none.
    let sync = UserAction::ProviderSync {
        subject: who.subject.clone(),
        name: who.name.clone(),
        role: who.role,
        groups: who.groups.clone(),
    }
    .into();
    let synced = auth
        .executor
        .run(&Caller::system(&sso.actor()), &sync)
        .await;
    let user = match (synced, auth.users.by_subject(&who.subject).await) {
        (Ok(_), Ok(Some(u))) if !u.disabled && who.role.is_some() => u,
        (synced, user) => {
            let (code, why) = match (&synced, &user) {
                (Err(AppError::Invalid(m)), _) => ("sso_disabled", m.clone()),
                (Err(e), _) => ("unavailable", e.to_string()),
                (_, Err(e)) => ("unavailable", e.to_string()),
                _ => (
                    "sso_no_group",
                    format!(
                        "{} is in none of the groups that give a role here",
                        who.name
                    ),
                ),
            };
            let known = user.ok().flatten().and_then(|u| u.name.parse().ok());
            let action = UserAction::SignIn {
                user: known,
                from: ClientAddr::detail(address),
            }
            .into();
            let message = format!("Sign-in through {} refused: {why}.", sso.name);
            if let Err(e) = auth
                .executor
                .record_refused(who.name.as_str(), &action, message)
                .await
            {
                tracing::error!(error = %e, "a refused sign-in could not be audited");
            }
            return refused(code);
        }
    };
    // Fail closed, as after a password: a sign-in not recorded does not happen.
    let signing_in = UserAction::SignIn {
        user: user.name.parse().ok(),
        from: ClientAddr::detail(address),
    }
    .into();
    if let Err(e) = auth.executor.run(&user.caller(), &signing_in).await {
        tracing::error!(error = %e, "sign-in could not be recorded; refused");
        return refused("unavailable");
    }
    if let Err(e) = auth
        .start_session(&session, &user, Some(&who.id_token))
        .await
    {
        tracing::error!(error = %e, "session could not be started");
        return refused("unavailable");
    }
    // The session's cookie is SameSite=Strict, and this answer ends a
    // navigation another site started: a redirect from here would not
    // carry it. A page of this site that moves on does.
    let next = local_path(&who.next).unwrap_or("/");
    let mut res = moving_on(next, &format!("Signed in as {}.", user.name));
    if let Ok(v) = header::HeaderValue::from_str(&forget) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// A page that says `said` and moves the browser on to `to` at once: a
/// navigation of this site's page, where a redirect would not do.
fn moving_on(to: &str, said: &str) -> Response {
    let to = html_escape(to);
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        format!(
            "<!doctype html><html><head><meta charset=\"utf-8\">\
             <meta http-equiv=\"refresh\" content=\"0;url={to}\">\
             <title>Spaceport</title></head><body><p>{} \
             <a href=\"{to}\">Continue</a></p></body></html>",
            html_escape(said)
        ),
    )
        .into_response()
}

/// `s` safe inside HTML text and attribute values.
fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
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
    let id_token = auth.sso_sign_in(&session).await;
    if let Err(e) = session.flush().await {
        tracing::error!(error = %e, "session could not be removed");
    }
    // Signed in through the provider: signed out there too, when it
    // offers that, or its session would sign them straight in again.
    // A page that moves on, not a redirect: the pages' CSP lets forms
    // post (and be redirected) only to this site.
    if let (Some(sso), Some(id_token)) = (&auth.sso, id_token)
        && let Some(url) = sso.logout_url(&host_of(&req), Some(&id_token)).await
    {
        return moving_on(
            url.as_str(),
            &format!("Signed out here; signing you out at {} too.", sso.name),
        );
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
    if let Err(e) = auth.start_session(&session, &user, None).await {
        tracing::error!(error = %e, "session could not be renewed");
    }
    Redirect::to("/?password_changed=1").into_response()
}
