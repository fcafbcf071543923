//! The REST API family on PostgreSQL. Every write to an API's deployments and stages first locks
//! the API's row (`FOR UPDATE`), so that on every node such writes of one API queue one behind
//! the other and the checks they make (the stage quota, a stage's deployment, the stages of a
//! deployment) cannot go stale before the write. A stage's certificate is locked the same way,
//! as a certificate's deletion does before it looks for the stages that use it. The REST API
//! quota takes a transaction-scoped advisory lock per scope, as the certificate quota does.

use async_trait::async_trait;
use certgate_core::Scope;
use deadpool_postgres::GenericClient;

use super::{
    count, execute, finish, first, insert, pg_error, quota_lock_key, rows, sql, PostgresStore,
};
use crate::certificates;
use crate::changes::ChangeKind;
use crate::restapis::{self, DeploymentRow, InvokeTarget, RestApiRow, StageListing, StageRow};
use crate::sql::{Columns as _, Value};
use crate::{RestApiStore, Result, StoreError};

async fn changed(c: &impl GenericClient, statement: &str, params: &[Value]) -> Result<u64> {
    execute(c, statement, params).await.map_err(pg_error)
}

/// Locks the API's row until the transaction ends; `NotFound` if the scope has no such API.
async fn lock_api(c: &impl GenericClient, scope: &Scope, api_id: &str) -> Result<()> {
    let params = restapis::api_key(scope, api_id);
    first(c, &sql().restapis.api_lock, &params, |r| {
        r.int(0).map(|_| ())
    })
    .await?
    .ok_or(StoreError::NotFound)
}

fn one_row(n: u64) -> Result<()> {
    match n {
        0 => Err(StoreError::NotFound),
        _ => Ok(()),
    }
}

#[async_trait]
impl RestApiStore for PostgresStore {
    async fn insert_rest_api(&self, scope: &Scope, row: &RestApiRow, quota: u32) -> Result<()> {
        let announced = (scope.clone(), row.id.clone());
        let lock = quota_lock_key(&format!("{}/rest_apis", self.schema), scope);
        let count_params = restapis::api_count_params(scope, &row.endpoint);
        let params = restapis::api_insert_params(scope, row)?;
        let result = transaction!(self, |tx| {
            execute(&tx, "SELECT pg_advisory_xact_lock($1)", &[Value::Int(lock)])
                .await
                .map_err(pg_error)?;
            if count(&tx, &sql().restapis.api_count, &count_params).await? >= u64::from(quota) {
                return Err(StoreError::QuotaExceeded { limit: quota });
            }
            insert(&tx, &sql().restapis.api_insert, &params).await
        });
        self.changes
            .after(ChangeKind::RestApi, &announced.0, &announced.1, result)
    }

    async fn rest_api(&self, scope: &Scope, id: &str) -> Result<Option<RestApiRow>> {
        let params = restapis::api_key(scope, id);
        plain!(self, |c| {
            first(c, &sql().restapis.api_get, &params, |r| {
                restapis::rest_api(r, true)
            })
            .await
        })
    }

    async fn rest_api_exists(&self, scope: &Scope, id: &str) -> Result<bool> {
        let params = restapis::api_key(scope, id);
        plain!(self, |c| {
            first(c, &sql().restapis.api_exists, &params, |_| Ok(()))
                .await
                .map(|f| f.is_some())
        })
    }

    async fn rest_apis(&self, scope: &Scope, after: &str, limit: u32) -> Result<Vec<RestApiRow>> {
        let params = restapis::list_params(certificates::scope_params(scope), after, limit);
        plain!(self, |c| {
            rows(c, &sql().restapis.api_list, &params, |r| {
                restapis::rest_api(r, false)
            })
            .await
        })
    }

    async fn update_rest_api(&self, scope: &Scope, row: &RestApiRow) -> Result<()> {
        let announced = (scope.clone(), row.id.clone());
        let (scope, id) = (scope.clone(), row.id.clone());
        let params = restapis::api_update_params(&scope, row);
        let result = plain!(self, |c| {
            if changed(c, &sql().restapis.api_update, &params).await? == 0 {
                let key = restapis::api_key(&scope, &id);
                return match first(c, &sql().restapis.api_get, &key, |_| Ok(())).await? {
                    Some(()) => Err(StoreError::Stale),
                    None => Err(StoreError::NotFound),
                };
            }
            Ok(())
        });
        self.changes
            .after(ChangeKind::RestApi, &announced.0, &announced.1, result)
    }

