//! Methods and method responses, kept inside their resource in the API's tree, with AWS's checks:
//! the eight HTTP methods, the authorization types, unique parameter names, the two models every
//! API has (`Empty`, `Error`), and status codes of three digits from 1xx to 5xx.

use std::collections::BTreeMap;

use certgate_api::{Method, MethodResponse, Resource};
use certgate_core::patch::Op;
use certgate_core::{Error, NotFound, Scope};

use super::patch::tidy;
use super::tree::{find_mut, resource_not_found};
use super::{patch, Service};

pub(crate) const HTTP_METHODS: &[&str] = &[
    "GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "HEAD", "ANY",
];
const AUTHORIZATION_TYPES: &[&str] = &["NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS"];
/// The models AWS creates in every REST API; certgate has no CreateModel, so these are all.
const MODELS: &[&str] = &["Empty", "Error"];
const PARAMETER_SOURCES: &[&str] = &[
    "path",
    "querystring",
    "header",
    "multivalueheader",
    "multivaluequerystring",
];

pub(crate) fn method_not_found() -> Error {
    Error::not_found(NotFound::Method)
}

pub(crate) fn method_mut<'t>(
    tree: &'t mut [Resource],
    resource_id: &str,
    http_method: &str,
) -> Result<&'t mut Method, Error> {
    find_mut(tree, resource_id)?
        .resource_methods
        .as_mut()
        .and_then(|m| m.get_mut(http_method))
        .ok_or_else(method_not_found)
}

pub(crate) fn check_status_code(code: &str) -> Result<(), Error> {
    match status_code_problem(code) {
        Some(problem) => Err(patch::validation(vec![problem])),
        None => Ok(()),
    }
}

/// What is wrong with a status code, in a ValidationException's words, if anything: an Update
/// lists it after the problems of its operations, as AWS does.
pub(crate) fn status_code_problem(code: &str) -> Option<String> {
    let b = code.as_bytes();
    if b.len() == 3 && (b'1'..=b'5').contains(&b[0]) && b[1..].iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(format!(
        "Value '{code}' at 'statusCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [1-5]\\d\\d"
    ))
}

fn check_authorization(kind: &str, authorizer: Option<&str>) -> Result<(), Error> {
    let upper = kind.to_ascii_uppercase();
    if !AUTHORIZATION_TYPES.contains(&upper.as_str()) {
        return Err(patch::validation(vec![patch::enum_problem(
            kind,
            "authorizationType",
            AUTHORIZATION_TYPES,
        )]));
    }
    // certgate has no authorizers yet, so no authorizer id can be valid.
    if matches!(upper.as_str(), "CUSTOM" | "COGNITO_USER_POOLS") {
        let _ = authorizer;
        return Err(Error::bad_request(
            "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or COGNITO_USER_POOLS requires a valid authorizer.",
        ));
    }
    Ok(())
}

/// The source and name of `method.request.{source}.{name}`, or certgate's refusal.
pub(crate) fn method_parameter(key: &str) -> Result<(&str, &str), Error> {
    key.strip_prefix("method.request.")
        .and_then(|rest| rest.split_once('.'))
        .filter(|(source, name)| PARAMETER_SOURCES.contains(source) && !name.is_empty())
        .ok_or_else(|| {
            Error::bad_request(format!(
                "Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid mapping expression specified: {key}]"
            ))
        })
}

fn check_parameters(parameters: &BTreeMap<String, bool>) -> Result<(), Error> {
    let mut names = BTreeMap::new();
    for key in parameters.keys() {
        let (source, name) = method_parameter(key)?;
        let kind = source.trim_start_matches("multivalue");
        if names
            .insert(name.to_string(), kind.to_string())
            .is_some_and(|k| k != kind)
        {
            return Err(Error::bad_request(
                "Parameter names must be unique across querystring, header and path",
            ));
        }
    }
    Ok(())
}

fn check_models(models: &BTreeMap<String, String>) -> Result<(), Error> {
    match models.values().find(|m| !MODELS.contains(&m.as_str())) {
        Some(m) => Err(Error::bad_request(format!(
            "Invalid model identifier specified: {m}"
        ))),
        None => Ok(()),
    }
}

/// The response of `status_code` among a method's or an integration's responses, or AWS's
/// answer for a status code they do not have.
pub(crate) fn response_mut<'m, V>(
    responses: &'m mut Option<BTreeMap<String, V>>,
    status_code: &str,
) -> Result<&'m mut V, Error> {
    responses
        .as_mut()
        .and_then(|r| r.get_mut(status_code))
        .ok_or_else(|| Error::not_found(NotFound::Response))
}

/// Removes the response of `status_code`; the map is left out once empty.
pub(crate) fn remove_response<V>(
    responses: &mut Option<BTreeMap<String, V>>,
    status_code: &str,
) -> Result<(), Error> {
    response_mut(responses, status_code)?;
    if let Some(r) = responses.as_mut() {
        r.remove(status_code);
    }
    tidy(responses);
    Ok(())
}

