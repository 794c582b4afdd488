//! What the watcher sees of the provider: every space's peerings and data
//! add-ons, read through the same single-flight caches the pages use, so
//! a watcher looking while people look costs nothing more.

use super::{Gateway, rfc3339};
use domain::ids::SpaceRef;
use domain::model::Peering;
use domain::policy::ExpectedPeer;
use domain::policy::{Expectation, expectation_of};
use time::OffsetDateTime;

pub struct SpaceSeen {
    pub name: String,
    /// `None` when they could not be read this time (nothing is concluded).
    pub peerings: Option<Vec<PeeringSeen>>,
    /// `None` when not read this time, or not readable.
    pub links: Option<Vec<LinkSeen>>,
}

pub struct PeeringSeen {
    pub peering: Peering,
    /// For a pending request: whether the team expects it.
    pub expected: Option<Expectation>,
}

pub struct LinkSeen {
    pub addon: String,
    /// Its PrivateLink's status; `None` when it has none.
    pub status: Option<String>,
    /// Its PrivateLink could not be read: nothing is concluded about it.
    pub unread: bool,
}

impl Gateway {
    /// Every space as the caches have it now, each pending request marked
    /// against `expected`; add-ons only `with_links` (they change slowly
    /// and cost more calls). `Err` when not even the list of spaces could
    /// be read.
    pub(crate) async fn observe(
        &self,
        with_links: bool,
        expected: &[ExpectedPeer],
    ) -> Result<Vec<SpaceSeen>, String> {
        let spaces = self.read_spaces().await.map_err(|e| e.to_string())?;
        let now = rfc3339(OffsetDateTime::now_utc());
        let mut seen = Vec::with_capacity(spaces.value.len());
        for s in spaces.value.iter() {
            let mine: Vec<_> = expected
                .iter()
                .filter(|e| e.space == s.name)
                .cloned()
                .collect();
            let peerings = self.read_peerings(&s.name).await.ok().map(|r| {
                r.value
                    .iter()
                    .filter(|p| !p.kind.is_provider_managed())
                    .map(|p| PeeringSeen {
                        expected: expectation_of(p, &mine, &now),
                        peering: p.clone(),
                    })
                    .collect()
            });
            let links = match (with_links, s.name.parse::<SpaceRef>()) {
                (true, Ok(space)) => self.data_addons_of(&space).await.ok().map(|addons| {
                    addons
                        .into_iter()
                        .filter(|a| a.eligible)
                        .map(|a| LinkSeen {
                            unread: a.error.is_some(),
                            status: a.privatelink.map(|st| st.to_string()),
                            addon: a.addon,
                        })
                        .collect()
                }),
                _ => None,
            };
            seen.push(SpaceSeen {
                name: s.name.clone(),
                peerings,
                links,
            });
        }
        Ok(seen)
    }
}
