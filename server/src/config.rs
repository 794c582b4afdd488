//! The command line. Every flag of the console has an environment fallback,
//! so the same binary is configured by flags on a laptop and by environment
//! in a deployment. Secrets are the exception: the provider token, the
//! metrics token and the simulator's token come from the environment or a
//! file (`--*-file`), never from the command line, where any local user
//! reads them in the process list (`secrets_off_the_command_line`).

use crate::db::Location;
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "spaceport",
    version,
    about = "A team console for Private Space peerings and PrivateLink endpoints.",
    long_about = "A team console for Private Space peerings and PrivateLink endpoints.\n\n\
        Without a provider token it starts the simulated provider in-process, with demo data."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeArgs,
    /// How log lines are written: `text` for people, `json` (one object
    /// per line) for log shippers.
    #[arg(
        long,
        env = "SPACEPORT_LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the console (the default when no subcommand is given).
    Serve(Box<ServeArgs>),
    /// Run the simulated provider alone, for any client of the provider's API.
    Sim(SimArgs),
    /// Manage the console's users (add, passwd, role, list, disable, enable).
    User(UserArgs),
    /// Tokens for automation: create, list, revoke, and scan files for
    /// leaked ones.
    Token(TokenArgs),
    /// Check, export, and hand out the key to check, the audit history.
    Audit(AuditArgs),
    /// Write what a console knows for other tools, asked of the console
    /// with a token for automation: `terraform --space S` (its peerings as
    /// Terraform) or `peerings` (every space's, as CSV or JSON).
    Export(ExportArgs),
    /// Show or set the approval policy (who must approve what).
    Policy(PolicyArgs),
    /// Copy the database consistently while the console runs, and verify
    /// the copy's audit history. Exit status 0 when the copy holds, 1 when
    /// its history does not verify, 2 when no copy could be made.
    Backup(BackupArgs),
    /// Apply the database's migrations and exit (the platform's release
    /// phase); with --to, copy this console into a new PostgreSQL database.
    Migrate(MigrateArgs),
}

#[derive(Debug, Args, Clone)]
pub struct MigrateArgs {
    #[command(flatten)]
    pub files: FileArgs,
    /// A postgres:// URL of an empty database to copy the console into:
    /// users, the history (with its MACs and checkpoints), approvals,
    /// expected peers, the policy and notifications. The source is only
    /// read. Sessions are not copied: everyone signs in again.
    #[arg(long)]
    pub to: Option<Location>,
}

#[derive(Debug, Args, Clone)]
pub struct BackupArgs {
    #[command(flatten)]
    pub files: FileArgs,
    /// Where the copy goes; it must not exist yet. It is made readable by
    /// its owner only.
    pub file: PathBuf,
    /// Write the copy even into a directory others may write to (refused
    /// otherwise: they could remove or replace it).
    #[arg(long)]
    pub allow_shared_directory: bool,
}

#[derive(Debug, Args, Clone)]
pub struct PolicyArgs {
    #[command(flatten)]
    pub files: FileArgs,
    #[command(subcommand)]
    pub action: PolicyAction,
}

#[derive(Debug, Subcommand, Clone)]
pub enum PolicyAction {
    /// Print the policy in force.
    Show,
    /// Change the policy, recorded like a change made on the Settings page.
    Set {
        /// How many other people must approve a kind of action, such as
        /// `peering.accept=1` or `privatelink.destroy=0`.
        #[arg(value_name = "KIND=N")]
        approvals: Vec<String>,
        /// Accept only peerings that match an expected peer.
        #[arg(long)]
        require_expected_peer: Option<bool>,
        /// How long a request waits before it expires, in hours.
        #[arg(long)]
        lifetime_hours: Option<u32>,
        /// How many days before a request an approver must not have been
        /// invited, raised or enabled by its requester.
        #[arg(long)]
        independence_days: Option<u32>,
    },
}

