//! The `certgate` command: `serve` runs the API.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use certgate::{App, Service, ServiceConfig};
use certgate_core::source::{RandomIds, SystemClock};
use certgate_store::StoreUrl;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "certgate",
    version,
    about = "Amazon API Gateway's client-certificate API, with real certificates"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API until SIGTERM or SIGINT.
    Serve(ServeArgs),
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (the chosen address is printed).
    #[arg(long, env = "CERTGATE_LISTEN", default_value = "127.0.0.1:4566")]
    listen: SocketAddr,

    /// Where certificates are kept: sqlite:///absolute/path.db or sqlite://relative/path.db.
    #[arg(
        long,
        env = "CERTGATE_STORE",
        default_value = "sqlite://certgate-data/certgate.db"
    )]
    store: String,

    /// Client certificates allowed per account and region (AWS's quota is 60).
    #[arg(long, env = "CERTGATE_MAX_CERTIFICATES_PER_REGION", default_value_t = certgate_core::DEFAULT_MAX_CERTIFICATES_PER_REGION)]
    max_certificates_per_region: u32,

    /// RSA keys generated at once; defaults to the number of CPU cores.
    #[arg(long, env = "CERTGATE_KEYGEN_THREADS")]
    keygen_threads: Option<usize>,

    #[command(flatten)]
    key_pool: certgate::pool::KeyPoolArgs,
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    let url = StoreUrl::parse(&args.store)?;
    let store = certgate_store::open(&url)
        .await
        .map_err(|e| format!("cannot open store {}: {e}", args.store))?;
    let mut config = ServiceConfig {
        max_certificates_per_region: args.max_certificates_per_region,
        ..Default::default()
    };
    if let Some(n) = args.keygen_threads {
        config.keygen_concurrency = n.max(1);
    }
    let ids = Arc::new(RandomIds);
    let mut service = Service::new(store, Arc::new(SystemClock), ids.clone(), config);
    if let Some(pool) =
        (args.key_pool.start()).map_err(|e| format!("cannot start the key pool: {e}"))?
    {
        service = service.with_key_pool(pool);
    }
    let app = Arc::new(App { service, ids });

    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    // The first key of a process pays a one-time initialisation cost; pay it now, off the
    // critical path, instead of in the first client's request.
    tokio::task::spawn_blocking(certgate_pki::warm_up);

    let mut out = std::io::stdout();
    let _ = writeln!(out, "certgate listening on http://{addr}");
    let _ = out.flush();
    tracing::info!(%addr, store = %args.store, "ready");
    certgate::serve(listener, app, shutdown_signal())
        .await
        .map_err(|e| format!("server failed: {e}"))
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CERTGATE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();
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
        Command::Serve(args) => runtime.block_on(serve(args)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("certgate: {message}");
            ExitCode::FAILURE
        }
    }
}
