//! The simulator's control surface, under `/_sim`: plays the AWS side (a new
//! peering request from a given account, VPC and CIDR) and sets the faults
//! and settings that demos and tests need. Not part of the provider's API.
//!
//! It asks for the simulator's token like the API does, and for JSON
//! bodies: without both, any web page a developer visits could post a
//! `text/plain` form to it and inject peering requests. Only `/health`
//! (for readiness checks) is open.

use super::api::ApiError;
use super::world::{PeeringAmendment, PeeringRequest};
use super::{Faults, Settings, Shared};
use axum::{
    Json, Router,
    extract::{Path, Request, State},
    http::{Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
    routing::{get, patch, post, put},
};
use rand::Rng;

pub fn router(state: Shared) -> Router<Shared> {
    Router::new()
        .route("/spaces/{space}/peering-requests", post(request_peering))
        .route("/spaces/{space}/peerings/{pcx}", patch(amend_peering))
        .route(
            "/faults",
            put(set_faults).get(get_faults).delete(clear_faults),
        )
        .route("/settings", put(set_settings).get(get_settings))
        .route("/stats", get(stats))
        .route("/privatelink/{addon}/connections", post(connect_endpoint))
        .layer(axum::middleware::from_fn_with_state(state, guard))
        .route("/health", get(|| async { "ok" }))
}

/// The token, and a JSON body on whatever carries one.
async fn guard(State(st): State<Shared>, req: Request, next: Next) -> Response {
    if !super::api::authorized(&st, req.headers()) {
        return ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "The control surface needs the simulator's token (Authorization: Bearer TOKEN).",
        )
        .into_response();
    }
    let has_body = matches!(*req.method(), Method::POST | Method::PUT | Method::PATCH);
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if has_body && !json {
        return ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "The control surface takes JSON (Content-Type: application/json).",
        )
        .into_response();
    }
    next.run(req).await
}

/// A VPC endpoint created on the AWS side, connecting to an add-on's
/// endpoint service: refused unless its owner's account is allowed.
async fn connect_endpoint(
    State(st): State<Shared>,
    Path(addon): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let req: super::data::EndpointRequest = super::api::body(
        &bytes,
        "{\"owner\": \"123456789012:user/NAME\", \"endpoint_id\": \"vpce-...\"}",
    )?;
    let c = st
        .data()
        .connect(&addon, &req, time::OffsetDateTime::now_utc())?;
    Ok((StatusCode::CREATED, Json(c)).into_response())
}

async fn stats(State(st): State<Shared>) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "calls": st.calls.load(std::sync::atomic::Ordering::Relaxed),
        "changes": st.changes.load(std::sync::atomic::Ordering::Relaxed),
        "rate_limit_remaining": st.remaining(),
    }))
}

/// A fresh id in AWS's long form: `pcx-` and 17 hex digits.
fn new_pcx_id() -> String {
    let mut rng = rand::rng();
    let digits: String = (0..17)
        .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap_or('0'))
        .collect();
    format!("pcx-{digits}")
}

async fn request_peering(
    State(st): State<Shared>,
    Path(space): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let req: PeeringRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_params",
            format!("Bad request body: {e}"),
        )
    })?;
    let now = time::OffsetDateTime::now_utc();
    let p = st.world().request(&space, &req, new_pcx_id(), now)?;
    Ok((StatusCode::CREATED, Json(p)).into_response())
}

/// A request changed on the AWS side after it was sent.
async fn amend_peering(
    State(st): State<Shared>,
    Path((space, pcx)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let change: PeeringAmendment = super::api::body(
        &body,
        "{\"cidr_block\": \"10.1.0.0/16\", \"aws_account_id\": \"123456789012\", \"status\": \"rejected\"}",
    )?;
    let now = time::OffsetDateTime::now_utc();
    let p = st.world().amend(&space, &pcx, &change, now)?;
    Ok(Json(p).into_response())
}

async fn set_faults(State(st): State<Shared>, Json(f): Json<Faults>) -> StatusCode {
    *st.faults.lock().unwrap_or_else(|e| e.into_inner()) = f;
    StatusCode::NO_CONTENT
}

async fn get_faults(State(st): State<Shared>) -> Json<Faults> {
    Json(st.faults.lock().unwrap_or_else(|e| e.into_inner()).clone())
}

async fn clear_faults(State(st): State<Shared>) -> StatusCode {
    *st.faults.lock().unwrap_or_else(|e| e.into_inner()) = Faults::default();
    StatusCode::NO_CONTENT
}

#[derive(serde::Deserialize)]
struct SettingsChange {
    page_size: Option<usize>,
    /// Sets the rate-limit bucket, to show what happens when it runs dry.
    rate_limit_remaining: Option<u64>,
}

async fn set_settings(
    State(st): State<Shared>,
    Json(c): Json<SettingsChange>,
) -> Result<StatusCode, ApiError> {
    if let Some(n) = c.page_size {
        if !(1..=super::range::LIMIT_MAX).contains(&n) {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_params",
                "page_size is from 1 to 1000.",
            ));
        }
        st.settings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .page_size = n;
    }
    if let Some(n) = c.rate_limit_remaining {
        let mut b = st.bucket.lock().unwrap_or_else(|e| e.into_inner());
        b.tokens = (n as f64).min(super::RATE_CAPACITY);
        b.at = std::time::Instant::now();
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn get_settings(State(st): State<Shared>) -> Json<Settings> {
    Json(
        st.settings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone(),
    )
}
