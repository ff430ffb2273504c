//! What a grid evaluation brings back to the host.

pub use faultline_model::arrays::{CLASS_MASK, CROSSING, DECISION, JUNCTION};

/// Host copies of a grid's arrays, row-major `[H, W]` (`[H, W, C]` for the field).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GridOutput {
    /// W.
    pub width: usize,
    /// H.
    pub height: usize,
    /// C.
    pub channels: usize,
    /// For one output: the threshold class 1 is above (`Mlp::threshold`).
    pub threshold: f32,
    /// The field, when asked for.
    pub field: Option<Vec<f32>>,
    /// Per cell: class | DECISION | JUNCTION | CROSSING.
    pub flags: Vec<u32>,
    /// The pairs bitmask, when asked for.
    pub pairs: Option<Vec<u64>>,
}

impl GridOutput {
    /// Sizes the arrays for a `width` x `height` grid of `channels` outputs and what
    /// `request` asks for (empty when nothing is read back), keeping allocations that fit.
    pub(crate) fn shape_for(
        &mut self,
        width: usize,
        height: usize,
        channels: usize,
        request: &crate::EvalRequest,
        readback: bool,
    ) {
        fn sized<T: Clone + Default>(v: &mut Option<Vec<T>>, wanted: bool, len: usize) {
            match (wanted, v.as_mut()) {
                (true, Some(values)) => values.resize(len, T::default()),
                (true, None) => *v = Some(vec![T::default(); len]),
                (false, _) => *v = None,
            }
        }
        let cells = width * height;
        (self.width, self.height, self.channels) = (width, height, channels);
        sized(&mut self.field, readback && request.field, cells * channels);
        sized(&mut self.pairs, readback && request.pairs, cells);
        if readback && request.flags {
            self.flags.resize(cells, 0);
        } else {
            self.flags = Vec::new();
        }
    }

    /// The argmax per cell.
    pub fn classes(&self) -> Vec<u32> {
        self.flags.iter().map(|f| f & CLASS_MASK).collect()
    }

    /// 1 where the class changes to the right or upward neighbour.
    pub fn decision(&self) -> Vec<u8> {
        self.flags
            .iter()
            .map(|f| u8::from(f & DECISION != 0))
            .collect()
    }

    /// 1 where three or more classes meet in the 2x2 block.
    pub fn junctions(&self) -> Vec<u8> {
        self.flags
            .iter()
            .map(|f| u8::from(f & JUNCTION != 0))
            .collect()
    }
}
