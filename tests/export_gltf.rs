//! `export --gltf`: the landscape as a glTF binary: one mesh per surface with a vertex
//! per grid sample inside the floor's bounds, the boundary lines as line primitives;
//! read back here and by pygltflib where it is importable.

mod common;

use std::path::Path;

use common::{fails, ok, s};

/// The JSON chunk of a GLB, after checking its header and chunk lengths.
fn gltf_json(path: &Path) -> (serde_json::Value, usize) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[0..4], b"glTF");
    let word = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    assert_eq!(word(4), 2, "version");
    assert_eq!(word(8), bytes.len(), "total length");
    let json_len = word(12);
    assert_eq!(&bytes[16..20], b"JSON");
    let json: serde_json::Value = serde_json::from_slice(&bytes[20..20 + json_len]).unwrap();
    let bin_at = 20 + json_len;
    assert_eq!(&bytes[bin_at + 4..bin_at + 8], b"BIN\0");
    assert_eq!(
        word(bin_at),
        json["buffers"][0]["byteLength"].as_u64().unwrap() as usize
    );
    (json, word(bin_at))
}

#[test]
fn the_landscape_exports_one_mesh_per_surface() {
    let dir = tempfile::tempdir().unwrap();
    let glb = dir.path().join("s1.glb");
    let out = ok(&[
        "export",
        "tests/fixtures/seed_233.safetensors",
        "--gltf",
        s(&glb),
        "--resolution",
        "40",
    ]);
    assert!(out.contains("3 surfaces of 40^2 vertices"), "{out}");
    let (json, _) = gltf_json(&glb);
    let meshes = json["meshes"].as_array().unwrap();
    let names: Vec<&str> = meshes.iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert_eq!(names[..3], ["white", "black", "grey"]);
    assert!(names.contains(&"decision boundary"), "{names:?}");
    for mesh in &meshes[..3] {
        let primitive = &mesh["primitives"][0];
        assert_eq!(primitive["mode"], 4);
        let position =
            &json["accessors"][primitive["attributes"]["POSITION"].as_u64().unwrap() as usize];
        assert_eq!(position["count"], 1600);
        let (min, max) = (&position["min"], &position["max"]);
        for axis in [0, 2] {
            assert_eq!(min[axis].as_f64().unwrap(), -1.0);
            assert_eq!(max[axis].as_f64().unwrap(), 1.0);
        }
        assert!(min[1].as_f64().unwrap() >= 0.0 && max[1].as_f64().unwrap() <= 0.8 + 1e-6);
        let indices = &json["accessors"][primitive["indices"].as_u64().unwrap() as usize];
        assert_eq!(indices["count"], 39 * 39 * 6);
    }
    let lines = &meshes[3]["primitives"][0];
    assert_eq!(lines["mode"], 1);
    assert!(
        json["accessors"][lines["attributes"]["POSITION"].as_u64().unwrap() as usize]["count"]
            .as_u64()
            .unwrap()
            > 40
    );
    assert_eq!(
        json["asset"]["extras"]["domain"],
        serde_json::json!([0.0, 255.0, 0.0, 255.0])
    );

    // A one-output classifier: the threshold plane and the output.
    let binary = dir.path().join("b.glb");
    ok(&[
        "export",
        "tests/fixtures/sklearn_binary.safetensors",
        "--gltf",
        s(&binary),
        "--resolution",
        "32",
    ]);
    let (json, _) = gltf_json(&binary);
    assert!(json["meshes"].as_array().unwrap().len() >= 2);

    let have = std::process::Command::new("python3")
        .args(["-c", "import pygltflib"])
        .output()
        .is_ok_and(|o| o.status.success());
    if have {
        let script = format!(
            "import pygltflib\ng = pygltflib.GLTF2().load({:?})\nassert [m.name for m in g.meshes][:3] == ['white', 'black', 'grey']\nassert g.accessors[g.meshes[0].primitives[0].attributes.POSITION].count == 1600\nprint('ok')",
            glb.display().to_string()
        );
        let out = std::process::Command::new("python3")
            .args(["-c", &script])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    } else {
        assert!(!faultline_gpu::gpu_required(), "CI must install pygltflib");
    }
}

#[test]
fn bad_gltf_input_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let glb = dir.path().join("x.glb");
    let model = "tests/fixtures/seed_233.safetensors";
    let line = fails(&["export", model, "--gltf", s(&glb), "--resolution", "1"]);
    assert!(line.contains("--resolution 1"), "{line}");
    let line = fails(&["export", model, "--gltf", s(&glb), "--height-scale", "0"]);
    assert!(line.contains("--height-scale 0"), "{line}");
    let line = fails(&[
        "export",
        model,
        "--gltf",
        s(&glb),
        "--wgsl",
        s(&dir.path().join("k.wgsl")),
    ]);
    assert!(line.contains("--gltf") && line.contains("--wgsl"), "{line}");
    assert!(!glb.exists());
}
