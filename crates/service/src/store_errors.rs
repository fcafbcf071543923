//! How the store's errors reach the caller: each [`StoreError`] becomes the domain error the API
//! answers, the causes of internal ones logged and never sent. Shared by every family.

use certgate_core::{tags, Error};
use certgate_store::StoreError;

/// How often a generated id may collide before the request fails. With 36^6 ids and at most a
/// quota's worth per scope, one retry is already rare.
pub(crate) const ID_ATTEMPTS: usize = 8;

pub(crate) fn from_store(e: StoreError) -> Error {
    match e {
        StoreError::NotFound => Error::certificate_not_found(),
        StoreError::QuotaExceeded { limit } => quota_error(limit),
        StoreError::TooManyTags { count, .. } => match tags::check_count(count) {
            Err(e) => e,
            Ok(()) => Error::internal(format!("store refused {count} tags, within the limit")),
        },
        StoreError::Unavailable(cause) => {
            tracing::warn!(%cause, "store unavailable");
            Error::Unavailable(
                "The certificate store is unavailable. Please retry the request.".into(),
            )
        }
        StoreError::Conflict(cause) => {
            tracing::info!(%cause, "concurrent update conflict");
            Error::Conflict(
                "Another request changed this certificate at the same time. Please retry the request."
                    .into(),
            )
        }
        StoreError::Stale => Error::Conflict(
            "Another request changed this resource at the same time. Please retry the request."
                .into(),
        ),
        e @ (StoreError::IdTaken
        | StoreError::Backend(_)
        | StoreError::InUse(_)
        | StoreError::Dangling(_)) => Error::internal(e.to_string()),
    }
}

pub(crate) fn quota_error(limit: u32) -> Error {
    Error::LimitExceeded(format!(
        "Client certificate limit exceeded: an account can have at most {limit} client certificates in a region"
    ))
}
