//! Tokens for automation, end to end: made on the command line and on the
//! Users page, used over real HTTP with `Authorization: Bearer`, held to
//! their role and to the approval policy (they ask; they never decide),
//! refused once expired or revoked, and found by a scan of leaked files.

use crate::common::{Console, SPACE, spaceport_token};
use domain::access::Role;
use domain::model::NewToken;
use domain::views::{SpaceView, UsersView};
use serde_json::Value;

/// The seeded pending peering request in `SPACE`.
const PENDING: &str = "pcx-111aaa111";

/// Makes a token on the command line; the token it printed.
fn make_token(c: &Console, name: &str, role: &str) -> String {
    let (code, out) = spaceport_token(&c.db, &["create", name, "--role", role, "--expires", "30d"]);
    assert_eq!(code, Some(0), "{out}");
    out.split_whitespace()
        .find(|w| w.starts_with("spt_"))
        .unwrap_or_else(|| panic!("no token printed: {out}"))
        .to_string()
}

/// Calls server function `name` with `token` only (no cookie), as a CI job
/// with curl does.
async fn with_token(c: &Console, token: &str, name: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().unwrap(),
    );
    crate::common::call_at(&c.base, &crate::common::browser_with(headers), name, form).await
}

fn expect_peer(account: &'static str) -> Vec<(&'static str, String)> {
    let until = (time::OffsetDateTime::now_utc() + time::Duration::days(30))
        .date()
        .to_string();
    vec![
        ("space", SPACE.to_string()),
        ("aws_account_id", account.to_string()),
        ("vpc_id", "vpc-0fedcba987654321".to_string()),
        ("cidr", "10.200.0.0/16".to_string()),
        ("region", String::new()),
        ("note", "NET-42 payments".to_string()),
        ("valid_until", until),
    ]
}

