//! The web layer in-process: the real router, called with
//! `tower::ServiceExt::oneshot` (no socket), around a fake `Console`. What
//! is tested is what the web layer itself does: the gate, the server
//! functions' typed arguments and their statuses, the server-rendered
//! pages. No provider runs; the users, sessions and history are a real
//! SQLite file.

use crate::common::{InProcess, PASSWORD};
use app::console::Console;
use axum::http::StatusCode;
use clap::Parser;
use domain::access::Caller;
use domain::action::{Action, Done, ProviderAction};
use domain::error::AppError;
use domain::ids::{AddonName, SpaceRef};
use domain::model::{
    ActionResult, AuditPage, AuditQuery, ChainStatus, DataAddonSummary, Freshness, PeeringStatus,
};
use domain::views::{Overview, PrivateLinkView, SpaceView};
use std::sync::{Arc, Mutex};

const KNOWN: &str = "fake-space";
const PENDING: &str = "pcx-0f0e0d0c0b";
/// A peering the fake says is no longer pending.
const TAKEN: &str = "pcx-0a0a0a0a0a";
/// The fake's one add-on with a PrivateLink, and the account it allows.
const ADDON: &str = "postgresql-fake-12345";
const ALLOWED: &str = "arn:aws:iam::123456789012:user/ops";

/// A Console with one space and one pending peering, which remembers
/// every action it was handed.
#[derive(Default)]
struct Fake {
    acts: Mutex<Vec<(String, Action)>>,
}

fn fresh() -> Freshness {
    Freshness {
        fetched_at: "2026-11-23T12:00:00Z".into(),
        as_of: "2026-11-23T12:00:00Z".into(),
        stale_error: None,
    }
}

#[async_trait::async_trait]
impl Console for Fake {
    async fn overview(&self, _: &Caller) -> Result<Overview, AppError> {
        Ok(Overview {
            spaces: vec![],
            freshness: fresh(),
            provider_budget: None,
            watch: None,
            plans: vec![],
            shared: vec![],
        })
    }

    async fn terraform(&self, _: &Caller, space: &SpaceRef) -> Result<String, AppError> {
        Err(AppError::NotFound(format!("No space \"{space}\" here.")))
    }

    async fn inventory(&self, _: &Caller) -> Result<Vec<domain::views::InventoryRow>, AppError> {
        Ok(vec![])
    }

    async fn space(&self, _: &Caller, space: &SpaceRef) -> Result<SpaceView, AppError> {
        if space.as_str() != KNOWN {
            return Err(AppError::NotFound(format!("No space \"{space}\" here.")));
        }
        let peering = serde_json::json!({
            "type": "customer-managed", "pcx_id": PENDING, "cidr_blocks": ["10.100.0.0/16"],
            "status": "pending-acceptance", "aws_vpc_id": "vpc-0123abcd",
            "aws_account_id": "123456789012", "expires": "2026-11-30T12:00:00Z"
        });
        Ok(SpaceView {
            name: KNOWN.into(),
            info: serde_json::from_value(serde_json::json!({
                "aws_account_id": "847227832372", "aws_region": "us-east-1",
                "vpc_id": "vpc-e291cc85", "vpc_cidr": "10.0.0.0/16"
            }))
            .unwrap(),
            peerings: vec![serde_json::from_value(peering).unwrap()],
            freshness: fresh(),
            approvals: Default::default(),
        })
    }

    async fn data_addons(
        &self,
        _: &Caller,
        _: &SpaceRef,
    ) -> Result<Vec<DataAddonSummary>, AppError> {
        Ok(vec![])
    }

    async fn privatelink(
        &self,
        _: &Caller,
        _: &SpaceRef,
        addon: &AddonName,
    ) -> Result<PrivateLinkView, AppError> {
        if addon.as_str() != ADDON {
            return Err(AppError::NotFound(format!("No add-on {addon}.")));
        }
        let link = serde_json::json!({
            "addon": {"name": ADDON}, "app": {"name": "fake-app"}, "status": "Operational",
            "service_name": "com.amazonaws.vpce.us-east-1.vpce-svc-0fake",
            "allowed_accounts": [{"arn": ALLOWED, "status": "Active"}],
            "connections": []
        });
        Ok(PrivateLinkView {
            space: KNOWN.into(),
            app: "fake-app".into(),
            addon: ADDON.into(),
            service: domain::model::DataService::Postgres,
            plan: "private-0".into(),
            eligible: true,
            region: "us-east-1".into(),
            link: Some(serde_json::from_value(link).unwrap()),
            urls: vec![],
            wait_limit_secs: 600,
            freshness: fresh(),
            gates: Default::default(),
            requests: vec![],
        })
    }

