use std::sync::Arc;
use std::time::Duration;

use super::*;

const DAY: i64 = 86_400;

#[test]
fn expiry_buckets_split_at_their_upper_bounds() {
    let now = 1_000_000_000;
    let mut counts = ExpiryCounts::default();
    for left in [
        -DAY,
        0,
        1,
        7 * DAY,
        7 * DAY + 1,
        30 * DAY,
        90 * DAY,
        365 * DAY,
        400 * DAY,
    ] {
        counts.add(now, now + left);
    }
    assert_eq!(
        counts.buckets(),
        vec![
            ("expired", 2),
            ("7d", 2),
            ("30d", 2),
            ("90d", 1),
            ("365d", 1),
            ("later", 1)
        ]
    );
}

fn sample(text: &str, name_and_labels: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(name_and_labels)?.trim().parse().ok())
}

#[test]
fn requests_and_key_generation_are_encoded_in_prometheus_text() {
    let metrics = Metrics::new();
    metrics.observe_request("GetClientCertificate", 200, Duration::from_millis(3));
    metrics.observe_request("GetClientCertificate", 200, Duration::from_millis(5));
    metrics.observe_request("GetClientCertificate", 404, Duration::from_millis(1));
    metrics.observe_key_generation(Duration::from_millis(40));
    let text = metrics.encode().expect("encode");
    assert_eq!(
        sample(
            &text,
            r#"certgate_requests_total{operation="GetClientCertificate",status="200"}"#
        ),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            r#"certgate_requests_total{operation="GetClientCertificate",status="404"}"#
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            r#"certgate_request_duration_seconds_count{operation="GetClientCertificate"}"#
        ),
        Some(3.0)
    );
    assert_eq!(
        sample(&text, "certgate_key_generation_duration_seconds_count"),
        Some(1.0)
    );
    assert!(text.contains("# TYPE certgate_request_duration_seconds histogram"));
}

#[test]
fn the_key_pool_reads_zero_until_a_pool_registers_its_probe() {
    let metrics = Metrics::new();
    assert_eq!(metrics.key_pool_fill(), None);
    let text = metrics.encode().expect("encode");
    assert_eq!(sample(&text, "certgate_key_pool_depth"), Some(0.0));

    metrics.set_key_pool_probe(Arc::new(|| KeyPoolFill {
        depth: 12,
        capacity: 32,
    }));
    assert_eq!(
        metrics.key_pool_fill(),
        Some(KeyPoolFill {
            depth: 12,
            capacity: 32
        })
    );
    let text = metrics.encode().expect("encode");
    assert_eq!(sample(&text, "certgate_key_pool_depth"), Some(12.0));
    assert_eq!(sample(&text, "certgate_key_pool_capacity"), Some(32.0));
}

#[test]
fn expiry_gauges_follow_the_latest_counts() {
    let metrics = Metrics::new();
    let mut counts = ExpiryCounts::default();
    counts.add(0, 3 * DAY);
    metrics.set_expiry_counts(&counts);
    let text = metrics.encode().expect("encode");
    assert_eq!(
        sample(&text, r#"certgate_certificates{expires_in="7d"}"#),
        Some(1.0)
    );
    // A certificate deleted since the last scrape must not linger in its bucket.
    metrics.set_expiry_counts(&ExpiryCounts::default());
    let text = metrics.encode().expect("encode");
    assert_eq!(
        sample(&text, r#"certgate_certificates{expires_in="7d"}"#),
        Some(0.0)
    );
}
