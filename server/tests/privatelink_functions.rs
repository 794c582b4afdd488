//! The PrivateLink server functions over HTTP against a running console:
//! create, accounts, reveal, destroy, what is refused, and the audit trail.

use crate::common::{Console, PG, REDIS, SPACE};
use domain::action::{Action, ProviderAction};
use domain::kind::AuditName;
use domain::model::{DataActionResult, DataAddonSummary, DataService, PrivateLinkStatus};
use domain::views::PrivateLinkView;
use reqwest::Method;
use serde_json::json;

/// The space's history, newest first: each record's kind, outcome (or
/// `pending`) and detail.
async fn audit_actions(c: &Console) -> Vec<(String, String, String)> {
    c.audit(&[("space", SPACE)])
        .await
        .entries
        .into_iter()
        .map(|e| {
            let outcome = e.outcome.unwrap_or_else(|| "pending".into());
            (e.action, outcome, e.detail.unwrap_or_default())
        })
        .collect()
}

#[tokio::test]
async fn a_space_lists_its_data_addons_only() {
    let c = Console::start().await;
    let list: Vec<DataAddonSummary> = c.read("data_addons", &[("space", SPACE)]).await;
    let names: Vec<&str> = list.iter().map(|a| a.addon.as_str()).collect();
    assert_eq!(
        names,
        vec!["kafka-fluffy-12345", PG, "redis-cache-67890", REDIS]
    );
    let redis = &list[3];
    assert_eq!(redis.privatelink, Some(PrivateLinkStatus::Operational));
    assert_eq!(redis.service, DataService::Redis);
    assert!(list[1].privatelink.is_none());
    let other: Vec<DataAddonSummary> = c.read("data_addons", &[("space", "acme-staging")]).await;
    assert!(other.is_empty());
    // An add-on is reached only through its own space.
    let (status, _) = c
        .call(
            "privatelink",
            &[("space", "acme-staging"), ("addon", REDIS)],
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_detail_masks_urls_and_a_reveal_is_audited() {
    let c = Console::start().await;
    let view: PrivateLinkView = c
        .read("privatelink", &[("space", SPACE), ("addon", REDIS)])
        .await;
    assert_eq!(view.region, "us-east-1");
    let url = &view.urls[0];
    assert_eq!(url.var_name, "REDIS_ENDPOINT_01C87AE3C05563935_URL");
    let masked = url.masked.as_deref().unwrap();
    assert!(
        masked.contains("********") && masked.ends_with(":6379"),
        "{masked}"
    );
    // Nowhere in the answer as sent, whatever its fields.
    let (_, raw) = c
        .call("privatelink", &[("space", SPACE), ("addon", REDIS)])
        .await;
    assert!(
        !raw.to_string().contains("p8f3c1e0a9b7d6e5"),
        "no password in the view"
    );
    let (status, full) = c
        .call(
            "reveal_connection_url",
            &[
                ("space", SPACE),
                ("addon", REDIS),
                ("endpoint_id", "vpce-01c87ae3c05563935"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    assert!(full.as_str().unwrap().contains("p8f3c1e0a9b7d6e5"));
    let actions = audit_actions(&c).await;
    assert_eq!(
        actions[0].0,
        domain::kind::AuditName::PrivateLinkRevealUrl.as_str()
    );
    assert_eq!(actions[0].1, "ok");
    assert!(actions[0].2.contains("vpce-01c87ae3c05563935"));
    // The secret is in the answer, never in the history.
    let (_, page) = c.call("audit", &[]).await;
    assert!(!page.to_string().contains("p8f3c1e0a9b7d6e5"));
}

#[tokio::test]
async fn create_add_remove_destroy_all_audited() {
    let c = Console::start().await;
    let (status, body) = c
        .call(
            "create_privatelink",
            &[
                ("space", SPACE),
                ("addon", PG),
                ("accounts", "12345678901, 123456789012:user/a/b"),
            ],
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let text = body.to_string();
    assert!(
        text.contains("12 digits") && text.contains("path"),
        "{text}"
    );
    let (status, done) = c
        .call(
            "create_privatelink",
            &[
                ("space", SPACE),
                ("addon", PG),
                ("accounts", "123456789012:user/ops"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{done}");
    let done: DataActionResult = serde_json::from_value(done).unwrap();
    assert_eq!(done.status, PrivateLinkStatus::Provisioning);
    let (status, _) = c
        .call(
            "create_privatelink",
            &[
                ("space", SPACE),
                ("addon", PG),
                ("accounts", "123456789012"),
            ],
        )
        .await;
    assert_eq!(status, 409, "a second PrivateLink is refused");
    let (status, done) = c
        .call(
            "add_allowed_accounts",
            &[
                ("space", SPACE),
                ("addon", PG),
                ("accounts", "210987654321:role/ci"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{done}");
    let (status, done) = c
        .call(
            "remove_allowed_account",
            &[
                ("space", SPACE),
                ("addon", PG),
                ("account", "arn:aws:iam::210987654321:role/ci"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{done}");
    let (status, _) = c
        .call(
            "destroy_privatelink",
            &[("space", SPACE), ("addon", PG), ("confirm", "postgresql")],
        )
        .await;
    assert_eq!(status, 400);
    let (status, done) = c
        .call(
            "destroy_privatelink",
            &[("space", SPACE), ("addon", PG), ("confirm", PG)],
        )
        .await;
    assert_eq!(status, 200, "{done}");
    let done: DataActionResult = serde_json::from_value(done).unwrap();
    assert_eq!(done.status, PrivateLinkStatus::Deprovisioning);
    let actions: Vec<String> = audit_actions(&c).await.into_iter().map(|a| a.0).collect();
    assert_eq!(
        actions,
        vec![
            domain::kind::AuditName::PrivateLinkDestroy.as_str(),
            domain::kind::AuditName::PrivateLinkAccountRemove.as_str(),
            domain::kind::AuditName::PrivateLinkAccountAdd.as_str(),
            domain::kind::AuditName::PrivateLinkCreate.as_str()
        ]
    );
}

#[tokio::test]
async fn unknown_addons_are_refused_and_connections_appear() {
    let c = Console::start().await;
    let (status, _) = c
        .call(
            "create_privatelink",
            &[
                ("space", SPACE),
                ("addon", "no-such-addon"),
                ("accounts", "123456789012"),
            ],
        )
        .await;
    assert_eq!(status, 404);
    let (status, body) = c
        .call(
            "create_privatelink",
            &[
                ("space", SPACE),
                ("addon", "Not An Addon"),
                ("accounts", "123456789012"),
            ],
        )
        .await;
    assert_eq!(status, 400, "{body}");
    // A connection shows up with its URL once the AWS side connects.
    c.sim
        .control(
            Method::POST,
            &format!("/privatelink/{REDIS}/connections"),
            json!({"owner": "123456789101:user/abc.xyz", "endpoint_id": "vpce-0aaaabbbbccccdddd"}),
        )
        .await;
    let view: PrivateLinkView = c
        .read("privatelink", &[("space", SPACE), ("addon", REDIS)])
        .await;
    assert!(
        view.urls
            .iter()
            .any(|u| u.var_name == "REDIS_ENDPOINT_0AAAABBBBCCCCDDDD_URL" && u.masked.is_some()),
        "{:?}",
        view.urls
    );
}

#[tokio::test]
async fn open_privatelink_intents_are_reconciled_against_the_privatelink() {
    let c = Console::start().await;
    let log = server::audit::AuditLog::open(&c.db).await.unwrap();
    let space: domain::ids::SpaceRef = SPACE.parse().unwrap();
    let create = Action::from(ProviderAction::CreatePrivateLink {
        space: space.clone(),
        addon: REDIS.parse().unwrap(),
        accounts: "123456789012".parse().unwrap(),
    });
    let destroy = Action::from(ProviderAction::DestroyPrivateLink {
        space,
        addon: PG.parse().unwrap(),
    });
    // The last as a row written before actions were stored: by name only.
    for (name, target, action) in [
        (create.name(), REDIS, Some(&create)),
        (destroy.name(), PG, Some(&destroy)),
        (AuditName::PrivateLinkRevealUrl, REDIS, None),
    ] {
        log.record_intent(server::audit::Intent {
            actor: "t-admin",
            name,
            space: SPACE,
            target,
            detail: None,
            action,
        })
        .await
        .unwrap();
    }
    assert_eq!(c.console.executor().reconcile().await.unwrap(), 3);
    let page = c.audit(&[("space", SPACE)]).await;
    let messages: Vec<&str> = page
        .entries
        .iter()
        .map(|e| e.message.as_deref().unwrap())
        .collect();
    assert!(
        messages[0].contains("nothing on the provider to read back"),
        "{messages:?}"
    );
    // The destroy and the create both show they took effect.
    assert!(
        messages[1].contains("took effect: the add-on has no PrivateLink"),
        "{messages:?}"
    );
    assert!(
        messages[2].contains("took effect: the PrivateLink is now Operational"),
        "{messages:?}"
    );
    assert_eq!(page.entries[1].outcome.as_deref(), Some("ok"));
    assert_eq!(
        page.entries[2].provider_status.as_deref(),
        Some("Operational")
    );
}
