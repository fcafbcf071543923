use super::*;

#[test]
fn durations_take_days_hours_minutes_seconds_and_a_sign() {
    assert_eq!(parse_duration("30d"), Ok(30 * DAY));
    assert_eq!(parse_duration("12h"), Ok(12 * HOUR));
    assert_eq!(parse_duration("90m"), Ok(90 * MINUTE));
    assert_eq!(parse_duration("45s"), Ok(45));
    assert_eq!(parse_duration("45"), Ok(45));
    assert_eq!(parse_duration("-350d"), Ok(-350 * DAY));
    assert_eq!(parse_duration("+364d"), Ok(364 * DAY));
    assert_eq!(parse_duration("0d"), Ok(0));
}

#[test]
fn bad_durations_are_refused_with_a_message() {
    for bad in [
        "",
        "d",
        "-",
        "30x",
        "3.5d",
        "30 d",
        "d30",
        "1d2h",
        "--3d",
        "99999999999999999999d",
    ] {
        let err = parse_duration(bad).expect_err(bad);
        assert!(err.contains(bad), "{bad}: {err}");
    }
    assert!(parse_duration("36501d").is_err());
    assert_eq!(parse_duration("36500d"), Ok(36_500 * DAY));
}

#[test]
fn status_counts_expired_as_needing_rotation() {
    let now = 1_000 * DAY;
    let window = 30 * DAY;
    assert_eq!(
        ExpiryStatus::at(now + 31 * DAY, now, window),
        ExpiryStatus::Valid
    );
    assert_eq!(
        ExpiryStatus::at(now + 30 * DAY, now, window),
        ExpiryStatus::Expiring
    );
    assert_eq!(
        ExpiryStatus::at(now + 1, now, window),
        ExpiryStatus::Expiring
    );
    assert_eq!(ExpiryStatus::at(now, now, window), ExpiryStatus::Expired);
    assert_eq!(ExpiryStatus::at(now - DAY, now, 0), ExpiryStatus::Expired);
    assert!(!ExpiryStatus::Valid.needs_rotation());
    assert!(ExpiryStatus::Expiring.needs_rotation());
    assert!(ExpiryStatus::Expired.needs_rotation());
}

#[test]
fn days_left_round_down_and_go_negative_once_expired() {
    let now = 500 * DAY;
    assert_eq!(days_left(now + 365 * DAY, now), 365);
    assert_eq!(days_left(now + DAY - 1, now), 0);
    assert_eq!(days_left(now - 1, now), -1);
    assert_eq!(days_left(now - 3 * DAY, now), -3);
}

#[test]
fn timestamps_are_rfc3339_utc() {
    assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    assert_eq!(rfc3339(1_795_832_343), "2026-11-28T02:19:03Z");
    assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
}
