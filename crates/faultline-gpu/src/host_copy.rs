//! Copies of mapped results into host arrays.
//!
//! A 2048 x 2048 field of 3 outputs is 50 MB: far more than any cache, so it is written
//! with non-temporal stores where the CPU has them (the destination lines are not read
//! first and the copy does not evict the cache). Measured on this project's 2-core
//! AVX-512 VM: 2.0-2.7 ms for 50 MB on two threads against 4.2-5.1 ms for
//! `copy_from_slice`.

/// Copies of at least this many bytes are split over two threads and streamed.
const BULK_BYTES: usize = 1 << 20;

/// `dst.copy_from_slice(src)`, on two threads with non-temporal stores for large copies.
pub(crate) fn copy_bulk<T: bytemuck::Pod + Send + Sync>(dst: &mut [T], src: &[T]) {
    let dst: &mut [u8] = bytemuck::cast_slice_mut(dst);
    let src: &[u8] = bytemuck::cast_slice(src);
    assert_eq!(dst.len(), src.len(), "copy_bulk needs slices of one length");
    if src.len() < BULK_BYTES {
        dst.copy_from_slice(src);
        return;
    }
    let half = src.len() / 2;
    let (d0, d1) = dst.split_at_mut(half);
    let (s0, s1) = src.split_at(half);
    std::thread::scope(|scope| {
        scope.spawn(|| copy_streaming(d1, s1));
        copy_streaming(d0, s0);
    });
}

/// `dst.copy_from_slice(src)` through non-temporal stores where available.
fn copy_streaming(dst: &mut [u8], src: &[u8]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F.
            unsafe { x86::stream_avx512(dst, src) };
            return;
        }
        if std::arch::is_x86_feature_detected!("avx") {
            // SAFETY: the CPU has AVX.
            unsafe { x86::stream_avx(dst, src) };
            return;
        }
    }
    dst.copy_from_slice(src);
}

/// Widens the fused kernel's flag bytes (shaders/grid_flags_packed.wgsl) into the u32
/// flags of `faultline_model::arrays`: `dst` is whole rows `width` wide (its length says
/// how many); `src` holds them in groups of `group_rows` rows, each group a run of blocks
/// of 8 columns, each block `group_rows` rows of 8 bytes. Large bands go on two threads.
pub(crate) fn widen_flags(dst: &mut [u32], src: &[u8], width: usize, group_rows: usize) {
    let rows = dst.len() / width;
    assert_eq!(rows * width, dst.len(), "widen_flags takes whole rows");
    assert!(width.is_multiple_of(8) && src.len() >= rows.next_multiple_of(group_rows) * width);
    let groups = rows.div_ceil(group_rows);
    if dst.len() * 4 < BULK_BYTES || groups < 2 {
        widen_rows(dst, src, width, group_rows);
        return;
    }
    let split = groups / 2 * group_rows * width;
    let (d0, d1) = dst.split_at_mut(split);
    let (s0, s1) = src.split_at(split);
    std::thread::scope(|scope| {
        scope.spawn(|| widen_rows(d1, s1, width, group_rows));
        widen_rows(d0, s0, width, group_rows);
    });
}

/// [`widen_flags`] on one thread, `dst` starting at a group's first row.
fn widen_rows(dst: &mut [u32], src: &[u8], width: usize, group_rows: usize) {
    let blocks = width / 8;
    for (r, row) in dst.chunks_exact_mut(width).enumerate() {
        let (group, i) = (r / group_rows, r % group_rows);
        for (block, cells) in row.chunks_exact_mut(8).enumerate() {
            let at = ((group * blocks + block) * group_rows + i) * 8;
            for (cell, &byte) in cells.iter_mut().zip(&src[at..at + 8]) {
                *cell = widen_flag(byte);
            }
        }
    }
}