/// The console's database and its audit key, for the commands that work
/// on them without the console.
#[derive(Debug, Args, Clone)]
pub struct FileArgs {
    /// The console's database: its SQLite file, or a postgres:// URL.
    /// Default: DATABASE_URL if set, else spaceport.db.
    #[arg(long, env = "SPACEPORT_DATABASE", global = true)]
    pub database: Option<Location>,
    /// The provider's name for the database its PostgreSQL add-on attaches.
    #[arg(
        long,
        env = "DATABASE_URL",
        hide_env_values = true,
        hide = true,
        global = true
    )]
    pub database_url: Option<Location>,
    /// The console's audit key file (default: beside the database). The
    /// key may instead be given, hex-encoded, in SPACEPORT_AUDIT_KEY.
    #[arg(long, env = "SPACEPORT_AUDIT_KEY_FILE", global = true)]
    pub audit_key_file: Option<PathBuf>,
}

impl FileArgs {
    /// The database: as given, else DATABASE_URL, else the default file.
    pub fn location(&self) -> Location {
        self.database
            .clone()
            .or_else(|| self.database_url.clone())
            .unwrap_or_else(|| Location::File(DEFAULT_DATABASE.into()))
    }
}

#[derive(Debug, Args, Clone)]
pub struct AuditArgs {
    #[command(flatten)]
    pub files: FileArgs,
    #[command(subcommand)]
    pub action: AuditAction,
}

#[derive(Debug, Subcommand, Clone)]
pub enum AuditAction {
    /// Print the public key that checks the signed checkpoints; anyone may
    /// hold it.
    Pubkey,
    /// Check every record's MAC and link, and with --checkpoints that the
    /// database still holds every checkpointed record. Exit status 0 when
    /// everything holds, 1 when something does not (the first broken
    /// record is named), 2 when the check could not run. Reads only.
    Verify {
        /// A directory of signed checkpoints to check the history against.
        #[arg(long)]
        checkpoints: Option<PathBuf>,
        /// The public key (as `spaceport audit pubkey` prints it) to check
        /// the checkpoints with, for whoever does not hold the audit key.
        #[arg(long)]
        pubkey: Option<String>,
    },
    /// Write the history, each record with its MAC, to standard output
    /// or to a new file made readable by its owner only.
    Export {
        /// A file to write to instead of standard output; it must not exist.
        #[arg(long)]
        output: Option<PathBuf>,
        #[arg(long, value_enum)]
        format: crate::audit::export::Format,
        /// From this record id, or this day (YYYY-MM-DD) or RFC 3339 time.
        #[arg(long)]
        since: Option<String>,
        /// Only the records of this space.
        #[arg(long)]
        space: Option<String>,
    },
}

#[derive(Debug, Args, Clone)]
pub struct UserArgs {
    /// The database (created if missing); the changes are recorded under
    /// the console's own audit key.
    #[command(flatten)]
    pub files: FileArgs,
    #[command(subcommand)]
    pub action: UserAction,
}

#[derive(Debug, Subcommand, Clone)]
pub enum UserAction {
    /// Add a user. The password is asked for on a terminal, or read from
    /// standard input (one line) when it is not one.
    Add {
        name: String,
        #[arg(long, default_value = "viewer")]
        role: String,
    },
    /// Set a user's password (asked for, or read from standard input).
    Passwd { name: String },
    /// Change a user's role: viewer, operator or admin.
    Role { name: String, role: String },
    /// List the users.
    List,
    /// Disable a user: they cannot sign in, and their sessions end.
    Disable { name: String },
    /// Enable a disabled user again.
    Enable { name: String },
}

#[derive(Debug, Args, Clone)]
pub struct ExportArgs {
    /// What to write.
    #[arg(value_enum)]
    pub what: ExportWhat,
    /// The space, for `terraform`.
    #[arg(long, required_if_eq("what", "terraform"))]
    pub space: Option<String>,
    /// For `peerings`: csv or json.
    #[arg(long, value_enum, default_value = "csv")]
    pub format: ExportFormat,
    /// The console to ask.
    #[arg(long, env = "SPACEPORT_URL", default_value = "http://127.0.0.1:3000")]
    pub console: url::Url,
    /// A token for automation (`spaceport token create`; a viewer's will
    /// do), from the environment only (SPACEPORT_TOKEN) or from
    /// --token-file.
    #[arg(long, env = "SPACEPORT_TOKEN", hide_env_values = true, hide = true)]
    pub token: Option<String>,
    /// A file holding the token (or set SPACEPORT_TOKEN).
    #[arg(long, env = "SPACEPORT_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,
}

