//! The server functions' error: the domain's `AppError`, as a server
//! function answers it. A type of its own only because the server-function
//! machinery (a Leptos trait) must be implemented here, not in `domain`;
//! on the wire it is the `AppError` itself.

use domain::error::AppError;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(transparent)]
#[error(transparent)]
pub struct FnError(pub AppError);

impl From<AppError> for FnError {
    fn from(e: AppError) -> Self {
        Self(e)
    }
}

impl std::ops::Deref for FnError {
    type Target = AppError;
    fn deref(&self) -> &AppError {
        &self.0
    }
}

impl FromServerFnError for FnError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let e = from_transport(value);
        // Arguments that did not parse never reach the function's body, so
        // their status is set here.
        #[cfg(feature = "ssr")]
        set_status(&e);
        Self(e)
    }
}

fn from_transport(value: ServerFnErrorErr) -> AppError {
    match value {
        ServerFnErrorErr::Args(m) | ServerFnErrorErr::MissingArg(m) => {
            AppError::Invalid(format!("The request was malformed: {m}"))
        }
        ServerFnErrorErr::Request(m) => {
            AppError::Transport(format!("the server did not answer ({m})"))
        }
        other => AppError::Transport(other.to_string()),
    }
}

/// Sets this response's status for `e`, and logs what is the server's
/// fault. Server functions would otherwise answer every error with 500.
#[cfg(feature = "ssr")]
pub fn set_status(e: &AppError) {
    if *e == AppError::Internal {
        leptos::logging::error!("a server function failed internally");
    }
    if let (Some(res), Ok(status)) = (
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
        http::StatusCode::from_u16(e.status_code()),
    ) {
        res.set_status(status);
    }
}
