//! The Update, Get and Delete operations of every member of the family not met in the lifecycle:
//! REST API pages and patches, method and integration patches, method and integration responses,
//! deployment descriptions.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_update_of_the_family_applies_and_refuses_as_aws_does() {
    let server = Server::start().await;
    let client = server.client();
    let (api_id, _, item) = api_with_method(&client).await;
    for n in 0..3 {
        client
            .create_rest_api()
            .name(format!("more{n}"))
            .send()
            .await
            .unwrap();
    }
    let first = client.get_rest_apis().limit(2).send().await.unwrap();
    assert_eq!(first.items().len(), 2);
    let rest = client
        .get_rest_apis()
        .position(first.position().expect("more pages"))
        .limit(500)
        .send()
        .await
        .unwrap();
    assert_eq!(first.items().len() + rest.items().len(), 4);
    assert_eq!(rest.position(), None);
    refused!(
        client.get_rest_apis().position("forged").send(),
        "BadRequestException",
        "Invalid position specified: the pagination token is malformed or expired"
    );

    let updated = client
        .update_rest_api()
        .rest_api_id(&api_id)
        .patch_operations(op(Op::Replace, "/description", "pets service"))
        .patch_operations(op(Op::Add, "/binaryMediaTypes/image~1png", ""))
        .send()
        .await
        .unwrap();
    assert_eq!(updated.description(), Some("pets service"));
    assert_eq!(updated.binary_media_types(), ["image/png"]);
    assert!(
        updated.tags().is_some_and(|t| t.is_empty()),
        "UpdateRestApi answers with tags"
    );
    refused!(
        client
            .update_rest_api()
            .rest_api_id(&api_id)
            .patch_operations(op(Op::Add, "/minimumCompressionSize", "10"))
            .send(),
        "BadRequestException",
        "Invalid patch operation specified. Must be one of: [replace]"
    );
    refused!(
        client
            .update_rest_api()
            .rest_api_id(&api_id)
            .patch_operations(op(Op::Replace, "/minimumCompressionSize", "-1"))
            .send(),
        "BadRequestException",
        "Invalid minimum compression size, must be between 0 and 10485760"
    );

    let method = client
        .update_method()
        .rest_api_id(&api_id)
        .resource_id(&item)
        .http_method("GET")
        .patch_operations(op(
            Op::Add,
            "/requestParameters/method.request.querystring.q",
            "true",
        ))
        .patch_operations(op(Op::Replace, "/apiKeyRequired", "true"))
        .send()
        .await
        .unwrap();
    assert!(method.request_parameters().unwrap()["method.request.querystring.q"]);
    assert!(method.api_key_required().unwrap_or_default());
    refused!(
        client
            .update_method()
            .rest_api_id(&api_id)
            .resource_id(&item)
            .http_method("GET")
            .patch_operations(op(Op::Add, "/httpMethod", "POST"))
            .send(),
        "BadRequestException",
        "Invalid patch path /httpMethod"
    );

    let integration = client
        .update_integration()
        .rest_api_id(&api_id)
        .resource_id(&item)
        .http_method("GET")
        .patch_operations(op(Op::Replace, "/timeoutInMillis", "1000"))
        .patch_operations(op(
            Op::Replace,
            "/tlsConfig/insecureSkipVerification",
            "true",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(integration.timeout_in_millis(), 1000);
    assert_eq!(
        integration
            .tls_config()
            .map(|t| t.insecure_skip_verification()),
        Some(true)
    );
    refused!(
        client
            .update_integration()
            .rest_api_id(&api_id)
            .resource_id(&item)
            .http_method("GET")
            .patch_operations(op(Op::Replace, "/timeoutInMillis", "10"))
            .send(),
        "BadRequestException",
        "Timeout should be between 50 ms and 29000 ms"
    );

    client
        .put_method_response()
        .rest_api_id(&api_id)
        .resource_id(&item)
        .http_method("GET")
        .status_code("200")
        .send()
        .await
        .unwrap();
    let response = client
        .update_method_response()
        .rest_api_id(&api_id)
        .resource_id(&item)
        .http_method("GET")
        .status_code("200")
        .patch_operations(op(
            Op::Add,
            "/responseParameters/method.response.header.X-Id",
            "true",
        ))
        .send()
        .await
        .unwrap();
    assert!(response.response_parameters().unwrap()["method.response.header.X-Id"]);
    let read = client
        .get_method_response()
        .rest_api_id(&api_id)
        .resource_id(&item)
        .http_method("GET")
        .status_code("200")
        .send()
        .await
        .unwrap();
    assert_eq!(read.status_code(), Some("200"));
    refused!(
        client
            .get_method_response()
            .rest_api_id(&api_id)
            .resource_id(&item)
            .http_method("GET")
            .status_code("404")
            .send(),
        "NotFoundException",
        "Invalid Response status code specified"
    );
    refused!(
        client
            .put_method_response()
            .rest_api_id(&api_id)
            .resource_id(&item)
            .http_method("GET")
            .status_code("wrong")
            .send(),
        "ValidationException",
        "1 validation error detected: Value 'wrong' at 'statusCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [1-5]\\d\\d"
    );

    client
        .put_integration_response()
        .rest_api_id(&api_id)
        .resource_id(&item)
        .http_method("GET")
        .status_code("200")
        .selection_pattern("2\\d\\d")
        .send()
        .await
        .unwrap();
    let changed = client
        .update_integration_response()
        .rest_api_id(&api_id)
        .resource_id(&item)
        .http_method("GET")
        .status_code("200")
        .patch_operations(op(Op::Replace, "/selectionPattern", "200"))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.selection_pattern(), Some("200"));
    let got = client
        .get_integration_response()
        .rest_api_id(&api_id)
        .resource_id(&item)
        .http_method("GET")
        .status_code("200")
        .send()
        .await
        .unwrap();
    assert_eq!(got.selection_pattern(), Some("200"));
    client
        .delete_integration_response()
        .rest_api_id(&api_id)
        .resource_id(&item)
        .http_method("GET")
        .status_code("200")
        .send()
        .await
        .unwrap();
    client
        .delete_method_response()
        .rest_api_id(&api_id)
        .resource_id(&item)
        .http_method("GET")
        .status_code("200")
        .send()
        .await
        .unwrap();
    let method = client
        .get_method()
        .rest_api_id(&api_id)
        .resource_id(&item)
        .http_method("GET")
        .send()
        .await
        .unwrap();
    assert!(method.method_responses().is_none());
    assert!(method
        .method_integration()
        .unwrap()
        .integration_responses()
        .is_none());

    let d = client
        .create_deployment()
        .rest_api_id(&api_id)
        .send()
        .await
        .unwrap();
    let described = client
        .update_deployment()
        .rest_api_id(&api_id)
        .deployment_id(d.id().unwrap())
        .patch_operations(op(Op::Replace, "/description", "v2"))
        .send()
        .await
        .unwrap();
    assert_eq!(described.description(), Some("v2"));
    refused!(
        client
            .update_deployment()
            .rest_api_id(&api_id)
            .deployment_id(d.id().unwrap())
            .patch_operations(op(Op::Replace, "/stageName", "x"))
            .send(),
        "BadRequestException",
        "Invalid patch path /stageName"
    );
}
