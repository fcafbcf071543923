//! Who may call and how often: authentication (`--auth open` or `--auth sigv4`), the read-only
//! permission, and per-account throttling. The server calls these in order for every request,
//! before the operation runs: [`Access::recognize`] on the head, [`Access::authenticate`] once the
//! body is read, [`Access::admit`]
//! right after, and [`Access::authorize`] once the operation is known.

pub mod admin;
pub mod credentials;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use certgate_api::OperationId;
use certgate_core::source::{Clock, SystemClock};
use certgate_wire::sigv4::{self, RawRequest};
use certgate_wire::{AwsError, Caller};

pub use credentials::{Credential, Credentials, CredentialsFile, Permission};

use crate::throttle::{Limit, Throttle};

/// How requests are authenticated.
#[derive(Debug, Clone)]
pub enum Auth {
    /// Any well-formed signature is accepted, and an unsigned request is the default account
    /// (local development, the default).
    Open,
    /// Every request must carry a valid SigV4 signature of a key in the credentials file.
    SigV4(Arc<CredentialsFile>),
}

/// The caller of a request once authenticated: the scope it acts in and what it may do.
#[derive(Debug, Clone)]
pub struct Principal {
    pub caller: Caller,
    pub permission: Permission,
}

/// The access rules of a server.
pub struct Access {
    pub auth: Auth,
    pub throttle: Option<Throttle>,
    /// The clock that signatures are checked against.
    pub clock: Arc<dyn Clock>,
}

impl Default for Access {
    /// Open, not throttled: the foundation's behaviour.
    fn default() -> Self {
        Access {
            auth: Auth::Open,
            throttle: None,
            clock: Arc::new(SystemClock),
        }
    }
}

/// The access settings as given: `auth` is `open` or `sigv4`, `throttle` as `--throttle` takes it.
#[derive(Debug, Clone)]
pub struct AccessConfig {
    /// `open` accepts any well-formed signature (local development); `sigv4` verifies every
    /// request against --credentials.
    pub auth: String,

    /// TOML file of access keys for --auth sigv4 (reloaded on SIGHUP).
    pub credentials: Option<PathBuf>,

    /// Requests per second per account: `off`, `aws` (10/s, burst 40) or `RATE,BURST`.
    pub throttle: String,
}

impl AccessConfig {
    /// The access rules these flags ask for; a bad flag or credentials file is a start-up error.
    pub fn build(&self) -> Result<Access, String> {
        let auth = match (self.auth.as_str(), &self.credentials) {
            ("sigv4", Some(path)) => Auth::SigV4(Arc::new(CredentialsFile::load(path)?)),
            ("sigv4", None) => return Err("--auth sigv4 needs --credentials FILE".into()),
            (_, Some(_)) => {
                return Err("--credentials is only used with --auth sigv4".into());
            }
            _ => Auth::Open,
        };
        Ok(Access {
            auth,
            throttle: Limit::parse(&self.throttle)?.map(Throttle::new),
            clock: Arc::new(SystemClock),
        })
    }
}

/// Reloads the credentials file on every SIGHUP, keeping the old credentials if the new file is
/// bad. Connections are untouched: the next request simply sees the new credentials.
pub fn reload_on_sighup(file: Arc<CredentialsFile>) {
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{signal, SignalKind};
        let mut hangups = match signal(SignalKind::hangup()) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGHUP; credentials will not reload");
                return;
            }
        };
        while hangups.recv().await.is_some() {
            match file.reload() {
                Ok(n) => {
                    tracing::info!(path = %file.path().display(), credentials = n, "credentials reloaded")
                }
                Err(e) => {
                    tracing::error!(error = %e, "credentials NOT reloaded; the previous ones stay in force")
                }
            }
        }
    });
    #[cfg(not(unix))]
    let _ = file;
}

impl Access {
    /// Whether requests are authenticated by their signature (`--auth sigv4`).
    pub fn verifies_signatures(&self) -> bool {
        matches!(self.auth, Auth::SigV4(_))
    }

    /// What the head alone says of the caller: in sigv4 mode a request without credentials, or
    /// with an access key the credentials file does not list, is refused here, before its body is
    /// read (the signature itself covers the body, so it is checked once the body is in).
    pub fn recognize(&self, caller: &Caller) -> Result<(), AwsError> {
        let Auth::SigV4(file) = &self.auth else {
            return Ok(());
        };
        let credential = caller
            .credential
            .as_ref()
            .ok_or(AwsError::MissingAuthenticationToken)?;
        if file.current().get(&credential.access_key_id).is_none() {
            return Err(AwsError::UnrecognizedClient);
        }
        Ok(())
    }

    /// Checks the request's signature (in sigv4 mode) and settles its account: the credential's
    /// account in sigv4 mode, the one the access key names in open mode.
    pub fn authenticate(
        &self,
        parts: &http::request::Parts,
        body: &[u8],
        mut caller: Caller,
    ) -> Result<Principal, AwsError> {
        let file = match &self.auth {
            Auth::Open => {
                return Ok(Principal {
                    caller,
                    permission: Permission::Full,
                })
            }
            Auth::SigV4(file) => file,
        };
        let credential = caller
            .credential
            .as_ref()
            .ok_or(AwsError::MissingAuthenticationToken)?;
        let credentials = file.current();
        let known = credentials
            .get(&credential.access_key_id)
            .ok_or(AwsError::UnrecognizedClient)?;
        let raw = RawRequest {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: parts.uri.query(),
            authority: parts.uri.authority().map(|a| a.as_str()),
            headers: &parts.headers,
            body,
        };
        sigv4::verify(&raw, credential, &known.secret, self.clock.now())?;
        caller.scope.account = known.account.clone();
        Ok(Principal {
            caller,
            permission: known.permission,
        })
    }

    /// Takes a token from the account's bucket, if throttling is on.
    pub fn admit(&self, principal: &Principal) -> Result<(), AwsError> {
        let Some(throttle) = &self.throttle else {
            return Ok(());
        };
        throttle
            .admit(&principal.caller.scope.account, Instant::now())
            .map_err(|retry_after_seconds| AwsError::TooManyRequests {
                message: "Too Many Requests".into(),
                retry_after_seconds,
            })
    }

    /// Refuses a write by a read-only credential. Called once the request is routed and before any
    /// of its input is decoded, so a read-only key learns nothing from a malformed write but 401.
    pub fn authorize(&self, principal: &Principal, op: OperationId) -> Result<(), AwsError> {
        if principal.permission == Permission::ReadOnly && op.is_write() {
            let key = principal
                .caller
                .credential
                .as_ref()
                .map_or("", |c| c.access_key_id.as_str());
            return Err(AwsError::Unauthorized(format!(
                "User: arn:aws:iam::{}:user/{key} is not authorized to perform: apigateway:{} (the access key is read-only)",
                principal.caller.scope.account,
                op.name()
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