fn pairs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[tokio::test]
async fn a_token_acts_as_its_service_user_and_shows_its_last_use() {
    let c = Console::start().await;
    let token = make_token(&c, "ci-peers", "operator");
    assert!(server::users::tokens::well_formed(&token), "{token}");

    let form = expect_peer("210987654321");
    let (status, body) = with_token(&c, &token, "expect_peer", &pairs(&form)).await;
    assert_eq!(status, 200, "{body}");

    // Scripts send JSON; the same fields, as one object, do the same.
    let json: serde_json::Map<String, Value> = expect_peer("210987654322")
        .into_iter()
        .map(|(k, v)| (k.to_string(), Value::String(v)))
        .collect();
    // A number goes as its text (the id of nothing: refused as such).
    let res = reqwest::Client::new()
        .post(format!("{}/api/forget_peer", c.base))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "id": 999 }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 404, "{}", res.text().await.unwrap());
    let res = reqwest::Client::new()
        .post(format!("{}/api/expect_peer", c.base))
        .bearer_auth(&token)
        .json(&json)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200, "{}", res.text().await.unwrap());
    let res = reqwest::Client::new()
        .post(format!("{}/api/expect_peer", c.base))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("[1, 2]")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    assert!(res.text().await.unwrap().contains("not one JSON object"));

    // The history names the token's service user, not a person.
    let page = c.audit(&[("action", "peer.expect")]).await;
    assert_eq!(page.entries[0].actor, "ci-peers", "{:?}", page.entries[0]);
    let made = c.audit(&[("action", "token.create")]).await;
    assert_eq!(made.entries[0].actor, "command line");
    assert!(
        !format!("{made:?}").contains(&token[4..]),
        "the token is never in the history"
    );

    // Listed with its last use, never with the token itself.
    let users: UsersView = c.read("users", &[]).await;
    let listed = users.tokens.iter().find(|t| t.name == "ci-peers").unwrap();
    assert!(listed.last_used_at.is_some(), "{listed:?}");
    assert_eq!(listed.hint, token[token.len() - 4..]);
    assert!(!serde_json::to_string(&users).unwrap().contains(&token[4..]));
    let (code, out) = spaceport_token(&c.db, &["list"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("ci-peers") && out.contains("active"), "{out}");
    assert!(!out.contains(&token[4..]), "{out}");

    // A token is for the server functions; pages are for people.
    let page = reqwest::Client::new()
        .get(format!("{}/spaces/{SPACE}", c.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 401);

    // Nobody signs in with a password as a token's service user.
    let client = crate::common::browser();
    let res = client
        .post(format!("{}/signin", c.base))
        .form(&[("name", "ci-peers"), ("password", "!")])
        .send()
        .await
        .unwrap();
    let went = res.headers()[reqwest::header::LOCATION].to_str().unwrap();
    assert!(went.contains("error=bad"), "{went}");
}

#[tokio::test]
async fn a_token_is_held_to_its_role_and_never_manages_users() {
    let c = Console::start().await;
    let viewer = make_token(&c, "ci-reader", "viewer");
    let admin = make_token(&c, "ci-admin", "admin");

    let (status, body) = with_token(&c, &viewer, "space", &[("space", SPACE)]).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = with_token(
        &c,
        &viewer,
        "accept_peering",
        &[("space", SPACE), ("pcx_id", PENDING)],
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(body.to_string().contains("viewer"), "{body}");

    // Even an admin's token makes no users, and no tokens.
    for (name, form) in [
        ("invite_user", vec![("name", "mallory"), ("role", "admin")]),
        (
            "create_token",
            vec![("name", "ci-more"), ("role", "admin"), ("days", "1")],
        ),
        (
            "set_user_role",
            vec![("name", "t-viewer"), ("role", "admin")],
        ),
    ] {
        let (status, body) = with_token(&c, &admin, name, &form).await;
        assert_eq!(status, 403, "{name}: {body}");
        assert!(body.to_string().contains("automation"), "{body}");
    }
    let users: UsersView = c.read("users", &[]).await;
    assert!(
        !users
            .users
            .iter()
            .any(|u| u.name == "mallory" || u.name == "ci-more")
    );

    // Refused calls are recorded, under the token's name.
    let refused = c.audit(&[("action", "auth.refused")]).await;
    assert!(
        refused.entries.iter().any(|e| e.actor == "ci-admin"),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_token_may_ask_for_approval_and_never_decide_nor_be_decided_by_its_maker() {
    // A new console's policy: an accept waits for another person.
    let c = Console::start_four_eyes().await;
    // Made on the Users page by t-admin.
    let (status, body) = c
        .call(
            "create_token",
            &[("name", "ci-bot"), ("role", "operator"), ("days", "7")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let made: NewToken = serde_json::from_value(body).unwrap();
    assert!(made.message.contains("only this once"), "{}", made.message);
    let token = made.token;

    // The token asks.
    let (status, body) = with_token(
        &c,
        &token,
        "accept_peering",
        &[
            ("space", SPACE),
            ("pcx_id", PENDING),
            ("reason", "NET-42 from the pipeline"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let view: SpaceView = c.read("space", &[("space", SPACE)]).await;
    let asked = view
        .approvals
        .requests
        .iter()
        .find(|r| r.record.target == PENDING)
        .expect("the token's request");
    assert_eq!(asked.record.requester, "ci-bot");
    let id = asked.record.id.to_string();
    // Its maker may not be the second pair of eyes: the page says so too.
    assert!(!asked.can_decide, "{asked:?}");
    assert!(
        asked
            .why_not
            .as_deref()
            .unwrap_or("")
            .contains("which you made"),
        "{asked:?}"
    );

    // Another token may not decide it, whatever its role.
    let other = make_token(&c, "ci-admin", "admin");
    for (name, form) in [
        ("approve", vec![("request", id.as_str()), ("comment", "")]),
        ("reject", vec![("request", id.as_str()), ("reason", "no")]),
    ] {
        let (status, body) = with_token(&c, &other, name, &form).await;
        assert_eq!(status, 403, "{name}: {body}");
        assert!(body.to_string().contains("never decide"), "{body}");
    }
    // Nor may the admin who made it.
    let (status, body) = c
        .call("approve", &[("request", id.as_str()), ("comment", "")])
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(body.to_string().contains("which you made"), "{body}");

    // A person who did not make it may, and the accept runs once.
    let op = c.in_process_as(Some(Role::Operator)).await;
    let (status, body) = op
        .call("approve", &[("request", id.as_str()), ("comment", "ok")])
        .await;
    assert_eq!(status, 200, "{body}");
    let accepted = c.audit(&[("action", "peering.accept")]).await;
    assert_eq!(accepted.entries.len(), 1, "{accepted:?}");
}

#[tokio::test]
async fn an_expired_revoked_or_forged_token_is_refused_and_recorded() {
    let c = Console::start().await;
    let token = make_token(&c, "ci-old", "operator");
    let form = [("space", SPACE)];
    assert_eq!(with_token(&c, &token, "space", &form).await.0, 200);

    // A lookalike, and a well-formed token this console never made.
    let forged = server::users::tokens::generate();
    let mut broken = token.clone();
    broken.replace_range(10..11, if &token[10..11] == "a" { "b" } else { "a" });
    for bad in [forged.as_str(), broken.as_str(), "spt_", "hunter2"] {
        let (status, body) = with_token(&c, bad, "space", &form).await;
        assert_eq!(status, 401, "{bad}: {body}");
        assert!(
            body.to_string().contains("not one of this console's"),
            "{body}"
        );
    }

    // Expired: its expiry moved into the past, in the console's database.
    let db = server::db::open(&server::db::Location::File(c.db.clone()))
        .await
        .unwrap();
    let server::db::Db::Sqlite(pool) = &db else {
        unreachable!()
    };
    sqlx::query("UPDATE tokens SET expires_at = expires_at - 31 * 86400")
        .execute(pool)
        .await
        .unwrap();
    let (status, body) = with_token(&c, &token, "space", &form).await;
    assert_eq!(status, 401, "{body}");
    assert!(body.to_string().contains("expired"), "{body}");

    // Revoked: at once, and for good.
    let live = make_token(&c, "ci-live", "operator");
    assert_eq!(with_token(&c, &live, "space", &form).await.0, 200);
    let (code, out) = spaceport_token(&c.db, &["revoke", "ci-live"]);
    assert_eq!(code, Some(0), "{out}");
    let (status, body) = with_token(&c, &live, "space", &form).await;
    assert_eq!(status, 401, "{body}");
    assert!(body.to_string().contains("revoked"), "{body}");
    let (code, out) = spaceport_token(&c.db, &["revoke", "ci-live"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("revoked already"), "{out}");
    // A person is not a token.
    let (code, out) = spaceport_token(&c.db, &["revoke", "t-viewer"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("is a person"), "{out}");

    let refused = c.audit(&[("action", "auth.refused")]).await;
    let tokens = refused
        .entries
        .iter()
        .filter(|e| e.actor == "a token")
        .count();
    assert!(tokens >= 6, "{refused:?}");
    let revoked = c.audit(&[("action", "token.revoke")]).await;
    assert_eq!(
        revoked.entries.len(),
        2,
        "the refused second revoke is recorded too"
    );
}

#[tokio::test]
async fn a_scan_finds_a_leaked_token_by_its_prefix() {
    let c = Console::start().await;
    let token = make_token(&c, "ci-leaky", "viewer");
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("ci")).unwrap();
    std::fs::write(
        dir.path().join("ci/deploy.yml"),
        format!("steps:\n  - run: curl -H 'Authorization: Bearer {token}' $URL\n"),
    )
    .unwrap();
    std::fs::write(dir.path().join("clean.txt"), "spt_ is our prefix\n").unwrap();

    let (code, out) = spaceport_token(&c.db, &["scan", dir.path().to_str().unwrap()]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("deploy.yml:2:"), "{out}");
    assert!(!out.contains("clean.txt"), "{out}");
    assert!(
        !out.contains(&token[4..]),
        "the scan does not print it again: {out}"
    );

    let (code, out) = spaceport_token(
        &c.db,
        &["scan", dir.path().join("clean.txt").to_str().unwrap()],
    );
    assert_eq!(code, Some(0), "{out}");
}

#[tokio::test]
async fn a_flood_of_forged_tokens_is_refused_and_barely_written_down() {
    let c = Console::start().await;
    let rows = || async {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", c.db.display()))
            .await
            .unwrap();
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events")
            .fetch_one(&pool)
            .await
            .unwrap();
        pool.close().await;
        n
    };
    let before = rows().await;
    // 500 calls at once from one address, each with a token that looks
    // right (prefix, checksum) and is no token of this console's.
    let started = std::time::Instant::now();
    let c = &c;
    let answers = futures::future::join_all((0..500).map(|_| async move {
        let forged = server::users::tokens::generate();
        with_token(c, &forged, "overview", &[]).await
    }))
    .await;
    let took = started.elapsed();
    assert!(
        answers.iter().all(|(status, _)| *status == 401),
        "{answers:?}"
    );
    // Records of refusals from one address: a burst, then one a minute.
    let written = rows().await - before;
    println!("500 forged tokens at once: all 401 in {took:?}; {written} history rows written");
    assert!(written <= 24, "{written} rows for one address's flood");
    // The console still answers its people at once.
    let (status, _) = c.call("overview", &[]).await;
    assert_eq!(status, 200);
}
