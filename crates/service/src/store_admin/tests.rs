use std::sync::Arc;

use certgate_core::{AccountId, Certificate, CertificateId, Region, Scope, SecretBytes, Tags};
use certgate_store::{DynStore, SqliteStore, StoredCertificate};

use super::*;

fn record(account: &str, region: &str, n: usize) -> StoredCertificate {
    let id = CertificateId::parse(&format!("c{n:05}")).unwrap();
    StoredCertificate {
        scope: Scope {
            account: AccountId::parse(account).unwrap(),
            region: Region::parse(region).unwrap(),
        },
        certificate: Certificate {
            pem: format!("pem of {id}"),
            description: matches!(n % 2, 0).then(|| format!("cert {n}")),
            id,
            created: 1_700_000_000 + n as i64,
            expires: 1_700_000_000 + n as i64 + certgate_core::VALIDITY_SECONDS,
            tags: Tags::from([("n".to_string(), n.to_string())]),
        },
        private_key: SecretBytes::new(format!("key {n}").into_bytes()),
    }
}

async fn sqlite(dir: &tempfile::TempDir, name: &str) -> DynStore {
    Arc::new(SqliteStore::open(dir.path().join(name)).await.unwrap())
}

async fn everything(store: &dyn Store) -> Vec<StoredCertificate> {
    store.scan_records(None, 10_000).await.unwrap()
}

#[tokio::test]
async fn copies_every_scope_across_pages_and_a_rerun_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (from, to) = (sqlite(&dir, "from.db").await, sqlite(&dir, "to.db").await);
    // More rows than one page, spread over scopes that sort before and after each other.
    let mut records = Vec::new();
    for n in 0..(certgate_store::SCAN_PAGE as usize + 30) {
        let account = ["111111111111", "222222222222"][n % 2];
        let region = ["us-east-1", "eu-west-1", "ap-south-1"][n % 3];
        records.push(record(account, region, n));
    }
    for r in &records {
        from.import(r).await.unwrap();
    }

    let first = copy_all(from.as_ref(), to.as_ref()).await.unwrap();
    assert_eq!(
        first,
        CopyReport {
            copied: records.len() as u64,
            skipped: 0,
            conflicting: 0,
            refused: 0,
            ..CopyReport::default()
        }
    );
    assert_eq!(
        everything(to.as_ref()).await,
        everything(from.as_ref()).await
    );

    let again = copy_all(from.as_ref(), to.as_ref()).await.unwrap();
    assert_eq!(
        again,
        CopyReport {
            copied: 0,
            skipped: records.len() as u64,
            conflicting: 0,
            refused: 0,
            ..CopyReport::default()
        }
    );
    assert_eq!(everything(to.as_ref()).await.len(), records.len());
}

#[tokio::test]
async fn a_different_certificate_under_the_same_id_is_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let (from, to) = (sqlite(&dir, "from.db").await, sqlite(&dir, "to.db").await);
    let ours = record("111111111111", "us-east-1", 1);
    let mut theirs = ours.clone();
    theirs.private_key = SecretBytes::new(b"another key".to_vec());
    from.import(&ours).await.unwrap();
    from.import(&record("111111111111", "us-east-1", 2))
        .await
        .unwrap();
    to.import(&theirs).await.unwrap();

    let report = copy_all(from.as_ref(), to.as_ref()).await.unwrap();
    assert_eq!(
        report,
        CopyReport {
            copied: 1,
            skipped: 0,
            conflicting: 1,
            refused: 0,
            ..CopyReport::default()
        }
    );
    let kept = to
        .private_key(&ours.scope, &ours.certificate.id)
        .await
        .unwrap();
    assert_eq!(kept, Some(theirs.private_key));
}

