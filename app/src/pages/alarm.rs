//! The integrity alarm: a red banner on every page while the audit history
//! does not match its checkpoints or does not verify, until an admin
//! acknowledges it (which is recorded). The console stays usable: the
//! banner is there so nobody works on without knowing.

use crate::controls::forms::CallButton;
use crate::error::FnError;
use domain::model::IntegrityAlarm;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// The alarm the page was rendered with, for the signed-in user: the
/// server puts it in the page's context as it renders. So no page waits
/// on a read for it, and a page without an alarm makes nothing for the
/// banner.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageAlarm(pub Option<IntegrityAlarm>);

#[server(endpoint = "alarm")]
pub async fn get_alarm() -> Result<Option<IntegrityAlarm>, FnError> {
    crate::console::answer(async move {
        let (console, who) = crate::console::console()?;
        console.alarm(&who)
    })
    .await
}

/// `finding` is the text shown: only that alarm is silenced.
#[server(endpoint = "acknowledge_alarm")]
pub async fn acknowledge_alarm(finding: String) -> Result<String, FnError> {
    crate::console::answer(async move {
        Ok(
            crate::console::act(domain::action::AuditAction::AcknowledgeAlarm { finding })
                .await?
                .said(),
        )
    })
    .await
}

/// The banner, in a live part of its own that is read again only after
/// an action (`data-quiet`): once one alarm is acknowledged, the page read
/// again shows the next, or none.
#[component]
pub fn IntegrityBanner() -> impl IntoView {
    let alarm = use_context::<PageAlarm>().and_then(|a| a.0);
    let banner = alarm.map(|a| {
        let acknowledge = a.can_acknowledge.then(|| {
            view! {
                <CallButton
                    function=AcknowledgeAlarm::PATH
                    fields=vec![("finding", a.finding.clone())]
                    class="acknowledge"
                    label="Acknowledge"
                />
            }
        });
        view! {
            <div class="integrity-alarm error" role="alert">
                <strong>"The audit history does not hold. "</strong>
                <span class="finding">{a.finding}</span>
                " See the Audit page and the README on what it means."
                {acknowledge}
            </div>
        }
    });
    view! {
        <div class="alarm-slot" data-live="alarm" data-quiet="">
            {banner}
        </div>
    }
}
