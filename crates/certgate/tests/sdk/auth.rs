//! `--auth sigv4` through the Rust SDK: known keys act in the account the credentials file gives
//! them, unknown keys, wrong secrets and aged signatures are refused with AWS's errors, read-only
//! keys cannot write, and a reloaded file takes effect at once.

use aws_sdk_apigateway::error::{ProvideErrorMetadata, SdkError};

use super::*;

const CREDENTIALS: &str = r#"
[[credential]]
access_key_id = "AKIAFULL0001"
secret_access_key = "full/secret+1"
account_id = "111111111111"
permission = "full"

[[credential]]
access_key_id = "AKIAFULL0002"
secret_access_key = "second-secret"
account_id = "111111111111"
permission = "full"

[[credential]]
access_key_id = "AKIAREAD0001"
secret_access_key = "read-secret"
account_id = "111111111111"
permission = "read-only"

[[credential]]
access_key_id = "AKIAOTHER001"
secret_access_key = "other-secret"
account_id = "222222222222"
permission = "full"
"#;

/// A sigv4 server whose (manual) clock shows the real time, since the SDK signs with it.
async fn sigv4_server() -> Server {
    let server = Server::start_with(common::Options {
        credentials: Some(CREDENTIALS),
        ..Default::default()
    })
    .await;
    server.clock.set(common::system_now());
    server
}

fn as_key(server: &Server, key: &str, secret: &str) -> Client {
    common::client_with_secret(server.addr, key, secret, "us-east-1")
}

/// The status, code and message of a failed call, whatever its operation.
fn failure<E: ProvideErrorMetadata>(
    err: SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> (u16, String, String) {
    let status = err
        .raw_response()
        .map(|r| r.status().as_u16())
        .expect("an HTTP response");
    (
        status,
        err.code().unwrap_or_default().to_string(),
        err.message().unwrap_or_default().to_string(),
    )
}

#[tokio::test]
async fn known_keys_act_in_the_account_of_the_credentials_file() {
    let server = sigv4_server().await;
    let first = as_key(&server, "AKIAFULL0001", "full/secret+1");
    let id = generate(&first).await;
    // Another key of the same account sees it; a key of another account does not.
    let second = as_key(&server, "AKIAFULL0002", "second-secret");
    assert_eq!(list_ids(&second).await, vec![id.clone()]);
    let other = as_key(&server, "AKIAOTHER001", "other-secret");
    assert!(list_ids(&other).await.is_empty());
    // Tag operations put an ARN in the path, which is signed double-encoded.
    first
        .tag_resource()
        .resource_arn(arn("us-east-1", &id))
        .tags("team", "edge")
        .send()
        .await
        .expect("tag with a signed ARN path");
    let tags = second
        .get_tags()
        .resource_arn(arn("us-east-1", &id))
        .send()
        .await
        .expect("get tags");
    assert_eq!(tags_of(tags.tags()), map(&[("team", "edge")]));
}

#[tokio::test]
async fn unknown_keys_and_wrong_secrets_are_refused() {
    let server = sigv4_server().await;
    let unknown = as_key(&server, "AKIANOBODY01", "whatever");
    let err = unknown.get_client_certificates().send().await.unwrap_err();
    assert_eq!(
        failure(err),
        (
            403,
            "UnrecognizedClientException".into(),
            "The security token included in the request is invalid.".into()
        )
    );
    let wrong = as_key(&server, "AKIAFULL0001", "not the secret");
    let err = wrong
        .generate_client_certificate()
        .send()
        .await
        .unwrap_err();
    let (status, code, message) = failure(err);
    assert_eq!((status, code.as_str()), (403, "InvalidSignatureException"));
    assert!(
        message.starts_with(
            "The request signature we calculated does not match the signature you provided."
        ),
        "{message}"
    );
    assert!(!message.contains("full/secret+1"), "{message}");
    // Nothing was created by the refused request.
    assert!(list_ids(&as_key(&server, "AKIAFULL0001", "full/secret+1"))
        .await
        .is_empty());
}

#[tokio::test]
async fn read_only_keys_read_but_cannot_write() {
    let server = sigv4_server().await;
    let id = generate(&as_key(&server, "AKIAFULL0001", "full/secret+1")).await;
    let reader = as_key(&server, "AKIAREAD0001", "read-secret");
    get(&reader, &id).await;
    assert_eq!(list_ids(&reader).await, vec![id.clone()]);
    reader
        .get_tags()
        .resource_arn(arn("us-east-1", &id))
        .send()
        .await
        .expect("get tags");

    let err = reader
        .generate_client_certificate()
        .send()
        .await
        .unwrap_err();
    let (status, code, message) = failure(err);
    assert_eq!((status, code.as_str()), (401, "UnauthorizedException"));
    assert!(message.contains("GenerateClientCertificate"), "{message}");
    let err = reader
        .delete_client_certificate()
        .client_certificate_id(&id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(err).1, "UnauthorizedException");
    let err = reader
        .tag_resource()
        .resource_arn(arn("us-east-1", &id))
        .tags("a", "b")
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(err).1, "UnauthorizedException");
    get(&reader, &id).await;

    // Permission comes before input: a malformed write is as unauthorized as a good one, and a
    // read-only key learns nothing of what the write would have said (not found, bad tags).
    let err = reader
        .update_client_certificate()
        .client_certificate_id("NOT-AN-ID")
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(err).0, 401);
    let err = reader
        .delete_client_certificate()
        .client_certificate_id("zzzzzz")
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(err).0, 401);
    let mut bad_tags = reader.generate_client_certificate();
    for n in 0..51 {
        bad_tags = bad_tags.tags(format!("aws:k{n}"), "v");
    }
    assert_eq!(failure(bad_tags.send().await.unwrap_err()).0, 401);
    let err = reader
        .tag_resource()
        .resource_arn("arn:aws:apigateway:us-east-1::/clientcertificates/NOPE")
        .tags("a", "b")
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(err).0, 401);
}

