//! The address plan, drawn: the private ranges as bands, the space's
//! blocks and each peer's blocks as lanes in them, overlaps in red, named
//! on hover and in the table beside the picture. Rendered on the server
//! as SVG (no chart library reaches the browser) and read again with the
//! page, and each drawing is rendered once per plan. The free-block
//! finder beside it is an island: it runs the domain's finder (the
//! function the server's tests hold to its properties) in the browser.

use crate::components::Copyable;
use domain::plan::{Block, Plan, Suggestion, free_blocks, parse_request, rfc1918};
use ipnet::Ipv4Net;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The picture's width in SVG units; it scales to its box.
const WIDTH: f64 = 720.0;
/// Where the lanes start, after their labels.
const LANES_X: f64 = 170.0;
const LANE_H: f64 = 14.0;
const LANE_GAP: f64 = 4.0;
const BAND_HEAD: f64 = 18.0;
const BAND_FOOT: f64 = 16.0;
/// The narrowest a block is drawn, so a /28 in a /8 still shows.
const MIN_W: f64 = 3.0;

/// A space's address plan: what overlaps, the picture, the table, and
/// the finder.
#[component]
pub fn AddressPlan(plan: Plan) -> impl IntoView {
    view! {
        <section class="panel address-plan" id="address-plan" inner_html=drawn(Drawing::Whole, plan) />
    }
}

/// A plan's picture alone, for the overview.
#[component]
pub fn PlanCard(plan: Plan) -> impl IntoView {
    view! { <div class="plan-drawn" inner_html=drawn(Drawing::Picture, plan) /> }
}

/// What of a plan is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Drawing {
    /// The heading, the summary, the picture, the table, the legend and
    /// the finder (an island, which hydrates from this HTML as from any
    /// other).
    Whole,
    Picture,
}

/// The HTML of a drawing of `plan`. A plan changes only when a space's
/// peerings or blocks do, while its page is read every few seconds by
/// everyone who has it open: the server renders each drawing once and
/// keeps the HTML (BENCHMARKS.md: rendered every time, the drawing made
/// the space page's p50 a third slower).
fn drawn(what: Drawing, plan: Plan) -> std::sync::Arc<str> {
    #[cfg(feature = "ssr")]
    {
        use std::collections::HashMap;
        use std::sync::{LazyLock, Mutex};
        type Drawn = HashMap<(Drawing, Plan), std::sync::Arc<str>>;
        /// Enough for every space's plans in a large estate; emptied when
        /// full, so plans long gone do not stay.
        const KEPT: usize = 1024;
        static DRAWN: LazyLock<Mutex<Drawn>> = LazyLock::new(Default::default);
        let key = (what, plan);
        if let Some(html) = DRAWN.lock().ok().and_then(|d| d.get(&key).cloned()) {
            return html;
        }
        let html: std::sync::Arc<str> = render(what, key.1.clone()).into();
        if let Ok(mut d) = DRAWN.lock() {
            if d.len() >= KEPT {
                d.clear();
            }
            d.insert(key, html.clone());
        }
        html
    }
    #[cfg(not(feature = "ssr"))]
    render(what, plan).into()
}

fn render(what: Drawing, plan: Plan) -> String {
    match what {
        Drawing::Picture => view! { <PlanPicture plan /> }.to_html(),
        Drawing::Whole => view! { <Whole plan /> }.to_html(),
    }
}

#[component]
fn Whole(plan: Plan) -> impl IntoView {
    let summary = match plan.clashes.len() {
        0 => view! { <p class="plan-summary ok">"No overlaps: every peer's blocks are clear of the space and of each other."</p> }.into_any(),
        n => view! {
            <p class="plan-summary clash" role="alert">
                {format!("{n} overlap{}: ", if n == 1 { "" } else { "s" })}
                {plan
                    .clashes
                    .iter()
                    .map(|c| clash_words(&plan.blocks[c.a], &plan.blocks[c.b], c.overlap))
                    .collect::<Vec<_>>()
                    .join("; ")}
            </p>
        }
        .into_any(),
    };
    let unreadable = (!plan.unreadable.is_empty()).then(|| {
        view! {
            <p class="error">
                {format!("Not drawn, not CIDR blocks: {}.", plan.unreadable.join(", "))}
            </p>
        }
    });
    let taken = Taken::of(&plan);
    view! {
        <h2>"Address plan"</h2>
        <div class="plan-drawn">
            {summary}
            {unreadable}
            <div class="plan-layout">
                <PlanPicture plan=plan.clone() />
                <PlanTable plan />
            </div>
            <Legend />
        </div>
        <FreeBlockFinder spaces=vec![taken] />
    }
}

