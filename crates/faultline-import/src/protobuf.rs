//! A bounded protobuf wire-format reader: fields of one message, read lazily.
//!
//! Untrusted input: a length is checked against the bytes that follow before a slice is
//! taken, varints are at most 10 bytes, and groups (deprecated wire types 3 and 4) are
//! refused. Messages are decoded by their callers field by field, so nesting depth is the
//! callers' (a fixed schema, no recursion on the data).

/// A protobuf field's value as it is on the wire.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// Wire type 0.
    Varint(u64),
    /// Wire type 1.
    Fixed64(u64),
    /// Wire type 2: bytes, a string, a sub-message or packed numbers.
    Bytes(&'a [u8]),
    /// Wire type 5.
    Fixed32(u32),
}

/// What is wrong with protobuf bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid protobuf message: {0}")]
pub struct WireError(pub String);

/// The fields of one message, in order.
#[derive(Debug, Clone)]
pub struct Fields<'a> {
    rest: &'a [u8],
}

impl<'a> Fields<'a> {
    /// The fields of the message `bytes`.
    pub fn new(bytes: &'a [u8]) -> Fields<'a> {
        Fields { rest: bytes }
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u32, Value<'a>), WireError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let result = read_field(&mut self.rest);
        if result.is_err() {
            self.rest = &[];
        }
        Some(result)
    }
}

fn read_field<'a>(rest: &mut &'a [u8]) -> Result<(u32, Value<'a>), WireError> {
    let key = varint(rest)?;
    let number = u32::try_from(key >> 3).map_err(|_| WireError("field number too large".into()))?;
    if number == 0 {
        return Err(WireError("field number 0".into()));
    }
    let value = match key & 7 {
        0 => Value::Varint(varint(rest)?),
        1 => Value::Fixed64(u64::from_le_bytes(
            take(rest, 8)?.try_into().expect("8 bytes"),
        )),
        2 => {
            let len = varint(rest)?;
            let len = usize::try_from(len).map_err(|_| WireError("length too large".into()))?;
            Value::Bytes(take(rest, len)?)
        }
        5 => Value::Fixed32(u32::from_le_bytes(
            take(rest, 4)?.try_into().expect("4 bytes"),
        )),
        other => {
            return Err(WireError(format!(
                "wire type {other} (groups are not supported)"
            )));
        }
    };
    Ok((number, value))
}

/// Reads a varint of at most 10 bytes.
pub fn varint(rest: &mut &[u8]) -> Result<u64, WireError> {
    let mut value = 0u64;
    for i in 0..10 {
        let Some((&byte, tail)) = rest.split_first() else {
            return Err(WireError("truncated varint".into()));
        };
        *rest = tail;
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(WireError("varint longer than 10 bytes".into()))
}

fn take<'a>(rest: &mut &'a [u8], len: usize) -> Result<&'a [u8], WireError> {
    if len > rest.len() {
        return Err(WireError(format!(
            "a field claims {len} bytes but only {} follow (truncated file?)",
            rest.len()
        )));
    }
    let (head, tail) = rest.split_at(len);
    *rest = tail;
    Ok(head)
}

/// Packed varints (`repeated int64 [packed]`), at most as many as bytes.
pub fn packed_varints(mut bytes: &[u8]) -> Result<Vec<u64>, WireError> {
    let mut out = Vec::with_capacity(bytes.len().min(1 << 16));
    while !bytes.is_empty() {
        out.push(varint(&mut bytes)?);
    }
    Ok(out)
}

/// Packed little-endian f32s.
pub fn packed_f32(bytes: &[u8]) -> Result<Vec<f32>, WireError> {
    if !bytes.len().is_multiple_of(4) {
        return Err(WireError(format!("{} bytes of float32s", bytes.len())));
    }
    Ok(bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
        .collect())
}

/// Packed little-endian f64s.
pub fn packed_f64(bytes: &[u8]) -> Result<Vec<f64>, WireError> {
    if !bytes.len().is_multiple_of(8) {
        return Err(WireError(format!("{} bytes of float64s", bytes.len())));
    }
    Ok(bytes
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_wire_type_and_refuses_truncation() {
        // field 1 varint 150, field 2 bytes "hi", field 3 fixed32 1.0, field 4 fixed64 7
        let mut m = vec![0x08, 0x96, 0x01, 0x12, 2, b'h', b'i', 0x1d];
        m.extend(1.0f32.to_le_bytes());
        m.push(0x21);
        m.extend(7u64.to_le_bytes());
        let fields: Vec<_> = Fields::new(&m).collect::<Result<_, _>>().unwrap();
        assert_eq!(
            fields,
            [
                (1, Value::Varint(150)),
                (2, Value::Bytes(b"hi")),
                (3, Value::Fixed32(1.0f32.to_bits())),
                (4, Value::Fixed64(7))
            ]
        );
        // A length beyond the end, a varint that never ends, a group.
        for bad in [
            &[0x12, 0xff, 0xff, 0xff, 0xff, 0x0f, 1][..],
            &[
                0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
            ][..],
            &[0x0b][..],
        ] {
            let mut f = Fields::new(bad);
            assert!(f.any(|r| r.is_err()), "{bad:?}");
        }
        assert_eq!(packed_varints(&[1, 0x96, 0x01]).unwrap(), [1, 150]);
        assert!(packed_f32(&[0; 5]).is_err());
    }
}