impl Service {
    pub async fn put_method(
        &self,
        scope: &Scope,
        input: certgate_api::PutMethodRequest,
    ) -> Result<Method, Error> {
        let http = input.http_method.as_str();
        let (created, _) = self
            .change_api(scope, &input.rest_api_id, resource_not_found, |_, tree| {
                let resource = find_mut(tree, &input.resource_id)?;
                if !HTTP_METHODS.contains(&http) {
                    return Err(Error::bad_request(format!(
                        "Invalid HttpMethod specified. Valid options are {}",
                        HTTP_METHODS.join(",")
                    )));
                }
                check_authorization(&input.authorization_type, input.authorizer_id.as_deref())?;
                if let Some(p) = &input.request_parameters {
                    check_parameters(p)?;
                }
                if let Some(m) = &input.request_models {
                    check_models(m)?;
                }
                if input.request_validator_id.is_some() {
                    return Err(Error::bad_request(
                        "Invalid Request Validator identifier specified",
                    ));
                }
                let methods = resource.resource_methods.get_or_insert_with(BTreeMap::new);
                if methods.contains_key(http) {
                    return Err(Error::Conflict(
                        "Method already exists for this resource".into(),
                    ));
                }
                let method = Method {
                    http_method: Some(http.to_string()),
                    authorization_type: Some(input.authorization_type.clone()),
                    authorizer_id: None,
                    api_key_required: Some(input.api_key_required.unwrap_or(false)),
                    request_validator_id: None,
                    operation_name: input.operation_name.clone(),
                    request_parameters: input.request_parameters.clone(),
                    request_models: input.request_models.clone(),
                    method_responses: None,
                    method_integration: None,
                    authorization_scopes: input.authorization_scopes.clone(),
                };
                methods.insert(http.to_string(), method.clone());
                Ok(method)
            })
            .await?;
        Ok(created)
    }

    pub async fn get_method(
        &self,
        scope: &Scope,
        rest_api_id: &str,
        resource_id: &str,
        http_method: &str,
    ) -> Result<Method, Error> {
        let mut loaded = self
            .load_api(scope, rest_api_id, resource_not_found)
            .await?;
        Ok(method_mut(&mut loaded.tree, resource_id, http_method)?.clone())
    }

    pub async fn update_method(
        &self,
        scope: &Scope,
        input: certgate_api::UpdateMethodRequest,
    ) -> Result<Method, Error> {
        let ops = patch::from_model(input.patch_operations);
        let steps = patch::steps(&ops, "updateMethodInput")?;
        let (updated, _) = self
            .change_api(scope, &input.rest_api_id, resource_not_found, |_, tree| {
                let method = method_mut(tree, &input.resource_id, &input.http_method)?;
                for step in &steps {
                    patch_method(method, step)?;
                }
                Ok(method.clone())
            })
            .await?;
        Ok(updated)
    }

    pub async fn delete_method(
        &self,
        scope: &Scope,
        rest_api_id: &str,
        resource_id: &str,
        http_method: &str,
    ) -> Result<(), Error> {
        self.change_api(scope, rest_api_id, resource_not_found, |_, tree| {
            let resource = find_mut(tree, resource_id)?;
            let methods = resource.resource_methods.get_or_insert_with(BTreeMap::new);
            methods.remove(http_method).ok_or_else(method_not_found)?;
            tidy(&mut resource.resource_methods);
            Ok(())
        })
        .await?;
        Ok(())
    }

    pub async fn put_method_response(
        &self,
        scope: &Scope,
        input: certgate_api::PutMethodResponseRequest,
    ) -> Result<MethodResponse, Error> {
        let (created, _) = self
            .change_api(scope, &input.rest_api_id, resource_not_found, |_, tree| {
                let method = method_mut(tree, &input.resource_id, &input.http_method)?;
                check_status_code(&input.status_code)?;
                if let Some(m) = &input.response_models {
                    check_models(m)?;
                }
                let responses = method.method_responses.get_or_insert_with(BTreeMap::new);
                if responses.contains_key(&input.status_code) {
                    return Err(Error::Conflict(
                        "Response already exists for this resource".into(),
                    ));
                }
                let response = MethodResponse {
                    status_code: Some(input.status_code.clone()),
                    response_parameters: input.response_parameters.clone(),
                    response_models: input.response_models.clone(),
                };
                responses.insert(input.status_code.clone(), response.clone());
                Ok(response)
            })
            .await?;
        Ok(created)
    }

    pub async fn get_method_response(
        &self,
        scope: &Scope,
        input: certgate_api::GetMethodResponseRequest,
    ) -> Result<MethodResponse, Error> {
        let mut loaded = self
            .load_api(scope, &input.rest_api_id, resource_not_found)
            .await?;
        let method = method_mut(&mut loaded.tree, &input.resource_id, &input.http_method)?;
        check_status_code(&input.status_code)?;
        response_mut(&mut method.method_responses, &input.status_code).cloned()
    }

