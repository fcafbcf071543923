//! The operations certgate serves, declared once, from botocore's `apigateway` 2015-07-09 model.
//!
//! Everything under `generated/` is written by `scripts/gen-api` from the model for the operations
//! listed in `operations.txt`: each operation's route, success status and read/write class, its
//! input and output shapes (member names and order exactly the model's), the [`Operation`] a
//! request decodes to, the [`Output`] it answers, the [`Api`] trait the service implements and
//! [`dispatch`]. The wire crate routes and encodes over these tables; nothing here does I/O or
//! knows HTTP, so the catalogue can be checked against the model in plain unit tests.

mod generated;

pub use certgate_core::Error;
use certgate_core::Scope;
pub use generated::*;
use serde::de::DeserializeOwned;

/// What an operation runs with besides its input.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Context<'a> {
    /// The caller's account and region, where the operation's state lives.
    pub scope: &'a Scope,
}

impl<'a> Context<'a> {
    pub fn new(scope: &'a Scope) -> Self {
        Context { scope }
    }
}

/// One operation's place on HTTP, as the model's `http` trait gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub id: OperationId,
    pub name: &'static str,
    pub method: &'static str,
    /// The model's `requestUri`: literal segments and `{label}`s, perhaps a literal query.
    pub uri: &'static str,
    /// The status of a success (`responseCode`, 200 when the model gives none).
    pub status: u16,
    pub input: Option<&'static str>,
    pub output: Option<&'static str>,
}

/// Where a member travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Body,
    /// A `{label}` of the URI template.
    Label,
    Query,
    Header,
}

/// One member of a structure shape, as the model declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    /// The member's name in the model.
    pub name: &'static str,
    /// Its key in a JSON body: the `locationName` of a body member that has one, else the name.
    pub json: &'static str,
    /// The shape of its value.
    pub shape: &'static str,
    pub location: Location,
    /// The label, query parameter or header name of a member outside the body.
    pub location_name: Option<&'static str>,
    pub required: bool,
    /// False for a member the model marks "(Not currently supported)": API Gateway ignores it,
    /// and the decoder leaves it absent whatever the request says.
    pub supported: bool,
}

/// A routed request as the generated decoders read it. The wire crate implements it over the raw
/// request, and with it every protocol rule and message: label decoding, strict JSON bodies,
/// integer query parameters.
pub trait Source {
    /// A URI label, already percent-decoded.
    fn label(&self, name: &str) -> Option<String>;
    /// Every value of one query parameter, decoded, in order.
    fn query(&self, name: &str) -> Vec<String>;
    /// An integer query parameter (its first value), or the client's error for a bad one.
    fn query_integer(&self, name: &str) -> Result<Option<i64>, Error>;
    /// A boolean query parameter (its first value), or the client's error for a bad one.
    fn query_boolean(&self, name: &str) -> Result<Option<bool>, Error>;
    fn header(&self, name: &str) -> Option<String>;
    /// The JSON body decoded as `T`; an empty body is an empty object.
    fn body<T: DeserializeOwned>(&self) -> Result<T, Error>;
}

/// An operation's input, decoded from a routed request: labels, query, headers, body.
pub trait Input: Sized {
    fn decode<S: Source + ?Sized>(src: &S) -> Result<Self, Error>;
}

/// AWS's answer for a required member that is absent or null.
pub(crate) fn required<T>(value: Option<T>, member: &str) -> Result<T, Error> {
    value.ok_or_else(|| {
        Error::bad_request(format!(
            "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
        ))
    })
}

/// An integer body member: JSON has one number type, and JSON Schema counts `5.0` as the integer
/// 5 (schemathesis sends it), so a number with no fraction in the member's range is taken as that
/// integer; `5.5`, or one out of range, is refused as before.
pub(crate) fn integral<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i32>, D::Error> {
    use serde::de::{Deserialize, Error as _, Unexpected};
    match Option::<f64>::deserialize(d)? {
        None => Ok(None),
        Some(n) if n.fract() == 0.0 && (f64::from(i32::MIN)..=f64::from(i32::MAX)).contains(&n) => {
            Ok(Some(n as i32))
        }
        Some(n) => Err(D::Error::invalid_value(Unexpected::Float(n), &"i32")),
    }
}

/// A list query parameter that is not given at all is absent, not an empty list.
pub(crate) fn non_empty(values: Vec<String>) -> Option<Vec<String>> {
    (!values.is_empty()).then_some(values)
}

#[cfg(test)]
mod tests;
