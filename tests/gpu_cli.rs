//! The GPU path through the CLI: `eval --backend gpu` against the CPU reference, adapter
//! fallbacks, `export --wgsl` and `map`.

mod common;

use std::path::Path;

use common::{diagonal_model, fails, faultline_env, gpu_available, ok, read_f64, s};

const FIXTURE: &str = "tests/fixtures/pytorch_2543.safetensors";

#[test]
fn gpu_eval_matches_the_cpu_reference() {
    if !gpu_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let [gpu_field, cpu_field, gpu_classes, cpu_classes] =
        ["gf", "cf", "gc", "cc"].map(|n| dir.path().join(format!("{n}.npy")));
    let out = ok(&[
        "eval",
        FIXTURE,
        "--size",
        "67x45",
        "--backend",
        "gpu",
        "--field",
        s(&gpu_field),
        "--classes",
        s(&gpu_classes),
    ]);
    assert!(out.contains("on gpu"), "{out}");
    ok(&[
        "eval",
        FIXTURE,
        "--size",
        "67x45",
        "--backend",
        "cpu",
        "--field",
        s(&cpu_field),
        "--classes",
        s(&cpu_classes),
    ]);
    let (shape, g) = read_f64(&gpu_field);
    let (_, c) = read_f64(&cpu_field);
    assert_eq!(shape, [45, 67, 3]);
    for (a, b) in g.iter().zip(&c) {
        assert!((a - b).abs() <= 1e-5 + 1e-4 * b.abs(), "gpu {a} vs cpu {b}");
    }
    let (_, gc) = read_f64(&gpu_classes_as_f64(&gpu_classes, dir.path()));
    let (_, cc) = read_f64(&gpu_classes_as_f64(&cpu_classes, dir.path()));
    let differ = gc.iter().zip(&cc).filter(|(a, b)| a != b).count();
    assert!(differ <= 2, "{differ} classes differ");
}

/// Converts a uint8 classes file to float64 for `read_f64`.
fn gpu_classes_as_f64(path: &Path, dir: &Path) -> std::path::PathBuf {
    use ndarray_npy::{ReadNpyExt, WriteNpyExt};
    let a = ndarray::Array2::<u8>::read_npy(std::fs::File::open(path).unwrap()).unwrap();
    let out = dir.join(format!(
        "{}-f64.npy",
        path.file_stem().unwrap().to_string_lossy()
    ));
    a.mapv(f64::from)
        .write_npy(std::fs::File::create(&out).unwrap())
        .unwrap();
    out
}

#[test]
fn without_an_adapter_gpu_fails_and_auto_falls_back() {
    let dir = tempfile::tempdir().unwrap();
    let field = dir.path().join("f.npy");
    let none = [
        ("FAULTLINE_ADAPTER", "no-such-adapter"),
        ("FAULTLINE_REQUIRE_GPU", "0"),
    ];
    let args = ["eval", FIXTURE, "--size", "8", "--field", s(&field)];

    let mut gpu = args.to_vec();
    gpu.extend(["--backend", "gpu"]);
    let out = faultline_env(&gpu, &none);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("--backend gpu") && stderr.contains("no-such-adapter"),
        "{stderr}"
    );
    assert!(!field.exists());

    let out = faultline_env(&args, &none);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("evaluating on the CPU"), "{stderr}");
    assert!(field.exists());
    std::fs::remove_file(&field).unwrap();

    let out = faultline_env(
        &args,
        &[
            ("FAULTLINE_ADAPTER", "no-such-adapter"),
            ("FAULTLINE_REQUIRE_GPU", "1"),
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("FAULTLINE_REQUIRE_GPU=1"));
    assert!(!field.exists());
}

#[test]
fn export_writes_a_valid_self_contained_shader() {
    let dir = tempfile::tempdir().unwrap();
    let wgsl = dir.path().join("net.wgsl");
    ok(&["export", FIXTURE, "--wgsl", s(&wgsl)]);
    let source = std::fs::read_to_string(&wgsl).unwrap();
    assert!(
        source
            .starts_with("// Faultline grid kernel for a 2-5-4-3 MLP (tanh, leaky_relu, softmax)")
    );
    let module = naga::front::wgsl::parse_str(&source).expect("parses");
    naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::default(),
    )
    .validate(&module)
    .expect("validates");
    let line = fails(&["export", FIXTURE, "--wgsl", "/no/such/dir/x.wgsl"]);
    assert!(line.contains("does not exist"), "{line}");
}

