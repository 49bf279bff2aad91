//! Reaching the server: agentctl's own URL parameters (`schema`, `sslrootcert`), TLS (rustls,
//! required off loopback), and errors that say what failed in the store's words.

#[allow(unused_imports)]
use super::*;

/// How long a connection attempt may take before it is an error.
pub(super) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The URL's parameters that agentctl handles itself rather than the driver.
#[derive(Debug, PartialEq)]
pub(super) struct Own {
    /// `schema=NAME`, default `agentctl`.
    pub(super) schema: String,
    /// `sslrootcert=PATH`: a PEM file of the certificate authorities to trust instead of the
    /// Mozilla roots.
    pub(super) root_cert: Option<PathBuf>,
}

/// The URL for the driver, and agentctl's own parameters taken out of it. libpq's
/// `sslmode=verify-ca` and `verify-full` become `require`, which verifies the certificate and
/// the host name it was issued for (as `verify-full` does).
pub(super) fn own_params(url: &str) -> (String, Own) {
    let mut own = Own {
        schema: "agentctl".to_owned(),
        root_cert: None,
    };
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_owned(), own);
    };
    let mut kept = Vec::new();
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "schema" => own.schema = percent_decoded(value),
            "sslrootcert" => own.root_cert = Some(PathBuf::from(percent_decoded(value))),
            "sslmode" if matches!(value, "verify-ca" | "verify-full") => {
                kept.push("sslmode=require")
            }
            _ => kept.push(pair),
        }
    }
    if kept.is_empty() {
        (base.to_owned(), own)
    } else {
        (format!("{base}?{}", kept.join("&")), own)
    }
}

/// A URL parameter's value with its `%XX` escapes decoded.
pub(super) fn percent_decoded(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                decoded.push(byte);
                i += 3;
            }
            (byte, _) => {
                decoded.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// rustls, trusting the Mozilla roots or the authorities in `root_cert`: the server's
/// certificate and the host name it names are verified, and no OpenSSL is needed.
pub(super) fn tls(
    root_cert: Option<&std::path::Path>,
) -> Result<tokio_postgres_rustls::MakeRustlsConnect> {
    let mut roots = rustls::RootCertStore::empty();
    match root_cert {
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        Some(path) => {
            let shown = path.display();
            let unusable = |why: String| {
                Error::new(format!("cannot use sslrootcert {shown}: {why}")).hint(
                    "sslrootcert=PATH names a PEM file holding the certificate of the authority \
                     that signed the server's certificate",
                )
            };
            let pem = std::fs::read(path).map_err(|e| unusable(e.to_string()))?;
            let certificates = CertificateDer::pem_slice_iter(&pem)
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| unusable(format!("not a PEM file ({e})")))?;
            let (added, _) = roots.add_parsable_certificates(certificates);
            if added == 0 {
                return Err(unusable("it holds no certificate".to_owned()));
            }
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| Error::new(format!("cannot set up TLS: {e}")))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// A failed connection, said plainly: a certificate agentctl does not trust, or one for
/// another host, each with what to do; else the driver's or server's reason.
pub(super) fn cannot_connect(shown: &Shown, error: &postgres::Error) -> Error {
    use rustls::CertificateError::{NotValidForName, NotValidForNameContext, UnknownIssuer};
    let failed = format!("cannot connect to the store {shown}");
    match tls_error(error) {
        Some(rustls::Error::InvalidCertificate(UnknownIssuer)) => Error::new(format!(
            "{failed}: the server's TLS certificate is not signed by an authority agentctl trusts"
        ))
        .hint("give the authority's certificate (PEM) with sslrootcert=PATH in the URL"),
        Some(tls @ rustls::Error::InvalidCertificate(NotValidForName | NotValidForNameContext { .. })) => {
            Error::new(format!(
                "{failed}: the server's TLS certificate is not for the host in the URL ({tls})"
            ))
            .hint("connect with a host name the certificate names (hostaddr=IP can give the address to connect to)")
        }
        Some(tls) => Error::new(format!("{failed}: TLS failed: {tls}"))
            .hint("check sslmode and sslrootcert in the URL, and the server's certificate"),
        None if error.to_string().contains("does not support TLS") => {
            Error::new(format!("{failed}: the server does not offer TLS")).hint(
                "enable TLS on the server; sslmode=disable sends everything, the password included, in clear",
            )
        }
        None => Error::new(format!("{failed}: {}", reason(error))).hint(
            "check the server is running, and the user, password (or PGPASSWORD) and database in the URL",
        ),
    }
}

/// Loopback and local sockets need no TLS, unless the URL names a CA to verify the server
/// with; anything else must not go in clear: only an explicit `sslmode=disable` does, and
/// `prefer` (TLS if the server offers it) means `require` there.
pub(super) fn decide_tls(config: &mut postgres::Config, explicit: bool, root_cert: bool) {
    use postgres::config::{Host, SslMode};
    let local = config.get_hosts().iter().all(|host| match host {
        Host::Tcp(name) => {
            name == "localhost"
                || name
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        #[cfg(unix)]
        Host::Unix(_) => true,
    }) && config.get_hostaddrs().iter().all(|ip| ip.is_loopback());
    if !explicit {
        config.ssl_mode(if local && !root_cert {
            SslMode::Disable
        } else {
            SslMode::Require
        });
    } else if !local && config.get_ssl_mode() == SslMode::Prefer {
        config.ssl_mode(SslMode::Require);
    }
}

/// The TLS library's own error inside a driver error, if the failure was TLS's.
pub(super) fn tls_error(error: &postgres::Error) -> Option<&rustls::Error> {
    let mut source = std::error::Error::source(error);
    while let Some(error) = source {
        let inner = error
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .map_or(error, |inner| inner as &(dyn std::error::Error + 'static));
        if let Some(tls) = inner.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        source = error.source();
    }
    None
}

/// A server error's own message, or the client's (which names no password).
pub(super) fn reason(error: &postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => db.message().to_owned(),
        None => match std::error::Error::source(error) {
            Some(source) => format!("{error}: {source}"),
            None => error.to_string(),
        },
    }
}

/// The store as errors name it: its URL without the password, and how long its locks are
/// waited for (`--lock-timeout`), for the message when that ran out.
#[derive(Clone)]
pub(super) struct Shown {
    pub(super) url: String,
    pub(super) lock_timeout: Duration,
}

impl std::fmt::Display for Shown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.url)
    }
}

/// A failed statement, said plainly: a lock waited for too long, a lost server, or the error.
pub(super) fn failed(shown: &Shown, error: postgres::Error) -> Error {
    match error.code() {
        Some(code) if *code == SqlState::LOCK_NOT_AVAILABLE => {
            return crate::store::busy(Some(shown), Some(shown.lock_timeout));
        }
        Some(code) if *code == SqlState::QUERY_CANCELED => {
            return Error::new(format!(
                "the store {shown} did not answer in time: {}",
                reason(&error)
            ))
            .hint("nothing was recorded; check the server's load and run the command again")
            .kind(crate::error::ErrorKind::Busy);
        }
        _ => {}
    }
    if error.is_closed() || error.as_db_error().is_none() {
        return Error::new(format!("lost the connection to the store {shown}: {}", reason(&error)))
            .hint("check the server is running and reachable, then run the command again (a publish that did commit is found to have nothing left to publish)")
            .kind(crate::error::ErrorKind::Busy);
    }
    Error::new(format!("the store {shown} failed: {}", reason(&error)))
}
