use super::*;

#[test]
fn parses_sqlite_urls() {
    assert_eq!(
        StoreUrl::parse("sqlite:///tmp/a.db").unwrap(),
        StoreUrl::Sqlite("/tmp/a.db".into())
    );
    assert_eq!(
        StoreUrl::parse("sqlite://data/a.db").unwrap(),
        StoreUrl::Sqlite("data/a.db".into())
    );
    assert!(StoreUrl::parse("sqlite://").is_err());
    assert!(StoreUrl::parse("mysql://x")
        .unwrap_err()
        .contains("'mysql'"));
    assert!(StoreUrl::parse("/tmp/a.db").is_err());
}

#[test]
fn parses_postgres_urls() {
    for url in [
        "postgres://postgres@127.0.0.1:5432/test",
        "postgresql://postgres@127.0.0.1:5432/test?schema=certgate_x",
    ] {
        let parsed = StoreUrl::parse(url).unwrap();
        assert!(matches!(parsed, StoreUrl::Postgres(_)), "{url}");
        assert_eq!(parsed.to_string(), url);
    }
    assert!(StoreUrl::parse("postgres://u@h/d?schema=Bad-Name")
        .unwrap_err()
        .contains("schema"));
}
