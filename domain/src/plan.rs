//! The address plan of a space: every block its peers must stay out of,
//! and every peer's blocks, with what overlaps what; the free blocks a new
//! VPC could take; and, across the estate, the peers more than one space
//! shares. Pure functions of the peering info and the peerings, so the
//! page, the server and the browser's free-block finder compute the same.

use crate::checks::ALWAYS_RESERVED;
use crate::model::{Peering, PeeringInfo, PeeringStatus};
use crate::validate::{RFC1918, cidr, overlaps};
use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The prefix lengths the free-block finder answers for: from a /16 (the
/// largest VPC AWS allows) to a /28 (the smallest).
pub const PREFIXES: std::ops::RangeInclusive<u8> = 16..=28;

/// The private ranges, parsed.
pub fn rfc1918() -> [Ipv4Net; 3] {
    RFC1918.map(|r| r.parse().expect("static CIDR"))
}

/// Who holds a block of a space's plan.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Holder {
    /// The space's VPC CIDR.
    Vpc,
    /// One of the space's CIDRs (where its dynos and services run).
    SpaceCidr,
    /// One of its dyno CIDRs.
    DynoCidr,
    /// A block that is both a space CIDR and a dyno CIDR (the provider
    /// names most twice).
    SpaceAndDynoCidr,
    /// A block the provider reports as unavailable (its data CIDR, say).
    Unavailable,
    /// 172.17.0.0/16, reserved in every space.
    AlwaysReserved,
    /// A peering's CIDR; `managed` when the provider manages the peering
    /// (its own data services), which is then part of the space's side.
    Peering {
        pcx_id: String,
        status: PeeringStatus,
        managed: bool,
    },
}

impl Holder {
    /// Whether the block belongs to the space's side: what a peer must
    /// stay out of, rather than a peer of its own.
    pub fn is_space_side(&self) -> bool {
        self.peer().is_none()
    }

    /// The PCX ID of the peer that holds the block, for a block of a
    /// peer's own (not of the space's side).
    pub fn peer(&self) -> Option<&str> {
        // Every holder named: a new one must be placed on a side.
        match self {
            Self::Peering {
                pcx_id,
                managed: false,
                ..
            } => Some(pcx_id),
            Self::Peering { managed: true, .. }
            | Self::Vpc
            | Self::SpaceCidr
            | Self::DynoCidr
            | Self::SpaceAndDynoCidr
            | Self::Unavailable
            | Self::AlwaysReserved => None,
        }
    }

    /// A name for the block's holder, as the table and hovers say it.
    pub fn describe(&self) -> String {
        match self {
            Self::Vpc => "the space's VPC CIDR".into(),
            Self::SpaceCidr => "a space CIDR".into(),
            Self::DynoCidr => "a dyno CIDR".into(),
            Self::SpaceAndDynoCidr => "a space and dyno CIDR".into(),
            Self::Unavailable => "an unavailable block".into(),
            Self::AlwaysReserved => "reserved in every space".into(),
            // The provider masks its own peerings' IDs: none is shown.
            Self::Peering {
                status,
                managed: true,
                ..
            } => format!("the provider's own peering, {status}"),
            Self::Peering { pcx_id, status, .. } => format!("peering {pcx_id}, {status}"),
        }
    }

    /// The CSS class the picture draws the block with.
    pub fn class(&self) -> String {
        match self {
            Self::Vpc => "plan-vpc".into(),
            Self::SpaceCidr | Self::SpaceAndDynoCidr => "plan-space".into(),
            Self::DynoCidr => "plan-dyno".into(),
            Self::Unavailable => "plan-unavailable".into(),
            Self::AlwaysReserved => "plan-reserved".into(),
            Self::Peering { managed: true, .. } => "plan-managed".into(),
            Self::Peering { status, .. } => format!("plan-peering status-{status}"),
        }
    }
}

/// One block of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Block {
    pub net: Ipv4Net,
    pub holder: Holder,
}

/// Two blocks of a plan that overlap where they must not: `a` and `b` are
/// indexes into the plan's blocks, and `overlap` is the addresses both
/// hold (two CIDR blocks that overlap nest, so it is the smaller one).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Clash {
    pub a: usize,
    pub b: usize,
    pub overlap: Ipv4Net,
}

