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
/// The `Accept` every client of the provider's APIs must send.
/// Seeded data add-ons of `SPACE`.
pub const PG: &str = "postgresql-curved-12345";
pub const REDIS: &str = "redis-sushi-12345";
pub const CACHE: &str = "redis-cache-67890";

/// What the simulator counts, as `/_sim/stats` says it.
#[derive(Debug, serde::Deserialize)]
pub struct SimStats {
    /// Calls answered.
    pub calls: u64,
    /// Calls that changed something.
    pub changes: u64,
}

pub const API_VERSION: &str = "application/vnd.heroku+json; version=3";

#[derive(Clone)]
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
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
            .await
            .expect("control surface answers")
    }

    /// What the simulator has counted so far.
    pub async fn stats(&self) -> SimStats {
        self.control(reqwest::Method::GET, "/stats", serde_json::Value::Null)
            .await
            .json()
            .await
            .expect("the simulator's counts")
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

/// The password of every user the tests make.
pub const PASSWORD: &str = "test-password-1";

/// Makes `t-viewer`, `t-operator` and `t-admin` in the console's database,
/// before it starts (so no first admin is made).
pub async fn make_users(db: &std::path::Path) {
    let audit = server::audit::AuditLog::open(db).await.unwrap();
    make_users_in(audit.db()).await;
}

/// Makes the test users in `db` (see `make_users`).
pub async fn make_users_in(db: &server::db::Db) {
    let users = server::users::Users::new(db.clone());
    for role in domain::access::Role::ALL {
        users
            .create(server::users::NewUser {
                name: &format!("t-{role}").parse().unwrap(),
                role,
                password: &domain::ids::Secret::new(PASSWORD),
                one_time: false,
                demo: false,
                granted: server::users::Granted::by("command line"),
            })
            .await
            .unwrap();
    }
}

/// Lets every action through without approval, as the tests written
/// before four eyes expect (the approvals tests keep the default policy).
pub async fn open_policy(db: &std::path::Path) {
    let audit = server::audit::AuditLog::open(db).await.unwrap();
    let approvals = server::approvals::Approvals::new(audit.db().clone());
    let mut policy = domain::policy::Policy::default();
    policy.approvals.clear();
    approvals.set_policy(&policy).await.unwrap();
}

/// The body of a GET of `url` by `client`, whatever its status.
pub async fn get_text(client: &reqwest::Client, url: &str) -> String {
    client.get(url).send().await.unwrap().text().await.unwrap()
}

/// An HTTP client that keeps cookies and says where its requests come
/// from, like a browser on the console's own pages.
pub fn browser() -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        "sec-fetch-site",
        reqwest::header::HeaderValue::from_static("same-origin"),
    );
    browser_with(headers)
}

