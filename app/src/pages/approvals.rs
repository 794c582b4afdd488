//! Four eyes on the page: the server functions that ask for, decide and
//! withdraw approvals. The forms that call them, and a request's card,
//! are in `controls::forms`.

use crate::error::FnError;
use leptos::prelude::*;

#[server(endpoint = "request_approval")]
pub async fn request_approval(action: String, reason: String) -> Result<String, FnError> {
    crate::console::answer(async move {
        // Parsed like any input: every id in it is validated again.
        let action: domain::action::Action = serde_json::from_str(&action).map_err(|e| {
            domain::error::AppError::Invalid(format!("That is not an action: {e}."))
        })?;
        let asked = domain::action::ApprovalAction::RequestApproval {
            action: Box::new(action),
            reason,
        };
        Ok(crate::console::act(asked).await?.said())
    })
    .await
}

#[server(endpoint = "approve")]
pub async fn approve(request: i64, comment: String) -> Result<domain::approval::Decided, FnError> {
    crate::console::answer(async move {
        let done =
            crate::console::act(domain::action::ApprovalAction::Approve { request, comment })
                .await?;
        Ok(match done {
            domain::action::Done::Invited(i) => domain::approval::Decided {
                message: i.message,
                password: Some(i.password),
            },
            other => domain::approval::Decided {
                message: other.said(),
                password: None,
            },
        })
    })
    .await
}

#[server(endpoint = "reject")]
pub async fn reject(request: i64, reason: String) -> Result<String, FnError> {
    crate::console::answer(async move {
        Ok(
            crate::console::act(domain::action::ApprovalAction::Reject { request, reason })
                .await?
                .said(),
        )
    })
    .await
}

#[server(endpoint = "withdraw")]
pub async fn withdraw(request: i64) -> Result<String, FnError> {
    crate::console::answer(async move {
        Ok(
            crate::console::act(domain::action::ApprovalAction::Withdraw { request })
                .await?
                .said(),
        )
    })
    .await
}
