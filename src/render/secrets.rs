//! Secrets inside values: credentials that sit in an ordinary string (an MCP server's `env`
//! or headers, a URL) rather than under a secret-named key. [`mask_text`] finds them by their
//! shape and replaces the secret part with `********`, keeping what says what it was
//! (`Bearer ********`, `https://user:********@host`), so a reviewer still sees that a value
//! changed kind without seeing the credential.
//!
//! Shapes: `Authorization: <credentials>`, `Bearer <token>`, OpenAI-style `sk-…`, GitHub
//! `ghp_…`/`gho_…`/`ghu_…`/`ghs_…`/`ghr_…`/`github_pat_…`, Slack `xox[abprs]-…`, AWS access
//! key ids `AKIA…`/`ASIA…`, and the password of a URL's `user:password@`. Each needs a word
//! boundary before it and enough token characters after it, so ordinary words (`sk-learn`,
//! `task-runner`, `Bearer of news`) stay as they are.

use std::borrow::Cow;
use std::ops::Range;

use super::MASK;

/// `text` with every secret-shaped part replaced by [`MASK`]; borrowed when nothing is.
pub fn mask_text(text: &str) -> Cow<'_, str> {
    let mut found = Vec::new();
    authorization(text, &mut found);
    bearer(text, &mut found);
    prefixed_keys(text, &mut found);
    url_passwords(text, &mut found);
    if found.is_empty() {
        return Cow::Borrowed(text);
    }
    found.sort_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for range in found {
        if range.start < at {
            // Inside (or overlapping) a part already masked.
            at = at.max(range.end);
            continue;
        }
        out.push_str(&text[at..range.start]);
        out.push_str(MASK);
        at = range.end;
    }
    out.push_str(&text[at..]);
    Cow::Owned(out)
}

/// Characters a token is made of (base64, base64url, JWT dots).
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'+' | b'/' | b'=')
}

/// Whether a key or token may start at `at`: not in the middle of a word.
fn at_boundary(bytes: &[u8], at: usize) -> bool {
    at == 0 || !(bytes[at - 1].is_ascii_alphanumeric() || matches!(bytes[at - 1], b'_' | b'-'))
}

/// The end of the run of bytes from `from` that satisfy `keep`.
fn run_end(bytes: &[u8], from: usize, keep: impl Fn(u8) -> bool) -> usize {
    from + bytes[from..].iter().take_while(|&&b| keep(b)).count()
}

/// Where `needle` (ASCII, lower case) occurs in `text`, case-insensitively.
fn find_all(text: &str, needle: &str) -> Vec<usize> {
    let (bytes, needle) = (text.as_bytes(), needle.as_bytes());
    (0..bytes.len().saturating_sub(needle.len() - 1))
        .filter(|&i| bytes[i..i + needle.len()].eq_ignore_ascii_case(needle))
        .collect()
}

/// `Authorization: <scheme> <credentials>` or `Authorization: <credentials>`: the credentials,
/// up to the end of the line or a quote.
fn authorization(text: &str, found: &mut Vec<Range<usize>>) {
    let bytes = text.as_bytes();
    for at in find_all(text, "authorization") {
        if !at_boundary(bytes, at) {
            continue;
        }
        let mut i = at + "authorization".len();
        // `Authorization: x`, `"Authorization": "x"`, `authorization=x`
        i = run_end(bytes, i, |b| b == b'"' || b == b'\'');
        i = run_end(bytes, i, |b| b == b' ' || b == b'\t');
        if i >= bytes.len() || !matches!(bytes[i], b':' | b'=') {
            continue;
        }
        i = run_end(bytes, i + 1, |b| matches!(b, b' ' | b'\t' | b'"' | b'\''));
        // Keep a scheme word (`Bearer`, `Basic`, `token`) when credentials follow it.
        let word = run_end(bytes, i, |b| b.is_ascii_alphabetic());
        if word > i && bytes.get(word) == Some(&b' ') {
            i = run_end(bytes, word, |b| b == b' ');
        }
        let end = run_end(bytes, i, |b| !matches!(b, b'\n' | b'\r' | b'"' | b'\''));
        let end = i + text[i..end].trim_end().len();
        if end > i {
            found.push(i..end);
        }
    }
}

/// `Bearer <token>` anywhere: the token, when it looks like one (8 or more token characters
/// with a digit or a symbol in them, so `Bearer of bad news` stays).
fn bearer(text: &str, found: &mut Vec<Range<usize>>) {
    let bytes = text.as_bytes();
    for at in find_all(text, "bearer") {
        if !at_boundary(bytes, at) {
            continue;
        }
        let start = run_end(bytes, at + "bearer".len(), |b| b == b' ' || b == b'\t');
        if start == at + "bearer".len() {
            continue;
        }
        let end = run_end(bytes, start, is_token_byte);
        let token = &bytes[start..end];
        if token.len() >= 8 && token.iter().any(|b| !b.is_ascii_alphabetic()) {
            found.push(start..end);
        }
    }
}

/// Which bytes a key's tail is made of.
type TailBytes = fn(u8) -> bool;

/// Keys recognisable by their prefix: (prefix, the fewest characters after it, which
/// characters those are).
const PREFIXED: &[(&str, usize, TailBytes)] = &[
    ("sk-", 16, is_key_byte),
    ("ghp_", 20, is_alnum),
    ("gho_", 20, is_alnum),
    ("ghu_", 20, is_alnum),
    ("ghs_", 20, is_alnum),
    ("ghr_", 20, is_alnum),
    ("github_pat_", 20, is_key_byte),
    ("xoxa-", 10, is_key_byte),
    ("xoxb-", 10, is_key_byte),
    ("xoxp-", 10, is_key_byte),
    ("xoxr-", 10, is_key_byte),
    ("xoxs-", 10, is_key_byte),
];

