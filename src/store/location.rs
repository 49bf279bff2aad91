//! Where a store is: a `--store` value (or `AGENTCTL_STORE`, or the workspace's default file)
//! is parsed once into a [`Location`], which alone decides file vs PostgreSQL URL.

use std::path::{Path, PathBuf};

/// A store's place: a SQLite file, or a PostgreSQL server (SPEC 11).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    File(PathBuf),
    Url(String),
}

impl Location {
    /// `postgres://…` and `postgresql://…` name a server; anything else is a file path.
    pub fn parse(value: &str) -> Location {
        if value.starts_with("postgres://") || value.starts_with("postgresql://") {
            Location::Url(value.to_owned())
        } else {
            Location::File(PathBuf::from(value))
        }
    }

    /// Like [`Location::parse`], for a path that may not be UTF-8 (only a file can be).
    pub fn from_path(path: &Path) -> Location {
        match path.to_str() {
            Some(value) => Location::parse(value),
            None => Location::File(path.to_owned()),
        }
    }

    /// The store as shown to people: a file's path, or the URL without its password.
    pub fn shown(&self) -> String {
        match self {
            Location::File(path) => path.display().to_string(),
            Location::Url(url) => redact(url),
        }
    }
}

/// A store's URL as shown to people: the password in it replaced by `***`.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => authority.to_owned(),
        },
        None => authority.to_owned(),
    };
    // `password=` in the query is a password too.
    let tail: Vec<String> = tail
        .split('&')
        .map(|part| match part.split_once("password=") {
            Some((before, _)) => format!("{before}password=***"),
            None => part.to_owned(),
        })
        .collect();
    format!("{scheme}://{authority}{}", tail.join("&"))
}

#[cfg(test)]
mod tests {
    use super::{Location, redact};

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://bob:s3cret@db.example:5432/x?schema=t"),
            "postgres://bob:***@db.example:5432/x?schema=t"
        );
        assert_eq!(redact("postgres://bob@h/x"), "postgres://bob@h/x");
        assert_eq!(
            redact("postgresql://h/x?sslmode=require&password=pw"),
            "postgresql://h/x?sslmode=require&password=***"
        );
        assert_eq!(redact("postgres://a:b:c@h/x"), "postgres://a:***@h/x");
    }

    #[test]
    fn a_location_is_a_url_only_with_a_postgres_scheme() {
        assert_eq!(
            Location::parse("postgres://h/x"),
            Location::Url("postgres://h/x".into())
        );
        assert_eq!(
            Location::parse("postgresql://h/x"),
            Location::Url("postgresql://h/x".into())
        );
        assert_eq!(
            Location::parse("postgres.db"),
            Location::File("postgres.db".into())
        );
        assert_eq!(
            Location::parse("./postgres://x"),
            Location::File("./postgres://x".into())
        );
    }
}
