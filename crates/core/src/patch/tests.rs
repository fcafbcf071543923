use super::*;

fn op(op: &str, path: &str, value: Option<&str>) -> PatchOperation {
    PatchOperation {
        op: Some(op.into()),
        path: Some(path.into()),
        value: value.map(Into::into),
        from: None,
    }
}

fn message(ops: &[PatchOperation]) -> String {
    match description_change(ops) {
        Err(Error::BadRequest(m)) => m,
        other => panic!("expected BadRequest, got {other:?}"),
    }
}

#[test]
fn empty_changes_nothing() {
    assert_eq!(description_change(&[]).unwrap(), None);
}

#[test]
fn replace_description_last_wins() {
    let ops = [
        op("replace", "/description", Some("a")),
        op("replace", "/description", Some("b")),
    ];
    assert_eq!(description_change(&ops).unwrap(), Some(Some("b".into())));
    assert_eq!(
        description_change(&[op("replace", "/description", None)]).unwrap(),
        Some(None)
    );
}

#[test]
fn aws_messages() {
    assert_eq!(
        message(&[op("replace", "/name", Some("x"))]),
        "Invalid patch path  '/name' specified for op 'replace'. Must be one of: [/description]"
    );
    assert!(message(&[op("add", "/description", Some("x"))]).contains("Must be one of: [replace]"));
    assert!(message(&[op("remove", "/description", None)]).contains("'remove'"));
    assert!(message(&[op("frobnicate", "/description", None)]).contains("'frobnicate'"));
    let missing = PatchOperation {
        op: Some("replace".into()),
        ..Default::default()
    };
    assert!(message(&[missing]).contains("'null'"));
}

#[test]
fn one_bad_operation_rejects_all() {
    let ops = [
        op("replace", "/description", Some("a")),
        op("replace", "/tags", Some("b")),
    ];
    assert!(description_change(&ops).is_err());
}