fn is_alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

fn prefixed_keys(text: &str, found: &mut Vec<Range<usize>>) {
    let bytes = text.as_bytes();
    for at in 0..bytes.len() {
        if !at_boundary(bytes, at) {
            continue;
        }
        for &(prefix, least, keep) in PREFIXED {
            if bytes[at..].starts_with(prefix.as_bytes()) {
                let end = run_end(bytes, at + prefix.len(), keep);
                // A key has digits in it: `sk-this-is-not-a-key-at-all` is prose.
                let tail = &bytes[at + prefix.len()..end];
                if tail.len() >= least && tail.iter().any(u8::is_ascii_digit) {
                    found.push(at..end);
                }
            }
        }
        // AWS access key ids: AKIA or ASIA and 16 upper-case letters or digits, a whole word.
        if bytes[at..].starts_with(b"AKIA") || bytes[at..].starts_with(b"ASIA") {
            let end = run_end(bytes, at, |b| b.is_ascii_uppercase() || b.is_ascii_digit());
            let whole = end == bytes.len() || !is_key_byte(bytes[end]);
            if end - at == 20 && whole {
                found.push(at..end);
            }
        }
    }
}

/// `scheme://user:password@host`: the password.
fn url_passwords(text: &str, found: &mut Vec<Range<usize>>) {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(offset) = text[from..].find("://") {
        let start = from + offset + 3;
        from = start;
        // The authority ends at the path, query, fragment, a space or a quote.
        let end = run_end(bytes, start, |b| {
            !matches!(
                b,
                b'/' | b'?' | b'#' | b' ' | b'\t' | b'\n' | b'"' | b'\'' | b'<' | b'>'
            )
        });
        let authority = &text[start..end];
        if let Some(at) = authority.rfind('@')
            && let Some(colon) = authority[..at].find(':')
            && colon + 1 < at
        {
            found.push(start + colon + 1..start + at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(text: &str) -> String {
        mask_text(text).into_owned()
    }

    #[test]
    fn authorization_headers() {
        assert_eq!(
            masked("Authorization: Bearer abc.def-ghi"),
            "Authorization: Bearer ********"
        );
        assert_eq!(
            masked("authorization: Basic dXNlcjpwYXNz"),
            "authorization: Basic ********"
        );
        assert_eq!(
            masked(r#"{"Authorization": "opaque"}"#),
            r#"{"Authorization": "********"}"#
        );
        assert_eq!(
            masked("-H 'Authorization: token s3cr3t' -X"),
            "-H 'Authorization: token ********' -X"
        );
        assert_eq!(
            masked("line one\nAuthorization: Bearer x1\nline three"),
            "line one\nAuthorization: Bearer ********\nline three"
        );
    }

    #[test]
    fn bearer_tokens() {
        assert_eq!(
            masked("--header=Bearer eyJhbGciOi.J9xyz"),
            "--header=Bearer ********"
        );
        assert_eq!(masked("BEARER 0123456789"), "BEARER ********");
    }

    #[test]
    fn prefixed_keys() {
        assert_eq!(
            masked("key sk-proj-4f9a8b7c6d5e4f3a2b1c here"),
            "key ******** here"
        );
        assert_eq!(masked("ghp_1234567890abcdefghijABCDEFGHIJ"), "********");
        assert_eq!(
            masked("GITHUB=github_pat_11ABCDEFG0123456789_abcdef"),
            "GITHUB=********"
        );
        assert_eq!(masked("xoxb-1234567890-abcdefghij"), "********");
        assert_eq!(masked("id AKIAIOSFODNN7EXAMPLE, ok"), "id ********, ok");
        assert_eq!(masked("ASIAIOSFODNN7EXAMPLE"), "********");
    }

    #[test]
    fn url_passwords() {
        assert_eq!(
            masked("postgres://app:hunter2@db.internal:5432/prod"),
            "postgres://app:********@db.internal:5432/prod"
        );
        assert_eq!(
            masked("see https://u:p@x.org and https://v:q@y.org/"),
            "see https://u:********@x.org and https://v:********@y.org/"
        );
    }

    #[test]
    fn near_misses_stay() {
        for text in [
            "Never promise refunds.",
            "uses sk-learn for scoring",
            "task-runner-0123456789abcdef",
            "ask-0123456789abcdefgh",
            "sk-this-is-not-a-key-at-all",
            "ghp_short1",
            "myghp_1234567890abcdefghijABCD",
            "xoxb-short",
            "AKIA is a prefix",
            "AKIAIOSFODNN7EXAMPLEX",
            "xAKIAIOSFODNN7EXAMPLE",
            "Bearer of bad news",
            "Bearer short1",
            "the authorization flow",
            "https://example.com:8443/path",
            "https://user@example.com/",
            "mailto:someone@example.com",
            "https://x.org/a:b@c",
            "",
        ] {
            assert_eq!(mask_text(text), text, "{text}");
        }
    }

    #[test]
    fn non_ascii_text_is_safe() {
        assert_eq!(
            masked("日本語 Bearer tok3n-abc日本語"),
            "日本語 Bearer ********日本語"
        );
        assert_eq!(masked("é://é:é@é"), "é://é:********@é");
    }
}
