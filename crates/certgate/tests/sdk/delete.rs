//! DeleteClientCertificate.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_removes_the_certificate_once() {
    let server = Server::start().await;
    let client = server.client();
    let id = generate(&client).await;
    let kept = generate(&client).await;
    client
        .delete_client_certificate()
        .client_certificate_id(&id)
        .send()
        .await
        .expect("delete");
    let r = client
        .get_client_certificate()
        .client_certificate_id(&id)
        .send()
        .await;
    service_error!(r, GetClientCertificateError::NotFoundException, NOT_FOUND);
    let r = client
        .delete_client_certificate()
        .client_certificate_id(&id)
        .send()
        .await;
    service_error!(
        r,
        DeleteClientCertificateError::NotFoundException,
        NOT_FOUND
    );
    // The other certificate is still there, and is all the list shows.
    assert_eq!(list_ids(&client).await, [kept.as_str()]);
    get(&client, &kept).await;
    // Its tags are gone with it.
    let r = client
        .get_tags()
        .resource_arn(arn("us-east-1", &id))
        .send()
        .await;
    service_error!(r, GetTagsError::NotFoundException, NOT_FOUND);
}
