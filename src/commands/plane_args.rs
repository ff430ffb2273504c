//! The plane flags shared by `eval`, `map`, `render` and `view`: which plane through a
//! wider model's input space the grid shows. The plane is folded into the first layer
//! ([`Plane::fold`]), so everything downstream sees a two-input network.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::cli::PlaneArgs;
use crate::output::prepare_one;
use faultline_model::output_file::OutputFile;
use faultline_model::samples::{Samples, read_samples};
use faultline_model::slice::{LiveSlice, SliceKind, normal_within};
use faultline_model::{Domain, How, Mlp, Plane, PlaneFile};

/// Margin around the data's projections, as a fraction of their extent, for planes
/// through data.
const DATA_MARGIN: f64 = 0.1;

/// A model as the grid sees it: two inputs, the plane folded in.
pub struct Sliced {
    /// The two-input network (the model itself when it has two inputs and no plane flag).
    pub mlp: Mlp,
    /// The plane used, if any, and where to describe it.
    pub record: PlaneRecord,
}

/// The plane a grid used and the `--plane-out` file to describe it in.
pub struct PlaneRecord {
    used: Option<Used>,
}

struct Used {
    /// The model before folding (its inputs as the data has them).
    original: Mlp,
    plane: Plane,
    how: How,
    inputs: Vec<String>,
    out: Option<(OutputFile, std::path::PathBuf)>,
    /// Where an axis slice fixed the other inputs, said once the command has succeeded
    /// (so a refusal stays one line).
    note: Option<String>,
    /// How the viewer's controls move the plane.
    live: SliceKind,
}

impl PlaneRecord {
    /// The plane as the viewer's slice controls move it, over `domain` (the one shown).
    pub fn live(&self, domain: &Domain) -> Option<LiveSlice> {
        let used = self.used.as_ref()?;
        let kind = match used.live.clone() {
            SliceKind::Axes {
                axes,
                at,
                mut ranges,
            } => {
                ranges[axes[0]] = domain.x;
                ranges[axes[1]] = domain.y;
                SliceKind::Axes { axes, at, ranges }
            }
            SliceKind::Shifted {
                plane,
                normal,
                offset,
                range,
                ..
            } => SliceKind::Shifted {
                plane,
                normal,
                offset,
                range,
                domain: *domain,
            },
        };
        Some(LiveSlice {
            original: used.original.clone(),
            kind,
        })
    }

    /// The plane folded in and the model before folding, if a plane was used.
    pub fn plane(&self) -> Option<(&Plane, &Mlp)> {
        self.used.as_ref().map(|u| (&u.plane, &u.original))
    }

    /// After the command's work: writes `--plane-out` with the domain the grid used and
    /// says where an axis slice fixed the other inputs.
    pub fn finish(self, domain: &Domain) -> Result<()> {
        let Some(used) = self.used else {
            return Ok(());
        };
        if let Some((out, path)) = used.out {
            let file = PlaneFile::describe(&used.plane, domain, used.inputs, used.how);
            let text = serde_json::to_string_pretty(&file).expect("a plane serialises");
            out.write(|w| std::io::Write::write_all(w, format!("{text}\n").as_bytes()))?;
            say!("wrote {} (plane)", path.display());
        }
        if let Some(note) = used.note {
            eprintln!("{note}");
        }
        Ok(())
    }
}

