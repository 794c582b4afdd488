//! One space: its peering info, its peerings with the accept and destroy
//! actions (their confirmations are in `space_dialogs`), the requests for
//! approval about them, and the expected peers. The page's data is read
//! again by its controls, faster while any peering is in a transient
//! status or a request waits, so an accepted request is seen to reach
//! `active`, and a colleague's decision is seen, without a reload.

use crate::components::{
    Copyable, CopyableList, FreshnessNote, Loaded, RelativeTime, StatusBadge, page_data,
};
use crate::error::FnError;
use crate::me::i_can;
use crate::pages::approvals::WithdrawButton;
use crate::pages::expected::ExpectedPeers;
use crate::pages::inbox::ExpectationMarker;
use crate::pages::plan::AddressPlan;
use domain::access::Permission;
use domain::action::Answer;
use domain::approval::ApprovalState;
use domain::ids::{PcxId, SpaceRef, parse};
use domain::kind::AuditName;
use domain::model::{ActionResult, Peering, PeeringInfo, PeeringStatus};
use domain::plan::Plan;
use domain::policy::expectation_of;
use domain::views::SpaceApprovals;
use domain::views::SpaceView;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use std::sync::Arc;

#[server(endpoint = "space")]
pub async fn get_space(space: SpaceRef) -> Result<SpaceView, FnError> {
    crate::console::answer(async move {
        let (console, who) = crate::console::console()?;
        console.space(&who, &space).await
    })
    .await
}

/// Where the policy holds the accept back, asks for approval with `reason`.
#[server(endpoint = "accept_peering")]
pub async fn accept_peering(
    space: SpaceRef,
    pcx_id: PcxId,
    reason: Option<String>,
) -> Result<Answer<ActionResult>, FnError> {
    let accept = domain::action::ProviderAction::AcceptPeering { space, pcx_id };
    crate::console::change(accept, reason, domain::action::Done::peering).await
}

/// `confirm` must repeat the PCX ID, as the provider's CLI demands; where
/// the policy holds the destroy back, it is asked for with `reason`.
#[server(endpoint = "destroy_peering")]
pub async fn destroy_peering(
    space: SpaceRef,
    pcx_id: PcxId,
    confirm: Option<String>,
    reason: Option<String>,
) -> Result<Answer<ActionResult>, FnError> {
    let expected = pcx_id.to_string();
    let destroy = domain::action::ProviderAction::DestroyPeering { space, pcx_id };
    let typed = (confirm, expected.as_str(), "PCX ID");
    crate::console::destroy(destroy, typed, reason, domain::action::Done::peering).await
}

/// How the page narrows its peerings: `?status=` in its address, which
/// the filter sets, so every read of the page shows the same rows.
const STATUS_QUERY: &str = "status";

#[component]
pub fn SpacePage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let space = move || params.read().get("space").unwrap_or_default();
    let data = page_data(space, |s| async move { get_space(parse(&s)?).await });
    let render = move |view: SpaceView| {
        // Read again by itself while anything changes by itself, or waits
        // for a decision.
        let busy = view.peerings.iter().any(|p| p.status.is_transient())
            || view.approvals.requests.iter().any(|r| r.state.is_open());
        let wanted = query.read_untracked().get(STATUS_QUERY).unwrap_or_default();
        let plan = Plan::of(&view.name, &view.info, &view.peerings);
        // Shared by every row rather than copied into each.
        let SpaceView {
            freshness,
            info,
            peerings,
            approvals,
            ..
        } = view;
        let (info, approvals) = (Arc::new(info), Arc::new(approvals));
        let as_of = freshness.as_of.clone();
        // Each part erased on its own keeps the page's type shallow.
        view! {
            <div data-live="space" data-busy=busy.then_some("")>
                <FreshnessNote freshness />
                {view! { <PeeringInfoPanel info=info.clone() /> }.into_any()}
                {view! {
                    <Peerings space=space() peerings as_of info approvals=approvals.clone() wanted />
                }
                    .into_any()}
                {view! { <AddressPlan plan /> }.into_any()}
            </div>
            {view! { <ExpectedPeers approvals space=space() /> }.into_any()}
        }
    };
    view! {
        <h1>{space}</h1>
        <p class="page-links">
            <a href=move || format!("/spaces/{}#address-plan", space())>"Address plan"</a>
            " · "
            <a href=move || format!("/spaces/{}/terraform", space())>"Export to Terraform"</a>
        </p>
        <Loaded data fallback="Loading the space…" view=render />
        {move || {
            view! { <crate::pages::privatelink::DataAddons space=space() /> }
        }}
    }
}

