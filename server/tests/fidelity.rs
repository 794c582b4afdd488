//! The provider as it really answers: PrivateLink answers full of nulls,
//! config vars named after the add-on's attachment, requests AWS leaves
//! pending that the provider will not accept, the Platform API's own
//! error statuses, and TLS URLs for Key-Value Store over PrivateLink.

use crate::common::{CACHE, Console, SPACE, TOKEN};

const CACHE_ENDPOINT: &str = "vpce-0a1b2c3d4e5f60718";
/// Seeded in data-platform-eu from 172.17.0.0/16, which every space reserves.
const RESERVED_PCX: &str = "pcx-15c6d7e8f9a0b1c29";

#[tokio::test]
async fn a_privatelink_answer_with_nulls_still_shows_its_page() {
    let c = Console::start().await;
    // The simulator answers this one as the real Data API may: no service
    // name, no app, no accounts, connections without owner or hostname.
    let raw: serde_json::Value = reqwest::Client::new()
        .get(format!(
            "{}/private-link/v0/databases/{CACHE}",
            c.sim.data_url
        ))
        .basic_auth("", Some(TOKEN))
        .header("Accept", crate::common::API_VERSION)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        raw["service_name"].is_null() && raw["app"].is_null(),
        "{raw}"
    );
    assert!(raw["connections"][0]["hostname"].is_null(), "{raw}");

    let (status, view) = c
        .call("privatelink", &[("space", SPACE), ("addon", CACHE)])
        .await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["link"]["status"], "Operational");
    assert_eq!(
        view["link"]["connections"][0]["endpoint_id"],
        CACHE_ENDPOINT
    );
    // The URL's config var is named after the add-on's attachment (CACHE),
    // not its service (REDIS), and it is TLS on 6379, shown masked.
    let url = &view["urls"][0];
    assert_eq!(url["var_name"], "CACHE_ENDPOINT_0A1B2C3D4E5F60718_URL");
    let masked = url["masked"].as_str().unwrap();
    assert!(masked.starts_with("rediss://********@"), "{masked}");
    assert!(masked.ends_with(":6379"), "{masked}");
    // Reveal finds the same variable.
    let (status, full) = c
        .call(
            "reveal_connection_url",
            &[
                ("space", SPACE),
                ("addon", CACHE),
                ("endpoint_id", CACHE_ENDPOINT),
            ],
        )
        .await;
    assert_eq!(status, 200, "{full}");
    assert!(
        full.as_str().unwrap().starts_with("rediss://default:"),
        "{full}"
    );
}

#[tokio::test]
async fn a_request_aws_leaves_pending_is_blocked_and_refused() {
    let c = Console::start().await;
    // The console blocks it before calling the provider...
    let (status, body) = c
        .call(
            "accept_peering",
            &[("space", "data-platform-eu"), ("pcx_id", RESERVED_PCX)],
        )
        .await;
    assert!(status == 400 || status == 409, "{status}: {body}");
    assert!(body.to_string().contains("172.17.0.0/16"), "{body}");
    // ...and the provider refuses it too, in its own error shape.
    let res = reqwest::Client::new()
        .post(format!(
            "{}/spaces/data-platform-eu/peerings/{RESERVED_PCX}/actions/accept",
            c.sim.url
        ))
        .bearer_auth(TOKEN)
        .header("Accept", crate::common::API_VERSION)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 422);
    let err: serde_json::Value = res.json().await.unwrap();
    assert_eq!(err["id"], "invalid_params", "{err}");
    // A request from outside RFC1918 stays pending as on AWS; only a VPC
    // overlap fails.
    for (cidr, want) in [
        ("100.64.0.0/16", "pending-acceptance"),
        ("10.0.0.0/20", "failed"),
    ] {
        let made: serde_json::Value = c
            .sim
            .control(
                reqwest::Method::POST,
                &format!("/spaces/{SPACE}/peering-requests"),
                serde_json::json!({"aws_account_id": "210987654321", "vpc_id": "vpc-0fedcba987654321",
                    "cidr_block": cidr, "immediate": true}),
            )
            .await
            .json()
            .await
            .unwrap();
        let pcx = made["pcx_id"].as_str().unwrap();
        let now = c.sim.client().get_peering(SPACE, pcx).await.unwrap().value;
        assert_eq!(now.status.as_str(), want, "{cidr}");
    }
}

#[tokio::test]
async fn the_platform_api_errors_the_way_the_provider_does() {
    let sim = crate::common::Sim::start(600.0).await;
    let http = reqwest::Client::new();
    let v3 = crate::common::API_VERSION;
    let call = |method: reqwest::Method, path: &str, accept: Option<&str>, range: Option<&str>| {
        let mut rb = http
            .request(method, format!("{}{path}", sim.url))
            .bearer_auth(TOKEN);
        if let Some(a) = accept {
            rb = rb.header("Accept", a);
        }
        if let Some(r) = range {
            rb = rb.header("Range", r);
        }
        rb.send()
    };
    let answer = |res: reqwest::Response| async move {
        let status = res.status().as_u16();
        let body: serde_json::Value = res.json().await.unwrap_or_default();
        (status, body["id"].as_str().unwrap_or_default().to_string())
    };
    let wrong_method = call(reqwest::Method::DELETE, "/spaces", Some(v3), None);
    assert_eq!(
        answer(wrong_method.await.unwrap()).await,
        (404, "not_found".into())
    );
    let no_accept = call(reqwest::Method::GET, "/spaces", None, None);
    assert_eq!(
        answer(no_accept.await.unwrap()).await,
        (406, "not_acceptable".into())
    );
    let v2 = call(
        reqwest::Method::GET,
        "/spaces",
        Some("application/vnd.heroku+json; version=2"),
        None,
    );
    assert_eq!(
        answer(v2.await.unwrap()).await,
        (406, "not_acceptable".into())
    );
    let dogwood = call(
        reqwest::Method::GET,
        "/spaces",
        Some("application/vnd.heroku+json; version=3.dogwood"),
        None,
    );
    assert_eq!(dogwood.await.unwrap().status().as_u16(), 200);
    for bad in ["garbage", "name ..; max=0", "name ..; colour=blue"] {
        let bad_range = call(reqwest::Method::GET, "/spaces", Some(v3), Some(bad));
        assert_eq!(
            answer(bad_range.await.unwrap()).await,
            (416, "requested_range_not_satisfiable".into()),
            "{bad}"
        );
    }
    // The Terraform provider's heroku_space reads the space's NAT.
    let nat: serde_json::Value = call(
        reqwest::Method::GET,
        &format!("/spaces/{SPACE}/nat"),
        Some(v3),
        None,
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(nat["state"], "enabled", "{nat}");
    assert_eq!(nat["sources"].as_array().map(Vec::len), Some(2), "{nat}");
}
