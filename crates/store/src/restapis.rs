//! The REST API family: REST APIs (each with its resource tree), their deployments and their
//! stages, in three tables. The store keeps each as a JSON document the service writes and reads
//! (the model's shapes), plus the columns its rules need: the endpoint kind for the quotas, a
//! version for compare-and-swap updates, a stage's deployment and client certificate.
//!
//! Rules that span rows hold inside the engine's transaction, on every node: a stage names a
//! deployment of its API and a certificate of its scope that exist; a deployment or certificate a
//! stage uses cannot be deleted; the quotas of REST APIs per scope and stages per API. Every change
//! to an API's deployments or stages first locks the API's row, so these checks cannot go stale.

use async_trait::async_trait;
use certgate_core::{Scope, Tags};

use crate::sql::{Columns, Dialect, Value};
use crate::{tags, Result};

/// A REST API as stored: `api` is its document without id, dates and tags; `tree` its resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestApiRow {
    pub id: String,
    pub name: String,
    /// EDGE, REGIONAL or PRIVATE: which quota the API counts against.
    pub endpoint: String,
    pub created: i64,
    /// Bumped by every update; an update names the version it read.
    pub version: i64,
    pub api: String,
    /// The resource tree; empty in pages of [`RestApiStore::rest_apis`], which do not read it.
    pub tree: String,
    pub tags: Tags,
}

/// A deployment: `doc` its description and other members, `snapshot` the tree it froze.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentRow {
    pub id: String,
    pub created: i64,
    pub doc: String,
    /// Empty in pages of [`RestApiStore::deployments`], which do not read it.
    pub snapshot: String,
}

/// A stage. The columns are the truth for the deployment, the certificate and the dates; `doc`
/// holds every other member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageRow {
    pub name: String,
    pub deployment_id: String,
    pub client_certificate_id: Option<String>,
    pub created: i64,
    pub updated: i64,
    pub version: i64,
    pub doc: String,
    pub tags: Tags,
}

/// A REST API and one of its stages (or none, for an API without stages), as the whole-store
/// scan of [`RestApiStore::scan_stages`] returns them for the console and `certgate certs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageListing {
    pub scope: Scope,
    pub api_id: String,
    pub api_name: String,
    pub stage: Option<String>,
    pub deployment_id: Option<String>,
    pub client_certificate_id: Option<String>,
}

/// What invoking a stage needs, found by API id and stage name alone (an invoked URL names no
/// account): the stage and the frozen tree of its deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvokeTarget {
    pub scope: Scope,
    pub stage: StageRow,
    /// The JSON of the deployment's resources, as [`DeploymentRow::snapshot`].
    pub snapshot: String,
}

#[async_trait]
pub trait RestApiStore: Send + Sync {
    /// Stores a new REST API if the scope holds fewer than `quota` APIs of its endpoint class
    /// (EDGE apart, REGIONAL and PRIVATE together); `IdTaken` if its id is.
    async fn insert_rest_api(&self, scope: &Scope, row: &RestApiRow, quota: u32) -> Result<()>;

    async fn rest_api(&self, scope: &Scope, id: &str) -> Result<Option<RestApiRow>>;

    /// Whether the scope holds the API, without reading its document or tree.
    async fn rest_api_exists(&self, scope: &Scope, id: &str) -> Result<bool>;

    /// Up to `limit` REST APIs ordered by id after `after`, without their trees.
    async fn rest_apis(&self, scope: &Scope, after: &str, limit: u32) -> Result<Vec<RestApiRow>>;

    /// Replaces the document, tree and endpoint if the row is still at `row.version`: `Stale` if
    /// another update came first, `NotFound` if the API is gone.
    async fn update_rest_api(&self, scope: &Scope, row: &RestApiRow) -> Result<()>;

    /// Removes the API with its deployments and stages.
    async fn delete_rest_api(&self, scope: &Scope, id: &str) -> Result<()>;

    /// Stores a deployment of the API (`NotFound` if there is no such API). With a stage, the
    /// stage named so is moved to the new deployment, or created from `stage` (counted against
    /// `stage_quota`) if the API has none of that name.
    async fn insert_deployment(
        &self,
        scope: &Scope,
        api_id: &str,
        row: &DeploymentRow,
        stage: Option<&StageRow>,
        stage_quota: u32,
    ) -> Result<()>;

