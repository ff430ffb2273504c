//! The landscape and blit shaders parse and validate with naga (no adapter needed).

#[test]
fn landscape_wgsl_validates() {
    validate(faultline_render::landscape::LANDSCAPE_WGSL);
}

#[test]
fn blit_wgsl_validates() {
    validate(faultline_render::landscape::BLIT_WGSL);
}

fn validate(source: &str) {
    let module = naga::front::wgsl::parse_str(source)
        .unwrap_or_else(|e| panic!("parse error:\n{}", e.emit_to_string(source)));
    naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::default(),
    )
    .validate(&module)
    .unwrap_or_else(|e| panic!("invalid:\n{}", e.emit_to_string(source)));
}
