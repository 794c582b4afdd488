use clap::{CommandFactory, FromArgMatches};
use server::config::{Cli, Command, LogFormat};
use server::startup;

fn main() -> std::process::ExitCode {
    server::users::password::return_large_blocks();
    run()
}

#[tokio::main]
async fn run() -> std::process::ExitCode {
    let matches = Cli::command().get_matches();
    if let Err(e) = server::config::secrets_off_the_command_line(&matches) {
        eprintln!("spaceport: {e}");
        return std::process::ExitCode::from(2);
    }
    let mut cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let secrets = match &mut cli.command {
        Some(Command::Serve(args)) => args.read_secret_files(),
        Some(Command::Sim(args)) => args.read_secret_files(),
        Some(Command::Export(args)) => args.read_secret_files(),
        None => cli.serve.read_secret_files(),
        Some(_) => Ok(()),
    };
    if let Err(e) = secrets {
        eprintln!("spaceport: {e}");
        return std::process::ExitCode::from(2);
    }
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn,tower_http=warn".into());
    let logs = tracing_subscriber::fmt().with_env_filter(filter);
    match cli.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().flatten_event(true).init(),
    }
    let result = match cli.command {
        Some(Command::Sim(args)) => startup::sim(args).await.map_err(|e| e.to_string()),
        Some(Command::Serve(args)) => startup::serve(*args).await.map_err(|e| e.to_string()),
        Some(Command::User(args)) => server::user_command::run(args)
            .await
            .map_err(|e| e.to_string()),
        Some(Command::Token(args)) => match server::token_command::run(args).await {
            Ok(true) => Ok(()),
            // A scan that found a token: said on standard output.
            Ok(false) => std::process::exit(1),
            Err(e) => Err(e.to_string()),
        },
        Some(Command::Policy(args)) => server::policy_command::run(args)
            .await
            .map_err(|e| e.to_string()),
        // 0: the history holds; 1: it does not (said on standard output);
        // 2: the check could not run.
        Some(Command::Backup(args)) => {
            return match server::backup_command::run(args).await {
                Ok(true) => std::process::ExitCode::SUCCESS,
                Ok(false) => std::process::ExitCode::from(1),
                Err(e) => {
                    eprintln!("spaceport: {e}");
                    std::process::ExitCode::from(2)
                }
            };
        }
        Some(Command::Migrate(args)) => {
            return match server::migrate_command::run(args).await {
                Ok(true) => std::process::ExitCode::SUCCESS,
                Ok(false) => std::process::ExitCode::from(1),
                Err(e) => {
                    eprintln!("spaceport: {e}");
                    std::process::ExitCode::from(2)
                }
            };
        }
        Some(Command::Export(args)) => server::export_command::run(args)
            .await
            .map_err(|e| e.to_string()),
        Some(Command::Audit(args)) => {
            return match server::audit_command::run(args).await {
                Ok(true) => std::process::ExitCode::SUCCESS,
                Ok(false) => std::process::ExitCode::from(1),
                Err(e) => {
                    eprintln!("spaceport: {e}");
                    std::process::ExitCode::from(2)
                }
            };
        }
        None => startup::serve(cli.serve).await.map_err(|e| e.to_string()),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("spaceport: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
