//! The provider boundary's error: what a call to the Platform API can end in.
//! Messages never contain the token (it only ever travels in a header).

use domain::error::AppError;

#[derive(Debug, Clone, thiserror::Error)]
pub enum ProviderError {
    /// The provider answered with an error body.
    #[error("{message} ({id}, HTTP {status})")]
    Api {
        status: u16,
        id: String,
        message: String,
        request_id: Option<String>,
    },
    #[error("no answer within {0} seconds")]
    Timeout(u64),
    #[error("{0}")]
    Unreachable(String),
    /// An answer arrived but was not what the contract says.
    #[error("unexpected answer: {0}")]
    Decode(String),
}

impl ProviderError {
    /// Whether a mutation's answer may have been lost after the provider
    /// acted: then the resource is read back instead of trusting the error.
    pub fn answer_may_be_lost(&self) -> bool {
        match self {
            Self::Api { status, .. } => *status >= 500,
            Self::Timeout(_) | Self::Unreachable(_) | Self::Decode(_) => true,
        }
    }

    /// Whether showing older data is better than showing this error.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Api { status, .. } => *status == 429 || *status >= 500,
            _ => true,
        }
    }

    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::Api { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } => Some(*status),
            _ => None,
        }
    }
}

impl From<ProviderError> for AppError {
    fn from(e: ProviderError) -> Self {
        match &e {
            ProviderError::Api {
                status: 404,
                message,
                ..
            } => AppError::NotFound(message.clone()),
            ProviderError::Api { status: 401, .. } => AppError::Provider(
                "the provider refused Spaceport's credentials; check HEROKU_API_KEY.".into(),
            ),
            ProviderError::Api {
                status: 403,
                message,
                ..
            } => AppError::Forbidden(message.clone()),
            ProviderError::Api {
                status: 422,
                message,
                ..
            } => AppError::Conflict(message.clone()),
            ProviderError::Api {
                status: 429,
                message,
                ..
            } => AppError::RateLimited(message.clone()),
            ProviderError::Timeout(_) | ProviderError::Unreachable(_) => {
                AppError::Unreachable(e.to_string())
            }
            _ => AppError::Provider(e.to_string()),
        }
    }
}