#[tokio::test]
async fn signatures_older_or_newer_than_fifteen_minutes_are_refused() {
    let server = sigv4_server().await;
    let client = as_key(&server, "AKIAFULL0001", "full/secret+1");
    let now = common::system_now();
    for (server_time, word) in [(now + 16 * 60, "earlier"), (now - 16 * 60, "later")] {
        server.clock.set(server_time);
        let err = client.get_client_certificates().send().await.unwrap_err();
        let (status, code, message) = failure(err);
        assert_eq!((status, code.as_str()), (403, "InvalidSignatureException"));
        assert!(message.starts_with("Signature expired: "), "{message}");
        assert!(
            message.contains(&format!("is now {word} than")),
            "{message}"
        );
    }
    server.clock.set(now + 5 * 60);
    list_ids(&client).await;
}

#[tokio::test]
async fn a_reloaded_credentials_file_takes_effect_and_a_bad_one_is_ignored() {
    let server = sigv4_server().await;
    let file = server.credentials.as_ref().expect("credentials file");
    list_ids(&as_key(&server, "AKIAFULL0001", "full/secret+1")).await;

    std::fs::write(file.path(), "this is [not toml").unwrap();
    assert!(file.reload().is_err());
    list_ids(&as_key(&server, "AKIAFULL0001", "full/secret+1")).await;

    std::fs::write(
        file.path(),
        CREDENTIALS.replace("full/secret+1", "rotated-secret"),
    )
    .unwrap();
    file.reload().expect("reload");
    let err = as_key(&server, "AKIAFULL0001", "full/secret+1")
        .get_client_certificates()
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(err).1, "InvalidSignatureException");
    list_ids(&as_key(&server, "AKIAFULL0001", "rotated-secret")).await;
}
