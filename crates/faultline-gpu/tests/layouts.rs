//! The uniform blocks the host writes match the WGSL structs the kernels read, field by
//! field: names, offsets and sizes from naga's reflection of every module that declares
//! them against `offset_of!` on the Rust structs.

use std::mem::{offset_of, size_of};

use faultline_gpu::params::{BoundaryParams, GridParams};
use faultline_model::Activation;
use faultline_shader::{
    KernelOptions, Stores, boundary_packed_source, boundary_source, grid_kernel,
};

/// `(name, offset)` of each member of struct `name` in `source`, and its size.
fn wgsl_layout(source: &str, name: &str) -> (Vec<(String, u32)>, u32) {
    let module = naga::front::wgsl::parse_str(source).expect("valid WGSL");
    // Offsets are laid out by the validator's layouter.
    let mut layouter = naga::proc::Layouter::default();
    layouter.update(module.to_ctx()).expect("layout");
    for (handle, ty) in module.types.iter() {
        if ty.name.as_deref() != Some(name) {
            continue;
        }
        let naga::TypeInner::Struct { members, span } = &ty.inner else {
            panic!("{name} is not a struct");
        };
        assert_eq!(layouter[handle].size, *span);
        let fields = members
            .iter()
            .map(|m| (m.name.clone().unwrap_or_default(), m.offset))
            .collect();
        return (fields, *span);
    }
    panic!("no struct {name} in the module");
}

fn check(source: &str, what: &str, name: &str, rust: &[(&str, usize)], size: usize) {
    let (fields, span) = wgsl_layout(source, name);
    let rust: Vec<(String, u32)> = rust
        .iter()
        .map(|&(n, o)| (n.to_string(), o as u32))
        .collect();
    assert_eq!(
        fields, rust,
        "{what}: {name} fields and offsets, WGSL vs Rust"
    );
    assert_eq!(span as usize, size, "{what}: {name} size, WGSL vs Rust");
}

#[test]
fn grid_params_match_the_rust_struct_in_every_network_kernel() {
    let rust = [
        ("origin", offset_of!(GridParams, origin)),
        ("step", offset_of!(GridParams, step)),
        ("col_offset", offset_of!(GridParams, col_offset)),
        ("row_offset", offset_of!(GridParams, row_offset)),
        ("tile_cols", offset_of!(GridParams, tile_cols)),
        ("tile_rows", offset_of!(GridParams, tile_rows)),
        ("grid_cols", offset_of!(GridParams, grid_cols)),
        ("grid_rows", offset_of!(GridParams, grid_rows)),
    ];
    let m = faultline_model::random::random_mlp(
        &[2, 5, 3],
        Activation::Tanh,
        Activation::Softmax,
        1,
        1.0,
    );
    for (lanes, stores) in [(1, Stores::Lanes), (4, Stores::Lanes), (4, Stores::Packed)] {
        let kernel = grid_kernel(
            &m,
            KernelOptions {
                lanes,
                stores,
                ..KernelOptions::default()
            },
        )
        .unwrap();
        let what = format!("lanes {lanes} {stores:?}");
        check(
            &kernel.source,
            &what,
            "GridParams",
            &rust,
            size_of::<GridParams>(),
        );
    }
}

#[test]
fn boundary_params_match_the_rust_struct_in_both_passes() {
    let rust = [
        ("cols", offset_of!(BoundaryParams, cols)),
        ("rows", offset_of!(BoundaryParams, rows)),
        ("rows_available", offset_of!(BoundaryParams, rows_available)),
    ];
    for (what, source) in [
        ("boundary pass", boundary_source()),
        ("packed boundary pass", boundary_packed_source()),
    ] {
        check(
            &source,
            what,
            "BoundaryParams",
            &rust,
            size_of::<BoundaryParams>(),
        );
    }
}