    async fn delete_rest_api(&self, scope: &Scope, id: &str) -> Result<()> {
        let announced = (scope.clone(), id.to_string());
        let (scope, id) = (scope.clone(), id.to_string());
        let result = transaction!(self, |tx| {
            lock_api(&tx, &scope, &id).await?;
            let key = restapis::api_key(&scope, &id);
            let s = &sql().restapis;
            changed(&tx, &s.api_delete_stages, &key).await?;
            changed(&tx, &s.api_delete_deployments, &key).await?;
            one_row(changed(&tx, &s.api_delete, &key).await?)
        });
        self.changes
            .after(ChangeKind::RestApi, &announced.0, &announced.1, result)
    }

    async fn insert_deployment(
        &self,
        scope: &Scope,
        api_id: &str,
        row: &DeploymentRow,
        stage: Option<&StageRow>,
        stage_quota: u32,
    ) -> Result<()> {
        let announced = stage.map(|st| (scope.clone(), restapis::stage_key(api_id, &st.name)));
        let (scope, api_id) = (scope.clone(), api_id.to_string());
        let params = restapis::deployment_insert_params(&scope, &api_id, row);
        let stage = stage.cloned();
        let result = transaction!(self, |tx| {
            let s = &sql().restapis;
            lock_api(&tx, &scope, &api_id).await?;
            insert(&tx, &s.deployment_insert, &params).await?;
            if let Some(stage) = stage {
                let moved = restapis::stage_move_params(&scope, &api_id, &stage);
                if changed(&tx, &s.stage_move, &moved).await? == 0 {
                    let key = restapis::api_key(&scope, &api_id);
                    if count(&tx, &s.stage_count, &key).await? >= u64::from(stage_quota) {
                        return Err(StoreError::QuotaExceeded { limit: stage_quota });
                    }
                    let params = restapis::stage_insert_params(&scope, &api_id, &stage)?;
                    insert(&tx, &s.stage_insert, &params).await?;
                }
            }
            Ok(())
        });
        match announced {
            Some((scope, key)) => self.changes.after(ChangeKind::Stage, &scope, &key, result),
            None => result,
        }
    }

    async fn deployment(
        &self,
        scope: &Scope,
        api_id: &str,
        id: &str,
    ) -> Result<Option<DeploymentRow>> {
        let params = restapis::child_key(scope, api_id, id);
        plain!(self, |c| {
            first(
                c,
                &sql().restapis.deployment_get,
                &params,
                restapis::deployment,
            )
            .await
        })
    }

    async fn deployments(
        &self,
        scope: &Scope,
        api_id: &str,
        after: &str,
        limit: u32,
    ) -> Result<Vec<DeploymentRow>> {
        let params = restapis::list_params(restapis::api_key(scope, api_id), after, limit);
        plain!(self, |c| {
            rows(
                c,
                &sql().restapis.deployment_list,
                &params,
                restapis::deployment,
            )
            .await
        })
    }

    async fn update_deployment(
        &self,
        scope: &Scope,
        api_id: &str,
        id: &str,
        doc: &str,
    ) -> Result<()> {
        let mut params = restapis::child_key(scope, api_id, id);
        params.push(doc.into());
        plain!(self, |c| {
            one_row(changed(c, &sql().restapis.deployment_update, &params).await?)
        })
    }

    async fn delete_deployment(&self, scope: &Scope, api_id: &str, id: &str) -> Result<()> {
        let (scope, api_id) = (scope.clone(), api_id.to_string());
        let params = restapis::child_key(&scope, &api_id, id);
        transaction!(self, |tx| {
            let s = &sql().restapis;
            lock_api(&tx, &scope, &api_id).await?;
            let users = rows(&tx, &s.deployment_users, &params, restapis::name).await?;
            if !users.is_empty() {
                return Err(StoreError::InUse(users));
            }
            one_row(changed(&tx, &s.deployment_delete, &params).await?)
        })
    }

