//! Training for Faultline: the paper's S1/S2/S3 data sets, CSV data, a small MLP trained
//! with burn (ndarray backend, autodiff, Adam), and export to the model file.
//!
//! This crate owns everything that needs burn, and nothing else does: it hands a plain
//! [`faultline_model::Mlp`] back, with input normalisation folded into the first layer so
//! the exported model takes raw inputs. It must not touch a GPU or a window.

pub mod csv_data;
pub mod dataset;
pub mod error;
pub mod inference;
pub mod network;
pub mod trainer;

pub use dataset::{DEFAULT_MARGIN, Dataset, PaperSet, test_seed};
pub use error::TrainError;
pub use trainer::{TrainConfig, TrainReport, train};
