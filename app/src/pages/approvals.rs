//! Four eyes on the page: the server functions that ask for, decide and
//! withdraw approvals. The forms that call them, and a request's card,
//! are in `controls::forms`.

use crate::error::AppError;
use leptos::prelude::*;

#[server(endpoint = "request_approval")]
pub async fn request_approval(action: String, reason: String) -> Result<String, AppError> {
    crate::console::answer(async move {
        // Parsed like any input: every id in it is validated again.
        let action: crate::action::Action = serde_json::from_str(&action)
            .map_err(|e| AppError::Invalid(format!("That is not an action: {e}.")))?;
        let asked = crate::action::Action::RequestApproval {
            action: Box::new(action),
            reason,
        };
        Ok(crate::console::act(asked).await?.said())
    })
    .await
}

#[server(endpoint = "approve")]
pub async fn approve(request: i64, comment: String) -> Result<crate::approval::Decided, AppError> {
    crate::console::answer(async move {
        let done = crate::console::act(crate::action::Action::Approve { request, comment }).await?;
        Ok(match done {
            crate::action::Done::Invited(i) => crate::approval::Decided {
                message: i.message,
                password: Some(i.password),
            },
            other => crate::approval::Decided {
                message: other.said(),
                password: None,
            },
        })
    })
    .await
}

#[server(endpoint = "reject")]
pub async fn reject(request: i64, reason: String) -> Result<String, AppError> {
    crate::console::answer(async move {
        Ok(
            crate::console::act(crate::action::Action::Reject { request, reason })
                .await?
                .said(),
        )
    })
    .await
}

#[server(endpoint = "withdraw")]
pub async fn withdraw(request: i64) -> Result<String, AppError> {
    crate::console::answer(async move {
        Ok(
            crate::console::act(crate::action::Action::Withdraw { request })
                .await?
                .said(),
        )
    })
    .await
}
