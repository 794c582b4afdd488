//! Four eyes, end to end through the console's server functions: a new
//! console's policy holds accepts and destroys back, nobody approves their
//! own request, an approval re-reads the provider and executes exactly
//! once however many people click, and expected peers mark (and may gate)
//! what arrives.

use crate::common::{Console, InProcess, PASSWORD, PG, SPACE};
use domain::access::Role;
use domain::action::{Answer, ProviderAction};
use domain::approval::ApprovalState;
use domain::approval::Decided;
use domain::kind::AuditName;
use domain::model::AuditEntry;
use domain::model::{ActionResult, DataActionResult, PrivateLinkStatus};
use domain::policy::Expectation;
use domain::views::Overview;
use domain::views::{ApprovalView, Inbox, PolicyView, PrivateLinkView, SpaceView, UsersView};
use serde_json::Value;

/// The seeded pending request in `SPACE`.
const PENDING: &str = "pcx-111aaa111";

fn accept(pcx: &str) -> String {
    serde_json::to_string(&ProviderAction::AcceptPeering {
        space: SPACE.parse().unwrap(),
        pcx_id: pcx.parse().unwrap(),
    })
    .unwrap()
}

async fn ask(who: &InProcess, action: &str, reason: &str) -> (u16, Value) {
    who.call(
        "request_approval",
        &[("action", action), ("reason", reason)],
    )
    .await
}

/// The id of the open request the space page shows for `target`.
async fn request_id(c: &Console, target: &str) -> i64 {
    let view: SpaceView = c.read("space", &[("space", SPACE)]).await;
    let requests = view.approvals.requests;
    requests
        .iter()
        .find(|r| r.record.target == target)
        .map(|r| r.record.id)
        .unwrap_or_else(|| panic!("no request for {target}: {requests:?}"))
}

async fn approve(who: &InProcess, id: i64, comment: &str) -> (u16, Value) {
    who.call(
        "approve",
        &[("request", &id.to_string()), ("comment", comment)],
    )
    .await
}

/// The audit entries (newest first) of one kind of action.
async fn entries(c: &Console, action: &str) -> Vec<AuditEntry> {
    c.audit(&[("action", action)]).await.entries
}

/// A peering request sent now from the AWS side; its PCX ID.
async fn request_from(c: &Console, account: &str, vpc: &str, cidr: &str, extra: Value) -> String {
    let mut body = serde_json::json!({
        "aws_account_id": account, "vpc_id": vpc, "cidr_block": cidr, "immediate": true
    });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let res = c
        .sim
        .control(
            reqwest::Method::POST,
            &format!("/spaces/{SPACE}/peering-requests"),
            body,
        )
        .await;
    assert_eq!(res.status().as_u16(), 201);
    let p: Value = res.json().await.unwrap();
    p["pcx_id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn an_operator_asks_and_an_admin_approves_in_the_admins_name() {
    let c = Console::start_four_eyes().await;
    let op = c.in_process_as(Some(Role::Operator)).await;

    // The button's server function alone is held back, even over HTTP.
    let (status, body) = op
        .call("accept_peering", &[("space", SPACE), ("pcx_id", PENDING)])
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(body.to_string().contains("Request approval"), "{body}");
    assert_eq!(c.peering_status(PENDING).await, "pending-acceptance");

    // A reason is required; then the request keeps what was seen.
    let (status, body) = ask(&op, &accept(PENDING), "  ").await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = ask(&op, &accept(PENDING), "NET-42: the payments VPC").await;
    assert_eq!(status, 200, "{body}");
    let view: SpaceView = c.read("space", &[("space", SPACE)]).await;
    let r = &view.approvals.requests[0].record;
    assert_eq!(r.state, ApprovalState::Pending);
    assert_eq!(r.requester, "t-operator");
    let facts = format!("{:?}", r.snapshot.facts);
    for fact in [
        "123456789012",
        "vpc-0a1b2c3d",
        "10.100.0.0/16",
        "pending-acceptance",
    ] {
        assert!(facts.contains(fact), "{fact} in {facts}");
    }
    assert!(
        r.snapshot
            .findings
            .iter()
            .any(|f| f.contains("make sure it is one of yours")),
        "{r:?}"
    );
    // It expires within the policy's 24 hours.
    assert!(r.expires_at > r.requested_at);
    // Asking twice for the same thing is refused.
    let (status, _) = ask(&op, &accept(PENDING), "again").await;
    assert_eq!(status, 409);

    let id = r.id;
    let before = c.sim.stats().await.changes;
    let (status, body) = approve(&c.admin, id, "checked with NET-42").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.to_string().contains("Accepted"), "{body}");
    assert_eq!(c.sim.stats().await.changes, before + 1);
    assert_eq!(c.peering_status(PENDING).await, "provisioning");

    // Every step is recorded: asked, approved, and the accept itself in
    // the approver's name with the requester named.
    let asked = entries(&c, "approval.request").await;
    assert_eq!(asked[0].actor, "t-operator");
    assert!(
        asked[0]
            .detail
            .clone()
            .unwrap_or_default()
            .contains("NET-42")
    );
    let approved = entries(&c, "approval.approve").await;
    assert_eq!(approved[0].actor, "t-admin");
    assert_eq!(approved[0].outcome.as_deref(), Some("ok"));
    let accepted = entries(&c, "peering.accept").await;
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].actor, "t-admin");
    assert!(
        accepted[0]
            .detail
            .clone()
            .unwrap_or_default()
            .contains(&format!("approval #{id}, asked for by t-operator")),
        "{:?}",
        accepted[0]
    );
    let view: SpaceView = c.read("space", &[("space", SPACE)]).await;
    assert_eq!(
        view.approvals.requests[0].record.state,
        ApprovalState::Executed
    );
}

