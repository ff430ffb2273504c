//! The Faultline model: a small multi-layer perceptron and everything that can be done
//! with it on the CPU without a GPU or a training framework.
//!
//! This crate owns the model file format (safetensors in PyTorch's `nn.Linear` layout,
//! see [`io`]), its validation, the CPU reference evaluator ([`Mlp::forward_f64`],
//! [`Mlp::forward_f32`]), grid sampling ([`GridSpec`]) and the reference grid arrays
//! (field, classes, pairs, decision, see [`arrays`]) that every faster path is tested
//! against. It must not depend on burn, wgpu or anything with a device: it is the
//! obviously-correct ground truth, so keep it simple.

pub mod activation;
pub mod arrays;
pub mod domain;
pub mod eigen;
pub mod engine;
pub mod error;
pub mod grid;
pub mod io;
pub mod layout;
pub mod metadata;
pub mod mlp;
pub mod npy;
pub mod output_file;
pub mod plane;
pub mod random;
pub mod samples;
pub mod slice;
pub mod unique_keys;

pub use activation::{Activation, Slope};
pub use arrays::{Field, PairMask, pair_count, pair_index};
pub use domain::Domain;
pub use engine::{EngineError, GridArrays, GridEngine, GridRequest};
pub use error::ModelError;
pub use grid::GridSpec;
pub use metadata::ModelMetadata;
pub use mlp::{Layer, Mlp};
pub use plane::{How, Plane, PlaneFile};