/// "B (its holder) overlaps A (its holder)": the later block, a peer's,
/// first.
fn clash_words(a: &Block, b: &Block, overlap: Ipv4Net) -> String {
    let both = if overlap == a.net || overlap == b.net {
        String::new()
    } else {
        format!(" in {overlap}")
    };
    format!(
        "{} ({}) overlaps {} ({}){both}",
        b.net,
        b.holder.describe(),
        a.net,
        a.holder.describe()
    )
}

#[component]
fn Legend() -> impl IntoView {
    let items = [
        ("plan-vpc", "the space's VPC"),
        ("plan-space", "space and dyno CIDRs"),
        ("plan-unavailable", "unavailable, reserved"),
        ("plan-managed", "provider-managed peering"),
        ("plan-peering status-active", "active peer"),
        ("plan-peering status-pending-acceptance", "pending peer"),
        ("plan-peering status-provisioning", "changing"),
        ("plan-clash", "overlap"),
    ];
    view! {
        <p class="plan-legend">
            {items
                .into_iter()
                .map(|(class, words)| {
                    view! {
                        <span class="legend-item">
                            <svg width="12" height="12" aria-hidden="true">
                                <rect class=class width="12" height="12" />
                            </svg>
                            {words}
                        </span>
                    }
                })
                .collect_view()}
            <span class="muted">
                " Between the edges of blocks, the scale shortens long gaps, so that every block can be seen."
            </span>
        </p>
    }
}