impl ExportArgs {
    /// Reads the token from its file, if one is named.
    pub fn read_secret_files(&mut self) -> Result<(), String> {
        read_secret(&mut self.token, self.token_file.as_deref(), |t| {
            Ok(t.to_string())
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportWhat {
    Terraform,
    Peerings,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Csv,
    Json,
}

#[derive(Debug, Args, Clone)]
pub struct TokenArgs {
    /// The database; the changes are recorded under the console's own
    /// audit key.
    #[command(flatten)]
    pub files: FileArgs,
    #[command(subcommand)]
    pub action: TokenAction,
}

#[derive(Debug, Subcommand, Clone)]
pub enum TokenAction {
    /// Make a token and the service user it acts as; the token is printed
    /// once, on standard output, and kept only as a hash.
    Create {
        /// The service user's name, as the history will name its actions.
        name: String,
        /// viewer or operator; admin only when you mean it (a token never
        /// manages users nor decides approvals, whatever its role).
        #[arg(long, default_value = "operator")]
        role: String,
        /// How long it works: days, as `90d` or `90` (at most 366).
        #[arg(long, default_value = "90d", value_parser = token_days)]
        expires: u32,
    },
    /// List the tokens: role, when each expires, when it was last used.
    List,
    /// Stop a token at once (its service user is disabled, and stays in
    /// the history).
    Revoke { name: String },
    /// Look for tokens of this console in files (directories are read
    /// whole), or standard input: exit status 1 when one is found.
    Scan { paths: Vec<PathBuf> },
}

/// `90d` or `90`: a number of days.
fn token_days(s: &str) -> Result<u32, String> {
    let digits = s.trim().trim_end_matches(['d', 'D']);
    digits
        .parse::<u32>()
        .map_err(|_| format!("\"{s}\" is not a number of days; write it as 90d"))
}

#[derive(Debug, Args, Clone)]
pub struct ServeArgs {
    /// Address to serve the console on. Default: 0.0.0.0:$PORT when the
    /// platform sets PORT, else 127.0.0.1:3000.
    #[arg(long, env = "SPACEPORT_LISTEN")]
    pub listen: Option<SocketAddr>,

    /// On PostgreSQL: how long after its last sign of life another console
    /// is taken for dead, and the actions it left open settled.
    #[arg(long, env = "SPACEPORT_CONSOLE_DEAD_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(3..=600))]
    pub console_dead_secs: u64,

    /// The port the platform assigns its web process.
    #[arg(long, env = "PORT", hide = true)]
    pub port: Option<u16>,

    /// Where the audit history, users and sessions are kept: a SQLite
    /// file (created if missing), or a postgres:// URL that several
    /// consoles can share. Default: DATABASE_URL if set, else
    /// spaceport.db, or spaceport-demo.db on the simulated provider, so a
    /// demo never touches a real console's file.
    #[arg(long, env = "SPACEPORT_DATABASE")]
    pub database: Option<Location>,

    /// The provider's name for the database a PostgreSQL add-on attaches
    /// (read at start: it changes on credential rotation and failover).
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, hide = true)]
    pub database_url: Option<Location>,

    /// The file holding the audit key, created (0600) on first start. It
    /// must be kept, and backed up, apart from the database: whoever holds
    /// both can rewrite unchecked history. Default: beside the database
    /// (DATABASE.audit-key). The key may instead be given, hex-encoded, in
    /// SPACEPORT_AUDIT_KEY.
    #[arg(long, env = "SPACEPORT_AUDIT_KEY_FILE")]
    pub audit_key_file: Option<PathBuf>,

    /// Where signed checkpoints of the audit history are written: meant to
    /// be other storage than the database's (another disk, a mounted
    /// bucket). Default: DATABASE-checkpoints beside a SQLite file; none
    /// on PostgreSQL, whose consoles may have no disk that lasts (there,
    /// give --audit-checkpoint-webhook).
    #[arg(long, env = "SPACEPORT_AUDIT_CHECKPOINT_DIR")]
    pub audit_checkpoint_dir: Option<PathBuf>,

    /// A checkpoint every this many new audit records...
    #[arg(long, env = "SPACEPORT_AUDIT_CHECKPOINT_EVERY", default_value_t = 1000, value_parser = clap::value_parser!(i64).range(1..=10_000_000))]
    pub audit_checkpoint_every: i64,

    /// ...and every this many minutes if any record is new (and at a clean
    /// shutdown).
    #[arg(long, env = "SPACEPORT_AUDIT_CHECKPOINT_MINUTES", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=1440))]
    pub audit_checkpoint_minutes: u64,

    /// Each checkpoint is also POSTed, as JSON, to this URL.
    #[arg(long, env = "SPACEPORT_AUDIT_CHECKPOINT_WEBHOOK")]
    pub audit_checkpoint_webhook: Option<url::Url>,

    /// The provider's Platform API. Needs --api-key.
    #[arg(long, env = "HEROKU_API_URL")]
    pub api_url: Option<url::Url>,

    /// The provider's Data API (PrivateLink). Needs --api-key.
    #[arg(long, env = "HEROKU_DATA_API_URL")]
    pub data_api_url: Option<url::Url>,

    /// The provider's API token, from the environment only (HEROKU_API_KEY)
    /// or from --api-key-file. Without it the simulated provider is used.
    #[arg(long, env = "HEROKU_API_KEY", hide_env_values = true, hide = true)]
    pub api_key: Option<String>,

    /// A file holding the provider's API token (or set HEROKU_API_KEY).
    #[arg(long, env = "HEROKU_API_KEY_FILE")]
    pub api_key_file: Option<PathBuf>,

    /// The address people use to reach the console, such as
    /// https://spaceport.example.com behind a TLS proxy. Requests from this
    /// origin are accepted as same-site; https makes the session cookie Secure.
    #[arg(long, env = "SPACEPORT_PUBLIC_URL")]
    pub public_url: Option<url::Url>,

    /// Proxies (addresses or CIDR blocks, comma-separated) whose
    /// X-Forwarded-For names the client. Without it the header is ignored,
    /// and behind a proxy every client would share the proxy's address.
    #[arg(long, env = "SPACEPORT_TRUSTED_PROXY", value_delimiter = ',', num_args = 1.., value_parser = crate::address::parse_proxy)]
    pub trusted_proxy: Vec<ipnet::IpNet>,

    /// Seconds without a request after which a sign-in ends.
    #[arg(long, env = "SPACEPORT_SESSION_IDLE_SECS", default_value_t = 1800, value_parser = clap::value_parser!(u64).range(1..=604800))]
    pub session_idle_secs: u64,

    /// Seconds after which a sign-in ends however busy it is.
    #[arg(long, env = "SPACEPORT_SESSION_MAX_SECS", default_value_t = 43200, value_parser = clap::value_parser!(u64).range(1..=2592000))]
    pub session_max_secs: u64,

    /// Requests (pages and server functions) one user may make a minute (a
    /// minute's worth may come at once). Past it, they are refused with 429
    /// and Retry-After until the budget refills, so one user cannot hold
    /// the console's cores and database, nor spend the provider's hourly
    /// budget, which the whole account shares.
    #[arg(long, env = "SPACEPORT_USER_CALLS_PER_MINUTE", default_value_t = 300, value_parser = clap::value_parser!(u32).range(10..=1_000_000))]
    pub user_calls_per_minute: u32,

    /// Seconds a provider read is reused before the provider is asked again.
    #[arg(long, env = "SPACEPORT_REFRESH_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub refresh_secs: u64,

    /// Seconds to wait for the provider to answer.
    #[arg(long, env = "SPACEPORT_PROVIDER_TIMEOUT_SECS", default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub provider_timeout_secs: u64,

    /// Seconds a page follows a provisioning PrivateLink before it stops
    /// checking (the provider says 5 to 10 minutes).
    #[arg(long, env = "SPACEPORT_PRIVATELINK_WAIT_SECS", default_value_t = 1200, value_parser = clap::value_parser!(u64).range(5..=14400))]
    pub privatelink_wait_secs: u64,

    /// The most provider calls an hour the watcher (which notices new
    /// requests, deadlines and changes for notifications) may make of the
    /// account's 4500; it rides on the pages' cached reads and slows down
    /// to stay inside this. 0 turns the watcher off.
    #[arg(long, env = "SPACEPORT_WATCH_CALLS_PER_HOUR", default_value_t = 450, value_parser = clap::value_parser!(u64).range(0..=4500))]
    pub watch_calls_per_hour: u64,

    /// Serve `/metrics` (Prometheus) on this address alone, apart from the
    /// console: for a network only the scraper reaches.
    #[arg(long, env = "SPACEPORT_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    /// Serve `/metrics` on the console's own address to requests that send
    /// `Authorization: Bearer TOKEN` (at least 16 characters), the token
    /// from the environment only (SPACEPORT_METRICS_TOKEN) or from
    /// --metrics-token-file. With neither a token nor --metrics-listen,
    /// there is no `/metrics` at all.
    #[arg(long, env = "SPACEPORT_METRICS_TOKEN", value_parser = metrics_token, hide_env_values = true, hide = true)]
    pub metrics_token: Option<String>,

    /// A file holding the metrics token (or set SPACEPORT_METRICS_TOKEN).
    #[arg(long, env = "SPACEPORT_METRICS_TOKEN_FILE")]
    pub metrics_token_file: Option<PathBuf>,

    /// For the embedded simulated provider: how many times faster than real
    /// life peerings provision and requests arrive.
    #[arg(long, env = "SPACEPORT_SIM_TIME_SCALE", default_value_t = 10.0, value_parser = time_scale)]
    pub sim_time_scale: f64,

    /// For the embedded simulated provider: where its Platform API (and
    /// control surface) listens; a free loopback port when not given.
    #[arg(long, env = "SPACEPORT_SIM_LISTEN")]
    pub sim_listen: Option<SocketAddr>,

    /// For the embedded simulated provider: where its Data API listens.
    #[arg(long, env = "SPACEPORT_SIM_DATA_LISTEN")]
    pub sim_data_listen: Option<SocketAddr>,

    /// Where the built site (wasm, JS, CSS) is.
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,

    #[command(flatten)]
    pub sso: SsoArgs,
}

/// Sign-in through the team's identity provider (OpenID Connect). With
/// no issuer, people sign in with the passwords this console keeps.
#[derive(Debug, Args, Clone)]
pub struct SsoArgs {
    /// The identity provider's issuer URL; its discovery document is read
    /// from ISSUER/.well-known/openid-configuration.
    #[arg(long, env = "SPACEPORT_OIDC_ISSUER")]
    pub oidc_issuer: Option<url::Url>,

    /// This console's client id at the provider.
    #[arg(long, env = "SPACEPORT_OIDC_CLIENT_ID")]
    pub oidc_client_id: Option<String>,

    /// The client secret, from the environment only
    /// (SPACEPORT_OIDC_CLIENT_SECRET) or from --oidc-client-secret-file.
    #[arg(
        long,
        env = "SPACEPORT_OIDC_CLIENT_SECRET",
        hide_env_values = true,
        hide = true
    )]
    pub oidc_client_secret: Option<String>,

