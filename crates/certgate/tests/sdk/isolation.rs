//! Isolation of accounts and regions.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_do_not_see_each_other() {
    let server = Server::start().await;
    let alice = server.client_as("111111111111", "us-east-1");
    let bob = server.client_as("222222222222", "us-east-1");
    let a = generate(&alice).await;
    let b = generate(&bob).await;
    assert_eq!(list_ids(&alice).await, [a.as_str()]);
    assert_eq!(list_ids(&bob).await, [b.as_str()]);

    let r = bob
        .get_client_certificate()
        .client_certificate_id(&a)
        .send()
        .await;
    service_error!(r, GetClientCertificateError::NotFoundException, NOT_FOUND);
    let r = bob
        .update_client_certificate()
        .client_certificate_id(&a)
        .patch_operations(replace_description("bob was here"))
        .send()
        .await;
    service_error!(r, UpdateClientCertificateError::NotFoundException);
    let r = bob
        .tag_resource()
        .resource_arn(arn("us-east-1", &a))
        .tags("by", "bob")
        .send()
        .await;
    service_error!(r, TagResourceError::NotFoundException);
    let r = bob
        .get_tags()
        .resource_arn(arn("us-east-1", &a))
        .send()
        .await;
    service_error!(r, GetTagsError::NotFoundException);
    let r = bob
        .delete_client_certificate()
        .client_certificate_id(&a)
        .send()
        .await;
    service_error!(r, DeleteClientCertificateError::NotFoundException);

    // Alice's certificate is untouched by all of that.
    let got = get(&alice, &a).await;
    assert_eq!(got.description(), None);
    assert!(tags_of(got.tags()).is_empty());

    // A key that is not twelve digits is the default account, 000000000000.
    let default_by_name = server.client_as("000000000000", "us-east-1");
    let default_by_other_key = server.client_as("AKIAIOSFODNN7EXAMPLE", "us-east-1");
    let d = generate(&default_by_other_key).await;
    assert_eq!(list_ids(&default_by_name).await, [d.as_str()]);
    assert!(!list_ids(&alice).await.contains(&d));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regions_do_not_see_each_other() {
    let server = Server::start().await;
    let east = server.client_as("111111111111", "us-east-1");
    let west = server.client_as("111111111111", "eu-west-1");
    let e = generate(&east).await;
    let w = generate(&west).await;
    assert_eq!(list_ids(&east).await, [e.as_str()]);
    assert_eq!(list_ids(&west).await, [w.as_str()]);
    let r = west
        .get_client_certificate()
        .client_certificate_id(&e)
        .send()
        .await;
    service_error!(r, GetClientCertificateError::NotFoundException, NOT_FOUND);
    let r = east
        .delete_client_certificate()
        .client_certificate_id(&w)
        .send()
        .await;
    service_error!(r, DeleteClientCertificateError::NotFoundException);

    // Tags go through the ARN, which names the region: the certificate's own region works, and an
    // ARN naming another region than the caller's is not found.
    west.tag_resource()
        .resource_arn(arn("eu-west-1", &w))
        .tags("where", "west")
        .send()
        .await
        .expect("tag in its own region");
    let tags = west
        .get_tags()
        .resource_arn(arn("eu-west-1", &w))
        .send()
        .await
        .expect("get tags");
    assert_eq!(tags_of(tags.tags()), map(&[("where", "west")]));
    let r = east
        .get_tags()
        .resource_arn(arn("eu-west-1", &w))
        .send()
        .await;
    service_error!(r, GetTagsError::NotFoundException);
    let r = west
        .tag_resource()
        .resource_arn(arn("us-east-1", &e))
        .tags("k", "v")
        .send()
        .await;
    service_error!(r, TagResourceError::NotFoundException);

    // A position token of one region is refused in another.
    generate_many(&east, 2).await;
    let page = east
        .get_client_certificates()
        .limit(1)
        .send()
        .await
        .expect("page");
    let token = page.position().expect("position").to_string();
    let r = west.get_client_certificates().position(token).send().await;
    service_error!(r, GetClientCertificatesError::BadRequestException);
}
