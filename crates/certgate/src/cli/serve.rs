//! The flags of `certgate serve`, each group turned into the plain config struct of the crate that
//! uses it.

use std::net::SocketAddr;
use std::path::PathBuf;

use certgate_core::expiry;
use certgate_server::access::AccessConfig;
use certgate_server::console::ConsoleConfig;
use certgate_server::limits::{LimitConfig, Limits};
use certgate_service::pool::KeyPoolConfig;

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (the chosen address is printed).
    #[arg(long, env = "CERTGATE_LISTEN", default_value = "127.0.0.1:4566")]
    pub listen: SocketAddr,

    /// Where certificates are kept: sqlite:///absolute/path.db, sqlite://relative/path.db or
    /// postgres://user@host:port/dbname[?schema=NAME].
    #[arg(
        long,
        env = "CERTGATE_STORE",
        default_value = "sqlite://certgate-data/certgate.db"
    )]
    pub store: String,

    /// Client certificates allowed per account and region (AWS's quota is 60).
    #[arg(long, env = "CERTGATE_MAX_CERTIFICATES_PER_REGION", default_value_t = certgate_core::DEFAULT_MAX_CERTIFICATES_PER_REGION)]
    pub max_certificates_per_region: u32,

    /// Edge-optimized REST APIs allowed per account and region (AWS's default quota is 120).
    #[arg(long, env = "CERTGATE_MAX_REST_APIS_EDGE", default_value_t = 120)]
    pub max_rest_apis_edge: u32,

    /// Regional and private REST APIs allowed per account and region (AWS's default is 600).
    #[arg(long, env = "CERTGATE_MAX_REST_APIS_REGIONAL", default_value_t = 600)]
    pub max_rest_apis_regional: u32,

    /// Resources allowed per REST API, its root included (AWS's default is 300).
    #[arg(long, env = "CERTGATE_MAX_RESOURCES_PER_API", default_value_t = 300)]
    pub max_resources_per_api: u32,

    /// Stages allowed per REST API (AWS's default is 10).
    #[arg(long, env = "CERTGATE_MAX_STAGES_PER_API", default_value_t = 10)]
    pub max_stages_per_api: u32,

    /// RSA keys generated at once; defaults to the number of CPU cores.
    #[arg(long, env = "CERTGATE_KEYGEN_THREADS")]
    pub keygen_threads: Option<usize>,

    #[command(flatten)]
    pub console: ConsoleArgs,

    #[command(flatten)]
    pub access: AccessArgs,

    /// File holding the master key that encrypts private keys at rest (32 bytes, base64). Default:
    /// master.key beside the SQLite file, created on first start.
    #[arg(long, env = "CERTGATE_MASTER_KEY_FILE")]
    pub master_key_file: Option<PathBuf>,

    /// PEM file of CA certificates that backends' certificates may chain to, besides the public
    /// web PKI's roots: a company CA, or a self-signed test backend.
    #[arg(long, env = "CERTGATE_BACKEND_CA_FILE")]
    pub backend_ca_file: Option<PathBuf>,

    #[command(flatten)]
    pub limits: LimitArgs,

    #[command(flatten)]
    pub key_pool: KeyPoolArgs,
}

/// The flags of `serve` that belong to the console and the clock.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ConsoleArgs {
    /// Run the server's clock this far from the machine's (364d, -350d, 12h, 90m): certificates are
    /// issued and judged at the shifted time, to test rotation without waiting a year.
    #[arg(long, env = "CERTGATE_CLOCK_OFFSET", value_parser = expiry::parse_duration, allow_hyphen_values = true)]
    pub clock_offset: Option<i64>,

    /// Serve POST /_certgate/clock, which moves the clock offset of the running server. For tests
    /// only: anyone who can reach the server can then change its time.
    #[arg(long, env = "CERTGATE_ADMIN_CLOCK", value_parser = clap::builder::BoolishValueParser::new())]
    pub admin_clock: bool,

    /// Do not serve the certificate console at /_certgate/ (it shows every account's certificates:
    /// without authentication in --auth open, to admin keys in --auth sigv4).
    #[arg(long, env = "CERTGATE_NO_CONSOLE", value_parser = clap::builder::BoolishValueParser::new())]
    pub no_console: bool,
}

impl ConsoleArgs {
    pub fn config(&self) -> ConsoleConfig {
        ConsoleConfig {
            clock_offset: self.clock_offset,
            admin_clock: self.admin_clock,
            no_console: self.no_console,
        }
    }
}

/// `serve`'s access flags.
#[derive(clap::Args, Debug, Clone)]
pub struct AccessArgs {
    /// `open` accepts any well-formed signature (local development); `sigv4` verifies every
    /// request against --credentials.
    #[arg(long, env = "CERTGATE_AUTH", default_value = "open", value_parser = ["open", "sigv4"])]
    pub auth: String,

