//! What the console hands to other tools, end to end: a space's
//! Terraform, written by `spaceport export` with a token against a running
//! console on the simulated provider, read back by an independent HCL
//! parser (python-hcl2) and held to the simulator's peerings; the
//! peerings inventory as CSV and JSON downloads; and the estate's plans.

use crate::common::{Console, browser, spaceport_token};
use domain::model::PeeringStatus;
use domain::views::{InventoryRow, Overview, SpaceView};
use serde_json::Value;
use std::collections::BTreeSet;
use std::process::Command;

const TOKYO: &str = "acme-prod-tokyo";

/// A viewer's token, made on the command line.
fn viewer_token(c: &Console) -> String {
    let (code, out) = spaceport_token(
        &c.db,
        &[
            "create",
            "ci-export",
            "--role",
            "viewer",
            "--expires",
            "30d",
        ],
    );
    assert_eq!(code, Some(0), "{out}");
    out.split_whitespace()
        .find(|w| w.starts_with("spt_"))
        .unwrap_or_else(|| panic!("no token printed: {out}"))
        .to_string()
}

/// Runs `spaceport export ARGS --console BASE` with `token` in the
/// environment: its exit status, standard output and standard error.
/// Awaited, so the console on this test's runtime can answer it.
async fn export(c: &Console, token: Option<&str>, args: &[&str]) -> (Option<i32>, String, String) {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_spaceport"));
    cmd.arg("export").args(args).args(["--console", &c.base]);
    cmd.env_remove("SPACEPORT_TOKEN");
    if let Some(t) = token {
        cmd.env("SPACEPORT_TOKEN", t);
    }
    let out = cmd.output().await.unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// The Python with python-hcl2 that the test command installs.
fn hcl2_python() -> std::path::PathBuf {
    let python = std::env::var_os("SPACEPORT_TEST_HCL2_PYTHON")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../.tools/hcl2/bin/python")
        });
    assert!(
        python.exists(),
        "python-hcl2 is missing: `bash scripts/ensure-tools.sh e2e` installs it into .tools/hcl2"
    );
    python
}

/// `hcl` as python-hcl2 reads it, as JSON.
fn parse_hcl(hcl: &str) -> Value {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), hcl).unwrap();
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hcl2_json.py");
    let out = Command::new(hcl2_python())
        .arg(script)
        .arg(file.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python-hcl2 refused it: {}\n{hcl}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Every `KIND "NAME" { ... }` block of `kind` (a resource type or data
/// source) in python-hcl2's JSON, by name.
fn blocks<'a>(parsed: &'a Value, section: &str, kind: &str) -> Vec<(&'a String, &'a Value)> {
    parsed[section]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|b| b.get(kind).and_then(Value::as_object))
                .flat_map(|named| named.iter())
                .collect()
        })
        .unwrap_or_default()
}

/// The template's lines uncommented: what a team gets by removing the `# `.
fn uncommented_template(hcl: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in hcl.lines() {
        if line.starts_with("# The AWS side") {
            inside = true;
            continue;
        }
        if inside && line.starts_with('#') {
            out.push_str(line.strip_prefix("# ").unwrap_or(&line[1..]));
            out.push('\n');
        } else {
            inside = false;
        }
    }
    out
}

