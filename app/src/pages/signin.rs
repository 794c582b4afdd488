//! The sign-in and password pages. Both are plain forms posted to the
//! server, which answers with a redirect; what went wrong comes back as a
//! short code in the query string and is turned into a sentence here.

use crate::me::{Passwords, SignInOptions};
use domain::validate::MIN_PASSWORD_LEN;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The message for a sign-in code, or none.
fn sign_in_message(code: &str, scope: &str, wait: &str, secs: &str) -> Option<String> {
    let wait = if wait.is_empty() { "15" } else { wait };
    let secs = if secs.is_empty() { "a few" } else { secs };
    Some(match code {
        "bad" => "Wrong user name or password.".into(),
        "slow" if scope == "address" => {
            format!("Too many sign-ins from this address at once. Try again in {secs} second(s).")
        }
        "slow" => format!(
            "Too many failed sign-ins for this user: each new attempt waits longer than the \
             one before. Try again in {secs} second(s)."
        ),
        "locked" if scope == "address" => format!(
            "Too many failed sign-ins from this address. Sign-in from here is refused for \
             {wait} more minute(s), even with the right password."
        ),
        "locked" => format!(
            "Too many failed sign-ins for this user. Sign-in is refused for {wait} more \
             minute(s), even with the right password."
        ),
        "unavailable" => {
            "Sign-in is unavailable: the server could not record it. Try again shortly.".into()
        }
        "local_off" => "This console signs people in through the team's identity provider; \
                        passwords are kept for named break-glass admins only."
            .into(),
        "sso_off" => "This console has no identity provider configured.".into(),
        "sso_unreachable" => "The identity provider cannot be reached just now, so nobody was \
                              signed in. Try again in a moment; if it stays down, an admin \
                              with a break-glass password can still sign in."
            .into(),
        "sso_denied" => "The sign-in was cancelled at the identity provider (or consent was \
                         not given). Nothing was signed in."
            .into(),
        "sso_failed" => "The identity provider answered the sign-in with an error. Try again; \
                         if it persists, tell an admin (the audit history has the details)."
            .into(),
        "sso_forged" => "Refused: that sign-in answer does not belong to a sign-in this \
                         browser started (it may have been tampered with or sent from \
                         elsewhere). Start again from this page."
            .into(),
        "sso_replayed" => "Refused: that sign-in answer was used already. Start again from \
                           this page."
            .into(),
        "sso_busy" => "Too many sign-ins were started from this address (or from everywhere) \
                       just now; wait a few seconds and try again."
            .into(),
        "sso_expired" => "The sign-in took more than ten minutes at the identity provider; \
                          start again."
            .into(),
        "sso_code" => "The identity provider refused to finish the sign-in (its code had \
                       expired or was used already). Start again."
            .into(),
        "sso_token" => "Refused: the identity provider's ID token did not check out (wrong \
                        issuer, audience, signature or nonce). Tell an admin; the audit \
                        history has the details."
            .into(),
        "sso_clock" => "Refused: the identity provider's clock and this console's differ by \
                        more than a minute, so its ID token cannot be trusted. Tell an admin."
            .into(),
        "sso_no_group" => "You signed in at the identity provider, but you are in none of the \
                           groups that give a role in this console, so you were not let in \
                           (and any session you had here was ended). Ask an admin to add you \
                           to a group."
            .into(),
        "sso_disabled" => "You signed in at the identity provider, but an admin of this \
                           console disabled your user here. Ask them to enable you."
            .into(),
        _ => return None,
    })
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let q = use_query_map().read_untracked();
    let get = |k: &str| q.get(k).unwrap_or_default();
    let error = sign_in_message(&get("error"), &get("scope"), &get("wait"), &get("secs"));
    let note = if !get("expired").is_empty() {
        Some("Your sign-in expired; sign in again.")
    } else if !get("signed_out").is_empty() {
        Some("Signed out.")
    } else {
        None
    };
    let next = q.get("next").unwrap_or_else(|| "/".into());
    let options = use_context::<SignInOptions>().unwrap_or_default();
    let sso = options.provider.clone().map(|name| {
        let href = format!("/signin/sso?next={}", query_value(&next));
        view! {
            <a class="button primary sso" href=href>
                {format!("Sign in with {name}")}
            </a>
        }
    });
    let form = move |autofocus: bool| {
        view! {
            <form method="post" action="/signin" class="password-sign-in">
                <input type="hidden" name="next" value=next.clone() />
                <label>
                    "User name"
                    <input name="name" autocomplete="username" required autofocus=autofocus />
                </label>
                <label>
                    "Password"
                    <input name="password" type="password" autocomplete="current-password" required />
                </label>
                <button type="submit" class=if autofocus { "primary" } else { "" }>
                    "Sign in with a password"
                </button>
            </form>
        }
    };
    let passwords = match (options.passwords, options.provider.is_some()) {
        (Passwords::All, false) => Some(form(true).into_any()),
        (Passwords::All, true) => Some(
            view! {
                <p class="or">"or"</p>
                {form(false)}
            }
            .into_any(),
        ),
        (Passwords::BreakGlass, _) => Some(
            view! {
                <details class="break-glass">
                    <summary>"Break-glass sign-in (named admins only)"</summary>
                    <p class="muted">
                        "For when the identity provider is down. Every such sign-in is \
                         recorded and notified."
                    </p>
                    {form(false)}
                </details>
            }
            .into_any(),
        ),
        (Passwords::Off, _) => None,
    };
    let hint = if options.provider.is_some() {
        "No access? Ask to be added to one of the console's groups at your identity provider."
    } else {
        "No account? Ask an admin of this console to invite you."
    };
    view! {
        <section class="signin">
            <h1>"Sign in"</h1>
            {note.map(|n| view! { <p class="note">{n}</p> })}
            {error.map(|e| view! { <p class="error" role="alert">{e}</p> })}
            {sso}
            {passwords}
            <p class="hint">{hint}</p>
        </section>
    }
}

