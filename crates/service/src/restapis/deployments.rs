//! Deployments: a deployment freezes the API's tree as it is when made (its snapshot), which is
//! what a stage pointing to it serves; later edits reach callers only through a new deployment.
//! A deployment that a stage points to cannot be deleted.

use std::collections::BTreeMap;

use certgate_api::{Deployment, Deployments, MethodSnapshot, Resource};
use certgate_core::patch::Op;
use certgate_core::{Error, NotFound, Scope};
use certgate_store::{DeploymentRow, StoreError};

use super::stages::{self, stage_quota_error};
use super::{api_not_found, cut_page, decode, encode, page_start, patch, storable, Service};
use crate::store_errors::{from_store, ID_ATTEMPTS};

const DEPLOYMENT_ID_LEN: usize = 6;

pub(crate) fn deployment_not_found() -> Error {
    Error::not_found(NotFound::Deployment)
}

/// AWS's refusals of a tree that cannot be deployed.
fn check_deployable(tree: &[Resource]) -> Result<(), Error> {
    let methods: Vec<_> = tree
        .iter()
        .flat_map(|r| r.resource_methods.iter().flat_map(BTreeMap::values))
        .collect();
    if methods.is_empty() {
        return Err(Error::bad_request(
            "The REST API doesn't contain any methods",
        ));
    }
    if methods.iter().any(|m| m.method_integration.is_none()) {
        return Err(Error::bad_request("No integration defined for method"));
    }
    Ok(())
}

/// `apiSummary`: for each path, each method's authorization type and API key requirement.
fn summary(tree: &[Resource]) -> BTreeMap<String, BTreeMap<String, MethodSnapshot>> {
    tree.iter()
        .filter_map(|r| {
            let methods = r.resource_methods.as_ref()?;
            let path = r.path.clone()?;
            let snapshots = methods
                .iter()
                .map(|(name, m)| {
                    (
                        name.clone(),
                        MethodSnapshot {
                            authorization_type: m.authorization_type.clone(),
                            api_key_required: m.api_key_required,
                        },
                    )
                })
                .collect();
            Some((path, snapshots))
        })
        .collect()
}

fn shape(row: &DeploymentRow) -> Result<Deployment, Error> {
    let mut d: Deployment = decode(&row.doc, "deployment")?;
    d.id = Some(row.id.clone());
    d.created_date = Some(row.created);
    Ok(d)
}

impl Service {
    pub async fn create_deployment(
        &self,
        scope: &Scope,
        input: certgate_api::CreateDeploymentRequest,
    ) -> Result<Deployment, Error> {
        let api_id = input.rest_api_id.as_str();
        let loaded = self
            .load_api(scope, api_id, || api_not_found(scope, api_id))
            .await?;
        check_deployable(&loaded.tree)?;
        certgate_core::description::validate(input.description.as_deref())?;
        let now = self.clock.now();
        let stage = match &input.stage_name {
            Some(name) => Some(stages::new_stage(
                self,
                stages::NewStage {
                    name: name.clone(),
                    deployment_id: String::new(),
                    description: input.stage_description.clone(),
                    cache_cluster_enabled: input.cache_cluster_enabled,
                    cache_cluster_size: input.cache_cluster_size.clone(),
                    variables: input.variables.clone(),
                    documentation_version: None,
                    canary_settings: None,
                    tracing_enabled: input.tracing_enabled,
                    tags: Default::default(),
                },
            )?),
            None => None,
        };
        for _ in 0..ID_ATTEMPTS {
            let id = self.ids.short_id(DEPLOYMENT_ID_LEN);
            let doc = Deployment {
                id: None,
                description: input.description.clone().filter(|d| !d.is_empty()),
                created_date: None,
                api_summary: None,
            };
            let row = DeploymentRow {
                id: id.clone(),
                created: now,
                doc: encode(&doc)?,
                snapshot: loaded.row.tree.clone(),
            };
            let stage = stage.clone().map(|mut s| {
                s.deployment_id = id.clone();
                s
            });
            let quota = self.config.rest_apis.stages_per_api;
            match self
                .store
                .insert_deployment(scope, api_id, &row, stage.as_ref(), quota)
                .await
            {
                Ok(()) => return shape(&row),
                Err(StoreError::IdTaken) => continue,
                Err(StoreError::NotFound) => return Err(api_not_found(scope, api_id)),
                Err(StoreError::QuotaExceeded { limit }) => return Err(stage_quota_error(limit)),
                Err(e) => return Err(from_store(e)),
            }
        }
        Err(Error::internal("no free deployment id"))
    }

