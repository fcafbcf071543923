//! The flags parse into the values the crates are given, and out-of-range values are refused with
//! the flag named.

use std::time::Duration;

use clap::Parser;

use super::admin::{CertsCommand, ListArgs, OutputArg};
use super::serve::LimitArgs;
use certgate_server::Limits;

#[derive(Parser)]
struct LimitsCli {
    #[command(flatten)]
    limits: LimitArgs,
}

fn parse(args: &[&str]) -> Result<Limits, String> {
    let cli = LimitsCli::try_parse_from(std::iter::once("certgate").chain(args.iter().copied()))
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

#[derive(clap::Parser)]
struct CertsCli {
    #[command(subcommand)]
    certs: CertsCommand,
}

fn parse_list(args: &[&str]) -> Result<ListArgs, clap::Error> {
    let mut argv = vec!["certs"];
    argv.extend_from_slice(args);
    CertsCli::try_parse_from(argv).map(|cli| match cli.certs {
        CertsCommand::List(a) => a,
    })
}

#[test]
fn certs_flags_parse_durations_including_negative_ones() {
    let a = parse_list(&[
        "list",
        "--expiring-within",
        "12h",
        "--clock-offset",
        "-350d",
        "--output",
        "json",
    ])
    .expect("parse");
    assert_eq!(a.expiring_within, Some(12 * 3600));
    assert_eq!(a.clock_offset, Some(-350 * 86_400));
    assert_eq!(a.output, OutputArg::Json);
    assert_eq!(a.config().output, certgate_service::certs::Output::Json);
    let a =
        parse_list(&["list", "--account", "123456789012", "--region", "eu-west-1"]).expect("parse");
    assert_eq!(
        a.account.map(|x| x.to_string()).as_deref(),
        Some("123456789012")
    );
    assert_eq!(a.output, OutputArg::Table);
    for bad in [
        &["list", "--expiring-within", "30x"][..],
        &["list", "--expiring-within", "-1d"],
        &["list", "--account", "12"],
        &["list", "--region", "US"],
        &["list", "--output", "xml"],
    ] {
        assert!(parse_list(bad).is_err(), "{bad:?}");
    }
}
