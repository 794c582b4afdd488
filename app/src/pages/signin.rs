//! The sign-in and password pages. Both are plain forms posted to the
//! server, which answers with a redirect; what went wrong comes back as a
//! short code in the query string and is turned into a sentence here.

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
    view! {
        <section class="signin">
            <h1>"Sign in"</h1>
            {note.map(|n| view! { <p class="note">{n}</p> })}
            {error.map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <form method="post" action="/signin">
                <input type="hidden" name="next" value=next />
                <label>
                    "User name" <input name="name" autocomplete="username" required autofocus />
                </label>
                <label>
                    "Password"
                    <input name="password" type="password" autocomplete="current-password" required />
                </label>
                <button type="submit" class="primary">"Sign in"</button>
            </form>
            <p class="hint">"No account? Ask an admin of this console to invite you."</p>
        </section>
    }
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_the_server_sends_has_a_message() {
        for code in ["bad", "slow", "locked", "unavailable"] {
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
