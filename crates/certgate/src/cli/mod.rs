//! The command line: clap's types only. Each command's flags become the plain config structs of
//! the crates that do the work, so no library crate depends on clap.

pub mod admin;
pub mod serve;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "certgate",
    version,
    about = "Amazon API Gateway's client-certificate API, with real certificates"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Log format on stderr: text for people, json (one object per line) for log pipelines.
    #[arg(
        long,
        global = true,
        env = "CERTGATE_LOG_FORMAT",
        value_enum,
        default_value_t
    )]
    pub log_format: LogFormatArg,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the API until SIGTERM or SIGINT.
    Serve(Box<serve::ServeArgs>),
    /// Inspect the certificates of a store, such as which expire soon.
    Certs(admin::CertsArgs),
    /// Re-encrypt every private key under a new master key (stop every server first).
    RotateMasterKey(admin::RotateArgs),
    /// Apply pending schema migrations to a store, then exit.
    Migrate(admin::MigrateArgs),
    /// Copy every certificate (keys included) from one store to another; safe to re-run.
    Copy(admin::CopyArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormatArg {
    /// Human-readable lines, coloured on a terminal.
    #[default]
    Text,
    /// One JSON object per line with the event's fields at the top level, for log pipelines.
    Json,
}

impl LogFormatArg {
    pub fn format(self) -> certgate_server::logging::LogFormat {
        match self {
            LogFormatArg::Text => certgate_server::logging::LogFormat::Text,
            LogFormatArg::Json => certgate_server::logging::LogFormat::Json,
        }
    }
}

#[cfg(test)]
mod tests;
