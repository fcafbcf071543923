//! SigV4: any Authorization header, X-Amz-Date, Date, payload-hash header, query string (presigned
//! or not), path and body go through `certgate_wire::caller` and `sigv4::verify` with a fixed secret
//! and a fixed server time, and come back as a caller or an AWS error, never a panic.
//!
//! Half the inputs are also signed the way a client signs them (header or presigned URL), from the
//! fuzzer's path, query, body, region, extra header and time offset: such a request must verify,
//! and must stop verifying once its body or its signature changes. Without that, random bytes
//! would almost never get past the credential parser into the canonical request.
#![no_main]

use certgate_core::SecretBytes;
use certgate_wire::sigv4::{
    self, canonical_headers, canonical_query, canonical_request, canonical_uri, format_amz_date,
    sha256_hex, signature, signing_key, string_to_sign, RawRequest, SERVICE, UNSIGNED_PAYLOAD,
};
use http::{HeaderMap, HeaderName, HeaderValue};
use libfuzzer_sys::fuzz_target;

/// 2015-08-30T12:36:00Z, the time of AWS's test suite.
const NOW: i64 = 1_440_938_160;
const KEY: &str = "AKIDEXAMPLE";

fn secret() -> SecretBytes {
    SecretBytes::new(b"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".to_vec())
}

fn text(bytes: Option<&[u8]>) -> Option<String> {
    bytes.map(|b| String::from_utf8_lossy(b).into_owned())
}

/// Adds a header when its name and value are valid on the wire; the HTTP layer refuses the rest
/// before certgate sees them.
fn put(headers: &mut HeaderMap, name: &[u8], value: &[u8]) {
    if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(name), HeaderValue::from_bytes(value)) {
        headers.append(n, v);
    }
}