    async fn deployment(
        &self,
        scope: &Scope,
        api_id: &str,
        id: &str,
    ) -> Result<Option<DeploymentRow>>;

    /// Up to `limit` deployments ordered by id after `after`, without their snapshots.
    async fn deployments(
        &self,
        scope: &Scope,
        api_id: &str,
        after: &str,
        limit: u32,
    ) -> Result<Vec<DeploymentRow>>;

    /// Replaces a deployment's document.
    async fn update_deployment(
        &self,
        scope: &Scope,
        api_id: &str,
        id: &str,
        doc: &str,
    ) -> Result<()>;

    /// Removes a deployment no stage points to: `InUse` naming the stages otherwise.
    async fn delete_deployment(&self, scope: &Scope, api_id: &str, id: &str) -> Result<()>;

    /// Stores a new stage: `NotFound` without the API, `Dangling("deployment")` if its deployment
    /// does not exist, `IdTaken` if the name is, `QuotaExceeded` past `quota` stages.
    async fn insert_stage(
        &self,
        scope: &Scope,
        api_id: &str,
        row: &StageRow,
        quota: u32,
    ) -> Result<()>;

    async fn stage(&self, scope: &Scope, api_id: &str, name: &str) -> Result<Option<StageRow>>;

    /// Every stage of the API, ordered by name.
    async fn stages(&self, scope: &Scope, api_id: &str) -> Result<Vec<StageRow>>;

    /// Replaces a stage if it is still at `row.version` (`Stale` otherwise), after checking that
    /// its deployment and its certificate exist (`Dangling("deployment")`,
    /// `Dangling("certificate")`).
    async fn update_stage(&self, scope: &Scope, api_id: &str, row: &StageRow) -> Result<()>;

    async fn delete_stage(&self, scope: &Scope, api_id: &str, name: &str) -> Result<()>;

    /// The stages named `stage` of every REST API with the id `api_id`, in any scope, with their
    /// deployments' snapshots, ordered by (account, region); at most `limit`. Ids are drawn at
    /// random, so more than one is rare, but the store does not forbid it across scopes.
    async fn invoke_targets(
        &self,
        api_id: &str,
        stage: &str,
        limit: u32,
    ) -> Result<Vec<InvokeTarget>>;

    /// The stages of the scope that present the certificate, as "stage of api-id" pairs ordered
    /// by API and stage.
    async fn certificate_users(
        &self,
        scope: &Scope,
        certificate_id: &str,
    ) -> Result<Vec<(String, String)>>;

    /// Up to `limit` (REST API, stage) rows of every scope, an API without stages once with no
    /// stage, ordered by (account, region, api, stage) after `after`.
    async fn scan_stages(
        &self,
        after: Option<&StageListing>,
        limit: u32,
    ) -> Result<Vec<StageListing>>;
}

/// The class an endpoint type counts in: AWS's quotas put EDGE apart from REGIONAL and PRIVATE.
pub(crate) fn endpoint_class(endpoint: &str) -> &'static str {
    if endpoint == "EDGE" {
        "EDGE"
    } else {
        "OTHER"
    }
}

const API_COLUMNS: &str = "id, name, endpoint, created_at, version, api, tags";
const STAGE_COLUMNS: &str =
    "name, deployment_id, client_certificate_id, created_at, updated_at, version, stage, tags";

pub(crate) struct Sql {
    pub api_count: String,
    pub api_insert: String,
    pub api_get: String,
    pub api_lock: String,
    pub api_exists: String,
    pub api_list: String,
    pub api_update: String,
    pub api_delete: String,
    pub api_delete_stages: String,
    pub api_delete_deployments: String,
    pub deployment_insert: String,
    pub deployment_get: String,
    pub deployment_list: String,
    pub deployment_update: String,
    pub deployment_delete: String,
    pub deployment_exists: String,
    pub deployment_users: String,
    pub stage_count: String,
    pub stage_insert: String,
    pub stage_get: String,
    pub stage_list: String,
    pub stage_move: String,
    pub stage_update: String,
    pub stage_delete: String,
    pub certificate_exists: String,
    pub certificate_users: String,
    pub scan_stages: String,
    pub invoke_targets: String,
}

