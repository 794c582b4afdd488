//! A data add-on's PrivateLink: create it with the allowed accounts, follow
//! it while it provisions, manage its accounts, see its endpoint
//! connections and their (masked) URLs, get the AWS half filled in, and
//! destroy it. The space page lists the add-ons with `DataAddons`.

use crate::access::{Permission, i_can};
use crate::action::Action;
use crate::answer_of;
use crate::components::{
    Copyable, ErrorMessage, FreshnessNote, Loaded, TypeToConfirm, latest_answer,
};
use crate::error::AppError;
use crate::ids::{AddonName, EndpointId, Principals, SpaceRef, parse};
use crate::model::{
    DataActionResult, DataAddonSummary, PrivateLink, PrivateLinkStatus, PrivateLinkView,
};
use crate::pages::approvals::{ApprovalCard, Decisions, ReasonForm};
use crate::validate::aws_principals;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use std::time::Duration;

/// The provider's CLI waits 3 s between reads in `data:privatelink:wait`.
const WAIT_POLL: Duration = Duration::from_secs(3);

#[server(endpoint = "data_addons")]
pub async fn get_data_addons(space: SpaceRef) -> Result<Vec<DataAddonSummary>, AppError> {
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
) -> Result<PrivateLinkView, AppError> {
    crate::console::answer(async move {
        let (console, who) = crate::console::console()?;
        console.privatelink(&who, &space, &addon).await
    })
    .await
}

#[server(endpoint = "create_privatelink")]
pub async fn create_privatelink(
    space: SpaceRef,
    addon: AddonName,
    accounts: Principals,
) -> Result<DataActionResult, AppError> {
    crate::console::answer(async move {
        crate::console::act(crate::action::Action::CreatePrivateLink {
            space,
            addon,
            accounts,
        })
        .await?
        .privatelink()
    })
    .await
}

/// `confirm` must repeat the add-on's name.
#[server(endpoint = "destroy_privatelink")]
pub async fn destroy_privatelink(
    space: SpaceRef,
    addon: AddonName,
    confirm: String,
) -> Result<DataActionResult, AppError> {
    crate::console::answer(async move {
        crate::action::confirmed(&confirm, addon.as_str(), "add-on name")?;
        crate::console::act(crate::action::Action::DestroyPrivateLink { space, addon })
            .await?
            .privatelink()
    })
    .await
}

#[server(endpoint = "add_allowed_accounts")]
pub async fn add_allowed_accounts(
    space: SpaceRef,
    addon: AddonName,
    accounts: Principals,
) -> Result<DataActionResult, AppError> {
    crate::console::answer(async move {
        crate::console::act(crate::action::Action::AddAccounts {
            space,
            addon,
            accounts,
        })
        .await?
        .privatelink()
    })
    .await
}

#[server(endpoint = "remove_allowed_account")]
pub async fn remove_allowed_account(
    space: SpaceRef,
    addon: AddonName,
    account: Principals,
) -> Result<DataActionResult, AppError> {
    crate::console::answer(async move {
        crate::console::act(crate::action::Action::RemoveAccounts {
            space,
            addon,
            accounts: account,
        })
        .await?
        .privatelink()
    })
    .await
}

