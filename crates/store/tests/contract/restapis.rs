//! The REST API family: APIs with their trees, deployments and stages; the quotas of APIs per
//! scope and stages per API under concurrency; compare-and-swap updates; a stage's deployment and
//! certificate must exist, and neither can be deleted while a stage uses it; deleting an API takes
//! its deployments and stages with it.

use std::sync::Arc;

use certgate_core::Tags;
use certgate_store::{DeploymentRow, DynStore, Resource, RestApiRow, StageRow, StoreError};

use crate::{id, new_cert, scope, tags};

fn api(id: &str, endpoint: &str) -> RestApiRow {
    RestApiRow {
        id: id.to_string(),
        name: format!("api {id}"),
        endpoint: endpoint.to_string(),
        created: 1_700_000_000,
        version: 1,
        api: format!(r#"{{"id":"{id}"}}"#),
        tree: "[]".into(),
        tags: Tags::new(),
    }
}

fn deployment(id: &str) -> DeploymentRow {
    DeploymentRow {
        id: id.to_string(),
        created: 1_700_000_001,
        doc: "{}".into(),
        snapshot: r#"[{"id":"root"}]"#.into(),
    }
}

fn stage(name: &str, deployment: &str) -> StageRow {
    StageRow {
        name: name.to_string(),
        deployment_id: deployment.to_string(),
        client_certificate_id: None,
        created: 1_700_000_002,
        updated: 1_700_000_002,
        version: 1,
        doc: "{}".into(),
        tags: Tags::new(),
    }
}

pub async fn rest_apis_round_trip_and_update_by_version(store: DynStore) {
    let s = scope("111111111111", "us-east-1");
    let mut row = api("aaaaaaaaaa", "EDGE");
    row.tags = tags(&[("k", "v")]);
    store.insert_rest_api(&s, &row, 10).await.unwrap();
    assert_eq!(
        store.rest_api(&s, "aaaaaaaaaa").await.unwrap(),
        Some(row.clone())
    );
    assert!(matches!(
        store.insert_rest_api(&s, &row, 10).await,
        Err(StoreError::IdTaken)
    ));
    // Another scope sees nothing.
    let other = scope("222222222222", "us-east-1");
    assert_eq!(store.rest_api(&other, "aaaaaaaaaa").await.unwrap(), None);
    assert!(store.rest_api_exists(&s, "aaaaaaaaaa").await.unwrap());
    assert!(!store.rest_api_exists(&other, "aaaaaaaaaa").await.unwrap());

    let mut changed = row.clone();
    changed.tree = r#"[{"id":"r"}]"#.into();
    store.update_rest_api(&s, &changed).await.unwrap();
    // The version read is now stale: a second write from it is refused, and nothing changes.
    let mut late = row.clone();
    late.tree = "[]".into();
    assert!(matches!(
        store.update_rest_api(&s, &late).await,
        Err(StoreError::Stale)
    ));
    let now = store.rest_api(&s, "aaaaaaaaaa").await.unwrap().unwrap();
    assert_eq!((now.version, now.tree.as_str()), (2, r#"[{"id":"r"}]"#));
    assert!(matches!(
        store.update_rest_api(&other, &changed).await,
        Err(StoreError::NotFound)
    ));

    // Pages leave the tree out and walk in id order.
    store
        .insert_rest_api(&s, &api("bbbbbbbbbb", "REGIONAL"), 10)
        .await
        .unwrap();
    let page = store.rest_apis(&s, "", 1).await.unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].id, "aaaaaaaaaa");
    assert!(page[0].tree.is_empty());
    let rest = store.rest_apis(&s, "aaaaaaaaaa", 10).await.unwrap();
    assert_eq!(
        rest.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["bbbbbbbbbb"]
    );
}

pub async fn api_quota_counts_edge_apart_and_holds_under_concurrency(store: DynStore) {
    let s = scope("111111111111", "us-east-1");
    let tasks: Vec<_> = (0..12)
        .map(|n| {
            let store = store.clone();
            let s = s.clone();
            tokio::spawn(async move {
                store
                    .insert_rest_api(&s, &api(&format!("edge{n:06}"), "EDGE"), 5)
                    .await
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) => ok += 1,
            Err(StoreError::QuotaExceeded { limit: 5 }) => {}
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert_eq!(ok, 5);
    // Regional and private share the other quota, apart from edge.
    store
        .insert_rest_api(&s, &api("regional01", "REGIONAL"), 2)
        .await
        .unwrap();
    store
        .insert_rest_api(&s, &api("private001", "PRIVATE"), 2)
        .await
        .unwrap();
    assert!(matches!(
        store
            .insert_rest_api(&s, &api("regional02", "REGIONAL"), 2)
            .await,
        Err(StoreError::QuotaExceeded { limit: 2 })
    ));
}

pub async fn stages_need_their_deployment_and_hold_their_quota(store: DynStore) {
    let s = scope("111111111111", "us-east-1");
    let a = "aaaaaaaaaa";
    assert!(matches!(
        store
            .insert_deployment(&s, a, &deployment("d00001"), None, 10)
            .await,
        Err(StoreError::NotFound)
    ));
    store
        .insert_rest_api(&s, &api(a, "EDGE"), 10)
        .await
        .unwrap();
    store
        .insert_deployment(&s, a, &deployment("d00001"), None, 10)
        .await
        .unwrap();
    assert!(matches!(
        store
            .insert_stage(&s, a, &stage("prod", "nope00"), 10)
            .await,
        Err(StoreError::Dangling("deployment"))
    ));
    store
        .insert_stage(&s, a, &stage("prod", "d00001"), 10)
        .await
        .unwrap();
    assert!(matches!(
        store
            .insert_stage(&s, a, &stage("prod", "d00001"), 10)
            .await,
        Err(StoreError::IdTaken)
    ));
    let tasks: Vec<_> = (0..8)
        .map(|n| {
            let store = store.clone();
            let s = s.clone();
            tokio::spawn(async move {
                store
                    .insert_stage(&s, a, &stage(&format!("s{n}"), "d00001"), 4)
                    .await
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        if t.await.unwrap().is_ok() {
            ok += 1;
        }
    }
    assert_eq!(ok, 3, "prod and three more make the quota of four");
    assert_eq!(store.stages(&s, a).await.unwrap().len(), 4);

    // A deployment with a stage name moves that stage, or creates it within the quota.
    store
        .insert_deployment(
            &s,
            a,
            &deployment("d00002"),
            Some(&stage("prod", "d00002")),
            4,
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .stage(&s, a, "prod")
            .await
            .unwrap()
            .unwrap()
            .deployment_id,
        "d00002"
    );
    assert!(matches!(
        store
            .insert_deployment(
                &s,
                a,
                &deployment("d00003"),
                Some(&stage("new", "d00003")),
                4
            )
            .await,
        Err(StoreError::QuotaExceeded { limit: 4 })
    ));
    assert_eq!(
        store.deployment(&s, a, "d00003").await.unwrap(),
        None,
        "nothing was kept"
    );
}

pub async fn a_used_deployment_or_certificate_is_not_deleted(store: DynStore) {
    let s = scope("111111111111", "us-east-1");
    let a = "aaaaaaaaaa";
    store
        .insert_rest_api(&s, &api(a, "EDGE"), 10)
        .await
        .unwrap();
    store
        .insert_deployment(&s, a, &deployment("d00001"), None, 10)
        .await
        .unwrap();
    store
        .insert_stage(&s, a, &stage("prod", "d00001"), 10)
        .await
        .unwrap();
    store
        .insert(&s, &new_cert(id(1), None, Tags::new()), 60)
        .await
        .unwrap();

    let mut with_cert = store.stage(&s, a, "prod").await.unwrap().unwrap();
    with_cert.client_certificate_id = Some("c99999".into());
    assert!(matches!(
        store.update_stage(&s, a, &with_cert).await,
        Err(StoreError::Dangling("certificate"))
    ));
    with_cert.client_certificate_id = Some(id(1).to_string());
    store.update_stage(&s, a, &with_cert).await.unwrap();
    // The same version again is stale.
    assert!(matches!(
        store.update_stage(&s, a, &with_cert).await,
        Err(StoreError::Stale)
    ));
    // A certificate of another scope is not this scope's.
    let other = scope("111111111111", "eu-west-1");
    assert!(store
        .certificate_users(&other, id(1).as_str())
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store.certificate_users(&s, id(1).as_str()).await.unwrap(),
        vec![(a.to_string(), "prod".to_string())]
    );
    match store.delete(&s, &id(1)).await {
        Err(StoreError::InUse(users)) => assert_eq!(users, vec!["prod of aaaaaaaaaa"]),
        other => panic!("expected InUse, got {other:?}"),
    }
    assert!(
        store.get(&s, &id(1)).await.unwrap().is_some(),
        "the certificate is kept"
    );
    match store.delete_deployment(&s, a, "d00001").await {
        Err(StoreError::InUse(users)) => assert_eq!(users, vec!["prod"]),
        other => panic!("expected InUse, got {other:?}"),
    }
    store
        .insert_rest_api(&other, &api("bbbbbbbbbb", "EDGE"), 10)
        .await
        .unwrap();
    let listed = store.scan_stages(None, 10).await.unwrap();
    assert_eq!(listed.len(), 2);
    // eu-west-1 sorts before us-east-1; an API without stages is listed once, with no stage.
    assert_eq!(
        (listed[0].api_id.as_str(), listed[0].stage.as_deref()),
        ("bbbbbbbbbb", None)
    );
    assert_eq!(
        (listed[1].api_name.as_str(), listed[1].stage.as_deref()),
        ("api aaaaaaaaaa", Some("prod"))
    );
    assert_eq!(
        listed[1].client_certificate_id.as_deref(),
        Some(id(1).as_str())
    );
    let after_first = store.scan_stages(Some(&listed[0]), 1).await.unwrap();
    assert_eq!(after_first, listed[1..].to_vec());
    assert!(store
        .scan_stages(Some(&listed[1]), 10)
        .await
        .unwrap()
        .is_empty());

    // Detached and deleted, both can go.
    let mut detached = store.stage(&s, a, "prod").await.unwrap().unwrap();
    detached.client_certificate_id = None;
    store.update_stage(&s, a, &detached).await.unwrap();
    store.delete(&s, &id(1)).await.unwrap();
    store.delete_stage(&s, a, "prod").await.unwrap();
    store.delete_deployment(&s, a, "d00001").await.unwrap();
    assert!(matches!(
        store.delete_stage(&s, a, "prod").await,
        Err(StoreError::NotFound)
    ));
}

pub async fn attaching_and_deleting_a_certificate_at_once_never_dangles(store: DynStore) {
    let s = scope("111111111111", "us-east-1");
    let a = "aaaaaaaaaa";
    store
        .insert_rest_api(&s, &api(a, "EDGE"), 10)
        .await
        .unwrap();
    store
        .insert_deployment(&s, a, &deployment("d00001"), None, 10)
        .await
        .unwrap();
    for round in 0..10 {
        let name = format!("s{round}");
        store
            .insert_stage(&s, a, &stage(&name, "d00001"), 100)
            .await
            .unwrap();
        store
            .insert(&s, &new_cert(id(round), None, Tags::new()), 60)
            .await
            .unwrap();
        let mut row = store.stage(&s, a, &name).await.unwrap().unwrap();
        row.client_certificate_id = Some(id(round).to_string());
        let attach = {
            let store = store.clone();
            let s = s.clone();
            tokio::spawn(async move { store.update_stage(&s, a, &row).await })
        };
        let delete = {
            let store = Arc::clone(&store);
            let s = s.clone();
            tokio::spawn(async move { store.delete(&s, &id(round)).await })
        };
        let (attached, deleted) = (attach.await.unwrap(), delete.await.unwrap());
        let stage = store.stage(&s, a, &name).await.unwrap().unwrap();
        let exists = store.get(&s, &id(round)).await.unwrap().is_some();
        match (attached, deleted) {
            (Ok(()), Err(StoreError::InUse(_))) => {
                assert!(exists && stage.client_certificate_id.is_some())
            }
            (Err(StoreError::Dangling("certificate")), Ok(())) => {
                assert!(!exists && stage.client_certificate_id.is_none())
            }
            other => panic!("round {round}: {other:?}"),
        }
    }
}

pub async fn deleting_an_api_takes_its_deployments_stages_and_tags(store: DynStore) {
    let s = scope("111111111111", "us-east-1");
    let a = "aaaaaaaaaa";
    store
        .insert_rest_api(&s, &api(a, "EDGE"), 10)
        .await
        .unwrap();
    store
        .insert_deployment(&s, a, &deployment("d00001"), None, 10)
        .await
        .unwrap();
    store
        .insert_stage(&s, a, &stage("prod", "d00001"), 10)
        .await
        .unwrap();
    let stage_tags = store
        .add_tags(
            &s,
            Resource::Stage {
                api_id: a,
                name: "prod",
            },
            &tags(&[("t", "1")]),
            50,
        )
        .await
        .unwrap();
    assert_eq!(stage_tags, tags(&[("t", "1")]));
    store
        .add_tags(&s, Resource::RestApi(a), &tags(&[("u", "2")]), 50)
        .await
        .unwrap();
    assert_eq!(
        store.tags(&s, Resource::RestApi(a)).await.unwrap(),
        Some(tags(&[("u", "2")]))
    );
    store.delete_rest_api(&s, a).await.unwrap();
    assert_eq!(store.rest_api(&s, a).await.unwrap(), None);
    assert_eq!(store.deployment(&s, a, "d00001").await.unwrap(), None);
    assert!(store.stages(&s, a).await.unwrap().is_empty());
    assert_eq!(
        store
            .tags(
                &s,
                Resource::Stage {
                    api_id: a,
                    name: "prod"
                }
            )
            .await
            .unwrap(),
        None
    );
    assert!(matches!(
        store.delete_rest_api(&s, a).await,
        Err(StoreError::NotFound)
    ));
    // A new API of the same id starts empty.
    store
        .insert_rest_api(&s, &api(a, "EDGE"), 10)
        .await
        .unwrap();
    assert!(store.deployments(&s, a, "", 10).await.unwrap().is_empty());
}

pub async fn invoke_targets_find_a_stage_by_api_id_and_name_in_any_scope(store: DynStore) {
    let (a, b) = (
        scope("111111111111", "us-east-1"),
        scope("222222222222", "eu-west-1"),
    );
    for s in [&a, &b] {
        store
            .insert_rest_api(s, &api("samesameid", "REGIONAL"), 10)
            .await
            .unwrap();
        store
            .insert_deployment(s, "samesameid", &deployment("d00001"), None, 10)
            .await
            .unwrap();
    }
    let mut prod = stage("prod", "d00001");
    prod.doc = r#"{"variables":{"v":"1"}}"#.into();
    store
        .insert_stage(&a, "samesameid", &prod, 10)
        .await
        .unwrap();
    store
        .insert_stage(&b, "samesameid", &stage("prod", "d00001"), 10)
        .await
        .unwrap();
    let found = store.invoke_targets("samesameid", "prod", 8).await.unwrap();
    assert_eq!(found.len(), 2);
    assert_eq!((&found[0].scope, &found[1].scope), (&a, &b));
    assert_eq!(found[0].stage, prod);
    assert_eq!(found[0].snapshot, r#"[{"id":"root"}]"#);
    assert_eq!(
        store
            .invoke_targets("samesameid", "prod", 1)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(store
        .invoke_targets("samesameid", "test", 8)
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .invoke_targets("otherapiid", "prod", 8)
        .await
        .unwrap()
        .is_empty());
}

pub async fn the_familys_writes_are_announced_before_they_return(store: DynStore) {
    let seen = Arc::new(crate::changes::Seen::default());
    store.changes().subscribe(seen.clone());
    let s = scope("111111111111", "us-east-1");
    let api_line = "rest-api 111111111111 us-east-1 aaaaaaaaaa";
    let stage_line = "stage 111111111111 us-east-1 aaaaaaaaaa/prod";
    let mut row = api("aaaaaaaaaa", "EDGE");
    store.insert_rest_api(&s, &row, 10).await.unwrap();
    assert!(seen.took(api_line), "insert API");
    row.tree = "[]".into();
    store.update_rest_api(&s, &row).await.unwrap();
    assert!(seen.took(api_line), "update API");
    store
        .insert_deployment(
            &s,
            "aaaaaaaaaa",
            &deployment("d00001"),
            Some(&stage("prod", "d00001")),
            10,
        )
        .await
        .unwrap();
    assert!(seen.took(stage_line), "deployment with its stage");
    let mut prod = store
        .stage(&s, "aaaaaaaaaa", "prod")
        .await
        .unwrap()
        .unwrap();
    prod.doc = r#"{"description":"d"}"#.into();
    store.update_stage(&s, "aaaaaaaaaa", &prod).await.unwrap();
    assert!(seen.took(stage_line), "update stage");
    store.delete_stage(&s, "aaaaaaaaaa", "prod").await.unwrap();
    assert!(seen.took(stage_line), "delete stage");
    store
        .insert_stage(&s, "aaaaaaaaaa", &stage("prod", "d00001"), 10)
        .await
        .unwrap();
    assert!(seen.took(stage_line), "insert stage");
    store.delete_rest_api(&s, "aaaaaaaaaa").await.unwrap();
    assert!(seen.took(api_line), "delete API");
}
