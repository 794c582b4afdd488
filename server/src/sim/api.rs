//! The simulated Platform API: the provider's peering paths, answered in the
//! provider's shapes, behind the same envelope as the real thing
//! (authentication, Request-Id, rate limit, ETag, Range paging).

use super::range::{self, RangeSpec};
use super::world::SimError;
use super::{Shared, SimState};
use axum::{
    Json, Router,
    body::{Body, Bytes},
    extract::{Path, Request, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// A refusal in the provider's error shape: `{"id": ..., "message": ...}`.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub id: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, id: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            id,
            message: message.into(),
        }
    }
}

impl From<SimError> for ApiError {
    fn from(e: SimError) -> Self {
        match e {
            SimError::NotFound(m) => Self::new(StatusCode::NOT_FOUND, "not_found", m),
            SimError::Forbidden(m) => Self::new(StatusCode::FORBIDDEN, "forbidden", m),
            SimError::InvalidParams(m) => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_params", m)
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = super::wire::ErrorBody {
            id: self.id.into(),
            message: self.message,
            url: Some("https://devcenter.heroku.com/articles/platform-api-reference".into()),
        };
        (self.status, Json(body)).into_response()
    }
}

type ApiResult = Result<Response, ApiError>;

pub fn router(state: Shared) -> Router<Shared> {
    Router::new()
        .route("/spaces", get(list_spaces))
        .route("/spaces/{space}", get(get_space))
        .route("/spaces/{space}/peering-info", get(peering_info))
        .route("/spaces/{space}/nat", get(nat))
        .route(
            "/spaces/{space}/peerings",
            get(list_peerings).post(accept_cli_form),
        )
        .route(
            "/spaces/{space}/peerings/{pcx_id}",
            get(get_peering).delete(destroy),
        )
        .route(
            "/spaces/{space}/peerings/{pcx_id}/actions/accept",
            post(accept),
        )
        .route("/apps", get(list_apps))
        .route("/apps/{app}/addons", get(app_addons))
        .route("/apps/{app}/config-vars", get(config_vars))
        .route("/actions/addons/resolve", post(resolve_addon))
        .fallback(no_such_endpoint)
        // The provider answers a wrong method on a known path as an unknown
        // endpoint (404 JSON), not with 405.
        .method_not_allowed_fallback(no_such_endpoint)
        .layer(middleware::from_fn_with_state(state, envelope))
}

/// The space's outbound addresses, as the Terraform provider's
/// `heroku_space` reads them: two stable public IPs per space.
async fn nat(State(st): State<Shared>, Path(space): Path<String>) -> ApiResult {
    let w = st.world();
    let s = &w.space(&space)?.space;
    let seed = s.id.bytes().fold(0u8, |a, b| a.wrapping_add(b));
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({
            "created_at": s.created_at,
            "sources": [format!("52.4.{seed}.10"), format!("52.4.{seed}.11")],
            "state": "enabled",
            "updated_at": s.updated_at,
        }),
    ))
}

/// Whether the request asks for version 3 of the API, as every client must
/// (`application/vnd.heroku+json; version=3`, or a variant such as
/// `version=3.dogwood`).
fn accepts_version_3(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|media| {
            let mut parts = media.split(';').map(str::trim);
            parts.next() == Some("application/vnd.heroku+json")
                && parts.any(|p| p == "version=3" || p.starts_with("version=3."))
        })
}

/// The provider's answer to a path it does not serve.
pub async fn no_such_endpoint() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "The requested API endpoint was not found.",
    )
}

/// A JSON body, or the provider's 422 when it is not one.
pub fn body<T: serde::de::DeserializeOwned>(bytes: &Bytes, shape: &str) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_params",
            format!("Expected a JSON body {shape}: {e}"),
        )
    })
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    (status, Json(value)).into_response()
}

