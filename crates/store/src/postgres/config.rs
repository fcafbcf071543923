//! What a `postgres://` store URL says, and the bounds certgate puts on every connection.
//!
//! The URL is libpq's (`postgres://user:password@host:port/dbname?param=value`), with one parameter
//! of certgate's own: `schema=NAME` keeps certgate's tables in that schema (created at start-up if
//! missing) instead of the user's default `search_path`. `sslmode` (disable, prefer, require,
//! verify-ca, verify-full) and `sslrootcert=FILE` are read here and carried out with rustls (see
//! `tls.rs`). Everything else is handed to tokio-postgres as given, so `connect_timeout`,
//! `application_name`, `options` and the rest work as in libpq.

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
    tls: super::tls::TlsSettings,
}

impl PostgresUrl {
    pub fn parse(url: &str) -> Result<Self, String> {
        // The query starts at the first `?` after the credentials: libpq's parser takes everything
        // up to the first `@` as user and password, so a `?` in a password is not a query.
        let credentials_end = url
            .split_once("://")
            .and_then(|(scheme, rest)| rest.find('@').map(|at| scheme.len() + 3 + at))
            .unwrap_or(0);
        let (base, query) = match url[credentials_end..].find('?') {
            Some(q) => (
                &url[..credentials_end + q],
                Some(&url[credentials_end + q + 1..]),
            ),
            None => (url, None),
        };
        let mut schema = None;
        let mut tls = super::tls::TlsSettings::default();
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
                Some(("sslmode", mode)) => tls.mode = super::tls::SslMode::parse(mode)?,
                Some(("sslrootcert", path)) if !path.is_empty() => {
                    tls.root_cert = Some(std::path::PathBuf::from(path));
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
        let parsed = PostgresUrl {
            libpq_url,
            schema,
            tls,
        };
        tokio_postgres::Config::from_str(&parsed.libpq_url)
            .map_err(|e| format!("store URL '{parsed}' is not a valid PostgreSQL URL: {e}"))?;
        Ok(parsed)
    }

    /// The schema certgate's tables live in, when the URL chose one.
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    /// The TLS settings of the URL (`sslmode`, `sslrootcert`).
    pub fn tls(&self) -> &super::tls::TlsSettings {
        &self.tls
    }

    /// The connection settings: the URL's, plus certgate's timeouts and schema.
    pub fn config(&self) -> Result<tokio_postgres::Config, String> {
        let mut config = tokio_postgres::Config::from_str(&self.libpq_url)
            .map_err(|e| format!("store URL '{self}' is not a valid PostgreSQL URL: {e}"))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        config.ssl_mode(self.tls.mode.negotiation());
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
        // The server's NOTICEs (`schema … already exists, skipping` on every start) are not news;
        // warnings and errors still come through.
        options.push_str(" -c client_min_messages=warning");
        if let Some(schema) = &self.schema {
            options.push_str(&format!(" -c search_path={schema}"));
        }
        config.options(options.trim());
        Ok(config)
    }

    /// The URL as it may be shown in messages and logs: rebuilt from what tokio-postgres parsed
    /// (user, hosts, ports, database, and certgate's schema), never from the text given. A
    /// password can hold any character (`/`, `?`, `@`, `&` are common in generated ones) and
    /// libpq's parser takes everything up to the first `@` as the credentials, so masking by
    /// splitting the text would have to agree with that parser on every input; rebuilding from
    /// the parsed parts cannot show a password, because it never reads one.
    fn redacted(&self) -> String {
        let Ok(config) = tokio_postgres::Config::from_str(&self.libpq_url) else {
            // Not a URL tokio-postgres can read (only in the error that says so): show its scheme.
            let scheme = self
                .libpq_url
                .split_once("://")
                .map_or("postgres", |(s, _)| s);
            return format!("{scheme}://(unreadable, not shown)");
        };
        let scheme = self
            .libpq_url
            .split_once("://")
            .map_or("postgres", |(s, _)| s);
        let mut shown = format!("{scheme}://");
        if let Some(user) = config.get_user() {
            shown.push_str(user);
            if config.get_password().is_some() {
                shown.push_str(":***");
            }
            shown.push('@');
        } else if config.get_password().is_some() {
            shown.push_str(":***@");
        }
        let ports = config.get_ports();
        let hosts: Vec<String> = config
            .get_hosts()
            .iter()
            .enumerate()
            .map(|(i, host)| {
                let name = match host {
                    tokio_postgres::config::Host::Tcp(name) => name.clone(),
                    #[cfg(unix)]
                    tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
                };
                // One port for every host, or one per host, as libpq reads them.
                match ports.get(i).or(if ports.len() == 1 {
                    ports.first()
                } else {
                    None
                }) {
                    Some(port) => format!("{name}:{port}"),
                    None => name,
                }
            })
            .collect();
        shown.push_str(&hosts.join(","));
        shown.push('/');
        if let Some(db) = config.get_dbname() {
            shown.push_str(db);
        }
        let mut params = Vec::new();
        if let Some(schema) = &self.schema {
            params.push(format!("schema={schema}"));
        }
        if self.tls.mode != super::tls::SslMode::Prefer {
            params.push(format!("sslmode={}", self.tls.mode.name()));
        }
        if !params.is_empty() {
            shown.push('?');
            shown.push_str(&params.join("&"));
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
