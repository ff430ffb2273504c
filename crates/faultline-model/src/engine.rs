//! The engine contract: what a grid evaluation is asked for ([`GridRequest`]), what it
//! brings back ([`GridArrays`]) and the trait every evaluator implements
//! ([`GridEngine`]), so that commands, the renderer and the viewer are handed an engine
//! and never branch on which one it is.
//!
//! An engine computes exactly what is asked: a request for the field alone runs no
//! boundary pass; classes, decision and flags all come from one flags word per cell
//! (see the bits in [`crate::arrays`]), so asking for several costs one pass.

use crate::arrays::{CLASS_MASK, DECISION, Field, PairMask};
use crate::{GridSpec, ModelError};

/// Which arrays a grid evaluation brings back to the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GridRequest {
    /// The field `[H, W, C]`.
    pub field: bool,
    /// The argmax per cell.
    pub classes: bool,
    /// The pairs bitmask per cell.
    pub pairs: bool,
    /// The decision boundary per cell.
    pub decision: bool,
    /// The flags word per cell (class | DECISION | JUNCTION | CROSSING).
    pub flags: bool,
    /// Evaluate in bands of at most this many rows (tests use it to check tiling).
    pub max_band_rows: Option<usize>,
}

impl GridRequest {
    /// The field alone.
    pub fn field() -> GridRequest {
        GridRequest {
            field: true,
            ..GridRequest::default()
        }
    }

    /// The flags word alone (what a boundary map draws).
    pub fn flags() -> GridRequest {
        GridRequest {
            flags: true,
            ..GridRequest::default()
        }
    }

    /// Whether anything derived from the flags word is asked (classes, decision, flags):
    /// only then does an engine run its boundary marking.
    pub fn needs_flags(&self) -> bool {
        self.classes || self.decision || self.flags
    }

    /// Refuses what no engine can give for `channels` outputs: a pairs array above the
    /// pairs limit ([`crate::arrays::tracks_crossings`]). Every engine calls it before any
    /// work, so the limit and its message are the same everywhere.
    pub fn check(&self, channels: usize) -> Result<(), ModelError> {
        if self.pairs && !crate::arrays::tracks_crossings(channels) {
            return Err(crate::arrays::too_many_pairs(channels));
        }
        Ok(())
    }

    /// The most host memory the native engine holds at once for this request on `grid`
    /// of `channels` outputs, in bytes (the default of [`GridEngine::peak_host_bytes`]).
    /// The terms, per point: the field (`4 C`, kept for pairs too), the flags word (4)
    /// while classes and decision are derived from it, and either the pairs with their
    /// sign masks and classes while they are computed (20) or the pairs (8), classes (4)
    /// and decision (1) once they are.
    pub fn peak_host_bytes(&self, grid: &GridSpec, channels: usize) -> f64 {
        let term = |asked: bool, bytes: usize| if asked { bytes } else { 0 };
        let base = term(self.field || self.pairs, 4 * channels) + term(self.needs_flags(), 4);
        let computing_pairs = term(self.pairs, 20);
        let derived = term(self.pairs, 8) + term(self.classes, 4) + term(self.decision, 1);
        grid.points() as f64 * (base + computing_pairs.max(derived)) as f64
    }

    /// Whether any boundary array is asked (the flags word or pairs).
    pub fn needs_boundaries(&self) -> bool {
        self.needs_flags() || self.pairs
    }
}

/// The arrays of one evaluated grid, row-major (`[H, W]`, the field `[H, W, C]`); each is
/// `Some` exactly when the request asked for it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GridArrays {
    /// W.
    pub width: usize,
    /// H.
    pub height: usize,
    /// C.
    pub channels: usize,
    /// For one output: the threshold class 1 is above (`Mlp::threshold`).
    pub threshold: f32,
    /// The field.
    pub field: Option<Vec<f32>>,
    /// The argmax per cell, the lowest index winning ties.
    pub classes: Option<Vec<u32>>,
    /// The pairs bitmask per cell.
    pub pairs: Option<Vec<PairMask>>,
    /// 1 where the class differs from the right or upper neighbour.
    pub decision: Option<Vec<u8>>,
    /// The flags word per cell.
    pub flags: Option<Vec<u32>>,
}

