//! Who is calling: the access key and the credential scope of a SigV4 request, from the
//! `Authorization` header or a presigned query string. The region of the scope selects the region's
//! state; the access key selects the account. Verifying the signature is a separate step that uses
//! the same parsed [`SigV4Credential`].

use certgate_core::{AccountId, Region, Scope};
use http::HeaderMap;

use crate::error::AwsError;

pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The parts of a SigV4 signature a verifier needs, as the client sent them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigV4Credential {
    pub access_key_id: String,
    /// `YYYYMMDD` of the credential scope.
    pub date: String,
    pub region: String,
    pub service: String,
    pub signed_headers: Vec<String>,
    pub signature: String,
    /// True when the signature came in the query string (a presigned URL).
    pub presigned: bool,
}

/// The caller of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub scope: Scope,
    /// `None` for an unsigned request, which the open mode serves as the default account in the
    /// default region.
    pub credential: Option<SigV4Credential>,
}

fn incomplete(message: impl Into<String>) -> AwsError {
    AwsError::IncompleteSignature(message.into())
}

/// Splits `AKID/20150830/us-east-1/apigateway/aws4_request`.
fn parse_credential_scope(credential: &str) -> Result<(String, String, String, String), AwsError> {
    let parts: Vec<&str> = credential.split('/').collect();
    match parts.as_slice() {
        [key, date, region, service, "aws4_request"]
            if !key.is_empty() && date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Ok((key.to_string(), date.to_string(), region.to_string(), service.to_string()))
        }
        _ => Err(incomplete(format!(
            "Credential should be of the form '<access key>/<YYYYMMDD>/<region>/<service>/aws4_request', got '{credential}'"
        ))),
    }
}

/// Parses `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
pub fn parse_authorization(value: &str) -> Result<SigV4Credential, AwsError> {
    let rest = value
        .strip_prefix(ALGORITHM)
        .filter(|r| r.starts_with(' '))
        .ok_or_else(|| {
            incomplete(format!(
                "Authorization header must use the {ALGORITHM} algorithm"
            ))
        })?;
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let Some((k, v)) = part.split_once('=') else {
            return Err(incomplete(format!(
                "Authorization header has a malformed element '{part}'"
            )));
        };
        match k {
            "Credential" => credential = Some(v),
            "SignedHeaders" => signed_headers = Some(v),
            "Signature" => signature = Some(v),
            _ => {}
        }
    }
    let missing =
        |name: &str| incomplete(format!("Authorization header requires '{name}' parameter."));
    let (credential, signed_headers, signature) = (
        credential.ok_or_else(|| missing("Credential"))?,
        signed_headers.ok_or_else(|| missing("SignedHeaders"))?,
        signature.ok_or_else(|| missing("Signature"))?,
    );
    build_credential(credential, signed_headers, signature, false)
}

fn build_credential(
    credential: &str,
    signed_headers: &str,
    signature: &str,
    presigned: bool,
) -> Result<SigV4Credential, AwsError> {
    let (access_key_id, date, region, service) = parse_credential_scope(credential)?;
    Ok(SigV4Credential {
        access_key_id,
        date,
        region,
        service,
        signed_headers: signed_headers.split(';').map(str::to_string).collect(),
        signature: signature.to_string(),
        presigned,
    })
}

/// Parses the `X-Amz-*` parameters of a presigned URL, if the query has them.
fn parse_presigned(query: &str) -> Option<Result<SigV4Credential, AwsError>> {
    let mut credential = None;
    let (mut algorithm, mut signed_headers, mut signature) = (None, None, None);
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        match k.as_ref() {
            "X-Amz-Algorithm" => algorithm = Some(v.into_owned()),
            "X-Amz-Credential" => credential = Some(v.into_owned()),
            "X-Amz-SignedHeaders" => signed_headers = Some(v.into_owned()),
            "X-Amz-Signature" => signature = Some(v.into_owned()),
            _ => {}
        }
    }
    let credential = credential?;
    Some((|| {
        if algorithm.as_deref() != Some(ALGORITHM) {
            return Err(incomplete(format!("X-Amz-Algorithm must be {ALGORITHM}")));
        }
        let missing = |name: &str| {
            incomplete(format!(
                "Presigned request requires the '{name}' parameter."
            ))
        };
        let signed_headers = signed_headers.ok_or_else(|| missing("X-Amz-SignedHeaders"))?;
        let signature = signature.ok_or_else(|| missing("X-Amz-Signature"))?;
        build_credential(&credential, &signed_headers, &signature, true)
    })())
}

