//! Start-up: from parsed arguments to a running console.

use crate::actions::Executor;
use crate::address::TrustedProxies;
use crate::audit::AuditLog;
use crate::audit::integrity::Integrity;
use crate::audit::key::AuditKey;
use crate::auth::refusals::Refusals;
use crate::auth::throttle::{Policy, Throttle};
use crate::auth::{Auth, bootstrap};
use crate::config::{ProviderChoice, ServeArgs, SimArgs};
use crate::console::ServerConsole;
use crate::gateway::Gateway;
use crate::limit::KeyedBuckets;
use crate::listener::{TunedListener, tuned};
use crate::notify::deliver::Outbox;
use crate::provider::{ProviderClient, ProviderConfig};
use crate::sim::{self, SimOptions};
use crate::users::Users;
use crate::watch::{WatchLog, Watcher};
use crate::web::{AppState, Site, app};
use app::console::SharedConsole;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Config(String),
    #[error("cannot listen: {0}")]
    Listen(#[from] std::io::Error),
    #[error(transparent)]
    Audit(#[from] crate::audit::AuditError),
    #[error(transparent)]
    Database(#[from] crate::db::DbError),
    #[error("provider client: {0}")]
    Provider(#[from] crate::provider::ProviderError),
    #[error("users: {0}")]
    Users(#[from] bootstrap::BootstrapError),
    #[error(
        "the database {database} serves {bound}, not {wanted}. Start it against {bound}, or \
         give another --database (the demo's own is spaceport-demo.db)."
    )]
    OtherProvider {
        database: String,
        bound: String,
        wanted: String,
    },
}

/// How the database names the provider it serves.
fn provider_name(choice: &ProviderChoice) -> String {
    match choice {
        ProviderChoice::Simulated => "the simulated provider".into(),
        ProviderChoice::Real { url, .. } => url.to_string(),
    }
}

/// Ties the database to the provider of its first start and refuses any
/// other: a demo started on a real console's file would otherwise make
/// demo users (and let them make real ones) that survive into real use,
/// and a console moved to another account would mix two histories.
async fn bind_provider(
    audit: &AuditLog,
    database: &crate::db::Location,
    choice: &ProviderChoice,
) -> Result<(), StartError> {
    let wanted = provider_name(choice);
    let bound = audit
        .db()
        .bind_provider(&wanted)
        .await
        .map_err(crate::audit::AuditError::from)?;
    if bound == wanted {
        Ok(())
    } else {
        Err(StartError::OtherProvider {
            database: database.to_string(),
            bound,
            wanted,
        })
    }
}

/// A random token for the embedded simulator: the client sends it like a
/// real one, and nothing else on the machine can use the simulator's API.
fn random_token() -> String {
    use rand::Rng;
    let bytes: [u8; 24] = rand::rng().random();
    hex::encode(bytes)
}

/// The console as `serve` runs it, ready to be served: the router and the
/// console behind it. Starts the embedded simulator when there is no token.
pub async fn build(args: &ServeArgs) -> Result<(axum::Router, Arc<ServerConsole>), StartError> {
    let choice = args.provider().map_err(StartError::Config)?;
    let (url, data_url, token) = match &choice {
        ProviderChoice::Real {
            url,
            data_url,
            token,
        } => {
            tracing::info!(api = %url, data_api = %data_url, "using the provider's APIs");
            (url.clone(), data_url.clone(), token.clone())
        }
        ProviderChoice::Simulated => {
            let token = random_token();
            let addrs = sim::spawn(
                SimOptions {
                    time_scale: args.sim_time_scale,
                    token: Some(token.clone()),
                },
                args.sim_listen,
                args.sim_data_listen,
            )
            .await?;
            let url = url::Url::parse(&format!("http://{}", addrs.platform)).expect("loopback URL");
            let data_url =
                url::Url::parse(&format!("http://{}", addrs.data)).expect("loopback URL");
            println!(
                "No HEROKU_API_KEY: using the simulated provider at {url} (demo data, time scale {}).",
                args.sim_time_scale
            );
            println!(
                "  Its Data API is at {data_url}; its control surface (the AWS side) at {url}_sim/,\n  \
                 with the simulator's token {token} (it unlocks this simulator and nothing else)."
            );
            (url, data_url, token)
        }
    };
    let provider = Arc::new(ProviderClient::new(ProviderConfig {
        api_url: url,
        data_api_url: data_url,
        token,
        connect_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_secs(args.provider_timeout_secs),
    })?);
    let at = args.database();
    // One pool for the database: the history, the users and the sessions.
    let db = crate::db::open(&at).await?;
    crate::db::consoles::set_dead_after(args.console_dead_secs);
    let audit = Arc::new(AuditLog::new(db.clone(), audit_key(args)?).await?);
    bind_provider(&audit, &at, &choice).await?;
    let integrity = Integrity::start(audit.clone(), args.checkpoints()).await?;
    let users = Arc::new(Users::new(db.clone()));
    let gateway = Arc::new(
        Gateway::new(provider, Duration::from_secs(args.refresh_secs)).shared_through(&db),
    );
    crate::gateway::shared::spawn_listener(&db, gateway.clone());
    let executor = Executor::new(audit.clone(), users.clone())
        .with_integrity(integrity)
        .with_gateway(gateway.clone());
    let demo = matches!(choice, ProviderChoice::Simulated);
    start_users(&executor, demo).await?;
    let watch_log =
        (args.watch_calls_per_hour > 0).then(|| Arc::new(WatchLog::new(args.watch_calls_per_hour)));
    let console = Arc::new(ServerConsole::new(
        gateway.clone(),
        executor.clone(),
        Duration::from_secs(args.privatelink_wait_secs),
        watch_log.clone(),
    ));
    settle_what_stops_left(&executor).await;
    if let crate::db::Db::Postgres(_) = &db {
        // Other consoles may stop at any time: what they leave is settled
        // by the others once they are taken for dead.
        crate::db::consoles::beat(&db)
            .await
            .map_err(crate::audit::AuditError::from)?;
        crate::db::consoles::spawn_beat(db.clone());
        let executor = executor.clone();
        tokio::spawn(async move {
            // Settled once just now, before the console serves.
            let period = crate::db::consoles::beat_every();
            let mut every = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
            loop {
                every.tick().await;
                settle_what_stops_left(&executor).await;
            }
        });
    }
    spawn_approval_sweeper(executor.clone());
    start_notifications(args, &executor, &gateway, watch_log);

    let mut router = web(args, db, executor, console.clone(), demo).await?;
    if let Some(token) = &args.metrics_token {
        router = metrics_route(&console, Some(token)).merge(router);
    }
    Ok((router, console))
}

/// Settles the intents and approvals a stop left open: this console's
/// last run's, or on PostgreSQL those of consoles no longer alive.
async fn settle_what_stops_left(executor: &Executor) {
    match executor.reconcile().await {
        Ok(0) => {}
        Ok(n) => tracing::warn!(n, "reconciled open audit intents"),
        Err(e) => tracing::error!(error = %e, "could not reconcile open audit intents"),
    }
    match executor.approvals().settle_interrupted().await {
        Ok(0) => {}
        Ok(n) => tracing::warn!(n, "approval requests were left executing by a stop"),
        Err(e) => tracing::error!(error = %e, "could not settle interrupted approvals"),
    }
}

/// `/metrics`, reading this console's state at each scrape.
fn metrics_route(console: &Arc<ServerConsole>, token: Option<&str>) -> axum::Router {
    let console = console.clone();
    crate::metrics::router(
        move || {
            let console = console.clone();
            async move { console.metrics_state().await }
        },
        token,
    )
}

/// The watcher (unless its budget is 0) and the outbox's worker.
fn start_notifications(
    args: &ServeArgs,
    executor: &Executor,
    gateway: &Arc<Gateway>,
    watch_log: Option<Arc<WatchLog>>,
) {
    if let Some(log) = watch_log {
        Arc::new(Watcher::new(
            gateway.clone(),
            executor.notifications().clone(),
            executor.approvals().clone(),
            executor.integrity().cloned(),
            log,
            Duration::from_secs(args.refresh_secs),
        ))
        .spawn();
    }
    let base = match &args.public_url {
        Some(url) => url.as_str().trim_end_matches('/').to_string(),
        None => format!("http://{}", args.listen()),
    };
    Outbox::new(executor.notifications().clone(), base).spawn();
}

/// How often requests nobody decided in time are marked expired (pages and
/// decisions check the time themselves; this makes the history say so).
const APPROVAL_SWEEP: Duration = Duration::from_secs(15);

fn spawn_approval_sweeper(executor: Executor) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(APPROVAL_SWEEP);
        loop {
            tick.tick().await;
            executor.expire_due().await;
        }
    });
}

