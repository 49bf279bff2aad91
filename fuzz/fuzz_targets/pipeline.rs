#![no_main]
//! parse → diff → apply → merge (revert) → edit::rewrite, on arbitrary bytes.

use libfuzzer_sys::fuzz_target;

include!("../check.rs");

fuzz_target!(|data: &[u8]| check(data));
