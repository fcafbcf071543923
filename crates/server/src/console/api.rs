//! The console's read-only JSON, the PEM download and the test clock. Answers are plain JSON
//! (`{"message": …}` on errors): these routes are certgate's own, not AWS's, so they do not imitate
//! AWS's error shapes.

use axum::body::Body;
use axum::response::Response;
use certgate_core::expiry;
use certgate_core::{AccountId, CertificateId, Region, Scope};
use http::{header, StatusCode};
use serde_json::{json, Value};

use super::{header_value, Console};
use certgate_service::inventory::{self, Filter};

/// The most certificates one page load shows; a store with more says so (`truncated`) and the page
/// asks the user to pick an account or region.
const MAX_LISTED: usize = 1_000;

/// The most text (PEMs, descriptions, tags) one listing carries, and the rows read from the store
/// at a time: an answer, and the memory behind it, stays within a few MiB whatever the rows hold.
const MAX_LISTED_BYTES: usize = 4 * 1024 * 1024;
const LISTING_PAGE: u32 = 5;

/// The largest clock body read; `{"offsetSeconds": N}` is a few dozen bytes.
const MAX_CLOCK_BODY: usize = 4_096;

/// How long the clock's body may take to arrive.
const CLOCK_BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

fn json_response(status: StatusCode, value: &Value) -> Response {
    let mut response = Response::new(Body::from(value.to_string()));
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, header_value("application/json"));
    h.insert(header::CACHE_CONTROL, header_value("no-store"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, header_value("nosniff"));
    response
}

fn error(status: StatusCode, message: &str) -> Response {
    json_response(status, &json!({ "message": message }))
}

fn store_failed(cause: &dyn std::fmt::Display) -> Response {
    tracing::error!(%cause, "console: store read failed");
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "The certificate store could not be read.",
    )
}

/// The value of `name` in a query string. Console parameters (account ids, region names,
/// durations) never need percent-encoding, so a value that carries some is simply refused later as
/// invalid.
fn param<'a>(query: Option<&'a str>, name: &str) -> Option<&'a str> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// Answers `GET /_certgate/api/…`, or `None` for a path that is not one of its routes.
pub async fn get(console: &Console, path: &str, query: Option<&str>) -> Option<Response> {
    if path == "/_certgate/api/restapis" {
        return Some(rest_apis(console, query).await);
    }
    let rest = path.strip_prefix("/_certgate/api/certificates")?;
    if rest.is_empty() {
        return Some(list(console, query).await);
    }
    let parts: Vec<&str> = rest.strip_prefix('/')?.split('/').collect();
    match parts.as_slice() {
        [account, region, id, "pem"] => Some(pem(console, account, region, id).await),
        _ => None,
    }
}

/// The account and region a console query names, or what is wrong with it.
fn filter_of(query: Option<&str>) -> Result<Filter, &'static str> {
    let mut filter = Filter::default();
    if let Some(a) = param(query, "account") {
        match AccountId::parse(a) {
            Some(a) => filter.account = Some(a),
            None => return Err("account must be twelve digits"),
        }
    }
    if let Some(r) = param(query, "region") {
        match Region::parse(r) {
            Some(r) => filter.region = Some(r),
            None => return Err("region is not a region name"),
        }
    }
    Ok(filter)
}

