//! The provider, as the console's pages and the executor see it: the
//! client, the single-flight caches in front of its reads (any number of
//! viewers cost one call per resource per refresh period), what a change
//! makes stale, and what the watcher observes. It knows neither the pages
//! nor the executor: both are above it.

use crate::cache::{Loader, Read};
use crate::provider::wire::Space;
use crate::provider::{ProviderClient, ProviderError};
use domain::action::ProviderAction;
use domain::error::AppError;
use domain::ids::{PcxId, SpaceRef};
use domain::model::{Freshness, Peering, PeeringInfo};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

pub mod mask;
pub(crate) mod observe;
mod privatelink;
pub mod shared;

use shared::Stale;

pub struct Gateway {
    provider: Arc<ProviderClient>,
    spaces: Loader<(), Vec<Space>>,
    info: Loader<String, PeeringInfo>,
    peerings: Loader<String, Vec<Peering>>,
    apps: Loader<(), Vec<crate::provider::wire::App>>,
    addons: Loader<String, Vec<crate::provider::wire::Addon>>,
    /// `None` when the add-on has no PrivateLink.
    links: Loader<String, Option<domain::model::PrivateLink>>,
    /// Apps' config vars, masked (see `mask`).
    masked_vars: Loader<String, std::collections::BTreeMap<String, String>>,
    /// Other consoles on the same PostgreSQL, told of each change.
    shared: Option<shared::Announcer>,
}

pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// How fresh a view made of these reads is: its oldest read, and the first
/// error among them.
pub(crate) fn freshness<'a>(
    reads: impl IntoIterator<Item = (OffsetDateTime, Option<&'a String>)>,
) -> Freshness {
    let now = OffsetDateTime::now_utc();
    let mut oldest = now;
    let mut error = None;
    for (at, e) in reads {
        oldest = oldest.min(at);
        if error.is_none() {
            error = e.cloned();
        }
    }
    Freshness {
        fetched_at: rfc3339(oldest),
        as_of: rfc3339(now),
        stale_error: error,
    }
}

impl Gateway {
    /// Reads are reused for `refresh`; peering info, which hardly ever
    /// changes, thirty times as long.
    pub fn new(provider: Arc<ProviderClient>, refresh: Duration) -> Self {
        Self {
            provider,
            spaces: Loader::new("spaces", refresh * 6, 1),
            info: Loader::new("info", refresh * 30, 1000),
            peerings: Loader::new("peerings", refresh, 1000),
            apps: Loader::new("apps", refresh * 6, 1),
            addons: Loader::new("addons", refresh * 6, 1000),
            links: Loader::new("links", refresh, 1000),
            masked_vars: Loader::new("masked_vars", refresh, 1000),
            shared: None,
        }
    }

    /// Tells the consoles sharing `db` (PostgreSQL) of each change, and
    /// drops what their changes make stale here (see `shared`).
    pub fn shared_through(mut self, db: &crate::db::Db) -> Self {
        self.shared = shared::Announcer::new(db);
        self
    }

    /// The client itself, for the calls that change something (never
    /// cached) and for what the provider last said of the budget.
    pub(crate) fn client(&self) -> &ProviderClient {
        &self.provider
    }

    /// The name of the space `space` refers to (by name or id, in any
    /// case), checked against the list of spaces. A space the list does not
    /// have is "not found" without asking the provider: unknown spaces were
    /// never cached, so anyone could spend the account's hourly budget by
    /// asking for made-up ones. The list itself is re-read at most once a
    /// refresh period (times six), so a new space shows within a minute.
    pub(crate) async fn space_named(&self, space: &SpaceRef) -> Result<String, AppError> {
        let space = space.as_str();
        let spaces = self.read_spaces().await?;
        spaces
            .value
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(space) || s.id.eq_ignore_ascii_case(space))
            .map(|s| s.name.clone())
            .ok_or_else(|| {
                AppError::NotFound(format!(
                    "There is no space \"{space}\" among the spaces this console can see \
                     (as of {}).",
                    rfc3339(spaces.at)
                ))
            })
    }

    pub(crate) async fn read_spaces(&self) -> Result<Read<Arc<Vec<Space>>>, ProviderError> {
        self.spaces
            .get((), async { Ok(self.provider.list_spaces().await?.value) })
            .await
    }

    pub(crate) async fn read_info(
        &self,
        space: &str,
    ) -> Result<Read<Arc<PeeringInfo>>, ProviderError> {
        self.info
            .get(space.to_string(), async {
                Ok(self.provider.peering_info(space).await?.value)
            })
            .await
    }

    pub(crate) async fn read_peerings(
        &self,
        space: &str,
    ) -> Result<Read<Arc<Vec<Peering>>>, ProviderError> {
        self.peerings
            .get(space.to_string(), async {
                Ok(self.provider.list_peerings(space).await?.value)
            })
            .await
    }

    /// The current state of one peering, straight from the provider: an
    /// action is decided on what is true now, not on what a cache saw.
    pub(crate) async fn current(&self, space: &str, pcx_id: &PcxId) -> Result<Peering, AppError> {
        Ok(self
            .provider
            .get_peering(space, pcx_id.as_str())
            .await?
            .value)
    }

    /// Forgets the reads `action`, done in `space`, made stale, here and
    /// on the consoles sharing the database.
    pub(crate) async fn forget(&self, action: &ProviderAction, space: &str) {
        let stale = match action {
            ProviderAction::AcceptPeering { .. } | ProviderAction::DestroyPeering { .. } => {
                Stale::Peerings {
                    space: space.to_string(),
                }
            }
            ProviderAction::CreatePrivateLink { addon, .. }
            | ProviderAction::DestroyPrivateLink { addon, .. }
            | ProviderAction::AddAccounts { addon, .. }
            | ProviderAction::RemoveAccounts { addon, .. } => Stale::Link {
                addon: addon.to_string(),
            },
            ProviderAction::RevealUrl { .. } => return,
        };
        self.drop_stale(&stale).await;
        if let Some(announcer) = &self.shared {
            announcer.announce(&stale).await;
        }
    }

    /// Forgets the reads `stale` names.
    pub(crate) async fn drop_stale(&self, stale: &Stale) {
        match stale {
            Stale::Peerings { space } => {
                self.peerings.invalidate(space).await;
                self.spaces.invalidate(&()).await;
            }
            Stale::Link { addon } => self.links.invalidate(addon).await,
            Stale::Everything => {
                self.spaces.invalidate_all();
                self.peerings.invalidate_all();
                self.links.invalidate_all();
                self.addons.invalidate_all();
            }
        }
    }
}