    /// A file holding the client secret.
    #[arg(long, env = "SPACEPORT_OIDC_CLIENT_SECRET_FILE")]
    pub oidc_client_secret_file: Option<PathBuf>,

    /// What the sign-in page calls the provider: "Sign in with NAME".
    #[arg(long, env = "SPACEPORT_OIDC_NAME", default_value = "SSO")]
    pub oidc_name: String,

    /// The scopes asked for besides openid (comma-separated).
    #[arg(
        long,
        env = "SPACEPORT_OIDC_SCOPES",
        value_delimiter = ',',
        default_value = "profile,email,groups"
    )]
    pub oidc_scopes: Vec<String>,

    /// The ID token claim that holds the user's groups.
    #[arg(long, env = "SPACEPORT_OIDC_GROUPS_CLAIM", default_value = "groups")]
    pub oidc_groups_claim: String,

    /// Groups whose members are viewers (comma-separated).
    #[arg(long, env = "SPACEPORT_OIDC_VIEWER_GROUPS", value_delimiter = ',')]
    pub oidc_viewer_groups: Vec<String>,

    /// Groups whose members are operators.
    #[arg(long, env = "SPACEPORT_OIDC_OPERATOR_GROUPS", value_delimiter = ',')]
    pub oidc_operator_groups: Vec<String>,

    /// Groups whose members are admins.
    #[arg(long, env = "SPACEPORT_OIDC_ADMIN_GROUPS", value_delimiter = ',')]
    pub oidc_admin_groups: Vec<String>,

    /// Who may sign in with a password this console keeps: `all`,
    /// `break-glass` (only the admins named in --break-glass-admins, and
    /// each such sign-in is notified), or `off`.
    #[arg(
        long,
        env = "SPACEPORT_LOCAL_SIGN_IN",
        value_enum,
        default_value = "all"
    )]
    pub local_sign_in: LocalSignIn,

    /// The admins who may still sign in with a password when
    /// --local-sign-in is break-glass (comma-separated names).
    #[arg(long, env = "SPACEPORT_BREAK_GLASS_ADMINS", value_delimiter = ',')]
    pub break_glass_admins: Vec<String>,
}

