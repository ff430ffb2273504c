//! The few ONNX protobuf messages an MLP needs (onnx.proto3 field numbers), decoded from
//! the wire with [`crate::protobuf`]. Everything else in a file is skipped.

use crate::protobuf::{Fields, Value, WireError, packed_f32, packed_f64, packed_varints};

/// `ModelProto`.
#[derive(Debug, Default)]
pub struct Model {
    /// `producer_name` (2) and `producer_version` (3).
    pub producer: String,
    /// `graph` (7).
    pub graph: Graph,
    /// `functions` (25): model-local functions, inlined before the walk.
    pub functions: Vec<Function>,
}

/// `FunctionProto`: a model-local function (what `torch.onnx.export`'s dynamo exporter
/// wraps each module in).
#[derive(Debug, Default, Clone)]
pub struct Function {
    /// `name` (1): the op type that calls it.
    pub name: String,
    /// `domain` (10).
    pub domain: String,
    /// `overload` (13).
    pub overload: String,
    /// `input` (4): the formal inputs.
    pub inputs: Vec<String>,
    /// `output` (5): the formal outputs.
    pub outputs: Vec<String>,
    /// `attribute_proto` (11): attributes with their defaults.
    pub attribute_defaults: Vec<Attribute>,
    /// `node` (7).
    pub nodes: Vec<Node>,
}

/// `GraphProto`.
#[derive(Debug, Default)]
pub struct Graph {
    /// `node` (1), in the file's (topological) order.
    pub nodes: Vec<Node>,
    /// `initializer` (5).
    pub initializers: Vec<Tensor>,
    /// `input` (11) names.
    pub inputs: Vec<String>,
    /// `output` (12) names.
    pub outputs: Vec<String>,
}

/// `NodeProto`.
#[derive(Debug, Default, Clone)]
pub struct Node {
    /// `input` (1).
    pub inputs: Vec<String>,
    /// `output` (2).
    pub outputs: Vec<String>,
    /// `name` (3).
    pub name: String,
    /// `op_type` (4).
    pub op: String,
    /// `domain` (7).
    pub domain: String,
    /// `overload` (8): which overload of a model-local function it calls.
    pub overload: String,
    /// `attribute` (5).
    pub attributes: Vec<Attribute>,
}

/// `AttributeProto` (the kinds an MLP's nodes use).
#[derive(Debug, Default, Clone)]
pub struct Attribute {
    /// `name` (1).
    pub name: String,
    /// `ref_attr_name` (21): inside a function, the caller's attribute this one takes.
    pub ref_attr_name: String,
    /// `f` (2).
    pub f: Option<f32>,
    /// `i` (3).
    pub i: Option<i64>,
    /// `s` (4).
    pub s: Option<String>,
    /// `t` (5).
    pub t: Option<Tensor>,
    /// `floats` (7).
    pub floats: Vec<f32>,
    /// `ints` (8).
    pub ints: Vec<i64>,
    /// `strings` (9).
    pub strings: Vec<String>,
}

/// `TensorProto`, its numbers as f64 (floats) or i64 (integers), or strings.
#[derive(Debug, Default, Clone)]
pub struct Tensor {
    /// `name` (8).
    pub name: String,
    /// `dims` (1).
    pub dims: Vec<u64>,
    /// Float data (float, double, float16 converted).
    pub floats: Vec<f64>,
    /// Integer data.
    pub ints: Vec<i64>,
    /// String data.
    pub strings: Vec<String>,
}

impl Tensor {
    /// The number of elements its dims say, refused above `limit`.
    pub fn elements(&self, limit: u64) -> Result<u64, WireError> {
        self.dims
            .iter()
            .try_fold(1u64, |n, &d| n.checked_mul(d))
            .filter(|&n| n <= limit)
            .ok_or_else(|| {
                WireError(format!(
                    "tensor '{}' has shape {:?}, more elements than the file holds",
                    self.name, self.dims
                ))
            })
    }
}

