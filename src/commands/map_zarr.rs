//! `map --zarr OUT.zarr [--part I/N] [--pyramid]`: the class map (uint8) and the flag
//! word (uint32) per cell as sharded Zarr v3 arrays in an OME-Zarr 0.5 image group, with a
//! pyramid of mode-downsampled class maps; parts of the map computed by separate
//! processes, anywhere and in any order.
//!
//! The store (`0`, `1`, ... are the pyramid's levels, `flags` is full-resolution only):
//!
//! ```text
//! OUT.zarr/zarr.json            group: attributes "ome" (multiscales) and "faultline"
//! OUT.zarr/0/zarr.json          classes, H x W, shards of SHARD², chunks of CHUNK²
//! OUT.zarr/0/c/R/C              one shard
//! OUT.zarr/1 ...                classes at half the size, by mode of 2 x 2 cells
//! OUT.zarr/flags/zarr.json      flag words, H x W, the same shards
//! OUT.zarr/0/faultline-rows-done/R   a marker: shard row R of level 0 is written
//! ```
//!
//! Every shard is evaluated on its own sub-grid with a one-sample halo around it (a cell's
//! flags depend on its row and column and the next ones), so a shard is the same bytes
//! whichever process computed it and whatever else ran: a part writes only its own shard
//! rows, and the metadata every part writes is the same bytes (written atomically).

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use zarrs::array::Array;
use zarrs::filesystem::FilesystemStore;

use super::zarr_store::{
    Part, Store, encoding, group_metadata, layout, levels, padded, pyramid, store_classes,
    write_or_check,
};
use crate::cli::MapArgs;
use faultline_model::{Domain, GridEngine, GridRequest, GridSpec, Mlp};

/// The flags of grid rows `rows` x columns `cols`, evaluated on a sub-grid with one sample
/// more on every side where the grid has one, so every cell's flags are the whole grid's.
fn block_flags(
    engine: &dyn GridEngine,
    grid: &GridSpec,
    rows: std::ops::Range<usize>,
    cols: std::ops::Range<usize>,
) -> Result<Vec<u32>> {
    let (r0, r1) = (
        rows.start.saturating_sub(1),
        (rows.end + 1).min(grid.height),
    );
    let (c0, c1) = (cols.start.saturating_sub(1), (cols.end + 1).min(grid.width));
    let sub = if r0 == 0 && c0 == 0 && r1 == grid.height && c1 == grid.width {
        *grid
    } else {
        GridSpec::new(
            Domain::new([grid.x(c0), grid.x(c1 - 1)], [grid.y(r0), grid.y(r1 - 1)])?,
            c1 - c0,
            r1 - r0,
        )?
    };
    let flags = engine
        .evaluate(&sub, &GridRequest::flags(), &mut |_| {})?
        .flags
        .unwrap_or_default();
    let w = c1 - c0;
    let mut out = Vec::with_capacity(rows.len() * cols.len());
    for r in rows {
        let start = (r - r0) * w + (cols.start - c0);
        out.extend_from_slice(&flags[start..start + cols.len()]);
    }
    Ok(out)
}

