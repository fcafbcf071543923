use super::config::PostgresUrl;
use super::*;
use certgate_core::{AccountId, Region};

#[test]
fn schema_is_certgates_own_parameter() {
    let url = PostgresUrl::parse(
        "postgres://app:s3cret@db.example:5433/certs?schema=certgate_a&application_name=x",
    )
    .unwrap();
    assert_eq!(url.schema(), Some("certgate_a"));
    let config = url.config().unwrap();
    assert_eq!(config.get_dbname(), Some("certs"));
    assert_eq!(config.get_application_name(), Some("x"));
    let options = config.get_options().unwrap();
    assert!(options.contains("-c search_path=certgate_a"), "{options}");
    assert!(options.contains("-c statement_timeout=5000"), "{options}");
    assert_eq!(config.get_connect_timeout(), Some(&config::CONNECT_TIMEOUT));

    let plain = PostgresUrl::parse("postgresql://postgres@127.0.0.1/test").unwrap();
    assert_eq!(plain.schema(), None);
    assert!(!plain
        .config()
        .unwrap()
        .get_options()
        .unwrap()
        .contains("search_path"));
}

#[test]
fn a_given_connect_timeout_and_options_are_kept() {
    let url = PostgresUrl::parse("postgres://u@h/d?connect_timeout=9&options=-c%20work_mem%3D4MB")
        .unwrap();
    let config = url.config().unwrap();
    assert_eq!(
        config.get_connect_timeout(),
        Some(&std::time::Duration::from_secs(9))
    );
    let options = config.get_options().unwrap();
    assert!(options.starts_with("-c work_mem=4MB -c "), "{options}");
}

#[test]
fn bad_schemas_and_urls_are_refused_with_a_reason() {
    for schema in ["", "A", "1abc", "a-b", "a;drop", &"a".repeat(64)] {
        let err = PostgresUrl::parse(&format!("postgres://u@h/d?schema={schema}")).unwrap_err();
        assert!(err.contains("schema"), "{err}");
    }
    let err = PostgresUrl::parse("postgres://u@h/d?no_such_param=1").unwrap_err();
    assert!(err.contains("not a valid PostgreSQL URL"), "{err}");
}

#[test]
fn passwords_never_show() {
    let url = PostgresUrl::parse("postgres://app:s3cret@h:5432/d?schema=s").unwrap();
    for shown in [format!("{url}"), format!("{url:?}")] {
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("app:***@h:5432/d"), "{shown}");
        assert!(shown.contains("schema=s"), "{shown}");
    }
    let url = PostgresUrl::parse("postgres://app@h/d?password=s3cret").unwrap();
    assert!(!format!("{url}").contains("s3cret"), "{url}");
    let err = PostgresUrl::parse("postgres://app:s3cret@h/d?bogus=1").unwrap_err();
    assert!(!err.contains("s3cret"), "{err}");
}

#[test]
fn passwords_with_url_characters_never_show() {
    // Generated passwords (`openssl rand -base64`) hold `/`, `+` and `=`; others `?`, `&`, `#`.
    for password in [
        "ab/cd+ef==",
        "a?b",
        "x&y=z",
        "p#q",
        "s/l?a&s=h",
        "%2Fenc%3Fded",
    ] {
        for url in [
            format!("postgres://app:{password}@127.0.0.1:5432/test?schema=s"),
            format!("postgresql://app:{password}@db.example:6543/test"),
        ] {
            let parsed = PostgresUrl::parse(&url).unwrap_or_else(|e| panic!("{password}: {e}"));
            for shown in [format!("{parsed}"), format!("{parsed:?}")] {
                for piece in [password, "cd+ef", "b&", "y=z", "#q", "l?a", "enc"] {
                    if password.contains(piece) {
                        assert!(!shown.contains(piece), "{piece} of {password} in {shown}");
                    }
                }
                assert!(shown.contains("app:***@"), "{shown}");
            }
        }
    }
    let parsed = PostgresUrl::parse("postgres://app:ab/cd@127.0.0.1:5432/test?schema=s").unwrap();
    assert_eq!(
        parsed.to_string(),
        "postgres://app:***@127.0.0.1:5432/test?schema=s"
    );
    let parsed = PostgresUrl::parse("postgres://app@h,g:5433/d?password=s3/cret").unwrap();
    // A host without its own port takes the default, as libpq reads the list.
    assert_eq!(parsed.to_string(), "postgres://app:***@h:5432,g:5433/d");
}