/// Answers a list: the whole of it, or one page and a `Next-Range`.
fn list<T: Serialize>(
    st: &SimState,
    headers: &HeaderMap,
    items: Vec<T>,
    field: &str,
    key: impl Fn(&T) -> &str,
) -> ApiResult {
    let default_max = st.settings.lock().expect("settings lock").page_size;
    let spec = match headers.get(header::RANGE).map(|v| v.to_str()) {
        None => RangeSpec {
            field: field.into(),
            start: None,
            start_exclusive: false,
            end: None,
            max: default_max,
            descending: false,
        },
        Some(Ok(h)) => range::parse(h, default_max).ok_or_else(|| {
            ApiError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "requested_range_not_satisfiable",
                format!("Invalid Range header: {h}"),
            )
        })?,
        Some(Err(_)) => {
            return Err(ApiError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "requested_range_not_satisfiable",
                "Invalid Range header.",
            ));
        }
    };
    if spec.field != field {
        return Err(ApiError::new(
            StatusCode::RANGE_NOT_SATISFIABLE,
            "requested_range_not_satisfiable",
            format!(
                "This list can only be ranged by {field}, not {}.",
                spec.field
            ),
        ));
    }
    let page = range::page(items, key, &spec);
    let mut res = match &page.next_range {
        Some(_) => json(StatusCode::PARTIAL_CONTENT, &page.items),
        None => json(StatusCode::OK, &page.items),
    };
    if let Some(next) = page.next_range.and_then(|n| HeaderValue::from_str(&n).ok()) {
        res.headers_mut().insert("Next-Range", next);
    }
    Ok(res)
}

async fn list_spaces(State(st): State<Shared>, headers: HeaderMap) -> ApiResult {
    let mut spaces: Vec<_> = st.world().spaces.iter().map(|s| s.space.clone()).collect();
    spaces.sort_by(|a, b| a.name.cmp(&b.name));
    list(&st, &headers, spaces, "name", |s| s.name.as_str())
}

async fn get_space(State(st): State<Shared>, Path(space): Path<String>) -> ApiResult {
    Ok(json(StatusCode::OK, &st.world().space(&space)?.space))
}

async fn peering_info(State(st): State<Shared>, Path(space): Path<String>) -> ApiResult {
    Ok(json(StatusCode::OK, &st.world().space(&space)?.info))
}

async fn list_peerings(
    State(st): State<Shared>,
    Path(space): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let peerings = st.world().visible_peerings(&space, now())?;
    list(&st, &headers, peerings, "pcx_id", |p| p.pcx_id.as_str())
}

async fn get_peering(
    State(st): State<Shared>,
    Path((space, pcx)): Path<(String, String)>,
) -> ApiResult {
    let peering = {
        let mut world = st.world();
        let peering = world.peering(&space, &pcx, now())?;
        world.peering_read(&space, &pcx, now());
        peering
    };
    Ok(json(StatusCode::OK, &peering))
}

async fn list_apps(State(st): State<Shared>, headers: HeaderMap) -> ApiResult {
    let mut apps: Vec<_> = st.data().apps.iter().map(|a| a.app.clone()).collect();
    apps.sort_by(|a, b| a.name.cmp(&b.name));
    list(&st, &headers, apps, "name", |a| a.name.as_str())
}

async fn app_addons(
    State(st): State<Shared>,
    Path(app): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let mut addons = st.data().app(&app)?.addons.clone();
    addons.sort_by(|a, b| a.name.cmp(&b.name));
    list(&st, &headers, addons, "name", |a| a.name.as_str())
}

async fn config_vars(State(st): State<Shared>, Path(app): Path<String>) -> ApiResult {
    Ok(json(StatusCode::OK, &st.data().app(&app)?.config_vars))
}

/// What the provider's CLI calls before every `data:` command.
async fn resolve_addon(State(st): State<Shared>, bytes: Bytes) -> ApiResult {
    #[derive(serde::Deserialize)]
    struct Resolve {
        addon: String,
        #[serde(default)]
        app: Option<String>,
    }
    let r: Resolve = body(&bytes, "{\"addon\": \"...\", \"app\": \"...\"}")?;
    let data = st.data();
    let (app, addon) = data.addon(&r.addon)?;
    if r.app
        .as_ref()
        .is_some_and(|a| *a != app.app.name && *a != app.app.id)
    {
        return Err(SimError::NotFound(format!(
            "Couldn't find that add-on on that app: {}.",
            r.addon
        ))
        .into());
    }
    Ok(json(StatusCode::OK, &vec![addon.clone()]))
}

/// The schema form, used by the Go SDK and Terraform.
async fn accept(State(st): State<Shared>, Path((space, pcx)): Path<(String, String)>) -> ApiResult {
    let p = st.world().accept(&space, &pcx, now())?;
    Ok(json(StatusCode::OK, &p))
}

