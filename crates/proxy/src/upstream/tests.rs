use rustls::CertificateError;

use super::*;

fn wrapped(error: rustls::Error) -> Box<dyn StdError + Send + Sync> {
    // As hyper-rustls returns a failed handshake: its io::Error around tokio-rustls' io::Error
    // around rustls' error.
    let inner = io::Error::new(io::ErrorKind::InvalidData, error);
    Box::new(io::Error::other(inner))
}

#[test]
fn a_rustls_error_is_found_through_the_io_errors_around_it() {
    let error = wrapped(rustls::Error::InvalidCertificate(
        CertificateError::UnknownIssuer,
    ));
    match UpstreamError::classify(&*error, true) {
        UpstreamError::Tls { cause, detail } => {
            assert_eq!(cause, TlsCause::UnknownIssuer);
            assert_eq!(detail, "invalid peer certificate: UnknownIssuer");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn other_failures_are_connect_protocol_or_timeout() {
    let refused = io::Error::new(io::ErrorKind::ConnectionRefused, "connection refused");
    assert_eq!(
        UpstreamError::classify(&refused, true),
        UpstreamError::Connect("connection refused".into())
    );
    let closed = io::Error::new(io::ErrorKind::UnexpectedEof, "closed early");
    assert_eq!(
        UpstreamError::classify(&closed, false),
        UpstreamError::Protocol("closed early".into())
    );
    let slow = io::Error::new(io::ErrorKind::TimedOut, "HTTP connect timeout");
    assert_eq!(UpstreamError::classify(&slow, true), UpstreamError::Timeout);
}

#[test]
fn errors_read_well_in_logs() {
    let tls = UpstreamError::Tls {
        cause: TlsCause::CertificateRefused,
        detail: "received fatal alert: CertificateRequired".into(),
    };
    assert_eq!(
        tls.to_string(),
        "TLS with the backend failed (certificate_refused): received fatal alert: CertificateRequired"
    );
    assert!(UpstreamError::TooLarge.to_string().contains("10485760"));
}
