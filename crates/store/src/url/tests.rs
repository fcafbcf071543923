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