fn string(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Decodes a `ModelProto`.
pub fn model(bytes: &[u8]) -> Result<Model, WireError> {
    let mut m = Model::default();
    let (mut name, mut version) = (String::new(), String::new());
    let mut graphs = 0;
    for field in Fields::new(bytes) {
        match field? {
            (2, Value::Bytes(b)) => name = string(b),
            (3, Value::Bytes(b)) => version = string(b),
            (7, Value::Bytes(b)) => {
                m.graph = graph(b)?;
                graphs += 1;
            }
            (25, Value::Bytes(b)) => m.functions.push(function(b)?),
            _ => {}
        }
    }
    if graphs != 1 {
        return Err(WireError(format!("{graphs} graphs, expected one")));
    }
    m.producer = format!("{name} {version}").trim().to_string();
    Ok(m)
}

fn graph(bytes: &[u8]) -> Result<Graph, WireError> {
    let mut g = Graph::default();
    for field in Fields::new(bytes) {
        match field? {
            (1, Value::Bytes(b)) => g.nodes.push(node(b)?),
            (5, Value::Bytes(b)) => g.initializers.push(tensor(b, bytes.len() as u64)?),
            (11, Value::Bytes(b)) => g.inputs.push(value_info_name(b)?),
            (12, Value::Bytes(b)) => g.outputs.push(value_info_name(b)?),
            _ => {}
        }
    }
    Ok(g)
}

fn function(bytes: &[u8]) -> Result<Function, WireError> {
    let mut f = Function::default();
    for field in Fields::new(bytes) {
        match field? {
            (1, Value::Bytes(b)) => f.name = string(b),
            (4, Value::Bytes(b)) => f.inputs.push(string(b)),
            (5, Value::Bytes(b)) => f.outputs.push(string(b)),
            (7, Value::Bytes(b)) => f.nodes.push(node(b)?),
            (10, Value::Bytes(b)) => f.domain = string(b),
            (11, Value::Bytes(b)) => f.attribute_defaults.push(attribute(b)?),
            (13, Value::Bytes(b)) => f.overload = string(b),
            _ => {}
        }
    }
    Ok(f)
}

fn value_info_name(bytes: &[u8]) -> Result<String, WireError> {
    for field in Fields::new(bytes) {
        if let (1, Value::Bytes(b)) = field? {
            return Ok(string(b));
        }
    }
    Ok(String::new())
}

fn node(bytes: &[u8]) -> Result<Node, WireError> {
    let mut n = Node::default();
    for field in Fields::new(bytes) {
        match field? {
            (1, Value::Bytes(b)) => n.inputs.push(string(b)),
            (2, Value::Bytes(b)) => n.outputs.push(string(b)),
            (3, Value::Bytes(b)) => n.name = string(b),
            (4, Value::Bytes(b)) => n.op = string(b),
            (7, Value::Bytes(b)) => n.domain = string(b),
            (8, Value::Bytes(b)) => n.overload = string(b),
            (5, Value::Bytes(b)) => n.attributes.push(attribute(b)?),
            _ => {}
        }
    }
    Ok(n)
}

fn attribute(bytes: &[u8]) -> Result<Attribute, WireError> {
    let mut a = Attribute::default();
    for field in Fields::new(bytes) {
        match field? {
            (1, Value::Bytes(b)) => a.name = string(b),
            (2, Value::Fixed32(v)) => a.f = Some(f32::from_bits(v)),
            (3, Value::Varint(v)) => a.i = Some(v as i64),
            (4, Value::Bytes(b)) => a.s = Some(string(b)),
            (5, Value::Bytes(b)) => a.t = Some(tensor(b, bytes.len() as u64)?),
            (7, Value::Fixed32(v)) => a.floats.push(f32::from_bits(v)),
            (7, Value::Bytes(b)) => a.floats.extend(packed_f32(b)?),
            (8, Value::Varint(v)) => a.ints.push(v as i64),
            (8, Value::Bytes(b)) => a
                .ints
                .extend(packed_varints(b)?.into_iter().map(|v| v as i64)),
            (9, Value::Bytes(b)) => a.strings.push(string(b)),
            (21, Value::Bytes(b)) => a.ref_attr_name = string(b),
            _ => {}
        }
    }
    Ok(a)
}

/// ONNX element types.
const FLOAT: u64 = 1;
const INT32: u64 = 6;
const INT64: u64 = 7;
const DOUBLE: u64 = 11;
const FLOAT16: u64 = 10;

/// Decodes a `TensorProto`; its elements must be in the file (no external data) and no
/// more than `limit` (the bytes it came from bound what it can hold).
fn tensor(bytes: &[u8], limit: u64) -> Result<Tensor, WireError> {
    let mut t = Tensor::default();
    let (mut data_type, mut raw): (u64, Option<&[u8]>) = (0, None);
    for field in Fields::new(bytes) {
        match field? {
            (1, Value::Varint(v)) => t.dims.push(v),
            (1, Value::Bytes(b)) => t.dims.extend(packed_varints(b)?),
            (2, Value::Varint(v)) => data_type = v,
            (4, Value::Fixed32(v)) => t.floats.push(f64::from(f32::from_bits(v))),
            (4, Value::Bytes(b)) => t.floats.extend(packed_f32(b)?.into_iter().map(f64::from)),
            (5, Value::Varint(v)) | (7, Value::Varint(v)) => t.ints.push(v as i64),
            (5, Value::Bytes(b)) | (7, Value::Bytes(b)) => t
                .ints
                .extend(packed_varints(b)?.into_iter().map(|v| v as i64)),
            (6, Value::Bytes(b)) => t.strings.push(string(b)),
            (8, Value::Bytes(b)) => t.name = string(b),
            (9, Value::Bytes(b)) => raw = Some(b),
            (10, Value::Fixed64(v)) => t.floats.push(f64::from_bits(v)),
            (10, Value::Bytes(b)) => t.floats.extend(packed_f64(b)?),
            (13, _) | (14, Value::Varint(1)) => {
                return Err(WireError(format!(
                    "tensor '{}' keeps its data in an external file; save the model with its weights inside",
                    t.name
                )));
            }
            _ => {}
        }
    }
    let n = t.elements(limit)?;
    if let Some(raw) = raw {
        match data_type {
            FLOAT => t.floats = packed_f32(raw)?.into_iter().map(f64::from).collect(),
            DOUBLE => t.floats = packed_f64(raw)?,
            FLOAT16 => {
                t.floats = raw
                    .chunks_exact(2)
                    .map(|b| f64::from(half_to_f32(u16::from_le_bytes([b[0], b[1]]))))
                    .collect()
            }
            INT64 => {
                t.ints = raw
                    .chunks_exact(8)
                    .map(|b| i64::from_le_bytes(b.try_into().expect("8 bytes")))
                    .collect()
            }
            INT32 => {
                t.ints = raw
                    .chunks_exact(4)
                    .map(|b| i64::from(i32::from_le_bytes(b.try_into().expect("4 bytes"))))
                    .collect()
            }
            other => {
                return Err(WireError(format!(
                    "tensor '{}' has element type {other}, not a number type",
                    t.name
                )));
            }
        }
    }
    let held = (t.floats.len() + t.ints.len() + t.strings.len()) as u64;
    if held != n {
        return Err(WireError(format!(
            "tensor '{}' has shape {:?} ({n} elements) but holds {held}",
            t.name, t.dims
        )));
    }
    Ok(t)
}

/// IEEE half to f32.
fn half_to_f32(h: u16) -> f32 {
    let sign = u32::from(h >> 15) << 31;
    let exp = u32::from((h >> 10) & 0x1f);
    let frac = u32::from(h & 0x3ff);
    let bits = match (exp, frac) {
        (0, 0) => sign,
        (0, f) => {
            // Subnormal: normalise.
            let shift = f.leading_zeros() - 21;
            sign | ((113 - shift) << 23) | ((f << (shift + 1)) & 0x3ff) << 13
        }
        (31, f) => sign | 0x7f80_0000 | f << 13,
        (e, f) => sign | ((e + 112) << 23) | f << 13,
    };
    f32::from_bits(bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_convert() {
        assert_eq!(half_to_f32(0x3c00), 1.0);
        assert_eq!(half_to_f32(0xc000), -2.0);
        assert_eq!(half_to_f32(0x0001), 2f32.powi(-24));
        assert!(half_to_f32(0x7e00).is_nan());
    }
}