/// The model on the plane the flags choose. A two-input model without plane flags is
/// returned as it is; a wider one without flags gets its first two inputs as axes at its
/// reference point, with a note.
pub fn slice(
    model: Mlp,
    path: &Path,
    args: &PlaneArgs,
    domain_flag: Option<&str>,
) -> Result<Sliced> {
    let chosen = [
        args.axes.is_some(),
        args.through.is_some(),
        args.pca.is_some(),
        args.plane.is_some(),
    ]
    .iter()
    .filter(|&&b| b)
    .count();
    if chosen > 1 {
        bail!("--axes, --through, --pca and --plane each choose the plane: give one");
    }
    if args.at.is_some() && args.axes.is_none() && chosen == 1 {
        bail!(
            "--at fixes the other inputs of an --axes slice; it does not apply to --through, --pca or --plane"
        );
    }
    let n = model.inputs();
    if chosen == 0 && n == 2 && args.at.is_none() && args.plane_out.is_none() {
        return Ok(Sliced {
            mlp: model,
            record: PlaneRecord { used: None },
        });
    }
    let out = args
        .plane_out
        .as_deref()
        .map(|p| {
            prepare_one("--plane-out", p, &[("the model", path)]).map(|f| (f, p.to_path_buf()))
        })
        .transpose()?;
    let names = model.input_names();
    let mut note = None;
    let mut data_rows = Vec::new();
    let (plane, how, axis_names, default_domain) = if let Some(spec) = &args.through {
        let (data, rows) = spec.rsplit_once(':').with_context(|| {
            format!("--through '{spec}': expected DATA.csv:I,J,K (three 0-based row numbers)")
        })?;
        let rows: Vec<usize> = rows
            .split(',')
            .map(|r| r.trim().parse::<usize>())
            .collect::<Result<_, _>>()
            .ok()
            .filter(|r: &Vec<usize>| r.len() == 3)
            .with_context(|| {
                format!("--through '{spec}': expected three 0-based row numbers after the ':', e.g. data.csv:0,5,9")
            })?;
        let samples = samples(Path::new(data), &model, "--through")?;
        for &r in &rows {
            if r >= samples.rows() {
                bail!(
                    "--through '{spec}': row {r} is past the end of {data} ({} rows, numbered from 0)",
                    samples.rows()
                );
            }
        }
        let plane = Plane::through([
            samples.row(rows[0]),
            samples.row(rows[1]),
            samples.row(rows[2]),
        ])
        .with_context(|| format!("--through '{spec}'"))?;
        let domain = plane.extent(&samples.features, DATA_MARGIN)?;
        data_rows = samples.features;
        (plane, How::Through, plane_names(), Some(domain))
    } else if let Some(data) = &args.pca {
        let samples = samples(data, &model, "--pca")?;
        let (plane, _) = Plane::pca(&samples.features, n)
            .with_context(|| format!("--pca {}", data.display()))?;
        let domain = plane.extent(&samples.features, DATA_MARGIN)?;
        data_rows = samples.features;
        (plane, How::Pca, plane_names(), Some(domain))
    } else if let Some(file) = &args.plane {
        let bytes = faultline_model::io::read_regular_file(file)?;
        let (plane, domain) = PlaneFile::parse(&String::from_utf8_lossy(&bytes))
            .with_context(|| format!("--plane {}", file.display()))?;
        if plane.inputs() != n {
            bail!(
                "--plane {}: its vectors have {} values, the model has {n} inputs",
                file.display(),
                plane.inputs()
            );
        }
        (plane, How::File, plane_names(), domain)
    } else {
        let (plane, how, names, domain, said) = axes(&model, args)?;
        note = said;
        (plane, how, names, domain)
    };
    if domain_flag.is_none() && default_domain.is_none() {
        let why = match how {
            How::Axes => format!(
                "no range for {} and {} (the model has no input_ranges)",
                axis_names[0], axis_names[1]
            ),
            _ => "the plane file has no domain".into(),
        };
        bail!("{}: {why}; pass --domain s0,s1,t0,t1", path.display());
    }
    let mlp = plane.fold(&model, axis_names, default_domain)?;
    let placeholder = Domain::new([0.0, 1.0], [0.0, 1.0])?;
    let live = match how {
        How::Axes => {
            // An axis plane's u and v are the unit vectors of its two inputs.
            let (a, b) = (
                plane.u.iter().position(|&x| x == 1.0),
                plane.v.iter().position(|&x| x == 1.0),
            );
            let (a, b) = (a.unwrap_or(0), b.unwrap_or(1));
            let at: Vec<f64> = plane.origin.clone();
            let ranges = (0..n)
                .map(|k| {
                    model
                        .metadata
                        .input_range(k)
                        .filter(|[lo, hi]| lo < hi)
                        .unwrap_or([at[k] - 1.0, at[k] + 1.0])
                })
                .collect();
            SliceKind::Axes {
                axes: [a, b],
                at,
                ranges,
            }
        }
        _ => {
            let (normal, range) = normal_within(&plane, &data_rows);
            SliceKind::Shifted {
                plane: plane.clone(),
                normal,
                offset: 0.0,
                range,
                domain: default_domain.unwrap_or(placeholder),
            }
        }
    };
    let original = model;
    Ok(Sliced {
        mlp,
        record: PlaneRecord {
            used: Some(Used {
                original,
                plane,
                how,
                inputs: names,
                out,
                note,
                live,
            }),
        },
    })
}

