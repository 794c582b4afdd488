//! The simulated provider's state and its state machine. Pure: every
//! operation takes `now`, so the lifecycle is tested without a clock or a
//! server. Timestamps shown to clients are real wall-clock times; the time
//! scale only shortens how long transitions take.

use super::rules;
use super::wire::{Peering, PeeringInfo, PeeringStatus, PeeringType, Space};
use time::{Duration, OffsetDateTime};

/// How long the provider and AWS take, at time scale 1.
const REQUEST_LAG: Duration = Duration::seconds(90);
const PROVISIONING: Duration = Duration::seconds(60);
const DELETING: Duration = Duration::seconds(30);
/// AWS keeps a peering request open for a week.
pub const REQUEST_LIFETIME: Duration = Duration::days(7);

#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub request_lag: Duration,
    pub provisioning: Duration,
    pub deleting: Duration,
}

/// Shortens real-life durations by a time scale (10 makes 60 s into 6 s);
/// a scale that is not a positive number counts as 1.
pub fn scaler(scale: f64) -> impl Fn(Duration) -> Duration {
    let s = if scale.is_finite() && scale > 0.0 {
        scale
    } else {
        1.0
    };
    move |d: Duration| Duration::seconds_f64(d.as_seconds_f64() / s)
}

impl Timing {
    /// The real durations divided by `scale` (10 makes provisioning 6 s).
    pub fn scaled(scale: f64) -> Self {
        let f = scaler(scale);
        Self {
            request_lag: f(REQUEST_LAG),
            provisioning: f(PROVISIONING),
            deleting: f(DELETING),
        }
    }
}

/// What the simulated API answers when an operation is refused; the HTTP
/// layer turns it into the provider's `{"id","message"}` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimError {
    NotFound(String),
    Forbidden(String),
    InvalidParams(String),
}

#[derive(Debug, Clone)]
pub struct SimPeering {
    pub peering: Peering,
    /// A request from the AWS side is invisible until the provider sees it.
    pub visible_from: OffsetDateTime,
    /// The status this peering moves to by itself, and when.
    pub next: Option<(OffsetDateTime, PeeringStatus)>,
    expires_at: Option<OffsetDateTime>,
}

impl SimPeering {
    pub fn new(peering: Peering, visible_from: OffsetDateTime) -> Self {
        let expires_at = peering.expires.as_deref().and_then(parse_time);
        Self {
            peering,
            visible_from,
            next: None,
            expires_at,
        }
    }
}

#[derive(Debug, Clone)]
pub struct SimSpace {
    pub space: Space,
    pub info: PeeringInfo,
    pub peerings: Vec<SimPeering>,
}

/// A peering request made on the AWS side (the control surface's input).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct PeeringRequest {
    pub aws_account_id: String,
    pub vpc_id: String,
    pub cidr_block: String,
    #[serde(default)]
    pub aws_region: Option<String>,
    /// Overrides the week AWS gives; lets tests see a request expire.
    #[serde(default)]
    pub expires_in_secs: Option<i64>,
    /// Skips the lag before the provider sees the request.
    #[serde(default)]
    pub immediate: bool,
}

#[derive(Debug, Clone)]
pub struct World {
    pub spaces: Vec<SimSpace>,
    pub timing: Timing,
    /// Changes the AWS side makes once a peering has been read a few more
    /// times (see `PeeringAmendment::after_reads`).
    pub deferred: Vec<Deferred>,
}

/// An amendment waiting for its peering to be read `reads_left` more times.
#[derive(Debug, Clone)]
pub struct Deferred {
    pub space: String,
    pub pcx_id: String,
    pub change: PeeringAmendment,
    pub reads_left: u32,
}

