//! `--throttle`: a burst is served, the next request is a 429 `TooManyRequestsException` with
//! `Retry-After`, other accounts are unaffected, and the SDK's standard retries recover from it.

use aws_sdk_apigateway::config::retry::RetryConfig;
use aws_sdk_apigateway::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_apigateway::error::ProvideErrorMetadata;
use certgate_server::throttle::Limit;

use super::*;

async fn throttled(rate: f64, burst: u32) -> Server {
    Server::start_with(common::Options {
        throttle: Some(Limit { rate, burst }),
        ..Default::default()
    })
    .await
}

#[tokio::test]
async fn past_the_burst_an_account_gets_429_with_retry_after() {
    // One token per 100 s: nothing refills while the test runs, however slow the machine.
    let server = throttled(0.01, 3).await;
    let client = server.client_as("333333333333", "us-east-1");
    for _ in 0..3 {
        list_ids(&client).await;
    }
    let err = client.get_client_certificates().send().await.unwrap_err();
    let raw = err.raw_response().expect("a response");
    assert_eq!(raw.status().as_u16(), 429);
    assert_eq!(raw.headers().get("retry-after"), Some("100"));
    let service = err.into_service_error();
    assert_eq!(service.code(), Some("TooManyRequestsException"));
    assert_eq!(service.message(), Some("Too Many Requests"));
    // Another account has its own bucket.
    list_ids(&server.client_as("444444444444", "us-east-1")).await;
}

#[tokio::test]
async fn the_sdk_standard_retry_mode_recovers() {
    // Ten tokens a second, burst of one: the SDK's retries with backoff find a token again.
    let server = throttled(10.0, 1).await;
    let config = aws_sdk_apigateway::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(format!("http://{}", server.addr))
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("555555555555", "x", None, None, "test"))
        .retry_config(RetryConfig::standard().with_max_attempts(10))
        .build();
    let client = Client::from_conf(config);
    for _ in 0..5 {
        client
            .get_client_certificates()
            .send()
            .await
            .expect("retried until admitted");
    }
}
