//! `spaceport migrate --to`: a console moved from its SQLite file to a
//! new PostgreSQL database keeps its users, history, approvals, expected
//! peers, policy and notifications, and its history verifies there; the
//! file is only read, and a database that holds a console is refused.

use crate::common::{Backend, Console, PASSWORD, SPACE, fresh_database};
use domain::access::Role;
use std::process::Command;

fn spaceport(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_spaceport"))
        .args(args)
        .env_remove("SPACEPORT_AUDIT_KEY")
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

/// The bytes of the file and its journal.
fn contents(db: &std::path::Path) -> Vec<u8> {
    let mut all = std::fs::read(db).unwrap();
    all.extend(std::fs::read(format!("{}-wal", db.display())).unwrap_or_default());
    all
}

#[tokio::test]
async fn a_console_moves_to_postgres_whole_and_its_history_verifies_there() {
    // A console with some of everything: an accept held for approval, an
    // expected peer, a webhook, its users.
    let c = Console::start_four_eyes().await;
    let op = c.in_process_as(Some(Role::Operator)).await;
    let until = (time::OffsetDateTime::now_utc() + time::Duration::days(30))
        .date()
        .to_string();
    let (status, body) = op
        .call(
            "expect_peer",
            &[
                ("space", SPACE),
                ("aws_account_id", "210987654321"),
                ("vpc_id", "vpc-0fedcba987654321"),
                ("cidr", "10.200.0.0/16"),
                ("region", ""),
                ("note", "NET-42 payments"),
                ("valid_until", &until),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = op
        .call(
            "accept_peering",
            &[
                ("space", SPACE),
                ("pcx_id", "pcx-111aaa111"),
                ("reason", "ticket 7"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = c
        .call(
            "add_webhook",
            &[
                ("name", "ops"),
                ("url", "http://127.0.0.1:9/hook"),
                ("format", "json"),
                ("kinds", "peering.active"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let before = c.audit(&[]).await;

    let at = fresh_database(Backend::Postgres).await.location;
    let server::db::Location::Postgres(url) = &at else {
        unreachable!()
    };
    let file = c.db.to_str().unwrap();
    let untouched = contents(&c.db);
    let (code, out) = spaceport(&["migrate", "--database", file, "--to", url]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("The copy's audit history holds"), "{out}");
    assert_eq!(contents(&c.db), untouched, "the file is only read");

    // A database that holds a console is refused, and left as it was; a
    // password in the URL is never shown.
    let mut with_password = url::Url::parse(url).unwrap();
    with_password.set_password(Some("s3cret-pw")).unwrap();
    let (code, out) = spaceport(&[
        "migrate",
        "--database",
        file,
        "--to",
        with_password.as_str(),
    ]);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("holds a console already"), "{out}");
    assert!(!out.contains("s3cret-pw"), "{out}");

    // The key file beside the database is the key the copy is under.
    let key = server::audit::key::default_path(&c.db);
    let key = key.to_str().unwrap();
    let (code, out) = spaceport(&[
        "audit",
        "verify",
        "--database",
        url,
        "--audit-key-file",
        key,
    ]);
    assert_eq!(code, Some(0), "{out}");

    // A console on the copy: the same people, history, request, policy,
    // expected peer and webhook.
    let moved = Console::start_shared(&c.sim, &at, std::path::Path::new(key), &[]).await;
    let viewer = moved.in_process_as(None).await;
    viewer.sign_in("t-viewer", PASSWORD).await;
    let after = moved.audit(&[]).await;
    let ids = |p: &domain::model::AuditPage| {
        p.entries
            .iter()
            .filter(|e| e.action != "auth.sign_in" && e.action != "audit.keyed")
            .map(|e| (e.id, e.action.clone(), e.outcome.clone()))
            .collect::<Vec<_>>()
    };
    let moved_ids = ids(&after);
    for entry in ids(&before) {
        assert!(moved_ids.contains(&entry), "{entry:?} in {moved_ids:?}");
    }
    assert!(after.chain.problem.is_none(), "{:?}", after.chain);
    let view: domain::views::SpaceView = moved.read("space", &[("space", SPACE)]).await;
    assert_eq!(view.approvals.requests.len(), 1, "the held accept");
    assert_eq!(view.approvals.expected.len(), 1, "the expected peer");
    let users: domain::views::UsersView = moved.read("users", &[]).await;
    let original: domain::views::UsersView = c.read("users", &[]).await;
    // The same people, made when they were (signing in since moved on).
    let people = |v: &domain::views::UsersView| {
        v.users
            .iter()
            .map(|u| (u.name.clone(), u.role, u.created_at.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(people(&users), people(&original));
    let notifications: domain::notify::NotificationsView = moved.read("notifications", &[]).await;
    assert_eq!(notifications.destinations.len(), 1);
    let policy: domain::views::PolicyView = moved.read("policy", &[]).await;
    let original: domain::views::PolicyView = c.read("policy", &[]).await;
    assert_eq!(policy.policy, original.policy);
}

#[test]
fn a_move_needs_a_postgres_target_and_a_file_source() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    let (code, out) = spaceport(&[
        "migrate",
        "--database",
        db.to_str().unwrap(),
        "--to",
        "other.db",
    ]);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("postgres://"), "{out}");
    let (code, out) = spaceport(&[
        "migrate",
        "--database",
        "postgres://nobody@127.0.0.1:9/x",
        "--to",
        "postgres://nobody@127.0.0.1:9/y",
    ]);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("pg_dump"), "{out}");
    // A file that holds no console is said so, and not made.
    let (code, out) = spaceport(&[
        "migrate",
        "--database",
        db.to_str().unwrap(),
        "--to",
        "postgres://nobody@127.0.0.1:9/y",
    ]);
    assert_eq!(code, Some(2), "{out}");
    assert!(!db.exists(), "{out}");
}
