use super::*;
use crate::testing::{id, scope};

fn entry(account: &str, n: usize, description: &str, expires: i64) -> Entry {
    Entry {
        scope: scope(account, "us-east-1"),
        certificate: certgate_core::Certificate {
            id: id(n),
            description: Some(description.to_string()),
            pem: String::from("-----BEGIN CERTIFICATE-----"),
            created: expires - certgate_core::VALIDITY_SECONDS,
            expires,
            tags: Default::default(),
        },
        stages: Vec::new(),
    }
}

#[test]
fn a_certificate_names_the_stages_that_break_when_it_expires() {
    let now = 1_000 * expiry::DAY;
    let mut soon = entry("111111111111", 1, "payments", now + 12 * expiry::DAY);
    soon.stages = vec![crate::inventory::StageUse {
        api_id: "a1b2c3d4e5".into(),
        api_name: "payments-api".into(),
        stage: "prod".into(),
    }];
    let window = 30 * expiry::DAY;
    assert_eq!(
        soon.warnings(now, window),
        ["stage prod of payments-api presents a certificate that expires in 12 days"]
    );
    let out = table(&[&soon], now, window, 1);
    assert!(out.contains("prod of payments-api"), "{out}");
    assert!(
        out.contains(
            "warning: stage prod of payments-api presents a certificate that expires in 12 days"
        ),
        "{out}"
    );
    // Outside the window, nothing to warn of.
    assert!(soon.warnings(now, 5 * expiry::DAY).is_empty());
    let json = soon.to_json(now, window);
    assert_eq!(json["stages"][0]["restApiName"], "payments-api");
}

#[test]
fn table_aligns_columns_and_keeps_each_certificate_on_one_line() {
    let now = 1_000 * expiry::DAY;
    let long = "x".repeat(100);
    let entries = [
        entry(
            "111111111111",
            1,
            "line one\nline two\u{1b}[2J",
            now + 10 * expiry::DAY,
        ),
        entry("222222222222", 2, &long, now - 1),
    ];
    let refs: Vec<&Entry> = entries.iter().collect();
    let out = table(&refs, now, 30 * expiry::DAY, 2);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert!(!out.contains('\u{1b}') && !out.contains("PRIVATE"));
    // Columns line up in characters (the ellipsis is one character and three bytes).
    let col = |line: &str, name: &str| {
        let at = line.find(name).expect(name);
        line[..at].chars().count()
    };
    let status_at = col(lines[0], "STATUS");
    assert_eq!(col(lines[1], "expiring"), status_at);
    assert_eq!(col(lines[2], "expired"), status_at);
    assert!(lines[1].contains("line one line two"));
    assert!(lines[2].contains(&format!("{}…", "x".repeat(39))));
    assert!(!lines[2].contains(&"x".repeat(40)));
    assert_eq!(
        lines[3],
        "2 certificate(s) listed at 1972-09-27T00:00:00Z; 2 expire within 30d (1 already expired)"
    );
}

#[test]
fn windows_print_as_written() {
    assert_eq!(human_duration(30 * expiry::DAY), "30d");
    assert_eq!(human_duration(12 * expiry::HOUR), "12h");
    assert_eq!(human_duration(90 * expiry::MINUTE), "90m");
    assert_eq!(human_duration(45), "45s");
    assert_eq!(human_duration(0), "0s");
}
