use super::*;

#[test]
fn debug_never_shows_the_bytes() {
    let s = SecretBytes::new(b"very secret key".to_vec());
    let shown = format!("{s:?}");
    assert!(!shown.contains("secret key"), "{shown}");
    assert!(shown.contains("15 bytes"), "{shown}");
    assert_eq!(s.expose(), b"very secret key");
}
