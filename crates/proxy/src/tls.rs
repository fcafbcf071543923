//! The backends' TLS: which roots a backend's certificate must chain to ([`Trust`]), the stage's
//! client certificate offered to a backend that asks for one ([`Identity`]), the rustls client
//! configuration that puts them together ([`client_config`]), and the names of the ways a handshake
//! fails ([`TlsCause`]), for logs and metrics.
//!
//! As API Gateway does, a backend is trusted when its certificate chains to a public CA (here the
//! Mozilla list that webpki-roots ships), or to one of the operator's own CAs given with
//! `--backend-ca-file`; a method's `tlsConfig.insecureSkipVerification` drops only the chain check
//! (see `verify`).

use std::fmt;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use certgate_core::SecretBytes;
use rustls::client::{ResolvesClientCert, WantsClientCert, WebPkiServerVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::sign::CertifiedKey;
use rustls::{
    AlertDescription, CertificateError, ClientConfig, ConfigBuilder, RootCertStore,
    SignatureScheme, WantsVerifier,
};

mod verify;

/// The one crypto provider of every backend connection: aws-lc-rs, the library that also makes
/// certgate's keys. It is passed explicitly everywhere rather than installed as the process default,
/// so that nothing depends on which provider another crate in the process happened to enable.
pub(crate) fn provider() -> &'static Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER.get_or_init(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
}

/// A client certificate and its private key, ready to be presented to backends.
///
/// Key material: the PKCS#8 bytes arrive as [`SecretBytes`] and rustls is handed only a borrowed
/// view of them (`PrivateKeyDer` is a plain `Vec` when owned, and would not be wiped), from which
/// aws-lc-rs parses its own RSA key; the `SecretBytes` are then dropped, and so zeroized, when
/// [`Identity::new`] returns. What stays in memory is that aws-lc RSA key inside rustls' signing key
/// (shared by every connection through an `Arc`), and aws-lc cleanses its allocations when it
/// frees them, so the key leaves no copy behind once the last connection and `Upstream` using this
/// identity are gone.
pub struct Identity {
    certificate_id: String,
    expires: i64,
    certified: Arc<CertifiedKey>,
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("certificate_id", &self.certificate_id)
            .field("expires", &self.expires)
            .field("key", &"redacted")
            .finish()
    }
}

impl Identity {
    /// Builds the identity of client certificate `certificate_id` from its PEM (the first
    /// certificate is the one presented, any others are sent after it as its chain) and its PKCS#8
    /// key. `expires` is the certificate's expirationDate in epoch seconds, kept for the callers'
    /// logs; an expired certificate is still presented, as AWS does (the backend decides).
    ///
    /// Fails if the PEM holds no certificate, the key cannot be read, or the key is not the one the
    /// certificate was issued for (which would otherwise surface only as a refused handshake).
    pub fn new(
        certificate_id: &str,
        pem: &str,
        pkcs8: SecretBytes,
        expires: i64,
    ) -> Result<Identity, String> {
        let chain = certificates(pem.as_bytes())
            .map_err(|e| format!("client certificate {certificate_id}: {e}"))?;
        if chain.is_empty() {
            return Err(format!(
                "client certificate {certificate_id}: its PEM holds no certificate"
            ));
        }
        // The provider's `load_private_key` wants an owned `'static` DER; aws-lc-rs' own loader
        // reads from a borrowed one, so no unwiped copy of the key is ever made.
        let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pkcs8.expose()));
        let key = rustls::crypto::aws_lc_rs::sign::any_supported_type(&der)
            .map_err(|e| format!("client certificate {certificate_id}: its key: {e}"))?;
        drop(der);
        drop(pkcs8);
        let certified = CertifiedKey::new(chain, key);
        certified.keys_match().map_err(|e| {
            format!("client certificate {certificate_id}: key and certificate differ: {e}")
        })?;
        Ok(Identity {
            certificate_id: certificate_id.to_owned(),
            expires,
            certified: Arc::new(certified),
        })
    }

    pub fn certificate_id(&self) -> &str {
        &self.certificate_id
    }

    /// The certificate's expirationDate, epoch seconds.
    pub fn expires(&self) -> i64 {
        self.expires
    }

    /// The DER of the certificate presented (the end entity), to compare with what a backend saw.
    pub fn der(&self) -> &[u8] {
        self.certified.cert.first().map_or(&[], |c| c.as_ref())
    }
}

