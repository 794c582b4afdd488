//! What an address plan and the free-block finder cost: prints numbers,
//! asserts nothing (results in BENCHMARKS.md).
//!
//!   cargo run --release -p domain --example plan -- [PEERINGS] [SPACES]
//!
//! One space with PEERINGS peerings (default 50), each a /16 to /24 from
//! 10.0.0.0/8 or 172.16.0.0/12 (some overlapping, as in life), and SPACES
//! such spaces (default 20) at once, as the overview and the finder across
//! spaces see them.

use domain::model::{Peering, PeeringInfo, PeeringStatus, PeeringType};
use domain::plan::{Plan, free_blocks, shared_peers};
use std::collections::BTreeMap;
use std::time::Instant;

/// A small deterministic generator, so every run measures the same plans.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as u32
    }
}

fn space(n: u32, peerings: usize, rng: &mut Lcg) -> (String, PeeringInfo, Vec<Peering>) {
    let o = (n * 2) % 250;
    let info = PeeringInfo {
        aws_account_id: "847227832372".into(),
        aws_region: "eu-west-1".into(),
        vpc_id: format!("vpc-{n:08x}"),
        vpc_cidr: format!("10.{o}.0.0/16"),
        dyno_cidr_blocks: (0..4).map(|t| format!("10.{o}.{}.0/20", t * 16)).collect(),
        space_cidr_blocks: (0..4).map(|t| format!("10.{o}.{}.0/20", t * 16)).collect(),
        unavailable_cidr_blocks: vec![format!("10.{}.0.0/16", o + 1)],
    };
    let list = (0..peerings)
        .map(|i| {
            let len = 16 + rng.next() % 9;
            let base: u32 = if rng.next().is_multiple_of(4) {
                0xAC10_0000
            } else {
                0x0A00_0000
            };
            let span = if base == 0x0A00_0000 { 24 } else { 20 };
            let addr = base | (rng.next() & ((1 << span) - 1));
            let net = ipnet::Ipv4Net::new(addr.into(), len as u8).unwrap().trunc();
            Peering {
                kind: PeeringType::CustomerManaged,
                pcx_id: format!("pcx-{n:04x}{i:013x}"),
                cidr_blocks: vec![net.to_string()],
                cidr_block: None,
                status: if i.is_multiple_of(3) {
                    PeeringStatus::PendingAcceptance
                } else {
                    PeeringStatus::Active
                },
                aws_vpc_id: Some(format!("vpc-peer{:04}", rng.next() % 40)),
                aws_region: Some("eu-west-1".into()),
                aws_account_id: Some(format!("1234567890{:02}", rng.next() % 30)),
                expires: None,
            }
        })
        .collect();
    (format!("space-{n}"), info, list)
}

/// The median of `runs` timings of `work`, in microseconds.
fn median_us(runs: usize, mut work: impl FnMut()) -> f64 {
    let mut t: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            work();
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[runs / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let peerings: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(50);
    let spaces: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(20);
    let mut rng = Lcg(7);
    let estate: Vec<_> = (0..spaces).map(|n| space(n, peerings, &mut rng)).collect();
    let (name, info, list) = &estate[0];
    let plan = Plan::of(name, info, list);
    println!(
        "one space: {} blocks, {} overlaps; {spaces} spaces of {peerings} peerings each",
        plan.blocks.len(),
        plan.clashes.len()
    );
    let taken = plan.taken();
    let rows = [
        (
            "plan of one space",
            median_us(2000, || {
                std::hint::black_box(Plan::of(name, info, list));
            }),
        ),
        (
            "free /20 in one space",
            median_us(2000, || {
                std::hint::black_box(free_blocks(20, None, &taken, 5).unwrap());
            }),
        ),
        (
            "free /28 in one space",
            median_us(2000, || {
                std::hint::black_box(free_blocks(28, None, &taken, 5).unwrap());
            }),
        ),
    ];
    for (what, us) in rows {
        println!("{what:<40} median {us:>9.1} µs");
    }
    let plans: Vec<Plan> = estate.iter().map(|(n, i, l)| Plan::of(n, i, l)).collect();
    let by_space: BTreeMap<&str, &[Peering]> = estate
        .iter()
        .map(|(n, _, l)| (n.as_str(), l.as_slice()))
        .collect();
    let all: Vec<_> = plans.iter().flat_map(|p| p.taken()).collect();
    let rows = [
        (
            "plans of all spaces + shared peers",
            median_us(200, || {
                let plans: Vec<Plan> = estate.iter().map(|(n, i, l)| Plan::of(n, i, l)).collect();
                std::hint::black_box(shared_peers(&plans, &by_space));
            }),
        ),
        (
            "free /20 across all spaces",
            median_us(200, || {
                std::hint::black_box(free_blocks(20, None, &all, 5).unwrap());
            }),
        ),
        (
            "free /28 across all spaces",
            median_us(200, || {
                std::hint::black_box(free_blocks(28, None, &all, 5).unwrap());
            }),
        ),
    ];
    for (what, us) in rows {
        println!("{what:<40} median {us:>9.1} µs");
    }
}
