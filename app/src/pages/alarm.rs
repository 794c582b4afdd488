//! The integrity alarm: a red banner on every page while the audit history
//! does not match its checkpoints or does not verify, until an admin
//! acknowledges it (which is recorded). The console stays usable: the
//! banner is there so nobody works on without knowing.

use crate::error::AppError;
use crate::model::IntegrityAlarm;
use leptos::prelude::*;

#[server(endpoint = "alarm")]
pub async fn get_alarm() -> Result<Option<IntegrityAlarm>, AppError> {
    crate::console::answer(async move {
        let (console, who) = crate::console::console()?;
        console.alarm(&who).await
    })
    .await
}

/// `finding` is the text shown: only that alarm is silenced.
#[server(endpoint = "acknowledge_alarm")]
pub async fn acknowledge_alarm(finding: String) -> Result<String, AppError> {
    crate::console::answer(async move {
        Ok(
            crate::console::act(crate::action::Action::AcknowledgeAlarm { finding })
                .await?
                .said(),
        )
    })
    .await
}

#[component]
pub fn IntegrityBanner() -> impl IntoView {
    let acknowledge = ServerAction::<AcknowledgeAlarm>::new();
    let alarm = Resource::new(move || acknowledge.version().get(), |_| get_alarm());
    let refused = move || acknowledge.value().get().and_then(Result::err);
    view! {
        <Transition fallback=|| ()>
            {move || {
                alarm
                    .get()
                    .and_then(Result::ok)
                    .flatten()
                    .map(|a| {
                        let finding = a.finding.clone();
                        view! {
                            <div class="integrity-alarm error" role="alert">
                                <strong>"The audit history does not hold. "</strong>
                                <span class="finding">{a.finding}</span>
                                " See the Audit page and the README on what it means."
                                {a
                                    .can_acknowledge
                                    .then(|| {
                                        view! {
                                            <button
                                                type="button"
                                                on:click=move |_| {
                                                    acknowledge
                                                        .dispatch(AcknowledgeAlarm {
                                                            finding: finding.clone(),
                                                        });
                                                }
                                            >
                                                "Acknowledge"
                                            </button>
                                        }
                                    })}
                                {move || refused().map(|e| view! { <p>{e.to_string()}</p> })}
                            </div>
                        }
                    })
            }}
        </Transition>
    }
}
