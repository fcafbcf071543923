//! TestInvokeMethod, the console's Test button: one request through a method's current
//! integration (the API's tree as it is now, not a deployment), with the stage variables and the
//! client certificate the caller names, answered with what came back and an execution log in the
//! manner of API Gateway's.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use certgate_core::Scope;
use http::HeaderMap;

use crate::invoke::{DataPlane, Invoked};
use crate::plan::Context;
use crate::route::{Found, Router};
use crate::Inbound;

/// What the caller asks TestInvokeMethod to send.
#[derive(Debug, Clone, Default)]
pub struct TestRequest {
    /// The path and query the request would have had, `/pets/1?x=y` (the resource's own path
    /// when empty).
    pub path_with_query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub certificate_id: Option<String>,
    pub stage_variables: BTreeMap<String, String>,
}

/// What the integration answered.
#[derive(Debug, Clone)]
pub struct TestOutcome {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub log: String,
    pub latency: Duration,
}

/// Why the request could not be run at all (the caller's mistake, not the integration's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TestError {
    /// The resource has no such method, or the path does not fit the resource's template.
    NoRoute,
    /// The client certificate cannot be presented (it does not exist, say).
    Certificate(String),
}

impl DataPlane {
    /// Runs the method `http_method` of the resource `resource_id` of `resources` (an API's tree).
    #[allow(clippy::too_many_arguments)]
    pub async fn test_invoke(
        &self,
        scope: &Scope,
        api_id: &str,
        resources: &[certgate_api::Resource],
        resource_id: &str,
        http_method: &str,
        request: TestRequest,
        request_id: &str,
    ) -> Result<TestOutcome, TestError> {
        let started = Instant::now();
        let router = Router::compile(resources);
        let resource = resources
            .iter()
            .find(|r| r.id.as_deref() == Some(resource_id))
            .ok_or(TestError::NoRoute)?;
        let (path, query) = match request.path_with_query.split_once('?') {
            Some((path, query)) => (path.to_string(), Some(query.to_string())),
            None => (request.path_with_query.clone(), None),
        };
        // No path: the resource's own, which fits only a resource without path parameters.
        let path = if path.is_empty() {
            resource.path.clone().ok_or(TestError::NoRoute)?
        } else {
            path
        };
        // A path that does not fit the resource's template still runs its method, with no path
        // parameters (AWS's recorded answer: a 200 with the parameters left empty).
        let found = match router
            .find_resource(resource_id, &path)
            .and_then(|located| located.with_method(http_method))
        {
            Ok(found) => found,
            Err(_) => {
                let (method_key, method) = resource
                    .resource_methods
                    .as_ref()
                    .and_then(|m| m.get_key_value(http_method))
                    .ok_or(TestError::NoRoute)?;
                Found {
                    resource_id,
                    resource_path: resource.path.as_deref().unwrap_or("/"),
                    method_key,
                    method,
                    path_params: Vec::new(),
                }
            }
        };
        let identity = match &request.certificate_id {
            Some(id) => Some(Arc::new(
                self.identity(scope, id)
                    .await
                    .map_err(TestError::Certificate)?,
            )),
            None => None,
        };
        let method = http::Method::from_bytes(http_method.as_bytes())
            .ok()
            .filter(|_| http_method != "ANY")
            .unwrap_or(http::Method::GET);
        let inbound = Inbound {
            method: method.clone(),
            path: path.clone(),
            query: query.clone(),
            headers: request.headers,
            body: request.body,
            source_ip: None,
        };
        let trace_id = crate::invoke::trace_root(request_id, self.now());
        let context = Context {
            api_id,
            stage: "test-invoke-stage",
            stage_variables: &request.stage_variables,
            request_id,
            trace_id: &trace_id,
        };
        let mut invoked = Invoked {
            api_id: api_id.to_string(),
            stage: "test-invoke-stage".into(),
            known: true,
            ..Invoked::default()
        };
        let presented = self.presented(api_id, "test-invoke-stage", identity.as_deref());
        let pool = self.upstreams();
        let reply = self
            .execute(
                &found,
                &inbound,
                &context,
                &mut invoked,
                presented,
                |insecure| Ok(pool.client(identity.clone(), insecure)),
            )
            .await;
        let latency = started.elapsed();
        let mut log = String::new();
        let _ = writeln!(log, "Execution log for request {request_id}");
        let _ = writeln!(log, "Starting execution for request: {request_id}");
        // The path tested, as AWS's log names it (the template only when none was given).
        let _ = writeln!(log, "HTTP Method: {method}, Resource Path: {path}");
        let params: Vec<String> = found
            .path_params
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let _ = writeln!(log, "Method request path: {{{}}}", params.join(", "));
        let _ = writeln!(
            log,
            "Method request query string: {{{}}}",
            query.unwrap_or_default()
        );
        if let Some(uri) = &invoked.backend_uri {
            let _ = writeln!(log, "Endpoint request URI: {uri}");
            match &invoked.certificate {
                Some(c) => {
                    let _ = writeln!(log, "Client certificate offered: {}", c.certificate_id);
                }
                None => {
                    let _ = writeln!(log, "No client certificate offered");
                }
            }
        }
        if let Some(status) = invoked.backend_status {
            let _ = writeln!(log, "Endpoint response status: {status}");
        }
        if let Some(cause) = &invoked.cause {
            let _ = writeln!(log, "Execution failed: {cause}");
        }
        let _ = writeln!(log, "Method completed with status: {}", reply.status);
        if let Some(cause) = &invoked.cause {
            tracing::info!(request_id, api = api_id, cause, "TestInvokeMethod failed");
        }
        Ok(TestOutcome {
            status: reply.status,
            headers: reply.headers,
            body: reply.body,
            log,
            latency,
        })
    }
}