/// The provider CLI's form: `POST /spaces/{space}/peerings {"pcx_id": ...}`.
async fn accept_cli_form(
    State(st): State<Shared>,
    Path(space): Path<String>,
    body: Bytes,
) -> ApiResult {
    #[derive(serde::Deserialize)]
    struct Accept {
        pcx_id: String,
    }
    let Accept { pcx_id } = self::body(&body, "{\"pcx_id\": \"pcx-...\"}")?;
    let p = st.world().accept(&space, &pcx_id, now())?;
    Ok(json(StatusCode::ACCEPTED, &p))
}

async fn destroy(
    State(st): State<Shared>,
    Path((space, pcx)): Path<(String, String)>,
) -> ApiResult {
    let p = st.world().destroy(&space, &pcx, now())?;
    Ok(json(StatusCode::ACCEPTED, &p))
}

/// Whether the request carries the token: `Bearer <token>`, or Basic with
/// the token as password (what `.netrc`-based clients send).
pub(super) fn authorized(st: &SimState, headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let presented = if let Some(t) = value.strip_prefix("Bearer ") {
        Some(t.trim().to_string())
    } else if let Some(b) = value.strip_prefix("Basic ") {
        super::basic_password(b.trim())
    } else {
        None
    };
    match (presented, &st.token) {
        (Some(p), _) if p.is_empty() => false,
        (Some(p), Some(expected)) => p == *expected,
        (Some(_), None) => true,
        (None, _) => false,
    }
}

/// The provider's envelope around every API answer.
pub async fn envelope(State(st): State<Shared>, req: Request, next: Next) -> Response {
    let request_id = req
        .headers()
        .get("Request-Id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 200)
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let if_none_match = req.headers().get(header::IF_NONE_MATCH).cloned();
    let is_get = req.method() == Method::GET;

    st.calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    if !is_get {
        st.changes
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    let faults = st.take_faults(req.method().as_str());
    if faults.latency_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(faults.latency_ms)).await;
    }
    let (remaining, mut res) = if !authorized(&st, req.headers()) {
        (
            st.remaining(),
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Invalid credentials provided.",
            )
            .into_response(),
        )
    } else if !accepts_version_3(req.headers()) {
        (
            st.remaining(),
            ApiError::new(
                StatusCode::NOT_ACCEPTABLE,
                "not_acceptable",
                "Accept: application/vnd.heroku+json; version=3 is required.",
            )
            .into_response(),
        )
    } else {
        match st.take_token() {
            _ if faults.rate_limited => (0, rate_limited()),
            None => (0, rate_limited()),
            Some(_) if faults.fail_before.is_some() => {
                (st.remaining(), injected(faults.fail_before))
            }
            Some(remaining) => {
                let res = next.run(req).await;
                let res = if faults.fail_after.is_some() {
                    // The change happened; only the answer is lost.
                    injected(faults.fail_after)
                } else {
                    res
                };
                (remaining, res)
            }
        }
    };

    if is_get && res.status().is_success() {
        res = with_etag(res, if_none_match).await;
    }
    let h = res.headers_mut();
    h.insert("RateLimit-Remaining", HeaderValue::from(remaining));
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        h.insert("Request-Id", v);
    }
    res
}

fn rate_limited() -> Response {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limit",
        "Your account reached the API rate limit. Please wait a few minutes before making new requests.",
    )
    .into_response()
}

fn injected(status: Option<u16>) -> Response {
    let status = status
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    ApiError::new(
        status,
        "unavailable",
        "Injected failure from the simulator's control surface.",
    )
    .into_response()
}

/// Adds a strong ETag over the body; answers 304 when the client has it.
async fn with_etag(res: Response, if_none_match: Option<HeaderValue>) -> Response {
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    // The status is part of the representation: a 206 page is not the 200 list.
    let mut hasher = Sha256::new();
    hasher.update(parts.status.as_str());
    hasher.update(&bytes);
    let etag = format!("\"{}\"", hex::encode(&hasher.finalize()[..16]));
    let matches = if_none_match
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let etag = HeaderValue::from_str(&etag).expect("hex etag is a valid header");
    if matches {
        let mut res = StatusCode::NOT_MODIFIED.into_response();
        res.headers_mut().insert(header::ETAG, etag);
        if let Some(next) = parts.headers.get("Next-Range").cloned() {
            res.headers_mut().insert("Next-Range", next);
        }
        return res;
    }
    parts.headers.insert(header::ETAG, etag);
    Response::from_parts(parts, Body::from(bytes))
}