/// An HTTP client that keeps cookies and sends `headers` with every request.
pub fn browser_with(headers: reqwest::header::HeaderMap) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Signs `client` in; returns the status and where the answer points.
pub async fn sign_in(client: &reqwest::Client, base: &str, name: &str, password: &str) -> String {
    let res = client
        .post(format!("{base}/signin"))
        .form(&[("name", name), ("password", password), ("next", "/")])
        .send()
        .await
        .expect("server answers");
    assert_eq!(
        res.status().as_u16(),
        303,
        "sign-in answers with a redirect"
    );
    res.headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// A console's router called in-process (`tower::ServiceExt::oneshot`, no
/// socket) as the console's own pages call it, with one session's cookie.
pub struct InProcess {
    router: axum::Router,
    cookie: std::sync::Mutex<Option<String>>,
}

impl InProcess {
    pub fn new(router: axum::Router) -> Self {
        Self {
            router,
            cookie: std::sync::Mutex::new(None),
        }
    }

    /// A session of `router` with the cookie another console gave: the
    /// same browser, sent to another console behind the same address.
    pub fn with_cookie(router: axum::Router, cookie: &str) -> Self {
        Self {
            router,
            cookie: std::sync::Mutex::new(Some(cookie.to_string())),
        }
    }

    /// The session cookie (`name=value`), once signed in.
    pub fn cookie(&self) -> Option<String> {
        self.cookie.lock().unwrap().clone()
    }

    /// One request; a form is sent URL-encoded, as a server function's.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        form: &[(&str, &str)],
    ) -> (axum::http::StatusCode, String) {
        use axum::http::header;
        use tower::ServiceExt;
        let mut req = axum::http::Request::builder()
            .method(method)
            .uri(path)
            .header("sec-fetch-site", "same-origin")
            .header(header::ACCEPT, "application/json");
        if let Some(c) = self.cookie.lock().unwrap().clone() {
            req = req.header(header::COOKIE, c);
        }
        let body = if method == "POST" {
            req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            let mut encoded = url::form_urlencoded::Serializer::new(String::new());
            encoded.extend_pairs(form.iter());
            axum::body::Body::from(encoded.finish())
        } else {
            axum::body::Body::empty()
        };
        let res = self
            .router
            .clone()
            .oneshot(req.body(body).unwrap())
            .await
            .unwrap();
        if let Some(set) = res.headers().get(header::SET_COOKIE) {
            let pair = set.to_str().unwrap().split(';').next().unwrap().to_string();
            *self.cookie.lock().unwrap() = Some(pair);
        }
        let status = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 22)
            .await
            .unwrap();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    pub async fn sign_in(&self, name: &str, password: &str) {
        assert!(self.try_sign_in(name, password).await, "a session cookie");
    }

    /// Signs in if the console lets `name` sign in with a password;
    /// whether it did.
    pub async fn try_sign_in(&self, name: &str, password: &str) -> bool {
        let (status, _) = self
            .send(
                "POST",
                "/signin",
                &[("name", name), ("password", password), ("next", "/")],
            )
            .await;
        assert_eq!(status.as_u16(), 303, "sign-in answers with a redirect");
        self.cookie.lock().unwrap().is_some()
    }

    /// Calls a server function; its status and its JSON answer.
    pub async fn call(&self, name: &str, form: &[(&str, &str)]) -> (u16, serde_json::Value) {
        let (status, text) = self.send("POST", &format!("/api/{name}"), form).await;
        let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
        (status.as_u16(), body)
    }

    /// A server function's answer, read as the type the function returns
    /// (a refusal, or an answer of another shape, fails the test).
    pub async fn read<T: serde::de::DeserializeOwned>(
        &self,
        name: &str,
        form: &[(&str, &str)],
    ) -> T {
        let (status, answer) = self.call(name, form).await;
        assert_eq!(status, 200, "{name}: {answer}");
        serde_json::from_value(answer).unwrap_or_else(|e| panic!("{name}: {e}"))
    }
}

/// Calls a server function of the console at `base` over HTTP, the way
/// the browser does (URL-encoded POST), with `client`'s session.
pub async fn call_at(
    base: &str,
    client: &reqwest::Client,
    name: &str,
    form: &[(&str, &str)],
) -> (u16, serde_json::Value) {
    let res = client
        .post(format!("{base}/api/{name}"))
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

/// Serves a console's router on a free loopback port; returns its base URL.
pub async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { server::startup::serve_on(listener, router).await });
    format!("http://{addr}")
}

pub struct Console {
    pub base: String,
    /// Signed in as `t-admin`, who may do everything, over TCP.
    pub http: reqwest::Client,
    /// Signed in as `t-admin` too, in-process: what `call` uses.
    pub admin: InProcess,
    /// The console's router, for more in-process sessions.
    pub router: axum::Router,
    pub sim: Sim,
    pub console: std::sync::Arc<server::console::ServerConsole>,
    /// The SQLite file (for a console on PostgreSQL, what its files are
    /// named after).
    pub db: std::path::PathBuf,
    _dir: Option<tempfile::TempDir>,
}

impl Console {
    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// A console with extra command-line flags, whose policy needs no
    /// approvals.
    pub async fn start_with(extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("audit.db");
        make_users(&db).await;
        open_policy(&db).await;
        Self::start_in(dir, db, extra).await
    }

