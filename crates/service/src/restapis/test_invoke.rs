//! TestInvokeMethod: the method's current integration run once through the data plane, as the
//! console's Test button does, with the caller's path, headers, body, stage variables and client
//! certificate.

use certgate_api::{TestInvokeMethodRequest, TestInvokeMethodResponse};
use certgate_core::{Error, NotFound, Scope};
use certgate_proxy::test_invoke::{TestError, TestRequest};
use http::{HeaderName, HeaderValue};

use super::methods::method_mut;
use super::tree::resource_not_found;
use crate::Service;

/// The caller's headers as a header map: a name or value HTTP cannot carry is a bad request.
fn headers(input: &TestInvokeMethodRequest) -> Result<http::HeaderMap, Error> {
    let mut map = http::HeaderMap::new();
    let single = input
        .headers
        .iter()
        .flatten()
        .map(|(k, v)| (k, std::slice::from_ref(v)));
    let multi = input
        .multi_value_headers
        .iter()
        .flatten()
        .map(|(k, v)| (k, v.as_slice()));
    for (name, values) in single.chain(multi) {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| Error::BadRequest(format!("Invalid header name: {name}")))?;
        for value in values {
            let value = HeaderValue::from_str(value)
                .map_err(|_| Error::BadRequest(format!("Invalid value of header {name}")))?;
            map.append(name.clone(), value);
        }
    }
    Ok(map)
}

/// A header's name as AWS writes it in TestInvokeMethod's answer, each word capitalised
/// (`Content-Type`): HTTP's header maps keep names in lower case.
fn canonical(name: &str) -> String {
    name.split('-')
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

impl Service {
    pub async fn test_invoke_method(
        &self,
        scope: &Scope,
        input: TestInvokeMethodRequest,
    ) -> Result<TestInvokeMethodResponse, Error> {
        let mut loaded = self
            .load_api(scope, &input.rest_api_id, resource_not_found)
            .await?;
        method_mut(&mut loaded.tree, &input.resource_id, &input.http_method)?;
        let data_plane = self
            .data_plane
            .as_ref()
            .ok_or_else(|| Error::internal("this service has no data plane to test with"))?;
        let request = TestRequest {
            path_with_query: input.path_with_query_string.clone().unwrap_or_default(),
            headers: headers(&input)?,
            body: input.body.clone().unwrap_or_default().into(),
            certificate_id: input
                .client_certificate_id
                .clone()
                .filter(|c| !c.is_empty()),
            stage_variables: input.stage_variables.clone().unwrap_or_default(),
        };
        let request_id = self.ids.request_id();
        let outcome = data_plane
            .test_invoke(
                scope,
                &input.rest_api_id,
                &loaded.tree,
                &input.resource_id,
                &input.http_method,
                request,
                &request_id,
            )
            .await
            .map_err(|e| match e {
                TestError::NoRoute => Error::BadRequest(format!(
                    "Invalid path {} for the resource",
                    input.path_with_query_string.as_deref().unwrap_or("")
                )),
                TestError::Certificate(cause) => {
                    tracing::info!(cause, "TestInvokeMethod's certificate");
                    Error::not_found(NotFound::ClientCertificate)
                }
            })?;
        let mut single = std::collections::BTreeMap::new();
        let mut multi: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for (name, value) in &outcome.headers {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            let name = canonical(name.as_str());
            single.insert(name.clone(), value.clone());
            multi.entry(name).or_default().push(value);
        }
        Ok(TestInvokeMethodResponse {
            status: Some(i32::from(outcome.status)),
            body: Some(String::from_utf8_lossy(&outcome.body).into_owned()),
            headers: Some(single),
            multi_value_headers: Some(multi),
            log: Some(outcome.log),
            latency: Some(outcome.latency.as_millis() as i64),
        })
    }
}
