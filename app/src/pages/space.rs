//! One space: its peering info, its peerings, and the accept and destroy
//! actions with their confirmations (or, where the policy holds them back,
//! the requests for approval and their decisions), and the expected peers.
//! The page keeps reading, faster while any peering is in a transient
//! status or a request waits, so an accepted request is seen to reach
//! `active`, and a colleague's decision is seen, without a reload.

use crate::access::{Permission, i_can};
use crate::action::{Action, AuditName};
use crate::answer_of;
use crate::approval::{ApprovalState, ApprovalView, SpaceApprovals, expectation_of};
use crate::components::{
    Copyable, CopyableList, ErrorMessage, FreshnessNote, Loaded, RelativeTime, StatusBadge,
    TypeToConfirm, latest_answer,
};
use crate::error::AppError;
use crate::ids::{PcxId, SpaceRef, parse};
use crate::model::{ActionResult, Peering, PeeringInfo, PeeringStatus, SpaceView};
use crate::pages::approvals::{ApprovalCard, DecisionMessage, Decisions, ReasonForm, every};
use crate::pages::expected::{ExpectForm, ExpectMessage, ExpectPeer, ExpectedPeers, ForgetPeer};
use crate::pages::inbox::ExpectationMarker;
use crate::validate::{Severity, accept_findings};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use std::time::Duration;

/// How often the page reads again while something is changing.
const REFRESH_WHILE_TRANSIENT: Duration = Duration::from_millis(1500);
/// Otherwise it reads every this many of those periods.
const IDLE_TICKS: u32 = 4;

#[server(endpoint = "space")]
pub async fn get_space(space: SpaceRef) -> Result<SpaceView, AppError> {
    crate::console::answer(async move {
        let (console, who) = crate::console::console()?;
        console.space(&who, &space).await
    })
    .await
}

#[server(endpoint = "accept_peering")]
pub async fn accept_peering(space: SpaceRef, pcx_id: PcxId) -> Result<ActionResult, AppError> {
    crate::console::answer(async move {
        crate::console::act(crate::action::Action::AcceptPeering { space, pcx_id })
            .await?
            .peering()
    })
    .await
}

/// `confirm` must repeat the PCX ID, as the provider's CLI demands.
#[server(endpoint = "destroy_peering")]
pub async fn destroy_peering(
    space: SpaceRef,
    pcx_id: PcxId,
    confirm: String,
) -> Result<ActionResult, AppError> {
    crate::console::answer(async move {
        crate::action::confirmed(&confirm, pcx_id.as_str(), "PCX ID")?;
        crate::console::act(crate::action::Action::DestroyPeering { space, pcx_id })
            .await?
            .peering()
    })
    .await
}

/// The confirmation currently open, if any.
#[derive(Clone, PartialEq)]
enum Dialog {
    Accept(Peering),
    Destroy(Peering),
    /// An approval request to decide, with the peering it is about.
    Decide(Box<ApprovalView>, Peering),
}

