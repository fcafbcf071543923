// Each test binary that includes this module uses only some of its helpers.
#![allow(dead_code)]

//! A fresh PostgreSQL schema per test, on the server `CERTGATE_TEST_POSTGRES` names (default
//! `postgres://postgres@127.0.0.1:5432/test`), dropped again when the test ends. The server is shared
//! with other runs and other people: tests only ever create and drop their own `certgate_test_*`
//! schemas.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use certgate_store::{DynStore, PostgresStore, PostgresUrl};

pub fn server_url() -> String {
    std::env::var("CERTGATE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

/// A schema name no other test, run or machine sharing the server picks.
pub fn unique_schema() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "certgate_test_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

pub fn url_for(schema: &str) -> PostgresUrl {
    let base = server_url();
    let sep = if base.contains('?') { '&' } else { '?' };
    PostgresUrl::parse(&format!("{base}{sep}schema={schema}")).unwrap()
}

/// Drops its schema when dropped, from a thread of its own because `Drop` cannot await.
pub struct SchemaGuard(pub String);

impl Drop for SchemaGuard {
    fn drop(&mut self) {
        let schema = self.0.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let (client, conn) = tokio_postgres::connect(&server_url(), tokio_postgres::NoTls)
                    .await
                    .unwrap();
                tokio::spawn(conn);
                client
                    .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                    .await
                    .unwrap();
            });
        })
        .join();
    }
}

pub async fn fresh_postgres() -> (DynStore, SchemaGuard) {
    let schema = unique_schema();
    let guard = SchemaGuard(schema.clone());
    let store = PostgresStore::open(&url_for(&schema))
        .await
        .unwrap_or_else(|e| {
            panic!(
                "cannot open PostgreSQL at {} (start it with scripts/ensure-postgres): {e}",
                server_url()
            )
        });
    (Arc::new(store), guard)
}

/// A plain connection to the test server with `search_path` set to `schema`, for looking behind
/// the store's back.
pub async fn raw_client(schema: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(&server_url(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    client
        .batch_execute(&format!("SET search_path = {schema}"))
        .await
        .unwrap();
    client
}
