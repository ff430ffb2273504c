//! The model file loader on arbitrary bytes: our layout and PyTorch state dicts, with and
//! without activations given. It must refuse, never panic, hang or allocate without bound.
#![no_main]

use faultline_model::Activation;
use faultline_model::io::{LoadOptions, from_bytes_with};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = from_bytes_with(data, &LoadOptions::default());
    let given = LoadOptions {
        activations: Some(vec![Activation::Relu, Activation::Relu, Activation::Softmax]),
    };
    if let Ok(loaded) = from_bytes_with(data, &given) {
        // What a command does next with a model: describe it, bound it on its domain, run
        // one point of the reference.
        let _ = loaded.layout.describe();
        let mlp = &loaded.mlp;
        if let Some(domain) = mlp.metadata.domain {
            let _ = mlp.magnitude_bound(&domain);
        }
        if mlp.parameter_count() < 1 << 16 {
            let input = vec![0.5f64; mlp.inputs()];
            let _ = mlp.forward_f64(&input);
        }
    }
});
