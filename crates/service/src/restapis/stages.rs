//! Stages: a named pointer to a deployment, with the settings AWS keeps for it, and the client
//! certificate it presents to its HTTPS backends. `UpdateStage` with `replace
//! /clientCertificateId` is the only way to attach one (as in AWS); the id must name a certificate
//! of the same account and region, checked by the store in the write's own transaction, and `""`
//! detaches it.

use std::collections::BTreeMap;

use certgate_api::{MethodSetting, Stage, Stages};
use certgate_core::patch::Op;
use certgate_core::{tags, CertificateId, Error, NotFound, Scope, Tags};
use certgate_store::{StageRow, StoreError};

use super::{api_not_found, decode, encode, patch, storable, Service, CAS_ATTEMPTS};
use crate::store_errors::from_store;

const CACHE_SIZES: &[&str] = &["0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237"];

const STAGE_PATHS: &str = "[/deploymentId, /description, /cacheClusterEnabled, /cacheClusterSize, /clientCertificateId, /accessLogSettings, /accessLogSettings/destinationArn, /accessLogSettings/format, /{resourcePath}/{httpMethod}/metrics/enabled, /{resourcePath}/{httpMethod}/logging/dataTrace, /{resourcePath}/{httpMethod}/logging/loglevel, /{resourcePath}/{httpMethod}/throttling/burstLimit/{resourcePath}/{httpMethod}/throttling/rateLimit/{resourcePath}/{httpMethod}/caching/ttlInSeconds, /{resourcePath}/{httpMethod}/caching/enabled, /{resourcePath}/{httpMethod}/caching/dataEncrypted, /{resourcePath}/{httpMethod}/caching/requireAuthorizationForCacheControl, /{resourcePath}/{httpMethod}/caching/unauthorizedCacheControlHeaderStrategy, /*/*/metrics/enabled, /*/*/logging/dataTrace, /*/*/logging/loglevel, /*/*/throttling/burstLimit /*/*/throttling/rateLimit /*/*/caching/ttlInSeconds, /*/*/caching/enabled, /*/*/caching/dataEncrypted, /*/*/caching/requireAuthorizationForCacheControl, /*/*/caching/unauthorizedCacheControlHeaderStrategy, /variables/{variable_name}, /tracingEnabled]";

/// The largest stage document (its variables, method settings, access log and canary settings) as
/// stored: certgate's bound, so a stage stays a small row whatever its variables hold.
const MAX_STAGE_BYTES: usize = 256 * 1024;

fn check_size(doc: &str) -> Result<(), Error> {
    if doc.len() > MAX_STAGE_BYTES {
        return Err(Error::bad_request(format!(
            "The stage's settings would take more than {} KiB (certgate's limit)",
            MAX_STAGE_BYTES / 1024
        )));
    }
    Ok(())
}

pub(crate) fn stage_not_found() -> Error {
    Error::not_found(NotFound::Stage)
}

pub(crate) fn stage_quota_error(limit: u32) -> Error {
    Error::LimitExceeded(format!(
        "Too many stages: a REST API can have at most {limit} stages"
    ))
}

fn deployment_missing() -> Error {
    Error::bad_request("Deployment id does not exist")
}

fn certificate_missing(id: &str) -> Error {
    Error::bad_request(format!(
        "Invalid Client Certificate identifier specified: {id}"
    ))
}

/// What a new stage is made from, by CreateStage or by CreateDeployment's `stageName`.
pub(crate) struct NewStage {
    pub name: String,
    pub deployment_id: String,
    pub description: Option<String>,
    pub cache_cluster_enabled: Option<bool>,
    pub cache_cluster_size: Option<String>,
    pub variables: Option<BTreeMap<String, String>>,
    pub documentation_version: Option<String>,
    pub canary_settings: Option<certgate_api::CanarySettings>,
    pub tracing_enabled: Option<bool>,
    pub tags: Tags,
}

fn check_name(name: &str) -> Result<(), Error> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(Error::bad_request("Stage name only allows a-zA-Z0-9_"))
    }
}

fn check_cache_size(size: &str) -> Result<(), Error> {
    patch::one_of(size, "cacheClusterSize", CACHE_SIZES)
}

fn cache_status(enabled: bool) -> String {
    if enabled {
        "AVAILABLE"
    } else {
        "NOT_AVAILABLE"
    }
    .into()
}

