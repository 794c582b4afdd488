//! Metrics in the Prometheus text format. One registry for the process,
//! as Prometheus scrapes a process: counters are bumped where things
//! happen (a request, a provider call, a cache read, a failed sign-in, a
//! delivery), and the gauges that describe state (the audit history, the
//! outbox, the watcher's budget) are read when `/metrics` is scraped.
//!
//! `/metrics` is never open by accident: it is served on its own address
//! (`--metrics-listen`) or behind a bearer token (`--metrics-token`), and
//! otherwise not at all. Labels are bounded sets (routes as the router
//! matched them, endpoints with their ids taken out), never raw paths.

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::sync::{Arc, OnceLock};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// One of `METHODS`, or `other`.
    pub method: &'static str,
    /// A route the router matched, or `unmatched`.
    pub route: String,
    /// A status with a standard reason phrase, or `other`.
    pub status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ProviderLabels {
    pub method: String,
    pub endpoint: String,
    /// The HTTP status, or `error` when no answer came.
    pub status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CacheLabels {
    pub resource: &'static str,
    /// `hit`: served from the cache (or from another caller's load);
    /// `miss`: this read asked the provider.
    pub result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    /// `delivered`, `failed` (to be tried again) or `gave_up`.
    pub outcome: &'static str,
}

pub struct Metrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub provider_calls: Family<ProviderLabels, Counter>,
    pub cache_reads: Family<CacheLabels, Counter>,
    pub provider_budget: Gauge,
    pub sign_in_failures: Counter,
    pub webhook_deliveries: Family<OutcomeLabels, Counter>,
    audit_records: Gauge,
    audit_verified_through: Gauge,
    audit_alarm: Gauge,
    outbox_pending: Gauge,
    watch_calls_last_hour: Gauge,
    watch_budget: Gauge,
}

impl Metrics {
    fn new() -> Self {
        let mut registry = Registry::with_prefix("spaceport");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "Requests answered, by route and status",
            requests.clone(),
        );
        let provider_calls = Family::<ProviderLabels, Counter>::default();
        registry.register(
            "provider_calls",
            "Calls to the provider's APIs, by endpoint and status",
            provider_calls.clone(),
        );
        let cache_reads = Family::<CacheLabels, Counter>::default();
        registry.register(
            "cache_reads",
            "Reads of provider data, served from the cache (hit) or loaded (miss)",
            cache_reads.clone(),
        );
        let gauge = |registry: &mut Registry, name: &str, help: &str| {
            let g = Gauge::default();
            registry.register(name, help, g.clone());
            g
        };
        let provider_budget = gauge(
            &mut registry,
            "provider_rate_limit_remaining",
            "Calls left of the account's hourly budget, as the provider last said",
        );
        let sign_in_failures = Counter::default();
        registry.register(
            "sign_in_failures",
            "Sign-ins refused (wrong name or password, or locked)",
            sign_in_failures.clone(),
        );
        let webhook_deliveries = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "webhook_deliveries",
            "Webhook delivery attempts, by outcome",
            webhook_deliveries.clone(),
        );
        Self {
            audit_records: gauge(
                &mut registry,
                "audit_records",
                "Records in the audit history",
            ),
            audit_verified_through: gauge(
                &mut registry,
                "audit_verified_through",
                "The newest audit record verification has reached",
            ),
            audit_alarm: gauge(
                &mut registry,
                "audit_integrity_alarm",
                "1 while the history failed verification and nobody acknowledged it",
            ),
            outbox_pending: gauge(
                &mut registry,
                "webhook_outbox_pending",
                "Webhook deliveries waiting to be made",
            ),
            watch_calls_last_hour: gauge(
                &mut registry,
                "watch_provider_calls_last_hour",
                "Provider calls the watcher made in the last hour",
            ),
            watch_budget: gauge(
                &mut registry,
                "watch_provider_calls_budget",
                "The most provider calls an hour the watcher may make",
            ),
            registry,
            requests,
            provider_calls,
            cache_reads,
            provider_budget,
            sign_in_failures,
            webhook_deliveries,
        }
    }
}

/// The process's metrics.
pub fn global() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

/// What a scrape reads of the console's state.
#[derive(Debug, Default, Clone, Copy)]
pub struct State {
    pub audit_records: i64,
    pub audit_verified_through: i64,
    pub audit_alarm: bool,
    pub outbox_pending: i64,
    pub watch_calls_last_hour: u64,
    pub watch_budget: u64,
}

/// The text a scrape gets, with `state` as the gauges' values.
pub fn render(state: State) -> String {
    let m = global();
    m.audit_records.set(state.audit_records);
    m.audit_verified_through.set(state.audit_verified_through);
    m.audit_alarm.set(i64::from(state.audit_alarm));
    m.outbox_pending.set(state.outbox_pending);
    m.watch_calls_last_hour
        .set(i64::try_from(state.watch_calls_last_hour).unwrap_or(i64::MAX));
    m.watch_budget
        .set(i64::try_from(state.watch_budget).unwrap_or(i64::MAX));
    let mut text = String::new();
    if let Err(e) = prometheus_client::encoding::text::encode(&mut text, &m.registry) {
        tracing::error!(error = %e, "metrics could not be encoded");
    }
    text
}

