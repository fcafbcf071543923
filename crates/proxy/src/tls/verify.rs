//! The verifier of `tlsConfig.insecureSkipVerification`. API Gateway documents the flag as skipping
//! the check that the backend's certificate was issued by a supported CA, and nothing more, so
//! this verifier still refuses a certificate outside its validity dates or not for the host name
//! being connected to, and still verifies the handshake signatures (which prove the backend holds
//! the certificate's key: without them anyone on the path could replay the certificate).

use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::verify_server_name;
use rustls::crypto::{
    verify_tls12_signature, verify_tls13_signature, CryptoProvider, WebPkiSupportedAlgorithms,
};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};

/// Checks the end-entity certificate alone: its dates, its names and its handshake signatures.
#[derive(Debug)]
pub(crate) struct EndEntityOnly {
    algorithms: WebPkiSupportedAlgorithms,
}

impl EndEntityOnly {
    pub(crate) fn new(provider: &Arc<CryptoProvider>) -> EndEntityOnly {
        EndEntityOnly {
            algorithms: provider.signature_verification_algorithms,
        }
    }
}

impl ServerCertVerifier for EndEntityOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // Dates first, then the name: the order of the full (webpki) verification, so that a
        // certificate wrong in both ways is reported the same in either mode.
        check_validity(end_entity, now)?;
        let parsed = ParsedCertificate::try_from(end_entity)?;
        verify_server_name(&parsed, server_name)?;
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The normal verification (the public roots and `--backend-ca-file`'s CAs), which also accepts a
/// certificate of `--backend-ca-file` presented as the backend's own: a self-signed test backend's
/// certificate, as `openssl req -x509` makes it, is marked as a CA, and webpki refuses a CA
/// certificate as an end entity (`CaUsedAsEndEntity`). Such a pinned certificate still has its
/// dates, its names and the handshake's signatures checked.
#[derive(Debug)]
pub(crate) struct PinnedOrChained {
    pub(crate) chained: Arc<rustls::client::WebPkiServerVerifier>,
    pub(crate) pinned: Vec<CertificateDer<'static>>,
    pub(crate) end_entity: EndEntityOnly,
}

impl ServerCertVerifier for PinnedOrChained {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.chained.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Ok(verified) => Ok(verified),
            Err(_)
                if self
                    .pinned
                    .iter()
                    .any(|p| p.as_ref() == end_entity.as_ref()) =>
            {
                // Only a refusal of the chain is overruled: dates and names are checked again.
                self.end_entity.verify_server_cert(
                    end_entity,
                    intermediates,
                    server_name,
                    ocsp_response,
                    now,
                )
            }
            Err(refused) => Err(refused),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.end_entity.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.end_entity.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.end_entity.supported_verify_schemes()
    }
}

/// notBefore <= now <= notAfter, read with x509-parser (webpki checks dates only while building a
/// chain, which this mode skips).
fn check_validity(der: &CertificateDer<'_>, now: UnixTime) -> Result<(), rustls::Error> {
    let (_, cert) = x509_parser::parse_x509_certificate(der.as_ref())
        .map_err(|_| CertificateError::BadEncoding)?;
    let validity = cert.validity();
    let not_before = validity.not_before.timestamp();
    let not_after = validity.not_after.timestamp();
    let time = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
    if time < not_before {
        return Err(CertificateError::NotValidYetContext {
            time: now,
            not_before: unix_time(not_before),
        }
        .into());
    }
    if time > not_after {
        return Err(CertificateError::ExpiredContext {
            time: now,
            not_after: unix_time(not_after),
        }
        .into());
    }
    Ok(())
}

/// Epoch seconds as rustls' time, dates before 1970 as 1970 (only ever used in an error message).
fn unix_time(seconds: i64) -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(u64::try_from(seconds).unwrap_or(0)))
}
