//! The REST API family: REST APIs with their resource trees (`tree`), methods and integrations
//! (`methods`, `integrations`), deployments and stages. The documents are the model's own shapes,
//! kept as JSON by the store; a change to an API's tree is read, applied here and written back
//! only if nobody else wrote in between (compare-and-swap on the row's version, retried), so that
//! the tree's rules (unique siblings, one variable part, the resource quota) hold on every node.

mod deployments;
mod integrations;
mod methods;
mod patch;

pub(crate) use patch::from_model as patch_operations;
mod stages;
mod test_invoke;
mod tree;

use certgate_api::{EndpointConfiguration, Resource, RestApi, RestApis};
use certgate_core::patch::{Op, PatchOperation};
use certgate_core::{page, tags, Error, NotFound, Scope, Tags};
use certgate_store::{RestApiRow, StoreError};
use serde::de::DeserializeOwned;

use crate::store_errors::{from_store, ID_ATTEMPTS};
use crate::Service;

/// AWS's published default quotas of the family; each is a flag of `certgate serve`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestApiLimits {
    /// Edge-optimized REST APIs per account and region.
    pub edge_apis: u32,
    /// Regional and private REST APIs per account and region.
    pub regional_apis: u32,
    /// Resources per REST API, the root included.
    pub resources_per_api: u32,
    /// Stages per REST API.
    pub stages_per_api: u32,
}

impl Default for RestApiLimits {
    fn default() -> Self {
        RestApiLimits {
            edge_apis: 120,
            regional_apis: 600,
            resources_per_api: 300,
            stages_per_api: 10,
        }
    }
}

const API_ID_LEN: usize = 10;
/// The largest REST API document with its tree, as stored: certgate's bound (AWS documents its
/// own per member), so that a tree read and written whole on every change stays small whatever
/// its templates and policies hold. 300 resources with a few methods each take well under 1 MiB.
pub(crate) const MAX_API_BYTES: usize = 4 * 1024 * 1024;
/// The longest REST API name or version, in characters: certgate's bound, as for descriptions.
const MAX_NAME_CHARS: usize = 1024;
const CAS_ATTEMPTS: usize = 16;
const MAX_COMPRESSION: i32 = 10_485_760;
const ENDPOINT_TYPES: &[&str] = &["PRIVATE", "EDGE", "REGIONAL"];

/// A REST API as read from the store: its row, its document and its tree.
pub(crate) struct Loaded {
    pub row: RestApiRow,
    pub api: RestApi,
    pub tree: Vec<Resource>,
}

pub(crate) fn api_not_found(scope: &Scope, id: &str) -> Error {
    Error::not_found(NotFound::RestApi {
        account: scope.account.as_str(),
        id,
    })
}

/// PostgreSQL's text cannot hold the NUL character, so no stored id or name has one: a request
/// naming one names nothing and is answered `missing()` without asking the store, whose query
/// would fail on PostgreSQL (a 500 where SQLite answers the 404).
pub(crate) fn storable(names: &[&str], missing: impl Fn() -> Error) -> Result<(), Error> {
    if names.iter().any(|n| n.contains('\0')) {
        return Err(missing());
    }
    Ok(())
}

/// certgate's bound on a REST API's name and version.
fn check_name(member: &str, value: &str) -> Result<(), Error> {
    if value.len() > MAX_NAME_CHARS && value.chars().count() > MAX_NAME_CHARS {
        return Err(Error::bad_request(format!(
            "Invalid {member}: it must be at most {MAX_NAME_CHARS} characters long"
        )));
    }
    Ok(())
}

/// certgate's bound on what one REST API stores, checked before every write of it.
fn check_size(row: &RestApiRow) -> Result<(), Error> {
    if row.api.len() + row.tree.len() > MAX_API_BYTES {
        return Err(Error::bad_request(format!(
            "The REST API's definition would take more than {} MiB (certgate's limit): remove resources, methods or templates first",
            MAX_API_BYTES / (1024 * 1024)
        )));
    }
    Ok(())
}

pub(crate) fn decode<T: DeserializeOwned>(json: &str, what: &str) -> Result<T, Error> {
    serde_json::from_str(json)
        .map_err(|e| Error::internal(format!("stored {what} unreadable: {e}")))
}