#[component]
fn PeeringInfoPanel(info: Arc<PeeringInfo>) -> impl IntoView {
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
    space: String,
    peerings: Vec<Peering>,
    as_of: String,
    info: Arc<PeeringInfo>,
    approvals: Arc<SpaceApprovals>,
    wanted: String,
) -> impl IntoView {
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
    let rows = peerings
        .iter()
        .filter(|p| wanted.is_empty() || p.status.as_str() == wanted)
        .cloned()
        .map(|p| {
            view! {
                <PeeringRow
                    space=space.clone()
                    peering=p
                    as_of=as_of.clone()
                    info=info.clone()
                    approvals=approvals.clone()
                />
            }
        })
        .collect_view();
    view! {
        <section class="panel">
            <h2>"Peerings"</h2>
            <label class="filter">
                "Status "
                <select name="status" data-query=STATUS_QUERY>
                    <option value="">"all"</option>
                    {present
                        .into_iter()
                        .map(|s| {
                            let selected = s == wanted;
                            view! { <option value=s.clone() selected=selected>{s.clone()}</option> }
                        })
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
    space: String,
    peering: Peering,
    as_of: String,
    info: Arc<PeeringInfo>,
    approvals: Arc<SpaceApprovals>,
) -> impl IntoView {
    let or_dash = |v: Option<String>| v.filter(|s| !s.is_empty()).unwrap_or_else(|| "—".into());
    let expectation = expectation_of(&peering, &approvals.expected, &as_of);
    let dialog = |what: &str| format!("/spaces/{space}/peerings/{}/{what}", peering.pcx_id);
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
        let label = if approvals.accept.needs > 0 {
            "Request approval"
        } else {
            "Accept"
        };
        view! { <button class="accept" data-dialog=dialog("accept")>{label}</button> }
    });
    let destroy = (free && peering.can_destroy() && i_can(Permission::DestroyPeering)).then(|| {
        let label = if approvals.destroy.needs > 0 {
            "Request destroy"
        } else {
            "Destroy"
        };
        view! { <button class="danger destroy" data-dialog=dialog("destroy")>{label}</button> }
    });
    // An open request: its number, and Review (to decide) or Withdraw.
    let waiting = open.map(|r| {
        let id = r.id;
        let review = r.can_decide.then(|| {
            view! {
                <button class="review" data-dialog=format!("/spaces/{space}/approvals/{id}")>
                    "Review"
                </button>
            }
        });
        let withdraw = r.mine.then(|| view! { <WithdrawButton request=id /> });
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
        <tr
            class="peering"
            data-key=peering.pcx_id.clone()
            data-pcx=peering.pcx_id.clone()
            data-status=peering.status.to_string()
        >
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
fn PeeringAwsHalf(info: Arc<PeeringInfo>, peering: Peering) -> impl IntoView {
    let half = domain::aws::peering_aws_half(&info, &peering);
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
                <code>{domain::aws::PORT}</code>
                "),"
            </p>
            <CopyableList values=half.security_group />
            <p>"and, if your subnets have their own network ACL, both ways (ACLs are stateless):"</p>
            <CopyableList values=half.network_acl />
            <ul class="limits">
                {domain::aws::PEERING_LIMITS
                    .iter()
                    .map(|l| view! { <li>{*l}</li> })
                    .collect_view()}
            </ul>
        </details>
    }
}
