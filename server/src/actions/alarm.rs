//! The arm of the executor for acknowledging the integrity alarm: the
//! check is that the finding acknowledged is the one shown now, so an
//! admin never silences a finding they have not read.

use super::{Changed, Checked};
use crate::audit::integrity::{AcknowledgeError, Integrity};
use domain::action::Done;
use domain::error::AppError;
use std::sync::Arc;

impl From<AcknowledgeError> for AppError {
    fn from(e: AcknowledgeError) -> Self {
        match e {
            AcknowledgeError::NoAlarm | AcknowledgeError::Changed => {
                AppError::Conflict(e.to_string())
            }
            AcknowledgeError::Audit(e) => {
                tracing::error!(error = %e, "acknowledgement not kept");
                AppError::Internal
            }
        }
    }
}

fn running(integrity: Option<&Arc<Integrity>>) -> Result<&Integrity, AppError> {
    integrity
        .map(Arc::as_ref)
        .ok_or_else(|| AppError::Conflict(AcknowledgeError::NoAlarm.to_string()))
}

pub fn check(integrity: Option<&Arc<Integrity>>, finding: &str) -> Result<Checked, AppError> {
    running(integrity)?.check_acknowledge(finding)?;
    Ok(Checked {
        detail: Some(finding.to_string()),
        ..Checked::default()
    })
}

pub async fn change(integrity: Option<&Arc<Integrity>>, finding: &str) -> Changed {
    let done = match running(integrity) {
        Ok(i) => i.acknowledge(finding).await.map_err(AppError::from),
        Err(e) => Err(e),
    };
    match done {
        Ok(()) => {
            let said = "Acknowledged; the alarm is off until something new is found.".to_string();
            Changed::ok(Done::Said(said.clone()), said)
        }
        Err(e) => Changed::failed(e),
    }
}
