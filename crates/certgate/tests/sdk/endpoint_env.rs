//! The Rust SDK's configuration loader finds certgate through `AWS_ENDPOINT_URL_API_GATEWAY` and
//! `AWS_ENDPOINT_URL`, the service-specific one first. The environment is given to the loader
//! (aws-config's test-util), so these tests never touch the process's real environment, which the
//! other tests share.

use aws_types::os_shim_internal::{Env, Fs};

use super::*;

/// Nothing listens on the discard port: a call that succeeds followed the other variable.
const DEAD: &str = "http://127.0.0.1:9";

async fn client_from_env(vars: &[(&str, &str)]) -> Client {
    let mut all = vec![
        ("AWS_ACCESS_KEY_ID", "210987654321"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_MAX_ATTEMPTS", "1"),
    ];
    all.extend_from_slice(vars);
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .env(Env::from_slice(&all))
        .fs(Fs::from_slice(&[]))
        .load()
        .await;
    Client::new(&config)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_specific_endpoint_variable_wins_over_the_global_one() {
    let server = Server::start().await;
    let url = format!("http://{}", server.addr);
    let client = client_from_env(&[
        ("AWS_ENDPOINT_URL", DEAD),
        ("AWS_ENDPOINT_URL_API_GATEWAY", &url),
    ])
    .await;
    let id = generate(&client).await;
    assert_eq!(get(&client, &id).await.client_certificate_id(), Some(&*id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn global_endpoint_variable_alone_is_enough() {
    let server = Server::start().await;
    let url = format!("http://{}", server.addr);
    let client = client_from_env(&[("AWS_ENDPOINT_URL", &url)]).await;
    let id = generate(&client).await;
    assert_eq!(list_ids(&client).await, vec![id]);

    // The same loader pointed at nothing fails, so the calls above really followed the variable.
    let dead = client_from_env(&[("AWS_ENDPOINT_URL", DEAD)]).await;
    let err = dead
        .get_client_certificates()
        .send()
        .await
        .expect_err("nothing listens there");
    assert!(err.as_service_error().is_none(), "{err:?}");
}
