//! certgate through the AWS SDK for Rust: every operation of the client-certificate API, called
//! the way real clients call it, against an in-process server over a fresh SQLite file (and, for
//! durability and signals, against the real binary).

#[macro_use]
mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use aws_sdk_apigateway::operation::delete_client_certificate::DeleteClientCertificateError;
use aws_sdk_apigateway::operation::generate_client_certificate::GenerateClientCertificateError;
use aws_sdk_apigateway::operation::get_client_certificate::GetClientCertificateError;
use aws_sdk_apigateway::operation::get_client_certificates::GetClientCertificatesError;
use aws_sdk_apigateway::operation::get_tags::GetTagsError;
use aws_sdk_apigateway::operation::tag_resource::TagResourceError;
use aws_sdk_apigateway::operation::untag_resource::UntagResourceError;
use aws_sdk_apigateway::operation::update_client_certificate::UpdateClientCertificateError;
use aws_sdk_apigateway::types::{Op, PatchOperation};
use aws_sdk_apigateway::Client;
use common::{arn, generate, generate_many, list_ids, map, tags_of, Server, EPOCH, VALIDITY};
use x509_parser::oid_registry::{OID_PKCS1_RSAENCRYPTION, OID_PKCS1_SHA256WITHRSA};
use x509_parser::prelude::*;
use x509_parser::public_key::PublicKey;

const NOT_FOUND: &str = "Invalid Client Certificate identifier specified";
const AWS_PREFIX: &str = "Invalid tag key. Tag keys cannot start with 'aws:' (case insensitive)";

/// Unwraps the service error of a failed call and checks that it is `$variant`, optionally with
/// exactly `$message`; evaluates to the modelled exception.
macro_rules! service_error {
    ($result:expr, $variant:path) => {{
        let err = $result.expect_err(concat!("expected ", stringify!($variant)));
        match err.into_service_error() {
            $variant(e) => e,
            other => panic!("expected {}, got {other:?}", stringify!($variant)),
        }
    }};
    ($result:expr, $variant:path, $message:expr) => {{
        let e = service_error!($result, $variant);
        assert_eq!(
            e.message(),
            Some($message),
            "message of {}",
            stringify!($variant)
        );
        e
    }};
}

