//! The space page's confirmations, each the page of an address of its own
//! (`/spaces/{space}/peerings/{pcx}/accept` and `/destroy`,
//! `/spaces/{space}/approvals/{request}`): the space page's buttons open
//! the dialog of that page over themselves, so the checks before
//! accepting and every word of a confirmation are worked out on the
//! server, where the data is.

use crate::components::{Loaded, no_such, page_data};
use crate::controls::forms::{CallForm, CloseButton, TypedConfirm};
use crate::error::FnError;
use crate::me::i_can;
use crate::pages::approvals::{ApprovalCard, ReasonForm};
use crate::pages::inbox::ExpectationMarker;
use crate::pages::space::{AcceptPeering, DestroyPeering, get_space};
use domain::access::Permission;
use domain::checks::{Severity, accept_findings};
use domain::ids::parse;
use domain::kind::AuditName;
use domain::model::Peering;
use domain::policy::expectation_of;
use domain::views::SpaceView;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_params_map;

/// `/spaces/{space}/peerings/{pcx}/{accept|destroy}`.
#[component]
pub fn PeeringDialogPage() -> impl IntoView {
    let (param, data) = space_data();
    let render = move |view: SpaceView| {
        let (space, pcx, what) = (param("space"), param("pcx"), param("what"));
        let Some(peering) = view.peerings.iter().find(|p| p.pcx_id == pcx).cloned() else {
            return no_such(format!("There is no peering {pcx} in {space}."));
        };
        match what.as_str() {
            "accept" if peering.can_accept() && i_can(Permission::AcceptPeering) => {
                view! { <AcceptDialog space peering view /> }.into_any()
            }
            "destroy" if peering.can_destroy() && i_can(Permission::DestroyPeering) => {
                view! { <DestroyDialog space peering view /> }.into_any()
            }
            _ => no_such(format!("{pcx} offers no {what} to you now.")),
        }
    };
    view! { <Loaded data fallback="Loading the space…" view=render /> }
}

/// `/spaces/{space}/approvals/{request}`: a request about a peering, to decide.
#[component]
pub fn ReviewDialogPage() -> impl IntoView {
    let (param, data) = space_data();
    let render = move |view: SpaceView| {
        let id = param("request");
        let request = view
            .approvals
            .requests
            .iter()
            .find(|r| r.id.to_string() == id)
            .cloned();
        let Some(request) = request else {
            return no_such(format!(
                "There is no request #{id} about {}.",
                param("space")
            ));
        };
        let marker = view
            .peerings
            .iter()
            .find(|p| p.pcx_id == request.target)
            .map(|p| marker(p, &view).into_any());
        let as_of = view.freshness.as_of.clone();
        view! {
            <div class="dialog" role="dialog" aria-label="Decide approval">
                <h2>{format!("Approve #{}?", request.id)}</h2>
                <ApprovalCard request as_of marker />
                <div class="buttons">
                    <CloseButton label="Close" />
                </div>
            </div>
        }
        .into_any()
    };
    view! { <Loaded data fallback="Loading the space…" view=render /> }
}

/// The address's parameters, and its space read as its page reads it.
fn space_data() -> (
    impl Fn(&str) -> String + Copy + Send + Sync + 'static,
    Resource<Result<SpaceView, FnError>>,
) {
    let params = use_params_map();
    let param = move |name: &str| params.read_untracked().get(name).unwrap_or_default();
    let space = move || params.read().get("space").unwrap_or_default();
    let data = page_data(space, |s| async move { get_space(parse(&s)?).await });
    (param, data)
}

/// Whether the team expected this request.
fn marker(p: &Peering, view: &SpaceView) -> impl IntoView + use<> {
    let expectation = expectation_of(p, &view.approvals.expected, &view.freshness.as_of);
    view! {
        <p class="expectation">
            <ExpectationMarker expectation />
        </p>
    }
}

#[component]
fn AcceptDialog(space: String, peering: Peering, view: SpaceView) -> impl IntoView {
    let p = peering;
    let findings = accept_findings(&p, &view.info, &view.peerings, &view.freshness.as_of);
    let blocked = findings.iter().any(|f| f.severity == Severity::Blocker);
    let gate = view.approvals.accept;
    let fields = vec![("space", space), ("pcx_id", p.pcx_id.clone())];
    // Only what this person can do: where the policy holds the accept
    // back, the form that asks for approval; else the accept itself (with
    // its button greyed while a blocker stands).
    let buttons = if gate.needs > 0 && !blocked {
        view! { <ReasonForm gate function=AcceptPeering::PATH fields what=AuditName::PeeringAccept /> }
            .into_any()
    } else {
        view! {
            <CallForm function=AcceptPeering::PATH fields>
                <div class="buttons">
                    <button type="submit" class="confirm-accept" disabled=blocked>
                        "Accept peering"
                    </button>
                    <CloseButton />
                </div>
            </CallForm>
        }
        .into_any()
    };
    view! {
        <div class="dialog" role="dialog" aria-label="Accept peering">
            <h2>"Accept " <code>{p.pcx_id.clone()}</code> "?"</h2>
            <dl>
                <dt>"Requesting AWS account"</dt>
                <dd>{p.aws_account_id.clone().unwrap_or_default()}</dd>
                <dt>"VPC"</dt>
                <dd>{p.aws_vpc_id.clone().unwrap_or_default()}</dd>
                <dt>"Region"</dt>
                <dd>{p.aws_region.clone().unwrap_or_default()}</dd>
                <dt>"CIDR blocks"</dt>
                <dd>{p.all_cidrs().join(", ")}</dd>
            </dl>
            {marker(&p, &view)}
            <ul class="findings">
                {findings
                    .into_iter()
                    .map(|f| {
                        let class = match f.severity {
                            Severity::Blocker => "finding blocker",
                            Severity::Warning => "finding warning",
                        };
                        view! { <li class=class>{f.message}</li> }
                    })
                    .collect_view()}
            </ul>
            {buttons}
        </div>
    }
}

#[component]
fn DestroyDialog(space: String, peering: Peering, view: SpaceView) -> impl IntoView {
    let p = peering;
    let gate = view.approvals.destroy;
    let fields = vec![("space", space), ("pcx_id", p.pcx_id.clone())];
    // Where the policy holds it back, a reason instead of the typed PCX
    // ID: the approver's decision is the confirmation.
    let (then, body) = if gate.needs > 0 {
        (
            " once another person approves.",
            view! { <ReasonForm gate function=DestroyPeering::PATH fields what=AuditName::PeeringDestroy /> }
                .into_any(),
        )
    } else {
        (
            ". To proceed, type the PCX ID.",
            view! {
                <TypedConfirm
                    function=DestroyPeering::PATH
                    fields
                    expected=p.pcx_id.clone()
                    button="Destroy peering"
                    button_class="danger confirm-destroy"
                />
            }
            .into_any(),
        )
    };
    view! {
        <div class="dialog" role="dialog" aria-label="Destroy peering">
            <h2>"Destroy " <code>{p.pcx_id.clone()}</code> "?"</h2>
            <p>
                "This tears down the peering connection to "
                {p.aws_vpc_id.clone().unwrap_or_default()} " (" {p.all_cidrs().join(", ")}
                "). Traffic over it stops" {then}
            </p>
            {body}
        </div>
    }
}
