//! ARNs of client certificates: `arn:aws:apigateway:{region}::/clientcertificates/{id}`, with no
//! account part, exactly as API Gateway writes them.

use crate::error::Error;
use crate::model::{CertificateId, Region};

pub fn certificate_arn(region: &Region, id: &CertificateId) -> String {
    format!("arn:aws:apigateway:{region}::/clientcertificates/{id}")
}

/// The region and id an ARN names. A string that is not an API Gateway ARN is a bad request; an
/// API Gateway ARN of another kind of resource, or of an unknown certificate, is not found.
pub fn parse_certificate_arn(arn: &str) -> Result<(Region, CertificateId), Error> {
    let invalid = || Error::bad_request(format!("Invalid ARN specified in the request: '{arn}'"));
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some("apigateway"), Some(region), Some(""), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(invalid());
    };
    if !partition.starts_with("aws") {
        return Err(invalid());
    }
    let region = Region::parse(region).ok_or_else(invalid)?;
    let Some(rest) = resource.strip_prefix('/') else {
        return Err(invalid());
    };
    match rest.split_once('/') {
        Some(("clientcertificates", id)) => {
            let id = CertificateId::parse(id).ok_or_else(Error::certificate_not_found)?;
            Ok((region, id))
        }
        _ => Err(Error::NotFound(
            "Invalid resource identifier specified".to_string(),
        )),
    }
}

#[cfg(test)]
mod tests;
