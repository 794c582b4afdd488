//! The provider's contract (`PROVIDER_API.md`) as golden answers, in
//! `fixtures/provider/`, read by both sides: the console's client decodes
//! each one to the values it shows, the simulator's own types read each
//! one back byte for byte, and the running simulator answers in the same
//! shape. Neither side borrows the other's types, so a mistake in one
//! shows up against the fixtures instead of being mirrored.

use crate::common::{API_VERSION, SPACE, Sim, TOKEN};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/provider/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A fixture read by one side's type and written back: nothing lost,
/// nothing added.
fn round_trips<T: DeserializeOwned + Serialize>(name: &str) {
    let text = fixture(name);
    let read: T = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let want: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(serde_json::to_value(&read).unwrap(), want, "{name}");
}

/// The object keys of `v` at every depth (arrays by their first element):
/// what a shape is, without the values.
fn shape(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), shape(v))).collect()),
        Value::Array(items) => Value::Array(items.first().map(shape).into_iter().collect()),
        // A null may stand for any value (the Data API sends some).
        _ => Value::Null,
    }
}

#[test]
fn the_client_reads_every_golden_answer() {
    use domain::model::{PeeringStatus, PeeringType, PrivateLinkStatus};
    use server::provider::wire::{Addon, App, ProviderErrorBody, Space};

    let info: domain::model::PeeringInfo = serde_json::from_str(&fixture("peering_info")).unwrap();
    assert_eq!(info.vpc_cidr, "10.0.0.0/16");
    assert_eq!(info.unavailable_cidr_blocks, ["10.1.0.0/16"]);

    let p: domain::model::Peering = serde_json::from_str(&fixture("peering")).unwrap();
    assert_eq!(p.kind, PeeringType::CustomerManaged);
    assert_eq!(p.status, PeeringStatus::PendingAcceptance);
    assert_eq!(p.all_cidrs(), ["10.100.0.0/16"]);
    assert_eq!(p.expires.as_deref(), Some("2026-11-29T12:00:00Z"));

    let l: domain::model::PrivateLink = serde_json::from_str(&fixture("privatelink")).unwrap();
    assert_eq!(l.status, PrivateLinkStatus::Operational);
    assert_eq!(l.addon.name, "redis-sushi-12345");
    assert_eq!(l.allowed_accounts[0].status, "Active");
    assert_eq!(l.connections[0].endpoint_id, "vpce-01c87ae3c05563935");

    let s: Space = serde_json::from_str(&fixture("space")).unwrap();
    assert_eq!(
        (s.name.as_str(), s.region.name.as_str()),
        (SPACE, "virginia")
    );
    let a: App = serde_json::from_str(&fixture("app")).unwrap();
    assert_eq!(a.space.unwrap().name, SPACE);
    let addon: Addon = serde_json::from_str(&fixture("addon")).unwrap();
    let service = addon.data_service().expect("a data service");
    assert_eq!(addon.attachment(service), "REDIS");
    assert!(server::provider::wire::plan_allows_privatelink(
        &addon.plan.name
    ));
    assert_eq!(
        server::provider::wire::endpoint_config_var("REDIS", &l.connections[0].endpoint_id),
        "REDIS_ENDPOINT_01C87AE3C05563935_URL",
        "the contract's own example"
    );
    let e: ProviderErrorBody = serde_json::from_str(&fixture("error")).unwrap();
    assert_eq!(e.id, "not_found");
}

#[test]
fn the_simulator_writes_every_golden_answer_back_unchanged() {
    use server::sim::wire;
    round_trips::<wire::PeeringInfo>("peering_info");
    round_trips::<wire::Peering>("peering");
    round_trips::<wire::PrivateLink>("privatelink");
    round_trips::<wire::Space>("space");
    round_trips::<wire::App>("app");
    round_trips::<wire::Addon>("addon");
    round_trips::<wire::ErrorBody>("error");
}

#[tokio::test]
async fn the_running_simulator_answers_in_the_golden_shapes() {
    let sim = Sim::start(600.0).await;
    let http = reqwest::Client::new();
    let get = |url: String, data: bool| {
        let request = http.get(url).header("Accept", API_VERSION);
        let request = if data {
            request.basic_auth("", Some(TOKEN))
        } else {
            request.bearer_auth(TOKEN)
        };
        async move {
            let answer = request.send().await.unwrap();
            answer.json::<Value>().await.unwrap()
        }
    };
    let first = |v: Value| v.as_array().and_then(|a| a.first().cloned()).unwrap();
    let platform = &sim.url;
    let answers = [
        (
            "peering_info",
            get(format!("{platform}/spaces/{SPACE}/peering-info"), false).await,
        ),
        (
            "peering",
            get(
                format!("{platform}/spaces/{SPACE}/peerings/pcx-111aaa111"),
                false,
            )
            .await,
        ),
        (
            "space",
            first(get(format!("{platform}/spaces"), false).await),
        ),
        (
            "app",
            // One in a space, as the fixture is.
            get(format!("{platform}/apps"), false)
                .await
                .as_array()
                .unwrap()
                .iter()
                .find(|a| !a["space"].is_null())
                .cloned()
                .unwrap(),
        ),
        (
            "privatelink",
            get(
                format!(
                    "{}/private-link/v0/databases/redis-sushi-12345",
                    sim.data_url
                ),
                true,
            )
            .await,
        ),
        (
            "error",
            get(format!("{platform}/spaces/no-such-space"), false).await,
        ),
    ];
    let app = answers[3].1["name"].as_str().unwrap().to_string();
    let addon = first(get(format!("{platform}/apps/{app}/addons"), false).await);
    for (name, answer) in answers.iter().chain([&("addon", addon)]) {
        let want: Value = serde_json::from_str(&fixture(name)).unwrap();
        assert_eq!(shape(answer), shape(&want), "{name}: {answer}");
    }
}
