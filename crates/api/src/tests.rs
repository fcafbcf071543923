//! The catalogue held against the model, member by member. `model.json` is the excerpt of
//! botocore's model that scripts/gen-api wrote beside the code, and `scripts/gen-api --check` (in
//! .ci/run) proves it is still the pinned botocore's; these tests prove the tables and the serde
//! code say what it says, so a hand edit of either side fails here.

use std::collections::{BTreeMap, BTreeSet};

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::*;

pub(crate) type RoundTrip = fn(&Value, &str) -> Result<(), String>;

fn model() -> Value {
    serde_json::from_str(MODEL).expect("model.json is JSON")
}

fn shape<'m>(model: &'m Value, name: &str) -> &'m Value {
    model["shapes"]
        .get(name)
        .unwrap_or_else(|| panic!("{name} is not in model.json"))
}

#[test]
fn the_routes_are_the_models() {
    let model = model();
    let listed: Vec<&str> = include_str!("../operations.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let routed: Vec<&str> = ROUTES.iter().map(|r| r.name).collect();
    assert_eq!(routed, listed, "ROUTES is not operations.txt");
    let in_model: BTreeSet<&str> = model["operations"]
        .as_object()
        .expect("operations")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(in_model, listed.iter().copied().collect());
    for (i, route) in ROUTES.iter().enumerate() {
        let op = &model["operations"][route.name];
        let http = &op["http"];
        assert_eq!(route.method, http["method"], "{}", route.name);
        assert_eq!(route.uri, http["requestUri"], "{}", route.name);
        let status = http
            .get("responseCode")
            .and_then(Value::as_u64)
            .unwrap_or(200);
        assert_eq!(u64::from(route.status), status, "{}", route.name);
        assert_eq!(route.input, op["input"]["shape"].as_str(), "{}", route.name);
        assert_eq!(
            route.output,
            op["output"]["shape"].as_str(),
            "{}",
            route.name
        );
        assert_eq!(route.id.is_write(), route.method != "GET", "{}", route.name);
        assert_eq!(OperationId::ALL[i], route.id);
        assert_eq!(route.id.route(), route);
        assert_eq!(route.id.name(), route.name);
    }
}

#[test]
fn every_member_is_the_models() {
    let model = model();
    let declared: BTreeMap<&str, &[Member]> = SHAPES.iter().copied().collect();
    let structures: BTreeSet<&str> = model["shapes"]
        .as_object()
        .expect("shapes")
        .iter()
        .filter(|(_, s)| s["type"] == "structure")
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(
        declared.keys().copied().collect::<BTreeSet<_>>(),
        structures
    );
    for (name, members) in declared {
        let spec = shape(&model, name);
        let required: BTreeSet<&str> = spec["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let want = spec["members"].as_object().expect("members");
        let names: Vec<&str> = members.iter().map(|m| m.name).collect();
        let want_names: Vec<&str> = want.keys().map(String::as_str).collect();
        // serde_json's map keeps the file's order only with preserve_order; compare as sets, and
        // the order through the generator's own check (model.json is written in model order).
        assert_eq!(
            names.iter().copied().collect::<BTreeSet<_>>(),
            want_names.iter().copied().collect::<BTreeSet<_>>(),
            "{name}"
        );
        for m in members {
            let w = &want[m.name];
            assert_eq!(m.shape, w["shape"], "{name}.{}", m.name);
            let location = match w["location"].as_str() {
                None => Location::Body,
                Some("uri") => Location::Label,
                Some("querystring") => Location::Query,
                Some("header") => Location::Header,
                Some(other) => panic!("{name}.{}: location {other}", m.name),
            };
            assert_eq!(m.location, location, "{name}.{}", m.name);
            assert_eq!(
                m.location_name,
                w["locationName"].as_str(),
                "{name}.{}",
                m.name
            );
            let json = match (location, w["locationName"].as_str()) {
                (Location::Body, Some(n)) => n,
                _ => m.name,
            };
            assert_eq!(m.json, json, "{name}.{}", m.name);
            assert_eq!(m.required, required.contains(m.name), "{name}.{}", m.name);
            let marked = w["documentation"]
                .as_str()
                .is_some_and(|d| d.starts_with("<p>(Not currently supported)"));
            assert_eq!(m.supported, !marked, "{name}.{}", m.name);
        }
    }
}

/// The declared member order is the model's: the botocore JSON lists members in the order the
/// SDKs generate them, and model.json keeps that text order, which a plain scan can read.
#[test]
fn member_order_is_the_models() {
    for (name, members) in SHAPES {
        let line = MODEL
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("\"{name}\": ")))
            .unwrap_or_else(|| panic!("{name} not in model.json"));
        let members_text = &line[line.find("\"members\"").expect("members")..];
        let mut at = 0;
        for m in *members {
            let key = format!("\"{}\": {{", m.name);
            let found = members_text[at..]
                .find(&key)
                .unwrap_or_else(|| panic!("{name}.{} out of the model's order", m.name));
            at += found + key.len();
        }
    }
}

