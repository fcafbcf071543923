use super::*;

const GOOD: &str = r#"
[[credential]]
access_key_id = "AKIAFULL0001"
secret_access_key = "full-secret"
account_id = "111111111111"
permission = "full"

[[credential]]
access_key_id = "AKIAREAD0001"
secret_access_key = "read-secret"
account_id = "111111111111"
permission = "read-only"
"#;

#[test]
fn a_good_file_parses_and_secrets_never_print() {
    let c = Credentials::parse(GOOD).unwrap();
    assert_eq!(c.len(), 2);
    let full = c.get("AKIAFULL0001").unwrap();
    assert_eq!(full.permission, Permission::Full);
    assert_eq!(full.account.as_str(), "111111111111");
    assert_eq!(full.secret.expose(), b"full-secret");
    assert_eq!(
        c.get("AKIAREAD0001").unwrap().permission,
        Permission::ReadOnly
    );
    let shown = format!("{c:?}");
    assert!(
        !shown.contains("full-secret") && !shown.contains("read-secret"),
        "{shown}"
    );
}

#[test]
fn bad_files_say_what_is_wrong() {
    let cases = [
        ("", "no [[credential]]"),
        ("[[credential]]\naccess_key_id = \"A\"\n", "missing field"),
        (
            &GOOD.replace("\"full\"", "\"superuser\""),
            "unknown variant",
        ),
        (&GOOD.replace("111111111111", "12345"), "twelve digits"),
        (
            &GOOD.replace("AKIAREAD0001", "AKIAFULL0001"),
            "listed twice",
        ),
        (
            &GOOD.replace("AKIAFULL0001", "AKIA/FULL"),
            "letters and digits",
        ),
        (&GOOD.replace("\"full-secret\"", "\"\""), "empty"),
        (&format!("{GOOD}\nextra = 1\n"), "unknown field"),
        ("[[credential]\n", "line 1"),
        (&GOOD.replace("\"full-secret\"", "\"full-secret"), "line 4"),
        (&GOOD.replace("\"full-secret\"", "full-secret"), "line 4"),
    ];
    for (text, want) in cases {
        let err = Credentials::parse(text).unwrap_err();
        assert!(err.contains(want), "{text:?}: {err}");
        assert!(!err.contains("full-secret"), "a secret leaked into: {err}");
    }
}

#[test]
fn a_bad_reload_keeps_the_credentials_in_force() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credentials.toml");
    std::fs::write(&path, GOOD).unwrap();
    let file = CredentialsFile::load(&path).unwrap();
    std::fs::write(&path, "not toml [").unwrap();
    assert!(file.reload().is_err());
    assert!(file.current().get("AKIAFULL0001").is_some());
    std::fs::write(&path, GOOD.replace("AKIAFULL0001", "AKIAFULL0002")).unwrap();
    assert_eq!(file.reload(), Ok(2));
    assert!(file.current().get("AKIAFULL0001").is_none());
    assert!(file.current().get("AKIAFULL0002").is_some());
}

#[test]
fn a_missing_file_is_named() {
    let err = CredentialsFile::load(std::path::Path::new("/nonexistent/creds.toml")).unwrap_err();
    assert!(err.contains("/nonexistent/creds.toml"), "{err}");
}

#[test]
fn admin_keys_parse_and_may_write() {
    let c = Credentials::parse(&GOOD.replace("\"full\"", "\"admin\"")).unwrap();
    assert_eq!(c.get("AKIAFULL0001").unwrap().permission, Permission::Admin);
}
