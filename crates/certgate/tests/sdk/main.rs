//! certgate through the AWS SDK for Rust: every operation of the client-certificate API, called
//! the way real clients call it, against an in-process server over a fresh SQLite file (and, for
//! durability and signals, against the real binary).

#[macro_use]
mod common;
mod test_store;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use aws_sdk_apigateway::operation::delete_client_certificate::DeleteClientCertificateError;
use aws_sdk_apigateway::operation::generate_client_certificate::GenerateClientCertificateError;
use aws_sdk_apigateway::operation::get_client_certificate::GetClientCertificateError;
use aws_sdk_apigateway::operation::get_client_certificates::GetClientCertificatesError;
use aws_sdk_apigateway::operation::get_tags::GetTagsError;
use aws_sdk_apigateway::operation::tag_resource::TagResourceError;
use aws_sdk_apigateway::operation::untag_resource::UntagResourceError;
use aws_sdk_apigateway::operation::update_client_certificate::UpdateClientCertificateError;
use aws_sdk_apigateway::types::{Op, PatchOperation};
use aws_sdk_apigateway::Client;
use common::{arn, generate, generate_many, get, list_ids, map, tags_of, Server, EPOCH, VALIDITY};
use x509_parser::oid_registry::{OID_PKCS1_RSAENCRYPTION, OID_PKCS1_SHA256WITHRSA};
use x509_parser::prelude::*;
use x509_parser::public_key::PublicKey;

const NOT_FOUND: &str = "Invalid Client Certificate identifier specified";
const AWS_PREFIX: &str = "Invalid tag key. Tag keys cannot start with 'aws:' (case insensitive)";

/// Unwraps the service error of a failed call and checks that it is `$variant`, optionally with
/// exactly `$message`; evaluates to the modelled exception.
macro_rules! service_error {
    ($result:expr, $variant:path) => {{
        let err = $result.expect_err(concat!("expected ", stringify!($variant)));
        match err.into_service_error() {
            $variant(e) => e,
            other => panic!("expected {}, got {other:?}", stringify!($variant)),
        }
    }};
    ($result:expr, $variant:path, $message:expr) => {{
        let e = service_error!($result, $variant);
        assert_eq!(
            e.message(),
            Some($message),
            "message of {}",
            stringify!($variant)
        );
        e
    }};
}

fn is_client_certificate_id(id: &str) -> bool {
    id.len() == 6
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

fn replace_description(value: &str) -> PatchOperation {
    PatchOperation::builder()
        .op(Op::Replace)
        .path("/description")
        .value(value)
        .build()
}

mod auth;
mod binary;
mod delete;
mod endpoint_env;
mod faults;
mod generate;
mod invoke;
mod isolation;
mod list;
mod ops;
mod paginate;
mod pool;
mod quota;
mod replay;
mod restapis;
mod tags;
mod throttle;
mod update;