fn is_client_certificate_id(id: &str) -> bool {
    id.len() == 6
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

fn replace_description(value: &str) -> PatchOperation {
    PatchOperation::builder()
        .op(Op::Replace)
        .path("/description")
        .value(value)
        .build()
}

// ---------------------------------------------------------------------------------------------
// GenerateClientCertificate and GetClientCertificate

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_issues_an_api_gateway_client_certificate() {
    let server = Server::start().await;
    let client = server.client();
    let out = client
        .generate_client_certificate()
        .description("my cert")
        .tags("env", "test")
        .tags("team", "a+b-c=d.e_f:g/h")
        .send()
        .await
        .expect("generate");

    let id = out.client_certificate_id().expect("id");
    assert!(is_client_certificate_id(id), "id {id:?}");
    assert_eq!(out.description(), Some("my cert"));
    assert_eq!(
        tags_of(out.tags()),
        map(&[("env", "test"), ("team", "a+b-c=d.e_f:g/h")])
    );
    let created = out.created_date().expect("createdDate").secs();
    let expires = out.expiration_date().expect("expirationDate").secs();
    assert_eq!(created, EPOCH, "createdDate is the server clock's now");
    assert_eq!(expires, EPOCH + VALIDITY, "valid for exactly 365 days");

    let pem_text = out
        .pem_encoded_certificate()
        .expect("pemEncodedCertificate");
    let (rest, pem) = x509_parser::pem::parse_x509_pem(pem_text.as_bytes()).expect("PEM");
    assert!(
        rest.iter().all(u8::is_ascii_whitespace),
        "exactly one PEM block"
    );
    assert_eq!(pem.label, "CERTIFICATE");
    let cert = pem.parse_x509().expect("X.509 DER");
    assert_eq!(cert.version(), X509Version::V3);
    assert_eq!(cert.subject().to_string(), "C=US, L=Seattle, CN=ApiGateway");
    assert_eq!(cert.issuer().to_string(), "C=US, L=Seattle, CN=ApiGateway");
    assert!(
        cert.extensions().is_empty(),
        "no extensions: {:?}",
        cert.extensions()
    );
    assert_eq!(cert.signature_algorithm.algorithm, OID_PKCS1_SHA256WITHRSA);
    assert_eq!(
        cert.tbs_certificate.signature.algorithm,
        OID_PKCS1_SHA256WITHRSA
    );
    assert_eq!(
        cert.public_key().algorithm.algorithm,
        OID_PKCS1_RSAENCRYPTION
    );
    match cert.public_key().parsed().expect("public key") {
        PublicKey::RSA(rsa) => assert_eq!(rsa.key_size(), 2048),
        other => panic!("expected an RSA key, got {other:?}"),
    }
    assert_eq!(cert.validity().not_before.timestamp(), created);
    assert_eq!(cert.validity().not_after.timestamp(), expires);
    assert!(cert.tbs_certificate.serial.bits() > 0, "serial is positive");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_without_input_has_no_description_or_tags() {
    let server = Server::start().await;
    let client = server.client();
    let out = client
        .generate_client_certificate()
        .send()
        .await
        .expect("generate");
    assert!(is_client_certificate_id(
        out.client_certificate_id().unwrap()
    ));
    assert_eq!(out.description(), None);
    assert!(tags_of(out.tags()).is_empty());
    let got = client
        .get_client_certificate()
        .client_certificate_id(out.client_certificate_id().unwrap())
        .send()
        .await
        .expect("get");
    assert_eq!(snapshot!(got), snapshot!(out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_returns_what_generate_returned() {
    let server = Server::start().await;
    let client = server.client();
    let generated = client
        .generate_client_certificate()
        .description("d")
        .tags("k", "v")
        .send()
        .await
        .expect("generate");
    // The clock moving on does not change a stored certificate's dates.
    server.clock.advance(3_600);
    let got = client
        .get_client_certificate()
        .client_certificate_id(generated.client_certificate_id().unwrap())
        .send()
        .await
        .expect("get");
    assert_eq!(snapshot!(got), snapshot!(generated));
    assert_eq!(got.created_date().unwrap().secs(), EPOCH);

    // A certificate generated later carries the later date.
    let later = client
        .generate_client_certificate()
        .send()
        .await
        .expect("generate");
    assert_eq!(later.created_date().unwrap().secs(), EPOCH + 3_600);
    assert_ne!(
        later.client_certificate_id(),
        generated.client_certificate_id()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_of_an_unknown_id_is_not_found() {
    let server = Server::start().await;
    let client = server.client();
    // A well-formed id nobody generated, and ids that cannot be certificate ids at all.
    for id in ["abc123", "ABC123", "toolong1", "x"] {
        let r = client
            .get_client_certificate()
            .client_certificate_id(id)
            .send()
            .await;
        service_error!(r, GetClientCertificateError::NotFoundException, NOT_FOUND);
    }
}

// ---------------------------------------------------------------------------------------------
// GetClientCertificates

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_of_an_empty_scope_is_one_empty_page() {
    let server = Server::start().await;
    let page = server
        .client()
        .get_client_certificates()
        .send()
        .await
        .expect("list");
    assert!(page.items().is_empty());
    assert_eq!(page.position(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_pages_chained_by_position_cover_every_certificate_once() {
    let server = Server::start().await;
    let client = server.client();
    let generated: BTreeSet<String> = generate_many(&client, 30).await.into_iter().collect();
    assert_eq!(generated.len(), 30);

    // limit 7: pages of 7, 7, 7, 7, 2, chained by position; only the last has none.
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let mut position: Option<String> = None;
    loop {
        let page = client
            .get_client_certificates()
            .limit(7)
            .set_position(position.clone())
            .send()
            .await
            .expect("page");
        sizes.push(page.items().len());
        for c in page.items() {
            seen.push(c.client_certificate_id().unwrap().to_string());
        }
        match page.position() {
            Some(p) => position = Some(p.to_string()),
            None => break,
        }
        assert!(sizes.len() < 10, "pagination does not end: {sizes:?}");
    }
    assert_eq!(sizes, [7, 7, 7, 7, 2]);
    assert_eq!(seen.len(), 30, "no certificate twice");
    assert_eq!(seen.iter().cloned().collect::<BTreeSet<_>>(), generated);

    // The default page size is 25.
    let first = client.get_client_certificates().send().await.expect("list");
    assert_eq!(first.items().len(), 25);
    let position = first.position().expect("a position after a full page");
    let second = client
        .get_client_certificates()
        .position(position)
        .send()
        .await
        .expect("list");
    assert_eq!(second.items().len(), 5);
    assert_eq!(second.position(), None, "no position on the last page");

    // A page size dividing the count exactly still ends with no position on the last page.
    let mut sizes = Vec::new();
    let mut position: Option<String> = None;
    loop {
        let page = client
            .get_client_certificates()
            .limit(10)
            .set_position(position.take())
            .send()
            .await
            .expect("page");
        sizes.push(page.items().len());
        match page.position() {
            Some(p) => position = Some(p.to_string()),
            None => break,
        }
        assert!(sizes.len() < 10, "pagination does not end: {sizes:?}");
    }
    assert_eq!(sizes, [10, 10, 10]);

    // The largest page holds them all at once.
    let all = client
        .get_client_certificates()
        .limit(500)
        .send()
        .await
        .expect("list");
    assert_eq!(all.items().len(), 30);
    assert_eq!(all.position(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_through_the_sdk_paginator_collects_every_certificate() {
    let server = Server::start().await;
    let client = server.client();
    let mut generated = generate_many(&client, 30).await;
    generated.sort();

    let items = common::list_all(&client).await;
    let mut ids: Vec<String> = items
        .iter()
        .map(|c| c.client_certificate_id().unwrap().to_string())
        .collect();
    ids.sort();
    assert_eq!(ids, generated);

    let small_pages = client
        .get_client_certificates()
        .into_paginator()
        .page_size(7)
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("pages");
    let sizes: Vec<usize> = small_pages.iter().map(|p| p.items().len()).collect();
    assert_eq!(sizes, [7, 7, 7, 7, 2]);
    let mut ids: Vec<String> = small_pages
        .iter()
        .flat_map(|p| p.items())
        .map(|c| c.client_certificate_id().unwrap().to_string())
        .collect();
    ids.sort();
    assert_eq!(ids, generated);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_limit_out_of_range_is_a_bad_request() {
    let server = Server::start().await;
    let client = server.client();
    for limit in [501, 0, -1] {
        let r = client.get_client_certificates().limit(limit).send().await;
        let e = service_error!(r, GetClientCertificatesError::BadRequestException);
        assert!(
            e.message().unwrap_or_default().contains("limit"),
            "limit {limit}: {e:?}"
        );
    }
    client
        .get_client_certificates()
        .limit(500)
        .send()
        .await
        .expect("500 is allowed");
    client
        .get_client_certificates()
        .limit(1)
        .send()
        .await
        .expect("1 is allowed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_refuses_a_position_it_did_not_issue() {
    let server = Server::start().await;
    let r = server
        .client()
        .get_client_certificates()
        .position("not a token!")
        .send()
        .await;
    service_error!(r, GetClientCertificatesError::BadRequestException);
}

// ---------------------------------------------------------------------------------------------
// UpdateClientCertificate

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_replaces_the_description() {
    let server = Server::start().await;
    let client = server.client();
    let generated = client
        .generate_client_certificate()
        .description("old")
        .tags("k", "v")
        .send()
        .await
        .expect("generate");
    let id = generated.client_certificate_id().unwrap();
    let updated = client
        .update_client_certificate()
        .client_certificate_id(id)
        .patch_operations(replace_description("new"))
        .send()
        .await
        .expect("update");
    assert_eq!(updated.description(), Some("new"));
    // Everything else is untouched.
    let mut expected = snapshot!(generated);
    expected.description = Some("new".into());
    assert_eq!(snapshot!(updated), expected);
    let got = client
        .get_client_certificate()
        .client_certificate_id(id)
        .send()
        .await
        .expect("get");
    assert_eq!(snapshot!(got), expected);

    // Of several replaces, the last wins.
    let updated = client
        .update_client_certificate()
        .client_certificate_id(id)
        .patch_operations(replace_description("first"))
        .patch_operations(replace_description("second"))
        .send()
        .await
        .expect("update");
    assert_eq!(updated.description(), Some("second"));

    // A description is free text: any Unicode, quotes and markup survive the JSON both ways.
    let text = "Ünïcødé ☃ \"quoted\" <b>&amp;</b> \\ back\nslash 🎉";
    let updated = client
        .update_client_certificate()
        .client_certificate_id(id)
        .patch_operations(replace_description(text))
        .send()
        .await
        .expect("update");
    assert_eq!(updated.description(), Some(text));
    let got = client
        .get_client_certificate()
        .client_certificate_id(id)
        .send()
        .await
        .expect("get");
    assert_eq!(got.description(), Some(text));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_with_an_empty_patch_changes_nothing() {
    let server = Server::start().await;
    let client = server.client();
    let generated = client
        .generate_client_certificate()
        .description("keep")
        .send()
        .await
        .expect("generate");
    let id = generated.client_certificate_id().unwrap();
    let updated = client
        .update_client_certificate()
        .client_certificate_id(id)
        .send()
        .await
        .expect("update");
    assert_eq!(snapshot!(updated), snapshot!(generated));
    let got = client
        .get_client_certificate()
        .client_certificate_id(id)
        .send()
        .await
        .expect("get");
    assert_eq!(got.description(), Some("keep"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_of_another_path_is_a_bad_request() {
    let server = Server::start().await;
    let client = server.client();
    let id = generate(&client).await;
    let r = client
        .update_client_certificate()
        .client_certificate_id(&id)
        .patch_operations(
            PatchOperation::builder()
                .op(Op::Replace)
                .path("/name")
                .value("x")
                .build(),
        )
        .send()
        .await;
    service_error!(
        r,
        UpdateClientCertificateError::BadRequestException,
        "Invalid patch path  '/name' specified for op 'replace'. Must be one of: [/description]"
    );

    // One bad operation rejects the whole request: the good one before it is not applied.
    let r = client
        .update_client_certificate()
        .client_certificate_id(&id)
        .patch_operations(replace_description("applied?"))
        .patch_operations(
            PatchOperation::builder()
                .op(Op::Replace)
                .path("/tags")
                .value("x")
                .build(),
        )
        .send()
        .await;
    service_error!(r, UpdateClientCertificateError::BadRequestException);
    let got = client
        .get_client_certificate()
        .client_certificate_id(&id)
        .send()
        .await
        .expect("get");
    assert_eq!(got.description(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_with_another_op_is_a_bad_request() {
    let server = Server::start().await;
    let client = server.client();
    let id = generate(&client).await;
    for op in [Op::Add, Op::Remove, Op::Move, Op::Copy, Op::Test] {
        let r = client
            .update_client_certificate()
            .client_certificate_id(&id)
            .patch_operations(
                PatchOperation::builder()
                    .op(op.clone())
                    .path("/description")
                    .value("x")
                    .build(),
            )
            .send()
            .await;
        let e = service_error!(r, UpdateClientCertificateError::BadRequestException);
        let message = e.message().unwrap_or_default();
        assert_eq!(
            message,
            format!(
                "Invalid patch operation '{}' specified for path '/description'. Must be one of: [replace]",
                op.as_str()
            )
        );
    }
    let got = client
        .get_client_certificate()
        .client_certificate_id(&id)
        .send()
        .await
        .expect("get");
    assert_eq!(got.description(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_of_an_unknown_id_is_not_found() {
    let server = Server::start().await;
    let r = server
        .client()
        .update_client_certificate()
        .client_certificate_id("abc123")
        .patch_operations(replace_description("x"))
        .send()
        .await;
    service_error!(
        r,
        UpdateClientCertificateError::NotFoundException,
        NOT_FOUND
    );
}

// ---------------------------------------------------------------------------------------------
// DeleteClientCertificate

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
    client
        .get_client_certificate()
        .client_certificate_id(&kept)
        .send()
        .await
        .expect("the other certificate");
    // Its tags are gone with it.
    let r = client
        .get_tags()
        .resource_arn(arn("us-east-1", &id))
        .send()
        .await;
    service_error!(r, GetTagsError::NotFoundException, NOT_FOUND);
}

// ---------------------------------------------------------------------------------------------
// TagResource, UntagResource, GetTags

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
    let from_certificate = tags_of(
        client
            .get_client_certificate()
            .client_certificate_id(id)
            .send()
            .await
            .expect("get")
            .tags(),
    );
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

// ---------------------------------------------------------------------------------------------
// The quota of certificates per account and region

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

// ---------------------------------------------------------------------------------------------
// Isolation of accounts and regions

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
    let got = alice
        .get_client_certificate()
        .client_certificate_id(&a)
        .send()
        .await
        .expect("alice's own");
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

// ---------------------------------------------------------------------------------------------
// The real binary: durability across SIGKILL, and a clean exit on SIGTERM

struct Process {
    child: Child,
    addr: String,
    _stdout: BufReader<ChildStdout>,
}

fn spawn_binary(db: &Path, log: &Path) -> Process {
    let store = format!("sqlite://{}", db.display());
    assert!(store.starts_with("sqlite:///"), "absolute path: {store}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_certgate"))
        .args(["serve", "--listen", "127.0.0.1:0", "--store", &store])
        .env_remove("CERTGATE_MAX_CERTIFICATES_PER_REGION")
        .env_remove("CERTGATE_KEYGEN_THREADS")
        .env("CERTGATE_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).expect("log file"))
        .spawn()
        .expect("spawn certgate");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("read stdout");
    let addr = line
        .trim_end()
        .strip_prefix("certgate listening on http://")
        .unwrap_or_else(|| {
            let _ = child.kill();
            panic!(
                "unexpected first line {line:?}; stderr:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            )
        })
        .to_string();
    Process {
        child,
        addr,
        _stdout: stdout,
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_keeps_certificates_across_sigkill_and_exits_zero_on_sigterm() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("certgate.db");
    let mut first = spawn_binary(&db, &dir.path().join("first.log"));
    let client = common::client(
        first.addr.parse().expect("addr"),
        "123456789012",
        "us-east-1",
    );
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let generated = client
        .generate_client_certificate()
        .description("survivor")
        .tags("env", "prod")
        .tags("team", "edge")
        .send()
        .await
        .expect("generate");
    let after = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let snap = snapshot!(generated);
    assert!(
        (before..=after).contains(&snap.created),
        "createdDate is now"
    );
    assert_eq!(snap.expires, snap.created + VALIDITY);

    // SIGKILL: no chance to flush anything; an acknowledged generate must be on disk already.
    first.child.kill().expect("SIGKILL");
    first.child.wait().expect("wait");
    drop(first);

    let log = dir.path().join("second.log");
    let mut second = spawn_binary(&db, &log);
    let client = common::client(
        second.addr.parse().expect("addr"),
        "123456789012",
        "us-east-1",
    );
    let got = client
        .get_client_certificate()
        .client_certificate_id(&snap.id)
        .send()
        .await
        .expect("get after restart");
    assert_eq!(
        snapshot!(got),
        snap,
        "identical after a SIGKILL and a restart"
    );
    let items = common::list_all(&client).await;
    assert_eq!(items.len(), 1);
    assert_eq!(snapshot!(items[0]), snap);
    let tags = client
        .get_tags()
        .resource_arn(arn("us-east-1", &snap.id))
        .send()
        .await
        .expect("get tags");
    assert_eq!(tags_of(tags.tags()), snap.tags);

    // SIGTERM: a graceful shutdown and exit status 0.
    let pid = second.child.id().to_string();
    let status = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -TERM {pid}");
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let exit = loop {
        if let Some(exit) = second.child.try_wait().expect("try_wait") {
            break exit;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "certgate did not exit within 15 s of SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        exit.success(),
        "exit status {exit:?} after SIGTERM; stderr:\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
}
