//! The provider client against the simulated provider, over real HTTP:
//! paging, ETag revalidation, errors, both accept forms, and the rule that
//! a mutation whose answer is lost is read back, never retried.

use crate::common::{PCX, SPACE, Sim, TOKEN};
use domain::model::{PeeringStatus, PeeringType};
use reqwest::Method;
use serde_json::json;
use server::provider::{ProviderClient, ProviderConfig, ProviderError};
use std::time::Duration;

#[tokio::test]
async fn reads_spaces_info_and_peerings() {
    let sim = Sim::start(1.0).await;
    let c = sim.client();
    let spaces = c.list_spaces().await.unwrap().value;
    assert!(spaces.iter().any(|s| s.name == SPACE));
    let by_id = c.get_space(&spaces[0].id).await.unwrap().value;
    assert_eq!(by_id.name, spaces[0].name);
    let info = c.peering_info(SPACE).await.unwrap().value;
    assert_eq!(info.aws_account_id, "847227832372");
    assert_eq!(info.vpc_id, "vpc-e291cc85");
    assert_eq!(info.unavailable_cidr_blocks, vec!["10.1.0.0/16"]);
    let peerings = c.list_peerings(SPACE).await.unwrap();
    assert!(peerings.rate_limit_remaining.is_some());
    assert!(peerings.request_id.is_some());
    let pending = peerings.value.iter().find(|p| p.pcx_id == PCX).unwrap();
    assert_eq!(pending.status, PeeringStatus::PendingAcceptance);
    assert_eq!(pending.cidr_blocks, vec!["10.100.0.0/16"]);
    assert!(
        peerings
            .value
            .iter()
            .any(|p| p.kind == PeeringType::HerokuManaged)
    );
}

#[tokio::test]
async fn follows_next_range_across_pages() {
    let sim = Sim::start(1.0).await;
    let c = sim.client();
    let whole = c.list_peerings("acme-staging").await.unwrap().value;
    assert!(whole.len() >= 7, "seeded with every status");
    let r = sim
        .control(Method::PUT, "/settings", json!({"page_size": 2}))
        .await;
    assert_eq!(r.status(), 204);
    // A fresh client, so nothing comes from the ETag cache.
    let paged = sim.client().list_peerings("acme-staging").await.unwrap();
    assert_eq!(paged.value, whole);
    // The raw answer really is paged.
    let raw = reqwest::Client::new()
        .get(format!("{}/spaces/acme-staging/peerings", sim.url))
        .bearer_auth(TOKEN)
        .header("Accept", crate::common::API_VERSION)
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 206);
    assert!(
        raw.headers()["Next-Range"]
            .to_str()
            .unwrap()
            .contains("max=2")
    );
}

#[tokio::test]
async fn revalidates_with_etags() {
    let sim = Sim::start(1.0).await;
    let c = sim.client();
    let first = c.peering_info(SPACE).await.unwrap();
    assert_eq!(first.status, 200);
    let second = c.peering_info(SPACE).await.unwrap();
    assert_eq!(
        second.status, 304,
        "the second read is a 304 served from the ETag cache"
    );
    assert_eq!(first.value, second.value);
    // A change makes the old ETag stale.
    let before = c.list_peerings(SPACE).await.unwrap();
    c.accept_peering(SPACE, PCX).await.unwrap();
    let after = c.list_peerings(SPACE).await.unwrap();
    assert_eq!(after.status, 200);
    assert_ne!(before.value, after.value);
}

#[tokio::test]
async fn errors_carry_the_providers_id_and_message() {
    let sim = Sim::start(1.0).await;
    let c = sim.client();
    match c.get_peering(SPACE, "pcx-99999999").await {
        Err(ProviderError::Api {
            status: 404,
            id,
            request_id,
            ..
        }) => {
            assert_eq!(id, "not_found");
            assert!(request_id.is_some());
        }
        other => panic!("expected 404, got {other:?}"),
    }
    let bad = ProviderClient::new(ProviderConfig {
        api_url: sim.url.parse().unwrap(),
        data_api_url: sim.data_url.parse().unwrap(),
        token: "wrong".into(),
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(5),
    })
    .unwrap();
    assert!(
        matches!(bad.list_spaces().await, Err(ProviderError::Api { status: 401, id, .. }) if id == "unauthorized")
    );
    let managed = c
        .list_peerings(SPACE)
        .await
        .unwrap()
        .value
        .into_iter()
        .find(|p| p.kind.is_provider_managed())
        .unwrap();
    assert!(matches!(
        c.accept_peering(SPACE, &managed.pcx_id).await,
        Err(ProviderError::Api { status: 403, .. })
    ));
    c.accept_peering(SPACE, PCX).await.unwrap();
    match c.accept_peering(SPACE, PCX).await {
        Err(ProviderError::Api {
            status: 422,
            id,
            message,
            ..
        }) => {
            assert_eq!(id, "invalid_params");
            assert!(message.contains("provisioning"), "{message}");
        }
        other => panic!("expected 422, got {other:?}"),
    }
    sim.control(Method::PUT, "/faults", json!({"rate_limit_next": 1}))
        .await;
    match c.list_spaces().await {
        Err(e @ ProviderError::Api { status: 429, .. }) => assert!(e.is_transient()),
        other => panic!("expected 429, got {other:?}"),
    }
    // A dead address is "unreachable", never a panic.
    let gone = ProviderClient::new(ProviderConfig {
        api_url: "http://127.0.0.1:9".parse().unwrap(),
        data_api_url: "http://127.0.0.1:9".parse().unwrap(),
        token: TOKEN.into(),
        connect_timeout: Duration::from_secs(1),
        request_timeout: Duration::from_secs(2),
    })
    .unwrap();
    assert!(matches!(
        gone.list_spaces().await,
        Err(ProviderError::Unreachable(_))
    ));
}

