//! The add-on page's confirmations, each the page of an address of its
//! own: the removal of an allowed account
//! (`/spaces/{space}/addons/{addon}/remove?arn=`), which the Remove button
//! opens as a dialog over the add-on page. Worked out on the server, where
//! the data is, as the space page's dialogs are.

use crate::components::{Loaded, no_such};
use crate::controls::forms::{CallForm, CloseButton};
use crate::me::i_can;
use crate::pages::addon_accounts::RemoveAllowedAccount;
use crate::pages::approvals::ReasonForm;
use crate::pages::privatelink::addon_from_route;
use domain::access::Permission;
use domain::kind::AuditName;
use domain::views::PrivateLinkView;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_query_map;

/// `/spaces/{space}/addons/{addon}/remove?arn=`: the confirmation of a
/// removal, or the request for approval of it.
#[component]
pub fn RemoveAccountDialogPage() -> impl IntoView {
    let query = use_query_map();
    let (_, data) = addon_from_route();
    let render = move |view: PrivateLinkView| {
        let arn = query.read_untracked().get("arn").unwrap_or_default();
        let allowed = view
            .link
            .as_ref()
            .is_some_and(|l| l.allowed_accounts.iter().any(|a| a.arn == arn));
        if !allowed || !i_can(Permission::RemoveAccount) {
            return no_such(format!(
                "{arn} is not an account {} allows to you now.",
                view.addon
            ));
        }
        view! { <RemoveDialog view arn /> }.into_any()
    };
    view! { <Loaded data fallback="Loading the add-on…" view=render /> }
}

#[component]
fn RemoveDialog(view: PrivateLinkView, arn: String) -> impl IntoView {
    let gate = view.gates.remove;
    let fields = vec![
        ("space", view.space),
        ("addon", view.addon),
        ("account", arn.clone()),
    ];
    let body = if gate.needs > 0 {
        view! {
            <ReasonForm
                gate
                function=RemoveAllowedAccount::PATH
                fields
                what=AuditName::PrivateLinkAccountRemove
            />
        }
        .into_any()
    } else {
        view! {
            <CallForm function=RemoveAllowedAccount::PATH fields>
                <div class="buttons">
                    <button type="submit" class="danger confirm-remove">
                        "Remove account"
                    </button>
                    <CloseButton />
                </div>
            </CallForm>
        }
        .into_any()
    };
    view! {
        <div class="dialog" role="dialog" aria-label="Remove account">
            <h2>"Remove " <code>{arn.clone()}</code> "?"</h2>
            <p>"Endpoints this account created lose access to the add-on."</p>
            {body}
        </div>
    }
}
