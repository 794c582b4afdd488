//! The Data API half of the client against the simulator over HTTP: Basic
//! authentication, every PrivateLink method, the lifecycle to 404 after
//! deprovisioning, and the Platform API reads around it.

use crate::common::{PG, REDIS, Sim, TOKEN};
use domain::model::PrivateLinkStatus;
use reqwest::Method;
use serde_json::json;
use server::provider::{AccountsChange, ProviderError};
use std::time::Duration;

const DEMO_APP: &str = "privatelink-vpc-endpoint-demo";

#[tokio::test]
async fn basic_auth_with_the_token_as_password() {
    let sim = Sim::start(1.0).await;
    let http = reqwest::Client::new();
    let url = format!("{}/private-link/v0/databases/{REDIS}", sim.data_url);
    let none = http.get(&url).send().await.unwrap();
    assert_eq!(none.status(), 401);
    let wrong = http
        .get(&url)
        .basic_auth("", Some("nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let ok = http
        .get(&url)
        .basic_auth("", Some(TOKEN))
        .header("Accept", crate::common::API_VERSION)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let body: serde_json::Value = ok.json().await.unwrap();
    assert_eq!(
        body["service_name"],
        "com.amazonaws.vpce.us-east-1.vpce-svc-0410a2e25933fe8ec"
    );
    assert_eq!(
        body["allowed_accounts"][0]["arn"],
        "arn:aws:iam::123456789101:user/abc.xyz"
    );
    assert_eq!(
        body["connections"][0]["endpoint_id"],
        "vpce-01c87ae3c05563935"
    );
}

#[tokio::test]
async fn apps_addons_resolve_and_config_vars() {
    let sim = Sim::start(1.0).await;
    let c = sim.client();
    let apps = c.list_apps().await.unwrap().value;
    let demo = apps.iter().find(|a| a.name == DEMO_APP).unwrap();
    assert_eq!(demo.space.as_ref().unwrap().name, "spaces-peering-example");
    assert!(
        apps.iter().any(|a| a.space.is_none()),
        "an app outside any space"
    );
    let addons = c.app_addons(DEMO_APP).await.unwrap().value;
    let services: Vec<_> = addons
        .iter()
        .map(|a| a.addon_service.name.as_str())
        .collect();
    assert_eq!(
        services,
        vec![
            "heroku-kafka",
            "heroku-postgresql",
            "heroku-redis",
            "heroku-redis"
        ]
    );
    let resolved = c.resolve_addon(REDIS, Some(DEMO_APP)).await.unwrap();
    assert_eq!(resolved.plan.name, "heroku-redis:private-7");
    assert!(matches!(
        c.resolve_addon(REDIS, Some("marketing-site")).await,
        Err(ProviderError::Api { status: 404, .. })
    ));
    let vars = c.config_vars(DEMO_APP).await.unwrap();
    // Secrets are never kept for revalidation: a second read is a full 200.
    assert_eq!(c.config_vars(DEMO_APP).await.unwrap().status, 200);
    let vars = vars.value;
    assert!(vars["REDIS_ENDPOINT_01C87AE3C05563935_URL"].starts_with("rediss://"));
    assert!(vars["REDIS_ENDPOINT_01C87AE3C05563935_URL"].ends_with(":6379"));
}

#[tokio::test]
async fn every_privatelink_method_through_its_lifecycle() {
    // At 600x: provisioning 750 ms; deprovisioning 200 ms, then Deprovisioned
    // for 500 ms, then 404. The waits leave wide margins on a busy machine.
    let sim = Sim::start(600.0).await;
    let c = sim.client();
    assert!(matches!(
        c.privatelink(PG).await,
        Err(ProviderError::Api { status: 404, .. })
    ));
    let created = c
        .create_privatelink(PG, &["123456789012:user/ops".into()])
        .await
        .unwrap();
    assert_eq!(created.status, 201);
    assert_eq!(created.value.status, PrivateLinkStatus::Provisioning);
    assert!(created.value.service_name.is_empty());
    assert!(created.request_id.is_some());
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let l = c.privatelink(PG).await.unwrap().value;
    assert_eq!(l.status, PrivateLinkStatus::Operational);
    assert!(
        l.service_name
            .starts_with("com.amazonaws.vpce.us-east-1.vpce-svc-")
    );

    let added = c
        .change_allowed_accounts(
            PG,
            AccountsChange::Add,
            &[
                "210987654321:role/ci".into(),
                "123456789012:user/ops".into(),
            ],
        )
        .await
        .unwrap();
    assert_eq!(added.status, 202);
    assert_eq!(
        added.value.allowed_accounts.len(),
        2,
        "the account already allowed is a no-op"
    );
    let removed = c
        .change_allowed_accounts(PG, AccountsChange::Remove, &["210987654321:role/ci".into()])
        .await
        .unwrap();
    assert_eq!(removed.value.allowed_accounts.len(), 1);
    match c
        .change_allowed_accounts(PG, AccountsChange::Add, &["123456789012:user/a/b".into()])
        .await
    {
        Err(ProviderError::Api {
            status: 422,
            message,
            ..
        }) => assert!(message.contains("path"), "{message}"),
        other => panic!("expected 422, got {other:?}"),
    }

    let gone = c.destroy_privatelink(PG).await.unwrap();
    assert_eq!(gone.value.status, PrivateLinkStatus::Deprovisioning);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        c.privatelink(PG).await.unwrap().value.status,
        PrivateLinkStatus::Deprovisioned
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(matches!(
        c.privatelink(PG).await,
        Err(ProviderError::Api { status: 404, .. })
    ));
}

#[tokio::test]
async fn endpoints_connect_from_allowed_accounts_only() {
    let sim = Sim::start(600.0).await;
    let c = sim.client();
    let path = format!("/privatelink/{REDIS}/connections");
    let refused = sim
        .control(Method::POST, &path, json!({"owner": "999999999999"}))
        .await;
    assert_eq!(refused.status(), 403);
    let ok = sim
        .control(
            Method::POST,
            &path,
            json!({"owner": "123456789101:user/abc.xyz", "endpoint_id": "vpce-0aaaabbbbccccdddd"}),
        )
        .await;
    assert_eq!(ok.status(), 201);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let l = c.privatelink(REDIS).await.unwrap().value;
    let conn = l
        .connections
        .iter()
        .find(|x| x.endpoint_id == "vpce-0aaaabbbbccccdddd")
        .unwrap();
    assert_eq!(conn.status, "Available");
    let vars = c.config_vars(DEMO_APP).await.unwrap().value;
    assert!(vars.contains_key("REDIS_ENDPOINT_0AAAABBBBCCCCDDDD_URL"));
}

#[tokio::test]
async fn a_lost_create_answer_is_read_back() {
    let sim = Sim::start(1.0).await;
    let c = sim.client();
    sim.control(
        Method::PUT,
        "/faults",
        json!({"fail_after_next": 1, "fail_status": 502, "method": "POST"}),
    )
    .await;
    let m = c
        .create_privatelink(PG, &["123456789012".into()])
        .await
        .unwrap();
    assert!(m.lost_answer.is_some());
    assert_eq!(m.value.status, PrivateLinkStatus::Provisioning);
    assert_eq!(
        m.value.allowed_accounts[0].arn,
        "arn:aws:iam::123456789012:root"
    );
}
