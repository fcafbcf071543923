//! The `certgate` command: the command line ([`cli`]) and the composition root of `serve`
//! ([`serve`]); the work is done by the library crates.

mod cli;
mod serve;

use std::process::ExitCode;

use clap::Parser;
use cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let log = certgate_server::logging::init(cli.log_format.format());
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("certgate: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Command::Serve(args) => runtime.block_on(serve::run(*args)),
        Command::Certs(cli::admin::CertsArgs {
            command: cli::admin::CertsCommand::List(args),
        }) => return runtime.block_on(certgate_service::certs::run_list(args.config())),
        Command::RotateMasterKey(args) => {
            runtime.block_on(certgate_service::keys::rotate::run(args.config()))
        }
        Command::Migrate(args) => runtime
            .block_on(certgate_service::store_admin::migrate(args.config()))
            .map(|m| println!("{m}")),
        Command::Copy(args) => runtime
            .block_on(certgate_service::store_admin::copy(args.config()))
            .map(|m| println!("{m}")),
    };
    // Write out the buffered log lines before the last message, so that they keep their order.
    drop(runtime);
    drop(log);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("certgate: {message}");
            ExitCode::FAILURE
        }
    }
}
