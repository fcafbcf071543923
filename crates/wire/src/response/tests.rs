use certgate_core::CertificateId;

use super::*;

fn cert(description: Option<&str>, tags: Tags) -> Certificate {
    Certificate {
        id: CertificateId::parse("9ao60f").unwrap(),
        description: description.map(Into::into),
        pem: "PEM".into(),
        created: 1_700_000_000,
        expires: 1_731_536_000,
        tags,
    }
}

fn json(r: &Response) -> serde_json::Value {
    serde_json::from_slice(r.body()).unwrap()
}

#[test]
fn certificate_shape() {
    let r = encode_output(
        &Output::Certificate {
            created: true,
            certificate: cert(Some("d"), [("k".into(), "v".into())].into()),
        },
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
        &Output::Certificate {
            created: false,
            certificate: cert(None, Tags::new()),
        },
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
    let r = encode_output(
        &Output::Certificates {
            items: vec![cert(None, Tags::new())],
            position: Some("p".into()),
        },
        "r",
    );
    assert_eq!(json(&r)["position"], "p");
    assert_eq!(json(&r)["item"].as_array().unwrap().len(), 1);
    let last = encode_output(
        &Output::Certificates {
            items: vec![],
            position: None,
        },
        "r",
    );
    assert_eq!(json(&last), serde_json::json!({"item": []}));
    let d = encode_output(&Output::Deleted, "r");
    assert_eq!((d.status().as_u16(), d.body().len()), (202, 0));
    let t = encode_output(&Output::NoContent, "r");
    assert_eq!((t.status().as_u16(), t.body().len()), (204, 0));
    assert_eq!(
        json(&encode_output(&Output::Tags(Tags::new()), "r")),
        serde_json::json!({"tags": {}})
    );
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
