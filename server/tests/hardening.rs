//! The console tried as an attacker would, over HTTP against a running
//! console: sign-in redirects, guessing bursts, proxies, sessions that
//! outlive a credential change, what a failed sign-in leaves in the
//! history, a demo that could plant an admin, file permissions, requests
//! without a browser's origin headers, and refusals in the history.

use crate::common::{Console, PASSWORD, PCX, SPACE, browser, sign_in, spaceport};
use clap::Parser;
use domain::access::Role;
use domain::views::Overview;
use sqlx::Connection;
use std::time::Duration;

/// Every row of the audit history, oldest first, as (actor, action,
/// target, outcome, message, detail).
async fn history(db: &std::path::Path) -> Vec<[String; 6]> {
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    sqlx::query_as::<
        _,
        (
            String,
            String,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
        ),
    >(
        "SELECT actor, action, target, outcome, message, detail FROM audit_events \
         WHERE kind = 'outcome' ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap()
    .into_iter()
    .map(|(a, b, c, d, e, f)| {
        [
            a,
            b,
            c,
            d.unwrap_or_default(),
            e.unwrap_or_default(),
            f.unwrap_or_default(),
        ]
    })
    .collect()
}

/// Posts the sign-in form with `next`; the status and the Location.
async fn sign_in_to(base: &str, name: &str, password: &str, next: &str) -> (u16, String) {
    let res = browser()
        .post(format!("{base}/signin"))
        .form(&[("name", name), ("password", password), ("next", next)])
        .send()
        .await
        .unwrap();
    let location = res
        .headers()
        .get("location")
        .map(|l| String::from_utf8_lossy(l.as_bytes()).to_string())
        .unwrap_or_default();
    (res.status().as_u16(), location)
}

/// Where a browser goes with this Location, from a page of the console:
/// the URL parser follows the browsers' rules (it drops tabs and
/// newlines, reads `\` as `/`).
fn stays_on_the_console(location: &str) -> bool {
    let home = url::Url::parse("http://console.test/signin").unwrap();
    location.bytes().all(|b| (0x21..=0x7e).contains(&b))
        && home
            .join(location)
            .is_ok_and(|u| u.origin() == home.origin())
}

#[tokio::test]
async fn sign_in_never_sends_anyone_off_site() {
    let c = Console::start().await;
    let hostile = [
        "/%09/evil.example/x",
        "/\t/evil.example/x",
        "/\n/evil.example/x",
        "/\r\nSet-Cookie: x=1",
        "/\\evil.example",
        "/%5Cevil.example",
        "\\\\evil.example",
        "//evil.example",
        "/%2F%2Fevil.example",
        "%2F%2Fevil.example",
        "https://evil.example/",
        "https:evil.example",
        "javascript:alert(1)",
        " //evil.example",
        "/ /evil.example",
        "/\u{0}/evil.example",
        "/é/x",
    ];
    for next in hostile {
        // A wrong password comes back to the sign-in page with `next`...
        let (status, location) = sign_in_to(&c.base, "t-viewer", "wrong password!", next).await;
        assert_eq!(status, 303, "{next:?}");
        assert!(stays_on_the_console(&location), "{next:?} -> {location:?}");
        // ...and the right one goes to `next` only if it stays here.
        let (status, location) = sign_in_to(&c.base, "t-operator", PASSWORD, next).await;
        assert_eq!(status, 303, "{next:?}: a bad `next` is no server error");
        assert!(stays_on_the_console(&location), "{next:?} -> {location:?}");
    }
    // A path of the console is still followed, query and all.
    let (_, location) = sign_in_to(&c.base, "t-operator", PASSWORD, "/spaces/x?y=1").await;
    assert_eq!(location, "/spaces/x?y=1");
}

#[tokio::test]
async fn a_burst_of_guesses_evaluates_only_the_allowed_passwords() {
    let c = Console::start().await;
    let guesses = (0..100).map(|i| {
        let base = c.base.clone();
        // The right password hides at the end of the burst.
        let password = if i == 99 {
            PASSWORD.to_string()
        } else {
            format!("wrong password {i}")
        };
        tokio::spawn(async move { sign_in_to(&base, "t-viewer", &password, "/").await })
    });
    let answers = futures::future::join_all(guesses).await;
    for a in &answers {
        let (status, _) = a.as_ref().unwrap();
        assert!(*status == 303 || *status == 429, "{status}");
    }
    // Only an evaluated password leaves "wrong user name or password".
    let evaluated = history(&c.db)
        .await
        .iter()
        .filter(|r| {
            r[1] == domain::kind::AuditName::SignIn.as_str()
                && r[4].contains("wrong user name or password")
        })
        .count();
    assert!(
        evaluated <= 4,
        "{evaluated} passwords were evaluated for one name in a burst"
    );
}

#[tokio::test]
async fn guessing_slows_a_name_down_but_cannot_lock_its_owner_out() {
    let c = Console::start().await;
    for _ in 0..3 {
        let (_, to) = sign_in_to(&c.base, "t-viewer", "wrong password!", "/").await;
        assert!(to.contains("error=bad"), "{to}");
    }
    // The next attempt must wait, and is told how long.
    let (_, to) = sign_in_to(&c.base, "t-viewer", "wrong password!", "/").await;
    assert!(to.contains("error=slow") && to.contains("secs="), "{to}");
    // Once the wait is over, the owner signs in: no long lock anyone can set off.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (_, to) = sign_in_to(&c.base, "t-viewer", PASSWORD, "/").await;
    assert_eq!(to, "/");
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_address() {
    let c = Console::start_with(&["--trusted-proxy", "127.0.0.0/8"]).await;
    let attempt = |from: &'static str, name: &'static str, password: &'static str| {
        let base = c.base.clone();
        async move {
            let res = browser()
                .post(format!("{base}/signin"))
                .header("x-forwarded-for", format!("198.51.100.77, {from}"))
                .form(&[("name", name), ("password", password), ("next", "/")])
                .send()
                .await
                .unwrap();
            res.headers()["location"].to_str().unwrap().to_string()
        }
    };
    // One client guesses many names at once until its address is locked...
    let names: Vec<&'static str> = (0..30)
        .map(|i| &*Box::leak(format!("nobody-{i}").into_boxed_str()))
        .collect();
    futures::future::join_all(
        names
            .iter()
            .map(|name| attempt("203.0.113.9", name, "wrong password!")),
    )
    .await;
    let to = attempt("203.0.113.9", "t-viewer", PASSWORD).await;
    assert!(to.contains("scope=address"), "{to}");
    // ...and another client behind the same proxy is not.
    assert_eq!(attempt("203.0.113.10", "t-viewer", PASSWORD).await, "/");
    // The rightmost address not of a trusted proxy counts, not what the
    // client wrote further left.
    let history = history(&c.db).await;
    assert!(
        history.iter().any(|r| r[5].contains("203.0.113.10")),
        "{history:?}"
    );
    assert!(!history.iter().any(|r| r[5].contains("198.51.100.77")));

    // Without --trusted-proxy, X-Forwarded-For is nobody's word.
    let direct = Console::start().await;
    let res = browser()
        .post(format!("{}/signin", direct.base))
        .header("x-forwarded-for", "203.0.113.10")
        .form(&[("name", "t-viewer"), ("password", PASSWORD), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    let history = self::history(&direct.db).await;
    assert!(!history.iter().any(|r| r[5].contains("203.0.113.10")));
    assert!(history.iter().any(|r| r[5].contains("127.0.0.1")));
}

/// A client signed in as `name`.
async fn signed_in(c: &Console, name: &str, password: &str) -> reqwest::Client {
    let client = browser();
    assert_eq!(sign_in(&client, &c.base, name, password).await, "/");
    client
}

async fn change_password(c: &Console, client: &reqwest::Client, current: &str, new: &str) {
    let res = client
        .post(format!("{}/password", c.base))
        .form(&[("current", current), ("new", new), ("repeat", new)])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["location"].to_str().unwrap(),
        "/?password_changed=1"
    );
}

#[tokio::test]
async fn a_credential_change_ends_the_other_sessions() {
    let c = Console::start().await;
    // A password changed on the page: the other browser is signed out,
    // this one stays.
    let laptop = signed_in(&c, "t-viewer", PASSWORD).await;
    let phone = signed_in(&c, "t-viewer", PASSWORD).await;
    change_password(&c, &laptop, PASSWORD, "a-new-password-1").await;
    assert_eq!(c.call_as(&laptop, "overview", &[]).await.0, 200);
    assert_eq!(c.call_as(&phone, "overview", &[]).await.0, 401);

    // A password set with `spaceport user passwd`.
    let operator = signed_in(&c, "t-operator", PASSWORD).await;
    assert_eq!(c.call_as(&operator, "overview", &[]).await.0, 200);
    let (ok, out) = spaceport(&c.db, &["passwd", "t-operator"], "another-password-2\n");
    assert!(ok, "{out}");
    assert_eq!(c.call_as(&operator, "overview", &[]).await.0, 401);

    // A role changed by an admin.
    let viewer = signed_in(&c, "t-viewer", "a-new-password-1").await;
    let (status, body) = c
        .call(
            "set_user_role",
            &[("name", "t-viewer"), ("role", "operator")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(c.call_as(&viewer, "overview", &[]).await.0, 401);
}

#[tokio::test]
async fn renewing_a_session_keeps_its_absolute_limit() {
    let c = Console::start_with(&["--session-max-secs", "3", "--session-idle-secs", "60"]).await;
    let viewer = signed_in(&c, "t-viewer", PASSWORD).await;
    tokio::time::sleep(Duration::from_millis(2000)).await;
    change_password(&c, &viewer, PASSWORD, "a-new-password-1").await;
    assert_eq!(c.call_as(&viewer, "overview", &[]).await.0, 200);
    // Past the limit by more than the second the times are kept in.
    tokio::time::sleep(Duration::from_millis(2200)).await;
    assert_eq!(c.call_as(&viewer, "overview", &[]).await.0, 401);
}

#[tokio::test]
async fn a_failed_sign_in_keeps_no_unknown_name() {
    let c = Console::start().await;
    // Someone types their password into the name field.
    sign_in_to(&c.base, "hunter2-correct-horse", "whatever-else", "/").await;
    sign_in_to(&c.base, "t-viewer", "wrong password!", "/").await;
    let history = history(&c.db).await;
    let text = format!("{history:?}");
    assert!(!text.contains("hunter2"), "{text}");
    let failed: Vec<_> = history
        .iter()
        .filter(|r| r[1] == domain::kind::AuditName::SignIn.as_str() && r[3] == "error")
        .collect();
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert_eq!(failed[0][2], "an unknown name");
    assert!(failed[0][5].contains("127.0.0.1"), "{failed:?}");
    assert_eq!(failed[1][2], "t-viewer");
}

#[tokio::test]
async fn the_database_and_its_journal_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let c = Console::start().await;
    // Something written, so the journal files exist.
    assert_eq!(c.call("audit", &[]).await.0, 200);
    for suffix in ["", "-wal", "-shm"] {
        let path = format!("{}{suffix}", c.db.display());
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{path} is {mode:o}");
    }
}

/// Builds a console from a command line; the router, or why not.
async fn build(args: &[&str]) -> Result<axum::Router, String> {
    let cli = server::config::Cli::try_parse_from(args).map_err(|e| e.to_string())?;
    server::startup::build(&cli.serve)
        .await
        .map(|(router, _)| router)
        .map_err(|e| e.to_string())
}

#[tokio::test]
async fn a_database_serves_the_provider_it_started_with() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("real.db");
    let db = db.to_str().unwrap();
    crate::common::make_users(std::path::Path::new(db)).await;
    let sim = crate::common::Sim::start(600.0).await;
    let real = [
        "spaceport",
        "--listen",
        "127.0.0.1:0",
        "--database",
        db,
        "--api-url",
        &sim.url,
        "--data-api-url",
        &sim.data_url,
        "--api-key",
        crate::common::TOKEN,
    ];
    let _first = build(&real).await.expect("the first start chooses");
    // The same database without a token (the simulated provider) is refused...
    let err = build(&["spaceport", "--listen", "127.0.0.1:0", "--database", db])
        .await
        .unwrap_err();
    assert!(
        err.contains("simulated provider") && err.contains(&sim.url),
        "{err}"
    );
    // ...and so is another provider.
    let mut elsewhere = real;
    elsewhere[7] = "http://127.0.0.1:9/";
    let err = build(&elsewhere).await.unwrap_err();
    assert!(err.contains("http://127.0.0.1:9/"), "{err}");
    // The real one still starts.
    let _again = build(&real).await.expect("the same provider starts again");
    // The command line says so with a failure, and says why. Waited for
    // off the runtime's one thread: blocking it would freeze the consoles
    // above in the middle of a write, and the child would find the file
    // locked instead of bound.
    let db = db.to_owned();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_spaceport"))
            .args(["--listen", "127.0.0.1:0", "--database", &db])
            .env_remove("HEROKU_API_KEY")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("serves"), "{stderr}");
}

#[tokio::test]
async fn the_demo_keeps_its_own_file_and_its_users_manage_nobody() {
    // Without a token and without --database, the demo's own file.
    let cli = server::config::Cli::try_parse_from(["spaceport"]).unwrap();
    assert_eq!(
        cli.serve.database(),
        server::db::Location::File("spaceport-demo.db".into())
    );
    let cli = server::config::Cli::try_parse_from(["spaceport", "--api-key", "k"]).unwrap();
    assert_eq!(
        cli.serve.database(),
        server::db::Location::File("spaceport.db".into())
    );

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    // A user made with `spaceport user add` on a demo database is fine.
    let (ok, out) = spaceport(
        &db,
        &["add", "t-admin", "--role", "admin"],
        "test-password-1\n",
    );
    assert!(ok, "{out}");
    let router = build(&[
        "spaceport",
        "--listen",
        "127.0.0.1:0",
        "--database",
        db.to_str().unwrap(),
    ])
    .await
    .expect("the demo starts");
    let base = crate::common::serve(router).await;
    // The demo's admin (its password is new at every start; set one here).
    let audit = server::audit::AuditLog::open(&db).await.unwrap();
    server::users::Users::new(audit.db().clone())
        .set_password(
            &"demo-admin".parse().unwrap(),
            &domain::ids::Secret::new(PASSWORD),
            false,
        )
        .await
        .unwrap();
    let demo_admin = browser();
    assert_eq!(
        sign_in(&demo_admin, &base, "demo-admin", PASSWORD).await,
        "/"
    );
    // A viewer: making an admin would wait for another admin's approval.
    let invite = |client: &reqwest::Client, name: &str| {
        client
            .post(format!("{base}/api/invite_user"))
            .form(&[("name", name), ("role", "viewer")])
            .send()
    };
    let res = invite(&demo_admin, "planted").await.unwrap();
    assert_eq!(res.status().as_u16(), 403);
    assert!(res.text().await.unwrap().contains("demo"));
    let real_admin = browser();
    assert_eq!(sign_in(&real_admin, &base, "t-admin", PASSWORD).await, "/");
    assert_eq!(
        invite(&real_admin, "colleague").await.unwrap().status(),
        200
    );
}

#[tokio::test]
async fn a_signed_in_post_without_origin_headers_is_refused() {
    let c = Console::start().await;
    // A session used by something that says nothing of where the request
    // comes from, or says it was typed in (`none`).
    for fetch_site in [None, Some("none")] {
        let bare = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        assert_eq!(sign_in(&bare, &c.base, "t-operator", PASSWORD).await, "/");
        let mut req = bare
            .post(format!("{}/api/accept_peering", c.base))
            .form(&[("space", SPACE), ("pcx_id", PCX)]);
        if let Some(v) = fetch_site {
            req = req.header("sec-fetch-site", v);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status().as_u16(), 403, "{fetch_site:?}");
        assert!(res.text().await.unwrap().contains("Nothing was changed"));
    }
    assert_eq!(c.peering_status(PCX).await, "pending-acceptance");
    // A script without a session may still sign in.
    let script = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = script
        .post(format!("{}/signin", c.base))
        .form(&[("name", "t-viewer"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/");
}

#[tokio::test]
async fn refusals_are_audited_but_cannot_flood_the_history() {
    let c = Console::start().await;
    let viewer = c.as_role(Role::Viewer).await;
    let (status, _) = c
        .call_as(
            &viewer,
            "accept_peering",
            &[("space", SPACE), ("pcx_id", PCX)],
        )
        .await;
    assert_eq!(status, 403);
    let cross = c
        .http
        .post(format!("{}/api/accept_peering", c.base))
        .header("sec-fetch-site", "cross-site")
        .form(&[("space", SPACE), ("pcx_id", PCX)])
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status().as_u16(), 403);
    let refused: Vec<_> = history(&c.db)
        .await
        .into_iter()
        .filter(|r| r[1] == domain::kind::AuditName::Refused.as_str())
        .collect();
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert_eq!(refused[0][0], "t-viewer");
    assert!(refused[0][4].contains("accept peerings"), "{refused:?}");
    assert!(refused[1][4].contains("another site"), "{refused:?}");

    // A flood of refusals from one source leaves a bounded trace.
    for _ in 0..200 {
        c.call_as(&viewer, "destroy_peering", &[("space", SPACE)])
            .await;
    }
    let refused = history(&c.db)
        .await
        .into_iter()
        .filter(|r| r[1] == domain::kind::AuditName::Refused.as_str())
        .count();
    assert!(refused <= 25, "{refused} refusals recorded");
}

#[tokio::test]
async fn the_simulators_control_surface_needs_its_token_and_json() {
    let sim = crate::common::Sim::start(600.0).await;
    let url = format!("{}/_sim/spaces/{SPACE}/peering-requests", sim.url);
    let body = r#"{"aws_account_id":"210987654321","vpc_id":"vpc-0fedcba987654321","cidr_block":"10.200.0.0/16","immediate":true}"#;
    let http = reqwest::Client::new();
    // What a web page can send anywhere: a text/plain POST, no token.
    let res = http
        .post(&url)
        .header("content-type", "text/plain")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    let res = http
        .post(&url)
        .bearer_auth(crate::common::TOKEN)
        .header("content-type", "text/plain")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 415);
    let res = http
        .post(&url)
        .bearer_auth(crate::common::TOKEN)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    // Only the injected request from the token's holder arrived.
    let peerings = sim
        .client()
        .list_peerings(SPACE)
        .await
        .unwrap()
        .value
        .into_iter()
        .filter(|p| p.aws_account_id.as_deref() == Some("210987654321"))
        .count();
    assert_eq!(peerings, 1);
}

#[tokio::test]
async fn a_space_is_one_space_by_name_or_id_in_any_case() {
    let c = Console::start().await;
    let viewer = c.as_role(Role::Viewer).await;
    // A known space by its id, in capitals, is the same space and the same
    // cached read.
    let id = c
        .sim
        .client()
        .get_space(SPACE)
        .await
        .unwrap()
        .value
        .id
        .to_uppercase();
    assert_eq!(
        c.call_as(&viewer, "space", &[("space", SPACE)]).await.0,
        200
    );
    let before_id = c.sim.stats().await.calls;
    let (status, view) = c.call_as(&viewer, "space", &[("space", &id)]).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["name"], SPACE);
    assert_eq!(
        c.sim.stats().await.calls,
        before_id,
        "served from the same reads"
    );
}

#[tokio::test]
async fn made_up_spaces_cost_the_provider_almost_nothing() {
    let c = Console::start().await;
    let viewer = c.as_role(Role::Viewer).await;
    assert_eq!(
        c.call_as(&viewer, "space", &[("space", SPACE)]).await.0,
        200
    );
    let before = c.sim.stats().await.calls;
    for i in 0..200 {
        let made_up = if i % 2 == 0 {
            format!("no-such-space-{i}")
        } else {
            format!("6A1B2C3D-0000-4000-8000-{i:012}")
        };
        let (status, body) = c.call_as(&viewer, "space", &[("space", &made_up)]).await;
        assert_eq!(status, 404, "{made_up}: {body}");
        assert!(body.to_string().contains("no space"), "{body}");
    }
    let spent = c.sim.stats().await.calls - before;
    assert!(
        spent <= 3,
        "200 unknown-space reads cost {spent} provider calls"
    );
}

#[tokio::test]
async fn one_user_cannot_spend_everyones_budget() {
    let c = Console::start_with(&["--user-calls-per-minute", "10"]).await;
    let viewer = c.as_role(Role::Viewer).await;
    let mut refused = Vec::new();
    for _ in 0..15 {
        let (status, body) = c.call_as(&viewer, "overview", &[]).await;
        if status == 429 {
            refused.push(body.to_string());
        }
    }
    assert_eq!(refused.len(), 5, "{refused:?}");
    assert!(refused[0].contains("faster than it allows"), "{refused:?}");
    // Another user has a budget of their own.
    let operator = c.as_role(Role::Operator).await;
    assert_eq!(c.call_as(&operator, "overview", &[]).await.0, 200);
}

#[tokio::test]
async fn the_overview_shows_what_is_left_of_the_providers_budget() {
    let c = Console::start().await;
    let overview: Overview = c.read("overview", &[]).await;
    let left = overview.provider_budget.as_ref().map(|b| b.remaining);
    assert!(left.is_some_and(|n| n > 4000 && n < 4500), "{overview:?}");
    // When the provider says the budget is gone, the overview says so.
    c.sim
        .control(
            reqwest::Method::PUT,
            "/settings",
            serde_json::json!({"rate_limit_remaining": 3}),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let overview: Overview = c.read("overview", &[]).await;
    let left = overview.provider_budget.as_ref().map(|b| b.remaining);
    assert!(left.is_some_and(|n| n <= 3), "{overview:?}");
}

/// The console's `/metrics` text, scraped with `token`.
async fn scrape(c: &Console, token: &str) -> String {
    reqwest::Client::new()
        .get(format!("{}/metrics", c.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn made_up_methods_and_paths_do_not_grow_the_metrics() {
    use futures::StreamExt;
    let token = "metrics-token-0123456789";
    let c = Console::start_with(&["--metrics-token", token]).await;
    // Every label a normal request makes exists once already.
    let http = reqwest::Client::new();
    for path in ["/healthz", "/no/such/page"] {
        http.get(format!("{}{path}", c.base)).send().await.unwrap();
    }
    let before = scrape(&c, token).await.len();
    // Anyone, signed in or not, in parallel: a method name made up for
    // each request (any token is a valid method), and paths nobody routes.
    let answered = futures::stream::iter(0..2000)
        .map(|i| {
            let method = reqwest::Method::from_bytes(format!("M{i:05}X").as_bytes()).unwrap();
            let path = if i % 2 == 0 {
                "/healthz".to_string()
            } else {
                format!("/made/up/{i}")
            };
            http.request(method, format!("{}{path}", c.base)).send()
        })
        .buffer_unordered(32)
        .filter(|r| std::future::ready(r.is_ok()))
        .count()
        .await;
    assert_eq!(answered, 2000);
    let after = scrape(&c, token).await;
    assert!(
        after.len() < before + 2048,
        "the scrape grew from {before} to {} bytes",
        after.len()
    );
    assert!(after.contains("method=\"other\""), "{after}");
}

#[tokio::test]
async fn a_backup_is_private_whatever_the_umask_and_not_left_where_others_write() {
    use std::os::unix::fs::PermissionsExt;
    let c = Console::start().await;
    let run = |file: &std::path::Path, extra: &str| {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "umask 022; exec \"$0\" backup {extra} --database \"$1\" \"$2\""
            ))
            .arg(env!("CARGO_BIN_EXE_spaceport"))
            .arg(&c.db)
            .arg(file)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.code(), text)
    };
    let copy = c.db.with_file_name("private-copy.db");
    let (code, out) = run(&copy, "");
    assert_eq!(code, Some(0), "{out}");
    let mode = std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the copy holds live session ids: {mode:o}");

    // A directory any local user may write to: refused unless told so.
    let shared = c.db.with_file_name("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).unwrap();
    let (code, out) = run(&shared.join("copy.db"), "");
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("can be written by others"), "{out}");
    assert!(!shared.join("copy.db").exists());
    let (code, out) = run(&shared.join("copy.db"), "--allow-shared-directory");
    assert_eq!(code, Some(0), "{out}");
    let mode = std::fs::metadata(shared.join("copy.db"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
}

#[tokio::test]
async fn checkpoints_and_exports_are_private_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let c = Console::start().await;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    // An export written to a file of its own.
    let file = c.db.with_file_name("export.jsonl");
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("umask 022; exec \"$0\" audit export --format jsonl --output \"$2\" --database \"$1\"")
        .arg(env!("CARGO_BIN_EXE_spaceport"))
        .arg(&c.db)
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(mode(&file), 0o600);
    assert!(std::fs::read_to_string(&file).unwrap().contains("\"mac\""));
    // Checkpoints, into a directory that already existed.
    let dir = c.db.with_file_name("checkpoints-here");
    std::fs::create_dir(&dir).unwrap();
    let dir_arg = dir.to_str().unwrap().to_string();
    let c = c
        .restart(&[
            "--audit-checkpoint-dir",
            &dir_arg,
            "--audit-checkpoint-every",
            "1",
        ])
        .await;
    assert_eq!(
        c.call(
            "set_user_role",
            &[("name", "t-viewer"), ("role", "operator")]
        )
        .await
        .0,
        200
    );
    let mut found = Vec::new();
    for _ in 0..100 {
        found = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        if !found.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!found.is_empty(), "a checkpoint was written");
    for path in found {
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
}

#[tokio::test]
async fn readiness_takes_no_write_lock() {
    let c = Console::start().await;
    // Someone else holds the database's write lock (a long write).
    let mut writer = sqlx::SqliteConnection::connect(&format!("sqlite://{}", c.db.display()))
        .await
        .unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut writer)
        .await
        .unwrap();
    let anyone = reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let res = anyone
        .get(format!("{}/readyz", c.base))
        .send()
        .await
        .expect("answered while another process writes");
    assert_eq!(res.status().as_u16(), 200);
    assert!(started.elapsed() < Duration::from_secs(2));
    sqlx::query("ROLLBACK").execute(&mut writer).await.unwrap();

    // A flood of anonymous checks, in parallel, leaves sign-ins their
    // database: they still sign in while it lasts.
    use futures::StreamExt;
    let flood = {
        let base = c.base.clone();
        tokio::spawn(async move {
            futures::stream::iter(0..3000)
                .map(|_| anyone.get(format!("{base}/readyz")).send())
                .buffer_unordered(64)
                .filter(|r| std::future::ready(r.as_ref().is_ok_and(|r| r.status() == 200)))
                .count()
                .await
        })
    };
    let started = std::time::Instant::now();
    for _ in 0..5 {
        let _ = c.as_role(Role::Viewer).await;
    }
    let signing_in = started.elapsed();
    let ready = flood.await.unwrap();
    assert_eq!(ready, 3000);
    assert!(
        signing_in < Duration::from_secs(10),
        "5 sign-ins took {signing_in:?} under the flood"
    );
}

#[tokio::test]
async fn refusals_from_many_addresses_leave_a_bounded_trace_and_a_summary() {
    use futures::StreamExt;
    let c = Console::start_with(&["--trusted-proxy", "127.0.0.1"]).await;
    // 600 addresses, each refused three times (another site's POST).
    let http = reqwest::Client::new();
    let refused = futures::stream::iter(0..1800u32)
        .map(|i| {
            let n = i / 3;
            http.post(format!("{}/api/accept_peering", c.base))
                .header("x-forwarded-for", format!("10.{}.{}.7", n / 250, n % 250))
                .header("sec-fetch-site", "cross-site")
                .form(&[("space", SPACE), ("pcx_id", PCX)])
                .send()
        })
        .buffer_unordered(16)
        .filter(|r| std::future::ready(r.as_ref().is_ok_and(|r| r.status() == 403)))
        .count()
        .await;
    assert_eq!(refused, 1800);
    let rows: Vec<_> = history(&c.db)
        .await
        .into_iter()
        .filter(|r| r[1] == domain::kind::AuditName::Refused.as_str())
        .collect();
    assert!(rows.len() <= 120, "{} refusals recorded", rows.len());
    let summary = rows
        .iter()
        .find(|r| r[4].contains("were not recorded one by one"))
        .unwrap_or_else(|| panic!("no summary among {rows:?}"));
    assert_eq!(summary[0], "spaceport");
}

#[tokio::test]
async fn page_loads_count_against_the_users_limit_too() {
    let c = Console::start_with(&["--user-calls-per-minute", "10"]).await;
    let viewer = c.as_role(Role::Viewer).await;
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for i in 0..15 {
        let path = if i % 2 == 0 {
            "/audit?text=provisioning"
        } else {
            "/"
        };
        let res = viewer
            .get(format!("{}{path}", c.base))
            .send()
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
        if res.status() == 429 {
            retry_after = res
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            let body = res.text().await.unwrap();
            assert!(body.contains("faster than it allows"), "{body}");
        }
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        5,
        "{statuses:?}"
    );
    assert!(retry_after.is_some_and(|s| (1..=60).contains(&s)));
    // Server functions share the same limit.
    let (status, _) = c.call_as(&viewer, "overview", &[]).await;
    assert_eq!(status, 429);
}

#[tokio::test]
async fn the_consoles_own_names_are_not_user_names() {
    let c = Console::start().await;
    let (status, body) = c
        .call("invite_user", &[("name", "spaceport"), ("role", "viewer")])
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("the console's own"), "{body}");
    for name in ["spaceport", "command-line"] {
        let (ok, out) = spaceport(
            &c.db,
            &["add", name, "--role", "admin"],
            "a-long-password-1\n",
        );
        assert!(!ok, "{name}: {out}");
    }
}

#[tokio::test]
async fn a_webhook_name_holds_no_control_characters_and_a_slack_url_stays_masked() {
    let c = Console::start().await;
    let (status, body) = c
        .call(
            "add_webhook",
            &[
                ("name", "ops\nFAKE LOG LINE level=error"),
                ("url", "https://hooks.example.com/x"),
                ("format", "json"),
                ("kinds", "peering.requested"),
            ],
        )
        .await;
    assert_eq!(status, 400, "{body}");
    // Backslashes are slashes to a URL parser: the path is still the
    // credential, and never reaches the history.
    let (status, body) = c
        .call(
            "add_webhook",
            &[
                ("name", "slack"),
                (
                    "url",
                    "https://hooks.slack.com\\services\\T0000\\B0000\\SECRETPART42",
                ),
                ("format", "slack"),
                ("kinds", "peering.requested"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let rows = history(&c.db).await;
    let add = rows
        .iter()
        .find(|r| r[1] == "webhook.add")
        .expect("recorded");
    assert!(!format!("{rows:?}").contains("SECRETPART42"), "{add:?}");
    assert!(add[5].contains("https://hooks.slack.com/…"), "{add:?}");
}

#[test]
fn secrets_are_refused_on_the_command_line() {
    for (flag, value) in [
        ("--metrics-token", "metrics-token-0123456789"),
        ("--api-key", "provider-token-0123"),
    ] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_spaceport"))
            .args(["--listen", "127.0.0.1:0", "--database"])
            .arg(std::env::temp_dir().join(format!("never-made-{}.db", std::process::id())))
            .args([flag, value])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if started.elapsed() > Duration::from_secs(5) {
                child.kill().unwrap();
                child.wait().unwrap();
                break None;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let out = child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(status.and_then(|s| s.code()), Some(2), "{flag}: {text}");
        assert!(text.contains("process list"), "{flag}: {text}");
        assert!(!text.contains(value), "{flag}: {text}");
    }
}
