//! Every shader this crate produces or ships is parsed and validated by naga.

use faultline_model::{Activation, Mlp, Slope};
use faultline_shader::wgsl::Expr;
use faultline_shader::{
    Form, KernelOptions, Stores, boundary_packed_source, boundary_source, export_source,
    grid_kernel,
};

/// A deterministic pseudo-random net with the given widths and activations.
fn net(widths: &[usize], hidden: Activation, output: Activation, seed: u64) -> Mlp {
    faultline_model::random::random_mlp(widths, hidden, output, seed, 1.0)
}

fn validate(source: &str, what: &str) {
    let module = naga::front::wgsl::parse_str(source)
        .unwrap_or_else(|e| panic!("{what}: parse error:\n{}", e.emit_to_string(source)));
    naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        // Packed kernels use u64 (wgpu's SHADER_INT64).
        naga::valid::Capabilities::default() | naga::valid::Capabilities::SHADER_INT64,
    )
    .validate(&module)
    .unwrap_or_else(|e| panic!("{what}: invalid:\n{}", e.emit_to_string(source)));
}

#[test]
fn boundary_modules_validate() {
    validate(
        &boundary_source(),
        "boundary pass (prelude, rule, boundary.wgsl)",
    );
    validate(
        &boundary_packed_source(),
        "packed boundary pass (prelude, rule, boundary_packed.wgsl)",
    );
}

/// `main_flags` is written for 16 rows per invocation (four calls of `four_rows`), and
/// takes FLAG_ROWS from the prelude, which the host's constant generates.
#[test]
fn the_fused_entry_points_row_count_matches_the_host() {
    assert_eq!(
        faultline_shader::FLAG_ROWS,
        16,
        "main_flags unrolls 16 rows"
    );
    let wgsl = format!("const FLAG_ROWS: u32 = {}u;", faultline_shader::FLAG_ROWS);
    assert!(
        faultline_shader::prelude().contains(&wgsl),
        "{}",
        faultline_shader::prelude()
    );
    assert!(!faultline_shader::kernel::GRID_FLAGS_PACKED_WGSL.contains("const FLAG_ROWS"));
}

/// The boundary rule and the flag bits are written once: the rule in
/// shaders/boundary_rule.wgsl (every marking module calls it), the bits in the prelude
/// generated from faultline-model; no hand-written shader defines them again.
#[test]
fn the_boundary_rule_and_flag_bits_are_written_once() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shaders");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        for bit in [
            "CLASS_MASK",
            "DECISION",
            "JUNCTION",
            "CROSSING",
            "FLAG_ROWS",
        ] {
            assert!(
                !text.contains(&format!("const {bit}")),
                "{name} defines {bit}; it belongs to the generated prelude"
            );
        }
        // The junction count of the 2 x 2 block is the rule's tell-tale.
        let counts_distinct = text.contains("distinct >= 3u");
        assert_eq!(
            counts_distinct,
            name == "boundary_rule.wgsl",
            "{name}: the boundary rule lives in boundary_rule.wgsl only"
        );
    }
    let m = net(&[2, 4, 3], Activation::Sigmoid, Activation::Sigmoid, 1);
    let packed = grid_kernel(
        &m,
        KernelOptions {
            stores: Stores::Packed,
            ..KernelOptions::default()
        },
    )
    .unwrap();
    for (what, source) in [
        ("boundary pass", boundary_source()),
        ("packed boundary pass", boundary_packed_source()),
        ("fused kernel", packed.source),
    ] {
        assert!(source.contains("boundary_flags"), "{what} calls the rule");
        assert_eq!(
            source.matches("fn boundary_flags(").count(),
            1,
            "{what}: one definition of the rule"
        );
        assert!(
            source.contains(&faultline_shader::prelude()),
            "{what} has the prelude"
        );
    }
}

#[test]
fn every_activation_and_form_validates() {
    let hidden = [
        Activation::Identity,
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Relu,
        Activation::LeakyRelu(Slope::DEFAULT),
        Activation::LeakyRelu(Slope::new(0.2).unwrap()),
    ];
    for (h, &hidden) in hidden.iter().enumerate() {
        for output in Activation::ALL {
            let m = net(&[2, 4, 3], hidden, output, h as u64);
            for (lanes, stores) in [(1, Stores::Lanes), (4, Stores::Lanes), (4, Stores::Packed)] {
                for form in [Form::Unrolled, Form::Looped] {
                    let k = grid_kernel(
                        &m,
                        KernelOptions {
                            lanes,
                            form: Some(form),
                            stores,
                        },
                    )
                    .unwrap();
                    validate(
                        &k.source,
                        &format!("{hidden}/{output} lanes {lanes} {stores:?} {form:?}"),
                    );
                }
            }
        }
    }
}

#[test]
fn sizes_up_to_2_256_256_10_validate() {
    for widths in [
        &[2, 1][..],
        &[2, 3, 2],
        &[2, 3, 3],
        &[2, 5, 4, 3],
        &[2, 16, 16, 16, 11],
        &[2, 64, 64, 10],
        &[2, 256, 256, 10],
    ] {
        let m = net(widths, Activation::Relu, Activation::Softmax, 7);
        let k = grid_kernel(&m, KernelOptions::default()).unwrap();
        validate(&k.source, &format!("{widths:?} {:?}", k.form));
        let packed = KernelOptions {
            stores: Stores::Packed,
            ..KernelOptions::default()
        };
        let p = grid_kernel(&m, packed).unwrap();
        validate(&p.source, &format!("{widths:?} {:?} packed", p.form));
        if widths == [2, 256, 256, 10] {
            assert_eq!(k.form, Form::Looped);
            assert_eq!(k.weights.len(), m.parameter_count());
        }
        if widths == [2, 64, 64, 10] {
            assert_eq!(k.form, Form::Unrolled);
        }
    }
}

#[test]
fn the_2_5_4_3_shader_contains_its_weights() {
    let m = net(&[2, 5, 4, 3], Activation::Tanh, Activation::Sigmoid, 3);
    let k = grid_kernel(&m, KernelOptions::default()).unwrap();
    let exported = export_source(&m, &k);
    validate(&exported, "exported 2-5-4-3");
    assert!(exported.starts_with("// Faultline grid kernel for a 2-5-4-3 MLP"));
    for layer in m.layers() {
        for &w in layer.weight.iter().chain(&layer.bias) {
            let literal = Expr::F32(w.abs()).to_string();
            assert!(
                exported.contains(&literal),
                "weight {w} ({literal}) missing"
            );
        }
    }
}