impl GridArrays {
    /// Shapes what an engine computed into what `request` asked: classes and decision
    /// are derived from `flags` (which must be given when the request needs them), and
    /// arrays that were not asked for are dropped. This is the one place that derives
    /// them, for every engine.
    pub fn from_parts(
        grid: &GridSpec,
        (channels, threshold): (usize, f32),
        request: &GridRequest,
        field: Option<Vec<f32>>,
        flags: Option<Vec<u32>>,
        pairs: Option<Vec<PairMask>>,
    ) -> GridArrays {
        let flags_ref = flags.as_deref().filter(|_| request.needs_flags());
        let classes = flags_ref
            .filter(|_| request.classes)
            .map(|flags| flags.iter().map(|&w| w & CLASS_MASK).collect());
        let decision = flags_ref
            .filter(|_| request.decision)
            .map(|flags| flags.iter().map(|&w| u8::from(w & DECISION != 0)).collect());
        GridArrays {
            width: grid.width,
            height: grid.height,
            channels,
            threshold,
            field: field.filter(|_| request.field),
            classes,
            pairs: pairs.filter(|_| request.pairs),
            decision,
            flags: flags.filter(|_| request.flags),
        }
    }

    /// The field as a [`Field`], when it was asked for.
    pub fn field(&self) -> Option<Field> {
        self.field.as_ref().map(|values| Field {
            width: self.width,
            height: self.height,
            channels: self.channels,
            values: values.clone(),
            threshold: self.threshold,
        })
    }

    /// Takes the field out as a [`Field`], when it was asked for.
    pub fn take_field(&mut self) -> Option<Field> {
        self.field.take().map(|values| Field {
            width: self.width,
            height: self.height,
            channels: self.channels,
            values,
            threshold: self.threshold,
        })
    }

    /// A [`Field`] with this grid's shape and no values (what the `.npy` writers take to
    /// know the shape and dtype of the other arrays).
    pub fn shape(&self) -> Field {
        Field {
            width: self.width,
            height: self.height,
            channels: self.channels,
            values: Vec::new(),
            threshold: self.threshold,
        }
    }
}

/// What can go wrong evaluating a grid, whichever engine runs it.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The model, the grid or the request is unusable.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The engine itself failed (a GPU device, its buffers, its kernels).
    #[error(transparent)]
    Backend(Box<dyn std::error::Error + Send + Sync>),
}

/// A grid evaluator: the native CPU engine and the GPU engine implement it.
pub trait GridEngine: Send + Sync {
    /// One line for reports: which engine, on what (`cpu: native, avx512, 2 threads`,
    /// `gpu: llvmpipe (Vulkan, Cpu), software path`).
    fn describe(&self) -> String;

    /// Outputs per point (C).
    fn outputs(&self) -> usize;

    /// Seconds spent preparing the engine for its model (building kernels), zero where
    /// there is nothing to build.
    fn setup_seconds(&self) -> f64 {
        0.0
    }

    /// The most host memory this engine holds at once evaluating `request` on `grid`, in
    /// bytes: what a command checks against the memory available before it starts
    /// (scripts/memory_check.sh measures it within 10 %).
    fn peak_host_bytes(&self, grid: &GridSpec, request: &GridRequest) -> f64 {
        request.peak_host_bytes(grid, self.outputs())
    }

    /// Evaluates `grid` and returns what `request` asks, calling `progress(rows_done)`
    /// as bands finish.
    fn evaluate(
        &self,
        grid: &GridSpec,
        request: &GridRequest,
        progress: &mut dyn FnMut(usize),
    ) -> Result<GridArrays, EngineError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Domain;
    use crate::arrays::{CROSSING, JUNCTION};

    fn grid() -> GridSpec {
        GridSpec::new(Domain::new([0.0, 1.0], [0.0, 1.0]).unwrap(), 2, 1).unwrap()
    }

    #[test]
    fn classes_and_decision_come_from_the_flags_word() {
        let flags = vec![3 | DECISION | CROSSING, 1 | JUNCTION];
        let request = GridRequest {
            classes: true,
            decision: true,
            ..GridRequest::default()
        };
        let a = GridArrays::from_parts(&grid(), (4, 0.0), &request, None, Some(flags), None);
        assert_eq!(a.classes, Some(vec![3, 1]));
        assert_eq!(a.decision, Some(vec![1, 0]));
        assert_eq!(a.flags, None, "flags were not asked for");
        assert_eq!(a.field, None);
    }

    #[test]
    fn arrays_not_asked_for_are_dropped() {
        let a = GridArrays::from_parts(
            &grid(),
            (1, 0.0),
            &GridRequest::field(),
            Some(vec![0.5, 0.25]),
            Some(vec![0, 0]),
            Some(vec![0, 0]),
        );
        assert_eq!(a.field, Some(vec![0.5, 0.25]));
        assert!(a.flags.is_none() && a.pairs.is_none() && a.classes.is_none());
        assert!(!GridRequest::field().needs_boundaries());
        assert!(GridRequest::flags().needs_flags());
    }
}
