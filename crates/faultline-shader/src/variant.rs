//! The kernel family's variants, typed: for each, the module it lives in, its entry point
//! and its override constants. The GPU crate builds what [`GridKernel::specialise`]
//! hands it and knows no entry-point or override name itself.

use crate::GridKernel;

/// A module of the family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Module {
    /// The model's network kernel ([`GridKernel::source`]).
    Network,
    /// The per-cell boundary pass ([`crate::boundary_source`]).
    Boundary,
    /// The packed boundary pass ([`crate::boundary_packed_source`]).
    BoundaryPacked,
}

/// What a pipeline is specialised for. Every switch of the family is an override
/// constant: llvmpipe runs a masked-off store's lane loop anyway, so a uniform `if` would
/// not save the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Variant {
    /// The network kernel's `main`, writing the field and/or the classes and sign words;
    /// `row_aligned` takes packed kernels' row path (rows a multiple of 8 wide).
    Network {
        /// Writes the field.
        field: bool,
        /// Writes the classes and sign words (for a boundary pass).
        classes: bool,
        /// Packed kernels only: the row path.
        row_aligned: bool,
    },
    /// Packed kernels' fused `main_flags`: flag bytes, and the field when asked.
    FusedFlags {
        /// Writes the field too.
        field: bool,
        /// The row path.
        row_aligned: bool,
    },
    /// The per-cell boundary pass.
    Boundary {
        /// Writes the pairs.
        pairs: bool,
    },
    /// The packed boundary pass (rows a multiple of 8 wide, at most 2 sign words).
    BoundaryPacked {
        /// Writes the pairs.
        pairs: bool,
    },
}

/// How to build one pipeline: the module, the entry point, the override constants.
#[derive(Debug, Clone, PartialEq)]
pub struct Specialisation {
    /// The module.
    pub module: Module,
    /// The entry point.
    pub entry_point: &'static str,
    /// Override constants by name.
    pub constants: Vec<(&'static str, f64)>,
}

fn flag(on: bool) -> f64 {
    f64::from(u8::from(on))
}

impl GridKernel {
    /// The variant as this kernel runs it: lane-store kernels have no row path (and no
    /// fused entry point: `None`), so equal requests share one pipeline.
    pub fn normalise(&self, variant: Variant) -> Option<Variant> {
        match variant {
            Variant::Network {
                field,
                classes,
                row_aligned,
            } => Some(Variant::Network {
                field,
                classes,
                row_aligned: row_aligned && self.packed,
            }),
            Variant::FusedFlags { .. } if !self.packed => None,
            Variant::BoundaryPacked { .. } if !self.packed || self.sign_words > 2 => None,
            other => Some(other),
        }
    }

    /// How to build `variant` of this kernel with workgroups of `workgroup_size`.
    ///
    /// # Panics
    /// If the kernel has no such variant (see [`GridKernel::normalise`]).
    pub fn specialise(&self, variant: Variant, workgroup_size: u32) -> Specialisation {
        let variant = self
            .normalise(variant)
            .expect("a variant this kernel has (normalise first)");
        let mut constants = vec![("WORKGROUP_SIZE", f64::from(workgroup_size))];
        let (module, entry_point) = match variant {
            Variant::Network {
                field,
                classes,
                row_aligned,
            } => {
                constants.push(("WRITE_FIELD", flag(field)));
                constants.push(("WRITE_CLASSES", flag(classes)));
                if self.packed {
                    constants.push(("ROW_ALIGNED", flag(row_aligned)));
                }
                (Module::Network, "main")
            }
            Variant::FusedFlags { field, row_aligned } => {
                constants.push(("WRITE_FIELD", flag(field)));
                constants.push(("WRITE_CLASSES", flag(false)));
                constants.push(("ROW_ALIGNED", flag(row_aligned)));
                (Module::Network, "main_flags")
            }
            Variant::Boundary { pairs } => {
                constants.push(("SIGN_WORDS", self.sign_words as f64));
                constants.push(("WRITE_PAIRS", flag(pairs)));
                (Module::Boundary, "main")
            }
            Variant::BoundaryPacked { pairs } => {
                constants.push(("SIGN_WORDS", self.sign_words as f64));
                constants.push(("WRITE_PAIRS", flag(pairs)));
                (Module::BoundaryPacked, "main")
            }
        };
        Specialisation {
            module,
            entry_point,
            constants,
        }
    }
}
