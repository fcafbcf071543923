//! TagResource, UntagResource, GetTags.

use super::*;

async fn current_tags(client: &Client, id: &str) -> BTreeMap<String, String> {
    let from_get_tags = tags_of(
        client
            .get_tags()
            .resource_arn(arn("us-east-1", id))
            .send()
            .await
            .expect("get tags")
            .tags(),
    );
    let from_certificate = tags_of(get(client, id).await.tags());
    assert_eq!(
        from_get_tags, from_certificate,
        "GetTags and GetClientCertificate agree"
    );
    from_certificate
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tag_resource_adds_and_overwrites_and_untag_removes() {
    let server = Server::start().await;
    let client = server.client();
    let out = client
        .generate_client_certificate()
        .tags("a", "1")
        .tags("b", "2")
        .send()
        .await
        .expect("generate");
    let id = out.client_certificate_id().unwrap().to_string();
    let resource = arn("us-east-1", &id);
    assert_eq!(
        current_tags(&client, &id).await,
        map(&[("a", "1"), ("b", "2")])
    );

    client
        .tag_resource()
        .resource_arn(&resource)
        .tags("b", "two")
        .tags("c", "3")
        .send()
        .await
        .expect("tag");
    assert_eq!(
        current_tags(&client, &id).await,
        map(&[("a", "1"), ("b", "two"), ("c", "3")])
    );

    client
        .untag_resource()
        .resource_arn(&resource)
        .tag_keys("a")
        .tag_keys("c")
        .tag_keys("never-there")
        .send()
        .await
        .expect("untag");
    assert_eq!(current_tags(&client, &id).await, map(&[("b", "two")]));

    client
        .untag_resource()
        .resource_arn(&resource)
        .tag_keys("b")
        .send()
        .await
        .expect("untag");
    assert!(current_tags(&client, &id).await.is_empty());
    let tags = client
        .get_tags()
        .resource_arn(&resource)
        .send()
        .await
        .expect("get tags");
    assert!(tags_of(tags.tags()).is_empty());

    // Every character the rules allow survives the ARN in the path and the JSON body.
    client
        .tag_resource()
        .resource_arn(&resource)
        .tags("k+-=._:/", "v+-=._:/")
        .tags("empty", "")
        .send()
        .await
        .expect("tag");
    assert_eq!(
        current_tags(&client, &id).await,
        map(&[("k+-=._:/", "v+-=._:/"), ("empty", "")])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_prefixed_tag_keys_are_refused_in_any_case() {
    let server = Server::start().await;
    let client = server.client();
    let id = generate(&client).await;
    let resource = arn("us-east-1", &id);
    for key in ["aws:x", "AWS:x", "Aws:name", "aWs:"] {
        let r = client
            .tag_resource()
            .resource_arn(&resource)
            .tags("ok", "1")
            .tags(key, "v")
            .send()
            .await;
        service_error!(r, TagResourceError::BadRequestException, AWS_PREFIX);
        let r = client
            .generate_client_certificate()
            .tags(key, "v")
            .send()
            .await;
        service_error!(
            r,
            GenerateClientCertificateError::BadRequestException,
            AWS_PREFIX
        );
    }
    assert!(
        current_tags(&client, &id).await.is_empty(),
        "nothing applied"
    );
    assert_eq!(list_ids(&client).await, [id.as_str()], "nothing generated");
    // Only the prefix is reserved.
    client
        .tag_resource()
        .resource_arn(&resource)
        .tags("awsx", "1")
        .tags("aws", "2")
        .send()
        .await
        .expect("tag");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_than_fifty_tags_are_refused_and_nothing_changes() {
    let server = Server::start().await;
    let client = server.client();

    // Fifty on generation is the limit; fifty-one is refused.
    let fifty: HashMap<String, String> = (0..50)
        .map(|i| (format!("k{i}"), format!("v{i}")))
        .collect();
    let out = client
        .generate_client_certificate()
        .set_tags(Some(fifty.clone()))
        .send()
        .await
        .expect("50 tags");
    let full = out.client_certificate_id().unwrap().to_string();
    let mut fifty_one = fifty.clone();
    fifty_one.insert("extra".into(), "x".into());
    let r = client
        .generate_client_certificate()
        .set_tags(Some(fifty_one))
        .send()
        .await;
    service_error!(r, GenerateClientCertificateError::BadRequestException);

    // At fifty, overwriting existing keys is fine, one new key is not.
    client
        .tag_resource()
        .resource_arn(arn("us-east-1", &full))
        .tags("k0", "changed")
        .send()
        .await
        .expect("overwrite at the limit");
    let r = client
        .tag_resource()
        .resource_arn(arn("us-east-1", &full))
        .tags("k1", "changed-too")
        .tags("new", "x")
        .send()
        .await;
    service_error!(r, TagResourceError::BadRequestException);
    let mut expected: BTreeMap<String, String> = fifty.into_iter().collect();
    expected.insert("k0".into(), "changed".into());
    assert_eq!(
        current_tags(&client, &full).await,
        expected,
        "nothing changed"
    );

    // 45 existing + 6 new makes 51 in total: refused, and the 45 stay as they were.
    let forty_five: HashMap<String, String> =
        (0..45).map(|i| (format!("t{i}"), "v".into())).collect();
    let out = client
        .generate_client_certificate()
        .set_tags(Some(forty_five.clone()))
        .send()
        .await
        .expect("45 tags");
    let id = out.client_certificate_id().unwrap().to_string();
    let six: HashMap<String, String> = (0..6).map(|i| (format!("n{i}"), "v".into())).collect();
    let r = client
        .tag_resource()
        .resource_arn(arn("us-east-1", &id))
        .set_tags(Some(six))
        .send()
        .await;
    service_error!(r, TagResourceError::BadRequestException);
    assert_eq!(
        current_tags(&client, &id).await,
        forty_five.into_iter().collect::<BTreeMap<_, _>>()
    );
    // Five more reach exactly fifty.
    let five: HashMap<String, String> = (0..5).map(|i| (format!("n{i}"), "v".into())).collect();
    client
        .tag_resource()
        .resource_arn(arn("us-east-1", &id))
        .set_tags(Some(five))
        .send()
        .await
        .expect("exactly 50");
    assert_eq!(current_tags(&client, &id).await.len(), 50);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_of_an_unknown_certificate_are_not_found() {
    let server = Server::start().await;
    let client = server.client();
    let resource = arn("us-east-1", "abc123");
    let r = client
        .tag_resource()
        .resource_arn(&resource)
        .tags("k", "v")
        .send()
        .await;
    service_error!(r, TagResourceError::NotFoundException, NOT_FOUND);
    let r = client
        .untag_resource()
        .resource_arn(&resource)
        .tag_keys("k")
        .send()
        .await;
    service_error!(r, UntagResourceError::NotFoundException, NOT_FOUND);
    let r = client.get_tags().resource_arn(&resource).send().await;
    service_error!(r, GetTagsError::NotFoundException, NOT_FOUND);
}
