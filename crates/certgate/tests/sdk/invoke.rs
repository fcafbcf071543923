//! Invoking stages, against real HTTPS backends (hyper and rustls) that demand a client
//! certificate: the stage without a certificate is refused, with one it passes and the backend
//! sees exactly the certificate GenerateClientCertificate made; both URL forms; rotation while
//! requests flow; HTTP/2 by ALPN; TestInvokeMethod through the SDK.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use aws_sdk_apigateway::types::IntegrationType;
use bytes::Bytes;
use certgate_proxy::testing::{Backend, BackendOptions};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::rt::TokioExecutor;

use super::common::{generate, Options, Server};
use super::*;

type Http = HttpClient<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

fn http() -> Http {
    HttpClient::builder(TokioExecutor::new()).build_http()
}

/// What an invocation answered.
struct Answer {
    status: u16,
    headers: http::HeaderMap,
    body: String,
}

async fn call(http: &Http, request: http::Request<Full<Bytes>>) -> Answer {
    let response = http.request(request).await.expect("invoke");
    let (parts, body) = response.into_parts();
    let body = body.collect().await.expect("body").to_bytes();
    Answer {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// A GET of `path` within the stage, by the local URL form.
async fn get(http: &Http, server: &Server, api: &str, stage: &str, path: &str) -> Answer {
    let uri = format!(
        "http://{}/restapis/{api}/{stage}/_user_request_{path}",
        server.addr
    );
    call(
        http,
        http::Request::get(uri)
            .body(Full::new(Bytes::new()))
            .expect("request"),
    )
    .await
}

/// The DER of the first certificate of a PEM.
fn der(pem: &str) -> Vec<u8> {
    let (_, parsed) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).expect("pem");
    parsed.contents
}

/// A REST API whose `/{proxy+}` ANY method is an HTTP_PROXY integration to `backend`, deployed to
/// the stage `test`. Returns the API's id.
async fn proxy_api(client: &Client, backend: &str) -> String {
    let api = client
        .create_rest_api()
        .name("proxied")
        .send()
        .await
        .expect("create api");
    let api_id = api.id().expect("id").to_string();
    let root = api.root_resource_id().expect("root").to_string();
    let proxy = client
        .create_resource()
        .rest_api_id(&api_id)
        .parent_id(&root)
        .path_part("{proxy+}")
        .send()
        .await
        .expect("proxy resource");
    let proxy_id = proxy.id().expect("id").to_string();
    client
        .put_method()
        .rest_api_id(&api_id)
        .resource_id(&proxy_id)
        .http_method("ANY")
        .authorization_type("NONE")
        .request_parameters("method.request.path.proxy", true)
        .send()
        .await
        .expect("method");
    client
        .put_integration()
        .rest_api_id(&api_id)
        .resource_id(&proxy_id)
        .http_method("ANY")
        .r#type(IntegrationType::HttpProxy)
        .integration_http_method("ANY")
        .uri(format!("{backend}/{{proxy}}"))
        .request_parameters(
            "integration.request.path.proxy",
            "method.request.path.proxy",
        )
        .send()
        .await
        .expect("integration");
    client
        .create_deployment()
        .rest_api_id(&api_id)
        .stage_name("test")
        .send()
        .await
        .expect("deployment");
    api_id
}

async fn attach(client: &Client, api: &str, certificate: &str) {
    client
        .update_stage()
        .rest_api_id(api)
        .stage_name("test")
        .patch_operations(restapis::op(
            Op::Replace,
            "/clientCertificateId",
            certificate,
        ))
        .send()
        .await
        .expect("attach the certificate");
}

async fn pem_of(client: &Client, id: &str) -> String {
    client
        .get_client_certificate()
        .client_certificate_id(id)
        .send()
        .await
        .expect("get")
        .pem_encoded_certificate()
        .expect("pem")
        .to_string()
}

/// A server that trusts `backend`'s CA, and an SDK client of it.
async fn server_for(backend: &Backend) -> (Server, Client) {
    let server = Server::start_with(Options {
        backend_ca_pem: Some(backend.ca_pem().to_string()),
        manual_clock: false,
        ..Options::default()
    })
    .await;
    let client = server.client();
    (server, client)
}

#[tokio::test]
async fn the_backend_sees_exactly_the_stages_certificate_and_nothing_without_one() {
    let backend = Backend::start(BackendOptions::default())
        .await
        .expect("backend");
    let (server, client) = server_for(&backend).await;
    let certificate = generate(&client).await;
    let pem = pem_of(&client, &certificate).await;
    backend
        .set_client_ca(Some(&pem))
        .expect("trust the certificate");
    let api = proxy_api(&client, &backend.url()).await;
    let http = http();

    // No certificate on the stage: the backend refuses the handshake, and the caller gets AWS's
    // answer to a configuration error, with nothing of the cause.
    let refused = get(&http, &server, &api, "test", "/pets?kind=cat").await;
    assert_eq!(refused.status, 500, "{}", refused.body);
    assert_eq!(refused.body, r#"{"message": "Internal server error"}"#);
    assert_eq!(
        refused.headers["x-amzn-ErrorType"],
        "InternalServerErrorException"
    );
    assert!(refused.headers.contains_key("x-amzn-RequestId"));
    assert!(refused.headers.contains_key("x-amz-apigw-id"));

    attach(&client, &api, &certificate).await;
    let passed = get(&http, &server, &api, "test", "/pets?kind=cat").await;
    assert_eq!(passed.status, 200, "{}", passed.body);
    let seen = backend.seen();
    let last = seen.last().expect("the backend saw the request");
    assert_eq!(last.path_and_query, "/pets?kind=cat");
    assert_eq!(last.client_certificate_der.as_deref(), Some(&der(&pem)[..]));
    assert_eq!(last.headers["x-amzn-apigateway-api-id"], api.as_str());
    assert!(last.headers.contains_key("x-amzn-trace-id"));

    // The Host form reaches the same stage.
    let by_host = call(
        &http,
        http::Request::get(format!("http://{}/test/pets/1", server.addr))
            .header(
                "host",
                format!("{api}.execute-api.localhost:{}", server.addr.port()),
            )
            .body(Full::new(Bytes::new()))
            .expect("request"),
    )
    .await;
    assert_eq!(by_host.status, 200, "{}", by_host.body);
    assert_eq!(
        backend.seen().last().expect("seen").path_and_query,
        "/pets/1"
    );

    // Nothing matches outside the stage's routes.
    let root = get(&http, &server, &api, "test", "/").await;
    assert_eq!(root.status, 403);
    assert_eq!(root.body, r#"{"message":"Missing Authentication Token"}"#);
    assert_eq!(
        root.headers["x-amzn-ErrorType"],
        "MissingAuthenticationTokenException"
    );
    let no_stage = get(&http, &server, &api, "prod", "/pets").await;
    assert_eq!(no_stage.status, 403);
}

#[tokio::test]
async fn a_backend_that_does_not_ask_gets_no_certificate() {
    let backend = Backend::start(BackendOptions {
        client_ca_pem: None,
        ..BackendOptions::default()
    })
    .await
    .expect("backend");
    let (server, client) = server_for(&backend).await;
    let api = proxy_api(&client, &backend.url()).await;
    let certificate = generate(&client).await;
    attach(&client, &api, &certificate).await;
    let answer = get(&http(), &server, &api, "test", "/x").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        backend.seen().last().expect("seen").client_certificate_der,
        None
    );
}

#[tokio::test]
async fn rotation_switches_the_certificate_with_requests_flowing_and_none_failing() {
    let backend = Backend::start(BackendOptions::default())
        .await
        .expect("backend");
    let (server, client) = server_for(&backend).await;
    let (old, new) = (generate(&client).await, generate(&client).await);
    let (old_pem, new_pem) = (pem_of(&client, &old).await, pem_of(&client, &new).await);
    backend
        .set_client_ca(Some(&format!("{old_pem}{new_pem}")))
        .expect("trust both");
    let api = proxy_api(&client, &backend.url()).await;
    attach(&client, &api, &old).await;

    let stop = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(AtomicUsize::new(0));
    let sent = Arc::new(AtomicUsize::new(0));
    let mut flows = Vec::new();
    for _ in 0..4 {
        let (stop, failures, sent) = (stop.clone(), failures.clone(), sent.clone());
        let uri = format!(
            "http://{}/restapis/{api}/test/_user_request_/flow",
            server.addr
        );
        flows.push(tokio::spawn(async move {
            let http = http();
            while !stop.load(Ordering::SeqCst) {
                let answer = call(
                    &http,
                    http::Request::get(&uri)
                        .body(Full::new(Bytes::new()))
                        .expect("request"),
                )
                .await;
                sent.fetch_add(1, Ordering::SeqCst);
                if answer.status != 200 {
                    failures.fetch_add(1, Ordering::SeqCst);
                }
            }
        }));
    }
    while sent.load(Ordering::SeqCst) < 50 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    attach(&client, &api, &new).await;
    // Every request sent after UpdateStage answered presents the new certificate.
    let from = backend.seen().len();
    let after = sent.load(Ordering::SeqCst);
    while sent.load(Ordering::SeqCst) < after + 50 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    stop.store(true, Ordering::SeqCst);
    for flow in flows {
        flow.await.expect("flow");
    }
    assert_eq!(
        failures.load(Ordering::SeqCst),
        0,
        "no request fails during the switch"
    );
    let seen = backend.seen();
    // Requests already in flight when the stage changed may finish on the old connection; the
    // four flows had at most four of them.
    let late: Vec<_> = seen[from..]
        .iter()
        .skip(4)
        .map(|s| s.client_certificate_der.clone())
        .collect();
    assert!(!late.is_empty());
    assert!(
        late.iter()
            .all(|d| d.as_deref() == Some(&der(&new_pem)[..])),
        "after the rotation only the new certificate is presented"
    );
    assert!(seen[..from]
        .iter()
        .any(|s| s.client_certificate_der.as_deref() == Some(&der(&old_pem)[..])));
}

#[tokio::test]
async fn a_backend_offering_http2_is_spoken_to_in_http2() {
    let backend = Backend::start(BackendOptions {
        http2: true,
        ..BackendOptions::default()
    })
    .await
    .expect("backend");
    let (server, client) = server_for(&backend).await;
    let certificate = generate(&client).await;
    backend
        .set_client_ca(Some(&pem_of(&client, &certificate).await))
        .expect("trust");
    let api = proxy_api(&client, &backend.url()).await;
    attach(&client, &api, &certificate).await;
    let answer = get(&http(), &server, &api, "test", "/h2").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        backend.seen().last().expect("seen").version,
        http::Version::HTTP_2
    );
}

#[tokio::test]
async fn test_invoke_method_presents_the_given_certificate() {
    let backend = Backend::start(BackendOptions::default())
        .await
        .expect("backend");
    let (_server, client) = server_for(&backend).await;
    let certificate = generate(&client).await;
    let pem = pem_of(&client, &certificate).await;
    backend.set_client_ca(Some(&pem)).expect("trust");
    let api = proxy_api(&client, &backend.url()).await;
    let resources = client
        .get_resources()
        .rest_api_id(&api)
        .send()
        .await
        .expect("resources");
    let proxy = resources
        .items()
        .iter()
        .find(|r| r.path() == Some("/{proxy+}"))
        .expect("proxy resource");
    let tested = client
        .test_invoke_method()
        .rest_api_id(&api)
        .resource_id(proxy.id().expect("id"))
        .http_method("ANY")
        .path_with_query_string("/tested?q=1")
        .client_certificate_id(&certificate)
        .send()
        .await
        .expect("test invoke");
    assert_eq!(tested.status(), 200, "{:?}", tested.log());
    let log = tested.log().expect("log");
    assert!(
        log.contains(&format!("Client certificate offered: {certificate}")),
        "{log}"
    );
    let seen = backend.seen();
    let last = seen.last().expect("seen");
    assert_eq!(last.path_and_query, "/tested?q=1");
    assert_eq!(last.client_certificate_der.as_deref(), Some(&der(&pem)[..]));

    // Without the certificate the same test fails as an invocation would.
    let refused = client
        .test_invoke_method()
        .rest_api_id(&api)
        .resource_id(proxy.id().expect("id"))
        .http_method("ANY")
        .path_with_query_string("/tested")
        .send()
        .await
        .expect("test invoke");
    assert_eq!(refused.status(), 500);
}
