//! The Zarr store `map --zarr` writes: its layout (shards, chunks, pyramid levels), the
//! metadata every part writes alike, the arrays, and the pyramid built from level 0.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use zarrs::array::{Array, ArrayBuilder, ArraySubset, data_type};
use zarrs::filesystem::FilesystemStore;

use faultline_model::arrays::CLASS_MASK;
use faultline_model::{GridSpec, Mlp};

/// Samples per side of a shard (one stored object).
const SHARD: u64 = 2048;
/// Samples per side of a chunk inside a shard (the unit a reader decodes).
const CHUNK: u64 = 256;

/// The shard and chunk sides: [`SHARD`] and [`CHUNK`], or `FAULTLINE_ZARR_SHARD` and
/// `FAULTLINE_ZARR_CHUNK` (tests use small ones).
pub(super) fn layout() -> (u64, u64) {
    let var = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .filter(|&v| v >= 2)
            .unwrap_or(default)
    };
    let shard = var("FAULTLINE_ZARR_SHARD", SHARD);
    let chunk = var("FAULTLINE_ZARR_CHUNK", CHUNK).min(shard);
    if shard % chunk != 0 {
        return (shard, shard);
    }
    (shard, chunk)
}

/// Which part of the map a run computes: part `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    /// 1..=count.
    pub index: u64,
    /// How many parts the map is split into.
    pub count: u64,
}

impl Part {
    /// `I/N`, 1 <= I <= N.
    pub fn parse(s: &str) -> Result<Part> {
        let (i, n) = s
            .split_once('/')
            .with_context(|| format!("--part '{s}': give I/N, e.g. 3/8 (the 3rd of 8 parts)"))?;
        let (Ok(index), Ok(count)) = (i.trim().parse::<u64>(), n.trim().parse::<u64>()) else {
            bail!("--part '{s}': I and N must be whole numbers, e.g. 3/8");
        };
        if count == 0 || index == 0 || index > count {
            bail!("--part {s}: I must be from 1 to N and N at least 1");
        }
        Ok(Part { index, count })
    }

    /// The shard rows of `rows` this part computes: the `index`-th of `count` equal runs.
    pub fn rows(&self, rows: u64) -> std::ops::Range<u64> {
        (self.index - 1) * rows / self.count..self.index * rows / self.count
    }
}

/// The sizes of the pyramid's levels, level 0 first, halving until one chunk holds it.
pub fn levels(width: u64, height: u64, chunk: u64) -> Vec<(u64, u64)> {
    let mut sizes = vec![(width, height)];
    while let Some(&(w, h)) = sizes.last() {
        if w.max(h) <= chunk {
            break;
        }
        sizes.push((w.div_ceil(2), h.div_ceil(2)));
    }
    sizes
}

/// A short fingerprint of a model's weights and activations (FNV-1a, 64 bits), so a part
/// refuses a store made for another model.
pub(super) fn fingerprint(mlp: &Mlp) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            hash ^= u64::from(*b);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for layer in mlp.layers() {
        eat(&(layer.inputs as u64).to_le_bytes());
        eat(&(layer.outputs as u64).to_le_bytes());
        for v in layer.weight.iter().chain(&layer.bias) {
            eat(&v.to_bits().to_le_bytes());
        }
        eat(layer.activation.to_string().as_bytes());
    }
    format!("{hash:016x}")
}

/// The store's group metadata: OME-Zarr 0.5 multiscales (axes y, x in the model's input
/// units: row r is y(r), column c is x(c)) and what the store was made for.
pub(super) fn group_metadata(
    mlp: &Mlp,
    grid: &GridSpec,
    sizes: &[(u64, u64)],
    shard: u64,
    chunk: u64,
) -> Value {
    let d = grid.domain;
    let [dx, dy] = grid.step();
    let names = mlp.input_names();
    let datasets: Vec<Value> = (0..sizes.len())
        .map(|k| {
            // A level-k cell covers 2^k x 2^k samples; its centre is theirs.
            let f = (1u64 << k) as f64;
            let centre = (f - 1.0) / 2.0;
            json!({
                "path": k.to_string(),
                "coordinateTransformations": [
                    {"type": "scale", "scale": [dy * f, dx * f]},
                    {"type": "translation", "translation": [d.y[0] + dy * centre, d.x[0] + dx * centre]},
                ]
            })
        })
        .collect();
    json!({
        "zarr_format": 3,
        "node_type": "group",
        "attributes": {
            "ome": {
                "version": "0.5",
                "multiscales": [{
                    "name": "classes",
                    "axes": [
                        {"name": "y", "type": "space", "long_name": names[1]},
                        {"name": "x", "type": "space", "long_name": names[0]},
                    ],
                    "datasets": datasets,
                    "type": "mode of 2x2",
                }]
            },
            "faultline": {
                "model": fingerprint(mlp),
                "architecture": mlp.architecture(),
                "size": [grid.width, grid.height],
                "domain": [d.x[0], d.x[1], d.y[0], d.y[1]],
                "shard": shard,
                "chunk": chunk,
                "classes": mlp.class_names(),
                "inputs": names,
                "flags": "bits 0-15 class, 16 decision boundary, 17 junction, 18 other crossing",
            }
        }
    })
}

