//! The store behind the in-process server: a fresh SQLite file by default, or, with
//! `CERTGATE_TEST_STORE=postgres`, a fresh schema on the PostgreSQL server `CERTGATE_TEST_POSTGRES`
//! names (default `postgres://postgres@127.0.0.1:5432/test`), dropped when the server is.

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use certgate_store::{DynStore, PostgresStore, PostgresUrl, SqliteStore};

fn postgres_url() -> String {
    std::env::var("CERTGATE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

/// Drops its PostgreSQL schema when dropped.
pub struct Cleanup(Option<String>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let Some(schema) = self.0.take() else { return };
        // `Drop` cannot await, and the test's runtime may be the one dropping us: use a thread with
        // a runtime of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                let (client, conn) =
                    tokio_postgres::connect(&postgres_url(), tokio_postgres::NoTls)
                        .await
                        .expect("connect to drop the test schema");
                tokio::spawn(conn);
                client
                    .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                    .await
                    .expect("drop the test schema");
            });
        })
        .join();
    }
}

pub async fn open(dir: &Path) -> (DynStore, Cleanup) {
    if std::env::var("CERTGATE_TEST_STORE").as_deref() != Ok("postgres") {
        let store = SqliteStore::open(dir.join("c.db"))
            .await
            .expect("open sqlite store");
        return (Arc::new(store), Cleanup(None));
    }
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let schema = format!(
        "certgate_sdk_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let base = postgres_url();
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = PostgresUrl::parse(&format!("{base}{sep}schema={schema}")).expect("store URL");
    let cleanup = Cleanup(Some(schema));
    let store = PostgresStore::open(&url)
        .await
        .expect("open postgres store");
    (Arc::new(store), cleanup)
}