    /// A console with a new console's policy: accepts and destroys wait
    /// for another person.
    pub async fn start_four_eyes() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("audit.db");
        make_users(&db).await;
        Self::start_in(dir, db, &[]).await
    }

    /// A console on `db` (in `dir`, kept as long as the console), whose
    /// users already exist, against a simulator of its own.
    pub async fn start_in(dir: tempfile::TempDir, db: std::path::PathBuf, extra: &[&str]) -> Self {
        let database = db.to_str().unwrap().to_string();
        Self::start_against(Sim::start(600.0).await, Some(dir), db, &database, extra).await
    }

    /// The same console started again, on the same file and provider (its
    /// first instance is left as it is, as after a crash).
    pub async fn restart(self, extra: &[&str]) -> Self {
        let database = self.db.to_str().unwrap().to_string();
        Self::start_against(self.sim, self._dir, self.db, &database, extra).await
    }

    /// One of several consoles on the database at `at` (PostgreSQL),
    /// against `sim`, signing the history with the key in `key_file`; its
    /// users already exist.
    pub async fn start_shared(
        sim: &Sim,
        at: &server::db::Location,
        key_file: &std::path::Path,
        extra: &[&str],
    ) -> Self {
        let mut args = vec!["--audit-key-file", key_file.to_str().unwrap()];
        args.extend_from_slice(extra);
        let database = match at {
            server::db::Location::Postgres(url) => url.clone(),
            server::db::Location::File(path) => path.to_str().unwrap().to_string(),
        };
        Self::start_against(sim.clone(), None, at.files_base(), &database, &args).await
    }

    async fn start_against(
        sim: Sim,
        dir: Option<tempfile::TempDir>,
        db: std::path::PathBuf,
        database: &str,
        extra: &[&str],
    ) -> Self {
        let mut args = vec![
            "spaceport",
            "--listen",
            "127.0.0.1:0",
            "--database",
            database,
            "--api-url",
            &sim.url,
            "--data-api-url",
            &sim.data_url,
            "--api-key",
            TOKEN,
        ];
        // A flag given twice is refused by the parser. The watcher is off
        // unless a test wants it: its reads would count among the
        // provider calls many tests count.
        if !extra.contains(&"--refresh-secs") {
            args.extend_from_slice(&["--refresh-secs", "1"]);
        }
        if !extra.contains(&"--watch-calls-per-hour") {
            args.extend_from_slice(&["--watch-calls-per-hour", "0"]);
        }
        args.extend_from_slice(extra);
        let cli = Cli::try_parse_from(args).unwrap();
        let (router, console) = server::startup::build(&cli.serve)
            .await
            .expect("console builds");
        let base = serve(router.clone()).await;
        let http = browser();
        sign_in(&http, &base, "t-admin", PASSWORD).await;
        // Signed in unless the console signs nobody in with a password
        // (`--local-sign-in off`).
        let admin = InProcess::new(router.clone());
        admin.try_sign_in("t-admin", PASSWORD).await;
        Self {
            base,
            http,
            admin,
            router,
            sim,
            console,
            db,
            _dir: dir,
        }
    }

    /// An in-process session of `t-<role>`, or of nobody.
    pub async fn in_process_as(&self, role: Option<domain::access::Role>) -> InProcess {
        let session = InProcess::new(self.router.clone());
        if let Some(role) = role {
            session.sign_in(&format!("t-{role}"), PASSWORD).await;
        }
        session
    }

    /// A client signed in as `t-<role>`.
    pub async fn as_role(&self, role: domain::access::Role) -> reqwest::Client {
        let client = browser();
        sign_in(&client, &self.base, &format!("t-{role}"), PASSWORD).await;
        client
    }

    /// Calls a server function the way the browser does (URL-encoded
    /// POST), as `t-admin`, in-process.
    pub async fn call(&self, name: &str, form: &[(&str, &str)]) -> (u16, serde_json::Value) {
        self.admin.call(name, form).await
    }

    /// A server function's answer as `t-admin` (see `InProcess::read`).
    pub async fn read<T: serde::de::DeserializeOwned>(
        &self,
        name: &str,
        form: &[(&str, &str)],
    ) -> T {
        self.admin.read(name, form).await
    }

    /// The history's newest page under `filters`, as its server function
    /// answers it.
    pub async fn audit(&self, filters: &[(&str, &str)]) -> domain::model::AuditPage {
        let (status, page) = self.call("audit", filters).await;
        assert_eq!(status, 200, "{page}");
        serde_json::from_value(page).expect("an audit page")
    }

    /// Calls a server function with `client`'s session.
    pub async fn call_as(
        &self,
        client: &reqwest::Client,
        name: &str,
        form: &[(&str, &str)],
    ) -> (u16, serde_json::Value) {
        call_at(&self.base, client, name, form).await
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

/// An audit page without the sign-in records the test's own sign-ins left,
/// so a test counts only the actions it made.
pub fn without_sign_ins(mut page: domain::model::AuditPage) -> domain::model::AuditPage {
    use domain::kind::AuditName as N;
    page.entries.retain(|e| {
        !matches!(
            e.action.parse(),
            Ok(N::SignIn | N::SignOut | N::Refused | N::AuditKeyed)
        )
    });
    page
}

/// Runs `spaceport user ARGS --database DB` with `stdin`; whether it
/// succeeded, and everything it printed.
pub fn spaceport(db: &std::path::Path, args: &[&str], stdin: &str) -> (bool, String) {
    let (code, out) = run_spaceport("user", db, args, stdin);
    (code == Some(0), out)
}

/// Runs `spaceport token ARGS --database DB`; its exit status and
/// everything it printed.
pub fn spaceport_token(db: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    run_spaceport("token", db, args, "")
}

/// Runs `spaceport audit ARGS --database DB`; its exit status and
/// everything it printed.
pub fn spaceport_audit(db: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    run_spaceport("audit", db, args, "")
}

/// Runs `spaceport policy ARGS --database DB`; whether it succeeded, and
/// everything it printed.
pub fn spaceport_policy(db: &std::path::Path, args: &[&str]) -> (bool, String) {
    let (code, out) = run_spaceport("policy", db, args, "");
    (code == Some(0), out)
}

/// Runs `spaceport backup FILE --database DB`; its exit status and
/// everything it printed.
pub fn spaceport_backup(db: &std::path::Path, file: &std::path::Path) -> (Option<i32>, String) {
    run_spaceport("backup", db, &[file.to_str().unwrap()], "")
}

fn run_spaceport(
    command: &str,
    db: &std::path::Path,
    args: &[&str],
    stdin: &str,
) -> (Option<i32>, String) {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_spaceport"))
        .arg(command)
        .args(args)
        .arg("--database")
        .arg(db)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code(), text)
}

