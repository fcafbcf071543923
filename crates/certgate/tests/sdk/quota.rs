//! The quota of certificates per account and region.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_generates_stop_exactly_at_the_default_quota() {
    let server = Server::start().await; // the default quota, 60
    let client = server.client();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..75 {
        let c = client.clone();
        tasks.spawn(async move {
            c.generate_client_certificate()
                .description(format!("n{i}"))
                .send()
                .await
        });
    }
    let (mut ok, mut limited) = (0, 0);
    while let Some(joined) = tasks.join_next().await {
        match joined.expect("task") {
            Ok(_) => ok += 1,
            Err(err) => match err.into_service_error() {
                GenerateClientCertificateError::LimitExceededException(_) => limited += 1,
                other => panic!("expected LimitExceededException, got {other:?}"),
            },
        }
    }
    assert_eq!((ok, limited), (60, 15));
    assert_eq!(list_ids(&client).await.len(), 60);

    // Full: one more is refused; after a delete, one more fits, and then it is full again.
    let r = client.generate_client_certificate().send().await;
    service_error!(r, GenerateClientCertificateError::LimitExceededException);
    let victim = list_ids(&client).await.remove(0);
    client
        .delete_client_certificate()
        .client_certificate_id(&victim)
        .send()
        .await
        .expect("delete");
    generate(&client).await;
    let r = client.generate_client_certificate().send().await;
    service_error!(r, GenerateClientCertificateError::LimitExceededException);
    assert_eq!(list_ids(&client).await.len(), 60);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_certificate_frees_a_slot_of_the_quota() {
    let server = Server::with_quota(5).await;
    let client = server.client();
    let ids = generate_many(&client, 5).await;
    let r = client.generate_client_certificate().send().await;
    let e = service_error!(r, GenerateClientCertificateError::LimitExceededException);
    assert!(e.message().is_some_and(|m| !m.is_empty()));
    client
        .delete_client_certificate()
        .client_certificate_id(&ids[2])
        .send()
        .await
        .expect("delete");
    let new = generate(&client).await;
    assert!(!ids.contains(&new));
    let r = client.generate_client_certificate().send().await;
    service_error!(r, GenerateClientCertificateError::LimitExceededException);
    assert_eq!(list_ids(&client).await.len(), 5);

    // The quota is per account and region: another account and another region are not full.
    generate(&server.client_as("111111111111", "us-east-1")).await;
    generate(&server.client_as(common::DEFAULT_KEY, "eu-west-1")).await;
}
