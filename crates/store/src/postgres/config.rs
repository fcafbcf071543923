//! What a `postgres://` store URL says, and the bounds certgate puts on every connection.
//!
//! The URL is libpq's (`postgres://user:password@host:port/dbname?param=value`), with one parameter
//! of certgate's own: `schema=NAME` keeps certgate's tables in that schema (created at start-up if
//! missing) instead of the user's default `search_path`. Everything else is handed to tokio-postgres
//! as given, so `connect_timeout`, `application_name`, `options` and the rest work as in libpq.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// Opening a TCP connection and logging in must finish within this, unless the URL's
/// `connect_timeout` says otherwise.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// The server cancels any one statement (including a wait for a lock) that runs longer.
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(5);
/// A request waits at most this long for a pooled connection when all are busy.
pub const POOL_WAIT_TIMEOUT: Duration = Duration::from_secs(3);
/// A whole store call, measured by certgate itself. It is the bound that holds when the network is
/// gone, where the server's statement timeout never reaches us; it is longer than that timeout so
/// that, while the server still answers, its clearer error arrives first.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(8);
/// A node that dies in the middle of a transaction must not hold row or advisory locks for long:
/// the server ends such a session after this.
pub const IDLE_IN_TRANSACTION_TIMEOUT: Duration = Duration::from_secs(30);
/// Connections per node. Requests beyond it wait (boundedly) for one.
pub const POOL_SIZE: usize = 16;

/// A parsed `postgres://` or `postgresql://` store URL. Its `Debug` and `Display` hide the
/// password.
#[derive(Clone, PartialEq, Eq)]
pub struct PostgresUrl {
    /// The URL without certgate's own parameters, as tokio-postgres reads it.
    libpq_url: String,
    schema: Option<String>,
}

impl PostgresUrl {
    pub fn parse(url: &str) -> Result<Self, String> {
        let (base, query) = match url.split_once('?') {
            Some((b, q)) => (b, Some(q)),
            None => (url, None),
        };
        let mut schema = None;
        let mut kept = Vec::new();
        for param in query.into_iter().flat_map(|q| q.split('&')) {
            match param.split_once('=') {
                Some(("schema", name)) => {
                    if !valid_schema(name) {
                        return Err(format!(
                            "store URL schema '{name}' is not a plain name: use 1 to 63 lowercase letters, digits and '_', not starting with a digit"
                        ));
                    }
                    schema = Some(name.to_string());
                }
                _ if param.is_empty() => {}
                _ => kept.push(param),
            }
        }
        let libpq_url = if kept.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        let parsed = PostgresUrl { libpq_url, schema };
        tokio_postgres::Config::from_str(&parsed.libpq_url)
            .map_err(|e| format!("store URL '{parsed}' is not a valid PostgreSQL URL: {e}"))?;
        Ok(parsed)
    }

    /// The schema certgate's tables live in, when the URL chose one.
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    /// The connection settings: the URL's, plus certgate's timeouts and schema.
    pub fn config(&self) -> Result<tokio_postgres::Config, String> {
        let mut config = tokio_postgres::Config::from_str(&self.libpq_url)
            .map_err(|e| format!("store URL '{self}' is not a valid PostgreSQL URL: {e}"))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("certgate");
        }
        let mut options = config.get_options().unwrap_or_default().to_string();
        for (name, value) in [
            ("statement_timeout", millis(STATEMENT_TIMEOUT)),
            ("lock_timeout", millis(STATEMENT_TIMEOUT)),
            (
                "idle_in_transaction_session_timeout",
                millis(IDLE_IN_TRANSACTION_TIMEOUT),
            ),
        ] {
            options.push_str(&format!(" -c {name}={value}"));
        }
        if let Some(schema) = &self.schema {
            options.push_str(&format!(" -c search_path={schema}"));
        }
        config.options(options.trim());
        Ok(config)
    }

    /// The URL with its password replaced, for messages and logs.
    fn redacted(&self) -> String {
        let url = &self.libpq_url;
        let Some((scheme, rest)) = url.split_once("://") else {
            return url.clone();
        };
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(authority_end);
        let authority = match authority.rsplit_once('@') {
            Some((userinfo, host)) => match userinfo.split_once(':') {
                Some((user, _password)) => format!("{user}:***@{host}"),
                None => authority.to_string(),
            },
            None => authority.to_string(),
        };
        let tail = match tail.split_once('?') {
            Some((path, query)) => {
                let params: Vec<String> = query
                    .split('&')
                    .map(|p| match p.split_once('=') {
                        Some(("password", _)) => "password=***".to_string(),
                        _ => p.to_string(),
                    })
                    .collect();
                format!("{path}?{}", params.join("&"))
            }
            None => tail.to_string(),
        };
        let mut shown = format!("{scheme}://{authority}{tail}");
        if let Some(schema) = &self.schema {
            shown.push(if tail.contains('?') { '&' } else { '?' });
            shown.push_str(&format!("schema={schema}"));
        }
        shown
    }
}

fn millis(d: Duration) -> u128 {
    d.as_millis()
}

/// A schema name that needs no quoting anywhere: it goes into `search_path` and DDL as is.
fn valid_schema(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_lowercase() || b == b'_')
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && name.len() <= 63
}

impl fmt::Display for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PostgresUrl({})", self.redacted())
    }
}