    /// A policy whose own change waits for another person.
    async fn policy(&self, _: &Caller) -> Result<domain::views::PolicyView, AppError> {
        Ok(domain::views::PolicyView {
            policy: Default::default(),
            gate: domain::policy::Gate {
                needs: 1,
                approvers: 1,
                by_admins: true,
            },
        })
    }

    async fn audit(&self, _: &Caller, query: AuditQuery) -> Result<AuditPage, AppError> {
        Ok(AuditPage {
            entries: vec![],
            query,
            older: None,
            newer: None,
            searched_to: None,
            spaces: vec![],
            actors: vec![],
            chain: ChainStatus::default(),
        })
    }

    async fn users(&self, _: &Caller) -> Result<domain::views::UsersView, AppError> {
        Ok(Default::default())
    }

    async fn act(&self, who: &Caller, action: Action) -> Result<Done, AppError> {
        self.acts
            .lock()
            .unwrap()
            .push((who.name.clone(), action.clone()));
        match action {
            Action::Provider(ProviderAction::AcceptPeering { pcx_id, .. })
                if pcx_id.as_str() == TAKEN =>
            {
                Err(AppError::Conflict(format!(
                    "{pcx_id} is active; only a pending request can be accepted."
                )))
            }
            Action::Provider(ProviderAction::AcceptPeering { pcx_id, .. }) => {
                Ok(Done::Peering(ActionResult {
                    pcx_id: pcx_id.to_string(),
                    status: PeeringStatus::Provisioning,
                    message: format!("Accepted {pcx_id}."),
                }))
            }
            _ => Err(AppError::Invalid("The fake does only accepts.".into())),
        }
    }
}

/// The real router around a `Fake`, in-process.
struct App {
    web: InProcess,
    fake: Arc<Fake>,
    _dir: tempfile::TempDir,
}

impl App {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("pages.db");
        crate::common::make_users(&db).await;
        let cli = server::config::Cli::try_parse_from([
            "spaceport",
            "--database",
            db.to_str().unwrap(),
            "--api-key",
            "unused: no provider is called",
        ])
        .unwrap();
        let fake = Arc::new(Fake::default());
        let router = server::startup::web_for(&cli.serve, fake.clone(), false)
            .await
            .expect("the web layer builds");
        Self {
            web: InProcess::new(router),
            fake,
            _dir: dir,
        }
    }

    async fn send(&self, method: &str, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
        self.web.send(method, path, form).await
    }

    async fn sign_in(&self, role: &str) {
        self.web.sign_in(&format!("t-{role}"), PASSWORD).await;
    }

    fn acts(&self) -> Vec<(String, Action)> {
        self.fake.acts.lock().unwrap().clone()
    }
}

#[tokio::test]
async fn the_space_page_renders_what_the_console_says() {
    let app = App::start().await;
    app.sign_in("operator").await;
    let (status, html) = app.send("GET", &format!("/spaces/{KNOWN}"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("data-pcx=\"{PENDING}\"")), "{html}");
    assert!(html.contains("pending-acceptance"), "{html}");
    assert!(html.contains("847227832372"), "the peering info: {html}");
    // The console's refusal is said on the page, which answers with its
    // status (the page's server function set it), not a 500.
    let (status, html) = app.send("GET", "/spaces/other-space", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("No space \"other-space\" here."), "{html}");
}

#[tokio::test]
async fn a_server_function_hands_the_console_a_parsed_action() {
    let app = App::start().await;
    app.sign_in("operator").await;
    let (status, body) = app
        .send(
            "POST",
            "/api/accept_peering",
            &[("space", KNOWN), ("pcx_id", &format!("  {PENDING} "))],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("Accepted"), "{body}");
    let acts = app.acts();
    assert_eq!(acts.len(), 1);
    assert_eq!(acts[0].0, "t-operator");
    assert_eq!(
        acts[0].1,
        ProviderAction::AcceptPeering {
            space: KNOWN.parse().unwrap(),
            pcx_id: PENDING.parse().unwrap(),
        }
        .into(),
        "trimmed and typed once, at the boundary"
    );
}

