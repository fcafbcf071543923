//! `certgate serve`: the composition root. It opens the store, checks the master key, builds the
//! service and the HTTP edge from the flags' config structs, and serves until SIGTERM or SIGINT.

use std::io::Write;
use std::sync::Arc;

use certgate_core::source::RandomIds;
use certgate_server::ops::metrics::Metrics;
use certgate_server::App;
use certgate_service::{keys, Service, ServiceConfig};
use certgate_store::StoreUrl;

use crate::cli::serve::ServeArgs;

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

pub async fn run(args: ServeArgs) -> Result<(), String> {
    let limits = args.limits.limits()?;
    let url = StoreUrl::parse(&args.store)?;
    // The master key comes before the store, so that a new SQLite file is created with the key's
    // fingerprint and the pagination key already in it, synced once with the whole file instead of
    // one commit (and fsync) per setting at a first start. `check_store` and `page_key` then read
    // them back.
    let master_key = keys::load_for_serve(args.master_key_file.as_deref(), &url)?;
    let page_key = certgate_core::page::PageKey::generate_bytes();
    let fingerprint = master_key.fingerprint();
    let store = certgate_store::open_with_settings(
        &url,
        &[
            (keys::FINGERPRINT_SETTING, &fingerprint),
            (certgate_core::page::KEY_SETTING, page_key.expose()),
        ],
    )
    .await
    .map_err(|e| format!("cannot open store {url}: {e}"))?;
    keys::check_store(&store, &master_key).await?;
    let access = args.access.config().build()?;
    if let certgate_server::access::Auth::SigV4(file) = &access.auth {
        certgate_server::access::reload_on_sighup(file.clone());
    }
    let mut config = ServiceConfig {
        max_certificates_per_region: args.max_certificates_per_region,
        rest_apis: certgate_service::restapis::RestApiLimits {
            edge_apis: args.max_rest_apis_edge,
            regional_apis: args.max_rest_apis_regional,
            resources_per_api: args.max_resources_per_api,
            stages_per_api: args.max_stages_per_api,
        },
        ..Default::default()
    };
    if let Some(n) = args.keygen_threads {
        config.keygen_concurrency = n.max(1);
    }
    let ids = Arc::new(RandomIds);
    let console = args.console.config();
    let clock = console.clock();
    let master_key = Arc::new(master_key);
    let trust = certgate_proxy::tls::Trust::load(args.backend_ca_file.as_deref())?;
    let data_plane = certgate_proxy::invoke::DataPlane::new(
        store.clone(),
        master_key.clone(),
        clock.clone(),
        trust,
    );
    let mut service = Service::new(store.clone(), clock.clone(), ids.clone(), config)
        .with_master_key(master_key)
        .with_data_plane(data_plane.clone());
    let metrics = Arc::new(Metrics::new());
    let keygen = metrics.key_generation_histogram();
    if let Some(pool) = args
        .key_pool
        .config()
        .start_observed(move |took| keygen.observe(took.as_secs_f64()))
        .map_err(|e| format!("cannot start the key pool: {e}"))?
    {
        service = service.with_key_pool(pool);
    }
    let app = Arc::new(
        App::new(service, metrics, ids, console.console(store, clock), access)
            .with_data_plane(data_plane),
    );
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
    certgate_server::serve_with_limits(listener, app, shutdown, limits)
        .await
        .map_err(|e| format!("server failed: {e}"))
}