#[tokio::test]
async fn the_terraform_parses_elsewhere_and_holds_the_simulators_peerings() {
    let c = Console::start().await;
    let token = viewer_token(&c);
    let view: SpaceView = c.read("space", &[("space", TOKYO)]).await;
    let (code, hcl, err) = export(&c, Some(&token), &["terraform", "--space", TOKYO]).await;
    assert_eq!(code, Some(0), "{err}");

    // The customer's peerings that are live or about to be, as the
    // simulator has them; the provider's own and the finished are left out.
    let live: BTreeSet<String> = view
        .peerings
        .iter()
        .filter(|p| !p.kind.is_provider_managed())
        .filter(|p| {
            matches!(
                p.status,
                PeeringStatus::Active
                    | PeeringStatus::Provisioning
                    | PeeringStatus::PendingAcceptance
            )
        })
        .map(|p| p.pcx_id.clone())
        .collect();
    assert_eq!(live.len(), 4, "{view:?}");

    let parsed = parse_hcl(&hcl);
    let info = blocks(&parsed, "data", "heroku_space_peering_info");
    assert_eq!(info.len(), 1, "{parsed}");
    assert_eq!(info[0].1["name"], TOKYO);
    let accepters = blocks(
        &parsed,
        "resource",
        "heroku_space_peering_connection_accepter",
    );
    let ids: BTreeSet<String> = accepters
        .iter()
        .map(|(_, a)| {
            assert_eq!(a["space"], TOKYO, "{a}");
            a["vpc_peering_connection_id"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(ids, live);
    // One import per accepter, to it, by the peering's ID.
    let imports = parsed["import"].as_array().unwrap();
    assert_eq!(imports.len(), live.len());
    for (name, a) in &accepters {
        let id = a["vpc_peering_connection_id"].as_str().unwrap();
        assert!(
            imports.iter().any(|i| i["id"] == id
                && i["to"] == format!("${{heroku_space_peering_connection_accepter.{name}}}")),
            "no import of {name}: {imports:?}"
        );
    }
    // Nothing of the AWS side is live: it is a template, in comments.
    assert!(blocks(&parsed, "resource", "aws_route").is_empty());

    // Uncommented, the template parses too: a requester's connection per
    // peering, from the peer's VPC, and a route to each space CIDR.
    let template = parse_hcl(&uncommented_template(&hcl));
    let connections = blocks(&template, "resource", "aws_vpc_peering_connection");
    let vpcs: BTreeSet<String> = connections
        .iter()
        .map(|(_, c)| c["vpc_id"].as_str().unwrap().to_string())
        .collect();
    let peer_vpcs: BTreeSet<String> = view
        .peerings
        .iter()
        .filter(|p| live.contains(&p.pcx_id))
        .filter_map(|p| p.aws_vpc_id.clone())
        .collect();
    assert_eq!(vpcs, peer_vpcs);
    assert!(connections.iter().all(
        |(_, c)| c["peer_vpc_id"] == "${data.heroku_space_peering_info.acme-prod-tokyo.vpc_id}"
    ));
    let routes = blocks(&template, "resource", "aws_route");
    assert_eq!(routes.len(), live.len() * view.info.space_cidr_blocks.len());
    let destinations: BTreeSet<String> = routes
        .iter()
        .map(|(_, r)| r["destination_cidr_block"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        destinations,
        view.info.space_cidr_blocks.iter().cloned().collect()
    );

    // The page's download is the same text.
    let admin = c.http.clone();
    let res = admin
        .get(format!("{}/export/terraform/{TOKYO}.tf", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()[reqwest::header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains(&format!("{TOKYO}.tf"))
    );
    assert_eq!(res.text().await.unwrap(), hcl);
}

#[tokio::test]
async fn the_export_command_says_what_is_wrong_and_writes_nothing() {
    let c = Console::start().await;
    let (code, out, err) = export(&c, None, &["terraform", "--space", TOKYO]).await;
    assert_ne!(code, Some(0));
    assert!(out.is_empty() && err.contains("SPACEPORT_TOKEN"), "{err}");
    let forged = "spt_000000000000000000000000000000000000";
    let (code, out, err) = export(&c, Some(forged), &["peerings"]).await;
    assert_ne!(code, Some(0));
    assert!(
        out.is_empty() && err.contains("the console refused"),
        "{err}"
    );
    let token = viewer_token(&c);
    let (code, out, err) =
        export(&c, Some(&token), &["terraform", "--space", "no-such-space"]).await;
    assert_ne!(code, Some(0));
    assert!(out.is_empty() && err.contains("no-such-space"), "{err}");
    let (code, _, err) = export(&c, Some(&token), &["terraform"]).await;
    assert_eq!(code, Some(2), "{err}");
    // On the command line the token would show in the process list.
    let (code, _, err) = export(&c, None, &["peerings", "--token", &token]).await;
    assert_eq!(code, Some(2));
    assert!(err.contains("SPACEPORT_TOKEN"), "{err}");
}

#[tokio::test]
async fn the_inventory_lists_every_spaces_peerings_as_csv_and_json() {
    let c = Console::start().await;
    let overview: Overview = c.read("overview", &[]).await;
    let mut expected = 0;
    for s in &overview.spaces {
        let view: SpaceView = c.read("space", &[("space", s.name.as_str())]).await;
        expected += view.peerings.len();
    }
    let viewer = c.as_role(domain::access::Role::Viewer).await;
    let json = crate::common::get_text(&viewer, &format!("{}/export/peerings.json", c.base)).await;
    let json: Vec<InventoryRow> = serde_json::from_str(&json).unwrap();
    assert_eq!(json.len(), expected);
    let spaces: BTreeSet<&str> = json.iter().map(|r| r.space.as_str()).collect();
    assert_eq!(spaces.len(), overview.spaces.len());
    let tokyo_pending = json
        .iter()
        .find(|r| r.pcx_id == "pcx-0d4e5f60718293a41")
        .unwrap();
    assert_eq!(tokyo_pending.expectation.as_deref(), Some("unexpected"));
    assert!(tokyo_pending.expires.is_some());

    let res = viewer
        .get(format!("{}/export/peerings.csv", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()[reqwest::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = res.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(reader.records().count(), expected);
    // The command line writes the same rows.
    let token = viewer_token(&c);
    let (code, out, err) = export(&c, Some(&token), &["peerings", "--format", "csv"]).await;
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out, csv);

    // Nobody signed in gets the sign-in page, not the rows.
    let res = browser()
        .get(format!("{}/export/peerings.csv", c.base))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    assert!(
        res.headers()[reqwest::header::LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/signin")
    );
    // A file that is no space's says so, plainly.
    for (file, status) in [
        ("no-such-space.tf", 404),
        ("Bad%20Space.tf", 400),
        ("x.txt", 404),
    ] {
        let res = viewer
            .get(format!("{}/export/terraform/{file}", c.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), status, "{file}");
    }
}

#[tokio::test]
async fn the_overview_draws_every_space_and_names_the_shared_peers() {
    let c = Console::start().await;
    let overview: Overview = c.read("overview", &[]).await;
    assert_eq!(overview.plans.len(), overview.spaces.len());
    let eu = overview
        .plans
        .iter()
        .find(|p| p.space == "data-platform-eu")
        .unwrap();
    assert_eq!(eu.clashes.len(), 1, "{eu:?}");
    assert_eq!(eu.clashes[0].overlap.to_string(), "172.17.8.0/24");
    assert!(
        overview
            .plans
            .iter()
            .filter(|p| p.space != "data-platform-eu")
            .all(|p| p.clashes.is_empty()),
        "{:?}",
        overview.plans
    );
    // One account is peered with three of the demo's spaces.
    let shared = overview
        .shared
        .iter()
        .find(|s| s.aws_account_id == "123456789012" && s.vpc_id.is_none())
        .unwrap();
    assert!(shared.spaces.len() >= 2, "{shared:?}");
    assert!(shared.clashes.is_empty());
    let page = crate::common::get_text(&c.http, &format!("{}/", c.base)).await;
    assert_eq!(
        page.matches("class=\"plan-picture\"").count(),
        overview.plans.len()
    );
    assert!(page.contains("data-overlap=\"172.17.8.0/24\""));
}