/// Presents the identity whenever a backend asks, whatever CA names it hints at: AWS sends the
/// stage's certificate to any backend that sends a CertificateRequest. This is what
/// `with_client_auth_cert` builds inside rustls; building it here lets the key come from
/// [`SecretBytes`] instead of an owned, unwiped `PrivateKeyDer`.
struct Present(Arc<CertifiedKey>);

impl fmt::Debug for Present {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Present(redacted)")
    }
}

impl ResolvesClientCert for Present {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// The roots that backends' certificates must chain to: the public web PKI plus the operator's own
/// CAs. Built once at startup; every client configuration shares its verifier.
#[derive(Clone)]
pub struct Trust {
    added: usize,
    builder: ConfigBuilder<ClientConfig, WantsVerifier>,
    verifier: Arc<verify::PinnedOrChained>,
}

impl fmt::Debug for Trust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Trust")
            .field("public_roots", &webpki_roots::TLS_SERVER_ROOTS.len())
            .field("added", &self.added)
            .finish()
    }
}

impl Trust {
    /// The public roots, plus the PEM certificates of `path` (`--backend-ca-file`) when given. The
    /// error names the file when it cannot be read or holds no usable certificate: a CA file that
    /// silently added nothing would only show up later as backends failing with unknown_issuer.
    pub fn load(path: Option<&Path>) -> Result<Trust, String> {
        let Some(path) = path else {
            return Trust::build(Vec::new());
        };
        let pem =
            std::fs::read(path).map_err(|e| format!("backend CA file {}: {e}", path.display()))?;
        Trust::parse(&pem).map_err(|e| format!("backend CA file {}: {e}", path.display()))
    }

    /// As [`Trust::load`], from the PEM text itself.
    pub fn from_pem(pem: &str) -> Result<Trust, String> {
        Trust::parse(pem.as_bytes())
    }

    /// How many certificates the operator added to the public roots.
    pub fn added(&self) -> usize {
        self.added
    }

    fn parse(pem: &[u8]) -> Result<Trust, String> {
        let added = certificates(pem)?;
        if added.is_empty() {
            return Err("no certificate in it (expected PEM CERTIFICATE blocks)".into());
        }
        Trust::build(added)
    }

    fn build(added: Vec<CertificateDer<'static>>) -> Result<Trust, String> {
        let mut roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let count = added.len();
        for (n, cert) in added.iter().enumerate() {
            roots
                .add(cert.clone())
                .map_err(|e| format!("certificate {} is not usable as a root: {e}", n + 1))?;
        }
        let chained =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider().clone())
                .build()
                .map_err(|e| format!("the backends' roots: {e}"))?;
        let verifier = Arc::new(verify::PinnedOrChained {
            chained,
            pinned: added,
            end_entity: verify::EndEntityOnly::new(provider()),
        });
        // Validated once here, so that building a client configuration later cannot fail.
        let builder = ClientConfig::builder_with_provider(provider().clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS versions: {e}"))?;
        Ok(Trust {
            added: count,
            builder,
            verifier,
        })
    }
}

/// Every CERTIFICATE block of a PEM text (other blocks, such as keys, are skipped).
fn certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("unreadable PEM: {e}"))
}

