//! What the console hands to other tools: a space's peerings as
//! Terraform (a page to read and copy, and a file to download), and the
//! peerings inventory (downloaded as CSV or JSON from the overview). The
//! server functions here are what `spaceport export` calls with a token.

use crate::components::{Loaded, page_data};
use crate::error::FnError;
use domain::ids::{SpaceRef, parse};
use domain::views::InventoryRow;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// A space's peerings as Terraform (HCL).
#[server(endpoint = "terraform")]
pub async fn get_terraform(space: SpaceRef) -> Result<String, FnError> {
    crate::console::answer(async move {
        let (console, who) = crate::console::console()?;
        console.terraform(&who, &space).await
    })
    .await
}

/// Every space's peerings, one row each.
#[server(endpoint = "peerings_inventory")]
pub async fn get_inventory() -> Result<Vec<InventoryRow>, FnError> {
    crate::console::answer(async move {
        let (console, who) = crate::console::console()?;
        console.inventory(&who).await
    })
    .await
}

/// Where a space's Terraform is downloaded, as a file named for it.
pub fn terraform_file(space: &str) -> String {
    format!("/export/terraform/{space}.tf")
}

/// Where the inventory is downloaded, as `csv` or `json`.
pub fn inventory_file(format: &str) -> String {
    format!("/export/peerings.{format}")
}

#[component]
pub fn TerraformPage() -> impl IntoView {
    let params = use_params_map();
    let space = move || params.read().get("space").unwrap_or_default();
    let data = page_data(space, |s| async move { get_terraform(parse(&s)?).await });
    let render = move |hcl: String| {
        let s = space();
        view! {
            <section class="panel terraform">
                <p>
                    "For each active or pending peering: the provider's accepter with an "
                    <code>"import"</code>
                    " block, so that what was accepted here comes under Terraform with no change; the space's "
                    <code>"heroku_space_peering_info"</code>
                    " data source; and, commented out, the AWS side for the peer's configuration."
                </p>
                <p class="actions">
                    <a class="button" href=terraform_file(&s) download=format!("{s}.tf")>
                        {format!("Download {s}.tf")}
                    </a>
                    " or, with a token: "
                    <code>{format!("spaceport export terraform --space {s}")}</code>
                </p>
                <div class="copyable hcl">
                    <pre><code>{hcl}</code></pre>
                    <button class="copy" type="button" title="Copy">"Copy"</button>
                </div>
            </section>
        }
    };
    view! {
        <h1>{move || format!("{}: Terraform", space())}</h1>
        <p class="page-links">
            <a href=move || format!("/spaces/{}", space())>{move || format!("Back to {}", space())}</a>
        </p>
        <Loaded data fallback="Writing the Terraform…" view=render />
    }
}