#[tokio::test]
async fn statuses_come_from_the_error_and_bad_input_never_reaches_the_console() {
    let app = App::start().await;
    app.sign_in("admin").await;
    /// A server function, its form, the status wanted and words the answer holds.
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], StatusCode, &'a str);
    let cases: &[Case] = &[
        // Refused by the console: its own status.
        (
            "accept_peering",
            &[("space", KNOWN), ("pcx_id", TAKEN)],
            StatusCode::CONFLICT,
            "only a pending request",
        ),
        // Refused by the arguments' types, before any function runs.
        (
            "accept_peering",
            &[("space", KNOWN), ("pcx_id", "pcx-nothex!")],
            StatusCode::BAD_REQUEST,
            "PCX ID",
        ),
        (
            "accept_peering",
            &[("space", "Not A Space"), ("pcx_id", PENDING)],
            StatusCode::BAD_REQUEST,
            "space name",
        ),
        (
            "invite_user",
            &[("name", "ok-name"), ("role", "root")],
            StatusCode::BAD_REQUEST,
            "not a role",
        ),
        // Refused by the confirmation, before the console.
        (
            "destroy_peering",
            &[("space", KNOWN), ("pcx_id", PENDING), ("confirm", "pcx-0")],
            StatusCode::BAD_REQUEST,
            "type the PCX ID",
        ),
        (
            "space",
            &[("space", "no-such-space")],
            StatusCode::NOT_FOUND,
            "No space",
        ),
    ];
    for (name, form, want, words) in cases {
        let (status, body) = app.send("POST", &format!("/api/{name}"), form).await;
        assert_eq!(status, *want, "{name} {form:?}: {body}");
        assert!(body.contains(words), "{name} {form:?}: {body}");
    }
    // Only the one well-formed accept got as far as the console.
    let acts = app.acts();
    assert_eq!(acts.len(), 1, "{acts:?}");
}