/// Who may sign in with a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LocalSignIn {
    All,
    BreakGlass,
    Off,
}

#[derive(Debug, Args, Clone)]
pub struct SimArgs {
    /// Address for the simulated Platform API.
    #[arg(long, env = "SPACEPORT_SIM_LISTEN", default_value = "127.0.0.1:5000")]
    pub listen: SocketAddr,

    /// Address for the simulated Data API (PrivateLink).
    #[arg(
        long,
        env = "SPACEPORT_SIM_DATA_LISTEN",
        default_value = "127.0.0.1:5001"
    )]
    pub data_listen: SocketAddr,

    /// How many times faster than real life transitions happen.
    #[arg(long, default_value_t = 1.0, value_parser = time_scale)]
    pub time_scale: f64,

    /// Accept only this token (from SPACEPORT_SIM_TOKEN only, or from
    /// --token-file); any non-empty token when not given.
    #[arg(long, env = "SPACEPORT_SIM_TOKEN", hide_env_values = true, hide = true)]
    pub token: Option<String>,

    /// A file holding the token (or set SPACEPORT_SIM_TOKEN).
    #[arg(long, env = "SPACEPORT_SIM_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,
}

impl SimArgs {
    /// The token from `--token-file`, if one was named.
    pub fn read_secret_files(&mut self) -> Result<(), String> {
        read_secret(&mut self.token, self.token_file.as_deref(), |s| {
            Ok(s.to_string())
        })
    }
}