/// `s` as a query value (no browser API: the page renders on the server).
fn query_value(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

fn password_message(code: &str) -> Option<String> {
    Some(match code {
        "current" => "The current password is wrong.".into(),
        "mismatch" => "The two new passwords differ.".into(),
        "same" => "The new password must differ from the current one.".into(),
        "weak" => format!("A password needs at least {MIN_PASSWORD_LEN} characters."),
        "missing" => "Fill in all three fields.".into(),
        "locked" => "Too many wrong passwords; try again in 15 minutes.".into(),
        "unavailable" => "The password could not be changed; try again shortly.".into(),
        _ => return None,
    })
}

#[component]
pub fn PasswordPage() -> impl IntoView {
    let q = use_query_map().read_untracked();
    let error = password_message(&q.get("error").unwrap_or_default());
    let via_provider = use_context::<crate::me::Me>()
        .and_then(|me| me.0)
        .is_some_and(|c| c.via_provider);
    if via_provider {
        return view! {
            <section class="signin">
                <h1>"Your password"</h1>
                <p class="note">
                    "You sign in through the team's identity provider, which keeps your \
                     password: change it there. This console keeps none of yours."
                </p>
            </section>
        }
        .into_any();
    }
    view! {
        <section class="signin">
            <h1>"Set your password"</h1>
            <p class="note">
                "If you signed in with a one-time password, choose your own to go on."
            </p>
            {error.map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <form method="post" action="/password">
                <label>
                    "Current password"
                    <input name="current" type="password" autocomplete="current-password" required />
                </label>
                <label>
                    {format!("New password (at least {MIN_PASSWORD_LEN} characters)")}
                    <input
                        name="new"
                        type="password"
                        autocomplete="new-password"
                        minlength=MIN_PASSWORD_LEN.to_string()
                        required
                    />
                </label>
                <label>
                    "New password again"
                    <input name="repeat" type="password" autocomplete="new-password" required />
                </label>
                <button type="submit" class="primary">"Set password"</button>
            </form>
        </section>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_the_server_sends_has_a_message() {
        for code in [
            "bad",
            "slow",
            "locked",
            "unavailable",
            "local_off",
            "sso_off",
            "sso_unreachable",
            "sso_denied",
            "sso_failed",
            "sso_forged",
            "sso_replayed",
            "sso_expired",
            "sso_busy",
            "sso_code",
            "sso_token",
            "sso_clock",
            "sso_no_group",
            "sso_disabled",
        ] {
            assert!(sign_in_message(code, "user", "15", "2").is_some(), "{code}");
        }
        assert!(
            sign_in_message("locked", "address", "3", "")
                .unwrap()
                .contains("this address")
        );
        assert!(
            sign_in_message("slow", "user", "", "8")
                .unwrap()
                .contains("in 8 second")
        );
        assert!(sign_in_message("<script>", "", "", "").is_none());
        for code in [
            "current",
            "mismatch",
            "same",
            "weak",
            "missing",
            "locked",
            "unavailable",
        ] {
            assert!(password_message(code).is_some(), "{code}");
        }
    }
}
