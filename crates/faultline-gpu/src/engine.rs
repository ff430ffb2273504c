//! [`GridEngine`] for the GPU evaluator: the request mapped onto the kernels (the
//! boundary pass runs only when flags, classes, decision or pairs are asked), the host
//! copies shaped into [`GridArrays`].

use faultline_model::{EngineError, GridArrays, GridEngine, GridRequest, GridSpec};

use crate::{EvalRequest, GpuError, GridEvaluator};

impl From<GpuError> for EngineError {
    fn from(e: GpuError) -> EngineError {
        EngineError::Backend(Box::new(e))
    }
}

impl GridEvaluator {
    /// What the kernels are asked for `request`: flags stand for classes and decision too.
    pub fn kernel_request(request: &GridRequest) -> EvalRequest {
        EvalRequest {
            field: request.field,
            flags: request.needs_flags(),
            pairs: request.pairs,
            max_band_rows: request.max_band_rows,
        }
    }
}

impl GridEngine for GridEvaluator {
    fn describe(&self) -> String {
        let kernel = self.kernel();
        format!(
            "gpu: {}, {} {} kernel",
            self.context().describe_with_path(),
            match kernel.form {
                faultline_shader::Form::Unrolled => "unrolled",
                faultline_shader::Form::Looped => "looped",
            },
            if kernel.packed {
                "packed"
            } else {
                "lane-store"
            },
        )
    }

    fn outputs(&self) -> usize {
        self.kernel().channels
    }

    /// What is read back (the field, flags word and pairs asked), then classes (4 bytes a
    /// point) and decision (1) derived from the flags; the band buffers are bounded and
    /// left to the caller's fixed allowance.
    fn peak_host_bytes(&self, grid: &GridSpec, request: &GridRequest) -> f64 {
        let term = |asked: bool, bytes: usize| if asked { bytes } else { 0 };
        let per_point = term(request.field, 4 * self.kernel().channels)
            + term(request.needs_flags(), 4)
            + term(request.pairs, 8)
            + term(request.classes, 4)
            + term(request.decision, 1);
        grid.points() as f64 * per_point as f64
    }

    fn setup_seconds(&self) -> f64 {
        self.pipeline_seconds
    }

    fn evaluate(
        &self,
        grid: &GridSpec,
        request: &GridRequest,
        progress: &mut dyn FnMut(usize),
    ) -> Result<GridArrays, EngineError> {
        let (out, _) =
            self.evaluate_with_progress(grid, &GridEvaluator::kernel_request(request), progress)?;
        let flags = request.needs_flags().then_some(out.flags);
        Ok(GridArrays::from_parts(
            grid,
            (out.channels, self.threshold),
            request,
            out.field,
            flags,
            out.pairs,
        ))
    }
}
