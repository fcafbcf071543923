//! What every Update operation of the REST API family shares: the operations checked against the
//! model's enum (AWS answers a bad `op` with a ValidationException naming each one), paths split
//! into their JSON-pointer segments, and the value conversions AWS applies.

use std::collections::BTreeMap;

use certgate_core::patch::{Op, PatchOperation};
use certgate_core::Error;

/// One patch operation whose `op` is known.
pub(crate) struct Step<'a> {
    pub op: Op,
    pub path: &'a str,
    pub value: Option<&'a str>,
}

impl Step<'_> {
    /// The value, or `""` when none was given (AWS reads a missing value as empty).
    pub fn text(&self) -> &str {
        self.value.unwrap_or("")
    }

    /// The path's segments after the leading `/`, each unescaped (`~1` is `/`, `~0` is `~`).
    pub fn segments(&self) -> Vec<String> {
        self.path
            .strip_prefix('/')
            .unwrap_or(self.path)
            .split('/')
            .map(unescape)
            .collect()
    }

    /// The path after its first segment, unescaped: a map member's key, which may itself hold
    /// dots or an escaped slash (`/requestParameters/method.request.path.id`).
    pub fn tail(&self) -> String {
        unescape(self.path.splitn(3, '/').nth(2).unwrap_or_default())
    }

    /// AWS's answer for a path the operation does not know.
    pub fn invalid_path(&self) -> Error {
        Error::bad_request(format!("Invalid patch path {}", self.path))
    }

    /// AWS's answer for an operation a path does not take, naming those it does.
    pub fn only(&self, ops: &[Op]) -> Result<(), Error> {
        if ops.contains(&self.op) {
            return Ok(());
        }
        let names: Vec<&str> = ops.iter().map(|o| o.as_str()).collect();
        Err(Error::bad_request(format!(
            "Invalid patch operation specified. Must be one of: [{}]",
            names.join(", ")
        )))
    }
}

/// The patch operations of a request, as the domain reads them.
pub(crate) fn from_model(ops: Option<Vec<certgate_api::PatchOperation>>) -> Vec<PatchOperation> {
    ops.unwrap_or_default()
        .into_iter()
        .map(|p| PatchOperation {
            op: p.op,
            path: p.path,
            value: p.value,
            from: p.from,
        })
        .collect()
}

/// A map member after a change: `None` once it is empty, as AWS leaves it out.
pub(crate) fn tidy<V>(map: &mut Option<BTreeMap<String, V>>) {
    if map.as_ref().is_some_and(BTreeMap::is_empty) {
        *map = None;
    }
}

pub(crate) fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

/// The operations with their `op` parsed. `input` is the model's name of the request
/// (`updateRestApiInput`), which the ValidationException names; every bad op is listed.
pub(crate) fn steps<'a>(ops: &'a [PatchOperation], input: &str) -> Result<Vec<Step<'a>>, Error> {
    steps_and(ops, input, None)
}

/// [`steps`], with one more problem of the request (a malformed status code) listed after the
/// operations' in the same ValidationException, as AWS lists them.
pub(crate) fn steps_and<'a>(
    ops: &'a [PatchOperation],
    input: &str,
    also: Option<String>,
) -> Result<Vec<Step<'a>>, Error> {
    let mut bad = Vec::new();
    let mut steps = Vec::with_capacity(ops.len());
    for (n, operation) in ops.iter().enumerate() {
        let parsed = operation.op.as_deref().and_then(Op::parse);
        match parsed {
            Some(op) => steps.push(Step {
                op,
                path: operation.path.as_deref().unwrap_or(""),
                value: operation.value.as_deref(),
            }),
            None => {
                let value = operation
                    .op
                    .as_deref()
                    .map_or("null".to_string(), |v| format!("'{v}'"));
                bad.push(format!(
                    "Value {value} at '{input}.patchOperations.{}.member.op' failed to satisfy constraint: Member must satisfy enum value set: [add, remove, move, test, replace, copy]",
                    n + 1
                ));
            }
        }
    }
    bad.extend(also);
    if !bad.is_empty() {
        return Err(validation(bad));
    }
    Ok(steps)
}

/// A ValidationException listing each broken constraint, as AWS words it.
pub(crate) fn validation(problems: Vec<String>) -> Error {
    let count = problems.len();
    let noun = if count == 1 { "error" } else { "errors" };
    Error::Validation(format!(
        "{count} validation {noun} detected: {}",
        problems.join("; ")
    ))
}

/// AWS's reading of a boolean patch value: `true` in any case is true, anything else false.
pub(crate) fn boolean(value: &str) -> bool {
    value.eq_ignore_ascii_case("true")
}

/// An integer patch value, or the message AWS gives for the member.
pub(crate) fn integer(value: &str, message: &str) -> Result<i32, Error> {
    value
        .trim()
        .parse::<i32>()
        .map_err(|_| Error::bad_request(message.to_string()))
}

/// A value that must be one of `allowed`, as a ValidationException in AWS's words otherwise.
pub(crate) fn one_of(value: &str, at: &str, allowed: &[&str]) -> Result<(), Error> {
    if allowed.contains(&value) {
        return Ok(());
    }
    Err(validation(vec![enum_problem(value, at, allowed)]))
}

pub(crate) fn enum_problem(value: &str, at: &str, allowed: &[&str]) -> String {
    format!(
        "Value '{value}' at '{at}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
        allowed.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(op: Option<&str>, path: &str) -> PatchOperation {
        PatchOperation {
            op: op.map(str::to_string),
            path: Some(path.to_string()),
            value: None,
            from: None,
        }
    }

    #[test]
    fn every_bad_op_is_named_with_its_one_based_index() {
        let ops = [
            op(Some("replace"), "/a"),
            op(Some("wrong"), "/b"),
            op(None, "/c"),
        ];
        let Err(Error::Validation(m)) = steps(&ops, "updateRestApiInput") else {
            panic!("expected a validation error");
        };
        assert!(m.starts_with("2 validation errors detected: Value 'wrong' at 'updateRestApiInput.patchOperations.2.member.op'"));
        assert!(m.contains("; Value null at 'updateRestApiInput.patchOperations.3.member.op'"));
    }

    #[test]
    fn segments_are_unescaped() {
        let ops = [op(Some("add"), "/requestModels/application~1json")];
        let steps = steps(&ops, "x").unwrap();
        assert_eq!(
            steps[0].segments(),
            vec!["requestModels", "application/json"]
        );
    }
}
