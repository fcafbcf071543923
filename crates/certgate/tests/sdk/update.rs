//! UpdateClientCertificate.

use super::*;

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
    let got = get(&client, id).await;
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
    let got = get(&client, id).await;
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
    let got = get(&client, id).await;
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
    let got = get(&client, &id).await;
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
    let got = get(&client, &id).await;
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
