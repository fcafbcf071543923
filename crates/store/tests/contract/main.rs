//! The store contract: every engine must pass every test here. The tests are grouped by family (a
//! module each), each written once against `DynStore`; the `engines!` macro at the bottom
//! instantiates every family's tests per engine. Engine-specific tests live in their own module.

use std::sync::Arc;

use certgate_core::{AccountId, Certificate, CertificateId, Region, Scope, SecretBytes, Tags};
use certgate_store::{DynStore, NewCertificate};

mod certificates;
mod changes;
mod keys;
mod restapis;
mod scan;
mod settings;
mod sqlite_only;
mod tags;

pub fn scope(account: &str, region: &str) -> Scope {
    Scope {
        account: AccountId::parse(account).unwrap(),
        region: Region::parse(region).unwrap(),
    }
}

pub fn id(n: usize) -> CertificateId {
    CertificateId::parse(&format!("c{n:05}")).unwrap()
}

pub fn tags(pairs: &[(&str, &str)]) -> Tags {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub fn new_cert(id: CertificateId, description: Option<&str>, tags: Tags) -> NewCertificate {
    NewCertificate {
        certificate: Certificate {
            pem: format!("-----BEGIN CERTIFICATE-----\n{id}\n-----END CERTIFICATE-----\n"),
            id: id.clone(),
            description: description.map(str::to_string),
            created: 1_700_000_000,
            expires: 1_700_000_000 + certgate_core::VALIDITY_SECONDS,
            tags,
        },
        private_key: SecretBytes::new(format!("key of {id}").into_bytes()),
    }
}

/// Instantiates every contract test for one engine, a module per family. `$open` is an async
/// expression giving a fresh, empty `DynStore` (and a guard that keeps its resources alive,
/// returned second).
macro_rules! engines {
    ($engine:ident, $open:expr) => {
        mod $engine {
            engines!(@family $open; certificates:
                insert_then_get_round_trips,
                scopes_are_isolated,
                a_taken_id_is_refused_and_nothing_changes,
                quota_holds_under_concurrency,
                keyset_pages_walk_everything_once_in_order,
                description_is_replaced_and_cleared,
                delete_removes_certificate_and_key,
            );
            engines!(@family $open; keys:
                import_writes_as_given_and_never_overwrites,
                private_key_is_replaced_only_if_unchanged,
                a_key_follows_its_certificate,
            );
            engines!(@family $open; tags:
                tags_merge_remove_and_respect_the_limit,
                concurrent_tag_writes_are_never_lost,
                tags_are_read_and_changed_by_resource,
                concurrent_merges_never_pass_the_limit,
            );
            engines!(@family $open; restapis:
                rest_apis_round_trip_and_update_by_version,
                api_quota_counts_edge_apart_and_holds_under_concurrency,
                stages_need_their_deployment_and_hold_their_quota,
                a_used_deployment_or_certificate_is_not_deleted,
                attaching_and_deleting_a_certificate_at_once_never_dangles,
                deleting_an_api_takes_its_deployments_stages_and_tags,
                invoke_targets_find_a_stage_by_api_id_and_name_in_any_scope,
                the_familys_writes_are_announced_before_they_return,
            );
            engines!(@family $open; changes:
                every_write_is_announced_before_it_returns,
                the_feed_becomes_current,
            );
            engines!(@family $open; settings:
                settings_are_set_once_or_replaced,
            );
            engines!(@family $open; scan:
                scan_walks_every_scope_once_in_key_order,
                every_scan_returns_the_same_rows_in_the_same_order,
                a_walk_sees_rows_written_ahead_of_it_and_not_behind,
                an_empty_store_scans_to_nothing,
            );
        }
    };
    (@family $open:expr; $family:ident: $($test:ident),* $(,)?) => {
        mod $family {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    let (store, _guard) = $open.await;
                    crate::$family::$test(store).await;
                }
            )*
        }
    };
}

pub async fn fresh_sqlite() -> (DynStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = certgate_store::SqliteStore::open(dir.path().join("nested/dir/certgate.db"))
        .await
        .unwrap();
    (Arc::new(store), dir)
}

engines!(sqlite, crate::fresh_sqlite());

#[path = "../support/postgres.rs"]
mod pg;
engines!(postgres, crate::pg::fresh_postgres());
