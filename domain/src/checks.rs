//! The checks made before a peering request is accepted, on the request,
//! the space's peering info and its other peerings: what the provider's
//! CLI and dashboard accept without a word. The confirmation shows them;
//! the server enforces the blockers.

use crate::model::{Peering, PeeringInfo, PeeringStatus};
use crate::validate::{cidr, is_rfc1918, overlaps, seconds_until};
use ipnet::Ipv4Net;

/// The seed documents' limit on customer VPCs peered with one space. The
/// provider's limits page does not confirm it, so it is a warning only.
pub const PEERING_SOFT_LIMIT: usize = 5;

/// The space's own blocks a peer must not overlap: its VPC CIDR and the
/// blocks it reports as unavailable. Unparsable entries are skipped here;
/// the provider is the authority on its own data.
pub fn space_reserved_blocks(info: &PeeringInfo) -> Vec<Ipv4Net> {
    std::iter::once(&info.vpc_cidr)
        .chain(info.unavailable_cidr_blocks.iter())
        .map(String::as_str)
        .chain(std::iter::once(ALWAYS_RESERVED))
        .filter_map(|c| cidr(c).ok())
        .collect()
}

/// Reserved in every Private Space besides its own ranges (the peering
/// document lists it with the default 10.0.0.0/16 and 10.1.0.0/16), though
/// peering info does not always name it.
pub const ALWAYS_RESERVED: &str = "172.17.0.0/16";

/// How serious a finding about a peering request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Severity {
    /// AWS or the provider will refuse or break it.
    Blocker,
    /// Worth a second look before accepting.
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Finding {
    pub severity: Severity,
    pub message: String,
}

impl Finding {
    fn blocker(message: String) -> Self {
        Self {
            severity: Severity::Blocker,
            message,
        }
    }
    fn warning(message: String) -> Self {
        Self {
            severity: Severity::Warning,
            message,
        }
    }
}

/// The checks made before accepting a request: what the provider's CLI and
/// dashboard accept without a word. `others` are the space's other peerings.
pub fn accept_findings(
    request: &Peering,
    info: &PeeringInfo,
    others: &[Peering],
    as_of: &str,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let reserved = space_reserved_blocks(info);
    let cidrs = request.all_cidrs();
    if cidrs.is_empty() {
        out.push(Finding::warning(
            "The request names no CIDR block, so no overlap check was possible.".into(),
        ));
    }
    for text in &cidrs {
        let net = match cidr(text) {
            Ok(net) => net,
            Err(e) => {
                out.push(Finding::blocker(e));
                continue;
            }
        };
        if !is_rfc1918(&net) {
            out.push(Finding::blocker(format!(
                "{net} is not in RFC1918 space (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16); peering requires it."
            )));
        }
        for r in reserved.iter().filter(|r| overlaps(&net, r)) {
            out.push(Finding::blocker(format!(
                "{net} overlaps the space's block {r}; traffic could not be routed."
            )));
        }
        for other in others.iter().filter(|o| {
            o.pcx_id != request.pcx_id && !o.status.is_final() && !o.kind.is_provider_managed()
        }) {
            for oc in other.all_cidrs().iter().filter_map(|c| cidr(c).ok()) {
                if overlaps(&net, &oc) {
                    out.push(Finding::warning(format!(
                        "{net} overlaps {oc} of {}, which is {}.",
                        other.pcx_id, other.status
                    )));
                }
            }
        }
    }
    let live_customer = others
        .iter()
        .filter(|o| {
            o.pcx_id != request.pcx_id
                && !o.kind.is_provider_managed()
                && matches!(
                    o.status,
                    PeeringStatus::Active | PeeringStatus::Provisioning
                )
        })
        .count();
    if live_customer >= PEERING_SOFT_LIMIT {
        out.push(Finding::warning(format!(
            "The space already has {live_customer} peered VPCs; the documented limit is {PEERING_SOFT_LIMIT}."
        )));
    }
    if let Some(account) = request.aws_account_id.as_deref() {
        let known = others.iter().any(|o| {
            o.pcx_id != request.pcx_id
                && o.aws_account_id.as_deref() == Some(account)
                && o.status == PeeringStatus::Active
        });
        if !known {
            out.push(Finding::warning(format!(
                "AWS account {account} has no active peering with this space: make sure it is one of yours."
            )));
        }
    }
    if let Some(region) = request.aws_region.as_deref()
        && !region.is_empty()
        && region != info.aws_region
    {
        out.push(Finding::warning(format!(
            "The peer VPC is in {region}, the space in {}: inter-region peering has AWS limits.",
            info.aws_region
        )));
    }
    if let Some(secs) = request
        .expires
        .as_deref()
        .and_then(|e| seconds_until(e, as_of))
        && secs < 0
    {
        out.push(Finding::blocker(
            "The request has expired; it can no longer be accepted.".into(),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PeeringType;

    fn info() -> PeeringInfo {
        PeeringInfo {
            aws_account_id: "847227832372".into(),
            aws_region: "us-east-1".into(),
            vpc_id: "vpc-e291cc85".into(),
            vpc_cidr: "10.0.0.0/16".into(),
            dyno_cidr_blocks: vec![],
            space_cidr_blocks: vec!["10.0.128.0/20".into()],
            unavailable_cidr_blocks: vec!["10.1.0.0/16".into()],
        }
    }

    fn request(cidr: &str) -> Peering {
        Peering {
            kind: PeeringType::Unknown,
            pcx_id: "pcx-111aaa111".into(),
            cidr_blocks: vec![cidr.into()],
            cidr_block: None,
            status: PeeringStatus::PendingAcceptance,
            aws_vpc_id: Some("vpc-0a1b2c3d".into()),
            aws_region: Some("us-east-1".into()),
            aws_account_id: Some("123456789012".into()),
            expires: Some("2026-11-29T12:00:00Z".into()),
        }
    }

    const NOW: &str = "2026-11-22T12:00:00Z";

    #[test]
    fn a_clean_request_only_asks_about_the_unknown_account() {
        let f = accept_findings(&request("10.100.0.0/16"), &info(), &[], NOW);
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].message.contains("123456789012"));
        assert_eq!(f[0].severity, Severity::Warning);
    }

    #[test]
    fn overlapping_and_public_requests_are_blockers() {
        let f = accept_findings(&request("10.1.128.0/20"), &info(), &[], NOW);
        assert!(
            f.iter()
                .any(|x| x.severity == Severity::Blocker && x.message.contains("10.1.0.0/16"))
        );
        let f = accept_findings(&request("10.0.0.0/8"), &info(), &[], NOW);
        assert!(f.iter().any(|x| x.message.contains("10.0.0.0/16")));
        let f = accept_findings(&request("8.8.0.0/16"), &info(), &[], NOW);
        assert!(f.iter().any(|x| x.message.contains("RFC1918")));
    }

    #[test]
    fn expired_requests_and_the_soft_limit() {
        let mut r = request("10.100.0.0/16");
        r.expires = Some("2026-11-21T12:00:00Z".into());
        let mut others = Vec::new();
        for i in 0..5 {
            let mut o = request(&format!("10.{}.0.0/16", 110 + i));
            o.pcx_id = format!("pcx-0000000{i}");
            o.status = PeeringStatus::Active;
            others.push(o);
        }
        let f = accept_findings(&r, &info(), &others, NOW);
        assert!(f.iter().any(|x| x.message.contains("expired")));
        assert!(f.iter().any(|x| x.message.contains("limit")));
        // The account is known now: it has active peerings.
        assert!(!f.iter().any(|x| x.message.contains("make sure")));
    }
}