pub(crate) fn encode<T: serde::Serialize>(value: &T) -> Result<String, Error> {
    serde_json::to_string(value).map_err(Error::internal)
}

/// Where a page starts: the key its `position` token continues after (`""` for the first page,
/// which every key sorts after) and its size, by the page rules of the certificates.
pub(crate) fn page_start(
    key: &page::PageKey,
    scope: &Scope,
    context: &str,
    position: Option<&str>,
    limit: Option<i32>,
) -> Result<(String, u32), Error> {
    let limit = page::parse_limit(limit.map(|n| n.to_string()).as_deref())?;
    let after = position
        .map(|p| page::decode_position_in(key, scope, context, p))
        .transpose()?
        .unwrap_or_default();
    Ok((after, limit))
}

/// Cuts `items` (in key order, one more than a page when another page follows) to `limit`, with
/// the token of the next page when there is one.
pub(crate) fn cut_page<T>(
    key: &page::PageKey,
    scope: &Scope,
    context: &str,
    mut items: Vec<T>,
    limit: u32,
    key_of: impl Fn(&T) -> &str,
) -> (Vec<T>, Option<String>) {
    let limit = limit as usize;
    if items.len() <= limit {
        return (items, None);
    }
    items.truncate(limit);
    let position = items
        .last()
        .map(|i| page::encode_position_in(key, scope, context, key_of(i)));
    (items, position)
}

/// One page of `items` (all of a list, in key order) after the key a `position` token names.
pub(crate) fn page_of<T>(
    key: &page::PageKey,
    scope: &Scope,
    context: &str,
    items: Vec<T>,
    key_of: impl Fn(&T) -> &str,
    position: Option<&str>,
    limit: Option<i32>,
) -> Result<(Vec<T>, Option<String>), Error> {
    let (after, limit) = page_start(key, scope, context, position, limit)?;
    let items: Vec<T> = items
        .into_iter()
        .filter(|i| key_of(i) > after.as_str())
        .collect();
    Ok(cut_page(key, scope, context, items, limit, key_of))
}

impl Service {
    /// The API's row, document and tree; `missing` is the answer when there is no such API.
    pub(crate) async fn load_api(
        &self,
        scope: &Scope,
        id: &str,
        missing: impl Fn() -> Error,
    ) -> Result<Loaded, Error> {
        storable(&[id], &missing)?;
        let row = self
            .store
            .rest_api(scope, id)
            .await
            .map_err(from_store)?
            .ok_or_else(&missing)?;
        Ok(Loaded {
            api: decode(&row.api, "REST API")?,
            tree: decode(&row.tree, "resource tree")?,
            row,
        })
    }

    /// Applies `change` to the API's document and tree and writes both back if no other write
    /// came in between; otherwise reads again and reapplies, so concurrent changes never lose
    /// each other's work and every rule is checked on what is finally written.
    pub(crate) async fn change_api<T>(
        &self,
        scope: &Scope,
        id: &str,
        missing: impl Fn() -> Error,
        change: impl Fn(&mut RestApi, &mut Vec<Resource>) -> Result<T, Error>,
    ) -> Result<(T, Loaded), Error> {
        for _ in 0..CAS_ATTEMPTS {
            let mut loaded = self.load_api(scope, id, &missing).await?;
            let out = change(&mut loaded.api, &mut loaded.tree)?;
            let row = RestApiRow {
                name: loaded.api.name.clone().unwrap_or_default(),
                endpoint: endpoint_type(&loaded.api),
                api: encode(&loaded.api)?,
                tree: encode(&loaded.tree)?,
                ..loaded.row.clone()
            };
            check_size(&row)?;
            match self.store.update_rest_api(scope, &row).await {
                Ok(()) => {
                    loaded.row = RestApiRow {
                        version: row.version + 1,
                        ..row
                    };
                    return Ok((out, loaded));
                }
                Err(StoreError::Stale) => continue,
                Err(StoreError::NotFound) => return Err(missing()),
                Err(e) => return Err(from_store(e)),
            }
        }
        Err(from_store(StoreError::Stale))
    }

