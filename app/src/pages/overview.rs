//! Every space at a glance: region, peerings counted by status, and the
//! spaces with requests waiting for acceptance first.

use crate::components::{FreshnessNote, Loaded, page_data};
use crate::error::FnError;
use crate::pages::export::inventory_file;
use crate::pages::plan::{FreeBlockFinder, PlanCard, Taken};
use domain::model::PROVIDER_HOURLY_CALLS;
use domain::plan::{Plan, SharedPeer};
use domain::validate::relative_time;
use domain::views::Overview;
use leptos::prelude::*;

#[server(endpoint = "overview")]
pub async fn get_overview() -> Result<Overview, FnError> {
    crate::console::answer(async move {
        let (console, who) = crate::console::console()?;
        console.overview(&who).await
    })
    .await
}

#[component]
pub fn OverviewPage() -> impl IntoView {
    let data = page_data(|| (), |_| get_overview());
    view! {
        <h1>"Private Spaces"</h1>
        <Loaded
            data
            fallback="Loading spaces…"
            view=|overview: Overview| {
                let plans = overview.plans.clone();
                let shared = overview.shared.clone();
                view! {
                    <SpaceList overview />
                    {view! { <Estate plans shared /> }.into_any()}
                }
            }
        />
    }
}

/// Every space's plan side by side, the peers several spaces share, and
/// the finder across spaces: overlaps between spaces that will share a
/// peer show before anyone asks.
#[component]
fn Estate(plans: Vec<Plan>, shared: Vec<SharedPeer>) -> impl IntoView {
    let taken: Vec<Taken> = plans.iter().map(Taken::of).collect();
    let shared_rows = shared
        .into_iter()
        .map(|p| {
            let clash = !p.clashes.is_empty();
            let account = p.aws_account_id.clone();
            view! {
                <tr class=clash.then_some("clash") data-shared=account>
                    <td><code>{p.aws_account_id}</code></td>
                    <td>{p.vpc_id.map(|v| view! { <code>{v}</code> }.into_any()).unwrap_or_else(|| "its VPCs".into_any())}</td>
                    <td>{p.spaces.join(", ")}</td>
                    <td>
                        {if clash {
                            p.clashes.join("; ")
                        } else {
                            "No overlap between these spaces.".to_string()
                        }}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="panel estate">
            <h2>"Address plans"</h2>
            <p class="actions">
                "Every space's peerings as an inventory, with expected-peer notes and expiry: "
                <a href=inventory_file("csv") download="peerings.csv">"CSV"</a>
                " · "
                <a href=inventory_file("json") download="peerings.json">"JSON"</a>
            </p>
            <div class="plans-grid">
                {plans
                    .into_iter()
                    .map(|plan| {
                        let href = format!("/spaces/{}#address-plan", plan.space);
                        let clashes = plan.clashes.len();
                        let name = plan.space.clone();
                        let key = plan.space.clone();
                        view! {
                            <figure class="plan-card" data-space=key>
                                <figcaption>
                                    <a href=href>{name}</a>
                                    {(clashes > 0)
                                        .then(|| {
                                            view! {
                                                <span class="marker clash">
                                                    {format!("{clashes} overlap{}", if clashes == 1 { "" } else { "s" })}
                                                </span>
                                            }
                                        })}
                                </figcaption>
                                <PlanCard plan />
                            </figure>
                        }
                    })
                    .collect_view()}
            </div>
            <h3>"Peers of more than one space"</h3>
            <table class="shared-peers">
                <thead>
                    <tr>
                        <th>"AWS account"</th>
                        <th>"VPC"</th>
                        <th>"Spaces"</th>
                        <th>"Overlaps"</th>
                    </tr>
                </thead>
                <tbody>{shared_rows}</tbody>
            </table>
            <FreeBlockFinder spaces=taken />
        </section>
    }
}

#[component]
fn SpaceList(overview: Overview) -> impl IntoView {
    let mut spaces = overview.spaces;
    // Spaces waiting on someone come first; otherwise by name.
    spaces.sort_by(|a, b| b.pending.cmp(&a.pending).then_with(|| a.name.cmp(&b.name)));
    let empty = spaces.is_empty();
    let as_of = overview.freshness.as_of.clone();
    let budget = overview.provider_budget.map(|b| {
        let when = relative_time(&b.at, &as_of).unwrap_or_default();
        let low = b.remaining < PROVIDER_HOURLY_CALLS / 10;
        view! {
            <p class=if low { "budget low" } else { "budget" } title=b.at.clone()>
                {format!(
                    "Provider budget: {} of {PROVIDER_HOURLY_CALLS} calls left this hour (reported {when}).",
                    b.remaining,
                )}
            </p>
        }
    });
    let watch = overview.watch.map(|w| {
        if w.elsewhere {
            return view! {
                <p class="watch-budget">
                    "Notifications watcher: another console sharing this database watches the provider, within the same budget."
                </p>
            }
                .into_any();
        }
        let when = w
            .last_check
            .as_deref()
            .and_then(|t| relative_time(t, &as_of))
            .unwrap_or_else(|| "not yet".into());
        let share = w.budget * 100 / PROVIDER_HOURLY_CALLS;
        view! {
            <p class="watch-budget">
                {format!(
                    "Notifications watcher: {} of its {} calls an hour ({share}% of the budget) used in {} looks in the last hour; last looked {when}.",
                    w.calls_last_hour,
                    w.budget,
                    w.looks_last_hour,
                )}
                {w.error.map(|e| view! { <span class="error">{format!(" Its last look failed: {e}")}</span> })}
            </p>
        }
            .into_any()
    });
    view! {
        <FreshnessNote freshness=overview.freshness />
        {budget}
        {watch}
        {empty.then(|| view! { <p>"This account has no Private Spaces."</p> })}
        <table class="spaces">
            <thead>
                <tr>
                    <th>"Space"</th>
                    <th>"Region"</th>
                    <th>"State"</th>
                    <th>"Peerings"</th>
                </tr>
            </thead>
            <tbody>
                {spaces
                    .into_iter()
                    .map(|s| {
                        let expiry = s
                            .soonest_expiry
                            .as_deref()
                            .and_then(|e| relative_time(e, &as_of))
                            .map(|when| format!(", the first expires {when}"))
                            .unwrap_or_default();
                        let href = format!("/spaces/{}", s.name);
                        let class = if s.pending > 0 { "space pending" } else { "space" };
                        view! {
                            <tr class=class data-space=s.name.clone()>
                                <td>
                                    <a href=href>{s.name.clone()}</a>
                                    {s.shield.then(|| view! { <span class="tag">"shield"</span> })}
                                    {(s.pending > 0)
                                        .then(|| {
                                            view! {
                                                <span class="tag tag-pending">
                                                    {format!("{} awaiting acceptance{expiry}", s.pending)}
                                                </span>
                                            }
                                        })}
                                    {(s.unexpected > 0)
                                        .then(|| {
                                            view! {
                                                <span class="marker unexpected" data-unexpected=s.unexpected>
                                                    {format!("{} unexpected requester", s.unexpected)}
                                                </span>
                                            }
                                        })}
                                </td>
                                <td>{s.region}</td>
                                <td>{s.state}</td>
                                <td class="counts">
                                    {s.error.map(|e| view! { <span class="error">{e}</span> })}
                                    {s
                                        .counts
                                        .into_iter()
                                        .map(|(status, n)| {
                                            view! {
                                                <span class=format!(
                                                    "count badge badge-{status}",
                                                )>{format!("{n} {status}")}</span>
                                            }
                                        })
                                        .collect_view()}
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}