pub fn parse_time(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

pub fn format_time(t: OffsetDateTime) -> String {
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl World {
    /// Moves every peering along its lifecycle up to `now`.
    pub fn advance(&mut self, now: OffsetDateTime) {
        for space in &mut self.spaces {
            for p in &mut space.peerings {
                // Several steps may be due at once after a long pause.
                while let Some((at, status)) = p.next.clone() {
                    if at > now {
                        break;
                    }
                    p.next = None;
                    if status == PeeringStatus::PendingAcceptance {
                        // The request is seen now, and its week starts.
                        let expires = p.expires_at.unwrap_or(at + REQUEST_LIFETIME);
                        p.expires_at = Some(expires);
                        p.peering.expires = Some(format_time(expires));
                    }
                    p.peering.status = status;
                }
                if p.peering.status == PeeringStatus::PendingAcceptance
                    && p.expires_at.is_some_and(|e| e <= now)
                {
                    p.peering.status = PeeringStatus::Expired;
                }
            }
        }
    }

    /// Finds a space by name or id.
    pub fn space(&self, key: &str) -> Result<&SimSpace, SimError> {
        self.spaces
            .iter()
            .find(|s| s.space.name == key || s.space.id == key)
            .ok_or_else(|| SimError::NotFound(format!("Couldn't find that space: {key}.")))
    }

    fn space_mut(&mut self, key: &str) -> Result<&mut SimSpace, SimError> {
        self.spaces
            .iter_mut()
            .find(|s| s.space.name == key || s.space.id == key)
            .ok_or_else(|| SimError::NotFound(format!("Couldn't find that space: {key}.")))
    }

    /// The peerings a client can see, sorted by PCX ID.
    pub fn visible_peerings(
        &self,
        key: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<Peering>, SimError> {
        let mut out: Vec<Peering> = self
            .space(key)?
            .peerings
            .iter()
            .filter(|p| p.visible_from <= now)
            .map(|p| p.peering.clone())
            .collect();
        out.sort_by(|a, b| a.pcx_id.cmp(&b.pcx_id));
        Ok(out)
    }

    pub fn peering(
        &self,
        key: &str,
        pcx_id: &str,
        now: OffsetDateTime,
    ) -> Result<Peering, SimError> {
        self.visible_peerings(key, now)?
            .into_iter()
            .find(|p| p.pcx_id == pcx_id)
            .ok_or_else(|| not_found_peering(pcx_id))
    }

    fn peering_mut(
        &mut self,
        key: &str,
        pcx_id: &str,
        now: OffsetDateTime,
    ) -> Result<&mut SimPeering, SimError> {
        self.space_mut(key)?
            .peerings
            .iter_mut()
            .find(|p| p.peering.pcx_id == pcx_id && p.visible_from <= now)
            .ok_or_else(|| not_found_peering(pcx_id))
    }

    /// A peering the customer may act on, with the world moved to `now`;
    /// the provider's own rows are refused.
    fn customer_peering_mut(
        &mut self,
        key: &str,
        pcx_id: &str,
        now: OffsetDateTime,
    ) -> Result<&mut SimPeering, SimError> {
        self.advance(now);
        let p = self.peering_mut(key, pcx_id, now)?;
        if p.peering.kind.is_provider_managed() {
            return Err(SimError::Forbidden(
                "Heroku-managed peering connections cannot be modified.".into(),
            ));
        }
        Ok(p)
    }

    pub fn accept(
        &mut self,
        key: &str,
        pcx_id: &str,
        now: OffsetDateTime,
    ) -> Result<Peering, SimError> {
        let provisioning = self.timing.provisioning;
        let info = self.space_mut(key)?.info.clone();
        let p = self.customer_peering_mut(key, pcx_id, now)?;
        match &p.peering.status {
            PeeringStatus::PendingAcceptance => {}
            PeeringStatus::Expired => {
                return Err(SimError::InvalidParams(format!(
                    "The peering connection {pcx_id} has expired and can no longer be accepted."
                )));
            }
            other => {
                return Err(SimError::InvalidParams(format!(
                    "The peering connection {pcx_id} is {other}, not pending-acceptance."
                )));
            }
        }
        // The provider refuses to accept what could not be routed: a peer
        // outside RFC1918, or one overlapping the space's reserved blocks.
        // AWS leaves such a request pending; only the provider says no.
        let kept: Vec<String> = std::iter::once(info.vpc_cidr.clone())
            .chain(info.unavailable_cidr_blocks.iter().cloned())
            .collect();
        if let Some(why) = rules::accept_refusal(&p.peering.all_cidrs(), &kept) {
            return Err(SimError::InvalidParams(format!(
                "The peering connection {pcx_id} cannot be accepted: {why}."
            )));
        }
        let p = self.customer_peering_mut(key, pcx_id, now)?;
        p.peering.status = PeeringStatus::Provisioning;
        p.peering.kind = PeeringType::CustomerManaged;
        p.next = Some((now + provisioning, PeeringStatus::Active));
        Ok(p.peering.clone())
    }

    pub fn destroy(
        &mut self,
        key: &str,
        pcx_id: &str,
        now: OffsetDateTime,
    ) -> Result<Peering, SimError> {
        let deleting = self.timing.deleting;
        let p = self.customer_peering_mut(key, pcx_id, now)?;
        if matches!(
            p.peering.status,
            PeeringStatus::Deleting | PeeringStatus::Deleted
        ) {
            return Err(SimError::InvalidParams(format!(
                "The peering connection {pcx_id} is already {}.",
                p.peering.status
            )));
        }
        p.peering.status = PeeringStatus::Deleting;
        p.next = Some((now + deleting, PeeringStatus::Deleted));
        Ok(p.peering.clone())
    }

    /// A request sent from the AWS side. Like AWS, it is created and then
    /// fails only if the peer's CIDR overlaps the space's VPC CIDR (AWS
    /// knows nothing of the space's other reserved blocks or of RFC1918).
    /// Anything else waits for acceptance, where the provider refuses it.
    pub fn request(
        &mut self,
        key: &str,
        req: &PeeringRequest,
        pcx_id: String,
        now: OffsetDateTime,
    ) -> Result<Peering, SimError> {
        let invalid = |e: String| SimError::InvalidParams(e);
        rules::account_id(&req.aws_account_id).map_err(invalid)?;
        rules::aws_id(&req.vpc_id, "vpc").map_err(invalid)?;
        let net = rules::cidr(&req.cidr_block).map_err(invalid)?;
        let lag = if req.immediate {
            Duration::ZERO
        } else {
            self.timing.request_lag
        };
        let space = self.space_mut(key)?;
        let clash = rules::cidr(&space.info.vpc_cidr).is_ok_and(|vpc| rules::overlaps(&net, &vpc));
        let visible_from = now + lag;
        let expires_at = req
            .expires_in_secs
            .map(|s| visible_from + Duration::seconds(s))
            .unwrap_or(visible_from + REQUEST_LIFETIME);
        let peering = Peering {
            kind: PeeringType::Unknown,
            pcx_id,
            cidr_blocks: vec![net.to_string()],
            cidr_block: None,
            status: PeeringStatus::InitiatingRequest,
            aws_vpc_id: Some(req.vpc_id.clone()),
            aws_region: Some(
                req.aws_region
                    .clone()
                    .unwrap_or_else(|| space.info.aws_region.clone()),
            ),
            aws_account_id: Some(req.aws_account_id.clone()),
            expires: None,
        };
        let mut sim = SimPeering::new(peering, visible_from);
        sim.expires_at = Some(expires_at);
        let settled = if clash {
            PeeringStatus::Failed
        } else {
            PeeringStatus::PendingAcceptance
        };
        sim.next = Some((visible_from, settled));
        space.peerings.push(sim);
        self.advance(now);
        let p = self.space(key)?.peerings.last().map(|p| p.peering.clone());
        p.ok_or_else(|| SimError::NotFound(key.into()))
    }
}

/// A change made to a peering request on the AWS side after it was sent
/// (the control surface's input): its requester re-created it with
/// another CIDR, from another account, or it was rejected there.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeeringAmendment {
    pub cidr_block: Option<String>,
    pub aws_account_id: Option<String>,
    pub status: Option<String>,
    /// Made only once the peering has been read by itself (`GET
    /// /spaces/{space}/peerings/{pcx}`) this many more times: the AWS side
    /// changing a request at the worst moment, between a client's look
    /// and its act.
    #[serde(default)]
    pub after_reads: Option<u32>,
}

impl World {
    /// Changes a visible customer peering as `change` says.
    pub fn amend(
        &mut self,
        key: &str,
        pcx_id: &str,
        change: &PeeringAmendment,
        now: OffsetDateTime,
    ) -> Result<Peering, SimError> {
        let invalid = |e: String| SimError::InvalidParams(e);
        let cidr = change
            .cidr_block
            .as_deref()
            .map(rules::cidr)
            .transpose()
            .map_err(invalid)?;
        if let Some(a) = &change.aws_account_id {
            rules::account_id(a).map_err(invalid)?;
        }
        if let Some(reads) = change.after_reads.filter(|n| *n > 0) {
            let space = self.space(key)?.space.name.clone();
            let p = self.customer_peering_mut(key, pcx_id, now)?.peering.clone();
            self.deferred.push(Deferred {
                space,
                pcx_id: pcx_id.to_string(),
                change: PeeringAmendment {
                    after_reads: None,
                    ..change.clone()
                },
                reads_left: reads,
            });
            return Ok(p);
        }
        let p = self.customer_peering_mut(key, pcx_id, now)?;
        if let Some(net) = cidr {
            p.peering.cidr_blocks = vec![net.to_string()];
        }
        if let Some(a) = &change.aws_account_id {
            p.peering.aws_account_id = Some(a.clone());
        }
        if let Some(st) = &change.status {
            p.peering.status = PeeringStatus::from(st.as_str());
            p.next = None;
        }
        Ok(p.peering.clone())
    }
}

impl World {
    /// Counts a read of peering `pcx_id` in space `key`, and makes the
    /// deferred changes whose reads are used up (after the answer was
    /// taken).
    pub fn peering_read(&mut self, key: &str, pcx_id: &str, now: OffsetDateTime) {
        if self.deferred.is_empty() {
            return;
        }
        let Ok(space) = self.space(key).map(|s| s.space.name.clone()) else {
            return;
        };
        let mut due = Vec::new();
        self.deferred.retain_mut(|d| {
            if d.space != space || d.pcx_id != pcx_id {
                return true;
            }
            d.reads_left = d.reads_left.saturating_sub(1);
            if d.reads_left == 0 {
                due.push(d.clone());
                return false;
            }
            true
        });
        for d in due {
            if let Err(e) = self.amend(&d.space, &d.pcx_id, &d.change, now) {
                tracing::debug!(error = ?e, pcx = %d.pcx_id, "a deferred amendment did not apply");
            }
        }
    }
}

fn not_found_peering(pcx_id: &str) -> SimError {
    SimError::NotFound(format!("Couldn't find that peering connection: {pcx_id}."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::seed;

    fn t0() -> OffsetDateTime {
        parse_time("2026-11-22T12:00:00Z").unwrap()
    }

    fn world() -> World {
        seed::world(t0(), Timing::scaled(1.0))
    }

    const SPACE: &str = "spaces-peering-example";

    #[test]
    fn accept_provisions_then_activates() {
        let mut w = world();
        let p = w.accept(SPACE, "pcx-111aaa111", t0()).unwrap();
        assert_eq!(p.status, PeeringStatus::Provisioning);
        assert_eq!(p.kind, PeeringType::CustomerManaged);
        w.advance(t0() + Duration::seconds(59));
        assert_eq!(
            w.peering(SPACE, "pcx-111aaa111", t0()).unwrap().status,
            PeeringStatus::Provisioning
        );
        w.advance(t0() + Duration::seconds(60));
        assert_eq!(
            w.peering(SPACE, "pcx-111aaa111", t0()).unwrap().status,
            PeeringStatus::Active
        );
    }

    #[test]
    fn only_pending_requests_can_be_accepted() {
        let mut w = world();
        w.accept(SPACE, "pcx-111aaa111", t0()).unwrap();
        let again = w.accept(SPACE, "pcx-111aaa111", t0());
        assert!(matches!(again, Err(SimError::InvalidParams(m)) if m.contains("provisioning")));
        assert!(matches!(
            w.accept(SPACE, "pcx-00000000", t0()),
            Err(SimError::NotFound(_))
        ));
        assert!(matches!(
            w.accept("nope", "pcx-111aaa111", t0()),
            Err(SimError::NotFound(_))
        ));
    }

    #[test]
    fn provider_managed_rows_are_untouchable() {
        let mut w = world();
        let managed = w
            .visible_peerings(SPACE, t0())
            .unwrap()
            .into_iter()
            .find(|p| p.kind.is_provider_managed())
            .unwrap();
        assert!(matches!(
            w.accept(SPACE, &managed.pcx_id, t0()),
            Err(SimError::Forbidden(_))
        ));
        assert!(matches!(
            w.destroy(SPACE, &managed.pcx_id, t0()),
            Err(SimError::Forbidden(_))
        ));
    }

    #[test]
    fn destroy_goes_through_deleting() {
        let mut w = world();
        let p = w.destroy(SPACE, "pcx-111aaa111", t0()).unwrap();
        assert_eq!(p.status, PeeringStatus::Deleting);
        assert!(matches!(
            w.destroy(SPACE, "pcx-111aaa111", t0()),
            Err(SimError::InvalidParams(_))
        ));
        w.advance(t0() + Duration::seconds(30));
        assert_eq!(
            w.peering(SPACE, "pcx-111aaa111", t0()).unwrap().status,
            PeeringStatus::Deleted
        );
    }

    #[test]
    fn pending_requests_expire_and_cannot_be_accepted() {
        let mut w = world();
        let later = t0() + Duration::days(8);
        let err = w.accept(SPACE, "pcx-111aaa111", later).unwrap_err();
        assert!(matches!(err, SimError::InvalidParams(m) if m.contains("expired")));
        assert_eq!(
            w.peering(SPACE, "pcx-111aaa111", later).unwrap().status,
            PeeringStatus::Expired
        );
    }

    fn req(cidr: &str) -> PeeringRequest {
        PeeringRequest {
            aws_account_id: "210987654321".into(),
            vpc_id: "vpc-0fedcba987654321".into(),
            cidr_block: cidr.into(),
            aws_region: None,
            expires_in_secs: None,
            immediate: false,
        }
    }

    #[test]
    fn a_request_appears_after_the_lag_with_a_week_to_live() {
        let mut w = world();
        let p = w
            .request(
                SPACE,
                &req("10.200.0.0/16"),
                "pcx-0aaaaaaaaaaaaaaaa".into(),
                t0(),
            )
            .unwrap();
        assert_eq!(p.status, PeeringStatus::InitiatingRequest);
        assert!(
            w.peering(SPACE, "pcx-0aaaaaaaaaaaaaaaa", t0()).is_err(),
            "hidden during the lag"
        );
        let seen = t0() + Duration::seconds(90);
        w.advance(seen);
        let p = w.peering(SPACE, "pcx-0aaaaaaaaaaaaaaaa", seen).unwrap();
        assert_eq!(p.status, PeeringStatus::PendingAcceptance);
        assert_eq!(
            p.expires.as_deref(),
            Some(format_time(seen + REQUEST_LIFETIME).as_str())
        );
    }

    #[test]
    fn only_a_vpc_overlap_fails_as_aws_does() {
        let mut w = world();
        let mut r = req("10.0.0.0/20");
        r.immediate = true;
        let p = w
            .request(SPACE, &r, "pcx-0bbbbbbbbbbbbbbbb".into(), t0())
            .unwrap();
        assert_eq!(p.status, PeeringStatus::Failed);
        // Outside RFC1918, in an unavailable block, in the always-reserved
        // range: AWS leaves them pending, and the provider refuses to accept.
        for (cidr, pcx) in [
            ("100.64.0.0/16", "pcx-0cccccccccccccccc"),
            ("10.1.4.0/24", "pcx-0dddddddddddddddd"),
            ("172.17.2.0/24", "pcx-0eeeeeeeeeeeeeeee"),
        ] {
            let mut r = req(cidr);
            r.immediate = true;
            let p = w.request(SPACE, &r, pcx.into(), t0()).unwrap();
            assert_eq!(p.status, PeeringStatus::PendingAcceptance, "{cidr}");
            let refused = w.accept(SPACE, pcx, t0()).unwrap_err();
            assert!(
                matches!(&refused, SimError::InvalidParams(m) if m.contains("cannot be accepted")),
                "{cidr}: {refused:?}"
            );
            assert_eq!(
                w.peering(SPACE, pcx, t0()).unwrap().status,
                PeeringStatus::PendingAcceptance
            );
        }
    }

    #[test]
    fn bad_requests_are_refused_before_anything_changes() {
        let mut w = world();
        let before = w.visible_peerings(SPACE, t0()).unwrap().len();
        let mut r = req("10.200.0.0/16");
        r.aws_account_id = "1234".into();
        assert!(matches!(
            w.request(SPACE, &r, "pcx-0dddddddddddddddd".into(), t0()),
            Err(SimError::InvalidParams(_))
        ));
        assert!(
            w.request(
                SPACE,
                &req("10.200.0.1/16"),
                "pcx-0eeeeeeeeeeeeeeee".into(),
                t0()
            )
            .is_err()
        );
        assert_eq!(
            w.visible_peerings(SPACE, t0() + Duration::days(1))
                .unwrap()
                .len(),
            before
        );
    }

    #[test]
    fn spaces_are_found_by_name_or_id() {
        let w = world();
        let s = w.space(SPACE).unwrap();
        assert_eq!(w.space(&s.space.id).unwrap().space.name, SPACE);
    }
}
