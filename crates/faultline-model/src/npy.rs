//! Writing the grid arrays as numpy `.npy` files (through `ndarray-npy`), atomically.

use ndarray::{Array2, Array3};
use ndarray_npy::{WritableElement, WriteNpyExt};

use crate::ModelError;
use crate::arrays::{Field, MAX_PAIRS, PairMask, pair_count};
use crate::output_file::OutputFile;

/// The numpy dtype name a classes array of `classes` outputs is written with.
pub fn classes_dtype(classes: usize) -> &'static str {
    if classes > 255 { "uint16" } else { "uint8" }
}

/// The numpy dtype name a pairs array of `classes` outputs is written with: the smallest
/// unsigned type with `C (C - 1) / 2` bits.
pub fn pairs_dtype(classes: usize) -> Result<&'static str, ModelError> {
    match pair_count(classes) {
        0..=8 => Ok("uint8"),
        9..=16 => Ok("uint16"),
        17..=32 => Ok("uint32"),
        33..=MAX_PAIRS => Ok("uint64"),
        _ => Err(crate::arrays::too_many_pairs(classes)),
    }
}

/// Writes an `[H, W]` or `[H, W, C]` array into `out` and renames it into place.
fn write_array<A: WritableElement>(
    out: OutputFile,
    shape: &[usize],
    data: Vec<A>,
) -> Result<(), ModelError> {
    out.write(|w| {
        let result = match *shape {
            [h, w_, c] => Array3::from_shape_vec((h, w_, c), data)
                .expect("shape matches data")
                .write_npy(w),
            [h, w_] => Array2::from_shape_vec((h, w_), data)
                .expect("shape matches data")
                .write_npy(w),
            _ => unreachable!("arrays are 2-D or 3-D"),
        };
        result.map_err(std::io::Error::other)
    })
}

/// Writes the field, `float32 [H, W, C]` (taking its values: no copy is made).
pub fn write_field(out: OutputFile, field: Field) -> Result<(), ModelError> {
    let shape = [field.height, field.width, field.channels];
    write_array(out, &shape, field.values)
}

/// Writes the classes, `uint8 [H, W]` (`uint16` if C > 255).
pub fn write_classes(out: OutputFile, field: &Field, classes: &[u32]) -> Result<(), ModelError> {
    let shape = [field.height, field.width];
    if field.channels > 255 {
        write_array(out, &shape, classes.iter().map(|&k| k as u16).collect())
    } else {
        write_array(out, &shape, classes.iter().map(|&k| k as u8).collect())
    }
}

/// Writes the pairs bitmask in the smallest unsigned type that holds `C (C - 1) / 2` bits
/// (taking the masks: the `uint64` case makes no copy).
pub fn write_pairs(out: OutputFile, field: &Field, pairs: Vec<PairMask>) -> Result<(), ModelError> {
    let shape = [field.height, field.width];
    match pairs_dtype(field.channels)? {
        "uint8" => write_array(out, &shape, pairs.iter().map(|&p| p as u8).collect()),
        "uint16" => write_array(out, &shape, pairs.iter().map(|&p| p as u16).collect()),
        "uint32" => write_array(out, &shape, pairs.iter().map(|&p| p as u32).collect()),
        _ => write_array(out, &shape, pairs),
    }
}

/// Writes the decision boundary, `uint8 [H, W]`.
pub fn write_decision(out: OutputFile, field: &Field, decision: Vec<u8>) -> Result<(), ModelError> {
    write_array(out, &[field.height, field.width], decision)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dtypes_follow_the_pair_count() {
        assert_eq!(pairs_dtype(2).unwrap(), "uint8");
        assert_eq!(pairs_dtype(4).unwrap(), "uint8"); // 6 pairs
        assert_eq!(pairs_dtype(5).unwrap(), "uint16"); // 10 pairs
        assert_eq!(pairs_dtype(8).unwrap(), "uint32"); // 28 pairs
        assert_eq!(pairs_dtype(11).unwrap(), "uint64"); // 55 pairs
        assert!(pairs_dtype(12).is_err()); // 66 pairs
        assert_eq!(classes_dtype(255), "uint8");
        assert_eq!(classes_dtype(256), "uint16");
    }

    #[test]
    fn writes_a_loadable_npy_header() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.npy");
        let field = Field {
            width: 3,
            height: 2,
            channels: 1,
            values: vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0],
            threshold: 0.0,
        };
        write_field(OutputFile::create(&path).unwrap(), field).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[..6], b"\x93NUMPY");
        let header = String::from_utf8_lossy(&bytes[10..]);
        assert!(header.contains("'descr': '<f4'"), "{header}");
        assert!(header.contains("'shape': (2, 3, 1)"), "{header}");
        assert_eq!(&bytes[bytes.len() - 4..], 5.0f32.to_le_bytes());
        let missing = dir.path().join("nope").join("f.npy");
        assert!(OutputFile::create(&missing).is_err());
        assert!(!missing.exists());
    }
}
