//! TLS for the HTTPS listener: a generated local CA and leaf certificate, or PEM files given by the
//! operator.

use std::sync::Arc;

use anyhow::Context as _;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// A server certificate chain, its private key, and the PEM clients must trust.
pub(super) struct TlsMaterial {
    /// The certificate chain, leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    /// The leaf's private key.
    pub key: PrivateKeyDer<'static>,
    /// PEM of the certificate to trust: the generated CA, or the given chain's last certificate.
    pub ca_pem: String,
}

/// Generates a CA valid for this run and a leaf for `localhost`, `*.localhost` (virtual-hosted
/// buckets), `127.0.0.1`, `::1`, and each of `extra_names` (a DNS name also as `*.NAME`).
pub(super) fn generate(extra_names: &[String]) -> anyhow::Result<TlsMaterial> {
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    ca.distinguished_name.push(DnType::CommonName, "ssec-conform reference CA");
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate()?)?;

    let mut names = ["localhost", "*.localhost", "127.0.0.1", "::1"].map(String::from).to_vec();
    for name in extra_names {
        if names.contains(name) {
            continue;
        }
        names.push(name.clone());
        if name.parse::<std::net::IpAddr>().is_err() {
            names.push(format!("*.{name}"));
        }
    }
    let mut leaf = CertificateParams::new(names)?;
    leaf.distinguished_name.push(DnType::CommonName, "localhost");
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    let leaf_key = KeyPair::generate()?;
    let leaf_cert = leaf.signed_by(&leaf_key, &ca)?;
    Ok(TlsMaterial {
        chain: vec![leaf_cert.der().clone()],
        key: PrivateKeyDer::try_from(leaf_key.serialize_der()).map_err(|e| anyhow::anyhow!(e))?,
        ca_pem: ca.pem(),
    })
}

/// Loads a certificate chain and private key from PEM files.
pub(super) fn load(cert_path: &std::path::Path, key_path: &std::path::Path) -> anyhow::Result<TlsMaterial> {
    let cert_pem = std::fs::read(cert_path).with_context(|| format!("reading --tls-cert {}", cert_path.display()))?;
    let chain = rustls_pemfile::certs(&mut cert_pem.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("parsing --tls-cert {}", cert_path.display()))?;
    anyhow::ensure!(!chain.is_empty(), "--tls-cert {} holds no certificate", cert_path.display());
    let key_pem = std::fs::read(key_path).with_context(|| format!("reading --tls-key {}", key_path.display()))?;
    let key = rustls_pemfile::private_key(&mut key_pem.as_slice())
        .with_context(|| format!("parsing --tls-key {}", key_path.display()))?
        .with_context(|| format!("--tls-key {} holds no private key", key_path.display()))?;
    let last = chain.last().map(|c| pem_encode(c.as_ref())).unwrap_or_default();
    Ok(TlsMaterial { chain, key, ca_pem: last })
}

fn pem_encode(der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

/// A rustls server configuration offering HTTP/1.1.
pub(super) fn server_config(material: &TlsMaterial) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(material.chain.clone(), material.key.clone_key())?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
