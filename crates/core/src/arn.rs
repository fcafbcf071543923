//! ARNs of API Gateway resources: `arn:aws:apigateway:{region}::/clientcertificates/{id}`,
//! `::/restapis/{id}` and `::/restapis/{id}/stages/{name}`, with no account part, exactly as API
//! Gateway writes them. These are the resources TagResource, UntagResource and GetTags accept.

use std::fmt;

use crate::error::Error;
use crate::model::{CertificateId, Region};

/// The ARN partition of the resources certgate serves: AWS's standard regions.
pub const PARTITION: &str = "aws";

pub fn certificate_arn(region: &Region, id: &CertificateId) -> String {
    format!("arn:aws:apigateway:{region}::/clientcertificates/{id}")
}

/// A taggable resource, named by its ARN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResourceArn {
    ClientCertificate {
        region: Region,
        id: CertificateId,
    },
    RestApi {
        region: Region,
        rest_api_id: String,
    },
    Stage {
        region: Region,
        rest_api_id: String,
        stage_name: String,
    },
}

/// The text AWS answers for an API Gateway ARN of a resource that cannot be tagged.
const NOT_TAGGABLE: &str = "Invalid resource identifier specified";

impl ResourceArn {
    /// The resource an ARN names. A string that is not an API Gateway ARN is a bad request; an
    /// API Gateway ARN of a resource that cannot be tagged, or a certificate id that cannot exist,
    /// is not found.
    pub fn parse(arn: &str) -> Result<Self, Error> {
        let invalid =
            || Error::bad_request(format!("Invalid ARN specified in the request: '{arn}'"));
        let mut parts = arn.splitn(6, ':');
        let (
            Some("arn"),
            Some(partition),
            Some("apigateway"),
            Some(region),
            Some(""),
            Some(resource),
        ) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        )
        else {
            return Err(invalid());
        };
        // Only the partition certgate serves: `aws-cn` or `aws-us-gov` resources are not here, and a
        // prefix test would have let `arn:awsfoo:` name this partition's certificates.
        if partition != PARTITION {
            return Err(invalid());
        }
        let region = Region::parse(region).ok_or_else(invalid)?;
        let Some(rest) = resource.strip_prefix('/') else {
            return Err(invalid());
        };
        let not_taggable = || Error::NotFound(NOT_TAGGABLE.to_string());
        let segment = |s: &str| !s.is_empty() && !s.contains('/');
        match rest.split_once('/') {
            // Everything after the kind is the id, so `9ao60f/extra` is an unknown certificate,
            // as it always was.
            Some(("clientcertificates", id)) => {
                let id = CertificateId::parse(id).ok_or_else(Error::certificate_not_found)?;
                Ok(ResourceArn::ClientCertificate { region, id })
            }
            Some(("restapis", tail)) => {
                let mut tail = tail.split('/');
                match (tail.next(), tail.next(), tail.next(), tail.next()) {
                    (Some(api), None, None, None) if segment(api) => Ok(ResourceArn::RestApi {
                        region,
                        rest_api_id: api.to_string(),
                    }),
                    (Some(api), Some("stages"), Some(stage), None)
                        if segment(api) && segment(stage) =>
                    {
                        Ok(ResourceArn::Stage {
                            region,
                            rest_api_id: api.to_string(),
                            stage_name: stage.to_string(),
                        })
                    }
                    _ => Err(not_taggable()),
                }
            }
            _ => Err(not_taggable()),
        }
    }

    pub fn region(&self) -> &Region {
        match self {
            ResourceArn::ClientCertificate { region, .. }
            | ResourceArn::RestApi { region, .. }
            | ResourceArn::Stage { region, .. } => region,
        }
    }
}

impl fmt::Display for ResourceArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResourceArn::ClientCertificate { region, id } => {
                write!(f, "arn:aws:apigateway:{region}::/clientcertificates/{id}")
            }
            ResourceArn::RestApi {
                region,
                rest_api_id,
            } => write!(f, "arn:aws:apigateway:{region}::/restapis/{rest_api_id}"),
            ResourceArn::Stage {
                region,
                rest_api_id,
                stage_name,
            } => write!(
                f,
                "arn:aws:apigateway:{region}::/restapis/{rest_api_id}/stages/{stage_name}"
            ),
        }
    }
}

/// The region and id a certificate ARN names: [`ResourceArn::parse`]'s answers, with any other
/// taggable resource answered as not taggable, as before REST APIs and stages were tag targets.
pub fn parse_certificate_arn(arn: &str) -> Result<(Region, CertificateId), Error> {
    match ResourceArn::parse(arn)? {
        ResourceArn::ClientCertificate { region, id } => Ok((region, id)),
        _ => Err(Error::NotFound(NOT_TAGGABLE.to_string())),
    }
}

#[cfg(test)]
mod tests;
