//! The stores on both databases: every test here runs once on a SQLite
//! file and once on a database of its own on the test PostgreSQL server
//! (`SPACEPORT_TEST_POSTGRES`, started by scripts/test.sh). The races run
//! their contenders in parallel on separate pools, as two consoles would.

use crate::common::{Backend, fresh_database};
use domain::access::Role;
use server::approvals::{Approvals, Vote};
use server::audit::{AuditLog, Intent, Outcome};
use server::db::Db;
use server::notify::{NewEvent, Notifications};
use server::users::{Granted, NewUser, Users};
use std::sync::Arc;

/// Runs `test` on each database, with a database of its own on each.
async fn on_both<F, Fut>(test: F)
where
    F: Fn(Backend) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for backend in [Backend::Sqlite, Backend::Postgres] {
        test(backend).await;
    }
}

fn key() -> Arc<server::audit::key::AuditKey> {
    Arc::new(server::audit::key::AuditKey::from_secret(&[7; 32]))
}

async fn log_on(db: &Db) -> Arc<AuditLog> {
    Arc::new(AuditLog::new(db.clone(), key()).await.unwrap())
}

async fn verify(db: &Db) -> (i64, Vec<String>) {
    let mut v = server::audit::verify::Verifier::new(Some(key()));
    server::audit::verify::verify_rest(db, &mut v, 1000, |_| {})
        .await
        .unwrap();
    (
        v.through(),
        v.breaks.iter().map(|b| b.to_string()).collect(),
    )
}

#[tokio::test]
async fn migrations_run_once_when_consoles_start_together() {
    // Eight opens of one new database at once: each finds the schema
    // made, none fails on a half-made one.
    let at = fresh_database(Backend::Postgres).await;
    let opens = (0..8).map(|_| {
        let at = at.location.clone();
        tokio::spawn(async move { server::db::open(&at).await })
    });
    for open in futures::future::join_all(opens).await {
        open.unwrap().unwrap();
    }
    let db = server::db::open(&at.location).await.unwrap();
    let Db::Postgres(pool) = &db else {
        panic!("a PostgreSQL database")
    };
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
        .fetch_one(pool)
        .await
        .unwrap();
    let written = std::fs::read_dir(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../migrations/postgres"
    ))
    .unwrap()
    .count();
    assert_eq!(applied as usize, written, "each migration applied once");
}

#[tokio::test]
async fn appends_from_two_consoles_chain_one_after_the_other() {
    on_both(|backend| async move {
        let at = fresh_database(backend).await;
        // Two consoles: two pools, two logs, writing at once.
        let a = log_on(&server::db::open(&at.location).await.unwrap()).await;
        let b = log_on(&server::db::open(&at.location).await.unwrap()).await;
        let writes = (0..40).map(|n| {
            let log = if n % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(async move {
                log.record_event(
                    Intent::event("t-admin", domain::kind::AuditName::SignIn, "t-admin", None),
                    Outcome::local(true, format!("sign-in {n}")),
                )
                .await
                .unwrap()
            })
        });
        futures::future::join_all(writes).await;
        let (through, breaks) = verify(a.db()).await;
        // 40 events of two records each, and each console's keyed record.
        assert!(through >= 80, "{backend:?}: {through}");
        assert_eq!(breaks, Vec::<String>::new(), "{backend:?}");
        // Never two records on one predecessor.
        let entries = a
            .recent(100)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.action == "auth.sign_in")
            .count();
        assert_eq!(entries, 40, "{backend:?}");
    })
    .await;
}

#[tokio::test]
async fn an_intent_settled_by_two_consoles_at_once_has_one_outcome() {
    on_both(|backend| async move {
        let at = fresh_database(backend).await;
        let a = log_on(&server::db::open(&at.location).await.unwrap()).await;
        let b = log_on(&server::db::open(&at.location).await.unwrap()).await;
        let intent = a
            .record_intent(Intent::event(
                "t",
                domain::kind::AuditName::SignIn,
                "t",
                None,
            ))
            .await
            .unwrap();
        let (x, y) = tokio::join!(
            a.record_outcome(intent, Outcome::local(true, "from a".into())),
            b.record_outcome(intent, Outcome::local(false, "from b".into())),
        );
        let refused = [&x, &y]
            .iter()
            .filter(
                |r| matches!(r, Err(server::audit::AuditError::AlreadySettled(i)) if *i == intent),
            )
            .count();
        assert!(
            x.is_ok() != y.is_ok() && refused == 1,
            "{backend:?}: {x:?} {y:?}"
        );
        // The one that lost is not taken for a failing history.
        assert_eq!((a.failing(), b.failing()), (None, None), "{backend:?}");
        assert!(a.open_intents().await.unwrap().is_empty());
        assert_eq!(verify(a.db()).await.1, Vec::<String>::new(), "{backend:?}");
    })
    .await;
}

