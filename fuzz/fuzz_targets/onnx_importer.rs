//! The ONNX importer on arbitrary bytes (protobuf reader, messages, graph walk): it must
//! refuse, never panic, hang or allocate without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = faultline_import::onnx::looks_like_onnx(data);
    if let Ok(imported) = faultline_import::onnx::from_bytes(data) {
        let mlp = &imported.mlp;
        if mlp.parameter_count() < 1 << 16 {
            let _ = mlp.forward_f64(&vec![0.5f64; mlp.inputs()]);
        }
    }
});