#[component]
pub fn SpacePage() -> impl IntoView {
    let params = use_params_map();
    let space = move || params.read().get("space").unwrap_or_default();
    let data = Resource::new(space, |s| async move { get_space(parse(&s)?).await });
    let accept = ServerAction::<AcceptPeering>::new();
    let destroy = ServerAction::<DestroyPeering>::new();
    let dialog = RwSignal::new(None::<Dialog>);
    let filter = RwSignal::new(String::new());
    let decisions = Decisions::new();
    let expect = ServerAction::<ExpectPeer>::new();
    let forget = ServerAction::<ForgetPeer>::new();

    // After an action, read the space again so the row shows its new status.
    Effect::new(move |_| {
        let n = accept.version().get()
            + destroy.version().get()
            + decisions.version()
            + expect.version().get()
            + forget.version().get();
        if n > 0 {
            data.refetch();
        }
    });
    // The page stays live: new requests and other people's decisions show
    // without a reload. While anything is changing by itself, or waits for
    // a decision, it reads every tick; otherwise every fourth.
    let ticks = StoredValue::new(0u32);
    every(REFRESH_WHILE_TRANSIENT, move || {
        let busy = data.get_untracked().and_then(Result::ok).is_some_and(|v| {
            v.peerings.iter().any(|p| p.status.is_transient())
                || v.approvals.requests.iter().any(|r| r.state.is_open())
        });
        ticks.update_value(|t| *t += 1);
        if (busy || ticks.get_value().is_multiple_of(IDLE_TICKS)) && !decisions.writing() {
            data.refetch();
        }
    });

    let render = move |view: SpaceView| {
        // Each part erased on its own keeps the page's type shallow.
        view! {
            <FreshnessNote freshness=view.freshness.clone() />
            {view! { <PeeringInfoPanel info=view.info.clone() /> }.into_any()}
            {view! { <Peerings view=view.clone() dialog filter decisions /> }.into_any()}
            {view! { <ExpectedPeers view forget /> }.into_any()}
        }
    };
    view! {
        <h1>{space}</h1>
        <ActionMessage accept destroy />
        <DecisionMessage decisions />
        <ExpectMessage expect forget />
        <Loaded data fallback="Loading the space…" view=render />
        // Outside what is read again, so a refresh keeps what is typed.
        {move || i_can(Permission::ExpectPeers).then(|| view! { <ExpectForm space=space() expect /> })}
        <ConfirmDialog dialog space=Signal::derive(space) data accept destroy decisions />
        {move || {
            view! { <crate::pages::privatelink::DataAddons space=space() /> }
        }}
    }
}

/// What the last action led to, or why it was refused.
#[component]
fn ActionMessage(
    accept: ServerAction<AcceptPeering>,
    destroy: ServerAction<DestroyPeering>,
) -> impl IntoView {
    let latest = latest_answer(vec![answer_of!(accept), answer_of!(destroy)]);
    move || {
        latest.get().map(|r| match r {
            Ok(done) => view! {
                <p class="notice" role="status" data-pcx=done.pcx_id.clone()>
                    {done.message}
                </p>
            }
            .into_any(),
            Err(error) => view! { <ErrorMessage error /> }.into_any(),
        })
    }
}

#[component]
fn PeeringInfoPanel(info: PeeringInfo) -> impl IntoView {
    view! {
        <section class="panel peering-info">
            <h2>"Peering info"</h2>
            <dl>
                {[
                    ("AWS account ID", vec![info.aws_account_id.clone()]),
                    ("AWS region", vec![info.aws_region.clone()]),
                    ("AWS VPC ID", vec![info.vpc_id.clone()]),
                    ("AWS VPC CIDR", vec![info.vpc_cidr.clone()]),
                    ("Space CIDRs", info.space_cidr_blocks.clone()),
                    ("Dyno CIDRs", info.dyno_cidr_blocks.clone()),
                    ("Unavailable CIDRs", info.unavailable_cidr_blocks.clone()),
                ]
                    .into_iter()
                    .map(|(label, values)| view! {
                        <dt>{label}</dt>
                        <dd><CopyableList values /></dd>
                    })
                    .collect_view()}
            </dl>
            <details class="aws-half">
                <summary>"Request a peering from your AWS account"</summary>
                <p>
                    "Your VPC must use RFC1918 space and must not overlap "
                    {info.vpc_cidr.clone()} " nor the unavailable CIDRs. Then run:"
                </p>
                <Copyable value=format!(
                    "aws ec2 create-vpc-peering-connection --vpc-id vpc-YOURS --peer-vpc-id {} --peer-owner-id {} --peer-region {}",
                    info.vpc_id,
                    info.aws_account_id,
                    info.aws_region,
                ) />
                <p>"The request appears below as pending-acceptance after a minute or three."</p>
            </details>
        </section>
    }
}