#[tokio::test]
async fn the_gate_refuses_before_the_console_is_reached() {
    let app = App::start().await;
    // Nobody signed in.
    let (status, _) = app
        .send(
            "POST",
            "/api/accept_peering",
            &[("space", KNOWN), ("pcx_id", PENDING)],
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // A viewer may not accept; the rule comes from the action's permission.
    app.sign_in("viewer").await;
    let (status, body) = app
        .send(
            "POST",
            "/api/accept_peering",
            &[("space", KNOWN), ("pcx_id", PENDING)],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("cannot accept peerings"), "{body}");
    assert!(app.acts().is_empty());
}

#[tokio::test]
async fn a_peering_s_confirmations_are_pages_of_their_own_for_those_who_may() {
    let app = App::start().await;
    app.sign_in("operator").await;
    let accept = format!("/spaces/{KNOWN}/peerings/{PENDING}/accept");
    let (status, html) = app.send("GET", &accept, &[]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("role=\"dialog\""), "{html}");
    assert!(html.contains("action=\"/api/accept_peering\""), "{html}");
    assert!(
        html.contains(&format!("name=\"pcx_id\" value=\"{PENDING}\"")),
        "{html}"
    );
    assert!(html.contains("123456789012"), "the requester: {html}");
    // An operator may not destroy: no dialog, and the address says why.
    let destroy = format!("/spaces/{KNOWN}/peerings/{PENDING}/destroy");
    let (status, html) = app.send("GET", &destroy, &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!html.contains("role=\"dialog\""), "{html}");
    assert!(html.contains("offers no destroy to you now"), "{html}");
    // Nor is there a dialog for what is not there.
    for path in [
        format!("/spaces/{KNOWN}/peerings/pcx-0123456789/accept"),
        format!("/spaces/{KNOWN}/peerings/{PENDING}/anything"),
        format!("/spaces/{KNOWN}/approvals/42"),
    ] {
        let (status, html) = app.send("GET", &path, &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {html}");
        assert!(!html.contains("role=\"dialog\""), "{path}: {html}");
    }
    // A viewer gets no accept either.
    let viewer = App::start().await;
    viewer.sign_in("viewer").await;
    let (status, html) = viewer.send("GET", &accept, &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!html.contains("role=\"dialog\""), "{html}");
}

#[tokio::test]
async fn the_space_page_shows_the_status_asked_for_in_its_address() {
    let app = App::start().await;
    app.sign_in("viewer").await;
    let row = format!("data-pcx=\"{PENDING}\"");
    let (_, html) = app
        .send("GET", &format!("/spaces/{KNOWN}?status=active"), &[])
        .await;
    assert!(!html.contains(&row), "{html}");
    let (_, html) = app
        .send(
            "GET",
            &format!("/spaces/{KNOWN}?status=pending-acceptance"),
            &[],
        )
        .await;
    assert!(html.contains(&row), "{html}");
    assert!(
        html.contains("<option value=\"pending-acceptance\" selected"),
        "{html}"
    );
}

#[tokio::test]
async fn the_policy_form_sends_the_policy_as_drafted_with_no_action_built_in_the_page() {
    let app = App::start().await;
    app.sign_in("admin").await;
    let (status, html) = app.send("GET", "/settings", &[]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    // One function whatever the change: the server asks for approval
    // where the policy holds it back (see `set_policy`).
    assert!(html.contains("action=\"/api/set_policy\""), "{html}");
    assert!(!html.contains("action=\"/api/request_approval\""), "{html}");
    let field = html
        .split("name=\"policy\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the policy field");
    let field = field.replace("&quot;", "\"");
    let policy: domain::policy::Policy = serde_json::from_str(&field).expect(&field);
    assert_eq!(policy, Default::default());
    // The draft's own fields are not sent.
    assert!(
        html.contains("name=\"lifetime_hours\" data-draft"),
        "{html}"
    );
    assert!(
        html.contains("name=\"independence_days\" data-draft"),
        "{html}"
    );
}

#[tokio::test]
async fn removing_an_allowed_account_is_confirmed_on_a_page_of_its_own_for_admins() {
    let app = App::start().await;
    app.sign_in("admin").await;
    let page = format!("/spaces/{KNOWN}/addons/{ADDON}");
    let (status, html) = app.send("GET", &page, &[]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    // The Remove button opens the confirmation's address.
    let remove = format!("{page}/remove?arn=arn%3Aaws%3Aiam%3A%3A123456789012%3Auser%2Fops");
    assert!(
        html.contains(&format!("data-dialog=\"{remove}\"")),
        "{html}"
    );
    // The page follows what settles, up to its limit, and says so then.
    assert!(html.contains("data-live=\"addon\""), "{html}");
    assert!(html.contains("data-give-up=\"600\""), "{html}");
    let (status, html) = app.send("GET", &remove, &[]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("role=\"dialog\""), "{html}");
    assert!(
        html.contains("action=\"/api/remove_allowed_account\""),
        "{html}"
    );
    assert!(
        html.contains(&format!("name=\"account\" value=\"{ALLOWED}\"")),
        "{html}"
    );
    // An account it does not allow has no confirmation.
    let other = format!("{page}/remove?arn=arn%3Aaws%3Aiam%3A%3A999999999999%3Aroot");
    let (status, html) = app.send("GET", &other, &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{html}");
    assert!(!html.contains("role=\"dialog\""), "{html}");
    // An operator may not remove accounts: no button, no dialog.
    let operator = App::start().await;
    operator.sign_in("operator").await;
    let (_, html) = operator.send("GET", &page, &[]).await;
    assert!(!html.contains("data-dialog="), "{html}");
    let (status, html) = operator.send("GET", &remove, &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{html}");
    assert!(!html.contains("role=\"dialog\""), "{html}");
}

/// Attributes the pages write for tests and styles to find rows and
/// states by; the runtime reads none of them.
const MARKERS: &[&str] = &[
    "data-pcx",
    "data-status",
    "data-arn",
    "data-approval",
    "data-state",
    "data-target",
    "data-hk",
    "data-role",
    "data-kind",
    "data-link-status",
    "data-addons",
    // The address plan's: a block, a range's band, an overlap, a
    // suggested free block, a space, a shared peer.
    "data-block",
    "data-clashes",
    "data-range",
    "data-overlap",
    "data-suggestion",
    "data-space",
    "data-shared",
];

/// Every `data-*` attribute name in `html`.
fn data_attributes(html: &str) -> std::collections::BTreeSet<String> {
    html.split(" data-")
        .skip(1)
        .map(|rest| {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '-')
                .collect();
            format!("data-{name}")
        })
        .collect()
}

#[tokio::test]
async fn every_data_attribute_a_page_writes_is_one_the_runtime_knows_or_a_marker() {
    let app = App::start().await;
    app.sign_in("admin").await;
    let mut seen = std::collections::BTreeSet::new();
    for page in [
        "/".to_string(),
        format!("/spaces/{KNOWN}"),
        format!("/spaces/{KNOWN}/peerings/{PENDING}/accept"),
        format!("/spaces/{KNOWN}/peerings/{PENDING}/destroy"),
        format!("/spaces/{KNOWN}/addons/{ADDON}"),
        "/users".into(),
        "/settings".into(),
        "/inbox".into(),
        "/audit".into(),
    ] {
        let (status, html) = app.send("GET", &page, &[]).await;
        assert_eq!(status, StatusCode::OK, "{page}: {html}");
        seen.extend(data_attributes(&html));
    }
    let protocol = app::controls::protocol::ALL;
    let unknown: Vec<_> = seen
        .iter()
        .filter(|a| !protocol.contains(&a.as_str()) && !MARKERS.contains(&a.as_str()))
        .collect();
    assert!(
        unknown.is_empty(),
        "neither protocol nor marker: {unknown:?}"
    );
    // The pages write the runtime's main attributes (a check that the
    // scan above finds something).
    for a in ["data-live", "data-call", "data-dialog", "data-key"] {
        assert!(seen.contains(a), "no page writes {a}: {seen:?}");
    }
}