/// One flag byte as a u32 flags word ([`faultline_model::arrays::widen_flag_byte`]).
#[inline]
fn widen_flag(byte: u8) -> u32 {
    faultline_model::arrays::widen_flag_byte(byte)
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::{
        __m256i, __m512i, _mm_sfence, _mm256_loadu_si256, _mm256_stream_si256, _mm512_loadu_si512,
        _mm512_stream_si512,
    };

    /// Copies the head of `dst` up to the first `width`-aligned byte and the tail after
    /// the last whole `width`-byte block; returns (head, blocks) for the caller to stream.
    fn copy_unaligned_ends(dst: &mut [u8], src: &[u8], width: usize) -> (usize, usize) {
        let head = dst.as_ptr().align_offset(width).min(dst.len());
        let blocks = (dst.len() - head) / width;
        let end = head + blocks * width;
        dst[..head].copy_from_slice(&src[..head]);
        dst[end..].copy_from_slice(&src[end..]);
        (head, blocks)
    }

    /// 64-byte non-temporal stores.
    ///
    /// # Safety
    /// The CPU must support AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn stream_avx512(dst: &mut [u8], src: &[u8]) {
        let (head, blocks) = copy_unaligned_ends(dst, src, 64);
        for i in 0..blocks {
            let at = head + 64 * i;
            // SAFETY: block i lies inside both slices (copy_unaligned_ends), dst + at is
            // 64-byte aligned, and loadu takes any alignment.
            unsafe {
                let v = _mm512_loadu_si512(src.as_ptr().add(at) as *const __m512i);
                _mm512_stream_si512(dst.as_mut_ptr().add(at) as *mut __m512i, v);
            }
        }
        // Order the streamed stores before whatever reads the result next.
        _mm_sfence();
    }

    /// 32-byte non-temporal stores.
    ///
    /// # Safety
    /// The CPU must support AVX.
    #[target_feature(enable = "avx")]
    pub(super) unsafe fn stream_avx(dst: &mut [u8], src: &[u8]) {
        let (head, blocks) = copy_unaligned_ends(dst, src, 32);
        for i in 0..blocks {
            let at = head + 32 * i;
            // SAFETY: as in stream_avx512, with 32-byte blocks.
            unsafe {
                let v = _mm256_loadu_si256(src.as_ptr().add(at) as *const __m256i);
                _mm256_stream_si256(dst.as_mut_ptr().add(at) as *mut __m256i, v);
            }
        }
        _mm_sfence();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_every_length_and_alignment_exactly() {
        let src: Vec<u8> = (0..(3 << 20) + 77).map(|i| (i * 31 % 251) as u8).collect();
        for (start, len) in [(0, src.len()), (5, (1 << 20) + 3), (1, 100), (13, 2 << 20)] {
            let mut dst = vec![0u8; len + 64];
            copy_bulk(&mut dst[start..start + len], &src[..len]);
            assert_eq!(
                &dst[start..start + len],
                &src[..len],
                "start {start} len {len}"
            );
            assert!(
                dst[..start]
                    .iter()
                    .chain(&dst[start + len..])
                    .all(|&b| b == 0)
            );
        }
        // The streaming copy alone, from an odd offset.
        let mut dst = vec![0u8; 5000];
        copy_streaming(&mut dst[3..4003], &src[..4000]);
        assert_eq!(&dst[3..4003], &src[..4000]);
    }

    #[test]
    fn flag_bytes_widen_to_the_model_crates_flags() {
        use faultline_model::arrays::{CROSSING, DECISION, JUNCTION};
        assert_eq!(
            widen_flag(0x20 | 0x40 | 0x80 | 31),
            DECISION | JUNCTION | CROSSING | 31
        );
        assert_eq!(widen_flag(0x40 | 7), JUNCTION | 7);
        // Tiled bytes: group g, block b, row i, cell c holds a byte naming its cell.
        for (width, rows, group_rows) in [(16usize, 3usize, 4usize), (24, 9, 4), (2048, 130, 8)] {
            let blocks: usize = width / 8;
            let mut src = vec![0u8; rows.next_multiple_of(group_rows) * width];
            let mut want = vec![0u32; rows * width];
            for r in 0..rows {
                for c in 0..width {
                    let byte = ((r * 7 + c * 3) % 256) as u8;
                    let at = ((r / group_rows * blocks + c / 8) * group_rows + r % group_rows) * 8;
                    src[at + c % 8] = byte;
                    want[r * width + c] = widen_flag(byte);
                }
            }
            let mut dst = vec![u32::MAX; rows * width];
            widen_flags(&mut dst, &src, width, group_rows);
            assert_eq!(dst, want, "{width} x {rows}, groups of {group_rows}");
        }
    }
}
