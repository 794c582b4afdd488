//! Sign-in through a real OpenID Connect provider: `oidc-provider`
//! (end2end/oidc/provider.mjs) run on loopback for each test, its own
//! sign-in and consent pages driven over HTTP as a browser would.

use crate::common::{Console, PASSWORD, browser, sign_in};
use domain::access::Role;
use domain::model::UserKind;
use domain::views::UsersView;
use serde_json::json;
use std::path::PathBuf;

/// The test identity provider, stopped when dropped.
pub struct IdentityProvider {
    pub issuer: String,
    state: PathBuf,
    _child: tokio::process::Child,
    _dir: tempfile::TempDir,
}

impl IdentityProvider {
    pub async fn start() -> Self {
        let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../end2end/oidc"));
        assert!(
            root.join("node_modules/oidc-provider").exists(),
            "the test identity provider is not installed: run the tests with scripts/test.sh, \
             or `npm ci` in end2end/oidc"
        );
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state.json");
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let provider = Self {
            issuer: format!("http://127.0.0.1:{port}"),
            state,
            _child: tokio::process::Command::new("node")
                .arg(root.join("provider.mjs"))
                .arg(port.to_string())
                .arg(dir.path().join("state.json"))
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .expect("node runs"),
            _dir: dir,
        };
        provider.set(&[], 0);
        let discovery = format!("{}/.well-known/openid-configuration", provider.issuer);
        for _ in 0..100 {
            if reqwest::get(&discovery)
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return provider;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the test identity provider did not start");
    }

    /// Its users (name, sub, groups), and how far off its clock is. A
    /// user signs in by typing their `sub`.
    pub fn set(&self, users: &[(&str, &str, &[&str])], clock_offset_secs: i64) {
        let users: serde_json::Map<String, serde_json::Value> = users
            .iter()
            .map(|(name, sub, groups)| (sub.to_string(), json!({ "name": name, "groups": groups })))
            .collect();
        let body = json!({ "users": users, "clock_offset_secs": clock_offset_secs });
        std::fs::write(&self.state, body.to_string()).unwrap();
    }

    /// The flags of a console that signs people in through it.
    pub fn flags(&self) -> Vec<String> {
        [
            "--oidc-issuer",
            &self.issuer,
            "--oidc-client-id",
            "spaceport",
            "--oidc-client-secret",
            "spaceport-test-secret",
            "--oidc-name",
            "Test IdP",
            "--oidc-viewer-groups",
            "sp-viewers",
            "--oidc-operator-groups",
            "sp-operators",
            "--oidc-admin-groups",
            "sp-admins",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }
}

async fn console_with(provider: &IdentityProvider, extra: &[&str]) -> Console {
    let mut flags = provider.flags();
    flags.extend(extra.iter().map(|s| s.to_string()));
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    Console::start_with(&flags).await
}

/// Where a response points, resolved against `base`.
fn location(res: &reqwest::Response) -> Option<String> {
    let to = res.headers().get("location")?.to_str().ok()?;
    Some(res.url().join(to).ok()?.to_string())
}

/// Every hidden input of the first form in `html`, and where it posts.
fn form_of(html: &str, base: &reqwest::Url) -> Option<(String, Vec<(String, String)>)> {
    let form = regex::Regex::new(r#"<form[^>]*action="([^"]+)"[^>]*>"#).unwrap();
    let action = form.captures(html)?.get(1)?.as_str().replace("&amp;", "&");
    let input =
        regex::Regex::new(r#"<input type="hidden" name="([^"]+)" value="([^"]*)""#).unwrap();
    let fields = input
        .captures_iter(html)
        .map(|c| (c[1].to_string(), c[2].to_string()))
        .collect();
    Some((base.join(&action).ok()?.to_string(), fields))
}

/// What a sign-in through the provider came to.
#[derive(Debug)]
enum Outcome {
    /// The console's callback answered 200 (signed in): where it moves on to.
    SignedIn(String),
    /// The console sent the browser to its sign-in page with this code.
    Refused(String),
    /// Stopped at the provider's consent page: its abort URL.
    AtConsent(String),
    /// Stopped before the callback, which is this URL.
    Callback(String),
}

/// Drives a sign-in as `login` from the console's button through the
/// provider's pages. `stop_at_consent` leaves it on the consent page;
/// `callback` sees (and may change) the callback URL before it is sent.
async fn through_provider(
    client: &reqwest::Client,
    console: &str,
    login: &str,
    stop_at_consent: bool,
    callback: impl Fn(String) -> String,
) -> Outcome {
    let moves_on = regex::Regex::new(r#"url=([^"]+)""#).unwrap();
    let abort_link = regex::Regex::new(r#"href="([^"]*abort[^"]*)""#).unwrap();
    let mut res = client
        .get(format!("{console}/signin/sso?next=/audit"))
        .send()
        .await
        .unwrap();
    for _ in 0..20 {
        if let Some(to) = location(&res) {
            if to.contains("/signin?") {
                let url = reqwest::Url::parse(&to).unwrap();
                let code = url
                    .query_pairs()
                    .find(|(k, _)| k == "error")
                    .map(|(_, v)| v.to_string())
                    .unwrap_or_default();
                return Outcome::Refused(code);
            }
            let to = if to.contains("/signin/sso/callback") {
                let changed = callback(to.clone());
                if changed.is_empty() {
                    return Outcome::Callback(to);
                }
                changed
            } else {
                to
            };
            res = client.get(&to).send().await.unwrap();
            continue;
        }
        let url = res.url().clone();
        let html = res.text().await.unwrap();
        if url.path() == "/signin/sso/callback" {
            let next = moves_on
                .captures(&html)
                .map(|c| c[1].to_string())
                .unwrap_or_default();
            return Outcome::SignedIn(next);
        }
        let (action, mut fields) =
            form_of(&html, &url).unwrap_or_else(|| panic!("no form at {url}: {html}"));
        let consent = fields.iter().any(|(k, v)| k == "prompt" && v == "consent");
        if consent && stop_at_consent {
            let abort = abort_link
                .captures(&html)
                .map(|c| url.join(&c[1]).unwrap().to_string())
                .expect("an abort link");
            return Outcome::AtConsent(abort);
        }
        if fields.iter().any(|(k, v)| k == "prompt" && v == "login") {
            fields.push(("login".into(), login.into()));
            fields.push(("password".into(), "any".into()));
        }
        res = client.post(&action).form(&fields).send().await.unwrap();
    }
    panic!("the sign-in went round in circles");
}

/// Signs `login` in on a browser of its own; the browser, signed in.
async fn signed_in(c: &Console, login: &str) -> reqwest::Client {
    let b = browser();
    match through_provider(&b, &c.base, login, false, |u| u).await {
        Outcome::SignedIn(next) => assert_eq!(next, "/audit"),
        other => panic!("{login} was not signed in: {other:?}"),
    }
    b
}

/// The status of the `users` server function for `client` (an admin's
/// page: 200 for an admin, 403 for anyone else signed in, 401 for nobody).
async fn users_status(c: &Console, client: &reqwest::Client) -> u16 {
    client
        .post(format!("{}/api/users", c.base))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_first_sign_in_makes_the_user_and_the_groups_set_the_role_every_time() {
    let idp = IdentityProvider::start().await;
    idp.set(&[("alice", "u-1001", &["sp-admins", "staff"])], 0);
    let c = console_with(&idp, &[]).await;

    let first = signed_in(&c, "u-1001").await;
    assert_eq!(users_status(&c, &first).await, 200, "alice is an admin");
    // Her password is the provider's: the console offers none to change.
    let page = |path: &'static str| {
        let first = first.clone();
        let url = format!("{}{path}", c.base);
        async move { first.get(url).send().await.unwrap().text().await.unwrap() }
    };
    assert!(!page("/").await.contains("href=\"/password\""));
    assert!(
        page("/password")
            .await
            .contains("identity provider, which keeps your")
    );
    let users: UsersView = c.read("users", &[]).await;
    let alice = users.users.iter().find(|u| u.name == "alice").unwrap();
    assert_eq!((alice.role, alice.kind), (Role::Admin, UserKind::Provider));

    // Made by the provider, as the history says; signed in as herself.
    let synced = c.audit(&[("action", "user.sync")]).await;
    assert_eq!(synced.entries[0].actor, "Test IdP (identity provider)");
    assert!(
        synced.entries[0]
            .detail
            .as_deref()
            .unwrap_or("")
            .contains("role admin from groups sp-admins, staff (sub u-1001)"),
        "{:?}",
        synced.entries[0]
    );
    let signins = c.audit(&[("action", "auth.sign_in")]).await;
    assert!(signins.entries.iter().any(|e| e.actor == "alice"));

    // Moved to the viewers at the provider: the next sign-in is a viewer,
    // and the admin session still open ends.
    idp.set(&[("alice", "u-1001", &["sp-viewers"])], 0);
    let second = signed_in(&c, "u-1001").await;
    assert_eq!(users_status(&c, &second).await, 403, "a viewer now");
    assert_eq!(
        users_status(&c, &first).await,
        401,
        "the admin session ended"
    );

    // The role counts from when the console saw it: the grants say so.
    let users: UsersView = c.read("users", &[]).await;
    let alice = users.users.iter().find(|u| u.name == "alice").unwrap();
    assert_eq!(alice.role, Role::Viewer);

    // The provider's names can be reused; its `sub` cannot. A new person
    // called alice is someone else, and gets a name of her own.
    idp.set(&[("alice", "u-2002", &["sp-operators"])], 0);
    let _other = signed_in(&c, "u-2002").await;
    let users: UsersView = c.read("users", &[]).await;
    let named: Vec<_> = users
        .users
        .iter()
        .filter(|u| u.name.starts_with("alice"))
        .map(|u| (u.name.as_str(), u.role))
        .collect();
    assert_eq!(
        named,
        [("alice", Role::Viewer), ("alice-2", Role::Operator)]
    );
}

#[tokio::test]
async fn someone_in_no_group_is_refused_and_their_sessions_end() {
    let idp = IdentityProvider::start().await;
    idp.set(
        &[
            ("bob", "u-3003", &["sp-operators"]),
            ("eve", "u-6666", &["finance"]),
        ],
        0,
    );
    let c = console_with(&idp, &[]).await;

    // Never seen, in no group: refused, and no user is made.
    let b = browser();
    let out = through_provider(&b, &c.base, "u-6666", false, |u| u).await;
    assert!(
        matches!(&out, Outcome::Refused(code) if code == "sso_no_group"),
        "{out:?}"
    );
    let users: UsersView = c.read("users", &[]).await;
    assert!(!users.users.iter().any(|u| u.name == "eve"));
    let page = b
        .get(format!("{}/signin?error=sso_no_group", c.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("none of the groups"), "a page that says why");

    // Bob signs in, then leaves the group: his next sign-in is refused
    // and his open session ends with it.
    let open = signed_in(&c, "u-3003").await;
    assert_eq!(users_status(&c, &open).await, 403, "an operator");
    idp.set(&[("bob", "u-3003", &[])], 0);
    let again = browser();
    let out = through_provider(&again, &c.base, "u-3003", false, |u| u).await;
    assert!(
        matches!(&out, Outcome::Refused(code) if code == "sso_no_group"),
        "{out:?}"
    );
    assert_eq!(users_status(&c, &open).await, 401, "his session ended");
    let refused = c.audit(&[("action", "auth.sign_in")]).await;
    assert!(
        refused
            .entries
            .iter()
            .any(|e| e.actor == "bob" && e.outcome.as_deref() == Some("error")),
        "{refused:?}"
    );

    // Back in a group, he is let in again: the provider disabled him, so
    // the provider may enable him.
    idp.set(&[("bob", "u-3003", &["sp-viewers"])], 0);
    let back = signed_in(&c, "u-3003").await;
    assert_eq!(users_status(&c, &back).await, 403);
}

#[tokio::test]
async fn a_forged_replayed_or_tampered_callback_is_refused() {
    let idp = IdentityProvider::start().await;
    idp.set(&[("carol", "u-4004", &["sp-admins"])], 0);
    let c = console_with(&idp, &[]).await;

    // Carried to another browser (a sign-in forged onto someone else):
    // that browser never started it.
    let victim = browser();
    let attacker = browser();
    let Outcome::Callback(callback) =
        through_provider(&attacker, &c.base, "u-4004", false, |_| String::new()).await
    else {
        panic!("no callback")
    };
    assert!(callback.contains("code="), "{callback}");
    let res = victim.get(&callback).send().await.unwrap();
    assert!(location(&res).unwrap().contains("error=sso_forged"));
    // The attacker's own browser brings it back now: the callback was
    // not taken by the forged attempt, but its code is one use only and
    // the state was never matched, so it still works once...
    let res = attacker.get(&callback).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200, "the browser that left signs in");
    // ...and never again.
    let res = attacker.get(&callback).send().await.unwrap();
    let to = location(&res).unwrap();
    assert!(
        to.contains("error=sso_forged") || to.contains("error=sso_replayed"),
        "{to}"
    );

    // A state changed on the way; a code changed on the way (the provider
    // refuses it); an answer that names another issuer (a mix-up).
    let refused_when = async |change: &dyn Fn(String) -> String, want: &str| {
        let b = browser();
        let out = through_provider(&b, &c.base, "u-4004", false, change).await;
        assert!(
            matches!(&out, Outcome::Refused(code) if code == want),
            "{want}: {out:?}"
        );
    };
    refused_when(&|u| u.replace("state=", "state=x"), "sso_forged").await;
    refused_when(&|u| u.replace("code=", "code=x"), "sso_code").await;
    let other_issuer = |u: String| {
        let mut url = reqwest::Url::parse(&u).unwrap();
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let v = if k == "iss" {
                    "https://evil.example".into()
                } else {
                    v.to_string()
                };
                (k.to_string(), v)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
        url.to_string()
    };
    refused_when(&other_issuer, "sso_forged").await;

    // Cancelled at the provider.
    let b = browser();
    let Outcome::AtConsent(abort) = through_provider(&b, &c.base, "u-4004", true, |u| u).await
    else {
        panic!("no consent page")
    };
    let mut res = b.get(&abort).send().await.unwrap();
    while let Some(to) = location(&res) {
        if to.contains("/signin?") {
            assert!(to.contains("error=sso_denied"), "{to}");
            break;
        }
        res = b.get(&to).send().await.unwrap();
    }

    // Each refusal is recorded, and none signed anyone in.
    let refused = c.audit(&[("action", "auth.refused")]).await;
    let through = refused
        .entries
        .iter()
        .filter(|e| e.actor == "a sign-in through Test IdP")
        .count();
    assert!(through >= 5, "{refused:?}");
}

#[tokio::test]
async fn an_unreachable_provider_or_a_clock_off_by_minutes_is_a_page_not_an_error() {
    let idp = IdentityProvider::start().await;
    idp.set(&[("dan", "u-5005", &["sp-viewers"])], 300);
    let c = console_with(&idp, &[]).await;
    let b = browser();
    let out = through_provider(&b, &c.base, "u-5005", false, |u| u).await;
    assert!(
        matches!(&out, Outcome::Refused(code) if code == "sso_clock"),
        "{out:?}"
    );
    // Within a minute is fine.
    idp.set(&[("dan", "u-5005", &["sp-viewers"])], 30);
    signed_in(&c, "u-5005").await;

    // Nobody listens where this console's provider should be.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let gone = format!("http://127.0.0.1:{port}");
    let c = Console::start_with(&[
        "--oidc-issuer",
        &gone,
        "--oidc-client-id",
        "spaceport",
        "--oidc-admin-groups",
        "sp-admins",
    ])
    .await;
    let b = browser();
    let res = b
        .get(format!("{}/signin/sso", c.base))
        .send()
        .await
        .unwrap();
    let to = location(&res).unwrap();
    assert!(to.contains("error=sso_unreachable"), "{to}");
    let page = b.get(&to).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let text = page.text().await.unwrap();
    assert!(text.contains("cannot be reached"), "{text}");
    assert!(
        text.contains("Sign in with SSO"),
        "the provider's button stays"
    );
}

#[tokio::test]
async fn passwords_are_kept_for_break_glass_admins_who_are_notified() {
    let idp = IdentityProvider::start().await;
    let c = console_with(
        &idp,
        &[
            "--local-sign-in",
            "break-glass",
            "--break-glass-admins",
            "t-admin",
        ],
    )
    .await;
    // t-admin signed in when the console started (the harness does): a
    // break-glass sign-in, notified.
    let events: i64 = {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", c.db.display()))
            .await
            .unwrap();
        sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE kind = 'auth.break_glass'")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    assert!(events >= 1, "{events}");
    let page = browser()
        .get(format!("{}/signin", c.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Sign in with Test IdP"), "{page}");
    assert!(page.contains("Break-glass sign-in"), "{page}");

    // Anyone else's password is not even looked at.
    let other = browser();
    let to = sign_in(&other, &c.base, "t-operator", PASSWORD).await;
    assert!(to.contains("error=local_off"), "{to}");

    // Off: nobody signs in with a password.
    let c = console_with(&idp, &["--local-sign-in", "off"]).await;
    let to = sign_in(&browser(), &c.base, "t-admin", PASSWORD).await;
    assert!(to.contains("error=local_off"), "{to}");
}

#[tokio::test]
async fn signing_out_goes_on_to_the_provider() {
    let idp = IdentityProvider::start().await;
    idp.set(&[("erin", "u-7007", &["sp-operators"])], 0);
    let c = console_with(&idp, &[]).await;
    let b = signed_in(&c, "u-7007").await;
    let res = b
        .post(format!("{}/signout", c.base))
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200, "a page that moves on");
    let page = res.text().await.unwrap();
    let to = regex::Regex::new(r#"url=([^"]+)""#)
        .unwrap()
        .captures(&page)
        .unwrap()[1]
        .replace("&amp;", "&");
    assert!(
        to.starts_with(&format!("{}/session/end?", idp.issuer)),
        "{to}"
    );
    assert!(to.contains("id_token_hint="), "{to}");
    assert!(to.contains("post_logout_redirect_uri="), "{to}");
    assert_eq!(users_status(&c, &b).await, 401, "signed out here");
    // The provider takes it: its page asks to confirm.
    let page = b.get(&to).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200, "{to}");
}

#[tokio::test]
async fn an_anonymous_flood_of_sign_in_starts_keeps_few_pending() {
    let idp = IdentityProvider::start().await;
    let c = console_with(&idp, &[]).await;
    let b = browser();
    // 300 starts at once from one address, none of them ever finished.
    let started = std::time::Instant::now();
    let answers = futures::future::join_all((0..300).map(|_| {
        let b = b.clone();
        let url = format!("{}/signin/sso", c.base);
        async move {
            let res = b.get(url).send().await.unwrap();
            (res.status().as_u16(), location(&res).unwrap_or_default())
        }
    }))
    .await;
    let took = started.elapsed();
    let to_provider = answers
        .iter()
        .filter(|(_, to)| to.starts_with(&idp.issuer))
        .count();
    let held_back = answers
        .iter()
        .filter(|(_, to)| to.contains("error=sso_busy"))
        .count();
    assert!(answers.iter().all(|(s, _)| *s == 303), "{answers:?}");
    assert_eq!(to_provider + held_back, 300);
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", c.db.display()))
        .await
        .unwrap();
    let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sign_in_pending")
        .fetch_one(&pool)
        .await
        .unwrap();
    println!("300 parallel starts in {took:?}: {to_provider} went on, {held_back} held back");
    assert!(pending <= 40, "{pending} sign-ins wait in the database");
    assert_eq!(pending as usize, to_provider);
}

#[tokio::test]
async fn a_role_from_the_provider_counts_for_four_eyes_from_when_the_console_saw_it() {
    let idp = IdentityProvider::start().await;
    idp.set(&[("olga", "u-8008", &["sp-operators"])], 0);
    // A new console's policy: an accept waits for another person.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    crate::common::make_users(&db).await;
    let flags = idp.flags();
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let c = Console::start_in(dir, db, &flags).await;
    let asked_for = |pcx: &str| {
        let view = c.read::<domain::views::SpaceView>("space", &[("space", crate::common::SPACE)]);
        let pcx = pcx.to_string();
        async move {
            view.await
                .approvals
                .requests
                .iter()
                .find(|r| {
                    r.record.target == pcx
                        && r.record.state == domain::approval::ApprovalState::Pending
                })
                .map(|r| r.record.id.to_string())
                .expect("a request")
        }
    };

    // Asked for before olga was ever seen here...
    let operator = c.in_process_as(Some(Role::Operator)).await;
    let ask = |pcx: &'static str| {
        [
            ("space", crate::common::SPACE),
            ("pcx_id", pcx),
            ("reason", "NET-7"),
        ]
    };
    let (status, body) = operator.call("accept_peering", &ask("pcx-111aaa111")).await;
    assert_eq!(status, 200, "{body}");
    let before = asked_for("pcx-111aaa111").await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    // ...so her approval would not count: she could not have decided it
    // when it was asked.
    let olga = signed_in(&c, "u-8008").await;
    let (status, body) = crate::common::call_at(
        &c.base,
        &olga,
        "approve",
        &[("request", before.as_str()), ("comment", "")],
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body.to_string().contains("after this request was made"),
        "{body}"
    );
    assert!(
        body.to_string().contains("Test IdP (identity provider)"),
        "{body}"
    );

    // Asked again now, it is hers to decide.
    let (status, body) = operator
        .call("withdraw", &[("request", before.as_str())])
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = operator.call("accept_peering", &ask("pcx-111aaa111")).await;
    assert_eq!(status, 200, "{body}");
    let after = asked_for("pcx-111aaa111").await;
    let (status, body) = crate::common::call_at(
        &c.base,
        &olga,
        "approve",
        &[("request", after.as_str()), ("comment", "ok")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
}