/// Which database a store test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A new, empty database for one test, and what keeps it.
pub struct TestDatabase {
    pub location: server::db::Location,
    /// The SQLite file's directory, removed with it.
    _dir: Option<tempfile::TempDir>,
}

/// The test PostgreSQL server scripts/test.sh starts (scripts/postgres.sh
/// prints its URL), as `SPACEPORT_TEST_POSTGRES` names it.
pub fn test_postgres() -> String {
    std::env::var("SPACEPORT_TEST_POSTGRES").unwrap_or_else(|_| {
        panic!(
            "SPACEPORT_TEST_POSTGRES is not set: run the tests with scripts/test.sh, which starts \
             a PostgreSQL server for them, or start one with `scripts/postgres.sh start DIR` \
             and export the URL it prints"
        )
    })
}

/// A database of its own for one test: a SQLite file in a temporary
/// directory, or a new database on the test PostgreSQL server.
pub async fn fresh_database(backend: Backend) -> TestDatabase {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            TestDatabase {
                location: server::db::Location::File(dir.path().join("test.db")),
                _dir: Some(dir),
            }
        }
        Backend::Postgres => {
            let server = test_postgres();
            let name = format!("t_{}", uuid::Uuid::new_v4().simple());
            let admin = sqlx::PgPool::connect(&server).await.unwrap();
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&admin)
                .await
                .unwrap();
            admin.close().await;
            let mut url = url::Url::parse(&server).unwrap();
            url.set_path(&name);
            TestDatabase {
                location: server::db::Location::Postgres(url.to_string()),
                _dir: None,
            }
        }
    }
}
