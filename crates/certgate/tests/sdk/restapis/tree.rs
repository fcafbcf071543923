//! A deployment keeps the tree it froze; resources move and rename with their subtree.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployment_freezes_the_tree_and_moves_rename_the_subtree() {
    let server = Server::start().await;
    let client = server.client();
    let (api_id, root, item) = api_with_method(&client).await;
    let first = client
        .create_deployment()
        .rest_api_id(&api_id)
        .send()
        .await
        .unwrap();
    client
        .put_method()
        .rest_api_id(&api_id)
        .resource_id(&root)
        .http_method("POST")
        .authorization_type("AWS_IAM")
        .send()
        .await
        .unwrap();
    client
        .put_integration()
        .rest_api_id(&api_id)
        .resource_id(&root)
        .http_method("POST")
        .r#type(IntegrationType::Mock)
        .send()
        .await
        .unwrap();
    let second = client
        .create_deployment()
        .rest_api_id(&api_id)
        .send()
        .await
        .unwrap();
    let summary = |id: String| {
        let client = client.clone();
        let api_id = api_id.clone();
        async move {
            let d = client
                .get_deployment()
                .rest_api_id(&api_id)
                .deployment_id(id)
                .embed("apisummary")
                .send()
                .await
                .unwrap();
            let summary = d.api_summary().cloned().unwrap_or_default();
            summary
                .into_iter()
                .map(|(path, methods)| (path, methods.into_keys().collect::<BTreeSet<_>>()))
                .collect::<BTreeMap<_, _>>()
        }
    };
    let before = summary(first.id().unwrap().to_string()).await;
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        ["/pets/{id}"],
        "the first deployment kept its tree"
    );
    let after = summary(second.id().unwrap().to_string()).await;
    assert_eq!(after["/"], BTreeSet::from(["POST".to_string()]));

    // Renaming /pets moves /pets/{id} with it.
    let pets = client
        .get_resource()
        .rest_api_id(&api_id)
        .resource_id(&item)
        .send()
        .await
        .unwrap()
        .parent_id()
        .unwrap()
        .to_string();
    let renamed = client
        .update_resource()
        .rest_api_id(&api_id)
        .resource_id(&pets)
        .patch_operations(op(Op::Replace, "/pathPart", "dogs"))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.path(), Some("/dogs"));
    let child = client
        .get_resource()
        .rest_api_id(&api_id)
        .resource_id(&item)
        .send()
        .await
        .unwrap();
    assert_eq!(child.path(), Some("/dogs/{id}"));
    refused!(
        client
            .update_resource()
            .rest_api_id(&api_id)
            .resource_id(&pets)
            .patch_operations(op(Op::Replace, "/parentId", &item))
            .send(),
        "BadRequestException",
        "Resources cannot be cyclical."
    );
    refused!(
        client
            .update_resource()
            .rest_api_id(&api_id)
            .resource_id(&root)
            .patch_operations(op(Op::Replace, "/pathPart", "x"))
            .send(),
        "BadRequestException",
        "Root resource cannot update its pathPart."
    );
    // Deleting /dogs takes /dogs/{id} with it.
    client
        .delete_resource()
        .rest_api_id(&api_id)
        .resource_id(&pets)
        .send()
        .await
        .unwrap();
    refused!(
        client
            .get_resource()
            .rest_api_id(&api_id)
            .resource_id(&item)
            .send(),
        "NotFoundException",
        "Invalid Resource identifier specified"
    );
}