/// A space's address plan.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct Plan {
    pub space: String,
    /// The space's side first (VPC, space and dyno CIDRs, unavailable
    /// blocks, 172.17.0.0/16, provider-managed peerings), then its peers'
    /// blocks, each in the order the provider listed them.
    pub blocks: Vec<Block>,
    pub clashes: Vec<Clash>,
    /// What the provider sent that is no CIDR block, as it sent it.
    pub unreadable: Vec<String>,
}

impl Plan {
    /// The plan of `space`: its own blocks and those of every peering that
    /// still holds addresses (not failed, expired, rejected or deleted).
    pub fn of(space: &str, info: &PeeringInfo, peerings: &[Peering]) -> Plan {
        let mut plan = Plan {
            space: space.to_string(),
            ..Plan::default()
        };
        let own = std::iter::once((&info.vpc_cidr, Holder::Vpc))
            .chain(
                info.space_cidr_blocks
                    .iter()
                    .map(|c| (c, Holder::SpaceCidr)),
            )
            .chain(info.dyno_cidr_blocks.iter().map(|c| (c, Holder::DynoCidr)))
            .chain(
                info.unavailable_cidr_blocks
                    .iter()
                    .map(|c| (c, Holder::Unavailable)),
            )
            .map(|(c, h)| (c.clone(), h));
        let reserved = std::iter::once((ALWAYS_RESERVED.to_string(), Holder::AlwaysReserved));
        let live: Vec<&Peering> = peerings.iter().filter(|p| !p.status.is_final()).collect();
        let of_peering = |p: &&Peering| {
            let holder = Holder::Peering {
                pcx_id: p.pcx_id.clone(),
                status: p.status.clone(),
                managed: p.kind.is_provider_managed(),
            };
            p.all_cidrs().into_iter().map(move |c| (c, holder.clone()))
        };
        let managed = live
            .iter()
            .filter(|p| p.kind.is_provider_managed())
            .flat_map(of_peering);
        let peers = live
            .iter()
            .filter(|p| !p.kind.is_provider_managed())
            .flat_map(of_peering);
        for (text, holder) in own.chain(reserved).chain(managed).chain(peers) {
            match cidr(&text) {
                Ok(net) => {
                    // A block named twice for one holder is drawn once,
                    // and a space CIDR that is also a dyno CIDR once too.
                    if holder == Holder::DynoCidr
                        && let Some(b) = plan
                            .blocks
                            .iter_mut()
                            .find(|b| b.net == net && b.holder == Holder::SpaceCidr)
                    {
                        b.holder = Holder::SpaceAndDynoCidr;
                    } else if !plan
                        .blocks
                        .iter()
                        .any(|b| b.net == net && b.holder == holder)
                    {
                        plan.blocks.push(Block { net, holder });
                    }
                }
                Err(_) if text.is_empty() => {}
                Err(_) => plan.unreadable.push(text),
            }
        }
        plan.clashes = clashes(&plan.blocks);
        plan
    }

    /// Every block a new peer of this space must not overlap: all of them.
    pub fn taken(&self) -> Vec<Ipv4Net> {
        // Once each: a provider-managed peering's block is often also one
        // of the unavailable blocks, and the finder's list is sent to the
        // browser.
        let mut taken: Vec<Ipv4Net> = self.blocks.iter().map(|b| b.net).collect();
        taken.sort_unstable();
        taken.dedup();
        taken
    }

    /// The blocks `i` clashes with.
    pub fn clashing_with(&self, i: usize) -> impl Iterator<Item = &Block> {
        self.clashes.iter().filter_map(move |c| {
            if c.a == i {
                Some(&self.blocks[c.b])
            } else if c.b == i {
                Some(&self.blocks[c.a])
            } else {
                None
            }
        })
    }

    /// Whether any of the peering's blocks clashes with another block.
    pub fn is_clashing(&self, i: usize) -> bool {
        self.clashing_with(i).next().is_some()
    }
}

