//! Patch rules of UpdateClientCertificate: of all JSON-patch operations API Gateway knows, a client
//! certificate accepts only `replace` on `/description`.

use crate::error::Error;

/// The operations API Gateway's model lists, in the order its validation messages name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Add,
    Remove,
    Replace,
    Move,
    Copy,
    Test,
}

impl Op {
    pub fn parse(s: &str) -> Option<Op> {
        Some(match s {
            "add" => Op::Add,
            "remove" => Op::Remove,
            "replace" => Op::Replace,
            "move" => Op::Move,
            "copy" => Op::Copy,
            "test" => Op::Test,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Op::Add => "add",
            Op::Remove => "remove",
            Op::Replace => "replace",
            Op::Move => "move",
            Op::Copy => "copy",
            Op::Test => "test",
        }
    }
}

/// One operation as the client sent it; `op` stays a string so that an unknown one can be named in
/// the error.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PatchOperation {
    pub op: Option<String>,
    pub path: Option<String>,
    pub value: Option<String>,
    pub from: Option<String>,
}

const DESCRIPTION: &str = "/description";

/// What the operations do to the description: `None` when there are no operations (nothing
/// changes), otherwise the final description (`Some(None)` clears it). Operations apply in order, so
/// of several replaces the last wins; any invalid operation rejects the whole request.
pub fn description_change(ops: &[PatchOperation]) -> Result<Option<Option<String>>, Error> {
    let mut result = None;
    for operation in ops {
        let op_text = operation.op.as_deref().unwrap_or("null");
        let op = Op::parse(op_text).ok_or_else(|| {
            Error::bad_request(format!(
                "Invalid patch operation '{op_text}' specified. Must be one of: [add, remove, replace, move, copy, test]"
            ))
        })?;
        let path = operation.path.as_deref().unwrap_or("null");
        if op != Op::Replace {
            return Err(Error::bad_request(format!(
                "Invalid patch operation '{}' specified for path '{path}'. Must be one of: [replace]",
                op.as_str()
            )));
        }
        if path != DESCRIPTION {
            // AWS's message has two spaces after "path"; clients match on it, so it is kept.
            return Err(Error::bad_request(format!(
                "Invalid patch path  '{path}' specified for op 'replace'. Must be one of: [{DESCRIPTION}]"
            )));
        }
        result = Some(operation.value.clone());
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
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
        assert!(
            message(&[op("add", "/description", Some("x"))]).contains("Must be one of: [replace]")
        );
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
}
