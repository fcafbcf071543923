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

/// What serde_json writes for a certificate: the reference the hand-written encoder must match.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct SerdeCertificate<'a> {
    client_certificate_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    pem_encoded_certificate: &'a str,
    created_date: i64,
    expiration_date: i64,
    #[serde(skip_serializing_if = "Tags::is_empty")]
    tags: &'a Tags,
}

#[derive(serde::Serialize)]
struct SerdeList<'a> {
    item: Vec<SerdeCertificate<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    position: Option<&'a str>,
}

fn serde_form(c: &Certificate) -> SerdeCertificate<'_> {
    SerdeCertificate {
        client_certificate_id: c.id.as_str(),
        description: c.description.as_deref(),
        pem_encoded_certificate: &c.pem,
        created_date: c.created,
        expiration_date: c.expires,
        tags: &c.tags,
    }
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
            c.pem = pem.into();
            c.created = -5;
            certs.push(c);
        }
    }
    let mut odd = cert(Some("d"), Tags::new());
    odd.pem = awkward.into();
    certs.push(odd);
    for c in &certs {
        let expected = serde_json::to_vec(&serde_form(c)).unwrap();
        let r = encode_output(
            &Output::Certificate {
                created: false,
                certificate: c.clone(),
            },
            "rid",
        );
        assert_eq!(r.body().as_ref(), expected.as_slice());
        assert_eq!(r.headers()["content-length"], expected.len().to_string());
    }
    for position in [None, Some("tok\"en")] {
        for n in [0, 1, certs.len()] {
            let expected = serde_json::to_vec(&SerdeList {
                item: certs[..n].iter().map(serde_form).collect(),
                position,
            })
            .unwrap();
            let r = encode_output(
                &Output::Certificates {
                    items: certs[..n].to_vec(),
                    position: position.map(Into::into),
                },
                "rid",
            );
            assert_eq!(r.body().as_ref(), expected.as_slice());
        }
    }
}
