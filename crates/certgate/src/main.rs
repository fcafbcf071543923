//! The `certgate` command: `serve` runs the API.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use certgate::{App, Service, ServiceConfig};
use certgate_core::source::RandomIds;
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

    /// Log format on stderr: text for people, json (one object per line) for log pipelines.
    #[arg(
        long,
        global = true,
        env = "CERTGATE_LOG_FORMAT",
        value_enum,
        default_value_t
    )]
    log_format: certgate::logging::LogFormat,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API until SIGTERM or SIGINT.
    Serve(ServeArgs),
    /// Inspect the certificates of a store, such as which expire soon.
    Certs(certgate::certs::CertsArgs),
    /// Re-encrypt every private key under a new master key (stop every server first).
    RotateMasterKey(certgate::keys::rotate::RotateArgs),
    /// Apply pending schema migrations to a store, then exit.
    Migrate(certgate::store_admin::MigrateArgs),
    /// Copy every certificate (keys included) from one store to another; safe to re-run.
    Copy(certgate::store_admin::CopyArgs),
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (the chosen address is printed).
    #[arg(long, env = "CERTGATE_LISTEN", default_value = "127.0.0.1:4566")]
    listen: SocketAddr,

    /// Where certificates are kept: sqlite:///absolute/path.db, sqlite://relative/path.db or
    /// postgres://user@host:port/dbname[?schema=NAME].
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
    console: certgate::console::ConsoleArgs,

    #[command(flatten)]
    access: certgate::access::AccessArgs,

    #[command(flatten)]
    master_key: certgate::keys::MasterKeyArgs,

    #[command(flatten)]
    limits: certgate::limits::LimitArgs,

    #[command(flatten)]
    key_pool: certgate::pool::KeyPoolArgs,
}

/// Installs the SIGTERM and SIGINT handlers now and returns the future that completes on either.
/// Installing them before readiness is announced matters: a signal that arrives between the
/// announcement and the first poll of a lazily installed handler would kill the process outright,
/// skipping the graceful shutdown.
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>, String> {
    #[cfg(unix)]
    let (mut term, mut int) = {
        use tokio::signal::unix::{signal, SignalKind};
        let term =
            signal(SignalKind::terminate()).map_err(|e| format!("cannot handle SIGTERM: {e}"))?;
        let int =
            signal(SignalKind::interrupt()).map_err(|e| format!("cannot handle SIGINT: {e}"))?;
        (term, int)
    };
    Ok(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = term.recv() => {},
            _ = int.recv() => {},
        }
        #[cfg(not(unix))]
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
        tracing::info!("shutting down: finishing requests in flight");
    })
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    let limits = args.limits.limits()?;
    let url = StoreUrl::parse(&args.store)?;
    // The master key comes before the store, so that a new SQLite file is created with the key's
    // fingerprint and the pagination key already in it, synced once with the whole file instead of
    // one commit (and fsync) per setting at a first start. `check_store` and `page_key` then read
    // them back.
    let master_key =
        certgate::keys::load_for_serve(args.master_key.master_key_file.as_deref(), &url)?;
    let page_key = certgate_core::page::PageKey::generate_bytes();
    let fingerprint = master_key.fingerprint();
    let store = certgate_store::open_with_settings(
        &url,
        &[
            (certgate::keys::FINGERPRINT_SETTING, &fingerprint),
            (certgate_core::page::KEY_SETTING, page_key.expose()),
        ],
    )
    .await
    .map_err(|e| format!("cannot open store {url}: {e}"))?;
    certgate::keys::check_store(&store, &master_key).await?;
    let access = args.access.build()?;
    if let certgate::access::Auth::SigV4(file) = &access.auth {
        certgate::access::reload_on_sighup(file.clone());
    }
    let mut config = ServiceConfig {
        max_certificates_per_region: args.max_certificates_per_region,
        ..Default::default()
    };
    if let Some(n) = args.keygen_threads {
        config.keygen_concurrency = n.max(1);
    }
    let ids = Arc::new(RandomIds);
    let clock = args.console.clock();
    let mut service = Service::new(store.clone(), clock.clone(), ids.clone(), config)
        .with_master_key(Arc::new(master_key));
    let keygen = service.metrics().key_generation_histogram();
    if let Some(pool) = args
        .key_pool
        .start_observed(move |took| keygen.observe(took.as_secs_f64()))
        .map_err(|e| format!("cannot start the key pool: {e}"))?
    {
        service = service.with_key_pool(pool);
    }
    let app = Arc::new(App {
        service,
        ids,
        console: args.console.console(store, clock),
        access,
    });
    app.service
        .page_key()
        .await
        .map_err(|e| format!("cannot read the pagination key from the store: {e}"))?;

    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    // The first key of a process pays a one-time initialisation cost; pay it now, off the
    // critical path, instead of in the first client's request.
    tokio::task::spawn_blocking(certgate_pki::warm_up);

    let shutdown = shutdown_signal()?;
    let mut out = std::io::stdout();
    let _ = writeln!(out, "certgate listening on http://{addr}");
    let _ = out.flush();
    tracing::info!(%addr, store = %url, "ready");
    certgate::serve_with_limits(listener, app, shutdown, limits)
        .await
        .map_err(|e| format!("server failed: {e}"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let log = certgate::logging::init(cli.log_format);
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
        Command::Certs(args) => return runtime.block_on(certgate::certs::run(args)),
        Command::RotateMasterKey(args) => runtime.block_on(certgate::keys::rotate::run(args)),
        Command::Migrate(args) => runtime
            .block_on(certgate::store_admin::migrate(args))
            .map(|m| println!("{m}")),
        Command::Copy(args) => runtime
            .block_on(certgate::store_admin::copy(args))
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
