//! GenerateClientCertificate over the key pool: with no pool, with a pool smaller than the demand
//! (so it drains and the service falls back to making keys on the spot), and every key used once.

use super::*;

/// The RSA public key (the certificate's subjectPublicKeyInfo) of a generated certificate.
fn public_key_of(pem_text: &str) -> Vec<u8> {
    let (_, pem) = x509_parser::pem::parse_x509_pem(pem_text.as_bytes()).expect("PEM");
    let cert = pem.parse_x509().expect("X.509 DER");
    cert.public_key().raw.to_vec()
}

/// Generates `n` certificates at once and returns their public keys, checking each is served.
async fn generate_keys(client: &Client, n: usize) -> Vec<Vec<u8>> {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..n {
        let c = client.clone();
        tasks.spawn(async move {
            let out = c
                .generate_client_certificate()
                .send()
                .await
                .expect("generate");
            public_key_of(out.pem_encoded_certificate().expect("pem"))
        });
    }
    let mut keys = Vec::with_capacity(n);
    while let Some(key) = tasks.join_next().await {
        keys.push(key.expect("generate task"));
    }
    keys
}

fn assert_distinct(keys: &[Vec<u8>]) {
    let unique: BTreeSet<&Vec<u8>> = keys.iter().collect();
    assert_eq!(unique.len(), keys.len(), "two certificates share a key");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_pool_serves_more_generates_than_it_holds_each_with_its_own_key() {
    let server = Server::start_with(common::Options {
        key_pool: Some((2, 1)),
        ..common::Options::default()
    })
    .await;
    let client = server.client();
    // Twelve at once against two pooled keys: most requests find the pool empty and make their key
    // themselves, while the worker keeps refilling it.
    let keys = generate_keys(&client, 12).await;
    assert_eq!(keys.len(), 12);
    assert_distinct(&keys);
    assert_eq!(list_ids(&client).await.len(), 12);
    // And again, once the pool has had a chance to refill.
    let more = generate_keys(&client, 4).await;
    let all: Vec<Vec<u8>> = keys.into_iter().chain(more).collect();
    assert_distinct(&all);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_pool_every_generate_makes_its_own_key() {
    let server = Server::start_with(common::Options {
        key_pool: None,
        ..common::Options::default()
    })
    .await;
    let client = server.client();
    let keys = generate_keys(&client, 6).await;
    assert_eq!(keys.len(), 6);
    assert_distinct(&keys);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_pool_hands_out_each_key_once() {
    let server = Server::start_with(common::Options {
        key_pool: Some((8, 2)),
        ..common::Options::default()
    })
    .await;
    let client = server.client();
    // Sequential requests, so that each one has the pool's next key ready or finds it empty.
    let mut keys = Vec::new();
    for _ in 0..10 {
        keys.extend(generate_keys(&client, 1).await);
    }
    assert_distinct(&keys);
}
