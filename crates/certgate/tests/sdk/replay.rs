//! The answers clients see, held byte for byte: a script of a few hundred varied requests (every
//! operation, good and bad input, several accounts and regions, the quota, pagination tokens) is
//! sent to an in-process server with a fixed clock, counting ids and a fixed pagination key, and
//! every answer (status line, headers but `date`, body) must equal the one recorded in
//! `replay.txt`. The recording was made before the code was reshaped around one declaration per
//! operation, so this is what proves the reshaping changed nothing a client can see.
//!
//! The one thing not held byte for byte is a certificate's PEM: its RSA key is random. Its text is
//! replaced by `<PEM>` after checking it is one base64 certificate of the recorded length.
//!
//! To record again (only for a change that is meant to alter answers, reviewed in the diff):
//! `CERTGATE_REPLAY_RECORD=1 cargo test -p certgate --test sdk replay`.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use certgate_core::source::{uuid_v4, IdSource};
use certgate_core::CertificateId;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::common::{Options, Server};

/// Ids that count up from one, each kind on its own counter, so a run's ids are the same every
/// time whatever else the server does.
#[derive(Default)]
struct CountingIds {
    certificates: AtomicU64,
    serials: AtomicU64,
    requests: AtomicU64,
}

impl IdSource for CountingIds {
    fn certificate_id(&self) -> CertificateId {
        let mut n = self.certificates.fetch_add(1, Ordering::SeqCst) + 1;
        let mut id = [b'0'; CertificateId::LEN];
        for slot in id.iter_mut().rev() {
            *slot = CertificateId::ALPHABET[(n % 36) as usize];
            n /= 36;
        }
        CertificateId::parse(std::str::from_utf8(&id).expect("ascii")).expect("a valid id")
    }

    fn short_id(&self, len: usize) -> String {
        let mut n = self.certificates.fetch_add(1, Ordering::SeqCst) + 1;
        let mut id = vec![b'0'; len];
        for slot in id.iter_mut().rev() {
            *slot = CertificateId::ALPHABET[(n % 36) as usize];
            n /= 36;
        }
        String::from_utf8(id).expect("ascii")
    }

    fn serial(&self) -> u64 {
        self.serials.fetch_add(1, Ordering::SeqCst) + 1
    }

    fn request_id(&self) -> String {
        let n = self.requests.fetch_add(1, Ordering::SeqCst) + 1;
        let mut bytes = [0u8; 16];
        bytes[8..].copy_from_slice(&n.to_be_bytes());
        uuid_v4(bytes)
    }
}

fn auth(key: &str, region: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential={key}/20260101/{region}/apigateway/aws4_request, \
         SignedHeaders=host;x-amz-date, Signature=0000"
    )
}

fn encode_arn(arn: &str) -> String {
    arn.replace(':', "%3A").replace('/', "%2F")
}

struct Replay {
    server: Server,
    transcript: String,
    count: usize,
    /// Ids answered by GenerateClientCertificate, in order.
    ids: Vec<String>,
    /// The `position` of the last list answer that had one.
    position: Option<String>,
}

impl Replay {
    /// Sends one request as the default account in us-east-1 and records its answer.
    async fn call(&mut self, method: &str, target: &str, body: &[u8]) -> serde_json::Value {
        let authorization = auth("AKIDCERTGATETEST", "us-east-1");
        self.send(method, target, &[("Authorization", &authorization)], body)
            .await
    }

