//! The axum application: Leptos pages and server functions, with the
//! console and the caller in their context, and the middleware around them:
//! from the outside in, trace, security headers, the client's address, the
//! same-site check, sessions, and the gate that signs requests in and
//! applies the roles.

use crate::auth::gate::gate;
use crate::auth::{Auth, handlers};
use app::console::SharedConsole;
use app::me::{Me, PageRefused};
use axum::{
    Router,
    extract::FromRef,
    extract::Request,
    middleware,
    routing::{get, post},
};
use domain::access::Caller;
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use std::sync::Arc;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

pub use sessions::Sessions;

mod assets;
mod downloads;
mod security;
mod sessions;
pub mod site_files;

/// Where the console is reached, as far as cookies and origins go.
#[derive(Clone, Debug)]
pub struct Site {
    /// `scheme://host[:port]` of `--public-url`, if given.
    pub public_origin: Option<String>,
    /// Served over https (behind a proxy): the session cookie is Secure.
    pub secure: bool,
}

impl Site {
    pub fn from_public_url(url: Option<&url::Url>) -> Self {
        Self {
            public_origin: url.map(|u| u.origin().ascii_serialization()),
            secure: url.is_some_and(|u| u.scheme() == "https"),
        }
    }

    fn is_public_origin(&self, origin: &str) -> bool {
        self.public_origin.as_deref() == Some(origin)
    }

    /// The session cookie's name: over https the `__Host-` prefix also pins
    /// it to this host.
    pub fn cookie_name(&self) -> &'static str {
        if self.secure {
            "__Host-spaceport"
        } else {
            "spaceport"
        }
    }
}

/// What the handlers and middleware take, each its part through `FromRef`.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos: LeptosOptions,
    /// The site's file names, read once at start-up for every page.
    pub files: app::site::SiteFiles,
    pub console: SharedConsole,
    pub auth: Arc<Auth>,
    pub site: Site,
    pub proxies: crate::address::TrustedProxies,
    /// How people sign in, for the sign-in page.
    pub sign_in: app::me::SignInOptions,
}

/// The console's routes and middleware over `state`, its sessions kept in
/// `sessions` (not in the state, which is cloned for every request).
pub fn app(state: AppState, sessions: Sessions) -> Router {
    let routes = generate_route_list(app::App);
    let console = state.console.clone();
    let files = state.files.clone();
    let sign_in = state.sign_in.clone();
    let fallback_files = state.files.clone();
    // HttpOnly (no script reads it), SameSite=Strict (no other site's page
    // sends it), Secure over https, where the `__Host-` prefix also pins it
    // to this host. The store and the cookie keep a session up to its
    // absolute limit; the gate ends it sooner when idle, and can then say
    // the sign-in expired rather than that there was none.
    let sessions = SessionManagerLayer::new(sessions)
        .with_name(state.site.cookie_name())
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_secure(state.site.secure)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(
            time::Duration::try_from(state.auth.max_age).unwrap_or(time::Duration::HOUR),
        ));
    Router::new()
        .route("/signin", post(handlers::sign_in))
        .route("/signout", post(handlers::sign_out))
        .route("/signin/sso", get(handlers::sso_start))
        .route("/signin/sso/callback", get(handlers::sso_callback))
        .route("/password", post(handlers::change_password))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .merge(downloads::routes())
        .nest("/pkg", assets::service(&state.leptos.site_root))
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_context(console.clone());
                provide_context(sign_in.clone());
                // The page's caller, from the request the gate annotated,
                // and why the page is refused to them, if it is.
                let parts = use_context::<http::request::Parts>();
                let caller = parts
                    .as_ref()
                    .and_then(|p| p.extensions.get::<Caller>().cloned());
                if let Some(refused) = parts
                    .as_ref()
                    .and_then(|p| p.extensions.get::<PageRefused>().cloned())
                {
                    provide_context(refused);
                }
                let alarm = caller
                    .as_ref()
                    .and_then(|c| console.alarm(c).ok().flatten());
                provide_context(app::pages::alarm::PageAlarm(alarm));
                provide_context(Me(caller));
            },
            move || app::shell(files.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(
            move |_| app::shell(fallback_files.clone()),
        ))
        // Each middleware holds only its part of the state: it is cloned
        // for every request, and the whole of it was 1.5% of a loaded
        // console's samples (BENCHMARKS.md).
        .layer(middleware::from_fn_with_state(state.auth.clone(), gate))
        .layer(sessions)
        .layer(middleware::from_fn_with_state(
            security::SameSite {
                site: state.site.clone(),
                refusals: state.auth.refusals.clone(),
            },
            security::same_site_only,
        ))
        .layer(middleware::from_fn_with_state(
            state.proxies.clone(),
            crate::address::client_address,
        ))
        .layer(middleware::from_fn(crate::metrics::count_requests))
        .layer(middleware::from_fn(security::headers))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .with_state(state)
}

/// 200 when the console can work (its database is writable and the
/// provider answered lately), 503 with the reason when not.
async fn readyz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match state.console.ready().await {
        Ok(()) => (http::StatusCode::OK, "ready").into_response(),
        Err(reason) => {
            tracing::warn!(%reason, "not ready");
            (
                http::StatusCode::SERVICE_UNAVAILABLE,
                format!("not ready: {reason}"),
            )
                .into_response()
        }
    }
}

/// Each request's span, at INFO: its method and route. The gate records
/// the user on it once the session is resolved.
fn request_span(req: &Request) -> tracing::Span {
    tracing::info_span!(
        "request",
        method = %req.method(),
        route = %req.uri().path(),
        user = tracing::field::Empty,
    )
}
