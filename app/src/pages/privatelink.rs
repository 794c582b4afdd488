//! A data add-on's PrivateLink: create it with the allowed accounts, follow
//! it while it provisions, manage its accounts, see its endpoint
//! connections and their (masked) URLs, get the AWS half filled in, and
//! destroy it. The space page lists the add-ons with `DataAddons`.
//!
//! The page is rendered on the server and driven by `PageControls`; it
//! follows what settles (provisioning, new connections, approvals) by
//! being read again, up to the configured limit. Only the accounts
//! field (`addon_accounts`) runs in the browser.

use crate::components::{Copyable, FreshnessNote, Loaded, page_data};
use crate::controls::forms::{CallForm, TypedConfirm};
use crate::error::FnError;
use crate::me::i_can;
use crate::pages::addon_accounts::{Accounts, AccountsForm, AccountsUse};
use crate::pages::approvals::{ApprovalCard, ReasonForm};
use domain::access::Permission;
use domain::action::Answer;
use domain::ids::{AddonName, EndpointId, SpaceRef, parse};
use domain::kind::AuditName;
use domain::model::{DataActionResult, DataAddonSummary, PrivateLink, PrivateLinkStatus};
use domain::views::PrivateLinkView;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_params_map;

#[server(endpoint = "data_addons")]
pub async fn get_data_addons(space: SpaceRef) -> Result<Vec<DataAddonSummary>, FnError> {
    crate::console::answer(async move {
        let (console, who) = crate::console::console()?;
        console.data_addons(&who, &space).await
    })
    .await
}

#[server(endpoint = "privatelink")]
pub async fn get_privatelink(
    space: SpaceRef,
    addon: AddonName,
) -> Result<PrivateLinkView, FnError> {
    crate::console::answer(async move {
        let (console, who) = crate::console::console()?;
        console.privatelink(&who, &space, &addon).await
    })
    .await
}

/// `confirm` must repeat the add-on's name (see `destroy_peering`).
#[server(endpoint = "destroy_privatelink")]
pub async fn destroy_privatelink(
    space: SpaceRef,
    addon: AddonName,
    confirm: Option<String>,
    reason: Option<String>,
) -> Result<Answer<DataActionResult>, FnError> {
    let expected = addon.to_string();
    let destroy = domain::action::ProviderAction::DestroyPrivateLink { space, addon };
    let typed = (confirm, expected.as_str(), "add-on name");
    crate::console::destroy(destroy, typed, reason, domain::action::Done::privatelink).await
}

/// The unmasked connection URL of one endpoint; the reveal is audited.
#[server(endpoint = "reveal_connection_url")]
pub async fn reveal_connection_url(
    space: SpaceRef,
    addon: AddonName,
    endpoint_id: EndpointId,
) -> Result<String, FnError> {
    crate::console::answer(async move {
        crate::console::act(domain::action::ProviderAction::RevealUrl {
            space,
            addon,
            endpoint: endpoint_id,
        })
        .await?
        .url()
    })
    .await
}

/// The space page's list of data add-ons.
#[component]
pub fn DataAddons(space: String) -> impl IntoView {
    let s = space.clone();
    let data = page_data(
        move || s.clone(),
        |s| async move { get_data_addons(parse(&s)?).await },
    );
    let render = move |list: Vec<DataAddonSummary>| {
        if list.is_empty() {
            view! { <p class="muted">"No data add-ons in this space's apps."</p> }.into_any()
        } else {
            view! { <AddonTable space=space.clone() list /> }.into_any()
        }
    };
    view! {
        <section class="panel data-addons">
            <h2>"Data add-ons and PrivateLink"</h2>
            <Loaded data fallback="Loading add-ons…" view=render />
        </section>
    }
}