#[tokio::test]
async fn nobody_approves_their_own_request() {
    let c = Console::start_four_eyes().await;
    let op = c.in_process_as(Some(Role::Operator)).await;
    ask(&op, &accept(PENDING), "mine").await;
    let id = request_id(&c, PENDING).await;
    let (status, body) = approve(&op, id, "").await;
    assert_eq!(status, 403, "{body}");
    assert!(body.to_string().contains("another person"), "{body}");
    // Nor rejects it: they may withdraw it instead.
    let (status, _) = op
        .call("reject", &[("request", &id.to_string()), ("reason", "no")])
        .await;
    assert_eq!(status, 403);
    // A viewer may decide nothing.
    let viewer = c.in_process_as(Some(Role::Viewer)).await;
    let (status, _) = approve(&viewer, id, "").await;
    assert_eq!(status, 403);
    assert_eq!(c.peering_status(PENDING).await, "pending-acceptance");
    // Only the requester withdraws; then nobody can approve it.
    let (status, _) = c.call("withdraw", &[("request", &id.to_string())]).await;
    assert_eq!(status, 403);
    let (status, _) = op.call("withdraw", &[("request", &id.to_string())]).await;
    assert_eq!(status, 200);
    let (status, body) = approve(&c.admin, id, "").await;
    assert_eq!(status, 409, "{body}");
    assert!(body.to_string().contains("withdrawn"), "{body}");
    assert_eq!(c.peering_status(PENDING).await, "pending-acceptance");
}

#[tokio::test]
async fn a_lone_approver_is_told_why_a_request_would_wait_forever() {
    let c = Console::start_four_eyes().await;
    // t-admin is the only admin, and only admins may destroy.
    let destroy = serde_json::to_string(&ProviderAction::DestroyPeering {
        space: SPACE.parse().unwrap(),
        pcx_id: "pcx-222bbb222".parse().unwrap(),
    })
    .unwrap();
    let (status, body) = ask(&c.admin, &destroy, "decommission").await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body.to_string()
            .contains("this console has no other admin who could"),
        "{body}"
    );
    assert!(body.to_string().contains("spaceport user add"), "{body}");
    // The space page's gate says the same before anyone clicks.
    let view: SpaceView = c.read("space", &[("space", SPACE)]).await;
    assert_eq!(view.approvals.destroy.needs, 1);
    assert_eq!(view.approvals.destroy.approvers, 0);
    assert_eq!(view.approvals.accept.approvers, 1);
}

#[tokio::test]
async fn a_rejection_says_why_to_the_requester() {
    let c = Console::start_four_eyes().await;
    let op = c.in_process_as(Some(Role::Operator)).await;
    ask(&op, &accept(PENDING), "please").await;
    let id = request_id(&c, PENDING).await;
    let (status, _) = c
        .call("reject", &[("request", &id.to_string()), ("reason", "")])
        .await;
    assert_eq!(status, 400, "a rejection needs a reason");
    let (status, _) = c
        .call(
            "reject",
            &[("request", &id.to_string()), ("reason", "not our account")],
        )
        .await;
    assert_eq!(status, 200);
    let inbox: Inbox = op.read("inbox", &[]).await;
    let mine = &inbox.mine[0].record;
    assert_eq!(mine.state, ApprovalState::Rejected);
    assert_eq!(mine.comment.as_deref(), Some("not our account"));
    assert_eq!(mine.decided_by.as_deref(), Some("t-admin"));
    let (status, _) = approve(&c.admin, id, "").await;
    assert_eq!(status, 409);
    assert_eq!(entries(&c, "approval.reject").await.len(), 1);
}

