//! The flags of the commands that work on a store without serving it: `certs list`,
//! `rotate-master-key`, `migrate` and `copy`.

use std::path::PathBuf;

use certgate_core::expiry;
use certgate_core::{AccountId, Region};
use certgate_service::certs::{ListConfig, Output};
use certgate_service::keys::rotate::RotateConfig;
use certgate_service::store_admin::{CopyConfig, MigrateConfig};

#[derive(clap::Args, Debug)]
pub struct CertsArgs {
    #[command(subcommand)]
    pub command: CertsCommand,
}

#[derive(clap::Subcommand, Debug)]
pub enum CertsCommand {
    /// List certificates with their expiry. Exit code: 0 nothing expiring within the window,
    /// 1 something expiring or expired, 2 error.
    List(ListArgs),
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputArg {
    Table,
    Json,
}

#[derive(clap::Args, Debug)]
pub struct ListArgs {
    /// The store to read: sqlite:///absolute/path.db or sqlite://relative/path.db.
    #[arg(
        long,
        env = "CERTGATE_STORE",
        default_value = "sqlite://certgate-data/certgate.db"
    )]
    pub store: String,

    /// Only this account (twelve digits).
    #[arg(long, value_parser = parse_account)]
    pub account: Option<AccountId>,

    /// Only this region, such as us-east-1.
    #[arg(long, value_parser = parse_region)]
    pub region: Option<Region>,

    /// List only certificates that expire within this time (30d, 12h, 90m) or have expired.
    /// Without it every certificate is listed and the exit code uses a 30-day window.
    #[arg(long, value_parser = parse_window)]
    pub expiring_within: Option<i64>,

    /// Judge expiry this far from the machine's clock (364d, -12h), as `serve --clock-offset` does.
    #[arg(long, env = "CERTGATE_CLOCK_OFFSET", value_parser = expiry::parse_duration, allow_hyphen_values = true)]
    pub clock_offset: Option<i64>,

    /// A table for people or JSON for scripts.
    #[arg(long, value_enum, default_value = "table")]
    pub output: OutputArg,
}

impl ListArgs {
    pub fn config(self) -> ListConfig {
        ListConfig {
            store: self.store,
            account: self.account,
            region: self.region,
            expiring_within: self.expiring_within,
            clock_offset: self.clock_offset,
            output: match self.output {
                OutputArg::Table => Output::Table,
                OutputArg::Json => Output::Json,
            },
        }
    }
}

/// A warning window: a duration that is not negative (a negative one would warn about nothing).
fn parse_window(s: &str) -> Result<i64, String> {
    match expiry::parse_duration(s)? {
        w if w < 0 => Err(format!("'{s}' is negative: give a window such as 30d")),
        w => Ok(w),
    }
}

fn parse_account(s: &str) -> Result<AccountId, String> {
    AccountId::parse(s).ok_or_else(|| format!("'{s}' is not an account id: twelve digits"))
}

fn parse_region(s: &str) -> Result<Region, String> {
    Region::parse(s).ok_or_else(|| format!("'{s}' is not a region name such as us-east-1"))
}

#[derive(clap::Args, Debug, Clone)]
pub struct RotateArgs {
    /// The store whose keys to re-encrypt (as for `serve`).
    #[arg(
        long,
        env = "CERTGATE_STORE",
        default_value = "sqlite://certgate-data/certgate.db"
    )]
    pub store: String,

    /// The current master key (default: master.key beside the SQLite file, as for `serve`).
    #[arg(long, env = "CERTGATE_MASTER_KEY_FILE")]
    pub master_key_file: Option<PathBuf>,

    /// The new master key; created (mode 0600) if the file does not exist.
    #[arg(long)]
    pub new_key_file: PathBuf,

    /// Re-encrypt at most this many keys in this run (run again to go on).
    #[arg(long)]
    pub limit: Option<u64>,
}

impl RotateArgs {
    pub fn config(self) -> RotateConfig {
        RotateConfig {
            store: self.store,
            master_key_file: self.master_key_file,
            new_key_file: self.new_key_file,
            limit: self.limit,
        }
    }
}

#[derive(clap::Args)]
pub struct MigrateArgs {
    /// The store to migrate: sqlite:///path.db or postgres://user@host:port/db[?schema=NAME].
    #[arg(long, env = "CERTGATE_STORE")]
    pub store: String,
}

impl MigrateArgs {
    pub fn config(self) -> MigrateConfig {
        MigrateConfig { store: self.store }
    }
}

#[derive(clap::Args)]
pub struct CopyArgs {
    /// The store to read from (left unchanged).
    #[arg(long)]
    pub from: String,
    /// The store to write to; created and migrated if needed.
    #[arg(long)]
    pub to: String,
}

impl CopyArgs {
    pub fn config(self) -> CopyConfig {
        CopyConfig {
            from: self.from,
            to: self.to,
        }
    }
}
