//! The peerings a team expects, on the space's page: who registered
//! which account, VPC and CIDR, until when and why, with a form to add one
//! and a button to forget one. A pending request that matches none is
//! marked "unexpected requester" wherever it is shown.

use crate::controls::forms::{CallButton, CallForm};
use crate::error::FnError;
use crate::me::i_can;
use domain::access::Permission;
use domain::ids::SpaceRef;
use domain::views::SpaceApprovals;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use std::sync::Arc;

#[allow(clippy::too_many_arguments)]
#[server(endpoint = "expect_peer")]
pub async fn expect_peer(
    space: SpaceRef,
    aws_account_id: String,
    vpc_id: String,
    cidr: String,
    region: String,
    note: String,
    valid_until: String,
) -> Result<String, FnError> {
    crate::console::answer(async move {
        let peer = domain::policy::NewExpectedPeer {
            aws_account_id,
            vpc_id,
            cidr,
            region: Some(region),
            note,
            valid_until,
        };
        Ok(
            crate::console::act(domain::action::ApprovalAction::ExpectPeer { space, peer })
                .await?
                .said(),
        )
    })
    .await
}

#[server(endpoint = "forget_peer")]
pub async fn forget_peer(id: i64) -> Result<String, FnError> {
    crate::console::answer(async move {
        Ok(
            crate::console::act(domain::action::ApprovalAction::ForgetPeer { id })
                .await?
                .said(),
        )
    })
    .await
}

#[component]
pub fn ExpectedPeers(approvals: Arc<SpaceApprovals>, space: String) -> impl IntoView {
    let may = i_can(Permission::ExpectPeers);
    let require = approvals.require_expected_peer;
    let none = approvals.expected.is_empty();
    let rows = approvals
        .expected
        .iter()
        .map(|e| {
            let id = e.id;
            let remove = may.then(|| {
                view! {
                    <CallButton
                        function=ForgetPeer::PATH
                        fields=vec![("id", id.to_string())]
                        class="forget"
                        label="Forget"
                        notice="expected-said"
                    />
                }
            });
            view! {
                <tr class="expected-peer" data-key=id data-id=id>
                    <td>{e.aws_account_id.clone()}</td>
                    <td>{e.vpc_id.clone()}</td>
                    <td>{e.cidr.clone()}</td>
                    <td>{e.region.clone().unwrap_or_else(|| "any".into())}</td>
                    <td>{e.note.clone()}</td>
                    <td><time datetime=e.valid_until.clone()>{e.valid_until.clone()}</time></td>
                    <td>{e.created_by.clone()}</td>
                    <td>{remove}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="panel expected-peers">
            <h2>"Expected peers"</h2>
            // Read again with the page; the form below it is not, so a
            // refresh keeps what is typed.
            <div data-live="expected">
            <p class="muted">
                {if require {
                    "The policy accepts only requests that match one of these."
                } else {
                    "A pending request that matches none of these is marked \"unexpected requester\"."
                }}
            </p>
            <table class="expected">
                <thead>
                    <tr>
                        <th>"AWS account"</th>
                        <th>"VPC ID"</th>
                        <th>"CIDR"</th>
                        <th>"Region"</th>
                        <th>"Note"</th>
                        <th>"Valid until"</th>
                        <th>"Registered by"</th>
                        <th></th>
                    </tr>
                </thead>
                <tbody>
                    {rows}
                    {none.then(|| view! { <tr><td colspan="8" class="muted">"None registered."</td></tr> })}
                </tbody>
            </table>
            </div>
            {may
                .then(|| {
                    view! {
                        <h3>"Expect a peer"</h3>
                        <ExpectForm space />
                    }
                })}
        </section>
    }
}

/// Registers an expected peer in `space`.
#[component]
fn ExpectForm(space: String) -> impl IntoView {
    let field = |name: &'static str, label: &'static str, placeholder: &'static str| {
        view! {
            <label>
                {label}
                <input name=name placeholder=placeholder autocomplete="off" />
            </label>
        }
    };
    view! {
        <CallForm
            function=ExpectPeer::PATH
            class="expect"
            notice="expected-said"
            fields=vec![("space", space)]
        >
            {field("aws_account_id", "AWS account ", "123456789012")}
            {field("vpc_id", "VPC ID ", "vpc-0a1b2c3d")}
            {field("cidr", "CIDR ", "10.100.0.0/16")}
            {field("region", "Region (optional) ", "us-east-1")}
            {field("note", "Note or ticket ", "NET-1234: payments VPC")}
            {field("valid_until", "Valid until ", "YYYY-MM-DD")}
            <button type="submit" class="expect-peer">"Expect this peer"</button>
        </CallForm>
    }
}