/// Writes `value` as `path`, atomically; where a file is there already it must say the
/// same (what every part writes), else the store was made for something else.
pub(super) fn write_or_check(path: &Path, value: &Value, store: &Path) -> Result<()> {
    let text = serde_json::to_string_pretty(value)? + "\n";
    match std::fs::read_to_string(path) {
        Ok(existing) if existing == text => return Ok(()),
        Ok(existing) => {
            let made_for = serde_json::from_str::<Value>(&existing)
                .ok()
                .and_then(|v| v["attributes"]["faultline"].as_object().cloned())
                .map(|f| {
                    format!(
                        " (it holds {} at {})",
                        f.get("architecture").and_then(Value::as_str).unwrap_or("?"),
                        f.get("size").map(Value::to_string).unwrap_or_default()
                    )
                })
                .unwrap_or_default();
            bail!(
                "--zarr {}: the store was made for another model, size or layout{made_for}; remove it or write another",
                store.display()
            );
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => bail!(
            "--zarr {}: cannot read {}: {e}",
            store.display(),
            path.display()
        ),
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| {
            format!(
                "--zarr {}: cannot create {}",
                store.display(),
                dir.display()
            )
        })?;
    }
    faultline_model::io::write_atomically(path, |w| w.write_all(text.as_bytes())).with_context(
        || {
            format!(
                "--zarr {}: cannot write {}",
                store.display(),
                path.display()
            )
        },
    )
}

/// The arrays of the store: level `k` of the classes, or the flags.
pub(super) struct Store {
    /// The store's folder.
    pub(super) root: PathBuf,
    /// zarrs' view of it.
    pub(super) fs: Arc<FilesystemStore>,
    /// Samples per side of a shard.
    pub(super) shard: u64,
    /// Samples per side of a chunk.
    pub(super) chunk: u64,
}

impl Store {
    pub(super) fn builder(&self, (w, h): (u64, u64), flags: bool, classes: usize) -> ArrayBuilder {
        let (shape, grid) = (vec![h, w], vec![self.shard, self.shard]);
        let mut b = if flags {
            ArrayBuilder::new(shape, grid, data_type::uint32(), 0u32)
        } else if classes <= 256 {
            ArrayBuilder::new(shape, grid, data_type::uint8(), 0u8)
        } else {
            ArrayBuilder::new(shape, grid, data_type::uint16(), 0u16)
        };
        b.subchunk_shape(vec![self.chunk, self.chunk]);
        b.bytes_to_bytes_codecs(vec![Arc::new(
            zarrs::array::codec::GzipCodec::new(1).expect("gzip level 1 is valid"),
        )]);
        b.dimension_names(Some(["y", "x"]));
        b
    }

    /// Writes (or checks) the array's metadata and opens it.
    pub(super) fn array(&self, name: &str, b: &ArrayBuilder) -> Result<Array<FilesystemStore>> {
        let metadata = b.build_metadata().map_err(|e| anyhow::anyhow!("{e}"))?;
        write_or_check(
            &self.root.join(name).join("zarr.json"),
            &serde_json::to_value(&metadata)?,
            &self.root,
        )?;
        b.build(self.fs.clone(), &format!("/{name}"))
            .map_err(|e| anyhow::anyhow!("--zarr {}: {e}", self.root.display()))
    }

    /// Inside level 0's folder, where Zarr readers look for nothing but chunks.
    pub(super) fn marker(&self, row: u64) -> PathBuf {
        self.root
            .join("0")
            .join("faultline-rows-done")
            .join(row.to_string())
    }
}

/// How shards are encoded: their chunks one after another, so a shard's bytes do not
/// depend on which thread finished first (the parts' stores are then identical files).
pub(super) fn encoding() -> zarrs::array::CodecOptions {
    zarrs::array::CodecOptions::default().with_concurrent_target(1)
}

/// A block of `rows x cols` samples padded to a whole `shard x shard` with zeros.
pub(super) fn padded<T: Copy + Default>(block: &[T], cols: usize, shard: usize) -> Vec<T> {
    let mut out = vec![T::default(); shard * shard];
    for (r, row) in block.chunks(cols).enumerate() {
        out[r * shard..r * shard + cols].copy_from_slice(row);
    }
    out
}

