use clap::Parser;
use server::config::{Cli, Command};
use server::startup;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=warn".into()),
        )
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Sim(args)) => startup::sim(args).await,
        Some(Command::Serve(args)) => startup::serve(*args).await,
        None => startup::serve(cli.serve).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("spaceport: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
