//! The canonical encoding of a configuration: what content hashes are computed over.

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::Config;

/// The canonical encoding used for content hashes: JSON with mapping keys sorted, so that key
/// order (which is not a change) never changes a hash.
pub fn canonical_json(value: &Value) -> String {
    let mut out = Vec::new();
    write_canonical(value, &mut out);
    into_text(out)
}

/// The hash a snapshot of `config` is stored under: SHA-256 of its canonical JSON. Two
/// configurations are equal exactly when their hashes are.
pub fn snapshot_hash(config: &Config) -> String {
    sha256_hex(canonical_config(config).as_bytes())
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for byte in digest.iter() {
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte & 0xf)]));
    }
    hex
}

/// [`canonical_json`] of a whole configuration, without copying it into a [`Value`].
pub fn canonical_config(config: &Config) -> String {
    let mut out = Vec::new();
    write_canonical_map(config, &mut out);
    into_text(out)
}

fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => write_canonical_map(map, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        scalar => write_json(scalar, out),
    }
}

fn write_canonical_map(map: &Config, out: &mut Vec<u8>) {
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    out.push(b'{');
    for (i, (key, value)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_json(key, out);
        out.push(b':');
        write_canonical(value, out);
    }
    out.push(b'}');
}

/// A scalar or a key, exactly as serde_json writes it.
fn write_json<T: serde::Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) {
    // Writing strings and numbers into memory cannot fail.
    serde_json::to_writer(out, value).expect("a scalar serialises");
}

fn into_text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).expect("serde_json writes UTF-8")
}
