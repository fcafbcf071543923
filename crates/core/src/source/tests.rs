use super::*;

#[test]
fn random_ids_have_the_aws_shape() {
    let ids = RandomIds;
    for _ in 0..1000 {
        let id = ids.certificate_id();
        assert!(CertificateId::parse(id.as_str()).is_some());
        assert_ne!(ids.serial(), 0);
    }
    let r = ids.request_id();
    assert_eq!(r.len(), 36);
    assert_eq!(&r[14..15], "4");
}

#[test]
fn manual_clock_moves_only_when_told() {
    let c = ManualClock::new(100);
    assert_eq!(c.now(), 100);
    c.advance(5);
    assert_eq!(c.now(), 105);
    c.set(7);
    assert_eq!(c.now(), 7);
}