/// The table beside the picture: every block, who holds it, and what it
/// overlaps. The picture's words, for screen readers and for copying.
#[component]
fn PlanTable(plan: Plan) -> impl IntoView {
    let rows = plan
        .blocks
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let against: Vec<String> = plan
                .clashing_with(i)
                .map(|o| format!("{} ({})", o.net, o.holder.describe()))
                .collect();
            let clashing = !against.is_empty();
            view! {
                <tr class=clashing.then_some("clash") data-block=b.net.to_string()>
                    <td><code>{b.net.to_string()}</code></td>
                    <td>{b.holder.describe()}</td>
                    <td>{if clashing { against.join(", ") } else { "—".to_string() }}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="plan-table">
            <caption>"Blocks of the plan"</caption>
            <thead>
                <tr>
                    <th>"Block"</th>
                    <th>"Held by"</th>
                    <th>"Overlaps"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

/// One lane of a band: a label and the blocks drawn in it.
struct Lane {
    label: String,
    blocks: Vec<usize>,
}

/// A private range with the lanes of the blocks inside it: the space's
/// side first, then one lane per peer.
fn lanes(plan: &Plan, range: Ipv4Net) -> Vec<Lane> {
    let mut out = vec![Lane {
        label: "space".into(),
        blocks: Vec::new(),
    }];
    for (i, b) in plan.blocks.iter().enumerate() {
        if !domain::validate::overlaps(&b.net, &range) {
            continue;
        }
        match b.holder.peer() {
            None => out[0].blocks.push(i),
            Some(pcx_id) => match out.iter_mut().find(|l| l.label == pcx_id) {
                Some(lane) => lane.blocks.push(i),
                None => out.push(Lane {
                    label: pcx_id.to_string(),
                    blocks: vec![i],
                }),
            },
        }
    }
    out
}

/// Where addresses fall across a band: the edges of the blocks in it are
/// the stops, and each stretch between two stops is as wide as one plus
/// the log of its size, so a /28 and the /9 beside it both show.
struct Scale {
    stops: Vec<(u64, f64)>,
}

impl Scale {
    fn new(range: Ipv4Net, nets: impl Iterator<Item = Ipv4Net>, from: f64, to: f64) -> Self {
        let start = u64::from(u32::from(range.network()));
        let end = u64::from(u32::from(range.broadcast())) + 1;
        let mut edges = vec![start, end];
        for n in nets {
            let a = u64::from(u32::from(n.network())).clamp(start, end);
            let b = (u64::from(u32::from(n.broadcast())) + 1).clamp(start, end);
            edges.extend([a, b]);
        }
        edges.sort_unstable();
        edges.dedup();
        let weights: Vec<f64> = edges
            .windows(2)
            .map(|w| 1.0 + ((w[1] - w[0]) as f64).log2())
            .collect();
        let total: f64 = weights.iter().sum();
        let mut x = from;
        let mut stops = vec![(edges[0], x)];
        for (w, edge) in weights.iter().zip(&edges[1..]) {
            x += (to - from) * w / total;
            stops.push((*edge, x));
        }
        Self { stops }
    }

    /// The x of an address that is one of the stops (or the nearest below).
    fn x(&self, addr: u64) -> f64 {
        match self.stops.binary_search_by_key(&addr, |s| s.0) {
            Ok(i) => self.stops[i].1,
            Err(i) => self.stops[i.saturating_sub(1)].1,
        }
    }

    /// The span of a block, clamped to the band, to a tenth of a unit (a
    /// tenth of a pixel or less: finer only made the page longer).
    fn span(&self, net: Ipv4Net) -> (f64, f64) {
        let (x, w) = self.exact_span(net);
        let tenth = |v: f64| (v * 10.0).round() / 10.0;
        (tenth(x), tenth(w))
    }

    fn exact_span(&self, net: Ipv4Net) -> (f64, f64) {
        let a = self.x(u64::from(u32::from(net.network())));
        let b = self.x(u64::from(u32::from(net.broadcast())) + 1);
        let lo = self.stops[0].1;
        let hi = self.stops[self.stops.len() - 1].1;
        let (a, b) = (a.max(lo), b.min(hi));
        if b - a >= MIN_W {
            (a, b - a)
        } else {
            ((a - (MIN_W - (b - a)) / 2.0).max(lo), MIN_W)
        }
    }
}

/// The picture: one band per private range.
#[component]
fn PlanPicture(plan: Plan) -> impl IntoView {
    let mut y = 0.0;
    let bands = rfc1918()
        .into_iter()
        .map(|range| {
            let lanes = lanes(&plan, range);
            let top = y;
            let height = BAND_HEAD + lanes.len() as f64 * (LANE_H + LANE_GAP) + BAND_FOOT;
            y += height + 6.0;
            band(&plan, range, lanes, top)
        })
        .collect_view();
    let title = format!("Address plan of {}", plan.space);
    let label = title.clone();
    view! {
        <svg
            class="plan-picture"
            viewBox=format!("0 0 {WIDTH} {y}")
            role="img"
            aria-label=label
            data-clashes=plan.clashes.len()
        >
            <title>{title}</title>
            {bands}
        </svg>
    }
}

fn band(plan: &Plan, range: Ipv4Net, lanes: Vec<Lane>, top: f64) -> impl IntoView + use<> {
    let nets = lanes
        .iter()
        .flat_map(|l| l.blocks.iter().map(|i| plan.blocks[*i].net))
        .collect::<Vec<_>>();
    let scale = Scale::new(range, nets.iter().copied(), LANES_X, WIDTH - 4.0);
    let lanes_top = top + BAND_HEAD;
    let lanes_h = lanes.len() as f64 * (LANE_H + LANE_GAP);
    let empty = nets.is_empty();
    let lane_views = lanes
        .iter()
        .enumerate()
        .map(|(n, lane)| {
            let ly = lanes_top + n as f64 * (LANE_H + LANE_GAP);
            // The widest first, so what nests inside it is drawn on top.
            let mut order = lane.blocks.clone();
            order.sort_by_key(|i| plan.blocks[*i].net.prefix_len());
            let rects = order
                .into_iter()
                .map(|i| {
                    let b = &plan.blocks[i];
                    let (x, w) = scale.span(b.net);
                    let class = if plan.is_clashing(i) {
                        format!("{} clashing", b.holder.class())
                    } else {
                        b.holder.class()
                    };
                    view! {
                        <rect class=class x=x y=ly width=w height=LANE_H data-block=b.net.to_string()>
                            <title>{format!("{}: {}", b.net, b.holder.describe())}</title>
                        </rect>
                    }
                })
                .collect_view();
            view! {
                <text class="lane-label" x="4" y=ly + LANE_H - 3.0>{lane.label.clone()}</text>
                <rect class="lane" x=LANES_X y=ly width=WIDTH - 4.0 - LANES_X height=LANE_H />
                {rects}
            }
        })
        .collect_view();
    let clashes = plan
        .clashes
        .iter()
        .filter(|c| range.contains(&c.overlap))
        .map(|c| {
            let (x, w) = scale.span(c.overlap);
            let words = clash_words(&plan.blocks[c.a], &plan.blocks[c.b], c.overlap);
            view! {
                <rect class="plan-clash" x=x y=lanes_top - 2.0 width=w height=lanes_h + 2.0 data-overlap=c.overlap.to_string()>
                    <title>{words}</title>
                </rect>
            }
        })
        .collect_view();
    let foot = lanes_top + lanes_h + 10.0;
    view! {
        <g class="band" data-range=range.to_string()>
            <text class="band-label" x="4" y=top + 13.0>
                {if empty { format!("{range}: all free") } else { range.to_string() }}
            </text>
            {lane_views}
            {clashes}
            <text class="axis" x=LANES_X y=foot>{range.network().to_string()}</text>
            <text class="axis end" x=WIDTH - 4.0 y=foot>{range.broadcast().to_string()}</text>
        </g>
    }
}

/// What one space holds, for the finder: its name and every block a new
/// peer must stay out of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Taken {
    pub space: String,
    pub blocks: Vec<Ipv4Net>,
}

impl Taken {
    pub fn of(plan: &Plan) -> Self {
        Self {
            space: plan.space.clone(),
            blocks: plan.taken(),
        }
    }
}

/// How many free blocks the finder lists.
const SUGGESTIONS: usize = 5;

/// "Which /20 is still free?": the prefix length, an optional parent range
/// and, given several spaces, which of them the new VPC will peer with.
/// An island: it runs in the browser, with the domain's own finder.
#[island]
pub fn FreeBlockFinder(spaces: Vec<Taken>) -> impl IntoView {
    let prefix = RwSignal::new("20".to_string());
    let within = RwSignal::new(String::new());
    let chosen = RwSignal::new(vec![true; spaces.len()]);
    let several = spaces.len() > 1;
    let names: Vec<String> = spaces.iter().map(|s| s.space.clone()).collect();
    // Answered in the browser only: the page is read again every few
    // seconds by everyone who has it open, and rendering the answer on
    // the server for each read made the space page slower (BENCHMARKS.md).
    // Effects run in the browser alone, once the island is hydrated.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let answer = move || -> Result<Vec<Suggestion>, String> {
        let (p, w) = parse_request(&prefix.get(), &within.get())?;
        let picked = chosen.get();
        if !picked.iter().any(|c| *c) {
            return Err("Choose at least one space.".into());
        }
        let taken: Vec<Ipv4Net> = spaces
            .iter()
            .zip(&picked)
            .filter(|(_, c)| **c)
            .flat_map(|(s, _)| s.blocks.iter().copied())
            .collect();
        free_blocks(p, w, &taken, SUGGESTIONS).map_err(|e| e.to_string())
    };
    let choices = several.then(|| {
        view! {
            <fieldset class="finder-spaces">
                <legend>"Peers with"</legend>
                {names
                    .into_iter()
                    .enumerate()
                    .map(|(i, name)| {
                        view! {
                            <label>
                                <input
                                    type="checkbox"
                                    checked=true
                                    data-space=name.clone()
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        chosen.update(|c| c[i] = on);
                                    }
                                />
                                {format!(" {name} ")}
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
        }
    });
    view! {
        <div class="finder" data-own="">
            <h3>"Find a free block"</h3>
            <p class="hint">
                {if several {
                    "A block for a new VPC that will peer with the spaces chosen: it overlaps none of their blocks, their peers' or 172.17.0.0/16."
                } else {
                    "A block for a new VPC to peer with this space: it overlaps none of its blocks, its peers' or 172.17.0.0/16."
                }}
            </p>
            <div class="finder-fields">
                <label>
                    "Size "
                    <select
                        name="prefix"
                        on:change=move |ev| prefix.set(event_target_value(&ev))
                    >
                        {domain::plan::PREFIXES
                            .map(|p| {
                                view! {
                                    <option value=p.to_string() selected=p == 20>
                                        {format!("/{p}")}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
                <label>
                    " Inside "
                    <input
                        name="within"
                        placeholder="any private range, or e.g. 10.64.0.0/10"
                        autocomplete="off"
                        bind:value=within
                    />
                </label>
            </div>
            {choices}
            <div class="finder-answer" aria-live="polite">
                {move || match hydrated.get().then(&answer) {
                    None => view! { <p class="muted">"Working out the free blocks…"</p> }.into_any(),
                    Some(Err(e)) => view! { <p class="error">{e}</p> }.into_any(),
                    Some(Ok(found)) if found.is_empty() => {
                        view! { <p class="error">"No free block of that size is left there."</p> }.into_any()
                    }
                    Some(Ok(found)) => {
                        view! {
                            <ol class="suggestions">
                                {found
                                    .into_iter()
                                    .map(|s| {
                                        view! {
                                            <li data-suggestion=s.block.to_string()>
                                                <Copyable value=s.block.to_string() />
                                                <span class="muted">{format!(" in a free {}", s.room)}</span>
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ol>
                        }
                            .into_any()
                    }
                }}
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_keeps_every_block_visible_and_in_order() {
        let range: Ipv4Net = "10.0.0.0/8".parse().unwrap();
        let nets: Vec<Ipv4Net> = ["10.0.0.0/16", "10.0.0.0/28", "10.200.0.0/16"]
            .iter()
            .map(|n| n.parse().unwrap())
            .collect();
        let scale = Scale::new(range, nets.iter().copied(), 100.0, 700.0);
        let spans: Vec<(f64, f64)> = nets.iter().map(|n| scale.span(*n)).collect();
        assert!(spans.iter().all(|(_, w)| *w >= MIN_W), "{spans:?}");
        // A /28 gets less than the /16 around it, which gets less than the gap.
        assert!(spans[1].1 < spans[0].1);
        assert!(spans[0].0 + spans[0].1 <= spans[2].0);
        assert_eq!(scale.x(u64::from(u32::from(range.network()))), 100.0);
        assert!((scale.span(range).1 - 600.0).abs() < 1e-9);
    }
}
