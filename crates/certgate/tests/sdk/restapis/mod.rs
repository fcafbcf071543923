//! The REST API family through the Rust SDK: every operation once in a lifecycle that ends with a
//! stage presenting a client certificate, and the refusals AWS answers (with its codes and texts).

use aws_sdk_apigateway::error::ProvideErrorMetadata;
use aws_sdk_apigateway::types::{EndpointConfiguration, EndpointType, IntegrationType};

use super::*;

pub(super) fn op(op: Op, path: &str, value: &str) -> PatchOperation {
    PatchOperation::builder()
        .op(op)
        .path(path)
        .value(value)
        .build()
}

/// The error's code and message, whatever operation it came from.
fn code_and_message<E: ProvideErrorMetadata>(err: E) -> (String, String) {
    (
        err.code().unwrap_or_default().to_string(),
        err.message().unwrap_or_default().to_string(),
    )
}

macro_rules! refused {
    ($call:expr, $code:expr, $message:expr) => {{
        let err = $call.await.expect_err("expected a refusal");
        let (code, message) = code_and_message(err.into_service_error());
        assert_eq!(code, $code, "{message}");
        if !$message.is_empty() {
            assert_eq!(message, $message);
        }
    }};
}

/// A REST API with `/pets/{id}` and a GET on it integrated with an HTTP backend.
pub(super) async fn api_with_method(client: &Client) -> (String, String, String) {
    let api = client
        .create_rest_api()
        .name("pets")
        .send()
        .await
        .expect("create api");
    let api_id = api.id().unwrap().to_string();
    let root = api.root_resource_id().unwrap().to_string();
    let pets = client
        .create_resource()
        .rest_api_id(&api_id)
        .parent_id(&root)
        .path_part("pets")
        .send()
        .await
        .expect("pets");
    let item = client
        .create_resource()
        .rest_api_id(&api_id)
        .parent_id(pets.id().unwrap())
        .path_part("{id}")
        .send()
        .await
        .expect("{id}");
    assert_eq!(item.path(), Some("/pets/{id}"));
    let item_id = item.id().unwrap().to_string();
    client
        .put_method()
        .rest_api_id(&api_id)
        .resource_id(&item_id)
        .http_method("GET")
        .authorization_type("NONE")
        .request_parameters("method.request.path.id", true)
        .send()
        .await
        .expect("put method");
    client
        .put_integration()
        .rest_api_id(&api_id)
        .resource_id(&item_id)
        .http_method("GET")
        .r#type(IntegrationType::Http)
        .integration_http_method("GET")
        .uri("https://backend.example/pets/{id}")
        .request_parameters("integration.request.path.id", "method.request.path.id")
        .send()
        .await
        .expect("put integration");
    (api_id, root, item_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stage_presents_a_certificate_from_create_to_destroy() {
    let server = Server::start().await;
    let client = server.client();
    let cert = generate(&client).await;
    let (api_id, root, item) = api_with_method(&client).await;

    let got = client
        .get_rest_api()
        .rest_api_id(&api_id)
        .send()
        .await
        .expect("get api");
    assert_eq!(got.root_resource_id(), Some(root.as_str()));
    assert_eq!(got.api_key_source().map(|s| s.as_str()), Some("HEADER"));
    assert!(!got.disable_execute_api_endpoint());
    let types = got.endpoint_configuration().unwrap().types();
    assert_eq!(types, [EndpointType::Edge]);

    let resources = client
        .get_resources()
        .rest_api_id(&api_id)
        .embed("methods")
        .send()
        .await
        .expect("resources");
    let paths: BTreeSet<_> = resources.items().iter().filter_map(|r| r.path()).collect();
    assert_eq!(paths, BTreeSet::from(["/", "/pets", "/pets/{id}"]));
    let with_get = resources
        .items()
        .iter()
        .find(|r| r.id() == Some(item.as_str()))
        .unwrap();
    let method = &with_get.resource_methods().unwrap()["GET"];
    assert_eq!(
        method.method_integration().unwrap().timeout_in_millis(),
        29_000
    );

    client
        .put_method_response()
        .rest_api_id(&api_id)
        .resource_id(&item)
        .http_method("GET")
        .status_code("200")
        .send()
        .await
        .expect("method response");
    client
        .put_integration_response()
        .rest_api_id(&api_id)
        .resource_id(&item)
        .http_method("GET")
        .status_code("200")
        .selection_pattern("")
        .send()
        .await
        .expect("integration response");

    let deployment = client
        .create_deployment()
        .rest_api_id(&api_id)
        .description("first")
        .send()
        .await
        .expect("deploy");
    let deployment_id = deployment.id().unwrap().to_string();
    let stage = client
        .create_stage()
        .rest_api_id(&api_id)
        .stage_name("prod")
        .deployment_id(&deployment_id)
        .send()
        .await
        .expect("stage");
    assert_eq!(stage.client_certificate_id(), None);
    assert_eq!(
        stage.cache_cluster_status().map(|s| s.as_str()),
        Some("NOT_AVAILABLE")
    );

    // Terraform's order: CreateStage, then UpdateStage with the certificate and the deployment.
    let attached = client
        .update_stage()
        .rest_api_id(&api_id)
        .stage_name("prod")
        .patch_operations(op(Op::Replace, "/clientCertificateId", &cert))
        .patch_operations(op(Op::Replace, "/deploymentId", &deployment_id))
        .send()
        .await
        .expect("attach");
    assert_eq!(attached.client_certificate_id(), Some(cert.as_str()));
    let read = client
        .get_stage()
        .rest_api_id(&api_id)
        .stage_name("prod")
        .send()
        .await
        .unwrap();
    assert_eq!(read.client_certificate_id(), Some(cert.as_str()));

    // The certificate cannot go while prod presents it; the deployment neither.
    refused!(
        client.delete_client_certificate().client_certificate_id(&cert).send(),
        "ConflictException",
        format!(
            "Client certificate {cert} is in use by stage prod of {api_id}; detach it first (UpdateStage replace /clientCertificateId with \"\")"
        )
    );
    refused!(
        client
            .delete_deployment()
            .rest_api_id(&api_id)
            .deployment_id(&deployment_id)
            .send(),
        "BadRequestException",
        "Active stages pointing to this deployment must be moved or deleted"
    );

    // Removing the attribute in Terraform sends "", which detaches.
    let detached = client
        .update_stage()
        .rest_api_id(&api_id)
        .stage_name("prod")
        .patch_operations(op(Op::Replace, "/clientCertificateId", ""))
        .send()
        .await
        .expect("detach");
    assert_eq!(detached.client_certificate_id(), None);

    // terraform destroy's order.
    client
        .delete_stage()
        .rest_api_id(&api_id)
        .stage_name("prod")
        .send()
        .await
        .expect("del stage");
    client
        .delete_deployment()
        .rest_api_id(&api_id)
        .deployment_id(&deployment_id)
        .send()
        .await
        .expect("del deployment");
    client
        .delete_integration()
        .rest_api_id(&api_id)
        .resource_id(&item)
        .http_method("GET")
        .send()
        .await
        .expect("del integration");
    client
        .delete_method()
        .rest_api_id(&api_id)
        .resource_id(&item)
        .http_method("GET")
        .send()
        .await
        .expect("del method");
    client
        .delete_resource()
        .rest_api_id(&api_id)
        .resource_id(&item)
        .send()
        .await
        .unwrap();
    client
        .delete_client_certificate()
        .client_certificate_id(&cert)
        .send()
        .await
        .unwrap();
    client
        .delete_rest_api()
        .rest_api_id(&api_id)
        .send()
        .await
        .expect("del api");
    refused!(
        client.get_rest_api().rest_api_id(&api_id).send(),
        "NotFoundException",
        format!("Invalid API identifier specified 000000000000:{api_id}")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stage_refuses_an_unknown_certificate_and_keeps_its_own() {
    let server = Server::start().await;
    let client = server.client();
    let cert = generate(&client).await;
    let (api_id, _, _) = api_with_method(&client).await;
    let d = client
        .create_deployment()
        .rest_api_id(&api_id)
        .stage_name("dev")
        .send()
        .await
        .unwrap();
    client
        .update_stage()
        .rest_api_id(&api_id)
        .stage_name("dev")
        .patch_operations(op(Op::Replace, "/clientCertificateId", &cert))
        .send()
        .await
        .unwrap();
    for unknown in ["zzzzzz", "not-an-id"] {
        refused!(
            client
                .update_stage()
                .rest_api_id(&api_id)
                .stage_name("dev")
                .patch_operations(op(Op::Replace, "/clientCertificateId", unknown))
                .send(),
            "BadRequestException",
            format!("Invalid Client Certificate identifier specified: {unknown}")
        );
    }
    // Another region's certificate is not this region's.
    let other = server.client_as(common::DEFAULT_KEY, "eu-west-1");
    let theirs = generate(&other).await;
    refused!(
        client
            .update_stage()
            .rest_api_id(&api_id)
            .stage_name("dev")
            .patch_operations(op(Op::Replace, "/clientCertificateId", &theirs))
            .send(),
        "BadRequestException",
        format!("Invalid Client Certificate identifier specified: {theirs}")
    );
    let stage = client
        .get_stage()
        .rest_api_id(&api_id)
        .stage_name("dev")
        .send()
        .await
        .unwrap();
    assert_eq!(
        stage.client_certificate_id(),
        Some(cert.as_str()),
        "nothing was lost"
    );
    assert_eq!(stage.deployment_id(), d.id());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resources_methods_and_deployments_refuse_as_aws_does() {
    let server = Server::start().await;
    let client = server.client();
    let api = client.create_rest_api().name("a").send().await.unwrap();
    let (api_id, root) = (api.id().unwrap(), api.root_resource_id().unwrap());
    refused!(
        client.create_deployment().rest_api_id(api_id).send(),
        "BadRequestException",
        "The REST API doesn't contain any methods"
    );
    let greedy = client
        .create_resource()
        .rest_api_id(api_id)
        .parent_id(root)
        .path_part("{proxy+}")
        .send()
        .await
        .unwrap();
    refused!(
        client
            .create_resource()
            .rest_api_id(api_id)
            .parent_id(greedy.id().unwrap())
            .path_part("x")
            .send(),
        "BadRequestException",
        "Cannot create a child of a resource with a greedy path variable: {proxy+}"
    );
    refused!(
        client.create_resource().rest_api_id(api_id).parent_id(root).path_part("{other}").send(),
        "BadRequestException",
        "A sibling ({proxy+}) of this resource already has a variable path part -- only one is allowed"
    );
    refused!(
        client
            .create_resource()
            .rest_api_id(api_id)
            .parent_id(root)
            .path_part("{proxy+}")
            .send(),
        "ConflictException",
        "Another resource with the same parent already has this name: {proxy+}"
    );
    refused!(
        client.create_resource().rest_api_id(api_id).parent_id(root).path_part("a b").send(),
        "BadRequestException",
        "Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end."
    );
    refused!(
        client.put_method().rest_api_id(api_id).resource_id(root).http_method("FETCH").authorization_type("NONE").send(),
        "BadRequestException",
        "Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY"
    );
    client
        .put_method()
        .rest_api_id(api_id)
        .resource_id(root)
        .http_method("ANY")
        .authorization_type("NONE")
        .send()
        .await
        .unwrap();
    refused!(
        client
            .put_method()
            .rest_api_id(api_id)
            .resource_id(root)
            .http_method("ANY")
            .authorization_type("NONE")
            .send(),
        "ConflictException",
        "Method already exists for this resource"
    );
    refused!(
        client.create_deployment().rest_api_id(api_id).send(),
        "BadRequestException",
        "No integration defined for method"
    );
    refused!(
        client
            .get_integration()
            .rest_api_id(api_id)
            .resource_id(root)
            .http_method("ANY")
            .send(),
        "NotFoundException",
        "Invalid Integration identifier specified"
    );
    for (uri, kind, message) in [
        (
            "ftp://x",
            IntegrationType::HttpProxy,
            "Invalid HTTP endpoint specified for URI",
        ),
        (
            "",
            IntegrationType::Http,
            "Invalid HTTP endpoint specified for URI",
        ),
    ] {
        refused!(
            client
                .put_integration()
                .rest_api_id(api_id)
                .resource_id(root)
                .http_method("ANY")
                .r#type(kind)
                .integration_http_method("ANY")
                .uri(uri)
                .send(),
            "BadRequestException",
            message
        );
    }
    refused!(
        client
            .put_integration()
            .rest_api_id(api_id)
            .resource_id(root)
            .http_method("ANY")
            .r#type(IntegrationType::Http)
            .uri("http://x")
            .send(),
        "BadRequestException",
        "Enumeration value for HttpMethod must be non-empty"
    );
    refused!(
        client
            .put_integration()
            .rest_api_id(api_id)
            .resource_id(root)
            .http_method("ANY")
            .r#type(IntegrationType::Mock)
            .timeout_in_millis(29_001)
            .send(),
        "BadRequestException",
        "Timeout should be between 50 ms and 29000 ms"
    );
    refused!(
        client.put_integration().rest_api_id(api_id).resource_id(root).http_method("ANY").r#type(IntegrationType::HttpProxy).integration_http_method("ANY").uri("http://x/{p}").request_parameters("integration.request.path.p", "method.request.path.p").send(),
        "BadRequestException",
        "Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid mapping expression parameter specified: method.request.path.p]"
    );
    let mock = client
        .put_integration()
        .rest_api_id(api_id)
        .resource_id(root)
        .http_method("ANY")
        .r#type(IntegrationType::Mock)
        .uri("http://ignored")
        .send()
        .await
        .unwrap();
    assert_eq!((mock.uri(), mock.timeout_in_millis()), (None, 29_000));
    let d = client
        .create_deployment()
        .rest_api_id(api_id)
        .send()
        .await
        .unwrap();
    refused!(
        client
            .create_stage()
            .rest_api_id(api_id)
            .stage_name("s")
            .deployment_id("nope00")
            .send(),
        "BadRequestException",
        "Deployment id does not exist"
    );
    client
        .create_stage()
        .rest_api_id(api_id)
        .stage_name("s")
        .deployment_id(d.id().unwrap())
        .send()
        .await
        .unwrap();
    refused!(
        client
            .create_stage()
            .rest_api_id(api_id)
            .stage_name("s")
            .deployment_id(d.id().unwrap())
            .send(),
        "ConflictException",
        "Stage already exists"
    );
    refused!(
        client
            .update_stage()
            .rest_api_id(api_id)
            .stage_name("s")
            .patch_operations(op(Op::Replace, "/tags/x", "1"))
            .send(),
        "BadRequestException",
        ""
    );
    refused!(
        client
            .get_stage()
            .rest_api_id(api_id)
            .stage_name("none")
            .send(),
        "NotFoundException",
        "Invalid Stage identifier specified"
    );
    refused!(
        client
            .get_deployment()
            .rest_api_id(api_id)
            .deployment_id("nope00")
            .send(),
        "NotFoundException",
        "Invalid Deployment identifier specified"
    );
    refused!(
        client
            .get_resource()
            .rest_api_id(api_id)
            .resource_id("nope00")
            .send(),
        "NotFoundException",
        "Invalid Resource identifier specified"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quotas_and_endpoint_defaults() {
    let server = Server::start_with(common::Options {
        rest_apis: certgate_service::restapis::RestApiLimits {
            edge_apis: 2,
            regional_apis: 1,
            resources_per_api: 2,
            stages_per_api: 1,
        },
        ..Default::default()
    })
    .await;
    let client = server.client();
    for _ in 0..2 {
        client.create_rest_api().name("e").send().await.unwrap();
    }
    refused!(
        client.create_rest_api().name("e").send(),
        "LimitExceededException",
        ""
    );
    let regional = EndpointConfiguration::builder()
        .types(EndpointType::Regional)
        .build();
    let r = client
        .create_rest_api()
        .name("r")
        .endpoint_configuration(regional.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.endpoint_configuration()
            .unwrap()
            .ip_address_type()
            .map(|t| t.as_str()),
        Some("ipv4")
    );
    refused!(
        client
            .create_rest_api()
            .name("r")
            .endpoint_configuration(regional)
            .send(),
        "LimitExceededException",
        ""
    );
    let (api_id, root) = (r.id().unwrap(), r.root_resource_id().unwrap());
    client
        .create_resource()
        .rest_api_id(api_id)
        .parent_id(root)
        .path_part("a")
        .send()
        .await
        .unwrap();
    refused!(
        client
            .create_resource()
            .rest_api_id(api_id)
            .parent_id(root)
            .path_part("b")
            .send(),
        "LimitExceededException",
        "Too many resources: a REST API can have at most 2 resources"
    );
    client
        .put_method()
        .rest_api_id(api_id)
        .resource_id(root)
        .http_method("GET")
        .authorization_type("NONE")
        .send()
        .await
        .unwrap();
    client
        .put_integration()
        .rest_api_id(api_id)
        .resource_id(root)
        .http_method("GET")
        .r#type(IntegrationType::Mock)
        .send()
        .await
        .unwrap();
    client
        .create_deployment()
        .rest_api_id(api_id)
        .stage_name("one")
        .send()
        .await
        .unwrap();
    refused!(
        client
            .create_deployment()
            .rest_api_id(api_id)
            .stage_name("two")
            .send(),
        "LimitExceededException",
        "Too many stages: a REST API can have at most 1 stages"
    );
    // Moving the existing stage is no new stage.
    client
        .create_deployment()
        .rest_api_id(api_id)
        .stage_name("one")
        .send()
        .await
        .unwrap();
    let stages = client
        .get_stages()
        .rest_api_id(api_id)
        .send()
        .await
        .unwrap();
    assert_eq!(stages.item().len(), 1);
    let deployments = client
        .get_deployments()
        .rest_api_id(api_id)
        .limit(1)
        .send()
        .await
        .unwrap();
    assert_eq!(deployments.items().len(), 1);
    let next = client
        .get_deployments()
        .rest_api_id(api_id)
        .position(deployments.position().expect("a second page"))
        .send()
        .await
        .unwrap();
    assert_eq!(next.items().len(), 1);
    assert_ne!(next.items()[0].id(), deployments.items()[0].id());
}

mod tree;
mod updates;