#[tokio::test]
async fn the_history_is_append_only_in_the_database_itself() {
    on_both(|backend| async move {
        let at = fresh_database(backend).await;
        let db = server::db::open(&at.location).await.unwrap();
        let log = log_on(&db).await;
        log.record_event(
            Intent::event("t", domain::kind::AuditName::SignIn, "t", None),
            Outcome::local(true, "in".into()),
        )
        .await
        .unwrap();
        let mut refused = Vec::new();
        for sql in [
            "UPDATE audit_events SET actor = 'mallory'",
            "DELETE FROM audit_events",
        ] {
            let r = server::on_pool!(&db, p => sqlx::query(sql).execute(p).await.map(|_| ()));
            refused.push(r.is_err());
        }
        if backend == Backend::Postgres {
            let Db::Postgres(p) = &db else { unreachable!() };
            let r = sqlx::query("TRUNCATE audit_events CASCADE")
                .execute(p)
                .await;
            refused.push(r.is_err());
        }
        assert!(refused.iter().all(|r| *r), "{backend:?}: {refused:?}");
        assert_eq!(verify(&db).await.1, Vec::<String>::new());
    })
    .await;
}

async fn admin(users: &Users, name: &str) {
    users
        .create(NewUser {
            name: &name.parse().unwrap(),
            role: Role::Admin,
            password: &domain::ids::Secret::new(format!("{name}-password-long")),
            one_time: false,
            demo: false,
            granted: Granted::by("command line"),
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn two_admins_demoting_each_other_leave_one_admin() {
    on_both(|backend| async move {
        let at = fresh_database(backend).await;
        let one = Arc::new(Users::new(server::db::open(&at.location).await.unwrap()));
        let two = Arc::new(Users::new(server::db::open(&at.location).await.unwrap()));
        admin(&one, "ada").await;
        admin(&one, "bob").await;
        let (ada, bob) = ("ada".parse().unwrap(), "bob".parse().unwrap());
        let (a, b) = tokio::join!(
            one.set_role(&ada, Role::Viewer, Granted::by("bob")),
            two.set_role(&bob, Role::Viewer, Granted::by("ada")),
        );
        assert!(a.is_ok() != b.is_ok(), "{backend:?}: exactly one demotion");
        let admins = one
            .list()
            .await
            .unwrap()
            .iter()
            .filter(|u| u.role() == Role::Admin && !u.disabled)
            .count();
        assert_eq!(admins, 1, "{backend:?}");
        // Each change is a grant, and the session epoch moved.
        let ada = one.by_name("ada").await.unwrap().unwrap();
        let grants = one.grants_of(ada.id).await.unwrap();
        assert_eq!(grants.len(), 1 + usize::from(a.is_ok()), "{backend:?}");
        assert_eq!(ada.session_epoch, i64::from(a.is_ok()), "{backend:?}");
        // The admin left cannot be disabled; the other can, and the flag
        // reads back as written.
        let (left, other) = if a.is_ok() {
            ("bob", "ada")
        } else {
            ("ada", "bob")
        };
        let refused = two
            .set_disabled(&left.parse().unwrap(), true, Granted::by("x"))
            .await;
        assert!(
            matches!(refused, Err(server::users::UserError::LastAdmin(_))),
            "{backend:?}: {refused:?}"
        );
        let disabled = two
            .set_disabled(&other.parse().unwrap(), true, Granted::by("x"))
            .await
            .unwrap();
        assert!(disabled.disabled, "{backend:?}");
        assert_eq!(one.count_demo().await.unwrap(), 0);
        assert_eq!(one.count_real().await.unwrap(), 2);
    })
    .await;
}

#[tokio::test]
async fn of_a_hundred_simultaneous_approvals_exactly_one_decides() {
    on_both(|backend| async move {
        let at = fresh_database(backend).await;
        let stores: Vec<Arc<Approvals>> = vec![
            Arc::new(Approvals::new(
                server::db::open(&at.location).await.unwrap(),
            )),
            Arc::new(Approvals::new(
                server::db::open(&at.location).await.unwrap(),
            )),
        ];
        let action: domain::action::Action = serde_json::from_value(serde_json::json!({
            "kind": "accept_peering", "space": "spaces-peering-example", "pcx_id": "pcx-111aaa111"
        }))
        .unwrap();
        let snapshot = domain::policy::Snapshot::default();
        let later = server::db::stamp(time::OffsetDateTime::now_utc() + time::Duration::hours(1));
        let id = stores[0]
            .insert(server::approvals::NewRequest {
                action: &action,
                space: "s",
                requester: "op",
                reason: "ticket 1",
                snapshot: &snapshot,
                needed: 2,
                expires_at: &later,
            })
            .await
            .unwrap();
        // A second request for the same thing is refused while one is open.
        let again = stores[1]
            .insert(server::approvals::NewRequest {
                action: &action,
                space: "s",
                requester: "op",
                reason: "ticket 1 again",
                snapshot: &snapshot,
                needed: 2,
                expires_at: &later,
            })
            .await;
        assert!(
            matches!(again, Err(server::approvals::StoreError::AlreadyOpen(open)) if open == id),
            "{backend:?}"
        );
        let votes = (0..100).map(|n| {
            let store = stores[n % 2].clone();
            tokio::spawn(async move {
                store
                    .vote(id, &format!("approver-{}", n % 50), "ok", None)
                    .await
                    .unwrap()
            })
        });
        let votes: Vec<Vote> = futures::future::join_all(votes)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        let decisive = votes.iter().filter(|v| **v == Vote::Decisive).count();
        assert_eq!(decisive, 1, "{backend:?}: {votes:?}");
        let request = stores[1].get(id).await.unwrap().unwrap();
        assert_eq!(request.state, domain::approval::ApprovalState::Executing);
        assert!(request.approvals.len() >= 2, "{backend:?}");
        assert_eq!(stores[0].open().await.unwrap().len(), 1);
        assert!(stores[0].finish(id, true, "done").await.is_ok());
        assert!(stores[0].open().await.unwrap().is_empty(), "{backend:?}");
    })
    .await;
}

#[tokio::test]
async fn expected_peers_are_kept_found_and_consumed() {
    on_both(|backend| async move {
        let at = fresh_database(backend).await;
        let store = Approvals::new(server::db::open(&at.location).await.unwrap());
        let until = server::db::stamp(time::OffsetDateTime::now_utc() + time::Duration::days(1));
        let peer = domain::policy::NewExpectedPeer {
            aws_account_id: "123456789012".into(),
            vpc_id: "vpc-0abc".into(),
            cidr: "10.1.0.0/16".into(),
            region: None,
            note: "ticket 7".into(),
            valid_until: until,
        };
        let id = store.expect("s", &peer, "op").await.unwrap();
        let now = server::db::now();
        assert_eq!(store.expected(Some("s"), &now).await.unwrap().len(), 1);
        assert_eq!(store.expected(None, &now).await.unwrap().len(), 1);
        assert!(
            store
                .expected(Some("other"), &now)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(store.consume(id, "pcx-1").await.unwrap(), "{backend:?}");
        assert!(!store.forget(id).await.unwrap(), "{backend:?}: ended once");
        assert!(store.expectation(id).await.unwrap().is_none());
    })
    .await;
}

/// A webhook for peerings becoming active.
async fn with_destination(store: &server::notify::Notifications) {
    let destination = domain::notify::NewDestination::new(
        "ops",
        "http://127.0.0.1:9/hook",
        domain::notify::WebhookFormat::Json,
        vec![domain::notify::EventKind::PeeringActive],
    )
    .unwrap();
    store
        .add_destination(&destination, "whsec_x", "t-admin")
        .await
        .unwrap();
}

/// The event of peering `pcx-N` becoming active.
fn active(n: u32) -> NewEvent {
    NewEvent {
        kind: domain::notify::EventKind::PeeringActive,
        key: format!("peering.active:s:pcx-{n}"),
        space: "s".into(),
        subject: format!("pcx-{n}"),
        title: "active".into(),
        link: "/spaces/s".into(),
        data: serde_json::json!({}),
    }
}

#[tokio::test]
async fn an_event_is_recorded_once_and_each_delivery_claimed_once() {
    on_both(|backend| async move {
        let at = fresh_database(backend).await;
        let a = Arc::new(Notifications::new(
            server::db::open(&at.location).await.unwrap(),
        ));
        let b = Arc::new(Notifications::new(
            server::db::open(&at.location).await.unwrap(),
        ));
        with_destination(&a).await;
        // Both consoles observe the same ten changes at once.
        let events: Vec<NewEvent> = (0..10).map(active).collect();
        let (x, y) = tokio::join!(a.record(&events, None), b.record(&events, None));
        assert_eq!(x.unwrap() + y.unwrap(), 10, "{backend:?}");
        assert_eq!(a.pending().await.unwrap(), 10);
        // Both claim at once: every delivery goes to exactly one.
        let (x, y) = tokio::join!(a.claim_due(10, 60_000), b.claim_due(10, 60_000));
        let mut claimed: Vec<i64> = x
            .unwrap()
            .iter()
            .chain(y.unwrap().iter())
            .map(|c| c.delivery)
            .collect();
        claimed.sort();
        let unique = {
            let mut u = claimed.clone();
            u.dedup();
            u
        };
        assert_eq!(claimed, unique, "{backend:?}: a delivery claimed twice");
        assert_eq!(claimed.len(), 10, "{backend:?}");
        // What the watcher saw is kept and replaced.
        let seen = [server::notify::Seen {
            kind: "peering",
            scope: "s".into(),
            subject: "pcx-1".into(),
            status: "active".into(),
        }];
        a.record(&[], Some(("peering", "s", &seen))).await.unwrap();
        a.record(&[], Some(("peering", "s", &seen))).await.unwrap();
        let got = b.seen("peering", "s").await.unwrap().unwrap();
        assert_eq!(got.get("pcx-1").map(String::as_str), Some("active"));
        a.set_mark("cursor", "1").await.unwrap();
        b.set_mark("cursor", "2").await.unwrap();
        assert_eq!(a.mark("cursor").await.unwrap().as_deref(), Some("2"));
        let (destinations, events) = a.view().await.unwrap();
        assert_eq!(destinations.len(), 1);
        assert_eq!(events.len(), 10, "{backend:?}");
    })
    .await;
}

#[tokio::test]
async fn the_outbox_forgets_finished_deliveries_after_a_month_and_keeps_pending_ones() {
    on_both(|backend| async move {
        let at = fresh_database(backend).await;
        let db = server::db::open(&at.location).await.unwrap();
        let store = Notifications::new(db.clone());
        with_destination(&store).await;
        let recorded = store.record(&[active(1), active(2), active(1)], None).await;
        assert_eq!(recorded.unwrap(), 2);
        // One delivered, both made 31 days ago; the other still pending.
        let month = 31 * 24 * 3600 * 1000_i64;
        server::on_pool!(&db, p => {
            sqlx::query("UPDATE webhook_deliveries SET created_ms = created_ms - $1")
                .bind(month)
                .execute(p)
                .await
                .unwrap();
            sqlx::query("UPDATE webhook_deliveries SET state = 'delivered' WHERE id = 1")
                .execute(p)
                .await
                .unwrap();
        });
        store.prune().await.unwrap();
        let left: Vec<(i64, String)> = server::on_pool!(&db, p => {
            sqlx::query_as("SELECT id, state FROM webhook_deliveries")
                .fetch_all(p)
                .await
                .unwrap()
        });
        assert_eq!(left, vec![(2, "pending".to_string())], "{backend:?}");
        assert_eq!(store.pending().await.unwrap(), 1);
    })
    .await;
}

#[tokio::test]
async fn the_audit_page_searches_filters_and_exports_alike() {
    on_both(|backend| async move {
        let at = fresh_database(backend).await;
        let db = server::db::open(&at.location).await.unwrap();
        let log = log_on(&db).await;
        for n in 0..30 {
            let target = if n % 10 == 0 {
                format!("pcx-needle_{n}")
            } else {
                format!("pcx-{n:04}")
            };
            log.record_event(
                Intent::event(
                    "alice",
                    domain::kind::AuditName::PeeringAccept,
                    &target,
                    None,
                ),
                Outcome::local(n % 3 != 0, format!("provisioning {n}")),
            )
            .await
            .unwrap();
        }
        let page = |f: fn(&mut domain::model::AuditQuery)| {
            let db = db.clone();
            async move {
                let mut q = domain::model::AuditQuery::default();
                f(&mut q);
                server::audit::query::page(&db, &q, 100).await.unwrap()
            }
        };
        let found = page(|q| q.text = Some("NEEDLE".into())).await;
        assert_eq!(found.entries.len(), 3, "{backend:?}: case ignored");
        // A LIKE wildcard in the text is the character itself.
        let found = page(|q| q.text = Some("e_1".into())).await;
        assert_eq!(found.entries.len(), 1, "{backend:?}");
        let found = page(|q| q.text = Some("provisioning 2".into())).await;
        assert_eq!(found.entries.len(), 11, "{backend:?}: 2 and 20-29");
        let failed = page(|q| q.outcome = Some("error".into())).await;
        assert_eq!(failed.entries.len(), 10, "{backend:?}");
        let alice = page(|q| q.actor = Some("alice".into())).await;
        assert_eq!(alice.entries.len(), 30);
        assert_eq!(
            server::audit::query::actors(&db).await.unwrap(),
            ["alice", "console"]
        );
        let mut out = Vec::new();
        let n = server::audit::export::export(
            &db,
            server::audit::export::Format::Jsonl,
            None,
            None,
            &mut out,
        )
        .await
        .unwrap();
        assert_eq!(
            n, 62,
            "{backend:?}: 30 actions and the keyed record, two records each"
        );
        assert_eq!(verify(&db).await, (62, Vec::new()), "{backend:?}");
        assert_eq!(log.open_intents().await.unwrap().len(), 0);
    })
    .await;
}

#[tokio::test]
async fn a_token_is_kept_hashed_found_by_itself_and_revoked_for_good() {
    on_both(|backend| async move {
        let at = fresh_database(backend).await;
        let users = Users::new(server::db::open(&at.location).await.unwrap());
        let name = "ci-bot".parse().unwrap();
        let (user, token, _) = users
            .create_service(&name, Role::Operator, 30, Granted::by("ada"))
            .await
            .unwrap();
        assert!(user.service() && !user.has_password());
        let found = users.by_token(&token).await.unwrap().unwrap();
        assert_eq!(found.id, user.id);
        // A second one of that name is refused, whatever its kind.
        let again = users
            .create_service(&name, Role::Viewer, 1, Granted::by("ada"))
            .await;
        assert!(matches!(again, Err(server::users::UserError::Exists(_))));
        let listed = users.tokens().await.unwrap();
        assert_eq!(listed.len(), 1);
        assert!(listed[0].last_used_at.is_some() && listed[0].active());
        users.revoke_token(&name, "ada").await.unwrap();
        let refused = users.by_token(&token).await.unwrap().unwrap_err();
        assert_eq!(refused, server::users::tokens::Refused::Revoked);
        assert!(users.revoke_token(&name, "ada").await.is_err());
        let grants = users.grants_of(user.id).await.unwrap();
        assert_eq!(grants.len(), 2, "made, then disabled: {grants:?}");
    })
    .await;
}

#[tokio::test]
async fn the_identity_provider_makes_and_moves_a_person_by_their_sub() {
    on_both(|backend| async move {
        let at = fresh_database(backend).await;
        let users = Users::new(server::db::open(&at.location).await.unwrap());
        admin(&users, "alice").await;
        let idp = Granted::by("Okta (identity provider)");
        let alice = "alice".parse().unwrap();
        // A name taken here is someone else's: the newcomer gets a number.
        users
            .sync_from_provider("u-1", &alice, Some(Role::Operator), idp)
            .await
            .unwrap();
        let made = users.by_subject("u-1").await.unwrap().unwrap();
        assert_eq!(
            (made.name.as_str(), made.role()),
            ("alice-2", Role::Operator)
        );
        assert!(!made.has_password());
        // No group: disabled, sessions over; back in one: enabled again.
        users
            .sync_from_provider("u-1", &alice, None, idp)
            .await
            .unwrap();
        let off = users.by_subject("u-1").await.unwrap().unwrap();
        assert!(off.disabled && off.session_epoch > made.session_epoch);
        users
            .sync_from_provider("u-1", &alice, Some(Role::Admin), idp)
            .await
            .unwrap();
        let back = users.by_subject("u-1").await.unwrap().unwrap();
        assert!(!back.disabled && back.role() == Role::Admin);
        // Disabled by an admin here, the provider does not enable them.
        users
            .set_disabled(&"alice-2".parse().unwrap(), true, Granted::by("alice"))
            .await
            .unwrap();
        let refused = users
            .sync_from_provider("u-1", &alice, Some(Role::Admin), idp)
            .await;
        assert!(refused.is_err(), "{refused:?}");
        let grants = users.grants_of(back.id).await.unwrap();
        let changes: Vec<_> = grants.iter().map(|g| g.change.as_str()).collect();
        assert_eq!(
            changes,
            ["created", "disabled", "enabled", "role", "disabled"]
        );
        // Never seen, in no group: nobody is made.
        users
            .sync_from_provider("u-2", &"bob".parse().unwrap(), None, idp)
            .await
            .unwrap();
        assert!(users.by_subject("u-2").await.unwrap().is_none());
    })
    .await;
}
