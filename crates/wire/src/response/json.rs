//! Certificates written straight into one buffer sized up front. A page of 25 certificates is about
//! 30 KB of JSON, most of it PEM text; serde_json grew its output from 128 bytes (about eight
//! reallocations and copies) and escaped the PEMs byte by byte. A certificate is byte for byte what
//! serde_json writes for the generated `ClientCertificate` shape (the tests compare the two). A
//! page puts `item` before `position`, the order certgate has always sent, where the model (and so
//! serde) lists `position` first; the tests compare the page with serde's as JSON values.

use std::io::Write;

use certgate_api::{ClientCertificate, ClientCertificates};
use serde::Serialize;

/// Room for the field names, numbers and punctuation of one certificate besides its strings.
const FIXED_PER_CERTIFICATE: usize = 160;

fn len(s: &Option<String>) -> usize {
    s.as_ref().map_or(0, String::len)
}

fn estimate(c: &ClientCertificate) -> usize {
    // A PEM has a line break every 64 characters, each escaped to two bytes.
    let pem = len(&c.pem_encoded_certificate);
    FIXED_PER_CERTIFICATE
        + len(&c.client_certificate_id)
        + pem
        + pem / 64
        + 2
        + len(&c.description)
        + c.tags.as_ref().map_or(0, |tags| {
            tags.iter()
                .map(|(k, v)| k.len() + v.len() + 6)
                .sum::<usize>()
        })
}

pub fn certificate(c: &ClientCertificate) -> Vec<u8> {
    let mut out = Vec::with_capacity(estimate(c));
    write_certificate(&mut out, c);
    out
}

pub fn list(page: &ClientCertificates) -> Vec<u8> {
    let items = page.items.as_deref().unwrap_or_default();
    let capacity = 32 + items.iter().map(estimate).sum::<usize>() + len(&page.position);
    let mut out = Vec::with_capacity(capacity);
    out.push(b'{');
    if let Some(items) = &page.items {
        out.extend_from_slice(b"\"item\":[");
        for (i, c) in items.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_certificate(&mut out, c);
        }
        out.push(b']');
    }
    if let Some(position) = &page.position {
        if page.items.is_some() {
            out.push(b',');
        }
        out.extend_from_slice(b"\"position\":");
        write_str(&mut out, position);
    }
    out.push(b'}');
    out
}

/// The members in the model's order, each only when present, as serde writes the shape.
fn write_certificate(out: &mut Vec<u8>, c: &ClientCertificate) {
    let mut first = true;
    let mut key = |out: &mut Vec<u8>, name: &[u8]| {
        out.push(if first { b'{' } else { b',' });
        first = false;
        out.push(b'"');
        out.extend_from_slice(name);
        out.extend_from_slice(b"\":");
    };
    if let Some(id) = &c.client_certificate_id {
        key(out, b"clientCertificateId");
        write_str(out, id);
    }
    if let Some(description) = &c.description {
        key(out, b"description");
        write_str(out, description);
    }
    if let Some(pem) = &c.pem_encoded_certificate {
        key(out, b"pemEncodedCertificate");
        write_str(out, pem);
    }
    // Writing into a Vec cannot fail.
    if let Some(created) = c.created_date {
        key(out, b"createdDate");
        let _ = write!(out, "{created}");
    }
    if let Some(expires) = c.expiration_date {
        key(out, b"expirationDate");
        let _ = write!(out, "{expires}");
    }
    if let Some(tags) = &c.tags {
        key(out, b"tags");
        write_serde(out, tags);
    }
    if first {
        out.push(b'{');
    }
    out.push(b'}');
}

/// A JSON string. Text that needs no escape but its line breaks (every PEM, most descriptions) is
/// copied a line at a time; anything else goes through serde_json's escaper.
fn write_str(out: &mut Vec<u8>, s: &str) {
    let start = out.len();
    out.push(b'"');
    for (i, line) in s.split('\n').enumerate() {
        // `fold` rather than `all`, so that the check does not stop early and the compiler can
        // test many bytes at once.
        let plain = line
            .bytes()
            .fold(true, |ok, b| ok & (b >= 0x20) & (b != b'"') & (b != b'\\'));
        if !plain {
            out.truncate(start);
            write_serde(out, s);
            return;
        }
        if i > 0 {
            out.extend_from_slice(b"\\n");
        }
        out.extend_from_slice(line.as_bytes());
    }
    out.push(b'"');
}

fn write_serde<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    // Serialising strings and string maps into a Vec cannot fail.
    let _ = serde_json::to_writer(out, value);
}
