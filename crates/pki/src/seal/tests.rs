use super::*;

fn key(byte: u8) -> MasterKey {
    MasterKey::from_bytes(SecretBytes::new(vec![byte; MASTER_KEY_LEN])).unwrap()
}

fn secret(text: &str) -> SecretBytes {
    SecretBytes::new(text.as_bytes().to_vec())
}

#[test]
fn a_sealed_key_opens_with_the_same_key_and_context() {
    let k = key(7);
    let sealed = k
        .seal(&secret("pkcs8 bytes"), b"123456789012/us-east-1/abc123")
        .unwrap();
    assert_eq!(sealed.expose()[0], ENVELOPE_V1);
    assert_eq!(envelope_fingerprint(sealed.expose()), Some(k.fingerprint()));
    let opened = k
        .open(sealed.expose(), b"123456789012/us-east-1/abc123")
        .unwrap();
    assert_eq!(opened.expose(), b"pkcs8 bytes");
}

#[test]
fn the_plaintext_does_not_appear_and_every_seal_is_fresh() {
    let k = key(7);
    let a = k.seal(&secret("a private key in clear"), b"ctx").unwrap();
    let b = k.seal(&secret("a private key in clear"), b"ctx").unwrap();
    assert_ne!(a, b, "a fresh nonce per seal");
    assert!(!a.expose().windows(7).any(|w| w == b"private"));
}

#[test]
fn another_context_or_a_flipped_bit_does_not_open() {
    let k = key(7);
    let sealed = k.seal(&secret("key"), b"acct/us-east-1/aaaaaa").unwrap();
    assert_eq!(
        k.open(sealed.expose(), b"acct/us-east-1/bbbbbb"),
        Err(SealError::Tampered)
    );
    for i in [0usize, 1, 9, 21, sealed.expose().len() - 1] {
        let mut bad = sealed.expose().to_vec();
        bad[i] ^= 1;
        assert!(
            k.open(&bad, b"acct/us-east-1/aaaaaa").is_err(),
            "bit flipped at {i}"
        );
    }
}

#[test]
fn a_wrong_master_key_is_named_not_used() {
    let sealed = key(7).seal(&secret("key"), b"ctx").unwrap();
    assert_eq!(
        key(8).open(sealed.expose(), b"ctx"),
        Err(SealError::OtherKey(key(7).fingerprint_hex()))
    );
}

#[test]
fn clear_keys_are_not_envelopes() {
    // A PKCS#8 DER key starts with a SEQUENCE tag.
    let clear = [0x30u8, 0x82, 0x04, 0xbd, 0x02, 0x01, 0x00].repeat(10);
    assert_eq!(envelope_fingerprint(&clear), None);
    assert_eq!(key(7).open(&clear, b"ctx"), Err(SealError::NotAnEnvelope));
    assert_eq!(envelope_fingerprint(&[ENVELOPE_V1; 10]), None);
}

#[test]
fn keys_must_be_256_bits_and_never_print() {
    assert_eq!(
        MasterKey::from_bytes(SecretBytes::new(vec![1; 16])).unwrap_err(),
        SealError::KeyLength(16)
    );
    let k = MasterKey::generate().unwrap();
    assert_ne!(
        k.fingerprint(),
        MasterKey::generate().unwrap().fingerprint()
    );
    let shown = format!("{k:?}");
    assert!(shown.contains(&k.fingerprint_hex()) && shown.contains("redacted"));
    assert_eq!(k.fingerprint_hex().len(), 16);
}
