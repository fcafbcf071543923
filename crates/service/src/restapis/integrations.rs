//! Integrations and integration responses, kept inside their method, with AWS's checks: the five
//! types, an HTTP method and an `http(s)://` URI for the HTTP kinds, an ARN for the AWS kinds, the
//! timeout range, and request parameter mappings whose sources the method declares.

use std::collections::BTreeMap;

use certgate_api::{Integration, IntegrationResponse, Method};
use certgate_core::patch::Op;
use certgate_core::{Error, NotFound, Scope};

use super::methods::{check_status_code, method_mut, status_code_problem, HTTP_METHODS};
use super::tree::resource_not_found;
use super::{patch, Service};

const TYPES: &[&str] = &["HTTP", "MOCK", "AWS_PROXY", "HTTP_PROXY", "AWS"];
const PASSTHROUGH: &[&str] = &["WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER"];
const TIMEOUT_MS: std::ops::RangeInclusive<i32> = 50..=29_000;
const DEFAULT_TIMEOUT_MS: i32 = 29_000;

fn integration_not_found() -> Error {
    Error::not_found(NotFound::Integration)
}

/// Template keys are content types (`type/subtype`), as AWS checks them.
fn check_content_types(templates: Option<&BTreeMap<String, String>>) -> Result<(), Error> {
    for key in templates.into_iter().flat_map(BTreeMap::keys) {
        let ok = key
            .split_once('/')
            .is_some_and(|(t, sub)| !t.is_empty() && !sub.is_empty() && !sub.contains('/'));
        if !ok {
            return Err(Error::bad_request(format!(
                "Validation Result: warnings : [], errors : [Invalid content type specified: {key}]"
            )));
        }
    }
    Ok(())
}

/// Whether `uri` is an absolute http or https URL with a host.
fn http_uri(uri: &str) -> bool {
    let rest = uri
        .strip_prefix("https://")
        .or_else(|| uri.strip_prefix("http://"));
    rest.is_some_and(|r| {
        let host = r.split(['/', '?', '#']).next().unwrap_or_default();
        !host.is_empty() && !host.contains(char::is_whitespace)
    })
}

/// The integration as stored: AWS's checks for its type, then its defaults.
fn checked(mut i: Integration, resource_id: &str, method: &Method) -> Result<Integration, Error> {
    let kind = i.r#type.clone().unwrap_or_default();
    let http_kind = matches!(kind.as_str(), "HTTP" | "HTTP_PROXY");
    match kind.as_str() {
        "MOCK" => {
            // AWS drops what a mock does not use.
            i.uri = None;
            i.http_method = None;
        }
        _ => {
            let method = i.http_method.as_deref().unwrap_or_default();
            if method.is_empty() {
                return Err(Error::bad_request(
                    "Enumeration value for HttpMethod must be non-empty",
                ));
            }
            if !HTTP_METHODS.contains(&method) {
                return Err(Error::bad_request(format!(
                    "Invalid HttpMethod specified. Valid options are {}",
                    HTTP_METHODS.join(",")
                )));
            }
            let uri = i.uri.as_deref().unwrap_or_default();
            if http_kind && !http_uri(uri) {
                return Err(Error::bad_request(
                    "Invalid HTTP endpoint specified for URI",
                ));
            }
            if !http_kind {
                if !uri.starts_with("arn:") {
                    return Err(Error::bad_request("Invalid ARN specified in the request"));
                }
                if !(uri.contains(":path/") || uri.contains(":action/")) {
                    return Err(Error::bad_request(
                        "AWS ARN for integration must contain path or action",
                    ));
                }
                if kind == "AWS_PROXY" && !(uri.contains(":lambda:") || uri.contains(":firehose:"))
                {
                    return Err(Error::bad_request(
                        "Integrations of type 'AWS_PROXY' currently only supports Lambda function and Firehose stream invocations.",
                    ));
                }
            }
        }
    }
    let timeout = i.timeout_in_millis.unwrap_or(DEFAULT_TIMEOUT_MS);
    if !TIMEOUT_MS.contains(&timeout) {
        return Err(Error::bad_request(
            "Timeout should be between 50 ms and 29000 ms",
        ));
    }
    i.timeout_in_millis = Some(timeout);
    if let Some(p) = &i.passthrough_behavior {
        if !PASSTHROUGH.contains(&p.as_str()) {
            return Err(Error::bad_request(format!(
                "Invalid passthrough behavior specified: {p}. Valid options are {}",
                PASSTHROUGH.join(",")
            )));
        }
    }
    i.passthrough_behavior
        .get_or_insert_with(|| "WHEN_NO_MATCH".into());
    if http_kind {
        i.connection_type.get_or_insert_with(|| "INTERNET".into());
    }
    if let Some(c) = &i.connection_type {
        patch::one_of(
            c,
            "putIntegrationInput.connectionType",
            &["INTERNET", "VPC_LINK"],
        )?;
    }
    i.cache_namespace
        .get_or_insert_with(|| resource_id.to_string());
    i.cache_key_parameters.get_or_insert_with(Vec::new);
    check_mappings(i.request_parameters.as_ref(), method)?;
    check_content_types(i.request_templates.as_ref())?;
    Ok(i)
}