/// The arguments that hold secrets, by the subcommand they belong to.
const SECRETS: [(Option<&str>, &str, &str); 8] = [
    (None, "api_key", "HEROKU_API_KEY"),
    (None, "metrics_token", "SPACEPORT_METRICS_TOKEN"),
    (None, "oidc_client_secret", "SPACEPORT_OIDC_CLIENT_SECRET"),
    (Some("serve"), "api_key", "HEROKU_API_KEY"),
    (Some("serve"), "metrics_token", "SPACEPORT_METRICS_TOKEN"),
    (
        Some("serve"),
        "oidc_client_secret",
        "SPACEPORT_OIDC_CLIENT_SECRET",
    ),
    (Some("sim"), "token", "SPACEPORT_SIM_TOKEN"),
    (Some("export"), "token", "SPACEPORT_TOKEN"),
];

/// Refuses a secret given on the command line (the process list shows
/// every process's arguments to every local user), saying where it goes
/// instead. The value itself is never repeated.
pub fn secrets_off_the_command_line(matches: &clap::ArgMatches) -> Result<(), String> {
    for (sub, id, env) in SECRETS {
        let m = match sub {
            None => Some(matches),
            Some(name) => matches.subcommand_matches(name),
        };
        let given =
            m.and_then(|m| m.value_source(id)) == Some(clap::parser::ValueSource::CommandLine);
        if given {
            let flag = id.replace('_', "-");
            return Err(format!(
                "--{flag} on the command line shows in the process list to every local user; \
                 set {env} in the environment, or name a file with --{flag}-file."
            ));
        }
    }
    Ok(())
}

