//! Errors of the training crate.

/// What can go wrong reading data or training.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// A data set cannot be used.
    #[error("{0}")]
    Data(String),
    /// The training settings are unusable.
    #[error("{0}")]
    Config(String),
    /// The trained network could not be turned into a model.
    #[error(transparent)]
    Model(#[from] faultline_model::ModelError),
}
