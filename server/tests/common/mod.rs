//! Shared set-up for the integration tests: a simulated provider on a free
//! loopback port, and a whole console (router, SQLite file in a temporary
//! directory) pointed at it over real HTTP.
#![allow(dead_code)]

use clap::Parser;
use server::config::Cli;
use server::sim::{self, SimOptions};
use std::time::Duration;

pub const TOKEN: &str = "test-token-7f3a";
pub const SPACE: &str = "spaces-peering-example";
pub const PCX: &str = "pcx-111aaa111";

pub struct Sim {
    pub url: String,
    pub data_url: String,
    http: reqwest::Client,
}

impl Sim {
    /// A simulator where provisioning takes 60 s / `scale`.
    pub async fn start(scale: f64) -> Self {
        let addr = sim::spawn_loopback(SimOptions {
            time_scale: scale,
            token: Some(TOKEN.into()),
        })
        .await
        .expect("simulator starts");
        Self {
            url: format!("http://{}", addr.platform),
            data_url: format!("http://{}", addr.data),
            http: reqwest::Client::new(),
        }
    }

    /// Calls the control surface (`/_sim/...`), which plays the AWS side.
    pub async fn control(
        &self,
        method: reqwest::Method,
        path: &str,
        body: serde_json::Value,
    ) -> reqwest::Response {
        self.http
            .request(method, format!("{}/_sim{path}", self.url))
            .json(&body)
            .send()
            .await
            .expect("control surface answers")
    }

    pub fn client(&self) -> server::provider::ProviderClient {
        server::provider::ProviderClient::new(server::provider::ProviderConfig {
            api_url: self.url.parse().unwrap(),
            data_api_url: self.data_url.parse().unwrap(),
            token: TOKEN.into(),
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(5),
        })
        .unwrap()
    }
}

pub struct Console {
    pub base: String,
    pub http: reqwest::Client,
    pub sim: Sim,
    pub console: std::sync::Arc<server::console::ServerConsole>,
    pub db: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Console {
    pub async fn start() -> Self {
        let sim = Sim::start(600.0).await;
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("audit.db");
        let cli = Cli::try_parse_from([
            "spaceport",
            "--listen",
            "127.0.0.1:0",
            "--database",
            db.to_str().unwrap(),
            "--api-url",
            &sim.url,
            "--data-api-url",
            &sim.data_url,
            "--api-key",
            TOKEN,
            "--operator",
            "ops-test",
            "--refresh-secs",
            "1",
        ])
        .unwrap();
        let (router, console) = server::startup::build(&cli.serve)
            .await
            .expect("console builds");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self {
            base: format!("http://{addr}"),
            http: reqwest::Client::new(),
            sim,
            console,
            db,
            _dir: dir,
        }
    }

    /// Calls a server function the way the browser does (URL-encoded POST).
    pub async fn call(&self, name: &str, form: &[(&str, &str)]) -> (u16, serde_json::Value) {
        let res = self
            .http
            .post(format!("{}/api/{name}", self.base))
            .header("Accept", "application/json")
            .form(form)
            .send()
            .await
            .expect("server answers");
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
        (status, body)
    }

    pub async fn peering_status(&self, pcx: &str) -> String {
        let (status, view) = self.call("space", &[("space", SPACE)]).await;
        assert_eq!(status, 200, "{view}");
        view["peerings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["pcx_id"] == pcx)
            .map(|p| p["status"].as_str().unwrap().to_string())
            .unwrap_or_default()
    }
}