/// Who may scrape: anyone who reaches a `--metrics-listen` address, or
/// on the console's own address whoever sends the bearer token; and how
/// the state the gauges show is read (the console's, given by whoever
/// mounts the route: this registry knows no console).
#[derive(Clone)]
struct Scrape {
    read: Arc<dyn Fn() -> futures::future::BoxFuture<'static, State> + Send + Sync>,
    token_digest: Option<[u8; 32]>,
}

fn digest(token: &str) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(token.as_bytes()).into()
}

/// `/metrics` alone, with the gauges' values from `read` at each scrape.
/// With `token`, a request without `Authorization: Bearer <token>` is
/// answered 401 and learns nothing.
pub fn router<F, Fut>(read: F, token: Option<&str>) -> axum::Router
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = State> + Send + 'static,
{
    use futures::FutureExt;
    axum::Router::new()
        .route("/metrics", axum::routing::get(scrape))
        .with_state(Scrape {
            read: Arc::new(move || read().boxed()),
            token_digest: token.map(digest),
        })
}

async fn scrape(
    axum::extract::State(s): axum::extract::State<Scrape>,
    headers: http::HeaderMap,
) -> Response {
    use axum::response::IntoResponse;
    if let Some(want) = s.token_digest {
        let given = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(digest);
        // Digests are compared, so the time taken says nothing of the token.
        if given != Some(want) {
            return (
                http::StatusCode::UNAUTHORIZED,
                [(http::header::WWW_AUTHENTICATE, "Bearer")],
                "a metrics token is needed",
            )
                .into_response();
        }
    }
    let text = render((s.read)().await);
    (
        [(
            http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

/// The methods counted by name; any other (HTTP allows any token, and
/// anyone may send one) is counted as `other`, so the label set stays
/// bounded whatever arrives.
const METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE",
];

fn method_label(method: &http::Method) -> &'static str {
    METHODS
        .into_iter()
        .find(|m| *m == method.as_str())
        .unwrap_or("other")
}

/// A status with a standard reason phrase by its number (about sixty in
/// all), anything else as `other`.
fn status_label(status: http::StatusCode) -> String {
    if status.canonical_reason().is_some() {
        status.as_str().to_string()
    } else {
        "other".to_string()
    }
}

/// Counts every answer by the route the router matched (`unmatched` for
/// files and unknown paths: the router's routes are a fixed set), its
/// method and its status, each a bounded set.
pub async fn count_requests(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = method_label(req.method());
    let res = next.run(req).await;
    global()
        .requests
        .get_or_create(&RequestLabels {
            method,
            route,
            status: status_label(res.status()),
        })
        .inc();
    res
}

/// A provider path with its ids taken out: `/spaces/:id/peerings/:id`.
/// After these collection names, the next segment is an id.
pub fn endpoint(path: &str) -> String {
    const COLLECTIONS: [&str; 4] = ["spaces", "apps", "peerings", "databases"];
    let mut out = String::new();
    let mut id_next = false;
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        out.push('/');
        if id_next {
            out.push_str(":id");
            id_next = false;
        } else {
            out.push_str(segment);
            id_next = COLLECTIONS.contains(&segment);
        }
    }
    if out.is_empty() { "/".into() } else { out }
}

/// Counts one provider call.
pub fn provider_call(method: &str, path: &str, status: Option<u16>) {
    global()
        .provider_calls
        .get_or_create(&ProviderLabels {
            method: method.to_string(),
            endpoint: endpoint(path),
            status: status
                .and_then(|s| http::StatusCode::from_u16(s).ok())
                .map_or_else(|| "error".to_string(), status_label),
        })
        .inc();
}

/// Counts one cached read.
pub fn cache_read(resource: &'static str, loaded: bool) {
    global()
        .cache_reads
        .get_or_create(&CacheLabels {
            resource,
            result: if loaded { "miss" } else { "hit" },
        })
        .inc();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_labels_are_bounded_sets() {
        let odd = http::Method::from_bytes(b"M00042X").unwrap();
        assert_eq!(method_label(&odd), "other");
        assert_eq!(method_label(&http::Method::POST), "POST");
        assert_eq!(status_label(http::StatusCode::NOT_FOUND), "404");
        assert_eq!(
            status_label(http::StatusCode::from_u16(599).unwrap()),
            "other"
        );
    }

    #[test]
    fn endpoints_lose_their_ids() {
        assert_eq!(
            endpoint("/spaces/spaces-peering-example/peerings/pcx-111aaa111/actions/accept"),
            "/spaces/:id/peerings/:id/actions/accept"
        );
        assert_eq!(endpoint("/spaces"), "/spaces");
        assert_eq!(
            endpoint("/private-link/v0/databases/redis-sushi-12345/allowed_accounts"),
            "/private-link/v0/databases/:id/allowed_accounts"
        );
        assert_eq!(
            endpoint("/apps/my-app/config-vars"),
            "/apps/:id/config-vars"
        );
        assert_eq!(endpoint("/"), "/");
    }
}