/// [`slice()`] of the model file at `path`, as the command line says.
pub fn load_sliced(path: &Path, args: &PlaneArgs, domain_flag: Option<&str>) -> Result<Sliced> {
    slice(super::load_model(path)?, path, args, domain_flag)
}

/// The names of a plane's coordinates in pictures and arrays.
fn plane_names() -> [String; 2] {
    ["s".into(), "t".into()]
}

fn samples(path: &Path, model: &Mlp, flag: &str) -> Result<Samples> {
    read_samples(path, model.metadata.inputs.as_deref(), model.inputs())
        .with_context(|| flag.to_string())
}

/// Input `name` (a name of the model's, or a 0-based index).
fn input_index(flag: &str, name: &str, names: &[String]) -> Result<usize> {
    if let Some(k) = names.iter().position(|n| n == name) {
        return Ok(k);
    }
    match name.parse::<usize>() {
        Ok(k) if k < names.len() => Ok(k),
        _ => bail!(
            "{flag}: no input '{name}' (the model's inputs: {}, or 0..{})",
            names.join(", "),
            names.len() - 1
        ),
    }
}

/// What an axis slice is: the plane, its axis names, its default domain and the note
/// saying where the other inputs are fixed (models with more than 2 inputs).
type AxisSlice = (Plane, How, [String; 2], Option<Domain>, Option<String>);

/// `--axes` (default: the first two inputs) with `--at`.
fn axes(model: &Mlp, args: &PlaneArgs) -> Result<AxisSlice> {
    let names = model.input_names();
    let n = names.len();
    let (a, b) = match &args.axes {
        Some(spec) => {
            let parts: Vec<&str> = spec.split(',').map(str::trim).collect();
            let [a, b] = parts[..] else {
                bail!("--axes '{spec}': expected two inputs, A,B");
            };
            let (a, b) = (
                input_index("--axes", a, &names)?,
                input_index("--axes", b, &names)?,
            );
            if a == b {
                bail!("--axes '{spec}': input '{}' is named twice", names[a]);
            }
            (a, b)
        }
        None => (0, 1),
    };
    let reference = model.metadata.reference.clone();
    let mut at = reference.clone().unwrap_or_else(|| vec![0.0; n]);
    let mut given = vec![false; n];
    for entry in args
        .at
        .iter()
        .flat_map(|s| s.split(','))
        .filter(|e| !e.trim().is_empty())
    {
        let (name, value) = entry
            .split_once('=')
            .with_context(|| format!("--at '{entry}': expected NAME=VALUE"))?;
        let k = input_index("--at", name.trim(), &names)?;
        let value: f64 = value
            .trim()
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .with_context(|| format!("--at '{entry}': '{}' is not a number", value.trim()))?;
        if k == a || k == b {
            bail!(
                "--at '{entry}': '{}' is an axis of the slice, not a fixed input",
                names[k]
            );
        }
        if given[k] {
            bail!("--at: input '{}' is given twice", names[k]);
        }
        at[k] = value;
        given[k] = true;
    }
    let mut said = None;
    if n > 2 {
        let mut note = format!("note: {} and {} as the axes; ", names[a], names[b]);
        let fixed: Vec<String> = (0..n)
            .filter(|&k| k != a && k != b)
            .map(|k| {
                let source = if given[k] {
                    "--at"
                } else if reference.is_some() {
                    "the model's reference"
                } else {
                    "no reference in the model"
                };
                // Rounded to float32 for the note (the plane file has the exact value).
                format!("{}={} ({source})", names[k], at[k] as f32)
            })
            .collect();
        let _ = write!(note, "fixed: {}", fixed.join(", "));
        said = Some(note);
    }
    let plane = Plane::axes(&at, a, b)?;
    let range = |k: usize| model.metadata.input_range(k);
    let domain = match (range(a), range(b)) {
        (Some(x), Some(y)) => Some(Domain::new(x, y)?),
        _ => None,
    };
    Ok((
        plane,
        How::Axes,
        [names[a].clone(), names[b].clone()],
        domain,
        said,
    ))
}
