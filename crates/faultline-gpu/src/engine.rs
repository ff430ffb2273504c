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
            out.channels,
            request,
            out.field,
            flags,
            out.pairs,
        ))
    }
}
