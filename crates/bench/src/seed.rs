//! Fills a store with many certificates quickly: one real key and certificate, imported under many
//! ids. Generating 100,000 RSA keys would take most of an hour; the list path does not care whose
//! key a row holds.

use std::path::Path;
use std::time::{Duration, Instant};

use certgate_core::{AccountId, Certificate, CertificateId, Region, Scope, Tags};
use certgate_pki::{PrivateKey, Profile};
use certgate_store::{SqliteStore, Store, StoredCertificate};

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

/// Imports `count` copies of one real certificate into `account` (us-east-1) of the SQLite file at
/// `path`, and returns their ids and how long it took.
pub async fn fill(
    path: &Path,
    account: &str,
    count: u64,
) -> Result<(Vec<CertificateId>, Duration), String> {
    let started = Instant::now();
    let store = SqliteStore::open(path.to_path_buf())
        .await
        .map_err(|e| e.to_string())?;
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
        private_key: key,
    };
    let mut ids = Vec::with_capacity(count as usize);
    for n in 0..count {
        record.certificate.id = id(n)?;
        store.import(&record).await.map_err(|e| e.to_string())?;
        ids.push(record.certificate.id.clone());
    }
    Ok((ids, started.elapsed()))
}