/// The row of a new stage, checked, with AWS's defaults.
pub(crate) fn new_stage(service: &Service, s: NewStage) -> Result<StageRow, Error> {
    check_name(&s.name)?;
    tags::validate(&s.tags)?;
    certgate_core::description::validate(s.description.as_deref())?;
    if let Some(size) = &s.cache_cluster_size {
        check_cache_size(size)?;
    }
    let enabled = s.cache_cluster_enabled.unwrap_or(false);
    let now = service.clock.now();
    let doc = Stage {
        stage_name: Some(s.name.clone()),
        description: s.description.filter(|d| !d.is_empty()),
        cache_cluster_enabled: Some(enabled),
        cache_cluster_size: s.cache_cluster_size,
        cache_cluster_status: Some(cache_status(enabled)),
        method_settings: Some(BTreeMap::new()),
        variables: s.variables.filter(|v| !v.is_empty()),
        documentation_version: s.documentation_version,
        canary_settings: s.canary_settings,
        tracing_enabled: Some(s.tracing_enabled.unwrap_or(false)),
        ..Stage::default()
    };
    let doc = encode(&doc)?;
    check_size(&doc)?;
    Ok(StageRow {
        name: s.name,
        deployment_id: s.deployment_id,
        client_certificate_id: None,
        created: now,
        updated: now,
        version: 1,
        doc,
        tags: s.tags,
    })
}

/// The stage as AWS answers it: the columns are the truth for deployment, certificate and dates.
fn shape(row: &StageRow) -> Result<Stage, Error> {
    let mut s: Stage = decode(&row.doc, "stage")?;
    s.stage_name = Some(row.name.clone());
    s.deployment_id = Some(row.deployment_id.clone());
    s.client_certificate_id = row.client_certificate_id.clone();
    s.created_date = Some(row.created);
    s.last_updated_date = Some(row.updated);
    s.tags = (!row.tags.is_empty()).then(|| row.tags.clone());
    Ok(s)
}

impl Service {
    pub async fn create_stage(
        &self,
        scope: &Scope,
        input: certgate_api::CreateStageRequest,
    ) -> Result<Stage, Error> {
        let api_id = input.rest_api_id.clone();
        storable(&[&api_id], || api_not_found(scope, &api_id))?;
        storable(&[&input.deployment_id], deployment_missing)?;
        let row = new_stage(
            self,
            NewStage {
                name: input.stage_name,
                deployment_id: input.deployment_id,
                description: input.description,
                cache_cluster_enabled: input.cache_cluster_enabled,
                cache_cluster_size: input.cache_cluster_size,
                variables: input.variables,
                documentation_version: input.documentation_version,
                canary_settings: input.canary_settings,
                tracing_enabled: input.tracing_enabled,
                tags: input.tags.unwrap_or_default(),
            },
        )?;
        let quota = self.config.rest_apis.stages_per_api;
        match self.store.insert_stage(scope, &api_id, &row, quota).await {
            Ok(()) => shape(&row),
            Err(StoreError::NotFound) => Err(api_not_found(scope, &api_id)),
            Err(StoreError::Dangling(_)) => Err(deployment_missing()),
            Err(StoreError::IdTaken) => Err(Error::Conflict("Stage already exists".into())),
            Err(StoreError::QuotaExceeded { limit }) => Err(stage_quota_error(limit)),
            Err(e) => Err(from_store(e)),
        }
    }

    pub async fn get_stage(&self, scope: &Scope, api_id: &str, name: &str) -> Result<Stage, Error> {
        storable(&[api_id, name], stage_not_found)?;
        let row = self
            .store
            .stage(scope, api_id, name)
            .await
            .map_err(from_store)?
            .ok_or_else(stage_not_found)?;
        shape(&row)
    }

