//! The simulated Data API: PrivateLink endpoint services of data add-ons,
//! on its own address, behind the same envelope as the Platform API (the
//! provider's CLI authenticates here with HTTP Basic, the token as password).

use super::Shared;
use super::api::{ApiError, body, envelope, no_such_endpoint};
use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, State},
    http::StatusCode,
    middleware,
    response::{IntoResponse, Response},
    routing::get,
};
use time::OffsetDateTime;

type ApiResult = Result<Response, ApiError>;

pub fn router(state: Shared) -> Router<Shared> {
    Router::new()
        .route(
            "/private-link/v0/databases/{addon}",
            get(show).post(create).delete(destroy),
        )
        .route(
            "/private-link/v0/databases/{addon}/allowed_accounts",
            axum::routing::put(add_accounts).patch(remove_accounts),
        )
        .fallback(no_such_endpoint)
        .method_not_allowed_fallback(no_such_endpoint)
        .layer(middleware::from_fn_with_state(state, envelope))
}

#[derive(serde::Deserialize)]
struct Accounts {
    allowed_accounts: Vec<String>,
}

const ACCOUNTS_SHAPE: &str = "{\"allowed_accounts\": [\"123456789012:user/NAME\"]}";

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

async fn show(State(st): State<Shared>, Path(addon): Path<String>) -> ApiResult {
    Ok(Json(st.data().answer(&addon, now())?).into_response())
}

async fn create(State(st): State<Shared>, Path(addon): Path<String>, bytes: Bytes) -> ApiResult {
    let Accounts { allowed_accounts } = body(&bytes, ACCOUNTS_SHAPE)?;
    // The endpoint service lives in the region of the add-on's space.
    let space = {
        let data = st.data();
        let (app, _) = data.addon(&addon)?;
        app.app.space.as_ref().map(|s| s.name.clone())
    };
    let region = match space {
        Some(space) => st.world().space(&space)?.info.aws_region.clone(),
        None => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_params",
                format!("{addon} is not in a Private Space; PrivateLink needs one."),
            ));
        }
    };
    let link = st
        .data()
        .create(&addon, &allowed_accounts, &region, now())?;
    Ok((StatusCode::CREATED, Json(link)).into_response())
}

async fn destroy(State(st): State<Shared>, Path(addon): Path<String>) -> ApiResult {
    Ok(Json(st.data().destroy(&addon, now())?).into_response())
}

async fn add_accounts(
    State(st): State<Shared>,
    Path(addon): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let Accounts { allowed_accounts } = body(&bytes, ACCOUNTS_SHAPE)?;
    let link = st.data().add_accounts(&addon, &allowed_accounts, now())?;
    Ok((StatusCode::ACCEPTED, Json(link)).into_response())
}

async fn remove_accounts(
    State(st): State<Shared>,
    Path(addon): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let Accounts { allowed_accounts } = body(&bytes, ACCOUNTS_SHAPE)?;
    let link = st
        .data()
        .remove_accounts(&addon, &allowed_accounts, now())?;
    Ok(Json(link).into_response())
}