/// The pairs of blocks that overlap where it hurts: a peer's block over
/// the space's side or over another peer's. The space's own blocks nest
/// by design (its CIDRs lie in its VPC), and so do a provider-managed
/// peering and the unavailable block it uses; a peer's several blocks are
/// its own business.
fn clashes(blocks: &[Block]) -> Vec<Clash> {
    let mut out = Vec::new();
    for (a, x) in blocks.iter().enumerate() {
        for (b, y) in blocks.iter().enumerate().skip(a + 1) {
            let same_peer = matches!(
                (&x.holder, &y.holder),
                (Holder::Peering { pcx_id: p, .. }, Holder::Peering { pcx_id: q, .. }) if p == q
            );
            let space_only = x.holder.is_space_side() && y.holder.is_space_side();
            if !same_peer && !space_only && overlaps(&x.net, &y.net) {
                let overlap = if x.net.prefix_len() >= y.net.prefix_len() {
                    x.net
                } else {
                    y.net
                };
                out.push(Clash { a, b, overlap });
            }
        }
    }
    out
}

/// A free block the finder suggests, and the largest free block it lies
/// at the start of (how much room is left around it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suggestion {
    pub block: Ipv4Net,
    pub room: Ipv4Net,
}

/// Why the finder could not look.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FindError {
    #[error("A VPC's block is between a /16 and a /28; /{0} is neither.")]
    Prefix(u8),
    #[error("{0} lies outside the private ranges (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16).")]
    NotPrivate(Ipv4Net),
    #[error("A /{prefix} does not fit in {within}.")]
    TooSmall { prefix: u8, within: Ipv4Net },
}

/// The free blocks of `prefix` length that overlap nothing in `taken`,
/// inside the private ranges (and inside `within`, if given): at most
/// `limit`, one at the start of each of the largest free blocks, largest
/// first and then by address, so a suggestion leaves the most room.
pub fn free_blocks(
    prefix: u8,
    within: Option<Ipv4Net>,
    taken: &[Ipv4Net],
    limit: usize,
) -> Result<Vec<Suggestion>, FindError> {
    if !PREFIXES.contains(&prefix) {
        return Err(FindError::Prefix(prefix));
    }
    let roots: Vec<Ipv4Net> = match within {
        None => rfc1918().to_vec(),
        Some(w) => {
            let w = w.trunc();
            let roots: Vec<Ipv4Net> = rfc1918()
                .into_iter()
                .filter_map(|r| {
                    if r.contains(&w) {
                        Some(w)
                    } else if w.contains(&r) {
                        Some(r)
                    } else {
                        None
                    }
                })
                .collect();
            if roots.is_empty() {
                return Err(FindError::NotPrivate(w));
            }
            if roots.iter().all(|r| r.prefix_len() > prefix) {
                return Err(FindError::TooSmall { prefix, within: w });
            }
            roots
        }
    };
    let mut rooms = Vec::new();
    for root in roots.into_iter().filter(|r| r.prefix_len() <= prefix) {
        let hits: Vec<Ipv4Net> = taken
            .iter()
            .copied()
            .filter(|t| overlaps(t, &root))
            .collect();
        free_within(root, prefix, &hits, &mut rooms);
    }
    rooms.sort_by_key(|r| (r.prefix_len(), r.network()));
    Ok(rooms
        .into_iter()
        .take(limit)
        .map(|room| Suggestion {
            block: Ipv4Net::new(room.network(), prefix).expect("prefix checked"),
            room,
        })
        .collect())
}

/// Adds to `out` the largest blocks inside `net`, no smaller than
/// `prefix`, that overlap none of `hits` (the taken blocks that overlap
/// `net`). Halving stops at `prefix`, so the work is bounded by the taken
/// blocks times the prefix length, whatever the range.
fn free_within(net: Ipv4Net, prefix: u8, hits: &[Ipv4Net], out: &mut Vec<Ipv4Net>) {
    if hits.is_empty() {
        out.push(net);
        return;
    }
    if net.prefix_len() >= prefix || hits.iter().any(|h| h.contains(&net)) {
        return;
    }
    for half in net.subnets(net.prefix_len() + 1).expect("shorter than /32") {
        let inside: Vec<Ipv4Net> = hits
            .iter()
            .copied()
            .filter(|h| overlaps(h, &half))
            .collect();
        free_within(half, prefix, &inside, out);
    }
}

/// What the finder is asked, as typed: a prefix length and, optionally, a
/// parent range to stay inside.
pub fn parse_request(prefix: &str, within: &str) -> Result<(u8, Option<Ipv4Net>), String> {
    let digits = prefix.trim().trim_start_matches('/');
    let prefix: u8 = digits
        .parse()
        .map_err(|_| format!("\"{prefix}\" is not a prefix length such as /20."))?;
    let within = match within.trim() {
        "" => None,
        text => Some(cidr(text)?),
    };
    Ok((prefix, within))
}

