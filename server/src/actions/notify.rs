//! The arms of the executor for webhook destinations: add one (its secret
//! is made here and shown once), remove one, send one a test. Each is an
//! admin's action, recorded like any other; the URL is never recorded
//! beyond its scheme and host.

use super::{Changed, Checked};
use crate::notify::{Notifications, StoreError, deliver};
use domain::action::{Done, NotifyAction};
use domain::error::AppError;
use domain::notify::{WebhookAdded, WebhookFormat};

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "notification store failed");
        AppError::Internal
    }
}

/// A URL the outbox can post to, parsed again by a full URL parser: the
/// browser's check is a courtesy, this one is the rule.
fn postable(url: &str) -> Result<(), AppError> {
    let parsed = url::Url::parse(url)
        .map_err(|e| AppError::Invalid(format!("That webhook URL cannot be used: {e}.")))?;
    let ok = matches!(parsed.scheme(), "http" | "https")
        && parsed.host().is_some()
        && parsed.username().is_empty()
        && parsed.password().is_none();
    if let Some(why) = deliver::refused_host(&parsed) {
        return Err(AppError::Invalid(why));
    }
    if ok {
        Ok(())
    } else {
        Err(AppError::Invalid(
            "A webhook URL is http(s)://host/path, with no user name or password.".into(),
        ))
    }
}

pub async fn check(store: &Notifications, action: &NotifyAction) -> Result<Checked, AppError> {
    match action {
        NotifyAction::AddWebhook { destination } => {
            // A stored action parsed back has no URL; it is never run again.
            domain::notify::webhook_url(&destination.url).map_err(AppError::Invalid)?;
            postable(&destination.url)?;
        }
        NotifyAction::RemoveWebhook { id } | NotifyAction::TestWebhook { id } => {
            if store.destination(*id).await?.is_none() {
                return Err(AppError::NotFound(format!(
                    "There is no webhook #{id}; it may have been removed."
                )));
            }
        }
    }
    Ok(Checked::local(action.detail()))
}

pub async fn change(store: &Notifications, who: &str, action: &NotifyAction) -> Changed {
    let result = match action {
        NotifyAction::AddWebhook { destination } => {
            let secret = deliver::new_secret();
            store
                .add_destination(destination, &secret, who)
                .await
                .map(|id| {
                    let said = format!("Added the webhook #{id} \"{}\".", destination.name);
                    let shown = (destination.format == WebhookFormat::Json).then_some(secret);
                    let message = match shown {
                        Some(_) => format!(
                            "Added the webhook \"{}\". Its signing secret, shown only now:",
                            destination.name
                        ),
                        None => format!("Added the webhook \"{}\".", destination.name),
                    };
                    let done = Done::WebhookAdded(WebhookAdded {
                        id,
                        name: destination.name.clone(),
                        secret: shown,
                        message,
                    });
                    (done, said)
                })
        }
        NotifyAction::RemoveWebhook { id } => match store.remove_destination(*id).await {
            // Removed by someone else since the check.
            Ok(false) => {
                return Changed::failed(AppError::NotFound(format!(
                    "Webhook #{id} was already removed."
                )));
            }
            Ok(true) => {
                let said =
                    format!("Removed the webhook #{id}; what it had still to receive is dropped.");
                Ok((Done::Said(said.clone()), said))
            }
            Err(e) => Err(e),
        },
        NotifyAction::TestWebhook { id } => store.enqueue_test(*id, who).await.map(|event| {
            let said =
                format!("Queued test event #{event} for webhook #{id}; its attempts show below.");
            (Done::Said(said.clone()), said)
        }),
    };
    match result {
        Ok((done, said)) => Changed::ok(done, said),
        Err(e) => Changed::failed(e.into()),
    }
}