    pub async fn get_stages(
        &self,
        scope: &Scope,
        api_id: &str,
        deployment_id: Option<&str>,
    ) -> Result<Stages, Error> {
        storable(&[api_id], || api_not_found(scope, api_id))?;
        if !self
            .store
            .rest_api_exists(scope, api_id)
            .await
            .map_err(from_store)?
        {
            return Err(api_not_found(scope, api_id));
        }
        let rows = self.store.stages(scope, api_id).await.map_err(from_store)?;
        let item = rows
            .iter()
            .filter(|r| deployment_id.is_none_or(|d| r.deployment_id == d))
            .map(shape)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Stages { item: Some(item) })
    }

    pub async fn update_stage(
        &self,
        scope: &Scope,
        input: certgate_api::UpdateStageRequest,
    ) -> Result<Stage, Error> {
        let ops = patch::from_model(input.patch_operations);
        let steps = patch::steps(&ops, "updateStageInput")?;
        let api_id = input.rest_api_id.as_str();
        storable(&[api_id, &input.stage_name], stage_not_found)?;
        for _ in 0..CAS_ATTEMPTS {
            let mut row = self
                .store
                .stage(scope, api_id, &input.stage_name)
                .await
                .map_err(from_store)?
                .ok_or_else(stage_not_found)?;
            let mut doc: Stage = decode(&row.doc, "stage")?;
            for step in &steps {
                patch_stage(&mut row, &mut doc, step)?;
            }
            storable(&[&row.deployment_id], deployment_missing)?;
            row.updated = self.clock.now();
            row.doc = encode(&Stage {
                deployment_id: None,
                client_certificate_id: None,
                tags: None,
                ..doc
            })?;
            check_size(&row.doc)?;
            match self.store.update_stage(scope, api_id, &row).await {
                Ok(()) => {
                    row.version += 1;
                    return shape(&row);
                }
                Err(StoreError::Stale) => continue,
                Err(StoreError::NotFound) => return Err(stage_not_found()),
                Err(StoreError::Dangling("deployment")) => return Err(deployment_missing()),
                Err(StoreError::Dangling(_)) => {
                    let id = row.client_certificate_id.unwrap_or_default();
                    return Err(certificate_missing(&id));
                }
                Err(e) => return Err(from_store(e)),
            }
        }
        Err(from_store(StoreError::Stale))
    }

    pub async fn delete_stage(&self, scope: &Scope, api_id: &str, name: &str) -> Result<(), Error> {
        storable(&[api_id, name], stage_not_found)?;
        match self.store.delete_stage(scope, api_id, name).await {
            Err(StoreError::NotFound) => Err(stage_not_found()),
            other => other.map_err(from_store),
        }
    }
}

fn new_method_setting() -> MethodSetting {
    MethodSetting {
        metrics_enabled: Some(false),
        logging_level: None,
        data_trace_enabled: Some(false),
        throttling_burst_limit: Some(5000),
        throttling_rate_limit: Some(10000.0),
        caching_enabled: Some(false),
        cache_ttl_in_seconds: Some(300),
        cache_data_encrypted: Some(false),
        require_authorization_for_cache_control: Some(true),
        unauthorized_cache_control_header_strategy: Some("SUCCEED_WITH_RESPONSE_HEADER".into()),
    }
}

fn no_such_setting(what: &str) -> Error {
    // AWS's text ends with a space; clients that match on it see it unchanged.
    Error::bad_request(format!(
        "Cannot remove method setting {what} because there is no method setting for this method "
    ))
}

fn invalid_stage_path(path: &str) -> Error {
    Error::bad_request(format!(
        "Invalid method setting path: {path}. Must be one of: {STAGE_PATHS}"
    ))
}

