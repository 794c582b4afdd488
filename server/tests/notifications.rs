//! Notifications end to end, over real HTTP: a receiver of our own on
//! loopback gets what the watcher notices, signed; a receiver that was
//! down gets every event exactly once after the console restarted in
//! between; a receiver that hangs does not slow the space page; and
//! `/metrics` is what a Prometheus parser reads.

use crate::common::{Console, SPACE, Sim, TOKEN};
use domain::model::AuditPage;
use domain::notify::{NotificationsView, WebhookAdded};
use domain::views::Overview;
use server::notify::deliver;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request the receiver got.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    event_id: String,
    signature: Option<String>,
    body: Vec<u8>,
}

impl Received {
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// How the receiver answers.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Mode {
    Ok,
    /// Takes the request and never answers.
    Hang,
}

/// A webhook receiver on a loopback port: it keeps what it gets.
pub(crate) struct Receiver {
    pub(crate) url: String,
    got: Arc<Mutex<Vec<Received>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Receiver {
    pub(crate) async fn start(mode: Mode) -> Self {
        Self::on(std::net::SocketAddr::from(([127, 0, 0, 1], 0)), mode).await
    }

    async fn on(addr: std::net::SocketAddr, mode: Mode) -> Self {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let kept = got.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: axum::http::HeaderMap, body: bytes::Bytes| {
                let kept = kept.clone();
                async move {
                    if mode == Mode::Hang {
                        std::future::pending::<()>().await;
                    }
                    let header = |n: &str| {
                        headers
                            .get(n)
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_string)
                    };
                    kept.lock().unwrap().push(Received {
                        event_id: header("spaceport-event-id").unwrap_or_default(),
                        signature: header("spaceport-signature"),
                        body: body.to_vec(),
                    });
                    "thanks"
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
        });
        Self {
            url,
            got,
            stop: Some(stop),
        }
    }

    pub(crate) fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Those of kind `kind`.
    pub(crate) fn of_kind(&self, kind: &str) -> Vec<Received> {
        self.got()
            .into_iter()
            .filter(|r| r.json()["kind"] == kind)
            .collect()
    }