#[test]
fn database_errors_map_to_what_the_service_can_act_on() {
    let m = || "m".to_string();
    assert!(matches!(
        classify(&SqlState::T_R_SERIALIZATION_FAILURE, m()),
        StoreError::Conflict(_)
    ));
    assert!(matches!(
        classify(&SqlState::T_R_DEADLOCK_DETECTED, m()),
        StoreError::Conflict(_)
    ));
    for code in [
        SqlState::QUERY_CANCELED,
        SqlState::ADMIN_SHUTDOWN,
        SqlState::CANNOT_CONNECT_NOW,
        SqlState::CONNECTION_FAILURE,
        SqlState::TOO_MANY_CONNECTIONS,
    ] {
        assert!(
            matches!(classify(&code, m()), StoreError::Unavailable(_)),
            "{code:?}"
        );
    }
    for code in [SqlState::UNDEFINED_TABLE, SqlState::SYNTAX_ERROR] {
        assert!(
            matches!(classify(&code, m()), StoreError::Backend(_)),
            "{code:?}"
        );
    }
}

#[test]
fn quota_lock_keys_are_stable_and_per_scope() {
    let scope = |a: &str, r: &str| Scope {
        account: AccountId::parse(a).unwrap(),
        region: Region::parse(r).unwrap(),
    };
    let a = scope("111111111111", "us-east-1");
    // The key is part of the protocol between nodes: it must not change between builds.
    assert_eq!(quota_lock_key("", &a), quota_lock_key("", &a));
    assert_ne!(quota_lock_key("", &a), quota_lock_key("s", &a));
    assert_ne!(
        quota_lock_key("", &a),
        quota_lock_key("", &scope("111111111111", "us-east-2"))
    );
    assert_ne!(
        quota_lock_key("", &a),
        quota_lock_key("", &scope("211111111111", "us-east-1"))
    );
}

#[test]
fn sslmode_and_sslrootcert_are_read_by_certgate() {
    use super::tls::SslMode;
    let url =
        PostgresUrl::parse("postgres://u:pw@db:5432/d?sslmode=verify-full&sslrootcert=/etc/ca.pem")
            .unwrap();
    assert_eq!(url.tls().mode, SslMode::VerifyFull);
    assert_eq!(
        url.tls().root_cert.as_deref(),
        Some(std::path::Path::new("/etc/ca.pem"))
    );
    assert_eq!(
        url.config().unwrap().get_ssl_mode(),
        tokio_postgres::config::SslMode::Require
    );
    assert_eq!(
        url.to_string(),
        "postgres://u:***@db:5432/d?sslmode=verify-full"
    );
    // libpq's default is prefer: TLS when the server offers it.
    let plain = PostgresUrl::parse("postgres://u@db/d").unwrap();
    assert_eq!(plain.tls().mode, SslMode::Prefer);
    let disabled = PostgresUrl::parse("postgres://u@db/d?sslmode=disable").unwrap();
    assert_eq!(
        disabled.config().unwrap().get_ssl_mode(),
        tokio_postgres::config::SslMode::Disable
    );
    let bad = PostgresUrl::parse("postgres://u@db/d?sslmode=allow").unwrap_err();
    assert!(bad.contains("sslmode 'allow'"), "{bad}");
    // The verifying modes need to know whom to trust; a missing file is a start-up error.
    let no_root = PostgresUrl::parse("postgres://u@db/d?sslmode=verify-ca").unwrap();
    assert!(no_root.tls().connector().is_err());
    let missing =
        PostgresUrl::parse("postgres://u@db/d?sslmode=verify-ca&sslrootcert=/nonexistent.pem")
            .unwrap();
    let err = missing.tls().connector().err().unwrap_or_default();
    assert!(err.contains("/nonexistent.pem"), "{err}");
}