    /// TOML file of access keys for --auth sigv4 (reloaded on SIGHUP).
    #[arg(long, env = "CERTGATE_CREDENTIALS")]
    pub credentials: Option<PathBuf>,

    /// Requests per second per account: `off`, `aws` (10/s, burst 40) or `RATE,BURST`.
    #[arg(long, env = "CERTGATE_THROTTLE", default_value = "off")]
    pub throttle: String,
}

impl AccessArgs {
    pub fn config(&self) -> AccessConfig {
        AccessConfig {
            auth: self.auth.clone(),
            credentials: self.credentials.clone(),
            throttle: self.throttle.clone(),
        }
    }
}

/// The limit flags of `certgate serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct LimitArgs {
    /// Connections served at once; further connections are answered 503 and closed.
    #[arg(long, env = "CERTGATE_MAX_CONNECTIONS", default_value_t = Limits::default().max_connections)]
    pub max_connections: usize,

    /// Requests handled at once; further requests are answered 429 TooManyRequestsException.
    #[arg(long, env = "CERTGATE_MAX_IN_FLIGHT", default_value_t = Limits::default().max_in_flight)]
    pub max_in_flight: usize,

    /// Invocations of stages handled at once, apart from the API's places so that slow backends
    /// cannot take them; further invocations are answered 429.
    #[arg(long, env = "CERTGATE_MAX_INVOKES_IN_FLIGHT", default_value_t = Limits::default().max_invokes_in_flight)]
    pub max_invokes_in_flight: usize,

    /// Request bodies received at once (a request waiting for its body holds one of these, not a
    /// place in flight); further requests with a body are answered 429.
    #[arg(long, env = "CERTGATE_MAX_UPLOADS", default_value_t = Limits::default().max_uploads)]
    pub max_uploads: usize,

    /// Largest request head (request line and headers) in bytes, at least 8192; larger is a 431.
    #[arg(long, env = "CERTGATE_MAX_HEADER_BYTES", default_value_t = Limits::default().max_header_bytes)]
    pub max_header_bytes: usize,

    /// Largest request body in bytes; larger is a 413.
    #[arg(long, env = "CERTGATE_MAX_BODY_BYTES", default_value_t = Limits::default().max_body_bytes)]
    pub max_body_bytes: usize,

    /// Seconds a client has to send a request's headers before its connection is closed.
    #[arg(long, env = "CERTGATE_HEADER_READ_TIMEOUT_SECONDS", default_value_t = Limits::default().header_read_timeout.as_secs_f64())]
    pub header_read_timeout_seconds: f64,

    /// Seconds a client has to send a request's body before it is answered 408.
    #[arg(long, env = "CERTGATE_BODY_READ_TIMEOUT_SECONDS", default_value_t = Limits::default().body_read_timeout.as_secs_f64())]
    pub body_read_timeout_seconds: f64,

    /// Seconds a stop (SIGTERM, Ctrl-C) waits for requests in flight before closing connections.
    #[arg(long, env = "CERTGATE_SHUTDOWN_GRACE_SECONDS", default_value_t = Limits::default().shutdown_grace.as_secs_f64())]
    pub shutdown_grace_seconds: f64,
}

impl LimitArgs {
    /// The limits these flags ask for, or a message naming the flag that is out of range.
    pub fn limits(&self) -> Result<Limits, String> {
        LimitConfig {
            max_connections: self.max_connections,
            max_in_flight: self.max_in_flight,
            max_invokes_in_flight: self.max_invokes_in_flight,
            max_uploads: self.max_uploads,
            max_header_bytes: self.max_header_bytes,
            max_body_bytes: self.max_body_bytes,
            header_read_timeout_seconds: self.header_read_timeout_seconds,
            body_read_timeout_seconds: self.body_read_timeout_seconds,
            shutdown_grace_seconds: self.shutdown_grace_seconds,
        }
        .limits()
    }
}

/// The pool's flags.
#[derive(clap::Args, Debug, Clone)]
pub struct KeyPoolArgs {
    /// RSA keys kept ready in memory so that GenerateClientCertificate need not wait for one; 0
    /// turns the pool off (every Generate then makes its key on the spot).
    #[arg(long, env = "CERTGATE_KEY_POOL_SIZE", default_value_t = 32)]
    pub key_pool_size: usize,

    /// Threads that refill the key pool; defaults to the number of CPU cores.
    #[arg(long, env = "CERTGATE_KEY_POOL_WORKERS")]
    pub key_pool_workers: Option<usize>,
}

impl KeyPoolArgs {
    pub fn config(&self) -> KeyPoolConfig {
        KeyPoolConfig {
            key_pool_size: self.key_pool_size,
            key_pool_workers: self.key_pool_workers,
        }
    }
}
