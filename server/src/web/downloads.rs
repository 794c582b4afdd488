//! Files to download, for the signed-in: a space's Terraform and the
//! peerings inventory as CSV or JSON. The gate has signed the caller in
//! (or sent them to sign in) and applied their limit, as for any page;
//! what they get is what the server functions of the same name answer.

use app::console::SharedConsole;
use app::me::PageRefused;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::access::Caller;
use domain::error::AppError;
use domain::ids::{SpaceRef, parse};

pub fn routes() -> axum::Router<super::AppState> {
    axum::Router::new()
        .route("/export/peerings.csv", axum::routing::get(inventory_csv))
        .route("/export/peerings.json", axum::routing::get(inventory_json))
        .route("/export/terraform/{file}", axum::routing::get(terraform))
}

/// The caller the gate put on the request, unless it refused them.
fn caller(req: &Request) -> Result<Caller, AppError> {
    if let Some(PageRefused(why)) = req.extensions().get::<PageRefused>() {
        return Err(AppError::Forbidden(why.clone()));
    }
    req.extensions()
        .get::<Caller>()
        .cloned()
        .ok_or_else(|| AppError::Unauthenticated("Sign in to use Spaceport.".into()))
}

/// An error as a plain-text answer with its status: a download has no
/// page to show it in.
fn said(e: &AppError) -> Response {
    let status = StatusCode::from_u16(e.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        e.to_string(),
    )
        .into_response()
}

fn file(content_type: &'static str, name: &str, body: String) -> Response {
    // The name is a checked space name or a fixed one: no quote to escape.
    let disposition = format!("attachment; filename=\"{name}\"");
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

async fn inventory_csv(State(console): State<SharedConsole>, req: Request) -> Response {
    let who = match caller(&req) {
        Ok(who) => who,
        Err(refused) => return said(&refused),
    };
    let rows = match console.inventory(&who).await {
        Ok(rows) => rows,
        Err(e) => return said(&e),
    };
    match crate::export::inventory::to_csv(&rows) {
        Ok(csv) => file("text/csv; charset=utf-8", "peerings.csv", csv),
        Err(e) => {
            tracing::error!(error = %e, "the inventory could not be written as CSV");
            said(&AppError::Internal)
        }
    }
}

async fn inventory_json(State(console): State<SharedConsole>, req: Request) -> Response {
    let who = match caller(&req) {
        Ok(who) => who,
        Err(refused) => return said(&refused),
    };
    match console.inventory(&who).await {
        Ok(rows) => {
            let json = serde_json::to_string_pretty(&rows).unwrap_or_default();
            file("application/json", "peerings.json", json)
        }
        Err(e) => said(&e),
    }
}

async fn terraform(
    State(console): State<SharedConsole>,
    Path(file_name): Path<String>,
    req: Request,
) -> Response {
    let who = match caller(&req) {
        Ok(who) => who,
        Err(refused) => return said(&refused),
    };
    let Some(space) = file_name.strip_suffix(".tf") else {
        return said(&AppError::NotFound(format!(
            "No file \"{file_name}\" here: a space's Terraform is SPACE.tf."
        )));
    };
    let space: SpaceRef = match parse(space) {
        Ok(s) => s,
        Err(e) => return said(&e),
    };
    match console.terraform(&who, &space).await {
        Ok(hcl) => file("text/plain; charset=utf-8", &format!("{space}.tf"), hcl),
        Err(e) => said(&e),
    }
}
