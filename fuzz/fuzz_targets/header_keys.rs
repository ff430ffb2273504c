//! The duplicate-key check on arbitrary JSON text (it runs before the safetensors parser
//! on every header): no panic, and no stack overflow on deep nesting.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = faultline_model::unique_keys::duplicate_key(text);
    }
});