    pub async fn create_rest_api(
        &self,
        scope: &Scope,
        input: certgate_api::CreateRestApiRequest,
    ) -> Result<RestApi, Error> {
        let tags = input.tags.clone().unwrap_or_default();
        tags::validate(&tags)?;
        // The name is a column of its own: NUL is refused as in descriptions, on every engine.
        storable(&[&input.name], || {
            Error::bad_request("Invalid name: it must not contain the NUL character (U+0000)")
        })?;
        let endpoint = create_endpoint(input.endpoint_configuration.as_ref())?;
        if let Some(source) = &input.api_key_source {
            patch::one_of(
                source,
                "createRestApiInput.apiKeySource",
                &["HEADER", "AUTHORIZER"],
            )?;
        }
        if input.description.as_deref() == Some("") {
            return Err(Error::bad_request("Description cannot be an empty string"));
        }
        certgate_core::description::validate(input.description.as_deref())?;
        check_name("name", &input.name)?;
        if let Some(version) = &input.version {
            check_name("version", version)?;
        }
        if let Some(size) = input.minimum_compression_size {
            compression(size)?;
        }
        let now = self.clock.now();
        let types = endpoint.types.clone().unwrap_or_default();
        let kind = types.first().cloned().unwrap_or_else(|| "EDGE".into());
        let quota = if kind == "EDGE" {
            self.config.rest_apis.edge_apis
        } else {
            self.config.rest_apis.regional_apis
        };
        let tree = match &input.clone_from {
            Some(source) => {
                let source = self
                    .load_api(scope, source, || api_not_found(scope, source))
                    .await?;
                tree::clone_tree(&source.tree, &|| self.ids.short_id(tree::RESOURCE_ID_LEN))
            }
            None => vec![Resource {
                id: Some(self.ids.short_id(API_ID_LEN)),
                path: Some("/".into()),
                ..Resource::default()
            }],
        };
        let mut api = RestApi {
            id: None,
            name: Some(input.name),
            description: input.description,
            created_date: Some(now),
            version: input.version,
            warnings: None,
            binary_media_types: input.binary_media_types.filter(|t| !t.is_empty()),
            minimum_compression_size: input.minimum_compression_size,
            api_key_source: Some(input.api_key_source.unwrap_or_else(|| "HEADER".into())),
            endpoint_configuration: Some(endpoint),
            policy: input.policy,
            tags: None,
            disable_execute_api_endpoint: Some(input.disable_execute_api_endpoint.unwrap_or(false)),
            root_resource_id: tree.first().and_then(|r| r.id.clone()),
            security_policy: input.security_policy,
            endpoint_access_mode: input.endpoint_access_mode,
            api_status: None,
            api_status_message: None,
        };
        for _ in 0..ID_ATTEMPTS {
            let id = self.ids.short_id(API_ID_LEN);
            api.id = Some(id.clone());
            let row = RestApiRow {
                id,
                name: api.name.clone().unwrap_or_default(),
                endpoint: kind.clone(),
                created: now,
                version: 1,
                api: encode(&api)?,
                tree: encode(&tree)?,
                tags: tags.clone(),
            };
            check_size(&row)?;
            match self.store.insert_rest_api(scope, &row, quota).await {
                Ok(()) => return Ok(shape(api, &tags, false)),
                Err(StoreError::IdTaken) => continue,
                Err(StoreError::QuotaExceeded { limit }) => {
                    return Err(Error::LimitExceeded(format!(
                        "Too many REST APIs: an account can have at most {limit} {} REST APIs in a region",
                        if kind == "EDGE" { "edge-optimized" } else { "regional or private" }
                    )))
                }
                Err(e) => return Err(from_store(e)),
            }
        }
        Err(Error::internal("no free REST API id"))
    }

    pub async fn get_rest_api(&self, scope: &Scope, id: &str) -> Result<RestApi, Error> {
        let loaded = self
            .load_api(scope, id, || api_not_found(scope, id))
            .await?;
        Ok(shape(loaded.api, &loaded.row.tags, false))
    }

    pub async fn get_rest_apis(
        &self,
        scope: &Scope,
        position: Option<&str>,
        limit: Option<i32>,
    ) -> Result<RestApis, Error> {
        let key = self.page_key().await?;
        let (after, limit) = page_start(key, scope, "restapis", position, limit)?;
        let rows = self
            .store
            .rest_apis(scope, &after, limit + 1)
            .await
            .map_err(from_store)?;
        let (rows, position) = cut_page(key, scope, "restapis", rows, limit, |r| &r.id);
        let items = rows
            .into_iter()
            .map(|row| Ok(shape(decode(&row.api, "REST API")?, &row.tags, false)))
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(RestApis {
            position,
            items: Some(items),
        })
    }

