use std::collections::BTreeMap;

use certgate_api::{ClientCertificate, ClientCertificates, Tags as TagsShape};

use super::*;

type Tags = BTreeMap<String, String>;

/// A certificate as the service answers it: id, PEM and dates always, description and tags when
/// there are any.
fn cert(description: Option<&str>, tags: Tags) -> ClientCertificate {
    ClientCertificate {
        client_certificate_id: Some("9ao60f".into()),
        description: description.map(Into::into),
        pem_encoded_certificate: Some("PEM".into()),
        created_date: Some(1_700_000_000),
        expiration_date: Some(1_731_536_000),
        tags: (!tags.is_empty()).then_some(tags),
    }
}

fn page(items: Vec<ClientCertificate>, position: Option<&str>) -> Output {
    Output::GetClientCertificates(ClientCertificates {
        position: position.map(Into::into),
        items: Some(items),
    })
}

fn json(r: &Response) -> serde_json::Value {
    serde_json::from_slice(r.body()).unwrap()
}

#[test]
fn certificate_shape() {
    let r = encode_output(
        &Output::GenerateClientCertificate(cert(Some("d"), [("k".into(), "v".into())].into())),
        "rid",
    );
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["content-type"], "application/json");
    assert_eq!(r.headers()["x-amzn-RequestId"], "rid");
    assert_eq!(
        json(&r),
        serde_json::json!({
            "clientCertificateId": "9ao60f", "description": "d", "pemEncodedCertificate": "PEM",
            "createdDate": 1_700_000_000, "expirationDate": 1_731_536_000, "tags": {"k": "v"}
        })
    );
    let bare = encode_output(
        &Output::GetClientCertificate(cert(None, Tags::new())),
        "rid",
    );
    assert_eq!(bare.status(), 200);
    let keys: Vec<_> = json(&bare).as_object().unwrap().keys().cloned().collect();
    assert_eq!(
        keys,
        [
            "clientCertificateId",
            "createdDate",
            "expirationDate",
            "pemEncodedCertificate"
        ]
    );
}

#[test]
fn list_and_empty_answers() {
    let r = encode_output(&page(vec![cert(None, Tags::new())], Some("p")), "r");
    assert_eq!(json(&r)["position"], "p");
    assert_eq!(json(&r)["item"].as_array().unwrap().len(), 1);
    let last = encode_output(&page(vec![], None), "r");
    assert_eq!(json(&last), serde_json::json!({"item": []}));
    let d = encode_output(&Output::DeleteClientCertificate, "r");
    assert_eq!((d.status().as_u16(), d.body().len()), (202, 0));
    for output in [Output::TagResource, Output::UntagResource] {
        let t = encode_output(&output, "r");
        assert_eq!((t.status().as_u16(), t.body().len()), (204, 0));
    }
    let tags = Output::GetTags(TagsShape {
        tags: Some(Tags::new()),
    });
    let t = encode_output(&tags, "r");
    assert_eq!(t.status(), 200);
    assert_eq!(t.body().as_ref(), br#"{"tags":{}}"#);
}

#[test]
fn errors() {
    let r = encode_error(
        &AwsError::NotFound("Invalid Client Certificate identifier specified".into()),
        "rid",
    );
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["x-amzn-ErrorType"], "NotFoundException");
    assert_eq!(r.headers()["x-amzn-RequestId"], "rid");
    assert_eq!(
        json(&r),
        serde_json::json!({"message": "Invalid Client Certificate identifier specified"})
    );
    let t = encode_error(
        &AwsError::TooManyRequests {
            message: "slow down".into(),
            retry_after_seconds: 2,
        },
        "r",
    );
    assert_eq!(
        (t.status().as_u16(), &t.headers()["retry-after"]),
        (429, &HeaderValue::from_static("2"))
    );
    let i = encode_error(&AwsError::InternalFailure, "r");
    assert_eq!(i.status(), 500);
}

/// A page as certgate has always written it, `item` before `position`: the byte reference for
/// the page writer (the generated shape, in the model's order, is its reference as a value).
#[derive(serde::Serialize)]
struct SerdeList<'a> {
    item: &'a [ClientCertificate],
    #[serde(skip_serializing_if = "Option::is_none")]
    position: Option<&'a str>,
}

#[test]
fn encoding_is_byte_for_byte_what_serde_json_writes() {
    let pem =
        "-----BEGIN CERTIFICATE-----\nMIIB+zCCAWSgAwIBAgIU\nabc/def=\n-----END CERTIFICATE-----\n";
    let awkward = "quote \" backslash \\ tab \t cr \r nl \n bell \u{7} del \u{7f} é 😀 </script>";
    let mut certs = Vec::new();
    for description in [None, Some(""), Some("plain words"), Some(awkward)] {
        for tags in [
            Tags::new(),
            [("k".into(), "v".into())].into(),
            [(awkward.into(), "x\ny".into()), ("a".into(), String::new())].into(),
        ] {
            let mut c = cert(description, tags);
            c.pem_encoded_certificate = Some(pem.into());
            c.created_date = Some(-5);
            certs.push(c);
        }
    }
    let mut odd = cert(Some("d"), Tags::new());
    odd.pem_encoded_certificate = Some(awkward.into());
    certs.push(odd);
    // Shapes with members missing, and an empty tag map, which serde writes as `{}`.
    certs.push(ClientCertificate::default());
    certs.push(ClientCertificate {
        tags: Some(Tags::new()),
        ..ClientCertificate::default()
    });
    certs.push(ClientCertificate {
        expiration_date: Some(1),
        ..ClientCertificate::default()
    });
    for c in &certs {
        let expected = serde_json::to_vec(c).unwrap();
        for output in [
            Output::GenerateClientCertificate(c.clone()),
            Output::GetClientCertificate(c.clone()),
            Output::UpdateClientCertificate(c.clone()),
        ] {
            let r = encode_output(&output, "rid");
            assert_eq!(
                r.body().as_ref(),
                expected.as_slice(),
                "{}",
                String::from_utf8_lossy(&expected)
            );
            assert_eq!(r.headers()["content-length"], expected.len().to_string());
        }
    }
    for position in [None, Some("tok\"en")] {
        for n in [0, 1, certs.len()] {
            let expected = serde_json::to_vec(&SerdeList {
                item: &certs[..n],
                position,
            })
            .unwrap();
            let output = page(certs[..n].to_vec(), position);
            let r = encode_output(&output, "rid");
            assert_eq!(r.body().as_ref(), expected.as_slice());
            // The generated shape says the same, in the model's member order.
            assert_eq!(json(&r), serde_json::to_value(&output).unwrap());
        }
    }
    for position in [None, Some("p")] {
        let output = Output::GetClientCertificates(ClientCertificates {
            position: position.map(Into::into),
            items: None,
        });
        let r = encode_output(&output, "rid");
        assert_eq!(json(&r), serde_json::to_value(&output).unwrap());
    }
}
