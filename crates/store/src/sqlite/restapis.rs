//! The REST API family on SQLite. Every write runs in an immediate transaction on the one writer
//! connection, so the checks it makes (quotas, a stage's deployment and certificate, the users of a
//! deployment) cannot go stale before its write.

use async_trait::async_trait;
use certgate_core::Scope;
use rusqlite::{Connection, Transaction, TransactionBehavior};

use super::{backend, count, execute, first, insert, rows, sql, SqliteStore};
use crate::certificates;
use crate::changes::ChangeKind;
use crate::restapis::{self, DeploymentRow, InvokeTarget, RestApiRow, StageListing, StageRow};
use crate::sql::Columns as _;
use crate::{RestApiStore, Result, StoreError};

fn immediate(conn: &mut Connection) -> Result<Transaction<'_>> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(backend)
}

/// `NotFound` unless the scope holds the API.
fn api_exists(conn: &Connection, scope: &Scope, api_id: &str) -> Result<()> {
    let params = restapis::api_key(scope, api_id);
    first(conn, &sql().restapis.api_lock, &params, |r| {
        r.int(0).map(|_| ())
    })
    .and_then(|found| found.ok_or(StoreError::NotFound))
}

/// A write that changes exactly one row, or `NotFound`.
fn one_row(changed: usize) -> Result<()> {
    match changed {
        0 => Err(StoreError::NotFound),
        _ => Ok(()),
    }
}

#[async_trait]
impl RestApiStore for SqliteStore {
    async fn insert_rest_api(&self, scope: &Scope, row: &RestApiRow, quota: u32) -> Result<()> {
        let announced = (scope.clone(), row.id.clone());
        let count_params = restapis::api_count_params(scope, &row.endpoint);
        let params = restapis::api_insert_params(scope, row)?;
        let result = self
            .write(move |conn| {
                let tx = immediate(conn)?;
                if count(&tx, &sql().restapis.api_count, &count_params)? >= u64::from(quota) {
                    return Err(StoreError::QuotaExceeded { limit: quota });
                }
                insert(&tx, &sql().restapis.api_insert, &params)?;
                tx.commit().map_err(backend)
            })
            .await;
        self.changes()
            .after(ChangeKind::RestApi, &announced.0, &announced.1, result)
    }

    async fn rest_api(&self, scope: &Scope, id: &str) -> Result<Option<RestApiRow>> {
        let params = restapis::api_key(scope, id);
        self.read_short(move |conn| {
            first(conn, &sql().restapis.api_get, &params, |r| {
                restapis::rest_api(r, true)
            })
        })
        .await
    }

    async fn rest_api_exists(&self, scope: &Scope, id: &str) -> Result<bool> {
        let params = restapis::api_key(scope, id);
        self.read_short(move |conn| {
            first(conn, &sql().restapis.api_exists, &params, |_| Ok(())).map(|f| f.is_some())
        })
        .await
    }

    async fn rest_apis(&self, scope: &Scope, after: &str, limit: u32) -> Result<Vec<RestApiRow>> {
        let params = restapis::list_params(certificates::scope_params(scope), after, limit);
        self.read(move |conn| {
            rows(conn, &sql().restapis.api_list, &params, |r| {
                restapis::rest_api(r, false)
            })
        })
        .await
    }

    async fn update_rest_api(&self, scope: &Scope, row: &RestApiRow) -> Result<()> {
        let announced = (scope.clone(), row.id.clone());
        let (scope, id) = (scope.clone(), row.id.clone());
        let params = restapis::api_update_params(&scope, row);
        let result = self
            .write(move |conn| {
                let tx = immediate(conn)?;
                if execute(&tx, &sql().restapis.api_update, &params).map_err(backend)? == 0 {
                    api_exists(&tx, &scope, &id)?;
                    return Err(StoreError::Stale);
                }
                tx.commit().map_err(backend)
            })
            .await;
        self.changes()
            .after(ChangeKind::RestApi, &announced.0, &announced.1, result)
    }