    pub async fn get_deployment(
        &self,
        scope: &Scope,
        input: certgate_api::GetDeploymentRequest,
    ) -> Result<Deployment, Error> {
        storable(
            &[&input.rest_api_id, &input.deployment_id],
            deployment_not_found,
        )?;
        let row = self
            .store
            .deployment(scope, &input.rest_api_id, &input.deployment_id)
            .await
            .map_err(from_store)?
            .ok_or_else(deployment_not_found)?;
        let mut d = shape(&row)?;
        if input.embed.iter().flatten().any(|e| e == "apisummary") {
            let tree: Vec<Resource> = decode(&row.snapshot, "deployment snapshot")?;
            d.api_summary = Some(summary(&tree));
        }
        Ok(d)
    }

    pub async fn get_deployments(
        &self,
        scope: &Scope,
        input: certgate_api::GetDeploymentsRequest,
    ) -> Result<Deployments, Error> {
        let api_id = input.rest_api_id.as_str();
        storable(&[api_id], || api_not_found(scope, api_id))?;
        if !self
            .store
            .rest_api_exists(scope, api_id)
            .await
            .map_err(from_store)?
        {
            return Err(api_not_found(scope, api_id));
        }
        let key = self.page_key().await?;
        let context = format!("deployments/{api_id}");
        let (after, limit) =
            page_start(key, scope, &context, input.position.as_deref(), input.limit)?;
        let rows = self
            .store
            .deployments(scope, api_id, &after, limit + 1)
            .await
            .map_err(from_store)?;
        let (rows, position) = cut_page(key, scope, &context, rows, limit, |r| &r.id);
        Ok(Deployments {
            position,
            items: Some(rows.iter().map(shape).collect::<Result<_, _>>()?),
        })
    }

    pub async fn update_deployment(
        &self,
        scope: &Scope,
        input: certgate_api::UpdateDeploymentRequest,
    ) -> Result<Deployment, Error> {
        let ops = patch::from_model(input.patch_operations);
        let steps = patch::steps(&ops, "updateDeploymentInput")?;
        let (api_id, id) = (input.rest_api_id.as_str(), input.deployment_id.as_str());
        storable(&[api_id, id], deployment_not_found)?;
        let mut row = self
            .store
            .deployment(scope, api_id, id)
            .await
            .map_err(from_store)?
            .ok_or_else(deployment_not_found)?;
        let mut doc: Deployment = decode(&row.doc, "deployment")?;
        for step in &steps {
            if step.path != "/description" {
                return Err(step.invalid_path());
            }
            step.only(&[Op::Add, Op::Replace, Op::Remove])?;
            certgate_core::description::validate(step.value)?;
            doc.description = match step.op {
                Op::Remove => None,
                _ => step.value.filter(|v| !v.is_empty()).map(str::to_string),
            };
        }
        row.doc = encode(&doc)?;
        match self
            .store
            .update_deployment(scope, api_id, id, &row.doc)
            .await
        {
            Err(StoreError::NotFound) => Err(deployment_not_found()),
            other => other.map_err(from_store),
        }?;
        shape(&row)
    }

    pub async fn delete_deployment(
        &self,
        scope: &Scope,
        rest_api_id: &str,
        id: &str,
    ) -> Result<(), Error> {
        storable(&[rest_api_id, id], deployment_not_found)?;
        match self.store.delete_deployment(scope, rest_api_id, id).await {
            Err(StoreError::InUse(_)) => Err(Error::bad_request(
                "Active stages pointing to this deployment must be moved or deleted",
            )),
            Err(StoreError::NotFound) => Err(deployment_not_found()),
            other => other.map_err(from_store),
        }
    }
}