#[tokio::test]
async fn the_master_key_check_travels_with_the_sealed_keys() {
    use crate::keys::{FINGERPRINT_SETTING, ROTATING_SETTING};
    let dir = tempfile::tempdir().unwrap();
    let (from, to) = (sqlite(&dir, "from.db").await, sqlite(&dir, "to.db").await);
    from.import(&record("111111111111", "us-east-1", 1))
        .await
        .unwrap();
    from.put_setting(FINGERPRINT_SETTING, b"fprint01")
        .await
        .unwrap();
    copy_all(from.as_ref(), to.as_ref()).await.unwrap();
    assert_eq!(
        to.setting(FINGERPRINT_SETTING).await.unwrap(),
        Some(b"fprint01".to_vec())
    );

    // A destination bound to another key is refused before anything is written.
    let other = sqlite(&dir, "other.db").await;
    other
        .put_setting(FINGERPRINT_SETTING, b"fprint02")
        .await
        .unwrap();
    let err = copy_all(from.as_ref(), other.as_ref()).await.unwrap_err();
    assert!(err.to_string().contains("sealed with master key"), "{err}");
    assert!(everything(other.as_ref()).await.is_empty());

    // So is a source whose rotation has not finished.
    from.put_setting(ROTATING_SETTING, b"fprint03")
        .await
        .unwrap();
    let fresh = sqlite(&dir, "fresh.db").await;
    let err = copy_all(from.as_ref(), fresh.as_ref()).await.unwrap_err();
    assert!(err.to_string().contains("rotation"), "{err}");
    assert!(everything(fresh.as_ref()).await.is_empty());
}

#[tokio::test]
async fn rest_apis_travel_with_their_deployments_and_stages() {
    use certgate_store::{DeploymentRow, RestApiRow, StageRow};
    let dir = tempfile::tempdir().unwrap();
    let (from, to) = (sqlite(&dir, "from.db").await, sqlite(&dir, "to.db").await);
    let cert = record("111111111111", "us-east-1", 1);
    from.import(&cert).await.unwrap();
    let scope = cert.scope.clone();
    let api = RestApiRow {
        id: "aaaaaaaaaa".into(),
        name: "payments-api".into(),
        endpoint: "EDGE".into(),
        created: 1,
        version: 3,
        api: "{}".into(),
        tree: r#"[{"id":"root"}]"#.into(),
        tags: Tags::from([("t".to_string(), "1".to_string())]),
    };
    from.insert_rest_api(&scope, &api, 10).await.unwrap();
    let deployment = DeploymentRow {
        id: "d00001".into(),
        created: 2,
        doc: "{}".into(),
        snapshot: r#"[{"id":"root"}]"#.into(),
    };
    let stage = StageRow {
        name: "prod".into(),
        deployment_id: "d00001".into(),
        client_certificate_id: Some(cert.certificate.id.to_string()),
        created: 3,
        updated: 4,
        version: 2,
        doc: "{}".into(),
        tags: Tags::new(),
    };
    from.insert_deployment(&scope, "aaaaaaaaaa", &deployment, Some(&stage), 10)
        .await
        .unwrap();
    let first = copy_all(from.as_ref(), to.as_ref()).await.unwrap();
    assert_eq!((first.copied, first.rest_apis), (1, 1));
    assert_eq!(to.rest_api(&scope, "aaaaaaaaaa").await.unwrap(), Some(api));
    assert_eq!(
        to.deployment(&scope, "aaaaaaaaaa", "d00001").await.unwrap(),
        Some(deployment)
    );
    assert_eq!(
        to.stage(&scope, "aaaaaaaaaa", "prod").await.unwrap(),
        Some(stage)
    );
    // The copied stage still guards its certificate at the destination.
    assert!(matches!(
        to.delete(&scope, &cert.certificate.id).await,
        Err(StoreError::InUse(_))
    ));
    let again = copy_all(from.as_ref(), to.as_ref()).await.unwrap();
    assert_eq!(
        (again.rest_apis, again.rest_apis_there, again.conflicting),
        (0, 1, 0)
    );
}
