//! The largest eigenpairs of a symmetric matrix (for principal components), in float64.
//!
//! Up to [`JACOBI_MAX`] dimensions the cyclic Jacobi method diagonalises the whole matrix
//! (exact to rounding); above it, orthogonal (subspace) iteration on a block of
//! eight vectors converges to the top eigenvectors and a Jacobi solve of the block's
//! Rayleigh quotient separates them.

/// The largest dimension diagonalised whole.
pub const JACOBI_MAX: usize = 160;

/// Vectors iterated together above [`JACOBI_MAX`].
const BLOCK: usize = 8;

/// The `k` largest eigenvalues of the symmetric `n × n` row-major `matrix`, largest first,
/// with their unit eigenvectors.
pub fn top_eigenvectors(matrix: &[f64], n: usize, k: usize) -> (Vec<f64>, Vec<Vec<f64>>) {
    let k = k.min(n);
    if n <= JACOBI_MAX {
        let (values, vectors) = jacobi(matrix, n);
        return take_top(&values, &vectors, n, k);
    }
    let b = BLOCK.max(k).min(n);
    // Start from the coordinate axes of largest diagonal (deterministic).
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| matrix[j * n + j].total_cmp(&matrix[i * n + i]));
    let mut q: Vec<Vec<f64>> = order[..b]
        .iter()
        .enumerate()
        .map(|(c, &i)| {
            (0..n)
                .map(|r| {
                    if r == i {
                        1.0
                    } else {
                        1e-3 * ((r * 7 + c * 13) % 17) as f64
                    }
                })
                .collect()
        })
        .collect();
    orthonormalise(&mut q);
    for _ in 0..2000 {
        let mut next: Vec<Vec<f64>> = q.iter().map(|v| multiply(matrix, n, v)).collect();
        orthonormalise(&mut next);
        let change = (0..k)
            .map(|c| 1.0 - subspace_cosine(&q[..k], &next[c]))
            .fold(0.0, f64::max);
        q = next;
        if change < 1e-15 {
            break;
        }
    }
    // Rayleigh-Ritz: diagonalise Qᵀ A Q.
    let aq: Vec<Vec<f64>> = q.iter().map(|v| multiply(matrix, n, v)).collect();
    let small: Vec<f64> = (0..b)
        .flat_map(|i| (0..b).map(move |j| (i, j)))
        .map(|(i, j)| dot(&q[i], &aq[j]))
        .collect();
    let (values, vectors) = jacobi(&small, b);
    let full: Vec<f64> = (0..n)
        .flat_map(|r| (0..b).map(move |c| (r, c)))
        .map(|(r, c)| (0..b).map(|m| q[m][r] * vectors[m * b + c]).sum())
        .collect();
    let (values, mut vecs) = take_top(&values, &full, n, k);
    vecs.iter_mut().for_each(|v| normalise(v));
    (values, vecs)
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn normalise(v: &mut [f64]) {
    let n = dot(v, v).sqrt();
    if n > 0.0 {
        v.iter_mut().for_each(|x| *x /= n);
    }
}

fn multiply(matrix: &[f64], n: usize, v: &[f64]) -> Vec<f64> {
    matrix.chunks_exact(n).map(|row| dot(row, v)).collect()
}

/// Modified Gram-Schmidt, twice for stability.
fn orthonormalise(q: &mut [Vec<f64>]) {
    for _ in 0..2 {
        for c in 0..q.len() {
            for p in 0..c {
                let d = dot(&q[p], &q[c]);
                let (head, tail) = q.split_at_mut(c);
                tail[0]
                    .iter_mut()
                    .zip(&head[p])
                    .for_each(|(x, y)| *x -= d * y);
            }
            normalise(&mut q[c]);
        }
    }
}

/// The length of `v`'s projection onto the span of the orthonormal `basis`.
fn subspace_cosine(basis: &[Vec<f64>], v: &[f64]) -> f64 {
    basis.iter().map(|b| dot(b, v).powi(2)).sum::<f64>().sqrt()
}

/// The `k` largest of `values` with their eigenvectors (the columns of the row-major
/// `n × m` matrix `vectors`).
fn take_top(values: &[f64], vectors: &[f64], n: usize, k: usize) -> (Vec<f64>, Vec<Vec<f64>>) {
    let m = values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&i, &j| values[j].total_cmp(&values[i]));
    let top = &order[..k.min(m)];
    (
        top.iter().map(|&c| values[c]).collect(),
        top.iter()
            .map(|&c| (0..n).map(|r| vectors[r * m + c]).collect())
            .collect(),
    )
}

/// Cyclic Jacobi: the eigenvalues of a symmetric matrix and its eigenvectors as the
/// columns of a row-major matrix.
fn jacobi(matrix: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut a = matrix.to_vec();
    let mut v: Vec<f64> = (0..n * n)
        .map(|i| f64::from(u8::from(i / n == i % n)))
        .collect();
    let scale: f64 = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i * n + j].powi(2))
            .sum::<f64>()
            .sqrt();
        if off <= 1e-15 * scale || scale == 0.0 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[p * n + q];
                if apq == 0.0 {
                    continue;
                }
                let theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (akp, akq) = (a[k * n + p], a[k * n + q]);
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[p * n + k], a[q * n + k]);
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..n).map(|i| a[i * n + i]).collect(), v)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A symmetric matrix with known eigenpairs: Q diag(values) Qᵀ for a rotation Q.
    fn known(n: usize) -> (Vec<f64>, Vec<f64>, Vec<Vec<f64>>) {
        let values: Vec<f64> = (0..n).map(|i| 1.0 / (1.0 + i as f64)).collect();
        let mut q: Vec<Vec<f64>> = (0..n)
            .map(|c| {
                (0..n)
                    .map(|r| {
                        let mut z = (r * n + c) as u64 + 0x9e37_79b9_7f4a_7c15;
                        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                        (z >> 11) as f64 / (1u64 << 53) as f64 - 0.5
                    })
                    .collect()
            })
            .collect();
        orthonormalise(&mut q);
        let m = (0..n * n)
            .map(|idx| {
                let (r, c) = (idx / n, idx % n);
                (0..n).map(|k| q[k][r] * values[k] * q[k][c]).sum()
            })
            .collect();
        (m, values, q)
    }

    #[test]
    fn both_methods_find_the_top_pairs() {
        for n in [5, 40, JACOBI_MAX + 20] {
            let (m, values, q) = known(n);
            let (got, vectors) = top_eigenvectors(&m, n, 3);
            for k in 0..3 {
                assert!((got[k] - values[k]).abs() < 1e-10, "n {n}: {got:?}");
                let cos = dot(&vectors[k], &q[k]).abs();
                assert!(1.0 - cos < 1e-9, "n {n} vector {k}: cos {cos}");
            }
        }
    }
}