/// The client configuration for one (identity, verification mode): TLS 1.2 and 1.3 over aws-lc-rs,
/// ALPN `h2` then `http/1.1` (the backend chooses; the pool uses HTTP/2 when it chose h2), the
/// identity offered only when the backend sends a CertificateRequest (a backend that does not ask
/// gets one-way TLS, as with AWS), and the backend's certificate checked against `trust` — or,
/// with `insecure_skip_verification`, everything but its chain (validity dates, host name and the
/// handshake signatures are still checked, as API Gateway does).
///
/// Built once per pooled client, never per request.
pub fn client_config(
    trust: &Trust,
    identity: Option<&Identity>,
    insecure_skip_verification: bool,
) -> Arc<ClientConfig> {
    let builder: ConfigBuilder<ClientConfig, WantsClientCert> = if insecure_skip_verification {
        trust
            .builder
            .clone()
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verify::EndEntityOnly::new(provider())))
    } else {
        trust
            .builder
            .clone()
            .dangerous()
            .with_custom_certificate_verifier(trust.verifier.clone())
    };
    let mut config = match identity {
        Some(identity) => {
            builder.with_client_cert_resolver(Arc::new(Present(identity.certified.clone())))
        }
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Arc::new(config)
}

/// Why a TLS connection to a backend failed, in the few kinds an operator acts on differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TlsCause {
    /// The backend's certificate does not chain to a trusted root (add its CA with
    /// `--backend-ca-file`, or set `insecureSkipVerification`), or a signature in it is wrong.
    UnknownIssuer,
    /// The backend's certificate is expired or not yet valid.
    Expired,
    /// The backend's certificate is not for the host name (or IP address) of the integration URI.
    NameMismatch,
    /// The backend refused the client certificate we presented, or demanded one and got none
    /// (the stage has no client certificate).
    CertificateRefused,
    /// Anything else: no common protocol version or cipher suite, a malformed message, a backend
    /// that does not speak TLS.
    Handshake,
}

impl TlsCause {
    /// The snake_case name, for metric labels and logs.
    pub fn name(self) -> &'static str {
        match self {
            TlsCause::UnknownIssuer => "unknown_issuer",
            TlsCause::Expired => "expired",
            TlsCause::NameMismatch => "name_mismatch",
            TlsCause::CertificateRefused => "certificate_refused",
            TlsCause::Handshake => "handshake",
        }
    }

    /// Classifies a rustls error. A refusal of our certificate arrives as an alert from the backend;
    /// which alert depends on the backend's TLS library (rustls says certificate_required or
    /// bad_certificate or unknown_ca…). `decrypt_error` counts as a refusal too: every API Gateway
    /// client certificate has the same issuer name, so a backend that pins one certificate and is
    /// shown another finds the pinned one as its issuer, fails the signature check, and says
    /// decrypt_error (rustls and OpenSSL alike); our own handshake signatures cannot fail that way,
    /// since [`Identity::new`] checks that the key is the certificate's. `handshake_failure` is left
    /// as Handshake: it is also what a backend sends when no cipher suite is shared.
    pub fn of(error: &rustls::Error) -> TlsCause {
        use rustls::Error::{AlertReceived, InvalidCertificate};
        use AlertDescription as A;
        use CertificateError as C;
        match error {
            InvalidCertificate(C::UnknownIssuer | C::BadSignature) => TlsCause::UnknownIssuer,
            InvalidCertificate(
                C::Expired
                | C::ExpiredContext { .. }
                | C::NotValidYet
                | C::NotValidYetContext { .. },
            ) => TlsCause::Expired,
            InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. }) => {
                TlsCause::NameMismatch
            }
            AlertReceived(
                A::BadCertificate
                | A::CertificateRequired
                | A::UnknownCA
                | A::AccessDenied
                | A::CertificateUnknown
                | A::UnsupportedCertificate
                | A::CertificateRevoked
                | A::CertificateExpired
                | A::DecryptError,
            ) => TlsCause::CertificateRefused,
            _ => TlsCause::Handshake,
        }
    }
}

impl fmt::Display for TlsCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests;
