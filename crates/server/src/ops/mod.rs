//! certgate's own endpoints beside the API: `GET /_certgate/health`, `GET /_certgate/openapi.json`
//! and `GET /metrics`, plus the record every request leaves (one log line and its metrics). The
//! server asks [`Endpoint::route`] first; whatever it does not claim goes on to the AWS API, so the
//! API's paths and error shapes stay untouched.

pub mod access;
pub mod health;
pub mod invokes;
pub mod metrics;
pub mod openapi;

use bytes::Bytes;
use http::{Method, StatusCode};

use certgate_store::{Scan, ScopedExpiry, StoreError};
use metrics::ExpiryCounts;

use certgate_service::Service;

/// One of the endpoints this module answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Health,
    OpenApi,
    Metrics,
}

impl Endpoint {
    /// The endpoint a request is for, if it is one of ours. Only GET is claimed: anything else on
    /// these paths is not an operation, and the API answers that in its usual shape.
    pub fn route(method: &Method, path: &str) -> Option<Endpoint> {
        if *method != Method::GET {
            return None;
        }
        match path {
            "/_certgate/health" => Some(Endpoint::Health),
            "/_certgate/openapi.json" => Some(Endpoint::OpenApi),
            "/metrics" => Some(Endpoint::Metrics),
            _ => None,
        }
    }

    /// The name the request is logged and counted under.
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::Health => "Health",
            Endpoint::OpenApi => "OpenApi",
            Endpoint::Metrics => "Metrics",
        }
    }

    pub async fn answer(
        self,
        service: &Service,
        metrics: &metrics::Metrics,
        probe: &health::WriteProbe,
        request_id: &str,
    ) -> http::Response<Bytes> {
        match self {
            Endpoint::Health => {
                let (healthy, report) = health::report(service, metrics, probe).await;
                let status = if healthy {
                    StatusCode::OK
                } else {
                    StatusCode::SERVICE_UNAVAILABLE
                };
                json(status, &report, request_id)
            }
            Endpoint::OpenApi => response(
                StatusCode::OK,
                "application/json",
                Bytes::from_static(openapi::DOCUMENT.as_bytes()),
                request_id,
            ),
            Endpoint::Metrics => match metrics_text(service, metrics).await {
                Ok(text) => response(
                    StatusCode::OK,
                    metrics::CONTENT_TYPE,
                    Bytes::from(text),
                    request_id,
                ),
                Err(cause) => {
                    tracing::error!(request_id, %cause, "metrics scrape failed");
                    let body =
                        serde_json::json!({ "message": "The metrics could not be collected." });
                    json(StatusCode::SERVICE_UNAVAILABLE, &body, request_id)
                }
            },
        }
    }
}

/// Counts every stored certificate by expiry bucket, page by page through the store's expiry scan
/// (which reads only each row's key and expiry: no description, PEM or private key). This runs once per scrape and reads each certificate once; a
/// scrape every 15 s over even 100,000 certificates is a small fraction of one core.
async fn expiry_counts(service: &Service) -> Result<ExpiryCounts, StoreError> {
    let now = service.now();
    let mut counts = ExpiryCounts::default();
    let mut scan = Scan::<ScopedExpiry>::new();
    while let Some(page) = scan.next_page(service.store().as_ref()).await? {
        for record in &page {
            counts.add(now, record.expires);
        }
    }
    Ok(counts)
}

async fn metrics_text(service: &Service, metrics: &metrics::Metrics) -> Result<String, String> {
    let counts = expiry_counts(service).await.map_err(|e| e.to_string())?;
    metrics.set_expiry_counts(&counts);
    metrics.encode().map_err(|e| e.to_string())
}

fn json(
    status: StatusCode,
    value: &impl serde::Serialize,
    request_id: &str,
) -> http::Response<Bytes> {
    // Serialising our own plain structs cannot fail; an empty object is still valid JSON if it did.
    let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    response(status, "application/json", Bytes::from(body), request_id)
}

fn response(
    status: StatusCode,
    content_type: &'static str,
    body: Bytes,
    request_id: &str,
) -> http::Response<Bytes> {
    let mut response = http::Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(content_type),
    );
    // Health checks and scrapes must see the present, never a cached answer.
    headers.insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-store"),
    );
    if let Ok(id) = http::HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-RequestId", id);
    }
    response
}
