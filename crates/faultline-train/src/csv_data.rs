//! Labelled data from a CSV file: a header row, numeric feature columns and a label column.

use std::collections::BTreeSet;
use std::path::Path;

use crate::{Dataset, TrainError};
use faultline_model::Domain;

/// Reads `path`. `label` names the label column; `None` takes the last column. Labels may
/// be strings or integers; classes are their distinct values, sorted (numerically when
/// every label is an integer).
pub fn read_csv(path: &Path, label: Option<&str>) -> Result<Dataset, TrainError> {
    let data = |m: String| TrainError::Data(format!("{}: {m}", path.display()));
    if path.as_os_str().is_empty() {
        return Err(TrainError::Data(
            "no CSV file named: give its path, e.g. csv:data.csv".into(),
        ));
    }
    if path.is_dir() {
        return Err(data("is a directory, expected a CSV file".into()));
    }
    let bytes = faultline_model::io::read_regular_file(path)
        .map_err(|e| TrainError::Data(e.to_string()))?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes.as_slice());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| data(e.to_string()))?
        .iter()
        .map(str::to_string)
        .collect();
    if header.is_empty() || header.iter().all(String::is_empty) {
        return Err(data(
            "the file is empty (expected a header row and data rows)".into(),
        ));
    }
    let label_col = match label {
        Some(name) => header.iter().position(|h| h == name).ok_or_else(|| {
            data(format!(
                "no label column '{name}' (columns: {})",
                header.join(", ")
            ))
        })?,
        None => header.len() - 1,
    };
    if header.len() < 2 {
        return Err(data(format!(
            "needs at least one feature column beside the label column '{}'",
            header[label_col]
        )));
    }
    let inputs: Vec<String> = header
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != label_col)
        .map(|(_, h)| h.clone())
        .collect();

    let mut features = Vec::new();
    let mut raw_labels = Vec::new();
    for (row, record) in reader.records().enumerate() {
        let line = row + 2;
        let record = record.map_err(|e| data(format!("line {line}: {e}")))?;
        for (col, field) in record.iter().enumerate() {
            if col == label_col {
                if field.is_empty() {
                    return Err(data(format!("line {line}: empty label")));
                }
                raw_labels.push(field.to_string());
                continue;
            }
            let v: f32 = field.parse().map_err(|_| {
                data(format!(
                    "line {line}, column '{}': '{field}' is not a number",
                    header[col]
                ))
            })?;
            if !v.is_finite() {
                return Err(data(format!(
                    "line {line}, column '{}': '{field}' is not finite",
                    header[col]
                )));
            }
            features.push(v);
        }
    }
    if raw_labels.is_empty() {
        return Err(data("has a header but no data rows".into()));
    }

    let distinct: BTreeSet<&str> = raw_labels.iter().map(String::as_str).collect();
    let mut classes: Vec<String> = distinct.iter().map(|s| s.to_string()).collect();
    if classes.iter().all(|c| c.parse::<i64>().is_ok()) {
        classes.sort_by_key(|c| c.parse::<i64>().expect("checked"));
    }
    if classes.len() < 2 {
        return Err(data(format!(
            "every row has the label '{}'; training needs at least two classes",
            classes[0]
        )));
    }
    let labels = raw_labels
        .iter()
        .map(|l| {
            classes
                .iter()
                .position(|c| c == l)
                .expect("label is a class")
        })
        .collect();

    let domain = if inputs.len() == 2 {
        Some(data_range(&features, &inputs).map_err(data)?)
    } else {
        None
    };
    Ok(Dataset {
        name: format!("csv:{}", path.display()),
        inputs,
        classes,
        features,
        labels,
        domain,
    })
}

/// The bounding box of 2-feature data, widened where a feature is constant (by 1, or a
/// thousandth of the value where that is larger).
fn data_range(features: &[f32], names: &[String]) -> Result<Domain, String> {
    let range = |axis: usize| {
        let values = features.iter().skip(axis).step_by(2).map(|&v| f64::from(v));
        let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
        if lo < hi {
            [lo, hi]
        } else {
            let pad = lo.abs().max(1.0) * 1e-3;
            [lo - pad, hi + pad]
        }
    };
    let (x, y) = (range(0), range(1));
    Domain::new(x, y).map_err(|e| {
        format!(
            "columns '{}' and '{}' span [{}, {}] and [{}, {}], which cannot be a grid's domain ({e})",
            names[0], names[1], x[0], x[1], y[0], y[1]
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn csv(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f
    }

    #[test]
    fn reads_string_and_integer_labels() {
        let f = csv("a,b,kind\n1,2,cat\n3,4,dog\n5,6,cat\n");
        let d = read_csv(f.path(), None).unwrap();
        assert_eq!(d.inputs, ["a", "b"]);
        assert_eq!(d.classes, ["cat", "dog"]);
        assert_eq!(d.labels, [0, 1, 0]);
        assert_eq!(d.features, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(
            d.domain.unwrap(),
            Domain::new([1.0, 5.0], [2.0, 6.0]).unwrap()
        );

        let f = csv("y,x1,x2\n10,0,0\n2,1,1\n10,2,2\n");
        let d = read_csv(f.path(), Some("y")).unwrap();
        assert_eq!(d.classes, ["2", "10"]);
        assert_eq!(d.labels, [1, 0, 1]);
        assert_eq!(d.inputs, ["x1", "x2"]);
    }

    #[test]
    fn rejects_bad_files() {
        let msg = |text: &str, label: Option<&str>| {
            read_csv(csv(text).path(), label).unwrap_err().to_string()
        };
        assert!(msg("", None).contains("empty"));
        assert!(msg("a,b,c\n1,2,x\n", Some("nope")).contains("no label column 'nope'"));
        assert!(msg("a,b,c\n1,zz,x\n2,3,y\n", None).contains("'zz' is not a number"));
        assert!(msg("a,b,c\n1,2,x\n3,4,x\n", None).contains("at least two classes"));
        assert!(msg("a,b,c\n", None).contains("no data rows"));
    }
}