    pub async fn update_method_response(
        &self,
        scope: &Scope,
        input: certgate_api::UpdateMethodResponseRequest,
    ) -> Result<MethodResponse, Error> {
        let ops = patch::from_model(input.patch_operations);
        let steps = patch::steps_and(
            &ops,
            "updateMethodResponseInput",
            status_code_problem(&input.status_code),
        )?;
        let (updated, _) = self
            .change_api(scope, &input.rest_api_id, resource_not_found, |_, tree| {
                let method = method_mut(tree, &input.resource_id, &input.http_method)?;
                check_status_code(&input.status_code)?;
                let response = response_mut(&mut method.method_responses, &input.status_code)?;
                for step in &steps {
                    patch_method_response(response, step)?;
                }
                Ok(response.clone())
            })
            .await?;
        Ok(updated)
    }

    pub async fn delete_method_response(
        &self,
        scope: &Scope,
        input: certgate_api::DeleteMethodResponseRequest,
    ) -> Result<(), Error> {
        self.change_api(scope, &input.rest_api_id, resource_not_found, |_, tree| {
            let method = method_mut(tree, &input.resource_id, &input.http_method)?;
            check_status_code(&input.status_code)?;
            remove_response(&mut method.method_responses, &input.status_code)
        })
        .await?;
        Ok(())
    }
}

fn patch_method(method: &mut Method, step: &patch::Step<'_>) -> Result<(), Error> {
    let segments = step.segments();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    match segments.as_slice() {
        ["requestParameters", _] => {
            let key = step.tail();
            method_parameter(&key)?;
            let map = method.request_parameters.get_or_insert_with(BTreeMap::new);
            match step.op {
                Op::Add | Op::Replace => {
                    map.insert(key, patch::boolean(step.text()));
                }
                Op::Remove => {
                    map.remove(&key);
                }
                _ => step.only(&[Op::Add, Op::Replace, Op::Remove])?,
            }
            check_parameters(map)?;
            tidy(&mut method.request_parameters);
        }
        ["requestModels", content_type] => {
            let map = method.request_models.get_or_insert_with(BTreeMap::new);
            match step.op {
                Op::Add | Op::Replace => {
                    map.insert((*content_type).to_string(), step.text().to_string());
                    check_models(map)?;
                }
                Op::Remove => {
                    map.remove(*content_type);
                }
                _ => step.only(&[Op::Add, Op::Replace, Op::Remove])?,
            }
            tidy(&mut method.request_models);
        }
        ["operationName"] => {
            step.only(&[Op::Replace])?;
            method.operation_name = step.value.filter(|v| !v.is_empty()).map(str::to_string);
        }
        ["apiKeyRequired"] => {
            step.only(&[Op::Replace])?;
            method.api_key_required = Some(patch::boolean(step.text()));
        }
        ["authorizationType"] => {
            step.only(&[Op::Replace])?;
            check_authorization(step.text(), None)?;
            method.authorization_type = Some(step.text().to_string());
        }
        ["authorizerId"] => {
            step.only(&[Op::Replace])?;
            // Ignored while the authorization type needs no authorizer, as AWS does.
        }
        ["requestValidatorId"] => {
            step.only(&[Op::Replace])?;
            if !step.text().is_empty() {
                return Err(Error::bad_request(
                    "Invalid Request Validator identifier specified",
                ));
            }
        }
        _ => return Err(step.invalid_path()),
    }
    Ok(())
}

fn patch_method_response(
    response: &mut MethodResponse,
    step: &patch::Step<'_>,
) -> Result<(), Error> {
    let segments = step.segments();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    match segments.as_slice() {
        ["responseParameters", name] => {
            let map = response
                .response_parameters
                .get_or_insert_with(BTreeMap::new);
            match step.op {
                Op::Add => {
                    map.insert((*name).to_string(), patch::boolean(step.text()));
                }
                Op::Replace | Op::Remove => {
                    if !map.contains_key(*name) {
                        return Err(Error::NotFound("Invalid parameter name specified".into()));
                    }
                    if step.op == Op::Remove {
                        map.remove(*name);
                    } else {
                        map.insert((*name).to_string(), patch::boolean(step.text()));
                    }
                }
                _ => step.only(&[Op::Add, Op::Replace, Op::Remove])?,
            }
            tidy(&mut response.response_parameters);
        }
        ["responseModels", content_type] => {
            let map = response.response_models.get_or_insert_with(BTreeMap::new);
            match step.op {
                Op::Add => {
                    map.insert((*content_type).to_string(), step.text().to_string());
                    check_models(map)?;
                }
                Op::Replace | Op::Remove => {
                    if !map.contains_key(*content_type) {
                        return Err(Error::NotFound(
                            "Content-Type specified was not found".into(),
                        ));
                    }
                    if step.op == Op::Remove {
                        map.remove(*content_type);
                    } else {
                        map.insert((*content_type).to_string(), step.text().to_string());
                        check_models(map)?;
                    }
                }
                _ => step.only(&[Op::Add, Op::Replace, Op::Remove])?,
            }
            tidy(&mut response.response_models);
        }
        _ => return Err(step.invalid_path()),
    }
    Ok(())
}