    /// Sends one request with exactly `headers` (besides Host, Connection and Content-Length) and
    /// records its answer; returns the body as JSON (null when it is not JSON).
    async fn send(
        &mut self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> serde_json::Value {
        self.count += 1;
        let addr = self.server.addr;
        let mut request =
            format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
        for (name, value) in headers {
            let _ = write!(request, "{name}: {value}\r\n");
        }
        if !body.is_empty() {
            let _ = write!(request, "Content-Length: {}\r\n", body.len());
        }
        request.push_str("\r\n");
        let mut raw = request.into_bytes();
        raw.extend_from_slice(body);

        let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        stream.write_all(&raw).await.expect("send");
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.expect("read");
        let answer = String::from_utf8(answer).expect("a UTF-8 answer");
        let (head, body) = answer.split_once("\r\n\r\n").expect("a head and a body");

        let _ = writeln!(
            self.transcript,
            "### {} {method} {target} {}",
            self.count,
            String::from_utf8_lossy(&raw[raw.len() - body_len(&raw)..]).escape_debug()
        );
        for line in head.lines() {
            if !line.to_ascii_lowercase().starts_with("date:") {
                let _ = writeln!(self.transcript, "{line}");
            }
        }
        let _ = writeln!(self.transcript, "\n{}\n", without_pems(body));

        let json: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        if let Some(id) = json["clientCertificateId"].as_str() {
            if head.starts_with("HTTP/1.1 201") {
                self.ids.push(id.to_string());
            }
        }
        if let Some(position) = json["position"].as_str() {
            self.position = Some(position.to_string());
        }
        json
    }

    fn id(&self, n: usize) -> String {
        self.ids[n].clone()
    }
}

/// The length of the body at the end of a raw request (after its blank line).
fn body_len(raw: &[u8]) -> usize {
    raw.windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(0, |at| raw.len() - at - 4)
}

/// A body with each certificate's base64 replaced by `<PEM n>` (n its length), after checking
/// that it is only base64 and escaped line breaks.
fn without_pems(body: &str) -> String {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----\\n";
    const END: &str = "-----END CERTIFICATE-----";
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(at) = rest.find(BEGIN) {
        let (before, after) = rest.split_at(at + BEGIN.len());
        out.push_str(before);
        let end = after.find(END).expect("a PEM's end");
        let text = &after[..end];
        assert!(
            text.replace("\\n", "")
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'='),
            "a PEM of base64 lines: {text}"
        );
        let _ = write!(out, "<PEM {}>", text.len());
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

async fn script(r: &mut Replay) {
    let other = auth("111122223333", "eu-west-1");
    let west = auth("AKIDCERTGATETEST", "us-west-2");

    // GenerateClientCertificate: the inputs the model allows, and what it refuses.
    r.call("POST", "/clientcertificates", b"").await;
    r.call("POST", "/clientcertificates", b"{}").await;
    r.call("POST", "/clientcertificates", br#"{"description":"first"}"#)
        .await;
    r.call(
        "POST",
        "/clientcertificates",
        br#"{"description":"tagged","tags":{"team":"edge","env":"test"}}"#,
    )
    .await;
    r.call(
        "POST",
        "/clientcertificates",
        "{\"description\":\"quote \\\" backslash \\\\ tab \\t \u{e9}\u{1F600}\"}".as_bytes(),
    )
    .await;
    r.call("POST", "/clientcertificates", br#"{"tags":{"aws:x":"y"}}"#)
        .await;
    r.call("POST", "/clientcertificates", br#"{"tags":{"AWS:x":"y"}}"#)
        .await;
    r.call("POST", "/clientcertificates", br#"{"tags":{"":"y"}}"#)
        .await;
    let long_key = format!(r#"{{"tags":{{"{}":"v"}}}}"#, "k".repeat(129));
    r.call("POST", "/clientcertificates", long_key.as_bytes())
        .await;
    let long_value = format!(r#"{{"tags":{{"k":"{}"}}}}"#, "v".repeat(257));
    r.call("POST", "/clientcertificates", long_value.as_bytes())
        .await;
    let many: Vec<String> = (0..51).map(|i| format!("\"k{i}\":\"v\"")).collect();
    let many = format!("{{\"tags\":{{{}}}}}", many.join(","));
    r.call("POST", "/clientcertificates", many.as_bytes()).await;
    r.call(
        "POST",
        "/clientcertificates",
        br#"{"tags":{"k":"bad*value"}}"#,
    )
    .await;
    r.call("POST", "/clientcertificates", br#"{"description":5}"#)
        .await;
    r.call("POST", "/clientcertificates", br#"{"tags":["a"]}"#)
        .await;
    r.call("POST", "/clientcertificates", br#"{"tags":{"k":1}}"#)
        .await;
    r.call("POST", "/clientcertificates", b"[null]").await;
    r.call("POST", "/clientcertificates", b"null").await;
    r.call("POST", "/clientcertificates", b"{\"description\":")
        .await;
    r.call("POST", "/clientcertificates", b"\xff\xfe").await;
    r.call("POST", "/clientcertificates", br#"{"unknown":true}"#)
        .await;
    r.call("POST", "/clientcertificates", br#"{"description":null}"#)
        .await;
    r.send(
        "POST",
        "/clientcertificates",
        &[
            ("Authorization", &other),
            ("Content-Type", "application/json"),
        ],
        br#"{"description":"other account"}"#,
    )
    .await;
    r.send(
        "POST",
        "/clientcertificates",
        &[("Authorization", &west)],
        b"",
    )
    .await;
    r.send(
        "POST",
        "/clientcertificates?X-Amz-Credential=AKIDCERTGATETEST%2F20260101%2Fap-south-1%2Fapigateway%2Faws4_request",
        &[],
        b"",
    )
    .await;
    r.send(
        "POST",
        "/clientcertificates",
        &[],
        br#"{"description":"unsigned"}"#,
    )
    .await;

    // GetClientCertificate.
    for n in 0..r.ids.len() {
        let id = r.id(n);
        r.call("GET", &format!("/clientcertificates/{id}"), b"")
            .await;
    }
    for bad in [
        "zzzzzz",
        "ABCDEF",
        "abc",
        "toolongid",
        "%41bcdef",
        "%ff",
        "a%2Fb",
        "abc%20de",
    ] {
        r.call("GET", &format!("/clientcertificates/{bad}"), b"")
            .await;
    }
    let first = r.id(0);
    r.call("GET", &format!("/clientcertificates/{first}/"), b"")
        .await;
    r.call("GET", &format!("/clientcertificates/{first}/more"), b"")
        .await;
    r.call("GET", &format!("/clientcertificates/{first}?x=1"), b"")
        .await;
    r.send(
        "GET",
        &format!("/clientcertificates/{first}"),
        &[("Authorization", &other)],
        b"",
    )
    .await;
    r.send(
        "GET",
        &format!("/clientcertificates/{first}"),
        &[
            ("Authorization", &auth("AKIDCERTGATETEST", "us-east-1")),
            ("Accept", "application/xml"),
        ],
        b"",
    )
    .await;

    // GetClientCertificates: limits, tokens, and tokens used where they do not belong.
    for query in [
        "",
        "?limit=1",
        "?limit=2",
        "?limit=500",
        "?limit=0",
        "?limit=501",
        "?limit=-1",
        "?limit=abc",
        "?limit=1.5",
        "?limit=",
        "?limit=3&limit=1",
        "?position=",
        "?position=bogus",
        "?other=1",
    ] {
        r.call("GET", &format!("/clientcertificates{query}"), b"")
            .await;
    }
    r.position = None;
    r.call("GET", "/clientcertificates?limit=2", b"").await;
    let mut pages = 0;
    while let Some(position) = r.position.take() {
        pages += 1;
        assert!(pages < 20, "pagination ends");
        r.call(
            "GET",
            &format!("/clientcertificates?limit=2&position={position}"),
            b"",
        )
        .await;
    }
    r.call("GET", "/clientcertificates?limit=1", b"").await;
    let token = r.position.clone().expect("a position");
    let mut tampered = token.clone().into_bytes();
    let last = tampered.len() - 1;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).expect("ascii");
    r.call(
        "GET",
        &format!("/clientcertificates?position={tampered}"),
        b"",
    )
    .await;
    r.send(
        "GET",
        &format!("/clientcertificates?position={token}"),
        &[("Authorization", &other)],
        b"",
    )
    .await;
    r.send(
        "GET",
        &format!("/clientcertificates?position={token}"),
        &[("Authorization", &west)],
        b"",
    )
    .await;
    r.send(
        "GET",
        "/clientcertificates",
        &[("Authorization", &other)],
        b"",
    )
    .await;

    // UpdateClientCertificate.
    let second = r.id(1);
    let update = format!("/clientcertificates/{second}");
    for body in [
        r#"{"patchOperations":[{"op":"replace","path":"/description","value":"changed"}]}"#,
        r#"{"patchOperations":[{"op":"replace","path":"/description","value":""}]}"#,
        r#"{"patchOperations":[{"op":"replace","path":"/description"}]}"#,
        r#"{"patchOperations":[{"op":"remove","path":"/description"}]}"#,
        r#"{"patchOperations":[{"op":"add","path":"/description","value":"x"}]}"#,
        r#"{"patchOperations":[{"op":"move","path":"/description","from":"/x"}]}"#,
        r#"{"patchOperations":[{"op":"copy","path":"/description","from":"/x"}]}"#,
        r#"{"patchOperations":[{"op":"test","path":"/description","value":"x"}]}"#,
        r#"{"patchOperations":[{"op":"bogus","path":"/description","value":"x"}]}"#,
        r#"{"patchOperations":[{"op":"replace","path":"/tags/x","value":"x"}]}"#,
        r#"{"patchOperations":[{"op":"replace","path":"/clientCertificateId","value":"x"}]}"#,
        r#"{"patchOperations":[{"op":"replace","path":"/pemEncodedCertificate","value":"x"}]}"#,
        r#"{"patchOperations":[{"path":"/description","value":"x"}]}"#,
        r#"{"patchOperations":[{"op":"replace","value":"x"}]}"#,
        r#"{"patchOperations":[{"op":"replace","path":"/description","value":"a"},{"op":"replace","path":"/description","value":"b"}]}"#,
        r#"{"patchOperations":[]}"#,
        r#"{"patchOperations":{}}"#,
        r#"{"patchOperations":[{"op":5}]}"#,
        "{}",
        "",
    ] {
        r.call("PATCH", &update, body.as_bytes()).await;
    }
    r.call(
        "PATCH",
        "/clientcertificates/zzzzzz",
        br#"{"patchOperations":[{"op":"replace","path":"/description","value":"x"}]}"#,
    )
    .await;
    r.call(
        "PATCH",
        "/clientcertificates/BAD",
        br#"{"patchOperations":[{"op":"replace","path":"/description","value":"x"}]}"#,
    )
    .await;

    // Tags: encoded and bare ARNs, other regions, other resources, limits.
    let third = r.id(3);
    let arn = format!("arn:aws:apigateway:us-east-1::/clientcertificates/{third}");
    let tags = format!("/tags/{}", encode_arn(&arn));
    r.call("GET", &tags, b"").await;
    r.call("PUT", &tags, br#"{"tags":{"added":"1","team":"core"}}"#)
        .await;
    r.call("GET", &tags, b"").await;
    r.call("GET", &format!("/tags/{arn}"), b"").await;
    r.call(
        "PUT",
        &format!("/tags/{arn}"),
        br#"{"tags":{"bare":"yes"}}"#,
    )
    .await;
    r.call(
        "DELETE",
        &format!("{tags}?tagKeys=added&tagKeys=missing"),
        b"",
    )
    .await;
    r.call("DELETE", &format!("{tags}?tagKeys=bare"), b"").await;
    r.call("DELETE", &tags, b"").await;
    r.call("DELETE", &format!("{tags}?tagKeys="), b"").await;
    r.call("GET", &tags, b"").await;
    r.call("PUT", &tags, b"{}").await;
    r.call("PUT", &tags, br#"{"tags":{}}"#).await;
    r.call("PUT", &tags, br#"{"tags":{"aws:no":"x"}}"#).await;
    let fill: Vec<String> = (0..49).map(|i| format!("\"f{i}\":\"v\"")).collect();
    r.call(
        "PUT",
        &tags,
        format!("{{\"tags\":{{{}}}}}", fill.join(",")).as_bytes(),
    )
    .await;
    r.call("GET", &tags, b"").await;
    for arn in [
        format!("arn:aws:apigateway:us-west-2::/clientcertificates/{third}"),
        "arn:aws:apigateway:us-east-1::/clientcertificates/zzzzzz".to_string(),
        "arn:aws:apigateway:us-east-1::/clientcertificates/BAD".to_string(),
        "arn:aws:apigateway:us-east-1:123456789012:/clientcertificates/abcdef".to_string(),
        "arn:aws:s3:::bucket".to_string(),
        "not-an-arn".to_string(),
        "arn:aws:apigateway:nowhere::/clientcertificates/abcdef".to_string(),
    ] {
        let target = format!("/tags/{}", encode_arn(&arn));
        r.call("GET", &target, b"").await;
        r.call("PUT", &target, br#"{"tags":{"a":"b"}}"#).await;
        r.call("DELETE", &format!("{target}?tagKeys=a"), b"").await;
    }
    r.call("GET", "/tags/", b"").await;
    r.call("GET", "/tags", b"").await;
    r.call("POST", &tags, br#"{"tags":{"a":"b"}}"#).await;
    r.send("GET", &tags, &[("Authorization", &other)], b"")
        .await;

    // DeleteClientCertificate.
    let fourth = r.id(4);
    r.call("DELETE", &format!("/clientcertificates/{fourth}"), b"")
        .await;
    r.call("DELETE", &format!("/clientcertificates/{fourth}"), b"")
        .await;
    r.call("GET", &format!("/clientcertificates/{fourth}"), b"")
        .await;
    r.call("DELETE", "/clientcertificates/BAD", b"").await;
    r.send(
        "DELETE",
        &format!("/clientcertificates/{first}"),
        &[("Authorization", &other)],
        b"",
    )
    .await;

    // Routes that are not operations.
    for (method, target) in [
        ("GET", "/"),
        ("GET", "/nope"),
        ("GET", "/clientcertificates/a/b"),
        ("POST", "/clientcertificates/abcdef"),
        ("PUT", "/clientcertificates"),
        ("DELETE", "/clientcertificates"),
        ("PATCH", "/clientcertificates"),
        ("OPTIONS", "/clientcertificates"),
        ("HEAD", "/clientcertificates"),
        ("GET", "//clientcertificates"),
        ("GET", "/clientcertificates%2Fabc"),
        ("GET", "/CLIENTCERTIFICATES"),
    ] {
        r.call(method, target, b"").await;
    }

    // The quota (the server allows 12 per account and region).
    for _ in 0..8 {
        r.call("POST", "/clientcertificates", br#"{"description":"fill"}"#)
            .await;
    }
    r.call("GET", "/clientcertificates?limit=500", b"").await;

    // Everything as it stands at the end, one by one.
    for n in 0..r.ids.len() {
        let id = r.id(n);
        r.call("GET", &format!("/clientcertificates/{id}"), b"")
            .await;
        let arn = format!("arn:aws:apigateway:us-east-1::/clientcertificates/{id}");
        r.call("GET", &format!("/tags/{}", encode_arn(&arn)), b"")
            .await;
        r.send(
            "GET",
            &format!("/clientcertificates/{id}"),
            &[("Authorization", &west)],
            b"",
        )
        .await;
    }
    for accept in [
        "*/*",
        "application/json",
        "text/html",
        "application/x-amz-json-1.1",
    ] {
        r.send(
            "GET",
            "/clientcertificates?limit=1",
            &[
                ("Authorization", &auth("AKIDCERTGATETEST", "us-east-1")),
                ("Accept", accept),
            ],
            b"",
        )
        .await;
    }
    r.send(
        "GET",
        "/clientcertificates?limit=3",
        &[("Authorization", &other)],
        b"",
    )
    .await;
}

fn transcript_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/replay.txt")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recorded_answers_are_answered_byte_for_byte() {
    let server = Server::start_with(Options {
        max_certificates_per_region: 12,
        ids: Some(Arc::new(CountingIds::default())),
        page_key: Some([7; 32]),
        ..Options::default()
    })
    .await;
    let mut replay = Replay {
        server,
        transcript: String::new(),
        count: 0,
        ids: Vec::new(),
        position: None,
    };
    script(&mut replay).await;
    assert!(replay.count >= 200, "only {} requests", replay.count);

    let path = transcript_path();
    if std::env::var_os("CERTGATE_REPLAY_RECORD").is_some() {
        std::fs::write(&path, &replay.transcript).expect("write the transcript");
        return;
    }
    let recorded = std::fs::read_to_string(&path).expect("the recorded transcript");
    let (want, got): (Vec<&str>, Vec<&str>) = (
        recorded.split("\n### ").collect(),
        replay.transcript.split("\n### ").collect(),
    );
    for (want, got) in want.iter().zip(&got) {
        assert_eq!(got, want, "an answer differs from the recording");
    }
    assert_eq!(got.len(), want.len(), "as many answers as recorded");
}