    pub async fn update_rest_api(
        &self,
        scope: &Scope,
        id: &str,
        ops: &[PatchOperation],
    ) -> Result<RestApi, Error> {
        let steps = patch::steps(ops, "updateRestApiInput")?;
        for step in &steps {
            certgate_core::description::validate(step.value)?;
        }
        let ((), loaded) = self
            .change_api(
                scope,
                id,
                || api_not_found(scope, id),
                |api, _| steps.iter().try_for_each(|s| patch_rest_api(api, s)),
            )
            .await?;
        // AWS's UpdateRestApi answers carry `tags` even when there are none.
        Ok(shape(loaded.api, &loaded.row.tags, true))
    }

    pub async fn delete_rest_api(&self, scope: &Scope, id: &str) -> Result<(), Error> {
        storable(&[id], || api_not_found(scope, id))?;
        match self.store.delete_rest_api(scope, id).await {
            Err(StoreError::NotFound) => Err(api_not_found(scope, id)),
            other => other.map_err(from_store),
        }
    }
}

/// The API as AWS answers it: its tags from their column, `tags` left out when there are none
/// unless `always_tags`.
fn shape(mut api: RestApi, tags: &Tags, always_tags: bool) -> RestApi {
    api.tags = (always_tags || !tags.is_empty()).then(|| tags.clone());
    api
}

fn endpoint_type(api: &RestApi) -> String {
    api.endpoint_configuration
        .as_ref()
        .and_then(|e| e.types.as_ref())
        .and_then(|t| t.first().cloned())
        .unwrap_or_else(|| "EDGE".into())
}

fn compression(size: i32) -> Result<(), Error> {
    if (0..=MAX_COMPRESSION).contains(&size) {
        Ok(())
    } else {
        Err(Error::bad_request(format!(
            "Invalid minimum compression size, must be between 0 and {MAX_COMPRESSION}"
        )))
    }
}

const IP_TYPES: &[&str] = &["ipv4", "dualstack"];

/// The endpoint configuration CreateRestApi stores, with AWS's defaults and refusals: EDGE when
/// none is given, `dualstack` for PRIVATE and `ipv4` otherwise; enum violations first, all named.
fn create_endpoint(given: Option<&EndpointConfiguration>) -> Result<EndpointConfiguration, Error> {
    let types = given
        .and_then(|e| e.types.clone())
        .unwrap_or_else(|| vec!["EDGE".into()]);
    let ip = given.and_then(|e| e.ip_address_type.clone());
    let mut problems = Vec::new();
    if types.iter().any(|t| !ENDPOINT_TYPES.contains(&t.as_str())) {
        problems.push(format!(
            "Value '[{}]' at 'createRestApiInput.endpointConfiguration.types' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [PRIVATE, EDGE, REGIONAL]]",
            types.join(", ")
        ));
    }
    if let Some(ip) = ip.as_deref().filter(|ip| !IP_TYPES.contains(ip)) {
        problems.push(patch::enum_problem(
            ip,
            "createRestApiInput.endpointConfiguration.ipAddressType",
            IP_TYPES,
        ));
    }
    if !problems.is_empty() {
        return Err(patch::validation(problems));
    }
    if types.is_empty() {
        return Err(Error::bad_request(
            "REGIONAL Configuration and EDGE Configuration cannot be both DISABLED.",
        ));
    }
    if types.len() > 1 {
        return Err(Error::bad_request(
            "Cannot create an api with multiple Endpoint Types.",
        ));
    }
    let private = types[0] == "PRIVATE";
    if private && ip.as_deref() == Some("ipv4") {
        return Err(Error::bad_request(
            "Only dualstack ipAddressType is supported for Private APIs.",
        ));
    }
    let default_ip = if private { "dualstack" } else { "ipv4" };
    Ok(EndpointConfiguration {
        types: Some(types),
        ip_address_type: Some(ip.unwrap_or_else(|| default_ip.into())),
        vpc_endpoint_ids: given.and_then(|e| e.vpc_endpoint_ids.clone()),
    })
}