/// The unmasked connection URL of one endpoint; the reveal is audited.
#[server(endpoint = "reveal_connection_url")]
pub async fn reveal_connection_url(
    space: SpaceRef,
    addon: AddonName,
    endpoint_id: EndpointId,
) -> Result<String, AppError> {
    crate::console::answer(async move {
        crate::console::act(crate::action::Action::RevealUrl {
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
    let data = Resource::new(
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

/// Milliseconds since the epoch in the browser; `None` on the server.
fn now_ms() -> Option<f64> {
    #[cfg(feature = "hydrate")]
    {
        Some(js_sys::Date::now())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        None
    }
}

#[component]
pub fn AddonPage() -> impl IntoView {
    let params = use_params_map();
    let key = move || {
        let p = params.read();
        (
            p.get("space").unwrap_or_default(),
            p.get("addon").unwrap_or_default(),
        )
    };
    let data = Resource::new(key, |(s, a)| async move {
        get_privatelink(parse(&s)?, parse(&a)?).await
    });
    let create = ServerAction::<CreatePrivatelink>::new();
    let destroy = ServerAction::<DestroyPrivatelink>::new();
    let add = ServerAction::<AddAllowedAccounts>::new();
    let remove = ServerAction::<RemoveAllowedAccount>::new();
    let decisions = Decisions::new();
    // When the page began waiting on something settling, and whether it gave up.
    let waiting_since = RwSignal::new(None::<f64>);
    let gave_up = RwSignal::new(false);

    Effect::new(move |_| {
        let n = create.version().get()
            + destroy.version().get()
            + add.version().get()
            + remove.version().get()
            + decisions.version();
        if n > 0 {
            gave_up.set(false);
            waiting_since.set(None);
            data.refetch();
        }
    });
    Effect::new(move |_| {
        let Some(Ok(view)) = data.get() else { return };
        // A change waiting for someone else's approval is followed too.
        let busy = view.link.as_ref().is_some_and(settling)
            || view.requests.iter().any(|r| r.state.is_open());
        if !busy {
            waiting_since.set(None);
            return;
        }
        let now = now_ms().unwrap_or_default();
        let since = waiting_since.get_untracked().unwrap_or(now);
        if waiting_since.get_untracked().is_none() {
            waiting_since.set(Some(now));
        }
        // It never polls forever: past the limit it stops and says so.
        if now - since > view.wait_limit_secs as f64 * 1000.0 {
            gave_up.set(true);
            return;
        }
        if let Ok(h) = set_timeout_with_handle(move || data.refetch(), WAIT_POLL) {
            on_cleanup(move || h.clear());
        }
    });

    let message = latest_answer(vec![
        answer_of!(create),
        answer_of!(destroy),
        answer_of!(add),
        answer_of!(remove),
    ]);
    let render = move |view| {
        view! { <AddonDetail view create destroy add remove waiting_since gave_up decisions /> }
    };
    view! {
        <h1>{move || key().1}</h1>
        {move || {
            message
                .get()
                .map(|r| match r {
                    Ok(done) => view! { <p class="notice" role="status">{done.message}</p> }.into_any(),
                    Err(error) => view! { <ErrorMessage error /> }.into_any(),
                })
        }}
        <crate::pages::approvals::DecisionMessage decisions />
        <Loaded data fallback="Loading the add-on…" view=render />
    }
}

#[component]
fn AddonDetail(
    view: PrivateLinkView,
    create: ServerAction<CreatePrivatelink>,
    destroy: ServerAction<DestroyPrivatelink>,
    add: ServerAction<AddAllowedAccounts>,
    remove: ServerAction<RemoveAllowedAccount>,
    waiting_since: RwSignal<Option<f64>>,
    gave_up: RwSignal<bool>,
    decisions: Decisions,
) -> impl IntoView {
    let header = format!("{} · {} · {}", view.app, view.service.label(), view.plan);
    let back = format!("/spaces/{}", view.space);
    let body = match view.link.clone() {
        None if view.eligible && i_can(Permission::CreatePrivateLink) => {
            view! { <CreateForm view=view.clone() create decisions /> }.into_any()
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
            <LinkStatus view=view.clone() link=link.clone() waiting_since gave_up />
            {view! { <Accounts view=view.clone() link=link.clone() add remove decisions /> }.into_any()}
            {view! { <Connections view=view.clone() link=link.clone() /> }.into_any()}
            {view! { <AwsHalf view=view.clone() link=link.clone() /> }.into_any()}
            {i_can(Permission::DestroyPrivateLink)
                .then(|| view! { <DestroyForm view=view.clone() destroy decisions /> }.into_any())}
        }
        .into_any(),
    };
    view! {
        <p class="muted">
            <a href=back>{view.space.clone()}</a>
            " · "
            {header}
        </p>
        <FreshnessNote freshness=view.freshness.clone() />
        {view! { <Requests view=view.clone() decisions /> }.into_any()}
        {body}
    }
}

/// Validates accounts as they are typed, with the same parser as the server.
fn account_feedback(text: &str) -> Option<Result<String, String>> {
    if text.trim().is_empty() {
        return None;
    }
    Some(aws_principals(text).map(|ps| {
        let arns: Vec<String> = ps.iter().map(|p| p.arn()).collect();
        format!("Will allow: {}", arns.join(", "))
    }))
}

#[component]
fn Feedback(text: RwSignal<String>) -> impl IntoView {
    move || {
        account_feedback(&text.get()).map(|r| match r {
            Ok(ok) => view! { <p class="hint ok">{ok}</p> }.into_any(),
            Err(e) => view! { <p class="error account-error" role="alert">{e}</p> }.into_any(),
        })
    }
}

#[component]
fn CreateForm(
    view: PrivateLinkView,
    create: ServerAction<CreatePrivatelink>,
    decisions: Decisions,
) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let (space, addon) = (view.space.clone(), view.addon.clone());
    let gate = view.gates.create;
    let held = (gate.needs > 0).then(|| {
        let (space, addon) = (space.clone(), addon.clone());
        let make = move || {
            Some(Action::CreatePrivateLink {
                space: parse(&space).ok()?,
                addon: parse(&addon).ok()?,
                accounts: parse(&text.get_untracked()).ok()?,
            })
        };
        view! { <HeldBack gate what="creating a PrivateLink" decisions make /> }
    });
    let direct = held.is_none();
    view! {
        <section class="panel create-link">
            <h2>"Create a PrivateLink"</h2>
            <p>
                "Which AWS accounts may connect? One per line or separated by commas: "
                <code>"123456789012"</code> ", " <code>"123456789012:root"</code> ", "
                <code>"123456789012:user/NAME"</code> " or " <code>"123456789012:role/NAME"</code> "."
            </p>
            <textarea
                name="accounts"
                rows="3"
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))
            ></textarea>
            <Feedback text />
            {held}
            <button
                class="create"
                class:hidden=!direct
                disabled=move || !direct || !matches!(account_feedback(&text.get()), Some(Ok(_))) || create.pending().get()
                on:click=move |_| {
                    if let (Ok(space), Ok(addon), Ok(accounts)) =
                        (parse(&space), parse(&addon), parse(&text.get_untracked()))
                    {
                        create.dispatch(CreatePrivatelink { space, addon, accounts });
                    }
                }
            >
                "Create PrivateLink"
            </button>
        </section>
    }
}

fn elapsed_text(ms: f64) -> String {
    let secs = (ms / 1000.0).max(0.0) as u64;
    format!("{} min {:02} s", secs / 60, secs % 60)
}

#[component]
fn LinkStatus(
    view: PrivateLinkView,
    link: PrivateLink,
    waiting_since: RwSignal<Option<f64>>,
    gave_up: RwSignal<bool>,
) -> impl IntoView {
    let provisioning = link.status == PrivateLinkStatus::Provisioning;
    let limit = match view.wait_limit_secs {
        s if s % 60 == 0 => format!("{} minutes", s / 60),
        s => format!("{s} seconds"),
    };
    let waiting = move || {
        if gave_up.get() {
            return Some(
                view! {
                    <p class="error gave-up" role="alert">
                        {format!("Still provisioning after {limit}, so Spaceport stopped checking. Reload the page to check again.")}
                    </p>
                }
                .into_any(),
            );
        }
        provisioning.then(|| {
            let elapsed = waiting_since
                .get()
                .zip(now_ms())
                .map(|(since, now)| format!("Waiting for {}. ", elapsed_text(now - since)))
                .unwrap_or_default();
            view! {
                <p class="waiting" role="status">
                    {elapsed} "Provisioning usually takes 5 to 10 minutes; this page follows it."
                </p>
            }
            .into_any()
        })
    };
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
            {waiting}
        </section>
    }
}

#[component]
fn Accounts(
    view: PrivateLinkView,
    link: PrivateLink,
    add: ServerAction<AddAllowedAccounts>,
    remove: ServerAction<RemoveAllowedAccount>,
    decisions: Decisions,
) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let confirming = RwSignal::new(None::<String>);
    let (add_gate, remove_gate) = (view.gates.add, view.gates.remove);
    let held_add = (add_gate.needs > 0 && i_can(Permission::AddAccounts)).then(|| {
        let (space, addon) = (view.space.clone(), view.addon.clone());
        let make = move || {
            Some(Action::AddAccounts {
                space: parse(&space).ok()?,
                addon: parse(&addon).ok()?,
                accounts: parse(&text.get_untracked()).ok()?,
            })
        };
        view! { <HeldBack gate=add_gate what="allowing accounts" decisions make /> }
    });
    let direct_add = held_add.is_none();
    // Viewers see the form greyed out, so they know it exists and who can use it.
    let can_add = i_can(Permission::AddAccounts);
    let (space, addon) = (view.space.clone(), view.addon.clone());
    let (space2, addon2) = (space.clone(), addon.clone());
    let rows = link
        .allowed_accounts
        .iter()
        .map(|a| {
            let arn = a.arn.clone();
            view! {
                <tr class="account" data-arn=a.arn.clone()>
                    <td>
                        <code>{a.arn.clone()}</code>
                    </td>
                    <td>{a.status.clone()}</td>
                    <td>
                        {i_can(Permission::RemoveAccount)
                            .then(|| {
                                view! {
                                    <button
                                        class="danger remove"
                                        on:click=move |_| confirming.set(Some(arn.clone()))
                                    >
                                        "Remove"
                                    </button>
                                }
                            })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="panel accounts">
            <h2>"Allowed accounts"</h2>
            <table>
                <thead>
                    <tr>
                        <th>"ARN"</th>
                        <th>"Status"</th>
                        <th></th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            <label class="add-accounts">
                "Add accounts "
                <input
                    name="add-accounts"
                    placeholder="123456789012:user/NAME"
                    disabled=!can_add
                    title=(!can_add).then_some("An operator or admin can add accounts.")
                    prop:value=move || text.get()
                    on:input=move |ev| text.set(event_target_value(&ev))
                />
            </label>
            <Feedback text />
            {held_add}
            <button
                class="add"
                class:hidden=!direct_add
                disabled=move || !can_add || !direct_add || !matches!(account_feedback(&text.get()), Some(Ok(_)))
                on:click=move |_| {
                    if let (Ok(space), Ok(addon), Ok(accounts)) =
                        (parse(&space), parse(&addon), parse(&text.get_untracked()))
                    {
                        add.dispatch(AddAllowedAccounts { space, addon, accounts });
                    }
                    text.set(String::new());
                }
            >
                "Add"
            </button>
            {move || {
                let (space, addon) = (space2.clone(), addon2.clone());
                confirming
                    .get()
                    .map(|arn| {
                        let a = arn.clone();
                        let held = (remove_gate.needs > 0).then(|| {
                            let (space, addon, a) = (space.clone(), addon.clone(), a.clone());
                            let make = move || {
                                confirming.set(None);
                                Some(Action::RemoveAccounts {
                                    space: parse(&space).ok()?,
                                    addon: parse(&addon).ok()?,
                                    accounts: parse(&a).ok()?,
                                })
                            };
                            view! { <HeldBack gate=remove_gate what="removing an account" decisions make /> }
                        });
                        let direct = held.is_none();
                        view! {
                            <div class="dialog" role="dialog" aria-label="Remove account">
                                <h2>"Remove " <code>{arn.clone()}</code> "?"</h2>
                                <p>"Endpoints this account created lose access to the add-on."</p>
                                {held}
                                <div class="buttons">
                                    <button
                                        class="danger confirm-remove"
                                        class:hidden=!direct
                                        disabled=!direct
                                        on:click=move |_| {
                                            if let (Ok(space), Ok(addon), Ok(account)) =
                                                (parse(&space), parse(&addon), parse(&a))
                                            {
                                                remove.dispatch(RemoveAllowedAccount {
                                                    space,
                                                    addon,
                                                    account,
                                                });
                                            }
                                            confirming.set(None);
                                        }
                                    >
                                        "Remove account"
                                    </button>
                                    <button class="cancel" on:click=move |_| confirming.set(None)>
                                        "Cancel"
                                    </button>
                                </div>
                            </div>
                        }
                    })
            }}
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
    connection: crate::model::EndpointConnection,
    url: Option<crate::model::ConnectionUrl>,
) -> impl IntoView {
    let reveal = ServerAction::<RevealConnectionUrl>::new();
    let (space, addon, endpoint) = (
        view.space.clone(),
        view.addon.clone(),
        connection.endpoint_id.clone(),
    );
    let url_cell = match url {
        Some(crate::model::ConnectionUrl {
            var_name,
            masked: Some(masked),
            ..
        }) => view! {
            <div class="url">
                <code class="var">{var_name}</code>
                {move || match reveal.value().get() {
                    Some(Ok(full)) => view! { <Copyable value=full /> }.into_any(),
                    Some(Err(error)) => view! { <ErrorMessage error /> }.into_any(),
                    None => view! { <code class="masked">{masked.clone()}</code> }.into_any(),
                }}
                {i_can(Permission::RevealUrl)
                    .then(|| {
                        view! {
                            <button
                                class="reveal"
                                on:click=move |_| {
                                    if let (Ok(space), Ok(addon), Ok(endpoint_id)) =
                                        (parse(&space), parse(&addon), parse(&endpoint))
                                    {
                                        reveal.dispatch(RevealConnectionUrl {
                                            space,
                                            addon,
                                            endpoint_id,
                                        });
                                    }
                                }
                            >
                                "Reveal"
                            </button>
                        }
                    })}
            </div>
        }
        .into_any(),
        Some(u) => {
            view! { <span class="muted">{format!("{} not set yet", u.var_name)}</span> }.into_any()
        }
        None => view! { <span class="muted">"—"</span> }.into_any(),
    };
    view! {
        <tr class="connection" data-endpoint=connection.endpoint_id.clone() data-status=connection.status.clone()>
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
        crate::model::DataService::Redis => {
            "rediss://user:password@<vpc-endpoint-dns-name>:6379 (TLS on 6379 over PrivateLink: Key-Value Store 6 and later on private and shield plans require it; not the stunnel port 6380)"
        }
        crate::model::DataService::Postgres => {
            "postgres://user:password@<vpc-endpoint-dns-name>:5432/database"
        }
        crate::model::DataService::Kafka => "kafka+ssl://<vpc-endpoint-dns-name>:9096",
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

/// The reason form that stands in for an action's own button where the
/// policy holds it back; `make` builds the action from what is typed.
#[component]
fn HeldBack(
    gate: crate::approval::Gate,
    what: &'static str,
    decisions: Decisions,
    make: impl Fn() -> Option<Action> + Send + Sync + 'static,
) -> impl IntoView {
    view! {
        <ReasonForm
            gate
            what=what.to_string()
            on_ask=Callback::new(move |reason: String| {
                if let Some(action) = make() {
                    decisions.ask(&action, reason);
                }
            })
        />
    }
}

/// The add-on's approval requests: open ones to decide or withdraw, and
/// how the latest ones ended.
#[component]
fn Requests(view: PrivateLinkView, decisions: Decisions) -> impl IntoView {
    (!view.requests.is_empty()).then(|| {
        let as_of = view.freshness.as_of.clone();
        view! {
            <section class="panel approvals">
                <h2>"Approval requests"</h2>
                {view
                    .requests
                    .into_iter()
                    .map(|request| view! { <ApprovalCard request as_of=as_of.clone() decisions /> })
                    .collect_view()}
            </section>
        }
    })
}

#[component]
fn DestroyForm(
    view: PrivateLinkView,
    destroy: ServerAction<DestroyPrivatelink>,
    decisions: Decisions,
) -> impl IntoView {
    let (space, addon) = (view.space.clone(), view.addon.clone());
    // Where the policy holds a destroy back, the form asks for approval.
    let gate = view.gates.destroy;
    let waiting = view
        .requests
        .iter()
        .any(|r| r.kind == crate::action::AuditName::PrivateLinkDestroy && r.state.is_open());
    if gate.needs > 0 && waiting {
        return view! {
            <section class="panel destroy-link">
                <h2>"Destroy the PrivateLink"</h2>
                <p class="muted">"A request to destroy it waits for approval (above)."</p>
            </section>
        }
        .into_any();
    }
    if gate.needs > 0 {
        let make = move || {
            Some(Action::DestroyPrivateLink {
                space: parse(&view.space).ok()?,
                addon: parse(&view.addon).ok()?,
            })
        };
        return view! {
            <section class="panel destroy-link">
                <h2>"Destroy the PrivateLink"</h2>
                <p>"Every VPC endpoint connected to it loses access once another person approves."</p>
                <HeldBack gate what="destroying a PrivateLink" decisions make />
            </section>
        }
        .into_any();
    }
    view! {
        <section class="panel destroy-link">
            <h2>"Destroy the PrivateLink"</h2>
            <p>"Every VPC endpoint connected to it loses access. To proceed, type the add-on name."</p>
            <TypeToConfirm
                expected=view.addon.clone()
                button="Destroy PrivateLink"
                button_class="danger destroy-link"
                on_confirm=Callback::new(move |confirm: String| {
                    if let (Ok(space), Ok(addon)) = (parse(&space), parse(&addon)) {
                        destroy.dispatch(DestroyPrivatelink { space, addon, confirm });
                    }
                })
            />
        </section>
    }
    .into_any()
}
