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
    // A parameter given twice is refused: the parser here and the verifier must never read
    // different copies of one parameter.
    let mut repeated = None;
    let mut seen = Vec::new();
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        let slot = match k.as_ref() {
            "X-Amz-Algorithm" => &mut algorithm,
            "X-Amz-Credential" => &mut credential,
            "X-Amz-SignedHeaders" => &mut signed_headers,
            "X-Amz-Signature" => &mut signature,
            "X-Amz-Date" | "X-Amz-Expires" => {
                if seen.contains(&k) {
                    repeated = Some(k.into_owned());
                } else {
                    seen.push(k);
                }
                continue;
            }
            _ => continue,
        };
        if slot.is_some() {
            repeated = Some(k.into_owned());
        }
        *slot = Some(v.into_owned());
    }
    let credential = credential?;
    Some((|| {
        if let Some(name) = repeated {
            return Err(incomplete(format!(
                "The presigned request gives the '{name}' parameter more than once."
            )));
        }
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
mod tests;