#[component]
fn AddonTable(space: String, list: Vec<DataAddonSummary>) -> impl IntoView {
    view! {
        <table class="addons">
            <thead>
                <tr>
                    <th>"App"</th>
                    <th>"Add-on"</th>
                    <th>"Service"</th>
                    <th>"Plan"</th>
                    <th>"PrivateLink"</th>
                </tr>
            </thead>
            <tbody>
                {list
                    .into_iter()
                    .map(|a| {
                        let href = format!("/spaces/{space}/addons/{}", a.addon);
                        let status = match (&a.privatelink, a.eligible, &a.error) {
                            (_, _, Some(e)) => view! { <span class="error">{e.clone()}</span> }.into_any(),
                            (Some(s), _, _) => view! { <LinkBadge status=s.clone() /> }.into_any(),
                            (None, true, _) => view! { <span class="muted">"none"</span> }.into_any(),
                            (None, false, _) => view! { <span class="muted">"not available on this plan"</span> }.into_any(),
                        };
                        view! {
                            <tr class="addon" data-addon=a.addon.clone()>
                                <td>{a.app}</td>
                                <td>
                                    <a href=href>{a.addon.clone()}</a>
                                </td>
                                <td>{a.service.label()}</td>
                                <td>{a.plan}</td>
                                <td>{status}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn LinkBadge(status: PrivateLinkStatus) -> impl IntoView {
    let class = format!("badge link-{}", status.as_str().to_ascii_lowercase());
    view! { <span class=class data-link-status=status.to_string()>{status.to_string()}</span> }
}

/// Whether the page should keep reading: something is still settling.
fn settling(l: &PrivateLink) -> bool {
    matches!(
        l.status,
        PrivateLinkStatus::Provisioning | PrivateLinkStatus::Deprovisioning
    ) || l
        .allowed_accounts
        .iter()
        .any(|a| a.status == "Provisioning")
        || l.connections
            .iter()
            .any(|c| c.status == "PendingAcceptance" || c.status == "Pending")
}

/// The add-on the route names, and its view read through the server
/// function: the add-on page and its dialog pages start from both.
pub(crate) fn addon_from_route() -> (String, Resource<Result<PrivateLinkView, FnError>>) {
    let params = use_params_map();
    let key = move || {
        let p = params.read();
        (
            p.get("space").unwrap_or_default(),
            p.get("addon").unwrap_or_default(),
        )
    };
    let addon = key().1;
    let data = page_data(key, |(s, a)| async move {
        get_privatelink(parse(&s)?, parse(&a)?).await
    });
    (addon, data)
}

/// `/spaces/{space}/addons/{addon}`.
#[component]
pub fn AddonPage() -> impl IntoView {
    let (addon, data) = addon_from_route();
    view! {
        <h1>{addon}</h1>
        <Loaded data fallback="Loading the add-on…" view=|view| view! { <AddonDetail view /> } />
    }
}

/// The page's words once it stops following what settles.
fn gave_up(view: &PrivateLinkView) -> String {
    let limit = match view.wait_limit_secs {
        s if s % 60 == 0 => format!("{} minutes", s / 60),
        s => format!("{s} seconds"),
    };
    let what = match view.link.as_ref().map(|l| &l.status) {
        Some(PrivateLinkStatus::Provisioning) => "provisioning",
        Some(PrivateLinkStatus::Deprovisioning) => "deprovisioning",
        _ => "waiting",
    };
    format!(
        "Still {what} after {limit}, so Spaceport stopped checking. Reload the page to check again."
    )
}

/// All of the add-on, read again while anything settles (or waits for
/// someone's approval), up to the configured limit.
#[component]
fn AddonDetail(view: PrivateLinkView) -> impl IntoView {
    let busy =
        view.link.as_ref().is_some_and(settling) || view.requests.iter().any(|r| r.state.is_open());
    let header = format!("{} · {} · {}", view.app, view.service.label(), view.plan);
    let back = format!("/spaces/{}", view.space);
    let body = match view.link.clone() {
        None if view.eligible && i_can(Permission::CreatePrivateLink) => {
            view! { <CreateForm view=view.clone() /> }.into_any()
        }
        None if view.eligible => view! {
            <p class="muted role-note">
                "This add-on has no PrivateLink. An operator or admin can create one."
            </p>
        }
        .into_any(),
        None => view! {
            <p class="muted">"This plan cannot have a PrivateLink: only private and shield data plans can."</p>
        }
        .into_any(),
        Some(link) => view! {
            <LinkStatus view=view.clone() link=link.clone() />
            {view! { <Accounts view=view.clone() link=link.clone() /> }.into_any()}
            {view! { <Connections view=view.clone() link=link.clone() /> }.into_any()}
            {view! { <AwsHalf view=view.clone() link=link.clone() /> }.into_any()}
            {i_can(Permission::DestroyPrivateLink)
                .then(|| view! { <DestroyForm view=view.clone() /> }.into_any())}
        }
        .into_any(),
    };
    view! {
        <div
            data-live="addon"
            data-busy=busy.then_some("")
            data-give-up=view.wait_limit_secs.to_string()
            data-gave-up=gave_up(&view)
        >
            <p class="muted">
                <a href=back>{view.space.clone()}</a>
                " · "
                {header}
            </p>
            <FreshnessNote freshness=view.freshness.clone() />
            {view! { <Requests view=view.clone() /> }.into_any()}
            {body}
        </div>
    }
}

#[component]
fn CreateForm(view: PrivateLinkView) -> impl IntoView {
    let gate = view.gates.create;
    view! {
        <section class="panel create-link">
            <h2>"Create a PrivateLink"</h2>
            <p>
                "Which AWS accounts may connect? One per line or separated by commas: "
                <code>"123456789012"</code> ", " <code>"123456789012:root"</code> ", "
                <code>"123456789012:user/NAME"</code> " or " <code>"123456789012:role/NAME"</code> "."
            </p>
            <AccountsForm view purpose=AccountsUse::Create gate can=true />
        </section>
    }
}

#[component]
fn LinkStatus(view: PrivateLinkView, link: PrivateLink) -> impl IntoView {
    let provisioning = link.status == PrivateLinkStatus::Provisioning;
    let service_name = if link.service_name.is_empty() {
        view! { <span class="muted">"assigned when Operational"</span> }.into_any()
    } else {
        view! { <Copyable value=link.service_name.clone() /> }.into_any()
    };
    view! {
        <section class="panel link-status">
            <h2>"Endpoint service"</h2>
            <dl>
                <dt>"Status"</dt>
                <dd>
                    <LinkBadge status=link.status.clone() />
                </dd>
                <dt>"Service name"</dt>
                <dd class="service-name">{service_name}</dd>
                <dt>"Region"</dt>
                <dd>{view.region.clone()}</dd>
            </dl>
            // How long it has waited is counted in the browser.
            {provisioning
                .then(|| {
                    view! {
                        <p class="waiting" role="status" data-waiting="">
                            <span class="elapsed"></span>
                            "Provisioning usually takes 5 to 10 minutes; this page follows it."
                        </p>
                    }
                })}
        </section>
    }
}

#[component]
fn Connections(view: PrivateLinkView, link: PrivateLink) -> impl IntoView {
    if link.connections.is_empty() {
        return view! {
            <section class="panel connections">
                <h2>"Endpoint connections"</h2>
                <p class="muted">"No VPC endpoint has connected yet."</p>
            </section>
        }
        .into_any();
    }
    let rows = link
        .connections
        .iter()
        .map(|c| {
            let url = view
                .urls
                .iter()
                .find(|u| u.endpoint_id == c.endpoint_id)
                .cloned();
            view! { <ConnectionRow view=view.clone() connection=c.clone() url /> }
        })
        .collect_view();
    view! {
        <section class="panel connections">
            <h2>"Endpoint connections"</h2>
            <table>
                <thead>
                    <tr>
                        <th>"Endpoint"</th>
                        <th>"Owner"</th>
                        <th>"Status"</th>
                        <th>"Hostname"</th>
                        <th>"Connection URL"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
    .into_any()
}

#[component]
fn ConnectionRow(
    view: PrivateLinkView,
    connection: domain::model::EndpointConnection,
    url: Option<domain::model::ConnectionUrl>,
) -> impl IntoView {
    let endpoint = connection.endpoint_id.clone();
    let url_cell = match url {
        Some(domain::model::ConnectionUrl {
            var_name,
            masked: Some(masked),
            ..
        }) => {
            // The full URL replaces the masked one where it is asked for.
            let reveal = i_can(Permission::RevealUrl).then(|| {
                view! {
                    <CallForm
                        function=RevealConnectionUrl::PATH
                        class="call"
                        in_place=true
                        fields=vec![
                            ("space", view.space.clone()),
                            ("addon", view.addon.clone()),
                            ("endpoint_id", endpoint.clone()),
                        ]
                    >
                        <button type="submit" class="reveal">
                            "Reveal"
                        </button>
                    </CallForm>
                }
            });
            view! {
                <div class="url">
                    <code class="var">{var_name}</code>
                    <code class="masked">{masked}</code>
                    {reveal}
                </div>
            }
            .into_any()
        }
        Some(u) => {
            view! { <span class="muted">{format!("{} not set yet", u.var_name)}</span> }.into_any()
        }
        None => view! { <span class="muted">"—"</span> }.into_any(),
    };
    view! {
        <tr
            class="connection"
            data-key=endpoint.clone()
            data-endpoint=endpoint.clone()
            data-status=connection.status.clone()
        >
            <td>
                <code>{connection.endpoint_id.clone()}</code>
            </td>
            <td>
                <code>{connection.owner_arn.clone()}</code>
            </td>
            <td>{connection.status.clone()}</td>
            <td>
                <code>{connection.hostname.clone()}</code>
            </td>
            <td>{url_cell}</td>
        </tr>
    }
}

#[component]
fn AwsHalf(view: PrivateLinkView, link: PrivateLink) -> impl IntoView {
    let port = view.service.port();
    let service_name = if link.service_name.is_empty() {
        "<the service name, once Operational>".to_string()
    } else {
        link.service_name.clone()
    };
    let scheme = match view.service {
        domain::model::DataService::Redis => {
            "rediss://user:password@<vpc-endpoint-dns-name>:6379 (TLS on 6379 over PrivateLink: Key-Value Store 6 and later on private and shield plans require it; not the stunnel port 6380)"
        }
        domain::model::DataService::Postgres => {
            "postgres://user:password@<vpc-endpoint-dns-name>:5432/database"
        }
        domain::model::DataService::Kafka => "kafka+ssl://<vpc-endpoint-dns-name>:9096",
    };
    view! {
        <section class="panel aws-half privatelink-aws">
            <h2>"The AWS half"</h2>
            <ol>
                <li>
                    "Create a security group in your VPC with an inbound rule for TCP "
                    <strong>{port}</strong> " from the clients that will connect."
                </li>
                <li>
                    "Create an interface endpoint with \"Find service by name\": "
                    <Copyable value=service_name.clone() /> " Its subnets must be in "
                    <strong>{view.region.clone()}</strong>
                    ", the add-on's region, and in availability zones the add-on's VPC also uses."
                </li>
                <li>
                    "Or with the AWS CLI: "
                    <Copyable value=format!(
                        "aws ec2 create-vpc-endpoint --region {} --vpc-endpoint-type Interface --vpc-id vpc-YOURS --subnet-ids subnet-YOURS --security-group-ids sg-YOURS --service-name {service_name}",
                        view.region,
                    ) />
                </li>
                <li>
                    "Once the connection is Available, the app has its URL as a config var of the form "
                    <code>{scheme}</code>
                </li>
            </ol>
        </section>
    }
}

/// The add-on's approval requests: open ones to decide or withdraw, and
/// how the latest ones ended.
#[component]
fn Requests(view: PrivateLinkView) -> impl IntoView {
    (!view.requests.is_empty()).then(|| {
        let as_of = view.freshness.as_of.clone();
        view! {
            <section class="panel approvals">
                <h2>"Approval requests"</h2>
                {view
                    .requests
                    .into_iter()
                    .map(|request| view! { <ApprovalCard request as_of=as_of.clone() /> })
                    .collect_view()}
            </section>
        }
    })
}

#[component]
fn DestroyForm(view: PrivateLinkView) -> impl IntoView {
    // Where the policy holds a destroy back, the form asks for approval:
    // the approver's decision is the confirmation.
    let gate = view.gates.destroy;
    let waiting = view
        .requests
        .iter()
        .any(|r| r.kind == domain::kind::AuditName::PrivateLinkDestroy && r.state.is_open());
    let fields = vec![("space", view.space.clone()), ("addon", view.addon.clone())];
    let (said, form) = match gate.needs {
        1.. if waiting => ("A request to destroy it waits for approval (above).", None),
        1.. => (
            "Every VPC endpoint connected to it loses access once another person approves.",
            Some(
                view! {
                    <ReasonForm
                        gate
                        function=DestroyPrivatelink::PATH
                        fields
                        what=AuditName::PrivateLinkDestroy
                        in_page=true
                    />
                }
                .into_any(),
            ),
        ),
        0 => (
            "Every VPC endpoint connected to it loses access. To proceed, type the add-on name.",
            Some(
                view! {
                    <TypedConfirm
                        function=DestroyPrivatelink::PATH
                        fields
                        expected=view.addon.clone()
                        button="Destroy PrivateLink"
                        button_class="danger destroy-link"
                        in_page=true
                    />
                }
                .into_any(),
            ),
        ),
    };
    view! {
        <section class="panel destroy-link">
            <h2>"Destroy the PrivateLink"</h2>
            <p class:muted=form.is_none()>{said}</p>
            {form}
        </section>
    }
}
