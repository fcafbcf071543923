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
mod tests;