/// `map --zarr`.
pub fn run(args: &MapArgs, path: &Path, model: &Mlp, grid: &GridSpec) -> Result<()> {
    let started = Instant::now();
    let part = args.part.as_deref().map(Part::parse).transpose()?;
    if args.pyramid && part.is_some() {
        bail!("--pyramid builds the upper levels once every part has run; run it without --part");
    }
    let (shard, chunk) = layout();
    let (w, h) = (grid.width as u64, grid.height as u64);
    let sizes = levels(w, h, chunk);
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
        && !parent.is_dir()
    {
        bail!(
            "--zarr {}: folder '{}' does not exist",
            path.display(),
            parent.display()
        );
    }
    std::fs::create_dir_all(path)
        .with_context(|| format!("--zarr {}: cannot create the store", path.display()))?;
    write_or_check(
        &path.join("zarr.json"),
        &group_metadata(model, grid, &sizes, shard, chunk),
        path,
    )?;
    let store = Store {
        root: path.to_path_buf(),
        fs: Arc::new(
            FilesystemStore::new(path)
                .map_err(|e| anyhow::anyhow!("--zarr {}: {e}", path.display()))?,
        ),
        shard,
        chunk,
    };
    let classes = model.class_names().len();
    let level_arrays: Vec<Array<FilesystemStore>> = sizes
        .iter()
        .enumerate()
        .map(|(k, &size)| store.array(&k.to_string(), &store.builder(size, false, classes)))
        .collect::<Result<_>>()?;
    let flags_array = store.array("flags", &store.builder((w, h), true, classes))?;
    let shard_rows = h.div_ceil(shard);
    let shard_cols = w.div_ceil(shard);

    if !args.pyramid {
        let rows = part.map_or(0..shard_rows, |p| p.rows(shard_rows));
        // Parts agree bit for bit when they run one engine: `auto` is the CPU here, on
        // any machine (a GPU's float rounding may differ from the CPU's at exact ties).
        let backend = match args.backend {
            crate::cli::Backend::Auto => crate::cli::Backend::Cpu,
            chosen => chosen,
        };
        let engine = super::backend::engine(backend, model)?;
        let bar = if args.quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::new((rows.end - rows.start) * shard_cols)
        };
        bar.set_style(
            ProgressStyle::with_template("zarr {bar:30} {pos}/{len} shards  {elapsed}")
                .expect("valid template"),
        );
        for sr in rows.clone() {
            for sc in 0..shard_cols {
                let r = (sr * shard) as usize..((sr + 1) * shard).min(h) as usize;
                let c = (sc * shard) as usize..((sc + 1) * shard).min(w) as usize;
                let cols = c.len();
                let flags = block_flags(engine.as_ref(), grid, r, c)?;
                let n = shard as usize;
                store_classes(&level_arrays[0], &[sr, sc], &flags, cols, n, classes)?;
                flags_array
                    .store_chunk_opt(&[sr, sc], padded(&flags, cols, n), &encoding())
                    .map_err(|e| anyhow::anyhow!("--zarr {}: {e}", path.display()))?;
                bar.inc(1);
            }
            write_or_check(&store.marker(sr), &json!({"row": sr}), path)?;
        }
        bar.finish_and_clear();
        let points: u64 = rows.clone().map(|sr| (h - sr * shard).min(shard) * w).sum();
        let seconds = started.elapsed().as_secs_f64();
        let what = match part {
            Some(p) => format!(
                "part {}/{}: shard rows {}..{} of {shard_rows}",
                p.index, p.count, rows.start, rows.end
            ),
            None => format!("all {shard_rows} shard rows"),
        };
        say!(
            "wrote {} ({what}, {}x{} samples in shards of {shard}², evaluated on {} in {seconds:.2} s, {:.1} M points/s)",
            path.display(),
            w,
            h,
            engine.describe(),
            points as f64 / seconds.max(1e-9) / 1e6,
        );
        if part.is_some() {
            return Ok(());
        }
    } else {
        let missing: Vec<u64> = (0..shard_rows)
            .filter(|&r| !store.marker(r).exists())
            .collect();
        if !missing.is_empty() {
            bail!(
                "--pyramid: {} of {shard_rows} shard rows are not written yet (the first: row {}); run every --part first",
                missing.len(),
                missing[0]
            );
        }
    }
    pyramid(&level_arrays, &sizes, shard, classes)
        .with_context(|| format!("--zarr {}: the pyramid", path.display()))?;
    say!(
        "pyramid: {} levels ({}) in {:.2} s",
        sizes.len(),
        sizes
            .iter()
            .map(|(w, h)| format!("{w}x{h}"))
            .collect::<Vec<_>>()
            .join(", "),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
