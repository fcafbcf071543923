use clap::Parser;

use super::*;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    limits: LimitArgs,
}

fn parse(args: &[&str]) -> Result<Limits, String> {
    let cli = Cli::try_parse_from(std::iter::once("certgate").chain(args.iter().copied()))
        .map_err(|e| e.to_string())?;
    cli.limits.limits()
}

#[test]
fn defaults_are_the_documented_ones() {
    let limits = parse(&[]).unwrap();
    assert_eq!(limits.max_connections, 1024);
    assert_eq!(limits.max_in_flight, 256);
    assert_eq!(limits.max_header_bytes, 16 * 1024);
    assert_eq!(limits.max_body_bytes, 1024 * 1024);
    assert_eq!(limits.header_read_timeout, Duration::from_secs(10));
    assert_eq!(limits.body_read_timeout, Duration::from_secs(30));
    assert_eq!(limits.shutdown_grace, Duration::from_secs(30));
}

#[test]
fn flags_set_every_limit() {
    let limits = parse(&[
        "--max-connections=3",
        "--max-in-flight=2",
        "--max-header-bytes=9000",
        "--max-body-bytes=100",
        "--header-read-timeout-seconds=1.5",
        "--body-read-timeout-seconds=2",
        "--shutdown-grace-seconds=0.25",
    ])
    .unwrap();
    assert_eq!(limits.max_connections, 3);
    assert_eq!(limits.max_in_flight, 2);
    assert_eq!(limits.max_header_bytes, 9000);
    assert_eq!(limits.max_body_bytes, 100);
    assert_eq!(limits.header_read_timeout, Duration::from_millis(1500));
    assert_eq!(limits.body_read_timeout, Duration::from_secs(2));
    assert_eq!(limits.shutdown_grace, Duration::from_millis(250));
}

#[test]
fn out_of_range_values_are_refused_with_the_flag_named() {
    for (arg, flag) in [
        ("--max-connections=0", "max-connections"),
        ("--max-in-flight=0", "max-in-flight"),
        ("--max-header-bytes=100", "max-header-bytes"),
        ("--max-body-bytes=0", "max-body-bytes"),
        (
            "--header-read-timeout-seconds=0",
            "header-read-timeout-seconds",
        ),
        (
            "--body-read-timeout-seconds=-1",
            "body-read-timeout-seconds",
        ),
        ("--shutdown-grace-seconds=NaN", "shutdown-grace-seconds"),
        ("--shutdown-grace-seconds=inf", "shutdown-grace-seconds"),
    ] {
        let err = parse(&[arg]).unwrap_err();
        assert!(err.contains(flag), "{arg}: {err}");
    }
}