impl Sql {
    pub(crate) fn new(d: Dialect) -> Self {
        let scope = "account = $1 AND region = $2";
        let api = format!("{scope} AND id = $3");
        let child = format!("{scope} AND api_id = $3");
        Sql {
            api_count: d.statement(&format!(
                "SELECT COUNT(*) FROM rest_apis WHERE {scope}
                 AND (CASE WHEN endpoint = 'EDGE' THEN 'EDGE' ELSE 'OTHER' END) = $3"
            )),
            api_insert: d.statement(
                "INSERT INTO rest_apis
                    (account, region, id, name, endpoint, created_at, version, api, tags, tree)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            ),
            api_get: d.statement(&format!(
                "SELECT {API_COLUMNS}, tree FROM rest_apis WHERE {api}"
            )),
            api_exists: d.statement(&format!("SELECT version FROM rest_apis WHERE {api}")),
            api_lock: d.statement(&format!(
                "SELECT version FROM rest_apis WHERE {api}{}",
                d.lock_rows()
            )),
            api_list: d.statement(&format!(
                "SELECT {API_COLUMNS} FROM rest_apis WHERE {scope} AND id > $3 ORDER BY id LIMIT $4"
            )),
            api_update: d.statement(&format!(
                "UPDATE rest_apis SET name = $4, endpoint = $5, api = $6, tree = $7,
                    version = version + 1
                 WHERE {api} AND version = $8"
            )),
            api_delete: d.statement(&format!("DELETE FROM rest_apis WHERE {api}")),
            api_delete_stages: d.statement(&format!("DELETE FROM stages WHERE {child}")),
            api_delete_deployments: d.statement(&format!("DELETE FROM deployments WHERE {child}")),
            deployment_insert: d.statement(
                "INSERT INTO deployments (account, region, api_id, id, created_at, deployment, snapshot)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            ),
            deployment_get: d.statement(&format!(
                "SELECT id, created_at, deployment, snapshot FROM deployments
                 WHERE {child} AND id = $4"
            )),
            deployment_list: d.statement(&format!(
                "SELECT id, created_at, deployment, '' FROM deployments
                 WHERE {child} AND id > $4 ORDER BY id LIMIT $5"
            )),
            deployment_update: d.statement(&format!(
                "UPDATE deployments SET deployment = $5 WHERE {child} AND id = $4"
            )),
            deployment_delete: d.statement(&format!(
                "DELETE FROM deployments WHERE {child} AND id = $4"
            )),
            deployment_exists: d.statement(&format!(
                "SELECT COUNT(*) FROM deployments WHERE {child} AND id = $4"
            )),
            deployment_users: d.statement(&format!(
                "SELECT name FROM stages WHERE {child} AND deployment_id = $4 ORDER BY name"
            )),
            stage_count: d.statement(&format!("SELECT COUNT(*) FROM stages WHERE {child}")),
            stage_insert: d.statement(
                "INSERT INTO stages (account, region, api_id, name, deployment_id,
                    client_certificate_id, created_at, updated_at, version, stage, tags)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            ),
            stage_get: d.statement(&format!(
                "SELECT {STAGE_COLUMNS} FROM stages WHERE {child} AND name = $4"
            )),
            stage_list: d.statement(&format!(
                "SELECT {STAGE_COLUMNS} FROM stages WHERE {child} ORDER BY name"
            )),
            stage_move: d.statement(&format!(
                "UPDATE stages SET deployment_id = $5, updated_at = $6, version = version + 1
                 WHERE {child} AND name = $4"
            )),
            stage_update: d.statement(&format!(
                "UPDATE stages SET deployment_id = $5, client_certificate_id = $6,
                    updated_at = $7, stage = $8, version = version + 1
                 WHERE {child} AND name = $4 AND version = $9"
            )),
            stage_delete: d.statement(&format!("DELETE FROM stages WHERE {child} AND name = $4")),
            certificate_exists: d.statement(&format!(
                "SELECT id FROM client_certificates WHERE {api}{}",
                d.lock_rows()
            )),
            certificate_users: d.statement(&format!(
                "SELECT api_id, name FROM stages WHERE {scope} AND client_certificate_id = $3
                 ORDER BY api_id, name"
            )),
            invoke_targets: d.statement(&format!(
                "SELECT s.account, s.region, {}, d.snapshot
                 FROM stages s JOIN deployments d
                   ON d.account = s.account AND d.region = s.region AND d.api_id = s.api_id
                  AND d.id = s.deployment_id
                 WHERE s.api_id = $1 AND s.name = $2
                 ORDER BY s.account, s.region LIMIT $3",
                STAGE_COLUMNS
                    .split(", ")
                    .map(|c| format!("s.{c}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            // Every valid key sorts after the empty strings of the first page; an API without
            // stages has the empty stage name, before any stage's.
            scan_stages: d.statement(
                "SELECT r.account, r.region, r.id, r.name, s.name, s.deployment_id,
                        s.client_certificate_id
                 FROM rest_apis r LEFT JOIN stages s
                   ON s.account = r.account AND s.region = r.region AND s.api_id = r.id
                 WHERE (r.account, r.region, r.id, COALESCE(s.name, '')) > ($1, $2, $3, $4)
                 ORDER BY r.account, r.region, r.id, COALESCE(s.name, '') LIMIT $5",
            ),
        }
    }
}

pub(crate) fn api_key(scope: &Scope, id: &str) -> Vec<Value> {
    vec![
        scope.account.as_str().into(),
        scope.region.as_str().into(),
        id.into(),
    ]
}

/// A stage's key in the change feed: `api-id/stage-name`, as the PostgreSQL trigger spells it.
pub(crate) fn stage_key(api_id: &str, name: &str) -> String {
    format!("{api_id}/{name}")
}

pub(crate) fn child_key(scope: &Scope, api_id: &str, id: &str) -> Vec<Value> {
    let mut params = api_key(scope, api_id);
    params.push(id.into());
    params
}

pub(crate) fn api_count_params(scope: &Scope, endpoint: &str) -> Vec<Value> {
    api_key(scope, endpoint_class(endpoint))
}

pub(crate) fn api_insert_params(scope: &Scope, r: &RestApiRow) -> Result<Vec<Value>> {
    let mut params = api_key(scope, &r.id);
    params.extend([
        Value::Text(r.name.clone()),
        Value::Text(r.endpoint.clone()),
        Value::Int(r.created),
        Value::Int(r.version),
        Value::Text(r.api.clone()),
        Value::Text(tags::encode(&r.tags)?),
        Value::Text(r.tree.clone()),
    ]);
    Ok(params)
}

pub(crate) fn api_update_params(scope: &Scope, r: &RestApiRow) -> Vec<Value> {
    let mut params = api_key(scope, &r.id);
    params.extend([
        Value::Text(r.name.clone()),
        Value::Text(r.endpoint.clone()),
        Value::Text(r.api.clone()),
        Value::Text(r.tree.clone()),
        Value::Int(r.version),
    ]);
    params
}

pub(crate) fn list_params(key: Vec<Value>, after: &str, limit: u32) -> Vec<Value> {
    let mut params = key;
    params.push(after.into());
    params.push(Value::Int(i64::from(limit)));
    params
}

pub(crate) fn deployment_insert_params(
    scope: &Scope,
    api_id: &str,
    r: &DeploymentRow,
) -> Vec<Value> {
    let mut params = child_key(scope, api_id, &r.id);
    params.extend([
        Value::Int(r.created),
        Value::Text(r.doc.clone()),
        Value::Text(r.snapshot.clone()),
    ]);
    params
}

pub(crate) fn stage_insert_params(scope: &Scope, api_id: &str, r: &StageRow) -> Result<Vec<Value>> {
    let mut params = child_key(scope, api_id, &r.name);
    params.extend([
        Value::Text(r.deployment_id.clone()),
        Value::OptionalText(r.client_certificate_id.clone()),
        Value::Int(r.created),
        Value::Int(r.updated),
        Value::Int(r.version),
        Value::Text(r.doc.clone()),
        Value::Text(tags::encode(&r.tags)?),
    ]);
    Ok(params)
}

pub(crate) fn stage_move_params(scope: &Scope, api_id: &str, r: &StageRow) -> Vec<Value> {
    let mut params = child_key(scope, api_id, &r.name);
    params.extend([Value::Text(r.deployment_id.clone()), Value::Int(r.updated)]);
    params
}

pub(crate) fn stage_update_params(scope: &Scope, api_id: &str, r: &StageRow) -> Vec<Value> {
    let mut params = child_key(scope, api_id, &r.name);
    params.extend([
        Value::Text(r.deployment_id.clone()),
        Value::OptionalText(r.client_certificate_id.clone()),
        Value::Int(r.updated),
        Value::Text(r.doc.clone()),
        Value::Int(r.version),
    ]);
    params
}

pub(crate) fn scan_stages_params(after: Option<&StageListing>, limit: u32) -> Vec<Value> {
    let (account, region, api, stage) = after.map_or(("", "", "", ""), |u| {
        (
            u.scope.account.as_str(),
            u.scope.region.as_str(),
            u.api_id.as_str(),
            u.stage.as_deref().unwrap_or(""),
        )
    });
    vec![
        account.into(),
        region.into(),
        api.into(),
        stage.into(),
        Value::Int(i64::from(limit)),
    ]
}

/// A row of `api_get` (with the tree, `tree` true) or `api_list`.
pub(crate) fn rest_api(row: &impl Columns, tree: bool) -> Result<RestApiRow> {
    Ok(RestApiRow {
        id: row.text(0)?,
        name: row.text(1)?,
        endpoint: row.text(2)?,
        created: row.int(3)?,
        version: row.int(4)?,
        api: row.text(5)?,
        tags: tags::decode(&row.text(6)?)?,
        tree: if tree { row.text(7)? } else { String::new() },
    })
}

pub(crate) fn deployment(row: &impl Columns) -> Result<DeploymentRow> {
    Ok(DeploymentRow {
        id: row.text(0)?,
        created: row.int(1)?,
        doc: row.text(2)?,
        snapshot: row.text(3)?,
    })
}

pub(crate) fn stage(row: &impl Columns) -> Result<StageRow> {
    Ok(StageRow {
        name: row.text(0)?,
        deployment_id: row.text(1)?,
        client_certificate_id: row.optional_text(2)?,
        created: row.int(3)?,
        updated: row.int(4)?,
        version: row.int(5)?,
        doc: row.text(6)?,
        tags: tags::decode(&row.text(7)?)?,
    })
}

pub(crate) fn pair(row: &impl Columns) -> Result<(String, String)> {
    Ok((row.text(0)?, row.text(1)?))
}

/// `(api, stage)` pairs as [`crate::StoreError::InUse`] names them: "stage of api".
pub(crate) fn stage_names(pairs: Vec<(String, String)>) -> Vec<String> {
    pairs
        .into_iter()
        .map(|(api, stage)| format!("{stage} of {api}"))
        .collect()
}

pub(crate) fn name(row: &impl Columns) -> Result<String> {
    row.text(0)
}

pub(crate) fn invoke_target(row: &impl Columns) -> Result<InvokeTarget> {
    let shifted = crate::sql::Shifted { row, by: 2 };
    Ok(InvokeTarget {
        scope: crate::certificates::scope(row, 0)?,
        stage: stage(&shifted)?,
        snapshot: row.text(10)?,
    })
}

pub(crate) fn invoke_params(api_id: &str, stage: &str, limit: u32) -> Vec<Value> {
    vec![api_id.into(), stage.into(), Value::Int(i64::from(limit))]
}

pub(crate) fn stage_listing(row: &impl Columns) -> Result<StageListing> {
    Ok(StageListing {
        scope: crate::certificates::scope(row, 0)?,
        api_id: row.text(2)?,
        api_name: row.text(3)?,
        stage: row.optional_text(4)?,
        deployment_id: row.optional_text(5)?,
        client_certificate_id: row.optional_text(6)?,
    })
}
