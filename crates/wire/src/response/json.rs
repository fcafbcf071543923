//! Certificates written straight into one buffer sized up front. A page of 25 certificates is about
//! 30 KB of JSON, most of it PEM text; serde_json grew its output from 128 bytes (about eight
//! reallocations and copies) and escaped the PEMs byte by byte. The output is byte for byte what
//! serde_json writes for the same fields (the tests compare the two).

use std::io::Write;

use certgate_core::Certificate;
use serde::Serialize;

/// Room for the field names, numbers and punctuation of one certificate besides its strings.
const FIXED_PER_CERTIFICATE: usize = 160;

fn estimate(c: &Certificate) -> usize {
    // A PEM has a line break every 64 characters, each escaped to two bytes.
    FIXED_PER_CERTIFICATE
        + c.pem.len()
        + c.pem.len() / 64
        + 2
        + c.description.as_ref().map_or(0, String::len)
        + c.tags
            .iter()
            .map(|(k, v)| k.len() + v.len() + 6)
            .sum::<usize>()
}

pub fn certificate(c: &Certificate) -> Vec<u8> {
    let mut out = Vec::with_capacity(estimate(c));
    write_certificate(&mut out, c);
    out
}

pub fn list(items: &[Certificate], position: Option<&str>) -> Vec<u8> {
    let capacity = 32 + items.iter().map(estimate).sum::<usize>() + position.map_or(0, str::len);
    let mut out = Vec::with_capacity(capacity);
    out.extend_from_slice(b"{\"item\":[");
    for (i, c) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_certificate(&mut out, c);
    }
    out.push(b']');
    if let Some(position) = position {
        out.extend_from_slice(b",\"position\":");
        write_str(&mut out, position);
    }
    out.push(b'}');
    out
}

fn write_certificate(out: &mut Vec<u8>, c: &Certificate) {
    out.extend_from_slice(b"{\"clientCertificateId\":");
    write_str(out, c.id.as_str());
    if let Some(description) = &c.description {
        out.extend_from_slice(b",\"description\":");
        write_str(out, description);
    }
    out.extend_from_slice(b",\"pemEncodedCertificate\":");
    write_str(out, &c.pem);
    // Writing into a Vec cannot fail.
    let _ = write!(
        out,
        ",\"createdDate\":{},\"expirationDate\":{}",
        c.created, c.expires
    );
    if !c.tags.is_empty() {
        out.extend_from_slice(b",\"tags\":");
        write_serde(out, &c.tags);
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