/// Reads `file` into `secret`, trimmed and checked by `check`; a secret
/// already set (from the environment) with a file as well is refused.
fn read_secret(
    secret: &mut Option<String>,
    file: Option<&std::path::Path>,
    check: impl Fn(&str) -> Result<String, String>,
) -> Result<(), String> {
    let Some(file) = file else { return Ok(()) };
    if secret.is_some() {
        return Err(format!(
            "a secret is set in the environment and in {}: give it once",
            file.display()
        ));
    }
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("{} cannot be read: {e}", file.display()))?;
    let value = check(text.trim())?;
    if value.is_empty() {
        return Err(format!("{} is empty", file.display()));
    }
    *secret = Some(value);
    Ok(())
}

/// A time scale: a finite number above zero (1 is real time).
fn time_scale(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 1_000_000.0 => Ok(v),
        _ => Err(format!(
            "expected a number above 0 and at most 1000000 (1 is real time), got \"{s}\""
        )),
    }
}

/// Where the console's provider is.
pub enum ProviderChoice {
    Real {
        url: url::Url,
        data_url: url::Url,
        token: String,
    },
    Simulated,
}

/// The console's database when none is given.
pub const DEFAULT_DATABASE: &str = "spaceport.db";
/// The same on the simulated provider: the demo keeps a file of its own.
pub const DEMO_DATABASE: &str = "spaceport-demo.db";

impl ServeArgs {
    /// The secrets named by `--api-key-file` and `--metrics-token-file`.
    pub fn read_secret_files(&mut self) -> Result<(), String> {
        read_secret(&mut self.api_key, self.api_key_file.as_deref(), |s| {
            Ok(s.to_string())
        })?;
        read_secret(
            &mut self.metrics_token,
            self.metrics_token_file.as_deref(),
            metrics_token,
        )?;
        read_secret(
            &mut self.sso.oidc_client_secret,
            self.sso.oidc_client_secret_file.as_deref(),
            |s| Ok(s.to_string()),
        )
    }

    /// Where the console listens: as given, or on every address at the
    /// port the platform assigned (its router reaches the process there),
    /// or on loopback.
    pub fn listen(&self) -> SocketAddr {
        match (self.listen, self.port) {
            (Some(at), _) => at,
            (None, Some(port)) => SocketAddr::from(([0, 0, 0, 0], port)),
            (None, None) => SocketAddr::from(([127, 0, 0, 1], 3000)),
        }
    }

    /// The database: as given, or the default for the provider.
    pub fn database(&self) -> Location {
        match (
            self.database.as_ref().or(self.database_url.as_ref()),
            self.provider(),
        ) {
            (Some(at), _) => at.clone(),
            (None, Ok(ProviderChoice::Simulated)) => Location::File(DEMO_DATABASE.into()),
            (None, _) => Location::File(DEFAULT_DATABASE.into()),
        }
    }