/// A peer (an AWS account, or one VPC of it) peered with more than one
/// space, and what makes sharing it a problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedPeer {
    pub aws_account_id: String,
    /// The VPC, when one VPC is peered with several spaces; `None` for an
    /// account whose VPCs are.
    pub vpc_id: Option<String>,
    pub spaces: Vec<String>,
    /// The spaces' blocks that overlap one another: a VPC peered with both
    /// could route such addresses to one of them only.
    pub clashes: Vec<String>,
}

/// The accounts and VPCs peered (by live customer peerings) with more than
/// one of `plans`' spaces, each with the overlaps between those spaces'
/// own blocks. `peerings` are each space's peerings, by space name.
pub fn shared_peers(plans: &[Plan], peerings: &BTreeMap<&str, &[Peering]>) -> Vec<SharedPeer> {
    let mut by_account: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut by_vpc: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
    for (space, list) in peerings {
        for p in list
            .iter()
            .filter(|p| !p.status.is_final() && !p.kind.is_provider_managed())
        {
            let Some(account) = p.aws_account_id.as_deref() else {
                continue;
            };
            push_once(by_account.entry(account).or_default(), space);
            if let Some(vpc) = p.aws_vpc_id.as_deref() {
                push_once(by_vpc.entry((account, vpc)).or_default(), space);
            }
        }
    }
    let own = |space: &str| -> Vec<Ipv4Net> {
        plans
            .iter()
            .find(|p| p.space == space)
            .map(|p| {
                p.blocks
                    .iter()
                    .filter(|b| matches!(b.holder, Holder::Vpc))
                    .map(|b| b.net)
                    .collect()
            })
            .unwrap_or_default()
    };
    let clashes_between = |spaces: &[&str]| -> Vec<String> {
        let mut out = Vec::new();
        for (i, a) in spaces.iter().enumerate() {
            for b in &spaces[i + 1..] {
                for x in own(a) {
                    for y in own(b).into_iter().filter(|y| overlaps(&x, y)) {
                        out.push(format!("{a}'s {x} overlaps {b}'s {y}"));
                    }
                }
            }
        }
        out
    };
    let shared = |account: &str, vpc: Option<&str>, spaces: &[&str]| SharedPeer {
        aws_account_id: account.to_string(),
        vpc_id: vpc.map(str::to_string),
        spaces: spaces.iter().map(|s| s.to_string()).collect(),
        clashes: clashes_between(spaces),
    };
    let mut out: Vec<SharedPeer> = by_vpc
        .iter()
        .filter(|(_, spaces)| spaces.len() > 1)
        .map(|((account, vpc), spaces)| shared(account, Some(vpc), spaces))
        .collect();
    out.extend(
        by_account
            .iter()
            .filter(|(_, spaces)| spaces.len() > 1)
            .map(|(account, spaces)| shared(account, None, spaces)),
    );
    out
}

