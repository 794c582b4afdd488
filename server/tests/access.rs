//! Who may do what, over HTTP against a running console: the role x server
//! function matrix, sign-in and its expiry, the session cookie, cross-site
//! requests, the brute-force limit, the last-admin rule and the user
//! commands. A refused call must change nothing: no audit row, no call to
//! the provider.

use crate::common::{Console, PASSWORD, PCX, PG, REDIS, SPACE, browser, sign_in, spaceport};
use domain::access::Role;
use domain::approval::Decided;
use domain::rules::{SERVER_FN_RULES, rule_for};
use std::time::Duration;

/// A call to every server function, with arguments that reach its rules.
/// A server function missing here (or from `SERVER_FN_RULES`) fails
/// `every_server_function_has_a_rule_and_a_case`.
const CASES: &[(&str, &[(&str, &str)])] = &[
    ("overview", &[]),
    ("space", &[("space", SPACE)]),
    ("terraform", &[("space", SPACE)]),
    ("peerings_inventory", &[]),
    ("audit", &[]),
    ("alarm", &[]),
    ("acknowledge_alarm", &[("finding", "Nothing.")]),
    ("data_addons", &[("space", SPACE)]),
    ("privatelink", &[("space", SPACE), ("addon", REDIS)]),
    ("accept_peering", &[("space", SPACE), ("pcx_id", PCX)]),
    (
        "create_privatelink",
        &[
            ("space", SPACE),
            ("addon", PG),
            ("accounts", "123456789012"),
        ],
    ),
    (
        "add_allowed_accounts",
        &[
            ("space", SPACE),
            ("addon", REDIS),
            ("accounts", "210987654321"),
        ],
    ),
    (
        "destroy_peering",
        &[("space", SPACE), ("pcx_id", PCX), ("confirm", PCX)],
    ),
    (
        "destroy_privatelink",
        &[("space", SPACE), ("addon", REDIS), ("confirm", REDIS)],
    ),
    (
        "remove_allowed_account",
        &[
            ("space", SPACE),
            ("addon", REDIS),
            ("account", "123456789012"),
        ],
    ),
    (
        "reveal_connection_url",
        &[
            ("space", SPACE),
            ("addon", REDIS),
            ("endpoint_id", "vpce-01c87ae3c05563935"),
        ],
    ),
    ("users", &[]),
    ("invite_user", &[("name", "newcomer"), ("role", "viewer")]),
    ("set_user_role", &[("name", "t-viewer"), ("role", "viewer")]),
    (
        "set_user_disabled",
        &[("name", "t-operator"), ("disabled", "false")],
    ),
    (
        "create_token",
        &[("name", "ci-bot"), ("role", "viewer"), ("days", "1")],
    ),
    ("revoke_token", &[("name", "ci-nobody")]),
    ("inbox", &[]),
    ("inbox_count", &[]),
    ("policy", &[]),
    (
        "request_approval",
        &[
            (
                "action",
                r#"{"kind":"accept_peering","space":"spaces-peering-example","pcx_id":"pcx-111aaa111"}"#,
            ),
            ("reason", "a reason"),
        ],
    ),
    ("approve", &[("request", "1"), ("comment", "")]),
    ("reject", &[("request", "1"), ("reason", "no")]),
    ("withdraw", &[("request", "1")]),
    (
        "set_policy",
        &[(
            "policy",
            r#"{"approvals":{},"require_expected_peer":false,"lifetime_hours":24}"#,
        )],
    ),
    (
        "expect_peer",
        &[
            ("space", SPACE),
            ("aws_account_id", "210987654321"),
            ("vpc_id", "vpc-0fedcba987654321"),
            ("cidr", "10.200.0.0/16"),
            ("region", ""),
            ("note", "NET-1"),
            ("valid_until", "2099-01-01"),
        ],
    ),
    ("forget_peer", &[("id", "1")]),
    ("notifications", &[]),
    (
        "add_webhook",
        &[
            ("name", "ops"),
            ("url", "http://127.0.0.1:9/hook"),
            ("format", "json"),
            ("kinds", "peering.requested"),
        ],
    ),
    ("remove_webhook", &[("id", "1")]),
    ("test_webhook", &[("id", "1")]),
];