/// The audit key as configured, made on first start (and said so); on
/// PostgreSQL it must be given (see `AuditKey::resolve_for`).
fn audit_key(args: &ServeArgs) -> Result<Arc<AuditKey>, StartError> {
    let at = args.database();
    let (key, created) = AuditKey::resolve_for(args.audit_key_file.as_deref(), &at, true)
        .map_err(crate::audit::AuditError::from)?;
    if created {
        let path = args
            .audit_key_file
            .clone()
            .unwrap_or_else(|| crate::audit::key::default_path(&at.files_base()));
        println!(
            "Made the audit key {} (key {}). Back it up away from the database: without it\n  \
             the history's MACs cannot be checked, and with the database it can rewrite them.",
            path.display(),
            key.id()
        );
    }
    Ok(Arc::new(key))
}

/// The web side of a console over its database, around `console`: the
/// sessions, the sign-in throttle, the gate and the pages. `build` gives
/// it the server's Console; `web_for` opens the database for another.
async fn web(
    args: &ServeArgs,
    db: crate::db::Db,
    executor: Executor,
    console: SharedConsole,
    demo: bool,
) -> Result<axum::Router, StartError> {
    let sessions = crate::web::Sessions::open(&db)
        .await
        .map_err(|e| StartError::Config(format!("sessions: {e}")))?;
    let refusals = Arc::new(Refusals::new(executor.audit().clone()));
    refusals.spawn_summaries();
    let site = Site::from_public_url(args.public_url.as_ref());
    let sso = crate::auth::sso::Sso::from_args(&args.sso, site.public_origin.clone(), db.clone())
        .map_err(StartError::Config)?
        .map(Arc::new);
    if sso.is_none() && args.sso.local_sign_in != crate::config::LocalSignIn::All {
        return Err(StartError::Config(
            "--local-sign-in other than all needs an identity provider (--oidc-issuer): \
             otherwise nobody could sign in"
                .into(),
        ));
    }
    let auth = Arc::new(Auth {
        users: executor.users().clone(),
        refusals,
        executor,
        throttle: Throttle::new(Policy::default()),
        // A minute's worth at once, then the steady rate.
        calls: KeyedBuckets::new(
            args.user_calls_per_minute,
            f64::from(args.user_calls_per_minute) / 60.0,
        ),
        idle: Duration::from_secs(args.session_idle_secs),
        max_age: Duration::from_secs(args.session_max_secs),
        demo,
        sso,
        local: args.sso.local_sign_in,
        break_glass: args
            .sso
            .break_glass_admins
            .iter()
            .map(|n| n.trim().to_ascii_lowercase())
            .filter(|n| !n.is_empty())
            .collect(),
    });
    // The site's file names come from cargo-leptos at build time; tests and
    // benchmarks built by plain cargo fall back to the same name, unhashed.
    // With hashed names, start-up reads them once from the `hash.txt`
    // cargo-leptos leaves beside the binary, and will not start without it.
    let leptos = leptos::config::LeptosOptions::builder()
        .output_name(option_env!("LEPTOS_OUTPUT_NAME").unwrap_or("spaceport"))
        .hash_files(option_env!("LEPTOS_HASH_FILES") == Some("true"))
        .site_root(args.site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(args.listen())
        .build();
    let files = crate::web::site_files::site_files(&leptos).map_err(StartError::Config)?;
    Ok(app(
        AppState {
            leptos,
            files,
            console,
            auth,
            site,
            sign_in: app::me::SignInOptions {
                provider: args
                    .sso
                    .oidc_issuer
                    .is_some()
                    .then(|| args.sso.oidc_name.clone()),
                passwords: match args.sso.local_sign_in {
                    crate::config::LocalSignIn::All => app::me::Passwords::All,
                    crate::config::LocalSignIn::BreakGlass => app::me::Passwords::BreakGlass,
                    crate::config::LocalSignIn::Off => app::me::Passwords::Off,
                },
            },
            proxies: TrustedProxies(Arc::new(args.trusted_proxy.clone())),
        },
        sessions,
    ))
}

/// The web side around any Console, over the database `args` names: the
/// real router for tests of the web layer that need no provider.
pub async fn web_for(
    args: &ServeArgs,
    console: SharedConsole,
    demo: bool,
) -> Result<axum::Router, StartError> {
    let db = crate::db::open(&args.database()).await?;
    let executor = Executor::new(
        Arc::new(AuditLog::new(db.clone(), audit_key(args)?).await?),
        Arc::new(Users::new(db.clone())),
    );
    web(args, db, executor, console, demo).await
}

pub async fn serve(args: ServeArgs) -> Result<(), StartError> {
    let (router, console) = build(&args).await?;
    let listener = tokio::net::TcpListener::bind(args.listen()).await?;
    let addr = listener.local_addr()?;
    if let Some(at) = args.metrics_listen {
        let metrics = tokio::net::TcpListener::bind(at).await?;
        println!(
            "Metrics are served on http://{}/metrics",
            metrics.local_addr()?
        );
        let router = metrics_route(&console, None);
        tokio::spawn(async move { axum::serve(tuned(metrics), router).await });
    }
    let stop = shutdown();
    println!("Spaceport is listening on http://{addr}");
    let stopping = Arc::new(tokio::sync::Notify::new());
    let told = stopping.clone();
    let mut server = tokio::spawn(
        serve_on(listener, router)
            .with_graceful_shutdown(async move {
                stop.await;
                told.notify_one();
            })
            .into_future(),
    );
    // The signal first: with no connection open, the server ends as soon
    // as it is told to stop, and both are ready at once; a stop must still
    // settle and sign. The server ending by itself is an error.
    tokio::select! {
        biased;
        () = stopping.notified() => {}
        served = &mut server => return Ok(served.map_err(std::io::Error::other)??),
    }
    tracing::info!("stopping: no new connections; finishing the requests in flight");
    match tokio::time::timeout(DRAIN, &mut server).await {
        Ok(served) => served.map_err(std::io::Error::other)??,
        Err(_) => {
            // What is still running is cut off, and its intents settled
            // below from what the provider says now.
            server.abort();
            tracing::warn!(
                seconds = DRAIN.as_secs(),
                "requests still running after the drain were stopped"
            );
        }
    }
    stopped(&console).await;
    Ok(())
}

/// How long a stop waits for the requests in flight: the platform sends
/// SIGKILL 30 s after SIGTERM, and settling and the checkpoint need the
/// rest.
const DRAIN: Duration = Duration::from_secs(25);

/// What a stop does once no request runs: settles the intents of this
/// console left open (an action cut off by the drain's end), signs what
/// the history holds, and tells the other consoles it is gone.
async fn stopped(console: &ServerConsole) {
    let executor = console.executor();
    match executor.settle_own().await {
        Ok(0) => {}
        Ok(n) => tracing::warn!(n, "settled actions cut off by the stop"),
        Err(e) => tracing::error!(error = %e, "actions cut off by the stop not settled"),
    }
    // A clean stop signs what the history holds now.
    if let Some(integrity) = console.integrity()
        && let Err(e) = integrity.checkpoint_now().await
    {
        tracing::error!(error = %e, "no checkpoint at shutdown");
    }
    let db = executor.audit().db();
    if let crate::db::Db::Postgres(_) = db
        && let Err(e) = crate::db::consoles::leave(db).await
    {
        tracing::warn!(error = %e, "could not say this console is gone");
    }
}

/// Serves the console on a listener, with each request's client address
/// (the sign-in throttle counts failures per address), and Nagle's
/// algorithm off (see `listener::tuned`).
pub fn serve_on(
    listener: tokio::net::TcpListener,
    router: axum::Router,
) -> axum::serve::Serve<
    TunedListener,
    axum::extract::connect_info::IntoMakeServiceWithConnectInfo<axum::Router, SocketAddr>,
    axum::middleware::AddExtension<axum::Router, axum::extract::ConnectInfo<SocketAddr>>,
> {
    axum::serve(
        tuned(listener),
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
}

/// The first admin on a new console, and the demo's users with the
/// simulator (removed against the real provider). Their passwords are
/// printed here, once, and never logged.
async fn start_users(executor: &Executor, demo: bool) -> Result<(), StartError> {
    if let Some(admin) = bootstrap::first_admin(executor).await? {
        println!(
            "First start: created the admin user \"{}\" with the one-time password\n\n    {}\n\n\
             Sign in with it and choose your own password; it is not shown again.",
            admin.name, admin.password
        );
    }
    if demo {
        let made = bootstrap::demo_users(executor).await?;
        println!("Demo users (simulated provider only; new passwords on every start):");
        for m in made {
            println!("    {:<14} {:<9} {}", m.name, m.role.as_str(), m.password);
        }
    } else {
        let n = bootstrap::remove_demo_users(executor).await?;
        if n > 0 {
            tracing::warn!(
                n,
                "removed the demo users: this console runs against the real provider"
            );
        }
    }
    Ok(())
}

pub async fn sim(args: SimArgs) -> Result<(), StartError> {
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    let data = tokio::net::TcpListener::bind(args.data_listen).await?;
    println!(
        "The simulated provider is listening: Platform API on http://{}, Data API on http://{}",
        listener.local_addr()?,
        data.local_addr()?
    );
    sim::serve(
        listener,
        data,
        SimOptions {
            time_scale: args.time_scale,
            token: args.token,
        },
    )
    .await?;
    Ok(())
}

/// Ctrl-C, or SIGTERM as a service manager or container runtime sends.
/// The handlers are installed when this is called, not when it is first
/// awaited: a signal sent as soon as "listening" is printed must not find
/// the default action (exit at once, without the shutdown checkpoint).
fn shutdown() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};
    let interrupt = signal(SignalKind::interrupt());
    let terminate = signal(SignalKind::terminate());
    async move {
        let wait = |s: std::io::Result<tokio::signal::unix::Signal>| async move {
            match s {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending().await,
            }
        };
        tokio::select! {
            () = wait(interrupt) => {}
            () = wait(terminate) => {}
        }
    }
}
