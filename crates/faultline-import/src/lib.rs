//! Models trained elsewhere, read as they are: ONNX files of dense layers
//! ([`onnx::from_bytes`]) become an [`faultline_model::Mlp`].
//!
//! The protobuf reader is hand-written for the few ONNX messages needed (no `protoc` at
//! build time, no generated code): every length is checked against the bytes left before
//! anything is allocated, and nesting is bounded. No GPU, no burn.

pub mod onnx;
pub mod protobuf;