/// Rows in the audit history (besides the records of refusals, which
/// `hardening.rs` tests), and calls the provider has answered.
async fn footprint(c: &Console) -> (i64, u64) {
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", c.db.display()))
        .await
        .unwrap();
    let rows: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action != 'auth.refused'")
            .fetch_one(&pool)
            .await
            .unwrap();
    (rows, c.sim.stats().await.calls)
}

#[tokio::test]
async fn every_server_function_has_a_rule_and_a_case() {
    let registered: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_string())
        .collect();
    assert!(registered.len() >= CASES.len(), "{registered:?}");
    for path in &registered {
        assert!(
            rule_for(path).is_some(),
            "{path} has no access rule in domain::rules::SERVER_FN_RULES"
        );
        assert!(
            CASES
                .iter()
                .any(|(name, _)| format!("/api/{name}") == *path),
            "{path} has no case in this test's matrix"
        );
    }
    for (path, _) in SERVER_FN_RULES {
        assert!(
            registered.iter().any(|r| r == path),
            "rule for {path}, which does not exist"
        );
    }
}

#[tokio::test]
async fn the_role_matrix_holds_for_direct_calls() {
    let c = Console::start().await;
    let mut clients = vec![(None, c.in_process_as(None).await)];
    for role in Role::ALL {
        clients.push((Some(role), c.in_process_as(Some(role)).await));
    }
    for (name, form) in CASES {
        let permission = rule_for(&format!("/api/{name}")).unwrap();
        for (role, client) in &clients {
            let before = footprint(&c).await;
            let (status, body) = client.call(name, form).await;
            let allowed = role.is_some_and(|r| r.can(permission));
            let who = role.map_or("nobody".to_string(), |r| r.to_string());
            if allowed {
                assert!(
                    status != 401 && status != 403,
                    "{who} may call {name}, got {status}: {body}"
                );
                continue;
            }
            let want = if role.is_some() { 403 } else { 401 };
            assert_eq!(status, want, "{who} calling {name}: {body}");
            let message = body.to_string();
            assert!(
                message.contains("Your role") || message.contains("Sign in"),
                "{who} calling {name}: {message}"
            );
            assert_eq!(
                footprint(&c).await,
                before,
                "{who} calling {name} changed something"
            );
        }
    }
}

#[tokio::test]
async fn console_checks_the_role_itself() {
    // The same rules hold for a caller that reaches the Console some other way.
    let c = Console::start().await;
    let viewer = domain::access::Caller {
        name: "t-viewer".into(),
        role: Role::Viewer,
        demo: false,
        service: false,
        via_provider: false,
    };
    use app::console::Console as _;
    use domain::action::{Action, ProviderAction, UserAction};
    let accept = Action::from(ProviderAction::AcceptPeering {
        space: SPACE.parse().unwrap(),
        pcx_id: PCX.parse().unwrap(),
    });
    let e = c.console.act(&viewer, accept).await.unwrap_err();
    assert_eq!(e.status_code(), 403, "{e}");
    let invite = |name: &str| {
        Action::from(UserAction::InviteUser {
            name: name.parse().unwrap(),
            role: Role::Admin,
        })
    };
    let e = c.console.act(&viewer, invite("x")).await.unwrap_err();
    assert_eq!(e.status_code(), 403, "{e}");
    assert!(c.console.overview(&viewer).await.is_ok());
    // A demo admin manages no users, however it reaches the Console.
    let demo_admin = domain::access::Caller {
        name: "demo-admin".into(),
        role: Role::Admin,
        demo: true,
        service: false,
        via_provider: false,
    };
    let e = c
        .console
        .act(&demo_admin, invite("planted"))
        .await
        .unwrap_err();
    assert_eq!(e.status_code(), 403, "{e}");
    assert!(e.to_string().contains("demo"), "{e}");
}

#[tokio::test]
async fn the_users_page_is_for_admins() {
    let c = Console::start().await;
    for (role, want) in [
        (Role::Viewer, 403),
        (Role::Operator, 403),
        (Role::Admin, 200),
    ] {
        let session = c.in_process_as(Some(role)).await;
        let (status, _) = session.send("GET", "/users", &[]).await;
        assert_eq!(status.as_u16(), want, "{role}");
    }
}