#[tokio::test]
async fn a_lost_answer_is_read_back_not_retried() {
    let sim = Sim::start(1.0).await;
    let c = sim.client();
    // The provider accepts, then the answer is lost.
    sim.control(
        Method::PUT,
        "/faults",
        json!({"fail_after_next": 1, "fail_status": 502}),
    )
    .await;
    let m = c.accept_peering(SPACE, PCX).await.unwrap();
    assert!(m.lost_answer.as_deref().unwrap().contains("502"), "{m:?}");
    assert_eq!(m.value.status, PeeringStatus::Provisioning, "read back");
    // Had the client retried, the second accept would have met a 422; the
    // peering is provisioning exactly once and the fault is used up.
    let faults: serde_json::Value = sim
        .control(Method::GET, "/faults", json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(faults["fail_after_next"], 0);
    // A failure before anything happened is an error, read back or not.
    sim.control(Method::PUT, "/faults", json!({"fail_next": 1}))
        .await;
    let d = c.destroy_peering(SPACE, PCX).await.unwrap();
    assert!(d.lost_answer.is_some());
    assert_eq!(
        d.value.status,
        PeeringStatus::Provisioning,
        "nothing was destroyed"
    );
}

#[tokio::test]
async fn the_cli_accept_form_and_destroy() {
    let sim = Sim::start(1.0).await;
    let http = reqwest::Client::new();
    let res = http
        .post(format!("{}/spaces/{SPACE}/peerings", sim.url))
        .bearer_auth(TOKEN)
        .header("Accept", "application/vnd.heroku+json; version=3.dogwood")
        .json(&json!({"pcx_id": PCX}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let c = sim.client();
    assert_eq!(
        c.get_peering(SPACE, PCX).await.unwrap().value.status,
        PeeringStatus::Provisioning
    );
    let d = c.destroy_peering(SPACE, PCX).await.unwrap();
    assert_eq!(d.value.status, PeeringStatus::Deleting);
    assert_eq!(d.status, 202);
    // Without a body the CLI form is refused in the provider's shape.
    let res = http
        .post(format!("{}/spaces/{SPACE}/peerings", sim.url))
        .bearer_auth(TOKEN)
        .header("Accept", crate::common::API_VERSION)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["id"], "invalid_params");
}

#[tokio::test]
async fn a_request_from_the_aws_side_appears_and_provisions() {
    let sim = Sim::start(600.0).await;
    let r = sim
        .control(
            Method::POST,
            &format!("/spaces/{SPACE}/peering-requests"),
            json!({"aws_account_id": "210987654321", "vpc_id": "vpc-0fedcba987654321", "cidr_block": "10.200.0.0/16"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let pcx = r.json::<serde_json::Value>().await.unwrap()["pcx_id"]
        .as_str()
        .unwrap()
        .to_string();
    // 90 s of lag at 600x is 150 ms.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let c = sim.client();
    let p = c.get_peering(SPACE, &pcx).await.unwrap().value;
    assert_eq!(p.status, PeeringStatus::PendingAcceptance);
    assert!(p.expires.is_some());
    c.accept_peering(SPACE, &pcx).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        c.get_peering(SPACE, &pcx).await.unwrap().value.status,
        PeeringStatus::Active
    );
    // An overlapping request fails, as AWS does.
    let r = sim
        .control(
            Method::POST,
            &format!("/spaces/{SPACE}/peering-requests"),
            json!({"aws_account_id": "210987654321", "vpc_id": "vpc-0fedcba987654322", "cidr_block": "10.0.0.0/20", "immediate": true}),
        )
        .await;
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["status"],
        "failed"
    );
    // Bad input to the control surface is refused with a message.
    let r = sim
        .control(
            Method::POST,
            &format!("/spaces/{SPACE}/peering-requests"),
            json!({"aws_account_id": "1"}),
        )
        .await;
    assert_eq!(r.status(), 422);
}