/// `GET /_certgate/api/restapis?account=&region=`: each REST API with its stages and the
/// certificate each stage presents.
async fn rest_apis(console: &Console, query: Option<&str>) -> Response {
    let filter = match filter_of(query) {
        Ok(f) => f,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    let (rows, truncated) =
        match inventory::stages(console.store.as_ref(), &filter, MAX_LISTED).await {
            Ok(read) => read,
            Err(e) => return store_failed(&e),
        };
    let mut apis: Vec<Value> = Vec::new();
    for row in rows {
        let same = apis.last().is_some_and(|a| {
            a["account"] == row.scope.account.as_str()
                && a["region"] == row.scope.region.as_str()
                && a["id"] == row.api_id.as_str()
        });
        if !same {
            apis.push(json!({
                "account": row.scope.account.as_str(),
                "region": row.scope.region.as_str(),
                "id": row.api_id,
                "name": row.api_name,
                "stages": [],
            }));
        }
        if let (Some(stage), Some(api)) = (row.stage, apis.last_mut()) {
            if let Some(stages) = api["stages"].as_array_mut() {
                stages.push(json!({
                    "stage": stage,
                    "deploymentId": row.deployment_id,
                    "clientCertificateId": row.client_certificate_id,
                }));
            }
        }
    }
    json_response(
        StatusCode::OK,
        &json!({ "restApis": apis, "truncated": truncated }),
    )
}

/// `GET /_certgate/api/certificates?account=&region=&within=30d`.
async fn list(console: &Console, query: Option<&str>) -> Response {
    let filter = match filter_of(query) {
        Ok(f) => f,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    let window = match expiry::parse_duration(param(query, "within").unwrap_or("30d")) {
        Ok(w) if w >= 0 => w,
        Ok(_) => return error(StatusCode::BAD_REQUEST, "within must not be negative"),
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let read = match inventory::read_bounded(
        console.store.as_ref(),
        &filter,
        MAX_LISTED,
        MAX_LISTED_BYTES,
        LISTING_PAGE,
    )
    .await
    {
        Ok(read) => read,
        Err(e) => return store_failed(&e),
    };
    let now = console.now();
    let certificates: Vec<Value> = read
        .entries
        .iter()
        .map(|e| {
            let mut v = e.to_json(now, window);
            v["pemUrl"] = json!(format!(
                "/_certgate/api/certificates/{}/{}/{}/pem",
                e.scope.account, e.scope.region, e.certificate.id
            ));
            v
        })
        .collect();
    json_response(
        StatusCode::OK,
        &json!({
            "now": expiry::rfc3339(now),
            "nowEpoch": now,
            "clockOffsetSeconds": console.clock.offset(),
            "windowSeconds": window,
            "truncated": read.truncated,
            "certificates": certificates,
        }),
    )
}

/// `GET /_certgate/api/certificates/{account}/{region}/{id}/pem`: the certificate (never its key)
/// as a file download.
async fn pem(console: &Console, account: &str, region: &str, id: &str) -> Response {
    let (Some(account), Some(region), Some(id)) = (
        AccountId::parse(account),
        Region::parse(region),
        CertificateId::parse(id),
    ) else {
        return error(StatusCode::NOT_FOUND, "No such certificate.");
    };
    let scope = Scope { account, region };
    match console.store.get(&scope, &id).await {
        Ok(Some(certificate)) => {
            let mut response = Response::new(Body::from(certificate.pem));
            let h = response.headers_mut();
            h.insert(header::CONTENT_TYPE, header_value("application/x-pem-file"));
            // The id is six validated characters, so it is safe inside the quoted file name.
            h.insert(
                header::CONTENT_DISPOSITION,
                header_value(&format!("attachment; filename=\"{id}.pem\"")),
            );
            h.insert(header::X_CONTENT_TYPE_OPTIONS, header_value("nosniff"));
            h.insert(header::CACHE_CONTROL, header_value("no-store"));
            response
        }
        Ok(None) => error(StatusCode::NOT_FOUND, "No such certificate."),
        Err(e) => store_failed(&e),
    }
}

/// `GET /_certgate/clock`: the offset and the time it gives.
pub fn clock_state(console: &Console) -> Response {
    let now = console.now();
    json_response(
        StatusCode::OK,
        &json!({
            "offsetSeconds": console.clock.offset(),
            "now": expiry::rfc3339(now),
            "nowEpoch": now,
        }),
    )
}

/// `POST /_certgate/clock` with `{"offsetSeconds": N}`: moves the clock of the running server.
/// Certificates already issued keep their dates; what changes is when new ones are issued and how
/// close every one is judged to its expiry.
pub async fn set_clock(console: &Console, body: Body) -> Response {
    // The body is read inside a place in flight (the console's requests are small), so a client
    // that does not send it is given only a few seconds.
    let read = tokio::time::timeout(
        CLOCK_BODY_TIMEOUT,
        axum::body::to_bytes(body, MAX_CLOCK_BODY),
    );
    let bytes = match read.await {
        Ok(Ok(b)) => b,
        Err(_) => {
            return error(
                StatusCode::REQUEST_TIMEOUT,
                "The body was not received within 5 seconds.",
            )
        }
        Ok(Err(_)) => {
            return error(
                StatusCode::BAD_REQUEST,
                "The body must be at most 4096 bytes of JSON.",
            )
        }
    };
    let offset = serde_json::from_slice::<Value>(&bytes)
        .ok()
        .and_then(|v| v.get("offsetSeconds")?.as_i64());
    match offset {
        Some(n) if n.unsigned_abs() <= MAX_OFFSET.unsigned_abs() => {
            console.clock.set_offset(n);
            tracing::warn!(offset_seconds = n, "clock offset moved by /_certgate/clock");
            clock_state(console)
        }
        Some(_) => error(
            StatusCode::BAD_REQUEST,
            "offsetSeconds must be within a hundred years (3153600000 seconds) either way.",
        ),
        None => error(
            StatusCode::BAD_REQUEST,
            "The body must be a JSON object with an integer offsetSeconds, such as {\"offsetSeconds\": -30240000}.",
        ),
    }
}

/// The same bound `--clock-offset` has.
const MAX_OFFSET: i64 = 36_500 * expiry::DAY;