/// Parses the caller and verifies whatever credential it carries; the result of verify.
fn check(
    method: &str,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Option<Result<(), certgate_wire::AwsError>> {
    let caller = certgate_wire::caller(headers, query).ok()?;
    let cred = caller.credential?;
    let req = RawRequest {
        method,
        path,
        query,
        authority: Some("example.amazonaws.com"),
        headers,
        body,
    };
    // Another service's scope goes the same way, so the parsing after the scope check runs too.
    let _ = sigv4::verify_for_service(&req, &cred, &secret(), NOW, &cred.service);
    Some(sigv4::verify(&req, &cred, &secret(), NOW))
}

/// Every field arbitrary: what a hostile client sends.
fn raw(selector: u8, fields: &[&[u8]]) {
    let field = |i: usize| fields.get(i).copied();
    let method = ["GET", "POST", "PATCH", "DELETE"][selector as usize % 4];
    let path = text(field(0)).unwrap_or_default();
    let query = text(field(1));
    let body = field(7).unwrap_or_default();
    let mut headers = HeaderMap::new();
    for (i, name) in [
        "authorization",
        "x-amz-date",
        "date",
        "x-amz-content-sha256",
        "host",
    ]
    .iter()
    .enumerate()
    {
        if let Some(v) = field(2 + i) {
            put(&mut headers, name.as_bytes(), v);
        }
    }
    for extra in fields.iter().skip(8) {
        if let Some(colon) = extra.iter().position(|&b| b == b':') {
            put(&mut headers, &extra[..colon], &extra[colon + 1..]);
        }
    }
    let _ = check(method, &path, query.as_deref(), &headers, body);
}

/// True when a query already carries presigning parameters, which would stand in for ours.
fn has_amz_params(query: &str) -> bool {
    form_urlencoded::parse(query.as_bytes()).any(|(k, _)| k.starts_with("X-Amz-"))
}

/// A request signed with the secret, as an SDK would: it verifies, and a changed one does not.
fn signed(selector: u8, fields: &[&[u8]]) {
    let field = |i: usize| fields.get(i).copied();
    let method = ["GET", "POST", "PATCH", "DELETE"][selector as usize % 4];
    let presigned = selector & 0x10 != 0;
    let unsigned_payload = selector & 0x20 != 0;
    let path = text(field(0)).unwrap_or_default();
    let mut query = text(field(1)).unwrap_or_default();
    // A region the fuzzer makes up rarely exists, so most inputs take a real one.
    let region = match text(field(2)) {
        Some(r) if selector & 0x40 != 0 => r,
        _ => ["us-east-1", "eu-west-1", "ap-southeast-2"][selector as usize % 3].to_string(),
    };
    let offset = field(3)
        .and_then(|b| b.first().copied())
        .map_or(0, |b| (i64::from(b) - 128) * 7);
    let body = field(4).unwrap_or_default();
    if presigned && has_amz_params(&query) {
        return;
    }
    let amz_date = format_amz_date(NOW + offset);
    let day = &amz_date[..8];
    let mut headers = HeaderMap::new();
    put(&mut headers, b"host", b"example.amazonaws.com");
    let mut names = vec!["host".to_string()];
    if let Some(extra) = field(5) {
        if let Some(colon) = extra.iter().position(|&b| b == b':') {
            let name = String::from_utf8_lossy(&extra[..colon]).to_ascii_lowercase();
            // The headers the signature itself is made of stay the signer's own.
            let own = name == "host" || name == "authorization" || name.starts_with("x-amz-");
            if !own && HeaderName::from_bytes(name.as_bytes()).is_ok() {
                put(&mut headers, name.as_bytes(), &extra[colon + 1..]);
                if headers.contains_key(name.as_str()) {
                    names.push(name);
                }
            }
        }
    }
    let credential = format!("{KEY}/{day}/{region}/{SERVICE}/aws4_request");
    if !presigned {
        put(&mut headers, b"x-amz-date", amz_date.as_bytes());
        names.push("x-amz-date".into());
    }
    if unsigned_payload {
        put(
            &mut headers,
            b"x-amz-content-sha256",
            UNSIGNED_PAYLOAD.as_bytes(),
        );
        names.push("x-amz-content-sha256".into());
    }
    names.sort();
    names.dedup();
    let signed_headers = names.join(";");
    if presigned {
        let mut params = form_urlencoded::Serializer::new(String::new());
        params
            .append_pair("X-Amz-Algorithm", "AWS4-HMAC-SHA256")
            .append_pair("X-Amz-Credential", &credential)
            .append_pair("X-Amz-Date", &amz_date)
            .append_pair("X-Amz-Expires", "900")
            .append_pair("X-Amz-SignedHeaders", &signed_headers);
        let params = params.finish();
        query = if query.is_empty() {
            params
        } else {
            format!("{query}&{params}")
        };
    }
    let payload = if unsigned_payload {
        UNSIGNED_PAYLOAD.to_string()
    } else {
        sha256_hex(body)
    };
    let Ok(canonical) = canonical_headers(&headers, None, &names) else {
        return;
    };
    let creq = canonical_request(
        method,
        &canonical_uri(&path),
        &canonical_query(Some(&query)),
        &canonical,
        &names,
        &payload,
    );
    let key = signing_key(&secret(), day, &region, SERVICE);
    let scope = format!("{day}/{region}/{SERVICE}/aws4_request");
    let sig = signature(&key, &string_to_sign(&amz_date, &scope, &creq));
    let wrong = format!(
        "{}{}",
        &sig[..63],
        if sig.ends_with('0') { '1' } else { '0' }
    );
    let sign = |headers: &mut HeaderMap, query: &mut String, sig: &str| {
        if presigned {
            query.push_str("&X-Amz-Signature=");
            query.push_str(sig);
        } else {
            let auth = format!(
                "AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders={signed_headers}, Signature={sig}"
            );
            put(headers, b"authorization", auth.as_bytes());
        }
    };
    let (mut good_headers, mut good_query) = (headers.clone(), query.clone());
    sign(&mut good_headers, &mut good_query, &sig);
    let query_of = |q: &str| (!q.is_empty()).then(|| q.to_string());
    let verdict = check(
        method,
        &path,
        query_of(&good_query).as_deref(),
        &good_headers,
        body,
    );
    // The caller parser refuses a region that does not exist (or a scope it cannot split, for a
    // region holding '/'); only a request that gets past it must verify.
    let Some(verdict) = verdict else {
        return;
    };
    assert!(
        verdict.is_ok(),
        "a correctly signed request was refused: {verdict:?}"
    );
    let (mut bad_headers, mut bad_query) = (headers, query);
    sign(&mut bad_headers, &mut bad_query, &wrong);
    let bad = check(
        method,
        &path,
        query_of(&bad_query).as_deref(),
        &bad_headers,
        body,
    );
    assert!(matches!(bad, Some(Err(_))), "a wrong signature verified");
    if !unsigned_payload {
        let mut other = body.to_vec();
        other.push(b'x');
        let changed = check(
            method,
            &path,
            query_of(&good_query).as_deref(),
            &good_headers,
            &other,
        );
        // A presigned URL may also be signed over UNSIGNED-PAYLOAD, which no body matches here.
        assert!(matches!(changed, Some(Err(_))), "a changed body verified");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    // Fields are separated by newlines, which no header value, path or query can hold.
    let fields: Vec<&[u8]> = rest.split(|&b| b == b'\n').collect();
    if selector & 1 == 0 {
        raw(selector >> 1, &fields);
    } else {
        signed(selector >> 1, &fields);
    }
});