/// The caller of a request: the account its access key stands for and the region its credential
/// is scoped to. An unsigned request is the default account in `us-east-1`.
pub fn caller(headers: &HeaderMap, query: Option<&str>) -> Result<Caller, AwsError> {
    let credential = match headers.get(http::header::AUTHORIZATION) {
        Some(value) => {
            let value = value.to_str().map_err(|_| {
                incomplete("Authorization header contains characters that are not visible ASCII")
            })?;
            Some(parse_authorization(value)?)
        }
        None => query.and_then(parse_presigned).transpose()?,
    };
    let Some(credential) = credential else {
        return Ok(Caller {
            scope: Scope {
                account: AccountId::for_access_key(""),
                region: Region::default_region(),
            },
            credential: None,
        });
    };
    let region = Region::parse(&credential.region).ok_or_else(|| {
        incomplete(format!(
            "Credential should be scoped to a valid region, not '{}'.",
            credential.region
        ))
    })?;
    Ok(Caller {
        scope: Scope {
            account: AccountId::for_access_key(&credential.access_key_id),
            region,
        },
        credential: Some(credential),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(auth: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(http::header::AUTHORIZATION, auth.parse().unwrap());
        h
    }

    const BOTO: &str = "AWS4-HMAC-SHA256 Credential=123456789012/20261128/eu-west-1/apigateway/aws4_request, SignedHeaders=accept;host;x-amz-date, Signature=abcdef0123";

    #[test]
    fn scope_from_authorization_header() {
        let c = caller(&headers(BOTO), None).unwrap();
        assert_eq!(c.scope.account.as_str(), "123456789012");
        assert_eq!(c.scope.region.as_str(), "eu-west-1");
        let cred = c.credential.unwrap();
        assert_eq!(cred.signed_headers, ["accept", "host", "x-amz-date"]);
        assert_eq!(cred.signature, "abcdef0123");
        assert_eq!(cred.service, "apigateway");
    }

    #[test]
    fn other_keys_are_the_default_account() {
        let auth = BOTO.replace("123456789012", "AKIAIOSFODNN7EXAMPLE");
        let c = caller(&headers(&auth), None).unwrap();
        assert_eq!(c.scope.account.as_str(), "000000000000");
    }

    #[test]
    fn unsigned_is_default_account_and_region() {
        let c = caller(&HeaderMap::new(), Some("limit=5")).unwrap();
        assert_eq!(
            (c.scope.account.as_str(), c.scope.region.as_str()),
            ("000000000000", "us-east-1")
        );
        assert!(c.credential.is_none());
    }

    #[test]
    fn presigned_query() {
        let q = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=111111111111%2F20261128%2Fap-south-1%2Fapigateway%2Faws4_request&X-Amz-Date=20261128T000000Z&X-Amz-SignedHeaders=host&X-Amz-Signature=ff";
        let c = caller(&HeaderMap::new(), Some(q)).unwrap();
        assert_eq!(c.scope.region.as_str(), "ap-south-1");
        assert_eq!(c.scope.account.as_str(), "111111111111");
        assert!(c.credential.unwrap().presigned);
    }

    #[test]
    fn malformed_is_refused() {
        for bad in [
            "Basic dXNlcjpwYXNz",
            "AWS4-HMAC-SHA256",
            "AWS4-HMAC-SHA256Credential=a/20261128/us-east-1/apigateway/aws4_request, SignedHeaders=host, Signature=x",
            "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=x",
            "AWS4-HMAC-SHA256 Credential=a/20261128/us-east-1/apigateway/aws4_request, Signature=x",
            "AWS4-HMAC-SHA256 Credential=a/2026/us-east-1/apigateway/aws4_request, SignedHeaders=host, Signature=x",
            "AWS4-HMAC-SHA256 Credential=a/20261128/US_EAST/apigateway/aws4_request, SignedHeaders=host, Signature=x",
            "AWS4-HMAC-SHA256 Credential=/20261128/us-east-1/apigateway/aws4_request, SignedHeaders=host, Signature=x",
            "AWS4-HMAC-SHA256 Credential=a/20261128/us-east-1/apigateway, SignedHeaders=host, Signature=x",
            "AWS4-HMAC-SHA256 garbage",
        ] {
            let err = caller(&headers(bad), None).unwrap_err();
            assert_eq!(err.code(), "IncompleteSignatureException", "{bad}");
        }
    }
}