#[test]
fn map_draws_classes_with_y_up_and_the_boundary_dark() {
    let dir = tempfile::tempdir().unwrap();
    let model = diagonal_model(dir.path(), 1.0);
    for backend in ["cpu", "auto"] {
        let png = dir.path().join(format!("map-{backend}.png"));
        ok(&[
            "map",
            s(&model),
            "--size",
            "64x48",
            "--backend",
            backend,
            "--crossings",
            "-o",
            s(&png),
        ]);
        let img = image::open(&png).unwrap().to_rgb8();
        assert_eq!(img.dimensions(), (64, 48));
        let c0 = faultline_render::class_colour(0);
        let c1 = faultline_render::class_colour(1);
        assert_eq!(img.get_pixel(2, 2).0, c1, "{backend}: top-left is y > x");
        assert_eq!(
            img.get_pixel(61, 45).0,
            c0,
            "{backend}: bottom-right is x > y"
        );
        let dark = img
            .pixels()
            .filter(|p| p.0 == faultline_render::map::BOUNDARY)
            .count();
        assert!(
            (40..200).contains(&dark),
            "{backend}: {dark} boundary pixels"
        );
    }
    let png = dir.path().join("bad.png");
    for (args, phrase) in [
        (vec!["--size", "0"], "at least 1"),
        (vec!["--size", "8", "--domain", "0,0,0,1"], "must increase"),
    ] {
        let mut full = vec!["map", s(&model)];
        full.extend(&args);
        full.extend(["-o", s(&png)]);
        let line = fails(&full);
        assert!(line.contains(phrase), "{line}");
        assert!(!png.exists());
    }
}

/// `FAULTLINE_GPU_PATH=hardware` (lane stores, readback copies: what a discrete GPU runs)
/// and the adapter's own path both match the f64 reference through `eval`: the PyTorch
/// fixture and a 2-64-64-10 net, on a grid small enough for one band and one that takes
/// several. The line `eval` prints names the path.
#[test]
fn eval_on_either_gpu_path_matches_the_reference() {
    use faultline_model::arrays::Field;
    if !gpu_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    ok(&[
        "bench",
        "--save-models",
        s(dir.path()),
        "--size",
        "8",
        "--backend",
        "cpu",
    ]);
    let wide = dir.path().join("2-64-64-10-relu.safetensors");
    let models = [
        (Path::new(FIXTURE), "67x45"),
        (Path::new(FIXTURE), "1500x700"),
        (wide.as_path(), "67x45"),
        (wide.as_path(), "1024x300"),
    ];
    for (model, size) in models {
        let mlp = faultline_model::io::load(model).unwrap();
        let (w, h) = faultline_model::grid::parse_size(size).unwrap();
        let domain = mlp.metadata.domain.unwrap();
        let grid = faultline_model::GridSpec::new(domain, w, h).unwrap();
        let reference = Field::reference(&mlp, &grid).unwrap();
        for path in ["software", "hardware"] {
            let field = dir.path().join("f.npy");
            let classes = dir.path().join("c.npy");
            let decision = dir.path().join("d.npy");
            let out = faultline_env(
                &[
                    "eval",
                    s(model),
                    "--size",
                    size,
                    "--backend",
                    "gpu",
                    "--field",
                    s(&field),
                    "--classes",
                    s(&classes),
                    "--decision",
                    s(&decision),
                ],
                &[("FAULTLINE_GPU_PATH", path)],
            );
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(stdout.contains(&format!("{path} path")), "{stdout}");
            assert!(!stdout.contains("NaN"), "{stdout}");
            let (shape, values) = read_f64(&field);
            assert_eq!(shape, [h, w, mlp.outputs()]);
            let mut worst = 0.0f64;
            for (&a, &b) in values.iter().zip(&reference.values) {
                let b = f64::from(b);
                let err = (a - b).abs();
                worst = worst.max(err / (1e-5 + 1e-4 * b.abs()));
            }
            assert!(
                worst <= 1.0,
                "{path} path, {size}: field off the reference ({worst:.2} of the tolerance)"
            );
            // Classes and decision as the reference has them, but at near-ties of the
            // f32 field (the GPU twin tests check those bit for bit against the field).
            let read_u8 = |p: &Path| {
                use ndarray_npy::ReadNpyExt;
                ndarray::Array2::<u8>::read_npy(std::fs::File::open(p).unwrap())
                    .unwrap()
                    .into_raw_vec_and_offset()
                    .0
            };
            let differ = |a: Vec<u8>, b: Vec<u8>| a.iter().zip(&b).filter(|(a, b)| a != b).count();
            let ref_classes: Vec<u8> = reference.classes().iter().map(|&k| k as u8).collect();
            let (dc, dd) = (
                differ(read_u8(&classes), ref_classes),
                differ(read_u8(&decision), reference.decision()),
            );
            assert!(
                dc + dd <= w * h / 2000,
                "{path} path, {size}: {dc} classes and {dd} decision cells differ"
            );
            eprintln!(
                "{} {size} {path} path: worst error {worst:.3} of the tolerance, {dc} classes and {dd} decision cells differ",
                mlp.architecture()
            );
        }
    }
}

