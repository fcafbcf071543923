//! Who may read certgate's own pages in sigv4 mode. The console and `/metrics` show every
//! account's certificates (descriptions, tags, PEMs) and counts, so with `--auth sigv4` they are
//! served only to a credential whose permission is `admin`. A browser or Prometheus sends it as HTTP
//! Basic (the access key id as user name, the secret as password; the 401 asks the browser for it),
//! a script may sign its request with SigV4 instead. In open mode nothing is asked, as before, and
//! `/_certgate/health` and `/_certgate/openapi.json` are open in both modes.

use base64::Engine as _;

use super::{Access, Auth, Permission};

/// Why a request for an admin page was refused, said to the client.
#[derive(Debug, PartialEq, Eq)]
pub struct NotAdmin(pub &'static str);

/// Whether `path` is one of the pages that need an admin credential in sigv4 mode.
pub fn needs_admin(path: &str) -> bool {
    path == "/metrics"
        || (path.starts_with("/_certgate/")
            && path != "/_certgate/health"
            && path != "/_certgate/openapi.json")
}

/// Compares in time that depends on the lengths only, so that how long a refusal takes says
/// nothing about how much of a secret was right.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Access {
    /// Admits a request for an admin page: always in open mode, and in sigv4 mode when it carries
    /// the Basic credentials or the SigV4 signature of an `admin` key.
    pub fn admit_admin(&self, parts: &http::request::Parts) -> Result<(), NotAdmin> {
        let Auth::SigV4(file) = &self.auth else {
            return Ok(());
        };
        let header = parts
            .headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let permission = match header {
            None => {
                return Err(NotAdmin(
                    "This page needs the credentials of an admin key (--auth sigv4).",
                ))
            }
            Some(value) if value.len() > 6 && value[..6].eq_ignore_ascii_case("basic ") => {
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(value[6..].trim())
                    .map_err(|_| NotAdmin("The Basic credentials are not base64."))?;
                let decoded = zeroize::Zeroizing::new(decoded);
                let colon = decoded
                    .iter()
                    .position(|&b| b == b':')
                    .ok_or(NotAdmin("The Basic credentials must be KEY:SECRET."))?;
                let (key, secret) = (&decoded[..colon], &decoded[colon + 1..]);
                let credentials = file.current();
                let known = std::str::from_utf8(key)
                    .ok()
                    .and_then(|key| credentials.get(key))
                    .filter(|known| same(known.secret.expose(), secret))
                    .ok_or(NotAdmin("The access key or its secret is not known."))?;
                known.permission
            }
            Some(_) => {
                let caller = certgate_wire::caller(&parts.headers, parts.uri.query())
                    .map_err(|_| NotAdmin("The request's credentials cannot be read."))?;
                self.authenticate(parts, b"", caller)
                    .map_err(|_| NotAdmin("The request's signature is not valid."))?
                    .permission
            }
        };
        if permission == Permission::Admin {
            Ok(())
        } else {
            Err(NotAdmin("This page needs an admin key; this one is not."))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_and_the_document_stay_open() {
        assert!(needs_admin("/metrics"));
        assert!(needs_admin("/_certgate/"));
        assert!(needs_admin("/_certgate/api/certificates"));
        assert!(needs_admin("/_certgate/clock"));
        assert!(!needs_admin("/_certgate/health"));
        assert!(!needs_admin("/_certgate/openapi.json"));
        assert!(!needs_admin("/clientcertificates"));
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"ab"));
    }
}