#[component]
fn Peerings(
    view: SpaceView,
    dialog: RwSignal<Option<Dialog>>,
    filter: RwSignal<String>,
    decisions: Decisions,
) -> impl IntoView {
    let as_of = view.freshness.as_of.clone();
    let info = view.info.clone();
    let approvals = view.approvals.clone();
    let peerings = view.peerings;
    let present: Vec<String> = PeeringStatus::KNOWN
        .iter()
        .map(|s| s.to_string())
        .chain(peerings.iter().map(|p| p.status.to_string()))
        .fold(Vec::new(), |mut acc, s| {
            if !acc.contains(&s) && peerings.iter().any(|p| p.status.as_str() == s) {
                acc.push(s);
            }
            acc
        });
    let rows = move || {
        let wanted = filter.get();
        peerings
            .iter()
            .filter(|p| wanted.is_empty() || p.status.as_str() == wanted)
            .cloned()
            .map(|p| {
                view! {
                    <PeeringRow
                        peering=p
                        as_of=as_of.clone()
                        info=info.clone()
                        approvals=approvals.clone()
                        dialog
                        decisions
                    />
                }
            })
            .collect_view()
    };
    view! {
        <section class="panel">
            <h2>"Peerings"</h2>
            <label class="filter">
                "Status "
                <select
                    name="status"
                    prop:value=move || filter.get()
                    on:change=move |ev| filter.set(event_target_value(&ev))
                >
                    <option value="">"all"</option>
                    {present
                        .into_iter()
                        .map(|s| view! { <option value=s.clone()>{s.clone()}</option> })
                        .collect_view()}
                </select>
            </label>
            <table class="peerings">
                <thead>
                    <tr>
                        <th>"PCX ID"</th>
                        <th>"Type"</th>
                        <th>"CIDR blocks"</th>
                        <th>"Status"</th>
                        <th>"VPC ID"</th>
                        <th>"AWS region"</th>
                        <th>"AWS account"</th>
                        <th>"Expires"</th>
                        <th></th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}

#[component]
fn PeeringRow(
    peering: Peering,
    as_of: String,
    info: PeeringInfo,
    approvals: SpaceApprovals,
    dialog: RwSignal<Option<Dialog>>,
    decisions: Decisions,
) -> impl IntoView {
    let p = peering.clone();
    let or_dash = |v: Option<String>| v.filter(|s| !s.is_empty()).unwrap_or_else(|| "—".into());
    let expectation = expectation_of(&peering, &approvals.expected, &as_of);
    // The newest request about this peering, and whether it is still open.
    let latest = approvals
        .latest(AuditName::PeeringAccept, &peering.pcx_id)
        .into_iter()
        .chain(approvals.latest(AuditName::PeeringDestroy, &peering.pcx_id))
        .max_by_key(|r| r.id)
        .cloned();
    let open = latest
        .as_ref()
        .filter(|r| r.state == ApprovalState::Pending)
        .cloned();
    let free = open.is_none();
    let accept = (free && peering.can_accept() && i_can(Permission::AcceptPeering)).then(|| {
        let p = p.clone();
        let label = if approvals.accept.needs > 0 {
            "Request approval"
        } else {
            "Accept"
        };
        view! {
            <button class="accept" on:click=move |_| dialog.set(Some(Dialog::Accept(p.clone())))>
                {label}
            </button>
        }
    });
    let destroy = (free && peering.can_destroy() && i_can(Permission::DestroyPeering)).then(|| {
        let p = p.clone();
        let label = if approvals.destroy.needs > 0 { "Request destroy" } else { "Destroy" };
        view! {
            <button class="danger destroy" on:click=move |_| dialog.set(Some(Dialog::Destroy(p.clone())))>
                {label}
            </button>
        }
    });
    // An open request: its number, and Review (to decide) or Withdraw.
    let waiting = open.map(|r| {
        let review = r.can_decide.then(|| {
            let (r, p) = (r.clone(), p.clone());
            view! {
                <button
                    class="review"
                    on:click=move |_| dialog.set(Some(Dialog::Decide(Box::new(r.clone()), p.clone())))
                >
                    "Review"
                </button>
            }
        });
        let id = r.id;
        let withdraw = r.mine.then(|| {
            view! {
                <button
                    class="withdraw"
                    on:click=move |_| {
                        decisions.withdraw.dispatch(crate::pages::approvals::Withdraw { request: id });
                    }
                >
                    "Withdraw"
                </button>
            }
        });
        view! {
            <span class="approval-pending" data-approval=id>
                {format!("{} #{id} waits for approval ({}) ", r.kind, r.requester)}
            </span>
            {review}
            {withdraw}
        }
    });
    // A request decided lately: how it ended, so its requester sees why.
    let ended = latest.filter(|r| !r.state.is_open()).map(|r| {
        let said = match r.state {
            ApprovalState::Rejected => format!(
                "#{} rejected by {}: {}",
                r.id,
                r.decided_by.clone().unwrap_or_default(),
                r.comment.clone().unwrap_or_default()
            ),
            ApprovalState::Executed | ApprovalState::Failed => format!(
                "#{} approved by {}",
                r.id,
                r.decided_by.clone().unwrap_or_default()
            ),
            other => format!("#{} {}", r.id, other.as_str()),
        };
        view! { <p class="approval-ended" data-state=r.state.as_str()>{said}</p> }
    });
    // Once active, the AWS side still needs routes, a security group and
    // a network ACL: offer them filled in.
    let routes = (peering.status == PeeringStatus::Active && !peering.kind.is_provider_managed())
        .then(|| view! { <PeeringAwsHalf info=info.clone() peering=peering.clone() /> });
    view! {
        <tr class="peering" data-pcx=peering.pcx_id.clone() data-status=peering.status.to_string()>
            <td>
                <code>{peering.pcx_id.clone()}</code>
            </td>
            <td>{peering.kind.to_string()}</td>
            <td>{peering.all_cidrs().join(", ")}</td>
            <td>
                <StatusBadge status=peering.status.clone() />
                " "
                <ExpectationMarker expectation />
            </td>
            <td>{or_dash(peering.aws_vpc_id.clone())}</td>
            <td>{or_dash(peering.aws_region.clone())}</td>
            <td>{or_dash(peering.aws_account_id.clone())}</td>
            <td>
                <RelativeTime at=peering.expires.clone() as_of />
            </td>
            <td class="actions">{accept} {destroy} {waiting} {ended} {routes}</td>
        </tr>
    }
}

/// The AWS half of an active peering, as commands to copy.
#[component]
fn PeeringAwsHalf(info: PeeringInfo, peering: Peering) -> impl IntoView {
    let half = crate::aws::peering_aws_half(&info, &peering);
    view! {
        <details class="aws-half peering-aws">
            <summary>"The AWS half"</summary>
            <p>"1. Find the route tables of your VPC:"</p>
            <Copyable value=half.route_tables />
            <p>"2. In each, route the space through this peering: the whole VPC CIDR,"</p>
            <Copyable value=half.whole_vpc_route />
            <p>"or only the Space CIDRs, where the dynos and load balancers are:"</p>
            <CopyableList values=half.space_cidr_routes />
            <p>
                "3. Let the dynos in: the security group of what they reach, on your port ("
                <code>{crate::aws::PORT}</code>
                "),"
            </p>
            <CopyableList values=half.security_group />
            <p>"and, if your subnets have their own network ACL, both ways (ACLs are stateless):"</p>
            <CopyableList values=half.network_acl />
            <ul class="limits">
                {crate::aws::PEERING_LIMITS
                    .iter()
                    .map(|l| view! { <li>{*l}</li> })
                    .collect_view()}
            </ul>
        </details>
    }
}

#[component]
fn ConfirmDialog(
    dialog: RwSignal<Option<Dialog>>,
    space: Signal<String>,
    data: Resource<Result<SpaceView, AppError>>,
    accept: ServerAction<AcceptPeering>,
    destroy: ServerAction<DestroyPeering>,
    decisions: Decisions,
) -> impl IntoView {
    let close = move || dialog.set(None);
    move || {
        let view_data = data.get_untracked().and_then(Result::ok);
        let approvals = view_data
            .as_ref()
            .map(|v| v.approvals.clone())
            .unwrap_or_default();
        let as_of = view_data
            .as_ref()
            .map(|v| v.freshness.as_of.clone())
            .unwrap_or_default();
        let marker = move |p: &Peering| {
            let expectation = expectation_of(p, &approvals.expected, &as_of);
            view! { <p class="expectation"><ExpectationMarker expectation /></p> }
        };
        // The form that asks instead of acting, where the policy says so.
        let ask = move |gate: crate::approval::Gate, action: Action| {
            let what = action.name().to_string();
            view! {
                <ReasonForm
                    gate
                    what
                    on_ask=Callback::new(move |reason: String| {
                        decisions.ask(&action, reason);
                        close();
                    })
                    on_cancel=Callback::new(move |()| close())
                />
            }
        };
        dialog.get().map(|d| match d {
            Dialog::Decide(request, p) => view! {
                <div class="dialog" role="dialog" aria-label="Decide approval">
                    <h2>{format!("Approve #{}?", request.id)}</h2>
                    <ApprovalCard
                        request=*request
                        as_of=view_data.as_ref().map(|v| v.freshness.as_of.clone()).unwrap_or_default()
                        decisions
                        marker=Some(marker(&p).into_any())
                    />
                    <div class="buttons">
                        <button class="cancel" on:click=move |_| close()>"Close"</button>
                    </div>
                </div>
            }
            .into_any(),
            Dialog::Accept(p) => {
                let findings = view_data
                    .as_ref()
                    .map(|v| accept_findings(&p, &v.info, &v.peerings, &v.freshness.as_of))
                    .unwrap_or_default();
                let blocked = findings.iter().any(|f| f.severity == Severity::Blocker);
                let pcx = p.pcx_id.clone();
                let gate = view_data.as_ref().map(|v| v.approvals.accept).unwrap_or_default();
                let action = parse(&space.get_untracked())
                    .and_then(|space| Ok(Action::AcceptPeering { space, pcx_id: parse(&pcx)? }));
                let held = match action {
                    Ok(action) if gate.needs > 0 && !blocked => Some(ask(gate, action).into_any()),
                    _ => None,
                };
                let direct = held.is_none();
                let marker = marker(&p);
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
                        {marker}
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
                        {held}
                        <div class="buttons" class:hidden=!direct>
                            <button
                                class="confirm-accept"
                                disabled=blocked || !direct
                                on:click=move |_| {
                                    if let (Ok(space), Ok(pcx_id)) = (
                                        parse(&space.get_untracked()),
                                        parse(&pcx),
                                    ) {
                                        accept.dispatch(AcceptPeering { space, pcx_id });
                                    }
                                    close();
                                }
                            >
                                "Accept peering"
                            </button>
                            <button class="cancel" on:click=move |_| close()>
                                "Cancel"
                            </button>
                        </div>
                    </div>
                }
                .into_any()
            }
            Dialog::Destroy(p) => {
                let pcx = p.pcx_id.clone();
                let expected = p.pcx_id.clone();
                let gate = view_data.as_ref().map(|v| v.approvals.destroy).unwrap_or_default();
                let action = parse(&space.get_untracked())
                    .and_then(|space| Ok(Action::DestroyPeering { space, pcx_id: parse(&pcx)? }));
                // Where the policy holds it back, a reason instead of the
                // typed PCX ID: the approver's decision is the confirmation.
                let (then, body) = match action {
                    Ok(action) if gate.needs > 0 => {
                        (" once another person approves.", ask(gate, action).into_any())
                    }
                    _ => (
                        ". To proceed, type the PCX ID.",
                        view! {
                            <TypeToConfirm
                                expected
                                button="Destroy peering"
                                button_class="danger confirm-destroy"
                                on_confirm=Callback::new(move |confirm: String| {
                                    if let (Ok(space), Ok(pcx_id)) = (
                                        parse(&space.get_untracked()),
                                        parse(&pcx),
                                    ) {
                                        destroy.dispatch(DestroyPeering { space, pcx_id, confirm });
                                    }
                                    close();
                                })
                                on_cancel=Callback::new(move |()| close())
                            />
                        }
                        .into_any(),
                    ),
                };
                view! {
                    <div class="dialog" role="dialog" aria-label="Destroy peering">
                        <h2>"Destroy " <code>{p.pcx_id.clone()}</code> "?"</h2>
                        <p>
                            "This tears down the peering connection to "
                            {p.aws_vpc_id.clone().unwrap_or_default()} " ("
                            {p.all_cidrs().join(", ")}
                            "). Traffic over it stops" {then}
                        </p>
                        {body}
                    </div>
                }
                .into_any()
            }
        })
    }
}
