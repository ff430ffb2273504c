//! Data samples from a CSV file (a header row, then one sample per row) matched to a
//! model's inputs: for planes through data (`--through`, `--pca`) and dots on pictures
//! (`--data`).
//!
//! The feature columns are the model's input names when the header has them all, else
//! (a model without names, or names the header has none of) the first `n` numeric
//! columns. The labels, when there are any, are the last column that is not a feature.

use std::path::Path;

use crate::{Domain, ModelError, Plane};

/// Samples read from a CSV file.
#[derive(Debug, Clone)]
pub struct Samples {
    /// The feature columns used, one per model input.
    pub columns: Vec<String>,
    /// Row-major `[rows, columns]` features.
    pub features: Vec<f64>,
    /// The label column's name and one label per row, when the file has one.
    pub labels: Option<(String, Vec<String>)>,
}

impl Samples {
    /// The number of rows.
    pub fn rows(&self) -> usize {
        self.features.len() / self.columns.len().max(1)
    }

    /// Row `i`'s features.
    pub fn row(&self, i: usize) -> &[f64] {
        let n = self.columns.len();
        &self.features[i * n..(i + 1) * n]
    }

    /// The root-mean-square distance of the samples from their mean.
    pub fn spread(&self) -> f64 {
        let (n, rows) = (self.columns.len(), self.rows());
        let mean: Vec<f64> = (0..n)
            .map(|j| (0..rows).map(|i| self.row(i)[j]).sum::<f64>() / rows.max(1) as f64)
            .collect();
        let total: f64 = (0..rows)
            .map(|i| {
                self.row(i)
                    .iter()
                    .zip(&mean)
                    .map(|(x, m)| (x - m).powi(2))
                    .sum::<f64>()
            })
            .sum();
        (total / rows.max(1) as f64).sqrt()
    }

    /// The samples within `near` of `plane` whose projections lie inside `domain`, as
    /// (row, s, t); without a plane (a two-input model) each row's two values are (s, t).
    pub fn near(
        &self,
        plane: Option<&Plane>,
        near: f64,
        domain: &Domain,
    ) -> Vec<(usize, f64, f64)> {
        (0..self.rows())
            .filter_map(|i| {
                let x = self.row(i);
                let (s, t, distance) = match plane {
                    Some(p) => p.project(x),
                    None => (x[0], x[1], 0.0),
                };
                let inside = (domain.x[0]..=domain.x[1]).contains(&s)
                    && (domain.y[0]..=domain.y[1]).contains(&t);
                (distance <= near && inside).then_some((i, s, t))
            })
            .collect()
    }
}

/// Reads `path`'s samples for a model of `n` inputs named `names` (when it names them).
pub fn read_samples(
    path: &Path,
    names: Option<&[String]>,
    n: usize,
) -> Result<Samples, ModelError> {
    let fail = |m: String| ModelError::Plane(m).in_file(path);
    let bytes = crate::io::read_regular_file(path)?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes.as_slice());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| fail(e.to_string()))?
        .iter()
        .map(str::to_string)
        .collect();
    let mut cells: Vec<Vec<String>> = Vec::new();
    for (row, record) in reader.records().enumerate() {
        let record = record.map_err(|e| fail(format!("line {}: {e}", row + 2)))?;
        cells.push(record.iter().map(str::to_string).collect());
    }
    if cells.is_empty() {
        return Err(fail(
            "has no data rows (expected a header row, then one sample per row)".into(),
        ));
    }
    let numeric = |col: usize| {
        cells
            .iter()
            .all(|r| r[col].parse::<f64>().is_ok_and(f64::is_finite))
    };
    let found: Vec<Option<usize>> = names
        .unwrap_or_default()
        .iter()
        .map(|name| header.iter().position(|h| h == name))
        .collect();
    let chosen: Vec<usize> = if !found.is_empty() && found.iter().all(Option::is_some) {
        found.into_iter().flatten().collect()
    } else if found.iter().any(Option::is_some) {
        let missing: Vec<&str> = names
            .unwrap_or_default()
            .iter()
            .zip(&found)
            .filter(|(_, f)| f.is_none())
            .map(|(n, _)| n.as_str())
            .collect();
        return Err(fail(format!(
            "its columns do not match the model's inputs: no column {} (columns: {})",
            missing.join(", "),
            header.join(", ")
        )));
    } else {
        let numbers: Vec<usize> = (0..header.len()).filter(|&c| numeric(c)).collect();
        if numbers.len() < n {
            return Err(fail(format!(
                "its columns do not match the model's inputs: the model takes {n} inputs, the file has {} numeric columns ({})",
                numbers.len(),
                numbers
                    .iter()
                    .map(|&c| header[c].as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        numbers[..n].to_vec()
    };
    let mut features = Vec::with_capacity(cells.len() * n);
    for (row, r) in cells.iter().enumerate() {
        for &c in &chosen {
            let v = r[c]
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| {
                    fail(format!(
                        "line {}, column '{}': '{}' is not a number",
                        row + 2,
                        header[c],
                        r[c]
                    ))
                })?;
            features.push(v);
        }
    }
    let labels = (0..header.len())
        .rev()
        .find(|c| !chosen.contains(c))
        .map(|c| {
            (
                header[c].clone(),
                cells.iter().map(|r| r[c].clone()).collect(),
            )
        });
    Ok(Samples {
        columns: chosen.iter().map(|&c| header[c].clone()).collect(),
        features,
        labels,
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
    fn columns_follow_the_names_else_the_first_numeric_ones() {
        let f = csv("id,b,a,kind\nx,2,1,cat\ny,4,3,dog\n");
        let names = ["a".to_string(), "b".to_string()];
        let s = read_samples(f.path(), Some(&names), 2).unwrap();
        assert_eq!(s.columns, ["a", "b"]);
        assert_eq!(s.features, [1.0, 2.0, 3.0, 4.0]);
        assert_eq!(s.labels.unwrap().1, ["cat", "dog"]);
        let generic = ["X[0]".to_string(), "X[1]".to_string()];
        let s = read_samples(f.path(), Some(&generic), 2).unwrap();
        assert_eq!(s.columns, ["b", "a"]);
        let err = read_samples(f.path(), None, 3).unwrap_err().to_string();
        assert!(err.contains("2 numeric columns"), "{err}");
        let partial = ["a".to_string(), "c".to_string()];
        let err = read_samples(f.path(), Some(&partial), 2)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no column c"), "{err}");
        let err = read_samples(csv("a,b\n").path(), None, 2)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no data rows"), "{err}");
    }
}