    async fn delete_rest_api(&self, scope: &Scope, id: &str) -> Result<()> {
        let announced = (scope.clone(), id.to_string());
        let key = restapis::api_key(scope, id);
        let result = self
            .write(move |conn| {
                let tx = immediate(conn)?;
                let s = &sql().restapis;
                execute(&tx, &s.api_delete_stages, &key).map_err(backend)?;
                execute(&tx, &s.api_delete_deployments, &key).map_err(backend)?;
                one_row(execute(&tx, &s.api_delete, &key).map_err(backend)?)?;
                tx.commit().map_err(backend)
            })
            .await;
        self.changes()
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
        let scope = scope.clone();
        let api_id = api_id.to_string();
        let params = restapis::deployment_insert_params(&scope, &api_id, row);
        let stage = stage.cloned();
        let result = self
            .write(move |conn| {
                let tx = immediate(conn)?;
                let s = &sql().restapis;
                api_exists(&tx, &scope, &api_id)?;
                insert(&tx, &s.deployment_insert, &params)?;
                if let Some(stage) = stage {
                    let moved = execute(
                        &tx,
                        &s.stage_move,
                        &restapis::stage_move_params(&scope, &api_id, &stage),
                    )
                    .map_err(backend)?;
                    if moved == 0 {
                        let key = restapis::api_key(&scope, &api_id);
                        if count(&tx, &s.stage_count, &key)? >= u64::from(stage_quota) {
                            return Err(StoreError::QuotaExceeded { limit: stage_quota });
                        }
                        let params = restapis::stage_insert_params(&scope, &api_id, &stage)?;
                        insert(&tx, &s.stage_insert, &params)?;
                    }
                }
                tx.commit().map_err(backend)
            })
            .await;
        match announced {
            Some((scope, key)) => self
                .changes()
                .after(ChangeKind::Stage, &scope, &key, result),
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
        self.read(move |conn| {
            first(conn, &sql().restapis.deployment_get, &params, |r| {
                restapis::deployment(r)
            })
        })
        .await
    }

    async fn deployments(
        &self,
        scope: &Scope,
        api_id: &str,
        after: &str,
        limit: u32,
    ) -> Result<Vec<DeploymentRow>> {
        let params = restapis::list_params(restapis::api_key(scope, api_id), after, limit);
        self.read(move |conn| {
            rows(conn, &sql().restapis.deployment_list, &params, |r| {
                restapis::deployment(r)
            })
        })
        .await
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
        self.write(move |conn| {
            one_row(execute(conn, &sql().restapis.deployment_update, &params).map_err(backend)?)
        })
        .await
    }

    async fn delete_deployment(&self, scope: &Scope, api_id: &str, id: &str) -> Result<()> {
        let params = restapis::child_key(scope, api_id, id);
        self.write(move |conn| {
            let tx = immediate(conn)?;
            let s = &sql().restapis;
            let users = rows(&tx, &s.deployment_users, &params, |r| restapis::name(r))?;
            if !users.is_empty() {
                return Err(StoreError::InUse(users));
            }
            one_row(execute(&tx, &s.deployment_delete, &params).map_err(backend)?)?;
            tx.commit().map_err(backend)
        })
        .await
    }

    async fn insert_stage(
        &self,
        scope: &Scope,
        api_id: &str,
        row: &StageRow,
        quota: u32,
    ) -> Result<()> {
        let announced = (scope.clone(), restapis::stage_key(api_id, &row.name));
        let scope = scope.clone();
        let api_id = api_id.to_string();
        let params = restapis::stage_insert_params(&scope, &api_id, row)?;
        let deployment = restapis::child_key(&scope, &api_id, &row.deployment_id);
        let result = self
            .write(move |conn| {
                let tx = immediate(conn)?;
                let s = &sql().restapis;
                api_exists(&tx, &scope, &api_id)?;
                if count(&tx, &s.deployment_exists, &deployment)? == 0 {
                    return Err(StoreError::Dangling("deployment"));
                }
                let key = restapis::api_key(&scope, &api_id);
                if first(&tx, &s.stage_get, &params[..4], |_| Ok(()))?.is_some() {
                    return Err(StoreError::IdTaken);
                }
                if count(&tx, &s.stage_count, &key)? >= u64::from(quota) {
                    return Err(StoreError::QuotaExceeded { limit: quota });
                }
                insert(&tx, &s.stage_insert, &params)?;
                tx.commit().map_err(backend)
            })
            .await;
        self.changes()
            .after(ChangeKind::Stage, &announced.0, &announced.1, result)
    }

    async fn stage(&self, scope: &Scope, api_id: &str, name: &str) -> Result<Option<StageRow>> {
        let params = restapis::child_key(scope, api_id, name);
        self.read_short(move |conn| {
            first(conn, &sql().restapis.stage_get, &params, |r| {
                restapis::stage(r)
            })
        })
        .await
    }

    async fn stages(&self, scope: &Scope, api_id: &str) -> Result<Vec<StageRow>> {
        let params = restapis::api_key(scope, api_id);
        self.read(move |conn| {
            rows(conn, &sql().restapis.stage_list, &params, |r| {
                restapis::stage(r)
            })
        })
        .await
    }

    async fn update_stage(&self, scope: &Scope, api_id: &str, row: &StageRow) -> Result<()> {
        let announced = (scope.clone(), restapis::stage_key(api_id, &row.name));
        let params = restapis::stage_update_params(scope, api_id, row);
        let deployment = restapis::child_key(scope, api_id, &row.deployment_id);
        let certificate = row
            .client_certificate_id
            .as_deref()
            .map(|id| restapis::api_key(scope, id));
        let key = restapis::child_key(scope, api_id, &row.name);
        let result = self
            .write(move |conn| {
                let tx = immediate(conn)?;
                let s = &sql().restapis;
                if count(&tx, &s.deployment_exists, &deployment)? == 0 {
                    return Err(StoreError::Dangling("deployment"));
                }
                if let Some(certificate) = certificate {
                    if first(&tx, &s.certificate_exists, &certificate, |_| Ok(()))?.is_none() {
                        return Err(StoreError::Dangling("certificate"));
                    }
                }
                if execute(&tx, &s.stage_update, &params).map_err(backend)? == 0 {
                    return match first(&tx, &s.stage_get, &key, |_| Ok(()))? {
                        Some(()) => Err(StoreError::Stale),
                        None => Err(StoreError::NotFound),
                    };
                }
                tx.commit().map_err(backend)
            })
            .await;
        self.changes()
            .after(ChangeKind::Stage, &announced.0, &announced.1, result)
    }

    async fn delete_stage(&self, scope: &Scope, api_id: &str, name: &str) -> Result<()> {
        let announced = (scope.clone(), restapis::stage_key(api_id, name));
        let params = restapis::child_key(scope, api_id, name);
        let result = self
            .write(move |conn| {
                one_row(execute(conn, &sql().restapis.stage_delete, &params).map_err(backend)?)
            })
            .await;
        self.changes()
            .after(ChangeKind::Stage, &announced.0, &announced.1, result)
    }

    async fn certificate_users(
        &self,
        scope: &Scope,
        certificate_id: &str,
    ) -> Result<Vec<(String, String)>> {
        let params = restapis::api_key(scope, certificate_id);
        self.read(move |conn| {
            rows(conn, &sql().restapis.certificate_users, &params, |r| {
                restapis::pair(r)
            })
        })
        .await
    }

    async fn scan_stages(
        &self,
        after: Option<&StageListing>,
        limit: u32,
    ) -> Result<Vec<StageListing>> {
        let params = restapis::scan_stages_params(after, limit);
        self.read(move |conn| {
            rows(conn, &sql().restapis.scan_stages, &params, |r| {
                restapis::stage_listing(r)
            })
        })
        .await
    }

    async fn invoke_targets(
        &self,
        api_id: &str,
        stage: &str,
        limit: u32,
    ) -> Result<Vec<InvokeTarget>> {
        let params = restapis::invoke_params(api_id, stage, limit);
        self.read_short(move |conn| {
            rows(conn, &sql().restapis.invoke_targets, &params, |r| {
                restapis::invoke_target(r)
            })
        })
        .await
    }
}