#[tokio::test]
async fn no_server_function_changes_state_over_get() {
    let c = Console::start().await;
    let before = footprint(&c).await;
    for (name, form) in CASES {
        let res = c
            .http
            .get(format!("{}/api/{name}", c.base))
            .query(form)
            .send()
            .await
            .unwrap();
        assert!(
            res.status().is_client_error(),
            "GET {name}: {}",
            res.status()
        );
    }
    assert_eq!(footprint(&c).await, before);
    assert_eq!(c.peering_status(PCX).await, "pending-acceptance");
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    let c = Console::start().await;
    let accept = [("space", SPACE), ("pcx_id", PCX)];
    // A browser too old for Sec-Fetch-Site still sends Origin.
    let old_browser = crate::common::browser_with(Default::default());
    sign_in(&old_browser, &c.base, "t-admin", PASSWORD).await;
    let before = footprint(&c).await;
    for (header, value) in [
        ("Origin", "http://evil.example"),
        ("Origin", "null"),
        ("Sec-Fetch-Site", "cross-site"),
        ("Sec-Fetch-Site", "same-site"),
    ] {
        let res = old_browser
            .post(format!("{}/api/accept_peering", c.base))
            .header(header, value)
            .form(&accept)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 403, "{header}: {value}");
        assert!(res.text().await.unwrap().contains("another site"));
    }
    // Signing in (or out) from another site is refused too.
    let res = crate::common::browser_with(Default::default())
        .post(format!("{}/signin", c.base))
        .header("Origin", "http://evil.example")
        .form(&[("name", "t-admin"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    assert_eq!(footprint(&c).await, before);
    assert_eq!(c.peering_status(PCX).await, "pending-acceptance");
    // The same call from this site goes through.
    let origin = c.base.clone();
    let res = c
        .http
        .post(format!("{}/api/accept_peering", c.base))
        .header("Origin", origin)
        .header("Sec-Fetch-Site", "same-origin")
        .form(&accept)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
}

fn set_cookie(res: &reqwest::Response) -> String {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A client that keeps no cookies and follows no redirects: each request
/// carries exactly the cookie it is given.
fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn sign_in_raw(base: &str) -> reqwest::Response {
    no_redirects()
        .post(format!("{base}/signin"))
        .form(&[("name", "t-viewer"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_session_cookie_is_http_only_strict_and_renewed_at_sign_in() {
    let c = Console::start().await;
    let cookie = set_cookie(&sign_in_raw(&c.base).await);
    assert!(cookie.starts_with("spaceport="), "{cookie}");
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(flag), "{flag} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");

    // Signing in again in the same browser gives a new id; the old one is dead.
    let old = cookie.split(';').next().unwrap().to_string();
    let client = no_redirects();
    let res = client
        .post(format!("{}/signin", c.base))
        .header("Cookie", &old)
        .header("Sec-Fetch-Site", "same-origin")
        .form(&[("name", "t-viewer"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let new = set_cookie(&res);
    let new = new.split(';').next().unwrap();
    assert_ne!(new, old);
    let with = |cookie: &str| {
        client
            .post(format!("{}/api/overview", c.base))
            .header("Cookie", cookie.to_string())
            .header("Sec-Fetch-Site", "same-origin")
            .send()
    };
    assert_eq!(with(new).await.unwrap().status().as_u16(), 200);
    assert_eq!(with(&old).await.unwrap().status().as_u16(), 401);

    // Behind https the cookie is Secure and pinned to the host.
    let https = Console::start_with(&["--public-url", "https://spaceport.example.com"]).await;
    let cookie = set_cookie(&sign_in_raw(&https.base).await);
    assert!(cookie.starts_with("__Host-spaceport="), "{cookie}");
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
}

#[tokio::test]
async fn sign_out_ends_the_session() {
    let c = Console::start().await;
    let viewer = c.as_role(Role::Viewer).await;
    assert_eq!(c.call_as(&viewer, "overview", &[]).await.0, 200);
    let res = viewer
        .post(format!("{}/signout", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(c.call_as(&viewer, "overview", &[]).await.0, 401);
    let page = viewer.get(format!("{}/", c.base)).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 303);
    assert!(
        page.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/signin")
    );
}

/// The session a sign-out ended is gone wherever the console keeps it:
/// its cookie, replayed by hand after the sign-out, signs nobody in.
#[tokio::test]
async fn a_signed_out_session_cookie_replayed_is_worthless() {
    let c = Console::start().await;
    let plain = no_redirects();
    let res = sign_in_raw(&c.base).await;
    assert_eq!(res.status().as_u16(), 303);
    let cookie = set_cookie(&res).split(';').next().unwrap().to_string();
    let overview = || {
        plain
            .post(format!("{}/api/overview", c.base))
            .header("sec-fetch-site", "same-origin")
            .header("cookie", &cookie)
            .send()
    };
    // Used a few times first, so it is warm wherever it is kept.
    for _ in 0..3 {
        assert_eq!(overview().await.unwrap().status().as_u16(), 200);
    }
    let out = plain
        .post(format!("{}/signout", c.base))
        .header("sec-fetch-site", "same-origin")
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status().as_u16(), 303);
    assert_eq!(overview().await.unwrap().status().as_u16(), 401);
}

/// The signed-in user is read afresh on every request: a user disabled,
/// or given another role, with `spaceport user` (another process) while
/// the console runs is signed out at their very next call.
#[tokio::test]
async fn a_user_changed_from_the_command_line_is_signed_out_at_once() {
    let c = Console::start().await;
    let viewer = c.as_role(Role::Viewer).await;
    let operator = c.as_role(Role::Operator).await;
    for _ in 0..3 {
        assert_eq!(c.call_as(&viewer, "overview", &[]).await.0, 200);
        assert_eq!(c.call_as(&operator, "overview", &[]).await.0, 200);
    }
    let (ok, out) = spaceport(&c.db, &["disable", "t-viewer"], "");
    assert!(ok, "{out}");
    assert_eq!(c.call_as(&viewer, "overview", &[]).await.0, 401);
    let (ok, out) = spaceport(&c.db, &["role", "t-operator", "viewer"], "");
    assert!(ok, "{out}");
    assert_eq!(c.call_as(&operator, "overview", &[]).await.0, 401);
}

#[tokio::test]
async fn a_session_ends_when_idle() {
    let c = Console::start_with(&["--session-idle-secs", "2"]).await;
    let viewer = c.as_role(Role::Viewer).await;
    assert_eq!(c.call_as(&viewer, "overview", &[]).await.0, 200);
    tokio::time::sleep(Duration::from_millis(3200)).await;
    let (status, body) = c.call_as(&viewer, "overview", &[]).await;
    assert_eq!(status, 401, "{body}");
    assert!(body.to_string().contains("expired"), "{body}");
}

#[tokio::test]
async fn a_busy_session_still_ends_at_its_limit() {
    let c = Console::start_with(&["--session-max-secs", "3", "--session-idle-secs", "60"]).await;
    let viewer = c.as_role(Role::Viewer).await;
    let started = std::time::Instant::now();
    while started.elapsed() < Duration::from_millis(2500) {
        assert_eq!(c.call_as(&viewer, "overview", &[]).await.0, 200);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(c.call_as(&viewer, "overview", &[]).await.0, 401);
    let page = viewer
        .get(format!("{}/audit", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 303);
}

#[tokio::test]
async fn repeated_failures_hold_a_user_back() {
    let c = Console::start().await;
    let client = browser();
    let mut codes = Vec::new();
    for _ in 0..6 {
        let to = sign_in(&client, &c.base, "t-viewer", "wrong password!").await;
        codes.push(to);
    }
    assert!(
        codes[..3].iter().all(|c| c.contains("error=bad")),
        "{codes:?}"
    );
    assert!(
        codes[3..]
            .iter()
            .all(|c| c.contains("error=slow") && c.contains("scope=user")),
        "{codes:?}"
    );
    // Held back: even the right password waits, and is told how long.
    let to = sign_in(&client, &c.base, "t-viewer", PASSWORD).await;
    assert!(to.contains("error=slow") && to.contains("secs="), "{to}");
    assert_eq!(c.call_as(&client, "overview", &[]).await.0, 401);
    // Another user from the same address is not held back.
    assert_eq!(
        sign_in(&browser(), &c.base, "t-operator", PASSWORD).await,
        "/"
    );
    // Every evaluated failure is in the history, with the name tried; the
    // attempts held back are there as refusals.
    let page = c.audit(&[]).await;
    let count = |action: &str, outcome: &str| {
        page.entries
            .iter()
            .filter(|e| {
                e.action == action
                    && e.outcome.as_deref() == Some(outcome)
                    && e.target == "t-viewer"
            })
            .count()
    };
    assert_eq!(count(domain::kind::AuditName::SignIn.as_str(), "error"), 3);
    assert_eq!(count(domain::kind::AuditName::Refused.as_str(), "error"), 4);
}

#[tokio::test]
async fn the_last_admin_stays_an_admin() {
    let c = Console::start().await;
    let (status, body) = c
        .call(
            "set_user_role",
            &[("name", "t-admin"), ("role", "operator")],
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(body.to_string().contains("last enabled admin"), "{body}");
    let users = server::users::Users::new(
        server::audit::AuditLog::open(&c.db)
            .await
            .unwrap()
            .db()
            .clone(),
    );
    assert!(matches!(
        users
            .set_disabled(
                &"t-admin".parse().unwrap(),
                true,
                server::users::Granted::by("command line"),
            )
            .await,
        Err(server::users::UserError::LastAdmin(_))
    ));
    let (status, body) = c
        .call(
            "set_user_disabled",
            &[("name", "t-admin"), ("disabled", "true")],
        )
        .await;
    assert_eq!(status, 409, "{body}");
    // With a second admin, the first may step down; then the second is last.
    let (status, _) = c
        .call(
            "set_user_role",
            &[("name", "t-operator"), ("role", "admin")],
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = c
        .call("set_user_role", &[("name", "t-admin"), ("role", "viewer")])
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(matches!(
        users
            .set_role(
                &"t-operator".parse().unwrap(),
                Role::Viewer,
                server::users::Granted::by("command line"),
            )
            .await,
        Err(server::users::UserError::LastAdmin(_))
    ));
    // A role change ends the changed user's sessions, their own included.
    assert_eq!(c.call("audit", &[]).await.0, 401);
    c.admin.sign_in("t-operator", PASSWORD).await;
    let page = c
        .audit(&[("action", domain::kind::AuditName::UserRole.as_str())])
        .await;
    let roles = &page.entries;
    assert_eq!(roles.len(), 3, "{roles:?}");
    assert_eq!(roles[0].actor, "t-admin");
    assert_eq!(roles[2].outcome.as_deref(), Some("error"));
}

#[tokio::test]
async fn an_invited_user_must_set_a_password_first() {
    let c = Console::start().await;
    let invited: Decided = c
        .read(
            "invite_user",
            &[("name", "Newcomer@Example.com"), ("role", "operator")],
        )
        .await;
    assert!(
        invited
            .message
            .contains("Invited newcomer@example.com as operator"),
        "{invited:?}"
    );
    let one_time = invited.password.as_deref().unwrap();
    let (status, _) = c
        .call(
            "invite_user",
            &[("name", "newcomer@example.com"), ("role", "viewer")],
        )
        .await;
    assert_eq!(status, 409);

    let client = browser();
    assert_eq!(
        sign_in(&client, &c.base, "newcomer@example.com", one_time).await,
        "/password"
    );
    let (status, body) = c.call_as(&client, "overview", &[]).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.to_string().contains("Set your own password"));
    let page = client.get(format!("{}/", c.base)).send().await.unwrap();
    assert_eq!(page.headers()["location"], "/password");
    let change = |current: &str, new: &str, repeat: &str| {
        client
            .post(format!("{}/password", c.base))
            .form(&[("current", current), ("new", new), ("repeat", repeat)])
            .send()
    };
    let res = change(one_time, "short", "short").await.unwrap();
    assert_eq!(res.headers()["location"], "/password?error=weak");
    let res = change(one_time, "my own password", "my own passwort")
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/password?error=mismatch");
    let res = change(one_time, "my own password", "my own password")
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/?password_changed=1");
    assert_eq!(c.call_as(&client, "overview", &[]).await.0, 200);
    // The one-time password is spent.
    assert!(
        sign_in(&browser(), &c.base, "newcomer@example.com", one_time)
            .await
            .contains("error=")
    );
}

#[tokio::test]
async fn a_disabled_user_is_signed_out_at_once() {
    let c = Console::start().await;
    let viewer = c.as_role(Role::Viewer).await;
    assert_eq!(c.call_as(&viewer, "overview", &[]).await.0, 200);
    let (status, _) = c
        .call(
            "set_user_disabled",
            &[("name", "t-viewer"), ("disabled", "true")],
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(c.call_as(&viewer, "overview", &[]).await.0, 401);
    assert!(
        sign_in(&browser(), &c.base, "t-viewer", PASSWORD)
            .await
            .contains("error=bad")
    );
    // An admin cannot disable themselves.
    let (status, _) = c
        .call(
            "set_user_disabled",
            &[("name", "t-admin"), ("disabled", "true")],
        )
        .await;
    assert_eq!(status, 409);
}

#[tokio::test]
async fn pages_carry_a_csp_with_a_nonce_and_the_security_headers() {
    let c = Console::start().await;
    let res = c
        .http
        .get(format!("{}/spaces/{SPACE}", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let h = res.headers().clone();
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|r| r.split('\'').next())
        .expect("a nonce in the CSP");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "same-origin");
    let html = res.text().await.unwrap();
    // Every inline script carries this response's nonce.
    let scripts = html.matches("<script").count();
    assert!(scripts > 0);
    assert_eq!(
        html.matches(&format!("nonce=\"{nonce}\"")).count(),
        scripts,
        "{html}"
    );
    // A nonce is never reused.
    let again = c
        .http
        .get(format!("{}/spaces/{SPACE}", c.base))
        .send()
        .await
        .unwrap();
    assert!(
        !again.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains(nonce)
    );
}

#[tokio::test]
async fn users_are_managed_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db");
    let (ok, out) = spaceport(
        &db,
        &["add", "alice", "--role", "operator"],
        "alice-password-1\n",
    );
    assert!(ok, "{out}");
    let (ok, out) = spaceport(
        &db,
        &["add", "alice", "--role", "viewer"],
        "another-password\n",
    );
    assert!(!ok && out.contains("already exists"), "{out}");
    let (ok, out) = spaceport(&db, &["add", "bob", "--role", "root"], "bob-password-12\n");
    assert!(!ok && out.contains("not a role"), "{out}");
    let (ok, out) = spaceport(&db, &["add", "carol"], "short\n");
    assert!(!ok && out.contains("at least 10"), "{out}");
    let (ok, out) = spaceport(&db, &["role", "alice", "admin"], "");
    assert!(ok, "{out}");
    let (ok, out) = spaceport(&db, &["disable", "alice"], "");
    assert!(!ok && out.contains("last enabled admin"), "{out}");
    let (ok, out) = spaceport(&db, &["passwd", "alice"], "alice-password-2\n");
    assert!(ok, "{out}");
    let (ok, out) = spaceport(&db, &["list"], "");
    assert!(
        ok && out.contains("alice") && out.contains("admin"),
        "{out}"
    );
    assert!(!out.contains("carol"), "{out}");
    let audit = server::audit::AuditLog::open(&db).await.unwrap();
    let entries = audit.recent(50).await.unwrap();
    use domain::kind::AuditName as N;
    let actions: Vec<(&str, Option<&str>)> = entries
        .iter()
        .filter(|e| e.action != N::AuditKeyed.as_str())
        .map(|e| (e.action.as_str(), e.outcome.as_deref()))
        .collect();
    // Each through the executor: the refused disable is recorded too, with
    // its error; what failed its checks (a taken name, a bad role, a short
    // password) never got as far as an intent.
    assert_eq!(
        actions,
        [
            (N::UserPassword.as_str(), Some("ok")),
            (N::UserDisable.as_str(), Some("error")),
            (N::UserRole.as_str(), Some("ok")),
            (N::UserCreate.as_str(), Some("ok")),
        ]
    );
    assert!(
        entries
            .iter()
            .all(|e| e.actor == "command line" || e.action == N::AuditKeyed.as_str())
    );
    let users = server::users::Users::new(audit.db().clone());
    let alice = users.by_name("alice").await.unwrap().unwrap();
    assert_eq!(
        server::users::password::verify("alice-password-2", &alice.password_hash).await,
        Ok(true)
    );
}
