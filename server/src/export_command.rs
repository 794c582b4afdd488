//! `spaceport export`: asks a running console, with a token for
//! automation, for a space's Terraform or the peerings inventory, and
//! writes it to standard output. The console holds the provider's token;
//! this command never needs it.

use crate::config::{ExportArgs, ExportFormat, ExportWhat};
use domain::error::AppError;
use domain::views::InventoryRow;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(
        "no token: set SPACEPORT_TOKEN or name a file with --token-file (make one with `spaceport token create`)"
    )]
    NoToken,
    #[error("the console at {0} could not be reached: {1}")]
    Unreachable(url::Url, reqwest::Error),
    #[error("the console refused: {0}")]
    Refused(AppError),
    #[error("the console's answer could not be read: {0}")]
    Answer(String),
}

pub async fn run(args: ExportArgs) -> Result<(), ExportError> {
    let token = args.token.clone().ok_or(ExportError::NoToken)?;
    let out = match args.what {
        ExportWhat::Terraform => {
            let space = args.space.clone().unwrap_or_default();
            call::<String>(&args.console, &token, "terraform", &[("space", &space)]).await?
        }
        ExportWhat::Peerings => {
            let rows: Vec<InventoryRow> =
                call(&args.console, &token, "peerings_inventory", &[]).await?;
            match args.format {
                ExportFormat::Csv => crate::export::inventory::to_csv(&rows)
                    .map_err(|e| ExportError::Answer(e.to_string()))?,
                ExportFormat::Json => {
                    serde_json::to_string_pretty(&rows)
                        .map_err(|e| ExportError::Answer(e.to_string()))?
                        + "\n"
                }
            }
        }
    };
    print!("{out}");
    Ok(())
}

/// Calls the console's server function `name` with `fields`, as the
/// token's service user.
async fn call<T: serde::de::DeserializeOwned>(
    console: &url::Url,
    token: &str,
    name: &str,
    fields: &[(&str, &str)],
) -> Result<T, ExportError> {
    let url = console
        .join(&format!("api/{name}"))
        .map_err(|e| ExportError::Answer(e.to_string()))?;
    let res = reqwest::Client::new()
        .post(url)
        .bearer_auth(token)
        .form(fields)
        .send()
        .await
        .map_err(|e| ExportError::Unreachable(console.clone(), e))?;
    let ok = res.status().is_success();
    let body = res
        .text()
        .await
        .map_err(|e| ExportError::Unreachable(console.clone(), e))?;
    if !ok {
        let e = serde_json::from_str::<AppError>(&body)
            .unwrap_or_else(|_| AppError::Transport(body.chars().take(200).collect()));
        return Err(ExportError::Refused(e));
    }
    serde_json::from_str(&body).map_err(|e| ExportError::Answer(e.to_string()))
}