/// The most frequent of up to four classes (the first seen among equals).
pub(super) fn mode(values: &[u16]) -> u16 {
    let mut best = (0, 0usize);
    for &v in values {
        let n = values.iter().filter(|&&u| u == v).count();
        if n > best.1 {
            best = (v, n);
        }
    }
    best.0
}

/// Stores the classes of `flags` (`cols` wide) as shard `at` of `array`.
pub(super) fn store_classes(
    array: &Array<FilesystemStore>,
    at: &[u64],
    flags: &[u32],
    cols: usize,
    shard: usize,
    classes: usize,
) -> Result<()> {
    let stored = if classes <= 256 {
        let c: Vec<u8> = flags.iter().map(|f| (f & CLASS_MASK) as u8).collect();
        array.store_chunk_opt(at, padded(&c, cols, shard), &encoding())
    } else {
        let c: Vec<u16> = flags.iter().map(|f| (f & CLASS_MASK) as u16).collect();
        array.store_chunk_opt(at, padded(&c, cols, shard), &encoding())
    };
    stored.map_err(|e| anyhow::anyhow!("{e}"))
}

/// Builds levels 1.. from level 0, shard by shard: each cell is the mode of the 2 x 2
/// cells under it (those inside the level below).
pub(super) fn pyramid(
    arrays: &[Array<FilesystemStore>],
    sizes: &[(u64, u64)],
    shard: u64,
    classes: usize,
) -> Result<()> {
    for k in 1..sizes.len() {
        let (bw, bh) = sizes[k - 1];
        let (w, h) = sizes[k];
        for sr in 0..h.div_ceil(shard) {
            for sc in 0..w.div_ceil(shard) {
                let rows = sr * shard..((sr + 1) * shard).min(h);
                let cols = sc * shard..((sc + 1) * shard).min(w);
                let below_rows = rows.start * 2..(rows.end * 2).min(bh);
                let below_cols = cols.start * 2..(cols.end * 2).min(bw);
                let bcols = (below_cols.end - below_cols.start) as usize;
                let subset = ArraySubset::new_with_ranges(&[below_rows.clone(), below_cols]);
                let below: Vec<u16> = if classes <= 256 {
                    let v: Vec<u8> = arrays[k - 1]
                        .retrieve_array_subset(&subset)
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                    v.into_iter().map(u16::from).collect()
                } else {
                    arrays[k - 1]
                        .retrieve_array_subset(&subset)
                        .map_err(|e| anyhow::anyhow!("{e}"))?
                };
                let brows = (below_rows.end - below_rows.start) as usize;
                let (n_rows, n_cols) = (
                    (rows.end - rows.start) as usize,
                    (cols.end - cols.start) as usize,
                );
                let mut cell = Vec::with_capacity(n_rows * n_cols);
                let mut four = Vec::with_capacity(4);
                for r in 0..n_rows {
                    for c in 0..n_cols {
                        four.clear();
                        for (dr, dc) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                            let (br, bc) = (2 * r + dr, 2 * c + dc);
                            if br < brows && bc < bcols {
                                four.push(below[br * bcols + bc]);
                            }
                        }
                        cell.push(mode(&four));
                    }
                }
                let n = shard as usize;
                let stored = if classes <= 256 {
                    let c: Vec<u8> = cell.iter().map(|&v| v as u8).collect();
                    arrays[k].store_chunk_opt(&[sr, sc], padded(&c, n_cols, n), &encoding())
                } else {
                    arrays[k].store_chunk_opt(&[sr, sc], padded(&cell, n_cols, n), &encoding())
                };
                stored.map_err(|e| anyhow::anyhow!("{e}"))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_split_the_shard_rows_into_equal_runs() {
        let runs: Vec<_> = (1..=4)
            .map(|i| Part { index: i, count: 4 }.rows(10))
            .collect();
        assert_eq!(runs, [0..2, 2..5, 5..7, 7..10]);
        assert_eq!(
            Part { index: 3, count: 8 }.rows(2),
            0..0,
            "more parts than rows"
        );
        for bad in ["5/4", "0/0", "0/3", "x/2", "3"] {
            assert!(Part::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Part::parse("2/3").unwrap(), Part { index: 2, count: 3 });
    }

    #[test]
    fn levels_halve_down_to_one_chunk_and_mode_picks_the_majority() {
        assert_eq!(
            levels(1000, 600, 256),
            [(1000, 600), (500, 300), (250, 150)]
        );
        assert_eq!(levels(65536, 65536, 256).len(), 9);
        assert_eq!(mode(&[2, 1, 1, 3]), 1);
        assert_eq!(mode(&[2, 1, 3, 4]), 2, "no majority: the first");
        assert_eq!(mode(&[2, 1, 1, 2]), 2, "a tie: the first seen");
        assert_eq!(mode(&[5]), 5);
    }
}