/// `eval --classes` and `map` of models with 12, 100 and 300 outputs on both backends:
/// classes within near-ties of the f64 reference (uint16 above 256 outputs), the maps of
/// the two backends nearly identical; `--pairs` and `--crossings` refused in one line.
#[test]
fn many_outputs_through_the_cli_on_both_backends() {
    use faultline_model::arrays::top_two_within;
    use faultline_model::{Activation, Domain, Field, GridSpec};
    use ndarray_npy::ReadNpyExt;
    let gpu = gpu_available();
    let dir = tempfile::tempdir().unwrap();
    for outputs in [12usize, 100, 300] {
        let mut m = faultline_model::random::random_mlp(
            &[2, 16, outputs],
            Activation::Tanh,
            Activation::Identity,
            outputs as u64,
            3.0,
        );
        let domain = Domain::new([-2.0, 2.0], [-1.5, 1.5]).unwrap();
        m.metadata.domain = Some(domain);
        let model = dir.path().join(format!("m{outputs}.safetensors"));
        faultline_model::io::save(&m, &model).unwrap();
        let reference = Field::reference(&m, &GridSpec::new(domain, 40, 30).unwrap()).unwrap();
        let expected = reference.classes();
        let mut maps = Vec::new();
        for backend in ["cpu", "gpu"].into_iter().filter(|b| *b == "cpu" || gpu) {
            let classes = dir.path().join(format!("c{outputs}{backend}.npy"));
            let map = dir.path().join(format!("m{outputs}{backend}.png"));
            let b = ["--backend", backend];
            ok(&[
                &[
                    "eval",
                    s(&model),
                    "--size",
                    "40x30",
                    "--classes",
                    s(&classes),
                ],
                &b[..],
            ]
            .concat());
            ok(&[
                &["map", s(&model), "--size", "40x30", "-o", s(&map)],
                &b[..],
            ]
            .concat());
            let file = || std::fs::File::open(&classes).unwrap();
            let got: Vec<u32> = if outputs > 256 {
                let a = ndarray::Array2::<u16>::read_npy(file()).unwrap();
                a.iter().map(|&k| u32::from(k)).collect()
            } else {
                let a = ndarray::Array2::<u8>::read_npy(file()).unwrap();
                a.iter().map(|&k| u32::from(k)).collect()
            };
            for (cell, (&g, &e)) in got.iter().zip(&expected).enumerate() {
                let z = reference.at(cell / 40, cell % 40);
                assert!(
                    g == e || top_two_within(z, 1e-4),
                    "{outputs} outputs on {backend}: class {g} vs {e} at cell {cell}"
                );
            }
            maps.push(image::open(&map).unwrap().to_rgb8());
            let pairs = dir.path().join("p.npy");
            let line = fails(
                &[
                    &["eval", s(&model), "--size", "9", "--pairs", s(&pairs)],
                    &b[..],
                ]
                .concat(),
            );
            assert!(line.contains("at most 64 pairs"), "{line}");
            assert!(!pairs.exists());
            let line = fails(
                &[
                    &[
                        "map",
                        s(&model),
                        "--size",
                        "9",
                        "--crossings",
                        "-o",
                        s(&map),
                    ],
                    &b[..],
                ]
                .concat(),
            );
            assert!(
                line.contains("--crossings") && line.contains("at most 64 pairs"),
                "{line}"
            );
        }
        if let [cpu, gpu] = &maps[..] {
            let differ = cpu
                .pixels()
                .zip(gpu.pixels())
                .filter(|(a, b)| a != b)
                .count();
            assert!(
                differ <= 12,
                "{outputs} outputs: {differ} map pixels differ"
            );
        }
    }
}

/// A model wider than a GPU kernel takes (1024 outputs) is evaluated on the CPU under
/// `auto`, and `--backend gpu` says in one line where it can run.
#[test]
fn models_wider_than_a_kernel_run_on_the_cpu() {
    use faultline_model::{Activation, Domain};
    let dir = tempfile::tempdir().unwrap();
    let mut m = faultline_model::random::random_mlp(
        &[2, 4, 1100],
        Activation::Tanh,
        Activation::Identity,
        5,
        2.0,
    );
    m.metadata.domain = Some(Domain::new([-1.0, 1.0], [-1.0, 1.0]).unwrap());
    let model = dir.path().join("wide.safetensors");
    faultline_model::io::save(&m, &model).unwrap();
    let classes = dir.path().join("c.npy");
    let out = ok(&["eval", s(&model), "--size", "9", "--classes", s(&classes)]);
    assert!(out.contains("on cpu"), "{out}");
    if gpu_available() {
        let line = fails(&["eval", s(&model), "--size", "9", "--backend", "gpu"]);
        assert!(
            line.contains("1024") && line.contains("--backend cpu"),
            "{line}"
        );
    }
}