fn push_once<'a>(list: &mut Vec<&'a str>, space: &'a str) {
    if !list.contains(&space) {
        list.push(space);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PeeringType;
    use proptest::prelude::*;

    fn net(s: &str) -> Ipv4Net {
        s.parse().unwrap()
    }

    fn info() -> PeeringInfo {
        PeeringInfo {
            aws_account_id: "847227832372".into(),
            aws_region: "eu-west-1".into(),
            vpc_id: "vpc-7a8b9c0d".into(),
            vpc_cidr: "10.6.0.0/16".into(),
            dyno_cidr_blocks: vec!["10.6.128.0/20".into()],
            space_cidr_blocks: vec!["10.6.128.0/20".into()],
            unavailable_cidr_blocks: vec!["10.7.0.0/16".into()],
        }
    }

    fn peering(pcx: &str, cidr: &str, status: PeeringStatus, kind: PeeringType) -> Peering {
        Peering {
            kind,
            pcx_id: pcx.into(),
            cidr_blocks: vec![cidr.into()],
            cidr_block: None,
            status,
            aws_vpc_id: Some(format!("vpc-{pcx}")),
            aws_region: Some("eu-west-1".into()),
            aws_account_id: Some("678901234567".into()),
            expires: None,
        }
    }

    #[test]
    fn the_demo_request_in_the_reserved_range_is_named_and_nothing_else() {
        let peerings = [
            peering(
                "pcx-15c6d7e8f9a0b1c29",
                "172.17.8.0/24",
                PeeringStatus::PendingAcceptance,
                PeeringType::CustomerManaged,
            ),
            // The provider's own peering uses the unavailable block: by design.
            peering(
                "pcx-managed",
                "10.7.0.0/16",
                PeeringStatus::Active,
                PeeringType::HerokuManaged,
            ),
            // Gone: holds no addresses any more.
            peering(
                "pcx-gone",
                "10.6.0.0/16",
                PeeringStatus::Deleted,
                PeeringType::CustomerManaged,
            ),
        ];
        let plan = Plan::of("data-platform-eu", &info(), &peerings);
        assert_eq!(plan.clashes.len(), 1, "{plan:?}");
        let clash = &plan.clashes[0];
        assert_eq!(plan.blocks[clash.a].holder, Holder::AlwaysReserved);
        assert!(
            matches!(&plan.blocks[clash.b].holder, Holder::Peering { pcx_id, .. } if pcx_id == "pcx-15c6d7e8f9a0b1c29")
        );
        assert_eq!(clash.overlap, net("172.17.8.0/24"));
        assert!(
            !plan
                .blocks
                .iter()
                .any(|b| b.net == net("10.6.0.0/16") && !b.holder.is_space_side())
        );
        // The space CIDR named twice (also a dyno CIDR) is drawn once.
        let both: Vec<_> = plan
            .blocks
            .iter()
            .filter(|b| b.net == net("10.6.128.0/20"))
            .collect();
        assert_eq!(both.len(), 1);
        assert_eq!(both[0].holder, Holder::SpaceAndDynoCidr);
    }

    #[test]
    fn peers_that_overlap_each_other_clash_and_unreadable_blocks_are_kept() {
        let mut a = peering(
            "pcx-a",
            "10.100.0.0/16",
            PeeringStatus::Active,
            PeeringType::CustomerManaged,
        );
        a.cidr_blocks.push("10.100.1.0/24".into());
        let b = peering(
            "pcx-b",
            "10.100.4.0/24",
            PeeringStatus::PendingAcceptance,
            PeeringType::CustomerManaged,
        );
        let c = peering(
            "pcx-c",
            "not a cidr",
            PeeringStatus::PendingAcceptance,
            PeeringType::CustomerManaged,
        );
        let plan = Plan::of("s", &info(), &[a, b, c]);
        // a's two blocks nest (its own business); b overlaps a's /16 only.
        assert_eq!(plan.clashes.len(), 1, "{plan:?}");
        assert_eq!(plan.clashes[0].overlap, net("10.100.4.0/24"));
        assert_eq!(plan.unreadable, vec!["not a cidr".to_string()]);
    }

    #[test]
    fn the_finder_leaves_the_most_room_and_stays_inside_the_parent() {
        let taken = [net("10.0.0.0/16"), net("10.1.0.0/16"), net("172.17.0.0/16")];
        let found = free_blocks(20, None, &taken, 3).unwrap();
        // The largest free block is 10.128.0.0/9; then 10.64.0.0/10, ...
        assert_eq!(found[0].block, net("10.128.0.0/20"));
        assert_eq!(found[0].room, net("10.128.0.0/9"));
        assert_eq!(found[1].room, net("10.64.0.0/10"));
        let inside = free_blocks(20, Some(net("10.0.0.0/15")), &taken, 3).unwrap();
        assert!(inside.is_empty());
        let inside = free_blocks(24, Some(net("10.1.0.0/16")), &[net("10.1.0.0/17")], 5).unwrap();
        assert_eq!(inside[0].block, net("10.1.128.0/24"));
        assert_eq!(inside[0].room, net("10.1.128.0/17"));
    }

    #[test]
    fn the_finder_refuses_what_it_cannot_answer() {
        assert_eq!(free_blocks(12, None, &[], 1), Err(FindError::Prefix(12)));
        assert_eq!(free_blocks(29, None, &[], 1), Err(FindError::Prefix(29)));
        assert!(matches!(
            free_blocks(20, Some(net("8.8.0.0/16")), &[], 1),
            Err(FindError::NotPrivate(_))
        ));
        assert!(matches!(
            free_blocks(20, Some(net("10.0.0.0/24")), &[], 1),
            Err(FindError::TooSmall { .. })
        ));
        // A parent wider than a private range is cut to the ranges.
        let all = free_blocks(16, Some(net("0.0.0.0/0")), &[], 5).unwrap();
        assert_eq!(all.len(), 3);
        assert_eq!(parse_request("/20", "").unwrap(), (20, None));
        assert_eq!(
            parse_request("24", " 10.64.0.0/10 ").unwrap(),
            (24, Some(net("10.64.0.0/10")))
        );
        assert!(parse_request("twenty", "").is_err());
        assert!(parse_request("20", "10.64.0.0").is_err());
    }

    #[test]
    fn shared_peers_name_the_spaces_and_their_overlaps() {
        let space = |name: &str, vpc: &str| {
            let mut i = info();
            i.vpc_cidr = vpc.into();
            Plan::of(name, &i, &[])
        };
        let plans = [
            space("a", "10.0.0.0/16"),
            space("b", "10.0.0.0/16"),
            space("c", "10.4.0.0/16"),
        ];
        let p = |pcx: &str, vpc: &str| {
            let mut p = peering(
                pcx,
                "10.200.0.0/16",
                PeeringStatus::Active,
                PeeringType::CustomerManaged,
            );
            p.aws_vpc_id = Some(vpc.into());
            p
        };
        let (a, b, c) = (
            [p("pcx-1", "vpc-shared")],
            [p("pcx-2", "vpc-shared")],
            [p("pcx-3", "vpc-other")],
        );
        let peerings = BTreeMap::from([("a", &a[..]), ("b", &b[..]), ("c", &c[..])]);
        let shared = shared_peers(&plans, &peerings);
        assert_eq!(shared.len(), 2, "{shared:?}");
        assert_eq!(shared[0].vpc_id.as_deref(), Some("vpc-shared"));
        assert_eq!(shared[0].spaces, ["a", "b"]);
        assert_eq!(
            shared[0].clashes,
            ["a's 10.0.0.0/16 overlaps b's 10.0.0.0/16"]
        );
        assert_eq!(shared[1].vpc_id, None);
        assert_eq!(shared[1].spaces, ["a", "b", "c"]);
    }

    fn private_net() -> impl Strategy<Value = Ipv4Net> {
        (0usize..3, any::<u32>(), 8u8..=28).prop_map(|(r, bits, len)| {
            let root = rfc1918()[r];
            let len = len.max(root.prefix_len());
            let host = u32::from(root.network()) | (bits & !u32::from(root.netmask()));
            Ipv4Net::new(host.into(), len).unwrap().trunc()
        })
    }

    proptest! {
        /// A suggested block never overlaps anything it was given, has the
        /// asked length, and lies in the private ranges and the parent.
        #[test]
        fn a_suggestion_overlaps_nothing_it_was_given(
            taken in proptest::collection::vec(private_net(), 0..60),
            prefix in 16u8..=28,
            parent in proptest::option::of(private_net()),
        ) {
            let Ok(found) = free_blocks(prefix, parent, &taken, 8) else {
                return Ok(());
            };
            for s in found {
                prop_assert_eq!(s.block.prefix_len(), prefix);
                prop_assert!(s.room.contains(&s.block));
                prop_assert!(rfc1918().iter().any(|r| r.contains(&s.block)));
                if let Some(p) = parent {
                    prop_assert!(p.contains(&s.block));
                }
                for t in &taken {
                    prop_assert!(!overlaps(t, &s.block), "{} overlaps {}", s.block, t);
                }
            }
        }

        /// If a free block exists, one is found: checked against every
        /// block of the length in a small parent range.
        #[test]
        fn a_free_block_is_found_whenever_one_exists(
            taken in proptest::collection::vec((0u32..1024, 22u8..=28), 0..24),
            prefix in 22u8..=28,
        ) {
            let parent = net("10.20.0.0/22");
            let taken: Vec<Ipv4Net> = taken
                .into_iter()
                .map(|(off, len)| {
                    let addr = u32::from(parent.network()) + off;
                    Ipv4Net::new(addr.into(), len).unwrap().trunc()
                })
                .collect();
            let exists = parent
                .subnets(prefix)
                .unwrap()
                .any(|b| !taken.iter().any(|t| overlaps(t, &b)));
            let found = free_blocks(prefix, Some(parent), &taken, 1).unwrap();
            prop_assert_eq!(exists, !found.is_empty());
        }
    }
}
