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

#[test]
fn offset_clock_shifts_its_inner_clock_both_ways_and_can_be_moved() {
    let inner = std::sync::Arc::new(ManualClock::new(1_000_000));
    let c = OffsetClock::new(inner.clone(), 364 * 86_400);
    assert_eq!(c.now(), 1_000_000 + 364 * 86_400);
    inner.advance(10);
    assert_eq!(c.now(), 1_000_010 + 364 * 86_400);
    c.set_offset(-3600);
    assert_eq!(c.offset(), -3600);
    assert_eq!(c.now(), 1_000_010 - 3600);
}

#[test]
fn uuid_v4_formats_the_bytes_with_version_and_variant() {
    let b = [
        0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
        0xff,
    ];
    assert_eq!(uuid_v4(b), "00112233-4455-4677-8899-aabbccddeeff");
    assert_eq!(uuid_v4([0xff; 16]), "ffffffff-ffff-4fff-bfff-ffffffffffff");
}
