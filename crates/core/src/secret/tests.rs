use super::*;

#[test]
fn debug_never_shows_the_bytes() {
    let s = SecretBytes::new(b"very secret key".to_vec());
    let shown = format!("{s:?}");
    assert!(!shown.contains("secret key"), "{shown}");
    assert!(shown.contains("15 bytes"), "{shown}");
    assert_eq!(s.expose(), b"very secret key");
}

#[test]
fn os_random_bytes_have_the_length_asked_and_differ() {
    let a = SecretBytes::from_os_random(32).unwrap();
    let b = SecretBytes::from_os_random(32).unwrap();
    assert_eq!(a.expose().len(), 32);
    assert_ne!(a, b);
}
