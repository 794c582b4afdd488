//! The axum application: Leptos pages and server functions, with the
//! console in their context, and the middleware around them.

use app::console::SharedConsole;
use app::error::AppError;
use axum::{
    Router,
    body::Body,
    extract::Request,
    http::{HeaderValue, StatusCode, header},
    middleware::{self, Next},
    response::Response,
};
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

#[derive(Clone)]
pub struct AppState {
    pub leptos: LeptosOptions,
    pub console: SharedConsole,
}

pub fn app(state: AppState) -> Router {
    let routes = generate_route_list(app::App);
    let console = state.console.clone();
    let options = state.leptos.clone();
    Router::new()
        .leptos_routes_with_context(
            &state.leptos,
            routes,
            move || provide_context(console.clone()),
            move || app::shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler(app::shell))
        .layer(middleware::from_fn(server_fn_status))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state.leptos)
}

/// Server functions answer every error with 500; this gives each its own
/// status (400 for bad input, 404, 409, 429, 502...) from the `AppError` in
/// the body, and logs the ones that are really the server's fault.
async fn server_fn_status(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !res.headers().contains_key("serverfnerror")
    {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return Response::from_parts(parts, Body::empty());
    };
    match serde_json::from_slice::<AppError>(&bytes) {
        Ok(e) => {
            if let Ok(status) = StatusCode::from_u16(e.status_code()) {
                parts.status = status;
            }
            if e == AppError::Internal {
                tracing::error!("a server function failed internally");
            }
        }
        Err(_) => {
            tracing::error!(body = %String::from_utf8_lossy(&bytes), "unparsable server function error")
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}