#[tokio::test]
async fn twenty_simultaneous_approvals_make_one_provider_call() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    crate::common::make_users(&db).await;
    // Four more people who may accept peerings.
    let audit = server::audit::AuditLog::open(&db).await.unwrap();
    let users = server::users::Users::new(audit.db().clone());
    for i in 0..4 {
        users
            .create(server::users::NewUser {
                name: &format!("approver-{i}").parse().unwrap(),
                role: Role::Operator,
                password: &domain::ids::Secret::new(PASSWORD),
                one_time: false,
                demo: false,
                granted: server::users::Granted::by("command line"),
            })
            .await
            .unwrap();
    }
    audit.db().close().await;
    let c = Console::start_in(dir, db, &[]).await;
    let op = c.in_process_as(Some(Role::Operator)).await;
    ask(&op, &accept(PENDING), "race").await;
    let id = request_id(&c, PENDING).await;

    let mut approvers = vec![c.in_process_as(Some(Role::Admin)).await];
    for i in 0..4 {
        let s = InProcess::new(c.router.clone());
        s.sign_in(&format!("approver-{i}"), PASSWORD).await;
        approvers.push(s);
    }
    let before = c.sim.stats().await.changes;
    // Five people, each clicking four times, all at once.
    let clicks = (0..20).map(|i| approve(&approvers[i % 5], id, "go"));
    let answers = futures::future::join_all(clicks).await;
    let ok: Vec<_> = answers.iter().filter(|(s, _)| *s == 200).collect();
    assert_eq!(ok.len(), 1, "{answers:?}");
    for (status, body) in &answers {
        assert!(matches!(status, 200 | 409), "{status} {body}");
    }
    assert_eq!(c.sim.stats().await.changes, before + 1, "one accept call");
    let accepted = entries(&c, "peering.accept").await;
    assert_eq!(accepted.len(), 1, "{accepted:?}");
    assert_eq!(accepted[0].outcome.as_deref(), Some("ok"));
    let view: SpaceView = c.read("space", &[("space", SPACE)]).await;
    assert_eq!(
        view.approvals.requests[0].record.state,
        ApprovalState::Executed
    );
    // Whoever won, the request names them; the rest were told who did.
    let winner = view.approvals.requests[0].record.decided_by.clone();
    assert_eq!(Some(accepted[0].actor.clone()), winner);
}

/// An operator's request to accept a new VPC's peering (10.200.0.0/16),
/// changed on the AWS side to 10.201.0.0/16 as `amendment` says (at once,
/// or after some reads), then approved by the admin: the refusal, which
/// must say what changed, and the request's PCX ID.
async fn approve_after_a_change(c: &Console, amendment: Value) -> String {
    let op = c.in_process_as(Some(Role::Operator)).await;
    let pcx = request_from(
        c,
        "210987654321",
        "vpc-0fedcba987654321",
        "10.200.0.0/16",
        Value::Null,
    )
    .await;
    ask(&op, &accept(&pcx), "the new VPC").await;
    let id = request_id(c, &pcx).await;
    let mut change = serde_json::json!({"cidr_block": "10.201.0.0/16"});
    if let (Some(c), Some(a)) = (change.as_object_mut(), amendment.as_object()) {
        c.extend(a.clone());
    }
    let res = c
        .sim
        .control(
            reqwest::Method::PATCH,
            &format!("/spaces/{SPACE}/peerings/{pcx}"),
            change,
        )
        .await;
    assert_eq!(res.status().as_u16(), 200);
    let before = c.sim.stats().await.changes;
    let (status, body) = approve(&c.admin, id, "").await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body.to_string()
            .contains("CIDR blocks is now 10.201.0.0/16 (was 10.200.0.0/16)"),
        "{body}"
    );
    assert_eq!(
        c.sim.stats().await.changes,
        before,
        "nothing was asked of the provider"
    );
    assert_eq!(c.peering_status(&pcx).await, "pending-acceptance");
    pcx
}

#[tokio::test]
async fn a_request_changed_behind_the_approval_is_refused() {
    let c = Console::start_four_eyes().await;
    // On the AWS side, the request now announces another CIDR.
    approve_after_a_change(&c, Value::Null).await;
    let view: SpaceView = c.read("space", &[("space", SPACE)]).await;
    assert_eq!(
        view.approvals.requests[0].record.state,
        ApprovalState::Pending
    );
}

#[tokio::test]
async fn a_request_changed_between_the_approval_and_the_accept_is_not_accepted() {
    let c = Console::start_four_eyes().await;
    // The AWS side changes the request right after the approval compared
    // it (its two reads of the peering), before the accept is made: the
    // step that accepts compares again.
    approve_after_a_change(&c, serde_json::json!({"after_reads": 2})).await;
}