fn patch_stage(row: &mut StageRow, doc: &mut Stage, step: &patch::Step<'_>) -> Result<(), Error> {
    if matches!(step.op, Op::Move | Op::Copy | Op::Test) {
        return Err(Error::bad_request(format!(
            "Invalid {} operation with path: {}",
            step.op.as_str(),
            step.path
        )));
    }
    let raw: Vec<&str> = step
        .path
        .strip_prefix('/')
        .unwrap_or(step.path)
        .split('/')
        .collect();
    let remove = step.op == Op::Remove;
    match raw.as_slice() {
        ["deploymentId"] if !remove => row.deployment_id = step.text().to_string(),
        ["description"] => {
            certgate_core::description::validate(step.value)?;
            doc.description = step
                .value
                .filter(|v| !v.is_empty() && !remove)
                .map(str::to_string);
        }
        ["clientCertificateId"] => {
            let id = step.text();
            row.client_certificate_id = if remove || id.is_empty() {
                None
            } else {
                // An id that cannot be a certificate's names none; the store checks the rest.
                CertificateId::parse(id).ok_or_else(|| certificate_missing(id))?;
                Some(id.to_string())
            };
        }
        ["tracingEnabled"] if !remove => doc.tracing_enabled = Some(patch::boolean(step.text())),
        ["cacheClusterEnabled"] if !remove => {
            let enabled = patch::boolean(step.text());
            doc.cache_cluster_enabled = Some(enabled);
            doc.cache_cluster_status = Some(cache_status(enabled));
        }
        ["cacheClusterSize"] if !remove => {
            // A patch value is answered as AWS answers its other bad patch values: a bad request.
            if !CACHE_SIZES.contains(&step.text()) {
                return Err(Error::bad_request(format!(
                    "Invalid cacheClusterSize specified. Valid options are {}",
                    CACHE_SIZES.join(",")
                )));
            }
            doc.cache_cluster_size = Some(step.text().to_string());
        }
        ["variables", name] => {
            let name = patch::unescape(name);
            let vars = doc.variables.get_or_insert_with(BTreeMap::new);
            if remove {
                vars.remove(&name);
            } else {
                vars.insert(name, step.text().to_string());
            }
            patch::tidy(&mut doc.variables);
        }
        ["accessLogSettings"] if remove => doc.access_log_settings = None,
        ["accessLogSettings", field] if remove => {
            return Err(no_such_setting(&format!("accessLogSettings/{field}")));
        }
        ["accessLogSettings", field @ ("destinationArn" | "format")] => {
            if step.text().is_empty() {
                return Err(Error::bad_request("Access Log value must not be empty"));
            }
            let settings = doc.access_log_settings.get_or_insert_with(Default::default);
            let value = Some(step.text().to_string());
            if *field == "format" {
                settings.format = value;
            } else {
                settings.destination_arn = value;
            }
        }
        ["accessLogSettings", ..] => {
            return Err(Error::bad_request(
                "Invalid accessLogSettings path. Must be one of : [/accessLogSettings/destinationArn, /accessLogSettings/format]",
            ));
        }
        [resource, method] if remove && !matches!(*resource, "variables" | "tags") => {
            let key = format!("{resource}/{method}");
            let settings = doc.method_settings.get_or_insert_with(BTreeMap::new);
            settings.remove(&key).ok_or_else(|| no_such_setting(&key))?;
        }
        [resource, method, area, name] if !remove => {
            let key = format!("{resource}/{method}");
            let value = step.text();
            let mut setting = doc
                .method_settings
                .as_ref()
                .and_then(|m| m.get(&key))
                .cloned()
                .unwrap_or_else(new_method_setting);
            let number = |what: &str| {
                value
                    .trim()
                    .parse::<f64>()
                    .map_err(|_| Error::bad_request(format!("Invalid value for {what}: {value}")))
            };
            match (*area, *name) {
                ("metrics", "enabled") => setting.metrics_enabled = Some(patch::boolean(value)),
                ("logging", "dataTrace") => {
                    setting.data_trace_enabled = Some(patch::boolean(value))
                }
                ("logging", "loglevel") => {
                    let level = value.to_ascii_uppercase();
                    patch::one_of(&level, "loggingLevel", &["OFF", "ERROR", "INFO"])?;
                    setting.logging_level = Some(level);
                }
                ("throttling", "burstLimit") => {
                    setting.throttling_burst_limit = Some(number("burstLimit")? as i32)
                }
                ("throttling", "rateLimit") => {
                    setting.throttling_rate_limit = Some(number("rateLimit")?)
                }
                ("caching", "ttlInSeconds") => {
                    setting.cache_ttl_in_seconds = Some(number("ttlInSeconds")? as i32)
                }
                ("caching", "enabled") => setting.caching_enabled = Some(patch::boolean(value)),
                ("caching", "dataEncrypted") => {
                    setting.cache_data_encrypted = Some(patch::boolean(value))
                }
                ("caching", "requireAuthorizationForCacheControl") => {
                    setting.require_authorization_for_cache_control = Some(patch::boolean(value))
                }
                ("caching", "unauthorizedCacheControlHeaderStrategy") => {
                    patch::one_of(
                        value,
                        "unauthorizedCacheControlHeaderStrategy",
                        &[
                            "FAIL_WITH_403",
                            "SUCCEED_WITH_RESPONSE_HEADER",
                            "SUCCEED_WITHOUT_RESPONSE_HEADER",
                        ],
                    )?;
                    setting.unauthorized_cache_control_header_strategy = Some(value.to_string());
                }
                _ => return Err(invalid_stage_path(step.path)),
            }
            doc.method_settings
                .get_or_insert_with(BTreeMap::new)
                .insert(key, setting);
        }
        _ => return Err(invalid_stage_path(step.path)),
    }
    Ok(())
}