/// One UpdateRestApi operation, on the paths AWS accepts.
fn patch_rest_api(api: &mut RestApi, step: &patch::Step<'_>) -> Result<(), Error> {
    let segments = step.segments();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let set = |v: &mut Option<String>| {
        *v = match step.op {
            Op::Remove => None,
            _ => step.value.map(str::to_string),
        }
    };
    match segments.as_slice() {
        ["name"] => {
            step.only(&[Op::Replace])?;
            match step.value.filter(|v| !v.is_empty()) {
                Some(name) => {
                    check_name("name", name)?;
                    api.name = Some(name.to_string());
                }
                None => return Err(Error::bad_request("Name cannot be empty")),
            }
        }
        ["description"] => {
            step.only(&[Op::Add, Op::Replace, Op::Remove])?;
            set(&mut api.description);
        }
        ["version"] => {
            step.only(&[Op::Add, Op::Replace, Op::Remove])?;
            check_name("version", step.text())?;
            set(&mut api.version);
        }
        ["policy"] => {
            step.only(&[Op::Add, Op::Replace, Op::Remove])?;
            set(&mut api.policy);
        }
        ["apiKeySource"] => {
            step.only(&[Op::Replace])?;
            patch::one_of(step.text(), "apiKeySource", &["HEADER", "AUTHORIZER"])?;
            api.api_key_source = Some(step.text().to_string());
        }
        ["disableExecuteApiEndpoint"] => {
            step.only(&[Op::Replace])?;
            api.disable_execute_api_endpoint = Some(patch::boolean(step.text()));
        }
        ["minimumCompressionSize"] => {
            step.only(&[Op::Replace])?;
            let message = format!(
                "Invalid minimum compression size, must be between 0 and {MAX_COMPRESSION}"
            );
            api.minimum_compression_size = match step.text() {
                "" => None,
                v => {
                    let size = patch::integer(v, &message)?;
                    compression(size)?;
                    Some(size)
                }
            };
        }
        ["binaryMediaTypes", media] => {
            step.only(&[Op::Add, Op::Replace, Op::Remove])?;
            let types = api.binary_media_types.get_or_insert_with(Vec::new);
            match step.op {
                Op::Add => types.push((*media).to_string()),
                Op::Remove => types.retain(|t| t != media),
                _ => {
                    types.retain(|t| t != media);
                    if let Some(v) = step.value {
                        types.push(v.to_string());
                    }
                }
            }
            if types.is_empty() {
                api.binary_media_types = None;
            }
        }
        ["endpointConfiguration", "types", _] => {
            if !matches!(step.op, Op::Add | Op::Replace) {
                return Err(Error::bad_request(
                    "Invalid patch operation specified. Must be 'add'|'remove'|'replace'",
                ));
            }
            let value = step.text();
            if !ENDPOINT_TYPES.contains(&value) {
                return Err(Error::bad_request(
                    "Invalid EndpointTypes specified. Valid options are REGIONAL,EDGE,PRIVATE",
                ));
            }
            let endpoint = api
                .endpoint_configuration
                .get_or_insert_with(Default::default);
            endpoint.types = Some(vec![value.to_string()]);
            if value == "PRIVATE" {
                endpoint.ip_address_type = Some("dualstack".into());
            }
        }
        ["endpointConfiguration", "ipAddressType"] => {
            step.only(&[Op::Replace])?;
            let value = step.text();
            if !IP_TYPES.contains(&value) {
                return Err(Error::bad_request(
                    "ipAddressType must be either ipv4 or dualstack.",
                ));
            }
            let endpoint = api
                .endpoint_configuration
                .get_or_insert_with(Default::default);
            let private = endpoint
                .types
                .as_ref()
                .is_some_and(|t| t.iter().any(|t| t == "PRIVATE"));
            if private && value == "ipv4" {
                return Err(Error::bad_request(
                    "Only dualstack ipAddressType is supported for Private APIs.",
                ));
            }
            endpoint.ip_address_type = Some(value.to_string());
        }
        _ => return Err(step.invalid_path()),
    }
    Ok(())
}

#[cfg(test)]
mod tests;