#[tokio::test]
async fn an_expired_request_cannot_be_approved() {
    let c = Console::start_four_eyes().await;
    let op = c.in_process_as(Some(Role::Operator)).await;
    // The peering request itself expires in 3 s; the approval with it.
    let pcx = request_from(
        &c,
        "210987654321",
        "vpc-0fedcba987654321",
        "10.200.0.0/16",
        serde_json::json!({"expires_in_secs": 3}),
    )
    .await;
    let (status, body) = ask(&op, &accept(&pcx), "quick").await;
    assert_eq!(status, 200, "{body}");
    let id = request_id(&c, &pcx).await;
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    let (status, body) = approve(&c.admin, id, "").await;
    assert_eq!(status, 409, "{body}");
    assert!(body.to_string().contains("expired"), "{body}");
    // The console says so in the history, in its own name.
    let expired = entries(&c, "approval.expire").await;
    assert_eq!(expired.len(), 1, "{expired:?}");
    assert_eq!(expired[0].actor, "spaceport");
    assert!(entries(&c, "peering.accept").await.is_empty());
}

#[tokio::test]
async fn expected_peers_mark_requests_and_can_be_required() {
    let c = Console::start_four_eyes().await;
    let op = c.in_process_as(Some(Role::Operator)).await;
    let ours = request_from(
        &c,
        "210987654321",
        "vpc-0fedcba987654321",
        "10.200.0.0/16",
        Value::Null,
    )
    .await;
    let stranger = request_from(
        &c,
        "999988887777",
        "vpc-0badbadbad",
        "10.201.0.0/16",
        Value::Null,
    )
    .await;
    let unexpected = |o: &Overview| {
        o.spaces
            .iter()
            .find(|s| s.name == SPACE)
            .map(|s| s.unexpected)
            .unwrap()
    };
    let overview: Overview = c.read("overview", &[]).await;
    let all_unexpected = unexpected(&overview);
    assert!(all_unexpected >= 2, "{overview:?}");

    // A viewer may not register one; an operator may, and bad input is said.
    let viewer = c.in_process_as(Some(Role::Viewer)).await;
    let expect = |account: &'static str, until: &'static str| {
        [
            ("space", SPACE),
            ("aws_account_id", account),
            ("vpc_id", "vpc-0fedcba987654321"),
            ("cidr", "10.200.0.0/16"),
            ("region", ""),
            ("note", "NET-42 payments"),
            ("valid_until", until),
        ]
    };
    let (status, _) = viewer
        .call("expect_peer", &expect("210987654321", "2099-01-01"))
        .await;
    assert_eq!(status, 403);
    let (status, body) = op
        .call("expect_peer", &expect("21098765432", "2099-01-01"))
        .await;
    assert_eq!(status, 400, "{body}");
    let next_year = (time::OffsetDateTime::now_utc() + time::Duration::days(30))
        .date()
        .to_string();
    let until: &'static str = Box::leak(next_year.into_boxed_str());
    let (status, body) = op.call("expect_peer", &expect("210987654321", until)).await;
    assert_eq!(status, 200, "{body}");

    // Only its own request loses the marker.
    let overview: Overview = c.read("overview", &[]).await;
    assert_eq!(unexpected(&overview), all_unexpected - 1);
    let html = c
        .http
        .get(format!("{}/spaces/{SPACE}", c.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let row = |pcx: &str| {
        let start = html.find(&format!("data-pcx=\"{pcx}\"")).unwrap();
        html[start..start + html[start..].find("</tr>").unwrap()].to_string()
    };
    assert!(
        row(&ours).contains("expected: NET-42 payments"),
        "{}",
        row(&ours)
    );
    assert!(!row(&ours).contains("unexpected requester"));
    assert!(
        row(&stranger).contains("unexpected requester"),
        "{}",
        row(&stranger)
    );
    let inbox: Inbox = op.read("inbox", &[]).await;
    let mark = |pcx: &str| {
        inbox
            .pending
            .iter()
            .find(|p| p.peering.pcx_id == pcx)
            .unwrap()
            .expectation
            .clone()
    };
    assert_eq!(
        mark(&ours),
        Some(Expectation::Expected("NET-42 payments".into()))
    );
    assert_eq!(mark(&stranger), Some(Expectation::Unexpected));

    // The stranger's approval is asked for while anyone may be accepted...
    ask(&op, &accept(&stranger), "looks routine").await;
    let stranger_id = request_id(&c, &stranger).await;
    // ...then the policy requires an expected peer (a tightening, which
    // one admin may make alone)...
    let policy = domain::policy::Policy {
        require_expected_peer: true,
        ..Default::default()
    };
    let policy = serde_json::to_string(&policy).unwrap();
    let (status, body) = op.call("set_policy", &[("policy", &policy)]).await;
    assert_eq!(status, 403, "an operator does not set the policy: {body}");
    let (status, body) = c.call("set_policy", &[("policy", &policy)]).await;
    assert_eq!(status, 200, "{body}");
    let set = entries(&c, "policy.set").await;
    assert!(
        set[0]
            .detail
            .clone()
            .unwrap_or_default()
            .contains("require expected peer off → on"),
        "{set:?}"
    );
    // ...and accepts directly, which loosens it: from the command line,
    // which holds the database file.
    let (ok, out) = crate::common::spaceport_policy(&c.db, &["set", "peering.accept=0"]);
    assert!(ok, "{out}");

    // The stranger cannot be accepted, nor approved, nor asked for.
    let (status, body) = op
        .call("accept_peering", &[("space", SPACE), ("pcx_id", &stranger)])
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body.to_string().contains("matches no expected peer"),
        "{body}"
    );
    let (status, body) = approve(&c.admin, stranger_id, "").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(c.peering_status(&stranger).await, "pending-acceptance");

    // The expected one is accepted, and its expectation is used up.
    let (status, body) = op
        .call("accept_peering", &[("space", SPACE), ("pcx_id", &ours)])
        .await;
    assert_eq!(status, 200, "{body}");
    let view: SpaceView = c.read("space", &[("space", SPACE)]).await;
    assert!(view.approvals.expected.is_empty(), "{view:?}");
    let accepted = entries(&c, "peering.accept").await;
    assert!(
        accepted[0]
            .message
            .clone()
            .unwrap_or_default()
            .contains("expected peer"),
        "{accepted:?}"
    );
    assert_eq!(entries(&c, "peer.expect").await.len(), 1);
}

#[tokio::test]
async fn the_policy_from_the_command_line() {
    let c = Console::start_four_eyes().await;
    let (ok, out) =
        crate::common::spaceport_policy(&c.db, &["set", "peering.accept=0", "peering.launch=1"]);
    assert!(!ok, "an unknown kind is refused: {out}");
    assert!(out.contains("not KIND=N"), "{out}");
    let (ok, out) = crate::common::spaceport_policy(&c.db, &["set", "peering.accept=0"]);
    assert!(ok, "{out}");
    assert!(out.contains("peering.accept 1 → 0"), "{out}");
    let (ok, out) = crate::common::spaceport_policy(&c.db, &["show"]);
    assert!(ok && out.contains("peering.accept"), "{out}");
    // The running console follows it at once.
    let (status, body) = c
        .call("accept_peering", &[("space", SPACE), ("pcx_id", PENDING)])
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_privatelink_held_back_is_asked_for_and_approved() {
    let c = Console::start_four_eyes().await;
    let (ok, out) = crate::common::spaceport_policy(&c.db, &["set", "privatelink.create=1"]);
    assert!(ok, "{out}");
    let op = c.in_process_as(Some(Role::Operator)).await;
    let form = [
        ("space", SPACE),
        ("addon", PG),
        ("accounts", "123456789012"),
    ];
    let (status, body) = op.call("create_privatelink", &form).await;
    assert_eq!(status, 409, "{body}");
    let view: PrivateLinkView = op
        .read("privatelink", &[("space", SPACE), ("addon", PG)])
        .await;
    assert_eq!(view.gates.create.needs, 1, "{:?}", view.gates);
    assert_eq!(view.gates.add.needs, 0);
    assert_eq!(view.gates.destroy.needs, 1);

    let create = serde_json::to_string(&ProviderAction::CreatePrivateLink {
        space: SPACE.parse().unwrap(),
        addon: PG.parse().unwrap(),
        accounts: "123456789012".parse().unwrap(),
    })
    .unwrap();
    let (status, body) = ask(&op, &create, "NET-9: analytics reads Postgres").await;
    assert_eq!(status, 200, "{body}");
    let view: PrivateLinkView = c
        .read("privatelink", &[("space", SPACE), ("addon", PG)])
        .await;
    let request = &view.requests[0].record;
    assert_eq!(request.state, ApprovalState::Pending, "{request:?}");
    assert!(
        request
            .snapshot
            .facts
            .iter()
            .any(|(_, v)| v.contains("none")),
        "{request:?}"
    );
    let id = request.id;
    let (status, body) = approve(&c.admin, id, "").await;
    assert_eq!(status, 200, "{body}");
    let view: PrivateLinkView = c
        .read("privatelink", &[("space", SPACE), ("addon", PG)])
        .await;
    let link = view.link.as_ref().expect("a PrivateLink");
    assert_eq!(link.status, PrivateLinkStatus::Provisioning);
    assert_eq!(view.requests[0].record.state, ApprovalState::Executed);
    let created = entries(&c, "privatelink.create").await;
    assert_eq!(created[0].actor, "t-admin");
}

/// Tokyo's active peering, which these tests ask to destroy.
const TOKYO: &str = "acme-prod-tokyo";
const TOKYO_ACTIVE: &str = "pcx-0b2c3d4e5f6071829";

fn destroy_in_tokyo() -> String {
    serde_json::to_string(&ProviderAction::DestroyPeering {
        space: TOKYO.parse().unwrap(),
        pcx_id: TOKYO_ACTIVE.parse().unwrap(),
    })
    .unwrap()
}

/// Adds an admin from the command line, as whoever holds the database
/// file would (independent of anyone on the console).
fn admin_from_the_command_line(c: &Console, name: &str) {
    let (ok, out) = crate::common::spaceport(&c.db, &["add", name, "--role", "admin"], PASSWORD);
    assert!(ok, "{out}");
}

/// Signs in a user invited with `one_time`, and sets their own password.
async fn first_sign_in(c: &Console, name: &str, one_time: &str) -> InProcess {
    let session = InProcess::new(c.router.clone());
    session.sign_in(name, one_time).await;
    let (status, _) = session
        .send(
            "POST",
            "/password",
            &[
                ("current", one_time),
                ("new", PASSWORD),
                ("repeat", PASSWORD),
            ],
        )
        .await;
    assert_eq!(status.as_u16(), 303);
    session
}

/// The open request for `target` in `space`, as its page shows it to `who`.
async fn request_in(who: &InProcess, space: &str, target: &str) -> ApprovalView {
    let view: SpaceView = who.read("space", &[("space", space)]).await;
    let requests = view.approvals.requests;
    requests
        .iter()
        .find(|r| r.record.target == target && r.record.state == ApprovalState::Pending)
        .cloned()
        .unwrap_or_else(|| panic!("no request for {target}: {requests:?}"))
}

#[tokio::test]
async fn one_admin_cannot_approve_their_own_destroy_through_an_admin_they_made() {
    let c = Console::start_four_eyes().await;
    // Another admin exists, made by whoever holds the file: requests can
    // be decided, by the right person.
    admin_from_the_command_line(&c, "c-admin");
    let carol = c.in_process_as(None).await;
    carol.sign_in("c-admin", PASSWORD).await;

    // t-admin asks to destroy, then makes an admin of their own. Inviting
    // one waits for another admin too; carol approves the invitation, and
    // gets the newcomer's one-time password to hand over.
    let (status, body) = ask(&c.admin, &destroy_in_tokyo(), "decommission").await;
    assert_eq!(status, 200, "{body}");
    // (Times are kept to the second: what follows is a second later.)
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (status, body) = c
        .call("invite_user", &[("name", "mallory"), ("role", "admin")])
        .await;
    assert_eq!(status, 409, "inviting an admin is held: {body}");
    let (status, body) = c
        .call(
            "invite_user",
            &[
                ("name", "mallory"),
                ("role", "admin"),
                ("reason", "more hands"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let inbox: Inbox = carol.read("inbox", &[]).await;
    let invite = inbox
        .to_decide
        .iter()
        .find(|r| r.record.kind == AuditName::UserInvite)
        .unwrap_or_else(|| panic!("{inbox:?}"))
        .record
        .id;
    let (status, decided) = approve(&carol, invite, "ok").await;
    assert_eq!(status, 200, "{decided}");
    let decided: Decided = serde_json::from_value(decided).unwrap();
    let one_time = decided.password.as_deref().expect("the one-time password");
    let mallory = first_sign_in(&c, "mallory", one_time).await;

    // Mallory may not decide it, and the page says why before she tries.
    let r = request_in(&mallory, TOKYO, TOKYO_ACTIVE).await;
    assert!(!r.can_decide, "{r:?}");
    let why = r.why_not.as_deref().unwrap();
    assert!(why.contains("after this request was made"), "{why}");
    let before = c.sim.stats().await.changes;
    let (status, body) = approve(&mallory, r.record.id, "").await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body.to_string().contains("after this request was made"),
        "{body}"
    );
    assert_eq!(c.sim.stats().await.changes, before, "nothing was destroyed");
    // Her inbox says the same.
    let inbox: Inbox = mallory.read("inbox", &[]).await;
    assert!(
        inbox
            .cannot_decide
            .iter()
            .any(|r| r.record.target == TOKYO_ACTIVE),
        "{inbox:?}"
    );

    // Carol, independent of t-admin, approves; the record says in what
    // standing she did.
    let (status, body) = approve(&carol, r.record.id, "agreed").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(c.sim.stats().await.changes, before + 1);
    let approved = entries(&c, "approval.approve").await;
    let detail = approved[0].detail.as_deref().unwrap_or_default();
    assert!(
        detail.contains("approved as admin, held since")
            && detail.contains("given by command line"),
        "{detail}"
    );
}

#[tokio::test]
async fn an_admin_made_before_the_request_by_its_requester_does_not_count() {
    let c = Console::start_four_eyes().await;
    admin_from_the_command_line(&c, "c-admin");
    // While nothing is held, t-admin makes an admin alone...
    let (ok, out) = crate::common::spaceport_policy(
        &c.db,
        &[
            "set",
            "peering.accept=0",
            "peering.destroy=0",
            "privatelink.destroy=0",
        ],
    );
    assert!(ok, "{out}");
    let invited: Decided = c
        .read("invite_user", &[("name", "sock"), ("role", "admin")])
        .await;
    let sock = first_sign_in(&c, "sock", invited.password.as_deref().unwrap()).await;
    // ...raises the counts again (a tightening needs nobody)...
    let policy = serde_json::to_string(&domain::policy::Policy::default()).unwrap();
    let (status, body) = c.call("set_policy", &[("policy", &policy)]).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.to_string().contains("Policy changed"), "{body}");
    // ...asks, and has their own admin approve.
    let (status, body) = ask(&c.admin, &destroy_in_tokyo(), "decommission").await;
    assert_eq!(status, 200, "{body}");
    let r = request_in(&sock, TOKYO, TOKYO_ACTIVE).await;
    let (status, body) = approve(&sock, r.record.id, "").await;
    assert_eq!(status, 403, "{body}");
    let said = body.to_string();
    assert!(
        said.contains("Your account was made by t-admin, who asked"),
        "{said}"
    );
    // The space page knew: one approver only, carol.
    let view: SpaceView = c.read("space", &[("space", TOKYO)]).await;
    assert_eq!(view.approvals.destroy.approvers, 1, "{view:?}");
}

#[tokio::test]
async fn a_policy_lowered_by_one_admin_alone_waits_for_another() {
    let c = Console::start_four_eyes().await;
    let mut lower = domain::policy::Policy::default();
    lower
        .approvals
        .insert(domain::kind::AuditName::PeeringDestroy, 0);
    let lower = serde_json::to_string(&lower).unwrap();
    // Alone: held, and nobody else could approve it; said so, with what to do.
    let (status, body) = c.call("set_policy", &[("policy", &lower)]).await;
    assert_eq!(status, 409, "{body}");
    let (status, body) = c
        .call("set_policy", &[("policy", &lower), ("reason", "too slow")])
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(body.to_string().contains("spaceport user add"), "{body}");
    let page: PolicyView = c.read("policy", &[]).await;
    assert_eq!(page.policy.needs(AuditName::PeeringDestroy), 1, "{page:?}");

    // Raising a count is never held.
    let mut raise = domain::policy::Policy::default();
    raise
        .approvals
        .insert(domain::kind::AuditName::PrivateLinkCreate, 1);
    let raise = serde_json::to_string(&raise).unwrap();
    let (status, body) = c.call("set_policy", &[("policy", &raise)]).await;
    assert_eq!(status, 200, "{body}");

    // With a second admin, the lowering is asked for, and decided by them.
    admin_from_the_command_line(&c, "c-admin");
    let carol = c.in_process_as(None).await;
    carol.sign_in("c-admin", PASSWORD).await;
    let mut lower = serde_json::from_str::<domain::policy::Policy>(&raise).unwrap();
    lower
        .approvals
        .insert(domain::kind::AuditName::PeeringDestroy, 0);
    let lower = serde_json::to_string(&lower).unwrap();
    let (status, body) = c
        .call("set_policy", &[("policy", &lower), ("reason", "too slow")])
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.to_string().contains("Asked for approval"), "{body}");
    let inbox: Inbox = carol.read("inbox", &[]).await;
    let id = inbox
        .to_decide
        .first()
        .expect("carol may decide it")
        .record
        .id;
    assert_eq!(approve(&c.admin, id, "").await.0, 403, "not their own");
    let (status, body) = approve(&carol, id, "fine").await;
    assert_eq!(status, 200, "{body}");
    let page: PolicyView = c.read("policy", &[]).await;
    assert_eq!(page.policy.needs(AuditName::PeeringDestroy), 0, "{page:?}");
}

#[tokio::test]
async fn raising_or_enabling_someone_who_could_decide_waits_for_another_admin() {
    let c = Console::start_four_eyes().await;
    // Raising the operator to admin, or enabling a disabled operator
    // (operators decide accepts, which the policy holds), waits.
    let (status, body) = c
        .call(
            "set_user_role",
            &[("name", "t-operator"), ("role", "admin")],
        )
        .await;
    assert_eq!(status, 409, "{body}");
    let (status, body) = c
        .call(
            "set_user_disabled",
            &[("name", "t-operator"), ("disabled", "true")],
        )
        .await;
    assert_eq!(status, 200, "disabling is never held: {body}");
    let (status, body) = c
        .call(
            "set_user_disabled",
            &[("name", "t-operator"), ("disabled", "false")],
        )
        .await;
    assert_eq!(status, 409, "{body}");
    // A demotion, and a viewer invited, need nobody.
    let (status, body) = c
        .call("set_user_role", &[("name", "t-viewer"), ("role", "viewer")])
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = c
        .call("invite_user", &[("name", "reader"), ("role", "viewer")])
        .await;
    assert_eq!(status, 200, "{body}");
    // The Users page says which roles wait.
    let users: UsersView = c.read("users", &[]).await;
    assert_eq!(users.held, [Role::Operator, Role::Admin], "{users:?}");
    // The command line, which holds the file, is not held, and is recorded.
    let (ok, out) = crate::common::spaceport(&c.db, &["enable", "t-operator"], "");
    assert!(ok, "{out}");
    let enabled = entries(&c, "user.enable").await;
    assert_eq!(enabled[0].actor, "command line");
}

#[tokio::test]
async fn a_held_change_is_asked_for_through_its_own_call_with_a_reason() {
    let c = Console::start_four_eyes().await;
    let op = c.in_process_as(Some(Role::Operator)).await;
    // The accept's own function, with a reason: a request, no accept.
    let answer: Answer<ActionResult> = op
        .read(
            "accept_peering",
            &[("space", SPACE), ("pcx_id", PENDING), ("reason", "NET-7")],
        )
        .await;
    let Answer::Asked { message, asked } = answer else {
        panic!("accepted instead of asked: {answer:?}");
    };
    assert!(asked && message.contains("Asked for approval"), "{message}");
    assert_eq!(c.peering_status(PENDING).await, "pending-acceptance");
    let asked = entries(&c, "approval.request").await;
    assert_eq!(asked.len(), 1);
    assert!(
        asked[0]
            .detail
            .clone()
            .unwrap_or_default()
            .contains("NET-7"),
        "{:?}",
        asked[0]
    );

    // A destroy with a reason and no typed PCX ID is only ever asked for
    // (by an admin, whom another admin can approve).
    admin_from_the_command_line(&c, "t-second");
    let destroy = [
        ("space", TOKYO),
        ("pcx_id", TOKYO_ACTIVE),
        ("reason", "gone"),
    ];
    let answer: Answer<ActionResult> = c.read("destroy_peering", &destroy).await;
    assert!(
        matches!(answer, Answer::Asked { asked: true, .. }),
        "{answer:?}"
    );
    let before = c.sim.stats().await.changes;
    // Where the policy holds nothing back, the same post destroys nothing:
    // it was a request, and the typed PCX ID is what a destroy needs.
    let open = Console::start().await;
    let (status, body) = open.call("destroy_peering", &destroy).await;
    assert_eq!(status, 409, "{body}");
    assert!(body.to_string().contains("do it directly"), "{body}");
    let (status, body) = open
        .call(
            "destroy_peering",
            &[("space", TOKYO), ("pcx_id", TOKYO_ACTIVE)],
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("type the PCX ID"), "{body}");
    assert_eq!(open.sim.stats().await.changes, 0);
    assert_eq!(c.sim.stats().await.changes, before);
}

#[tokio::test]
async fn a_change_asked_for_through_its_own_call_shows_on_its_page_at_once() {
    let c = Console::start_four_eyes().await;
    let (ok, out) = crate::common::spaceport_policy(&c.db, &["set", "privatelink.create=1"]);
    assert!(ok, "{out}");
    let op = c.in_process_as(Some(Role::Operator)).await;
    let page = [("space", SPACE), ("addon", PG)];
    // Read once, so the page's approvals are what it remembers.
    let before: PrivateLinkView = op.read("privatelink", &page).await;
    assert!(before.requests.is_empty(), "{:?}", before.requests);
    let answer: Answer<DataActionResult> = op
        .read(
            "create_privatelink",
            &[
                ("space", SPACE),
                ("addon", PG),
                ("accounts", "123456789012"),
                ("reason", "NET-9"),
            ],
        )
        .await;
    assert!(
        matches!(answer, Answer::Asked { asked: true, .. }),
        "{answer:?}"
    );
    let after: PrivateLinkView = op.read("privatelink", &page).await;
    assert_eq!(after.requests.len(), 1, "the request shows at once");
    assert_eq!(after.requests[0].record.state, ApprovalState::Pending);
}
