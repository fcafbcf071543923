//! Fills a store with many certificates quickly: one real key and certificate, imported under many
//! ids. Generating 100,000 RSA keys would take most of an hour; the list path does not care whose
//! key a row holds.
//!
//! The rows are written the way certgate writes them: each private key sealed under a master key
//! (bound to its row), the key's fingerprint and a pagination key recorded in the store, and the
//! key file beside the database, where certgate looks for it. A store with keys in the clear and no
//! fingerprint looks to certgate like one from before encryption at rest, and its first start
//! seals every key, one transaction each: 32 s and 273 MiB of mapped database for 101,610 rows,
//! which is what the bench used to report as start-up and idle memory.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use certgate_core::{AccountId, Certificate, CertificateId, Region, Scope, Tags};
use certgate_pki::seal::{row_context, MasterKey, FINGERPRINT_SETTING};
use certgate_pki::{PrivateKey, Profile};
use certgate_store::{KeyStore, SettingStore, SqliteStore, StoredCertificate};
use zeroize::Zeroizing;

/// The `n`-th id in base 36 over the id alphabet, so ids are distinct and spread over the key space.
pub fn id(n: u64) -> Result<CertificateId, String> {
    let alphabet = CertificateId::ALPHABET;
    let mut x = n.wrapping_mul(2_654_435_761) % 36u64.pow(6);
    let mut s = [b'a'; 6];
    for b in s.iter_mut().rev() {
        *b = alphabet[(x % 36) as usize];
        x /= 36;
    }
    let text = String::from_utf8_lossy(&s).into_owned();
    CertificateId::parse(&text).ok_or(format!("bad generated id {text}"))
}

pub fn scope(account: &str) -> Result<Scope, String> {
    Ok(Scope {
        account: AccountId::parse(account).ok_or(format!("bad account {account}"))?,
        region: Region::parse("us-east-1").ok_or("bad region")?,
    })
}

/// A new master key, written (owner-only) to `path`, which must not exist.
pub fn master_key_file(path: &Path) -> Result<MasterKey, String> {
    let key = MasterKey::generate().map_err(|e| e.to_string())?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .and_then(|mut f| {
            // The master key file's format: standard base64 and a newline, as certgate writes it.
            let text = Zeroizing::new(format!("{}\n", STANDARD.encode(key.bytes().expose())));
            f.write_all(text.as_bytes())
        })
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(key)
}

/// Opens (or creates) the SQLite file at `path` as certgate would with `master`: the key's
/// fingerprint and a pagination key in its settings.
async fn open(path: &Path, master: &MasterKey) -> Result<SqliteStore, String> {
    let fingerprint = master.fingerprint();
    let page_key = certgate_core::page::PageKey::generate_bytes();
    let store = SqliteStore::open_with_settings(
        path.to_path_buf(),
        &[
            (FINGERPRINT_SETTING, &fingerprint),
            (certgate_core::page::KEY_SETTING, page_key.expose()),
        ],
    )
    .await
    .map_err(|e| e.to_string())?;
    // A store that already existed was created by an earlier call with the same key; make sure.
    if store
        .setting(FINGERPRINT_SETTING)
        .await
        .map_err(|e| e.to_string())?
        .as_deref()
        != Some(&fingerprint[..])
    {
        return Err(format!(
            "{} is sealed under another master key",
            path.display()
        ));
    }
    Ok(store)
}

/// Imports one certificate and its key (PKCS#8) into `account` (us-east-1) under `id`, sealed
/// under `master`: a certificate whose key the bench also holds, for `certgate-bench invoke`,
/// where certgate, nginx and the load generator present the same one.
pub async fn import(
    path: &Path,
    account: &str,
    id: &CertificateId,
    pem: String,
    key: &certgate_core::SecretBytes,
    master: &MasterKey,
) -> Result<(), String> {
    let store = open(path, master).await?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs() as i64;
    let scope = scope(account)?;
    let private_key = master
        .seal(key, &row_context(&scope, id))
        .map_err(|e| e.to_string())?;
    let record = StoredCertificate {
        scope,
        certificate: Certificate {
            id: id.clone(),
            description: Some("certgate-bench invoke".into()),
            pem,
            created: now,
            expires: now + certgate_core::VALIDITY_SECONDS,
            tags: Tags::new(),
        },
        private_key,
    };
    store.import(&record).await.map_err(|e| e.to_string())
}

/// Imports `count` copies of one real certificate into `account` (us-east-1) of the SQLite file at
/// `path`, their private keys sealed under `master`, and returns their ids and how long it took.
pub async fn fill(
    path: &Path,
    account: &str,
    count: u64,
    master: &MasterKey,
) -> Result<(Vec<CertificateId>, Duration), String> {
    let started = Instant::now();
    let store = open(path, master).await?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs() as i64;
    let (pem, key) = tokio::task::spawn_blocking(move || {
        let key = PrivateKey::generate().map_err(|e| e.to_string())?;
        let pem = certgate_pki::issue(
            &key,
            &Profile {
                serial: 0x0123_4567_89ab_cdef,
                not_before: now,
                not_after: now + certgate_core::VALIDITY_SECONDS,
            },
        )
        .map_err(|e| e.to_string())?;
        Ok::<_, String>((pem, key.pkcs8().clone()))
    })
    .await
    .map_err(|e| e.to_string())??;
    let scope = scope(account)?;
    let mut tags = Tags::new();
    tags.insert("bench".into(), "seed".into());
    let mut record = StoredCertificate {
        scope,
        certificate: Certificate {
            id: id(0)?,
            description: Some("benchmark seed".into()),
            pem,
            created: now,
            expires: now + certgate_core::VALIDITY_SECONDS,
            tags,
        },
        private_key: key.clone(),
    };
    let mut ids = Vec::with_capacity(count as usize);
    for n in 0..count {
        record.certificate.id = id(n)?;
        record.private_key = master
            .seal(&key, &row_context(&record.scope, &record.certificate.id))
            .map_err(|e| e.to_string())?;
        store.import(&record).await.map_err(|e| e.to_string())?;
        ids.push(record.certificate.id.clone());
    }
    Ok((ids, started.elapsed()))
}