/// A value of `shape` for every member, so a serde round trip shows each member's JSON name.
fn sample(model: &Value, name: &str) -> Value {
    let spec = shape(model, name);
    match spec["type"].as_str().expect("type") {
        "structure" => {
            let mut object = Map::new();
            for (member, m) in spec["members"].as_object().expect("members") {
                if m.get("location").is_none() {
                    let key = m["locationName"].as_str().unwrap_or(member);
                    object.insert(
                        key.to_string(),
                        sample(model, m["shape"].as_str().expect("shape")),
                    );
                }
            }
            Value::Object(object)
        }
        "list" => json!([sample(
            model,
            spec["member"]["shape"].as_str().expect("member")
        )]),
        "map" => json!({ "k": sample(model, spec["value"]["shape"].as_str().expect("value")) }),
        "integer" | "long" | "timestamp" => json!(7),
        "double" | "float" => json!(1.5),
        "boolean" => json!(true),
        _ => json!("s"),
    }
}

/// An output or nested shape: the sample deserialises and serialises back unchanged.
pub(crate) fn output<T: Serialize + DeserializeOwned>(
    model: &Value,
    name: &str,
) -> Result<(), String> {
    let want = sample(model, name);
    let value: T = serde_json::from_value(want.clone()).map_err(|e| format!("{name}: {e}"))?;
    let got = serde_json::to_value(&value).map_err(|e| e.to_string())?;
    (got == want)
        .then_some(())
        .ok_or_else(|| format!("{name}: {got} is not {want}"))
}

/// A request made of a sample for every member, where the model puts it.
struct Sample {
    labels: BTreeMap<String, String>,
    query: BTreeMap<String, Vec<String>>,
    headers: BTreeMap<String, String>,
    body: Value,
}

impl Source for Sample {
    fn label(&self, name: &str) -> Option<String> {
        self.labels.get(name).cloned()
    }
    fn query(&self, name: &str) -> Vec<String> {
        self.query.get(name).cloned().unwrap_or_default()
    }
    fn query_integer(&self, name: &str) -> Result<Option<i64>, Error> {
        Ok(self
            .query(name)
            .first()
            .map(|v| v.parse().expect("an integer")))
    }
    fn query_boolean(&self, name: &str) -> Result<Option<bool>, Error> {
        Ok(self.query(name).first().map(|v| v == "true"))
    }
    fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).cloned()
    }
    fn body<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_value(self.body.clone()).map_err(|e| Error::bad_request(e.to_string()))
    }
}

/// An input shape: every member put where the model says it travels decodes into the member of
/// that name.
pub(crate) fn input<T: Serialize + Input>(model: &Value, name: &str) -> Result<(), String> {
    let spec = shape(model, name);
    let mut src = Sample {
        labels: BTreeMap::new(),
        query: BTreeMap::new(),
        headers: BTreeMap::new(),
        body: Value::Object(Map::new()),
    };
    let mut want = Map::new();
    for (member, m) in spec["members"].as_object().expect("members") {
        let value = sample(model, m["shape"].as_str().expect("shape"));
        let at = m["locationName"].as_str().unwrap_or(member).to_string();
        let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_string);
        match m["location"].as_str() {
            None => {
                src.body[&at] = value.clone();
            }
            Some("uri") => {
                src.labels.insert(at, text(&value));
            }
            Some("querystring") => {
                let values = match &value {
                    Value::Array(items) => items.iter().map(text).collect(),
                    v => vec![text(v)],
                };
                src.query.insert(at, values);
            }
            Some(_) => {
                src.headers.insert(at, text(&value));
            }
        }
        // What API Gateway does not support decodes as absent, whatever was sent.
        let ignored = m["documentation"].is_string();
        want.insert(member.clone(), if ignored { Value::Null } else { value });
    }
    let decoded = T::decode(&src).map_err(|e| format!("{name}: {e}"))?;
    let got = serde_json::to_value(&decoded).map_err(|e| e.to_string())?;
    let want = Value::Object(want);
    (got == want)
        .then_some(())
        .ok_or_else(|| format!("{name}: decoded {got}, the model says {want}"))
}

#[test]
fn every_shape_carries_the_models_json_names() {
    let model = model();
    let trips = crate::generated::round_trips();
    assert_eq!(trips.len(), SHAPES.len());
    for (name, trip) in trips {
        trip(&model, name).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn a_missing_required_member_is_awss_validation_error() {
    let src = Sample {
        labels: [("resource_arn".to_string(), "arn".to_string())].into(),
        query: BTreeMap::new(),
        headers: BTreeMap::new(),
        body: json!({}),
    };
    let err = TagResourceRequest::decode(&src).unwrap_err();
    assert_eq!(
        err.to_string(),
        "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null"
    );
    let err = UntagResourceRequest::decode(&src).unwrap_err();
    assert!(err.to_string().contains("'tagKeys'"), "{err}");
}

#[test]
fn outputs_know_their_status_and_body() {
    assert_eq!(
        Output::GenerateClientCertificate(ClientCertificate::default()).status(),
        201
    );
    assert_eq!(Output::DeleteClientCertificate.status(), 202);
    assert!(!Output::DeleteClientCertificate.has_body());
    assert_eq!(Output::TagResource.status(), 204);
    assert_eq!(Output::GetTags(crate::Tags::default()).status(), 200);
    let json = serde_json::to_string(&Output::GetTags(crate::Tags {
        tags: Some([("a".to_string(), "b".to_string())].into()),
    }))
    .expect("json");
    assert_eq!(json, r#"{"tags":{"a":"b"}}"#);
}