    /// Waits up to `limit` until `done` holds of what was received.
    pub(crate) async fn wait_for(
        &self,
        limit: Duration,
        done: impl Fn(&[Received]) -> bool,
    ) -> bool {
        let start = Instant::now();
        while start.elapsed() < limit {
            if done(&self.got()) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        done(&self.got())
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The watcher's period in these tests: with a budget of 4500 calls an
/// hour, what a look at four spaces costs (their peerings, and the
/// add-ons every sixth look) fits one look every eight seconds.
pub(crate) const REFRESH: u64 = 8;
pub(crate) const WATCH: [&str; 4] = ["--refresh-secs", "8", "--watch-calls-per-hour", "4500"];

/// Adds a JSON webhook for every kind of event; returns its secret.
pub(crate) async fn add_webhook(
    call: impl AsyncFnOnce(&[(&str, &str)]) -> (u16, serde_json::Value),
    url: &str,
) -> String {
    let kinds = domain::notify::EventKind::SUBSCRIBABLE
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let (status, added) = call(&[
        ("name", "ops receiver"),
        ("url", url),
        ("format", "json"),
        ("kinds", &kinds),
    ])
    .await;
    assert_eq!(status, 200, "{added}");
    let added: WebhookAdded = serde_json::from_value(added).unwrap();
    added.secret.expect("a JSON webhook's secret")
}

/// Sends a peering request from the AWS side, there at once.
pub(crate) async fn request_peering(sim: &Sim, account: &str, vpc: &str, cidr: &str) -> String {
    let res = sim
        .control(
            reqwest::Method::POST,
            &format!("/spaces/{SPACE}/peering-requests"),
            serde_json::json!({"aws_account_id": account, "vpc_id": vpc,
                               "cidr_block": cidr, "immediate": true}),
        )
        .await;
    assert!(res.status().is_success());
    let body: serde_json::Value = res.json().await.unwrap();
    body["pcx_id"].as_str().unwrap().to_string()
}

/// Waits until the watcher has looked once (and so knows what is there).
pub(crate) async fn watcher_looked(overview: impl AsyncFn() -> serde_json::Value) {
    for _ in 0..200 {
        let overview: Overview = serde_json::from_value(overview().await).unwrap();
        if overview.watch.is_some_and(|w| w.last_check.is_some()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the watcher never looked");
}

#[tokio::test]
async fn a_new_request_reaches_the_receiver_within_two_refresh_periods_once_and_signed() {
    let c = Console::start_with(&WATCH).await;
    let receiver = Receiver::start(Mode::Ok).await;
    let secret = add_webhook(
        async |form| c.call("add_webhook", form).await,
        &receiver.url,
    )
    .await;
    assert!(secret.starts_with("whsec_"), "{secret}");
    watcher_looked(async || c.call("overview", &[]).await.1).await;
    // The first look only noted what was there: nothing was sent.
    assert!(receiver.of_kind("peering.requested").is_empty());

    let sent = Instant::now();
    let pcx = request_peering(
        &c.sim,
        "210987654321",
        "vpc-0fedcba987654321",
        "10.200.0.0/16",
    )
    .await;
    let arrived = receiver
        .wait_for(Duration::from_secs(2 * REFRESH), |got| {
            got.iter().any(|r| r.json()["subject"] == pcx)
        })
        .await;
    assert!(
        arrived,
        "no event within two refresh periods: {:?}",
        receiver.got()
    );
    println!(
        "a new request reached the receiver after {:?}",
        sent.elapsed()
    );

    let r = receiver
        .of_kind("peering.requested")
        .into_iter()
        .find(|r| r.json()["subject"] == pcx)
        .unwrap();
    let event = r.json();
    assert_eq!(event["space"], SPACE);
    assert_eq!(event["data"]["aws_account_id"], "210987654321");
    assert_eq!(event["data"]["expected"], false);
    assert!(
        event["title"]
            .as_str()
            .unwrap()
            .contains("unexpected requester")
    );
    assert!(
        event["url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/spaces/{SPACE}"))
    );
    assert_eq!(r.event_id, event["id"].to_string());
    // The receiver can check it came from this console, unchanged.
    let signature = r.signature.clone().expect("a signature header");
    assert!(deliver::verify(&secret, &signature, &r.body));
    let mut changed = r.body.clone();
    let at = changed.iter().position(|b| *b == b'2').unwrap();
    changed[at] = b'3';
    assert!(
        !deliver::verify(&secret, &signature, &changed),
        "a changed body is detected"
    );
    assert!(!deliver::verify("whsec_someone-else", &signature, &r.body));

    // Two more looks later, it was still sent once.
    tokio::time::sleep(Duration::from_secs(2 * REFRESH)).await;
    let same: Vec<_> = receiver
        .of_kind("peering.requested")
        .into_iter()
        .filter(|r| r.json()["subject"] == pcx)
        .collect();
    assert_eq!(same.len(), 1, "{same:?}");

    // The page shows the delivery and its attempt with the status code.
    let (status, raw) = c.call("notifications", &[]).await;
    assert_eq!(status, 200);
    let view: NotificationsView = serde_json::from_value(raw.clone()).unwrap();
    let d = view.destinations[0]
        .deliveries
        .iter()
        .find(|d| Some(d.event) == event["id"].as_i64())
        .expect("the delivery is listed");
    assert_eq!(d.state, "delivered");
    assert_eq!(d.attempts[0].status, Some(200));
    // The URL beyond its host, and the secret, are never shown again,
    // whatever the answer's fields.
    let text = raw.to_string();
    assert!(!text.contains("/hook") && !text.contains(&secret), "{text}");
}

#[tokio::test]
async fn destinations_are_admin_actions_checked_and_recorded() {
    let c = Console::start().await;
    let operator = c.in_process_as(Some(domain::access::Role::Operator)).await;
    let form = [
        ("name", "x"),
        ("url", "https://hooks.example.com/services/T0/B0/SECRETPART"),
        ("format", "slack"),
        ("kinds", "peering.requested"),
    ];
    assert_eq!(operator.call("add_webhook", &form).await.0, 403);
    assert_eq!(operator.call("notifications", &[]).await.0, 403);
    for (field, bad) in [
        ("url", "ftp://example.com/x"),
        ("url", "https://user:pw@example.com/x"),
        ("url", "http://169.254.169.254/latest/meta-data/"),
        ("url", "http://[fe80::1]/hook"),
        ("kinds", "peering.launched"),
        ("kinds", ""),
        ("format", "xml"),
        ("name", " "),
    ] {
        let mut f = form.to_vec();
        f.retain(|(k, _)| *k != field);
        f.push((field, bad));
        let (status, body) = c.call("add_webhook", &f).await;
        assert_eq!(status, 400, "{field}={bad}: {body}");
    }
    let added: WebhookAdded = c.read("add_webhook", &form).await;
    assert!(added.secret.is_none(), "a Slack URL is its own credential");
    let id = added.id.to_string();
    assert_eq!(c.call("test_webhook", &[("id", "999")]).await.0, 404);
    assert_eq!(c.call("test_webhook", &[("id", &id)]).await.0, 200);
    // Ten admins remove it at once: one does, nine are told it is gone.
    let mut admins = Vec::new();
    for _ in 0..10 {
        admins.push(c.in_process_as(Some(domain::access::Role::Admin)).await);
    }
    let form = [("id", id.as_str())];
    let removes =
        futures::future::join_all(admins.iter().map(|a| a.call("remove_webhook", &form))).await;
    let mut statuses: Vec<u16> = removes.iter().map(|(s, _)| *s).collect();
    statuses.sort();
    assert_eq!(
        statuses,
        [200, 404, 404, 404, 404, 404, 404, 404, 404, 404],
        "{removes:?}"
    );
    assert_eq!(c.call("remove_webhook", &[("id", &id)]).await.0, 404);

    // Recorded, without the URL's credential part.
    let (_, page) = c.call("audit", &[]).await;
    let text = page.to_string();
    for name in ["webhook.add", "webhook.test", "webhook.remove"] {
        assert!(text.contains(name), "{name} in {text}");
    }
    let page: AuditPage = serde_json::from_value(page).unwrap();
    let removed_ok = page
        .entries
        .iter()
        .filter(|e| e.action == "webhook.remove" && e.outcome.as_deref() == Some("ok"))
        .count();
    assert_eq!(removed_ok, 1, "{text}");
    assert!(
        text.contains("slack to https://hooks.example.com/…"),
        "{text}"
    );
    assert!(!text.contains("SECRETPART"), "{text}");
}

#[tokio::test]
async fn a_receiver_that_hangs_does_not_slow_the_space_page() {
    let c = Console::start().await;
    async fn space(c: &Console) -> Duration {
        let start = Instant::now();
        let (status, _) = c.call("space", &[("space", SPACE)]).await;
        assert_eq!(status, 200);
        start.elapsed()
    }
    let p50 = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let mut before = Vec::new();
    for _ in 0..30 {
        before.push(space(&c).await);
    }

    let hanging = Receiver::start(Mode::Hang).await;
    let (_, added) = c
        .call(
            "add_webhook",
            &[
                ("name", "hangs"),
                ("url", &hanging.url),
                ("format", "json"),
                ("kinds", "peering.requested"),
            ],
        )
        .await;
    let added: WebhookAdded = serde_json::from_value(added).unwrap();
    let id = added.id.to_string();
    // More tests than the outbox sends at once: every sending slot hangs.
    for _ in 0..20 {
        assert_eq!(c.call("test_webhook", &[("id", &id)]).await.0, 200);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = Instant::now();
    let during: Vec<Duration> = futures::future::join_all((0..30).map(|_| space(&c))).await;
    assert!(
        started.elapsed() < deliver::ATTEMPT_TIMEOUT,
        "the pages waited for the receiver"
    );
    let (before, during_p50) = (p50(before), p50(during.clone()));
    let slowest = during.iter().max().unwrap();
    println!(
        "space p50 {before:?} before, {during_p50:?} with 30 at once while 16 deliveries hang \
         (slowest {slowest:?})"
    );
    assert!(
        *slowest < Duration::from_secs(2),
        "a space read took {slowest:?} while the receiver hung"
    );
    // Nothing was delivered, and the attempts say why.
    let view: NotificationsView = c.read("notifications", &[]).await;
    assert!(hanging.got().is_empty());
    let delivery = &view.destinations[0].deliveries[0];
    assert_eq!(delivery.state, "pending", "{delivery:?}");
}

#[tokio::test]
async fn metrics_need_their_token_and_parse_as_prometheus_text() {
    let token = "metrics-token-0123456789";
    let c = Console::start_with(&["--metrics-token", token]).await;
    // Some traffic to count: a page, a provider read, a failed sign-in.
    assert_eq!(c.call("space", &[("space", SPACE)]).await.0, 200);
    let stranger = crate::common::browser();
    let res = stranger
        .post(format!("{}/signin", c.base))
        .form(&[
            ("name", "t-admin"),
            ("password", "not-the-password"),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);

    let get = |auth: Option<&str>| {
        let mut req = reqwest::Client::new().get(format!("{}/metrics", c.base));
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        req.send()
    };
    assert_eq!(get(None).await.unwrap().status().as_u16(), 401);
    assert_eq!(
        get(Some("Bearer wrong-token-0123456789"))
            .await
            .unwrap()
            .status()
            .as_u16(),
        401
    );
    let res = get(Some(&format!("Bearer {token}"))).await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let text = res.text().await.unwrap();
    let lines = text.lines().map(|l| Ok(l.to_string()));
    let scrape = prometheus_parse::Scrape::parse(lines).expect("Prometheus text format");
    let value = |name: &str, label: Option<(&str, &str)>| -> f64 {
        scrape
            .samples
            .iter()
            .filter(|s| s.metric == name)
            .filter(|s| label.is_none_or(|(k, v)| s.labels.get(k) == Some(v)))
            .map(|s| match s.value {
                prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Untyped(v) => v,
                _ => 0.0,
            })
            .sum()
    };
    assert!(
        value(
            "spaceport_http_requests_total",
            Some(("route", "/api/space"))
        ) >= 1.0,
        "{text}"
    );
    assert!(
        value(
            "spaceport_provider_calls_total",
            Some(("endpoint", "/spaces/:id/peerings"))
        ) >= 1.0,
        "{text}"
    );
    assert!(
        value("spaceport_cache_reads_total", Some(("result", "miss"))) >= 1.0,
        "{text}"
    );
    assert!(
        value("spaceport_sign_in_failures_total", None) >= 1.0,
        "{text}"
    );
    assert!(value("spaceport_audit_records", None) >= 1.0, "{text}");
    assert!(
        value("spaceport_provider_rate_limit_remaining", None) > 0.0,
        "{text}"
    );
    assert!(
        !text.contains(TOKEN),
        "the provider token is nowhere in the metrics"
    );

    // Without a token or an address of its own, there is no /metrics.
    let plain = Console::start().await;
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/metrics", plain.base))
        .send()
        .await
        .unwrap();
    assert_ne!(res.status().as_u16(), 200);
}

/// The real binary, started on `db` against `sim`, with its output read
/// line by line.
struct Running {
    child: std::process::Child,
    base: String,
    metrics: String,
}

impl Running {
    fn start(db: &std::path::Path, sim: &Sim) -> Self {
        use std::io::BufRead;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_spaceport"))
            .args(["--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"])
            .arg("--database")
            .arg(db)
            .args(["--api-url", &sim.url, "--data-api-url", &sim.data_url])
            .env("HEROKU_API_KEY", TOKEN)
            .args(WATCH)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let out = std::io::BufReader::new(child.stdout.take().unwrap());
        let (mut base, mut metrics) = (String::new(), String::new());
        let mut lines = out.lines();
        for line in lines.by_ref() {
            let line = line.unwrap();
            if let Some(m) = line.strip_prefix("Metrics are served on ") {
                metrics = m.to_string();
            }
            if let Some(b) = line.strip_prefix("Spaceport is listening on ") {
                base = b.to_string();
                break;
            }
        }
        assert!(!base.is_empty(), "the console did not start");
        // Keep reading, so the console never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Self {
            child,
            base,
            metrics,
        }
    }

    async fn call(
        &self,
        client: &reqwest::Client,
        name: &str,
        form: &[(&str, &str)],
    ) -> (u16, serde_json::Value) {
        crate::common::call_at(&self.base, client, name, form).await
    }

    /// Stops it at once, as a crash would.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

#[tokio::test]
async fn a_receiver_down_then_back_gets_every_event_once_across_a_restart() {
    let sim = Sim::start(600.0).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    crate::common::make_users(&db).await;
    crate::common::open_policy(&db).await;
    // A port nobody listens on yet: the receiver is down.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let url = format!("http://{addr}/hook");

    let first = Running::start(&db, &sim);
    let admin = crate::common::browser();
    crate::common::sign_in(&admin, &first.base, "t-admin", crate::common::PASSWORD).await;
    add_webhook(
        async |form| first.call(&admin, "add_webhook", form).await,
        &url,
    )
    .await;
    watcher_looked(async || first.call(&admin, "overview", &[]).await.1).await;
    let a = request_peering(
        &sim,
        "210987654321",
        "vpc-0aaaabbbbcccc1111",
        "10.210.0.0/16",
    )
    .await;
    let b = request_peering(
        &sim,
        "210987654322",
        "vpc-0aaaabbbbcccc2222",
        "10.211.0.0/16",
    )
    .await;
    // Both events are noticed, and their first attempts fail.
    let mut tried = false;
    for _ in 0..(40 * REFRESH) {
        let (_, view) = first.call(&admin, "notifications", &[]).await;
        let view: NotificationsView = serde_json::from_value(view).unwrap();
        let deliveries = view
            .destinations
            .first()
            .map(|d| d.deliveries.clone())
            .unwrap_or_default();
        let failing = |pcx: &str| {
            deliveries.iter().any(|d| {
                d.title.contains(pcx)
                    && d.attempts
                        .first()
                        .is_some_and(|a| a.status.is_none() && a.error.is_some())
            })
        };
        if failing(&a) && failing(&b) {
            tried = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        tried,
        "both deliveries were tried while the receiver was down"
    );
    // Its metrics are on their own address.
    let text = reqwest::get(&first.metrics)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines = text.lines().map(|l| Ok(l.to_string()));
    let scrape = prometheus_parse::Scrape::parse(lines).unwrap();
    assert!(
        scrape
            .samples
            .iter()
            .any(|s| s.metric == "spaceport_webhook_deliveries_total"
                && s.labels.get("outcome") == Some("failed")),
        "{text}"
    );
    first.kill();

    // The receiver comes back while the console is down; the console
    // starts again on the same file.
    let receiver = Receiver::on(addr, Mode::Ok).await;
    let second = Running::start(&db, &sim);
    let both = receiver
        .wait_for(Duration::from_secs(60), |got| {
            [&a, &b].iter().all(|pcx| {
                got.iter().any(|r| {
                    r.json()["kind"] == "peering.requested" && &r.json()["subject"] == *pcx
                })
            })
        })
        .await;
    assert!(both, "{:?}", receiver.got());
    // Two more looks: nothing is said twice. (The simulator's own
    // peerings move on meanwhile, at its speed, so a seeded one that
    // finishes initiating is a new request too: only the two asked for
    // here are counted.)
    tokio::time::sleep(Duration::from_secs(2 * REFRESH + 2)).await;
    let got = receiver.got();
    let mut ids: Vec<&str> = got.iter().map(|r| r.event_id.as_str()).collect();
    ids.sort();
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(ids, unique, "an event was delivered twice");
    for pcx in [&a, &b] {
        let told = got
            .iter()
            .filter(|r| r.json()["kind"] == "peering.requested" && &r.json()["subject"] == pcx)
            .count();
        assert_eq!(told, 1, "{pcx} was told {told} times: {:?}", receiver.got());
    }
    second.kill();
}

/// A proxy that takes connections, counts them and forwards nothing.
async fn counting_proxy() -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            use tokio::io::AsyncWriteExt;
            let _ = conn
                .write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n")
                .await;
        }
    });
    (url, seen)
}

#[tokio::test]
async fn webhooks_never_go_through_a_proxy_that_would_resolve_names_for_them() {
    let sim = Sim::start(600.0).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    crate::common::make_users(&db).await;
    crate::common::open_policy(&db).await;
    let (proxy, seen) = counting_proxy().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // The console as a process of its own, in an environment that names a
    // proxy for everything but loopback (where its provider is here).
    let mut console = std::process::Command::new(env!("CARGO_BIN_EXE_spaceport"))
        .args(["--listen", &format!("127.0.0.1:{port}"), "--database"])
        .arg(&db)
        .args(["--api-url", &sim.url, "--data-api-url", &sim.data_url])
        .args(["--watch-calls-per-hour", "0"])
        .env("HEROKU_API_KEY", TOKEN)
        .env("HTTP_PROXY", &proxy)
        .env("HTTPS_PROXY", &proxy)
        .env("ALL_PROXY", &proxy)
        .env("http_proxy", &proxy)
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let mut up = false;
    for _ in 0..100 {
        if reqwest::get(format!("{base}/healthz")).await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "the console started");
    let admin = crate::common::browser();
    crate::common::sign_in(&admin, &base, "t-admin", crate::common::PASSWORD).await;
    let call = async |name: &str, form: &[(&str, &str)]| {
        crate::common::call_at(&base, &admin, name, form).await
    };
    // A name only the proxy would resolve (to instance metadata, say).
    let (status, added) = call(
        "add_webhook",
        &[
            ("name", "behind a proxy"),
            ("url", "http://metadata.internal.invalid/hook"),
            ("format", "json"),
            ("kinds", "peering.requested"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{added}");
    let added: WebhookAdded = serde_json::from_value(added).unwrap();
    let id = added.id.to_string();
    assert_eq!(call("test_webhook", &[("id", &id)]).await.0, 200);
    let mut attempts = Vec::new();
    for _ in 0..100 {
        let (_, view) = call("notifications", &[]).await;
        let view: NotificationsView = serde_json::from_value(view).unwrap();
        attempts = view
            .destinations
            .first()
            .and_then(|d| d.deliveries.first())
            .map(|d| d.attempts.clone())
            .unwrap_or_default();
        if !attempts.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    console.kill().unwrap();
    console.wait().unwrap();
    assert!(!attempts.is_empty(), "an attempt was made");
    assert_eq!(
        seen.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the proxy was asked: {attempts:?}"
    );
}