/// Every `integration.request.*` mapping must take a value AWS can evaluate: a parameter the
/// method declares, a quoted literal, a stage variable or a context variable.
fn check_mappings(
    mappings: Option<&BTreeMap<String, String>>,
    method: &Method,
) -> Result<(), Error> {
    let declared = method.request_parameters.as_ref();
    for source in mappings.into_iter().flat_map(BTreeMap::values) {
        let ok = if source.starts_with("method.request.") {
            declared.is_some_and(|d| d.contains_key(source))
                || source.starts_with("method.request.body")
        } else {
            (source.starts_with('\'') && source.ends_with('\'') && source.len() >= 2)
                || source.starts_with("stageVariables.")
                || source.starts_with("context.")
        };
        if !ok {
            return Err(Error::bad_request(format!(
                "Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid mapping expression parameter specified: {source}]"
            )));
        }
    }
    Ok(())
}

impl Service {
    pub async fn put_integration(
        &self,
        scope: &Scope,
        input: certgate_api::PutIntegrationRequest,
    ) -> Result<Integration, Error> {
        patch::one_of(&input.r#type, "putIntegrationInput.type", TYPES)?;
        let (created, _) = self
            .change_api(scope, &input.rest_api_id, resource_not_found, |_, tree| {
                let method = method_mut(tree, &input.resource_id, &input.http_method)?;
                let integration = Integration {
                    r#type: Some(input.r#type.clone()),
                    http_method: input.integration_http_method.clone(),
                    uri: input.uri.clone(),
                    connection_type: input.connection_type.clone(),
                    connection_id: input.connection_id.clone(),
                    credentials: input.credentials.clone(),
                    request_parameters: input.request_parameters.clone(),
                    request_templates: input.request_templates.clone(),
                    passthrough_behavior: input.passthrough_behavior.clone(),
                    content_handling: input.content_handling.clone(),
                    timeout_in_millis: input.timeout_in_millis,
                    cache_namespace: input.cache_namespace.clone(),
                    cache_key_parameters: input.cache_key_parameters.clone(),
                    integration_responses: None,
                    tls_config: input.tls_config.clone(),
                    response_transfer_mode: input.response_transfer_mode.clone(),
                    integration_target: input.integration_target.clone(),
                };
                let integration = checked(integration, &input.resource_id, method)?;
                method.method_integration = Some(integration.clone());
                Ok(integration)
            })
            .await?;
        Ok(created)
    }

    pub async fn get_integration(
        &self,
        scope: &Scope,
        rest_api_id: &str,
        resource_id: &str,
        http_method: &str,
    ) -> Result<Integration, Error> {
        let mut loaded = self
            .load_api(scope, rest_api_id, resource_not_found)
            .await?;
        method_mut(&mut loaded.tree, resource_id, http_method)?
            .method_integration
            .clone()
            .ok_or_else(integration_not_found)
    }

    pub async fn update_integration(
        &self,
        scope: &Scope,
        input: certgate_api::UpdateIntegrationRequest,
    ) -> Result<Integration, Error> {
        let ops = patch::from_model(input.patch_operations);
        let steps = patch::steps(&ops, "updateIntegrationInput")?;
        let (updated, _) = self
            .change_api(scope, &input.rest_api_id, resource_not_found, |_, tree| {
                let method = method_mut(tree, &input.resource_id, &input.http_method)?;
                let mut integration = method
                    .method_integration
                    .clone()
                    .ok_or_else(integration_not_found)?;
                for step in &steps {
                    patch_integration(&mut integration, step)?;
                }
                let integration = checked(integration, &input.resource_id, method)?;
                method.method_integration = Some(integration.clone());
                Ok(integration)
            })
            .await?;
        Ok(updated)
    }

    pub async fn delete_integration(
        &self,
        scope: &Scope,
        rest_api_id: &str,
        resource_id: &str,
        http_method: &str,
    ) -> Result<(), Error> {
        self.change_api(scope, rest_api_id, resource_not_found, |_, tree| {
            method_mut(tree, resource_id, http_method)?
                .method_integration
                .take()
                .map(|_| ())
                .ok_or_else(integration_not_found)
        })
        .await?;
        Ok(())
    }

    pub async fn put_integration_response(
        &self,
        scope: &Scope,
        input: certgate_api::PutIntegrationResponseRequest,
    ) -> Result<IntegrationResponse, Error> {
        let (created, _) = self
            .change_api(scope, &input.rest_api_id, resource_not_found, |_, tree| {
                let method = method_mut(tree, &input.resource_id, &input.http_method)?;
                let integration = method
                    .method_integration
                    .as_mut()
                    .ok_or_else(integration_not_found)?;
                check_status_code(&input.status_code)?;
                check_content_types(input.response_templates.as_ref())?;
                let response = IntegrationResponse {
                    status_code: Some(input.status_code.clone()),
                    selection_pattern: input.selection_pattern.clone(),
                    response_parameters: input.response_parameters.clone(),
                    response_templates: input.response_templates.clone(),
                    content_handling: input.content_handling.clone(),
                };
                // A second Put of the same status replaces the first, as AWS does.
                integration
                    .integration_responses
                    .get_or_insert_with(BTreeMap::new)
                    .insert(input.status_code.clone(), response.clone());
                Ok(response)
            })
            .await?;
        Ok(created)
    }

    pub async fn get_integration_response(
        &self,
        scope: &Scope,
        input: certgate_api::GetIntegrationResponseRequest,
    ) -> Result<IntegrationResponse, Error> {
        let mut loaded = self
            .load_api(scope, &input.rest_api_id, resource_not_found)
            .await?;
        let method = method_mut(&mut loaded.tree, &input.resource_id, &input.http_method)?;
        let integration = method
            .method_integration
            .as_ref()
            .ok_or_else(integration_not_found)?;
        check_status_code(&input.status_code)?;
        integration
            .integration_responses
            .as_ref()
            .and_then(|r| r.get(&input.status_code))
            .cloned()
            .ok_or_else(|| Error::not_found(NotFound::Response))
    }

    pub async fn update_integration_response(
        &self,
        scope: &Scope,
        input: certgate_api::UpdateIntegrationResponseRequest,
    ) -> Result<IntegrationResponse, Error> {
        let ops = patch::from_model(input.patch_operations);
        let steps = patch::steps_and(
            &ops,
            "updateIntegrationResponseInput",
            status_code_problem(&input.status_code),
        )?;
        let (updated, _) = self
            .change_api(scope, &input.rest_api_id, resource_not_found, |_, tree| {
                let method = method_mut(tree, &input.resource_id, &input.http_method)?;
                let integration = method
                    .method_integration
                    .as_mut()
                    .ok_or_else(integration_not_found)?;
                check_status_code(&input.status_code)?;
                let response = integration
                    .integration_responses
                    .as_mut()
                    .and_then(|r| r.get_mut(&input.status_code))
                    .ok_or_else(|| Error::not_found(NotFound::Response))?;
                for step in &steps {
                    patch_integration_response(response, step)?;
                }
                check_content_types(response.response_templates.as_ref())?;
                Ok(response.clone())
            })
            .await?;
        Ok(updated)
    }

    pub async fn delete_integration_response(
        &self,
        scope: &Scope,
        input: certgate_api::DeleteIntegrationResponseRequest,
    ) -> Result<(), Error> {
        self.change_api(scope, &input.rest_api_id, resource_not_found, |_, tree| {
            // AWS answers a missing method here as a missing integration.
            let integration = method_mut(tree, &input.resource_id, &input.http_method)
                .map_err(|_| integration_not_found())?
                .method_integration
                .as_mut()
                .ok_or_else(integration_not_found)?;
            check_status_code(&input.status_code)?;
            let responses = integration
                .integration_responses
                .get_or_insert_with(BTreeMap::new);
            responses
                .remove(&input.status_code)
                .ok_or_else(|| Error::not_found(NotFound::Response))?;
            if responses.is_empty() {
                integration.integration_responses = None;
            }
            Ok(())
        })
        .await?;
        Ok(())
    }
}

/// Sets or clears a string member: `remove` clears, anything else takes the value.
fn set(member: &mut Option<String>, step: &patch::Step<'_>) {
    *member = match step.op {
        Op::Remove => None,
        _ => step.value.map(str::to_string),
    };
}

fn map_entry(
    map: &mut Option<BTreeMap<String, String>>,
    key: &str,
    step: &patch::Step<'_>,
) -> Result<(), Error> {
    step.only(&[Op::Add, Op::Replace, Op::Remove])?;
    let m = map.get_or_insert_with(BTreeMap::new);
    if step.op == Op::Remove {
        m.remove(key);
    } else {
        m.insert(key.to_string(), step.text().to_string());
    }
    if m.is_empty() {
        *map = None;
    }
    Ok(())
}

fn patch_integration(i: &mut Integration, step: &patch::Step<'_>) -> Result<(), Error> {
    let segments = step.segments();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let raw_tail = step.path.splitn(3, '/').nth(2).unwrap_or_default();
    match segments.as_slice() {
        ["uri"] => set(&mut i.uri, step),
        ["httpMethod"] => set(&mut i.http_method, step),
        ["connectionType"] => set(&mut i.connection_type, step),
        ["connectionId"] => set(&mut i.connection_id, step),
        ["credentials"] => set(&mut i.credentials, step),
        ["passthroughBehavior"] => set(&mut i.passthrough_behavior, step),
        ["contentHandling"] => set(&mut i.content_handling, step),
        ["cacheNamespace"] => set(&mut i.cache_namespace, step),
        ["timeoutInMillis"] => {
            step.only(&[Op::Replace])?;
            i.timeout_in_millis = Some(patch::integer(
                step.text(),
                "Timeout should be between 50 ms and 29000 ms",
            )?);
        }
        ["tlsConfig", "insecureSkipVerification"] => {
            step.only(&[Op::Replace])?;
            i.tls_config
                .get_or_insert_with(Default::default)
                .insecure_skip_verification = Some(patch::boolean(step.text()));
        }
        ["requestParameters", _] => {
            map_entry(&mut i.request_parameters, &patch::unescape(raw_tail), step)?
        }
        ["requestTemplates", content_type] => {
            map_entry(&mut i.request_templates, content_type, step)?
        }
        ["cacheKeyParameters", name] => {
            step.only(&[Op::Add, Op::Remove])?;
            let keys = i.cache_key_parameters.get_or_insert_with(Vec::new);
            keys.retain(|k| k != name);
            if step.op == Op::Add {
                keys.push((*name).to_string());
            }
        }
        _ => return Err(step.invalid_path()),
    }
    Ok(())
}

fn patch_integration_response(
    r: &mut IntegrationResponse,
    step: &patch::Step<'_>,
) -> Result<(), Error> {
    let segments = step.segments();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let raw_tail = step.path.splitn(3, '/').nth(2).unwrap_or_default();
    match segments.as_slice() {
        ["selectionPattern"] => set(&mut r.selection_pattern, step),
        ["contentHandling"] => set(&mut r.content_handling, step),
        ["responseParameters", _] => {
            map_entry(&mut r.response_parameters, &patch::unescape(raw_tail), step)?
        }
        ["responseTemplates", content_type] => {
            map_entry(&mut r.response_templates, content_type, step)?
        }
        _ => return Err(step.invalid_path()),
    }
    Ok(())
}