    /// When and where the audit history is checkpointed.
    pub fn checkpoints(&self) -> crate::audit::integrity::CheckpointSettings {
        let database = self.database();
        crate::audit::integrity::CheckpointSettings {
            dir: self
                .audit_checkpoint_dir
                .clone()
                .or_else(|| database.file().map(crate::audit::integrity::default_dir)),
            every: self.audit_checkpoint_every,
            interval: std::time::Duration::from_secs(self.audit_checkpoint_minutes * 60),
            webhook: self.audit_checkpoint_webhook.clone(),
        }
    }

    pub fn provider(&self) -> Result<ProviderChoice, String> {
        let or = |u: &Option<url::Url>, default: &str| {
            u.clone()
                .unwrap_or_else(|| url::Url::parse(default).expect("constant URL"))
        };
        let urls_set = self.api_url.is_some() || self.data_api_url.is_some();
        match self.api_key.as_deref().filter(|k| !k.trim().is_empty()) {
            Some(token) => Ok(ProviderChoice::Real {
                url: or(&self.api_url, "https://api.heroku.com"),
                data_url: or(&self.data_api_url, "https://api.data.heroku.com"),
                token: token.trim().to_string(),
            }),
            None if !urls_set => Ok(ProviderChoice::Simulated),
            None => Err(
                "HEROKU_API_URL or HEROKU_DATA_API_URL is set but HEROKU_API_KEY (--api-key) is not: \
                 a provider needs a token. Unset them to use the simulated provider."
                    .into(),
            ),
        }
    }
}

/// A metrics token long enough not to be guessed.
fn metrics_token(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.len() < 16 || s.chars().any(char::is_whitespace) {
        return Err("a metrics token has at least 16 characters and no spaces".into());
    }
    Ok(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn time_scales_must_be_positive() {
        for bad in ["0", "-3", "NaN", "inf", "fast"] {
            let arg = format!("--sim-time-scale={bad}");
            let err = Cli::try_parse_from(["spaceport", arg.as_str()]).unwrap_err();
            assert!(err.to_string().contains("above 0"), "{bad}: {err}");
        }
        let cli = Cli::try_parse_from(["spaceport", "sim", "--time-scale", "60"]).unwrap();
        assert!(
            matches!(cli.command, Some(Command::Sim(SimArgs { time_scale, .. })) if time_scale == 60.0)
        );
    }

    #[test]
    fn secrets_come_from_the_environment_or_a_file_only() {
        use clap::{CommandFactory, FromArgMatches};
        for args in [
            vec!["spaceport", "--api-key", "k-123"],
            vec!["spaceport", "serve", "--metrics-token", "0123456789abcdef"],
            vec!["spaceport", "sim", "--token", "t-1"],
        ] {
            let m = Cli::command().try_get_matches_from(&args).unwrap();
            let refused = secrets_off_the_command_line(&m).unwrap_err();
            assert!(refused.contains("process list"), "{refused}");
            assert!(
                !args
                    .iter()
                    .any(|a| refused.contains(a) && a.starts_with("k-"))
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "0123456789abcdef0\n").unwrap();
        let m = Cli::command()
            .try_get_matches_from(["spaceport", "--metrics-token-file", file.to_str().unwrap()])
            .unwrap();
        assert!(secrets_off_the_command_line(&m).is_ok());
        let mut cli = Cli::from_arg_matches(&m).unwrap();
        cli.serve.read_secret_files().unwrap();
        assert_eq!(
            cli.serve.metrics_token.as_deref(),
            Some("0123456789abcdef0")
        );
        std::fs::write(&file, "short").unwrap();
        let mut cli = Cli::from_arg_matches(&m).unwrap();
        assert!(cli.serve.read_secret_files().is_err());
    }

    #[test]
    fn a_url_without_a_token_is_refused() {
        let cli = Cli::try_parse_from(["spaceport", "--api-url", "http://127.0.0.1:5000"]).unwrap();
        assert!(cli.serve.provider().is_err());
        let cli = Cli::try_parse_from(["spaceport"]).unwrap();
        assert!(matches!(
            cli.serve.provider(),
            Ok(ProviderChoice::Simulated)
        ));
    }
}
