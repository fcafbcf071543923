//! The credentials file of `--auth sigv4`: who may call, under which account, with which
//! permission. It is TOML, read at start-up (a bad file stops the start) and again on SIGHUP (a bad
//! file then keeps the credentials in force and logs why).
//!
//! ```toml
//! [[credential]]
//! access_key_id = "AKIACERTGATEADMIN001"
//! secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
//! account_id = "123456789012"
//! permission = "full"        # or "read-only", or "admin" (also the console and /metrics)
//! ```

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arc_swap::ArcSwap;
use certgate_core::{AccountId, SecretBytes};
use serde::Deserialize;
use zeroize::Zeroizing;

/// What a credential may do: `read-only` keys may call only the three Get operations; `admin` keys
/// may call every operation and, in sigv4 mode, also read the console and `/metrics`, which show
/// every account's certificates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Permission {
    Full,
    ReadOnly,
    Admin,
}

/// One access key. The secret is a [`SecretBytes`]: it never prints and is zeroized on drop.
#[derive(Debug, Clone)]
pub struct Credential {
    pub access_key_id: String,
    pub secret: SecretBytes,
    pub account: AccountId,
    pub permission: Permission,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileEntry {
    access_key_id: String,
    secret_access_key: String,
    account_id: String,
    permission: Permission,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    credential: Vec<FileEntry>,
}

/// Every credential of a file, by access key id.
#[derive(Debug, Default)]
pub struct Credentials {
    by_key: HashMap<String, Credential>,
}

impl Credentials {
    /// Parses the text of a credentials file; the error names the first problem found.
    pub fn parse(text: &str) -> Result<Self, String> {
        // toml's own message quotes the offending line, which may hold a secret: only its line
        // number and short message are kept.
        let file: File = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(0, |s| {
                text[..s.start.min(text.len())].lines().count().max(1)
            });
            format!(
                "not a valid credentials file (line {line}): {}",
                e.message()
            )
        })?;
        if file.credential.is_empty() {
            return Err("it lists no [[credential]]".into());
        }
        let mut by_key = HashMap::new();
        for (n, entry) in file.credential.into_iter().enumerate() {
            let n = n + 1;
            let id = entry.access_key_id;
            if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(format!(
                    "credential {n}: access_key_id must be letters and digits, not '{id}'"
                ));
            }
            let secret = SecretBytes::new(entry.secret_access_key.into_bytes());
            if secret.expose().is_empty() {
                return Err(format!("credential {n} ({id}): secret_access_key is empty"));
            }
            let account = AccountId::parse(&entry.account_id).ok_or_else(|| {
                format!(
                    "credential {n} ({id}): account_id must be twelve digits, not '{}'",
                    entry.account_id
                )
            })?;
            let credential = Credential {
                access_key_id: id.clone(),
                secret,
                account,
                permission: entry.permission,
            };
            if by_key.insert(id.clone(), credential).is_some() {
                return Err(format!("access key id '{id}' is listed twice"));
            }
        }
        Ok(Credentials { by_key })
    }

    pub fn get(&self, access_key_id: &str) -> Option<&Credential> {
        self.by_key.get(access_key_id)
    }

    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }
}

/// The credentials in force, swapped whole on reload so a request sees either the old file or
/// the new one, never a mix.
#[derive(Debug)]
pub struct CredentialsFile {
    path: PathBuf,
    current: ArcSwap<Credentials>,
}

fn read(path: &Path) -> Result<Credentials, String> {
    let text =
        Zeroizing::new(std::fs::read_to_string(path).map_err(|e| format!("cannot read it: {e}"))?);
    Credentials::parse(&text)
}

impl CredentialsFile {
    /// Reads the file; a missing or bad file is an error that names it.
    pub fn load(path: &Path) -> Result<Self, String> {
        let credentials =
            read(path).map_err(|e| format!("credentials file {}: {e}", path.display()))?;
        Ok(CredentialsFile {
            path: path.to_path_buf(),
            current: ArcSwap::from_pointee(credentials),
        })
    }

    /// Reads the file again. If it is bad, the credentials in force stay and the error says why.
    pub fn reload(&self) -> Result<usize, String> {
        let credentials = read(&self.path)
            .map_err(|e| format!("credentials file {}: {e}", self.path.display()))?;
        let n = credentials.len();
        self.current.store(Arc::new(credentials));
        Ok(n)
    }

    pub fn current(&self) -> Arc<Credentials> {
        self.current.load_full()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}
