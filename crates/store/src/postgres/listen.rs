//! Each node's listening connection: how a node learns of other nodes' writes. Every table whose
//! rows are cached has a trigger (see `migrations.rs`) that sends, in the writing transaction,
//! `NOTIFY certgate_changes, 'SCHEMA KIND ACCOUNT REGION ID'`; PostgreSQL delivers it to every
//! listening session when the transaction commits, and this connection hands it to the node's
//! change feed.
//!
//! A notification sent while no session listens is lost, and a connection can die without a
//! word. So the feed is trusted only for [`CONFIRMED_FOR`] after the start of a round trip that
//! came back: PostgreSQL sends a listening session every notification committed before a query
//! ahead of that query's answer, and this task hands each one to the feed as it reads it, so
//! when the answer arrives every change committed before the round trip began has been
//! announced. Round trips go every [`PING_EVERY`]; one that fails or takes longer than
//! [`PING_TIMEOUT`] distrusts the feed at once, and a new connection announces
//! [`crate::Event::Everything`] once it listens, for what it may have missed in between.

use std::sync::{Arc, OnceLock, Weak};
use std::time::{Duration, Instant};

use tokio_postgres::AsyncMessage;

use super::tls::MakeRustls;

use super::config::CONNECT_TIMEOUT;
use crate::changes::{ChangeFeed, ChangeKind, CONFIRMED_FOR};
use certgate_core::Scope;

/// The channel every node listens on; the payload names the schema, so stores in different
/// schemas of one database ignore each other's changes.
pub(crate) const CHANNEL: &str = "certgate_changes";
const PING_EVERY: Duration = Duration::from_millis(200);
const PING_TIMEOUT: Duration = Duration::from_millis(400);
/// Between attempts to connect again.
const RETRY: Duration = Duration::from_millis(250);

/// Listens for as long as the feed exists (the store holds the only strong reference).
/// It connects with the pool's TLS settings (`tls`), so `sslmode` holds for it too.
pub(crate) fn spawn(mut config: tokio_postgres::Config, tls: MakeRustls, feed: Weak<ChangeFeed>) {
    // Its own name, so that an operator (or a test) can tell it from the pool's connections.
    let name = format!(
        "{}-changes",
        config.get_application_name().unwrap_or("certgate")
    );
    config.application_name(&name);
    tokio::spawn(async move {
        loop {
            if feed.strong_count() == 0 {
                return;
            }
            if let Err(cause) = listen(&config, &tls, &feed).await {
                tracing::debug!(%cause, "change listener lost its connection; reconnecting");
            }
            if let Some(feed) = feed.upgrade() {
                feed.distrust();
            }
            tokio::time::sleep(RETRY).await;
        }
    });
}

/// One listening connection, until it fails or the feed is gone.
async fn listen(
    config: &tokio_postgres::Config,
    tls: &MakeRustls,
    feed: &Weak<ChangeFeed>,
) -> Result<(), String> {
    let (client, mut connection) =
        tokio::time::timeout(CONNECT_TIMEOUT, config.connect(tls.clone()))
            .await
            .map_err(|_| "connecting timed out".to_string())?
            .map_err(|e| e.to_string())?;
    let schema: Arc<OnceLock<String>> = Arc::new(OnceLock::new());
    let driver = {
        let (feed, schema) = (feed.clone(), schema.clone());
        tokio::spawn(async move {
            while let Some(message) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                match message {
                    Ok(AsyncMessage::Notification(n)) if n.channel() == CHANNEL => {
                        let (Some(feed), Some(schema)) = (feed.upgrade(), schema.get()) else {
                            continue;
                        };
                        announce(&feed, schema, n.payload());
                    }
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
            // The connection is gone: what it would have delivered from now on is lost, so the
            // caches stop answering at once rather than at the next failed round trip.
            if let Some(feed) = feed.upgrade() {
                feed.distrust();
            }
        })
    };
    let result = async {
        let row = client
            .query_one("SELECT current_schema()::TEXT", &[])
            .await
            .map_err(|e| e.to_string())?;
        let current: String = row.try_get(0).map_err(|e| e.to_string())?;
        let _ = schema.set(current);
        client
            .batch_execute(&format!("LISTEN {CHANNEL}"))
            .await
            .map_err(|e| e.to_string())?;
        // Whatever was written while no connection of this node listened.
        match feed.upgrade() {
            Some(feed) => feed.publish_everything(),
            None => return Ok(()),
        }
        loop {
            let started = Instant::now();
            tokio::time::timeout(PING_TIMEOUT, client.simple_query(""))
                .await
                .map_err(|_| "a round trip timed out".to_string())?
                .map_err(|e| e.to_string())?;
            match feed.upgrade() {
                Some(feed) => feed.confirm_until(started + CONFIRMED_FOR),
                None => return Ok(()),
            }
            tokio::time::sleep(PING_EVERY).await;
        }
    }
    .await;
    driver.abort();
    result
}

/// Hands one notification's change to the feed, if it is of this store's schema; a payload this
/// build cannot read (a newer node's kind) makes everything suspect rather than nothing.
fn announce(feed: &ChangeFeed, schema: &str, payload: &str) {
    let mut parts = payload.split(' ');
    let (Some(of), Some(kind), Some(account), Some(region), Some(id), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        feed.publish_everything();
        return;
    };
    if of != schema {
        return;
    }
    let scope = certgate_core::AccountId::parse(account)
        .zip(certgate_core::Region::parse(region))
        .map(|(account, region)| Scope { account, region });
    match (ChangeKind::parse(kind), scope) {
        (Some(kind), Some(scope)) => feed.publish(kind, &scope, id),
        _ => feed.publish_everything(),
    }
}