    async fn insert_stage(
        &self,
        scope: &Scope,
        api_id: &str,
        row: &StageRow,
        quota: u32,
    ) -> Result<()> {
        let announced = (scope.clone(), restapis::stage_key(api_id, &row.name));
        let (scope, api_id) = (scope.clone(), api_id.to_string());
        let params = restapis::stage_insert_params(&scope, &api_id, row)?;
        let deployment = restapis::child_key(&scope, &api_id, &row.deployment_id);
        let result = transaction!(self, |tx| {
            let s = &sql().restapis;
            lock_api(&tx, &scope, &api_id).await?;
            if count(&tx, &s.deployment_exists, &deployment).await? == 0 {
                return Err(StoreError::Dangling("deployment"));
            }
            if first(&tx, &s.stage_get, &params[..4], |_| Ok(()))
                .await?
                .is_some()
            {
                return Err(StoreError::IdTaken);
            }
            let key = restapis::api_key(&scope, &api_id);
            if count(&tx, &s.stage_count, &key).await? >= u64::from(quota) {
                return Err(StoreError::QuotaExceeded { limit: quota });
            }
            insert(&tx, &s.stage_insert, &params).await
        });
        self.changes
            .after(ChangeKind::Stage, &announced.0, &announced.1, result)
    }

    async fn stage(&self, scope: &Scope, api_id: &str, name: &str) -> Result<Option<StageRow>> {
        let params = restapis::child_key(scope, api_id, name);
        plain!(self, |c| {
            first(c, &sql().restapis.stage_get, &params, restapis::stage).await
        })
    }

    async fn stages(&self, scope: &Scope, api_id: &str) -> Result<Vec<StageRow>> {
        let params = restapis::api_key(scope, api_id);
        plain!(self, |c| {
            rows(c, &sql().restapis.stage_list, &params, restapis::stage).await
        })
    }

    async fn update_stage(&self, scope: &Scope, api_id: &str, row: &StageRow) -> Result<()> {
        let announced = (scope.clone(), restapis::stage_key(api_id, &row.name));
        let (scope, api_id) = (scope.clone(), api_id.to_string());
        let params = restapis::stage_update_params(&scope, &api_id, row);
        let deployment = restapis::child_key(&scope, &api_id, &row.deployment_id);
        let certificate = row
            .client_certificate_id
            .as_deref()
            .map(|id| restapis::api_key(&scope, id));
        let key = restapis::child_key(&scope, &api_id, &row.name);
        let result = transaction!(self, |tx| {
            let s = &sql().restapis;
            lock_api(&tx, &scope, &api_id).await?;
            if count(&tx, &s.deployment_exists, &deployment).await? == 0 {
                return Err(StoreError::Dangling("deployment"));
            }
            if let Some(certificate) = &certificate {
                // Locked until commit: a deletion of the certificate waits, then sees this stage.
                if first(&tx, &s.certificate_exists, certificate, |_| Ok(()))
                    .await?
                    .is_none()
                {
                    return Err(StoreError::Dangling("certificate"));
                }
            }
            if changed(&tx, &s.stage_update, &params).await? == 0 {
                return match first(&tx, &s.stage_get, &key, |_| Ok(())).await? {
                    Some(()) => Err(StoreError::Stale),
                    None => Err(StoreError::NotFound),
                };
            }
            Ok(())
        });
        self.changes
            .after(ChangeKind::Stage, &announced.0, &announced.1, result)
    }

    async fn delete_stage(&self, scope: &Scope, api_id: &str, name: &str) -> Result<()> {
        let announced = (scope.clone(), restapis::stage_key(api_id, name));
        let (scope, api_id) = (scope.clone(), api_id.to_string());
        let params = restapis::child_key(&scope, &api_id, name);
        let result = transaction!(self, |tx| {
            lock_api(&tx, &scope, &api_id).await?;
            one_row(changed(&tx, &sql().restapis.stage_delete, &params).await?)
        });
        self.changes
            .after(ChangeKind::Stage, &announced.0, &announced.1, result)
    }

    async fn certificate_users(
        &self,
        scope: &Scope,
        certificate_id: &str,
    ) -> Result<Vec<(String, String)>> {
        let params = restapis::api_key(scope, certificate_id);
        plain!(self, |c| {
            rows(
                c,
                &sql().restapis.certificate_users,
                &params,
                restapis::pair,
            )
            .await
        })
    }

    async fn scan_stages(
        &self,
        after: Option<&StageListing>,
        limit: u32,
    ) -> Result<Vec<StageListing>> {
        let params = restapis::scan_stages_params(after, limit);
        plain!(self, |c| {
            rows(
                c,
                &sql().restapis.scan_stages,
                &params,
                restapis::stage_listing,
            )
            .await
        })
    }

    async fn invoke_targets(
        &self,
        api_id: &str,
        stage: &str,
        limit: u32,
    ) -> Result<Vec<InvokeTarget>> {
        let params = restapis::invoke_params(api_id, stage, limit);
        plain!(self, |c| {
            rows(c, &sql().restapis.invoke_targets, &params, |r| {
                restapis::invoke_target(r)
            })
            .await
        })
    }
}
