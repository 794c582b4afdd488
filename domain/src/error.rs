//! The one error type of the server-function boundary: what the browser is
//! told when an action or a read fails. Messages are meant for the person at
//! the screen; internal details are logged on the server, never sent here.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// The input was refused before anything was done.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    /// The request is well formed but the resource is not in a state that allows it.
    #[error("{0}")]
    Conflict(String),
    /// No one is signed in, or the sign-in has expired.
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("The provider is rate limiting this account; try again in a minute. ({0})")]
    RateLimited(String),
    /// This console holds back a user who calls it faster than it allows.
    #[error("{0}")]
    TooFast(String),
    #[error("The provider cannot be reached: {0}")]
    Unreachable(String),
    /// The provider refused or failed; its own message is passed on.
    #[error("The provider answered: {0}")]
    Provider(String),
    /// Fail closed: the intent could not be recorded, so nothing was done.
    #[error("The audit history cannot be written, so nothing was done. {0}")]
    AuditUnavailable(String),
    /// The request never reached the action: a transport or encoding failure.
    #[error("The request could not be completed: {0}")]
    Transport(String),
    #[error("Something went wrong on the server; it has been logged.")]
    Internal,
}

impl AppError {
    /// The HTTP status a server function answers with for this error.
    pub fn status_code(&self) -> u16 {
        match self {
            Self::Invalid(_) | Self::Transport(_) => 400,
            Self::Unauthenticated(_) => 401,
            Self::Forbidden(_) => 403,
            Self::NotFound(_) => 404,
            Self::Conflict(_) => 409,
            Self::RateLimited(_) | Self::TooFast(_) => 429,
            Self::Unreachable(_) | Self::Provider(_) => 502,
            Self::AuditUnavailable(_) => 503,
            Self::Internal => 500,
        }
    }
}
