//! The rectangle of the input plane a grid covers.

use crate::ModelError;

/// An input-plane rectangle `[x0, x1] x [y0, y1]`, with `x0 < x1` and `y0 < y1`, all finite.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Domain {
    /// `[x0, x1]`.
    pub x: [f64; 2],
    /// `[y0, y1]`.
    pub y: [f64; 2],
}

impl Domain {
    /// Checks the bounds and builds the domain.
    pub fn new(x: [f64; 2], y: [f64; 2]) -> Result<Self, ModelError> {
        for (axis, [lo, hi]) in [("x", x), ("y", y)] {
            if !lo.is_finite() || !hi.is_finite() {
                return Err(ModelError::Grid(format!(
                    "domain {axis} bounds must be finite, got [{lo}, {hi}]"
                )));
            }
            if lo >= hi {
                return Err(ModelError::Grid(format!(
                    "domain {axis} bounds must increase ({axis}0 < {axis}1), got [{lo}, {hi}]"
                )));
            }
            // Every engine evaluates in float32: the bounds must be float32 numbers, and
            // distinct ones.
            let max = f64::from(f32::MAX);
            if lo.abs() > max || hi.abs() > max {
                return Err(ModelError::Grid(format!(
                    "domain {axis} bounds [{lo:e}, {hi:e}] are beyond float32 (|v| <= {:e}), the precision grids are evaluated in",
                    f32::MAX
                )));
            }
            if lo as f32 >= hi as f32 {
                return Err(ModelError::Grid(format!(
                    "domain {axis} bounds [{lo}, {hi}] are the same number in float32, the precision grids are evaluated in"
                )));
            }
        }
        Ok(Domain { x, y })
    }

    /// Parses `x0,x1,y0,y1` as the CLI's `--domain` flag takes it.
    pub fn parse_flag(s: &str) -> Result<Self, ModelError> {
        let parts: Vec<&str> = s.split(',').map(str::trim).collect();
        if parts.len() != 4 {
            return Err(ModelError::Grid(format!(
                "domain '{s}' must be four numbers x0,x1,y0,y1"
            )));
        }
        let mut v = [0.0; 4];
        for (slot, part) in v.iter_mut().zip(&parts) {
            *slot = part
                .parse::<f64>()
                .map_err(|_| ModelError::Grid(format!("domain '{s}': '{part}' is not a number")))?;
        }
        Domain::new([v[0], v[1]], [v[2], v[3]])
    }

    /// Parses the model file's JSON form `[[x0, x1], [y0, y1]]`.
    pub fn from_json(s: &str) -> Result<Self, ModelError> {
        let parsed: [[f64; 2]; 2] = serde_json::from_str(s).map_err(|e| {
            ModelError::Metadata(format!(
                "'domain' must be JSON [[x0, x1], [y0, y1]], got '{s}' ({e})"
            ))
        })?;
        Domain::new(parsed[0], parsed[1])
            .map_err(|e| ModelError::Metadata(format!("'domain': {e}")))
    }

    /// The JSON form `[[x0, x1], [y0, y1]]` written to the model file.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&[self.x, self.y]).expect("finite numbers always serialise")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let d = Domain::parse_flag("0,255, -1 ,1").unwrap();
        assert_eq!(
            d,
            Domain {
                x: [0.0, 255.0],
                y: [-1.0, 1.0]
            }
        );
        assert_eq!(Domain::from_json(&d.to_json()).unwrap(), d);
        for bad in [
            "0,1,2",
            "0,0,0,1",
            "1,0,0,1",
            "0,1,nan,1",
            "0,1,0,inf",
            "a,1,0,1",
            "1e39,1e40,0,1",
            "-1e308,1e308,-1e308,1e308",
            "0,1,1,1.00000001",
        ] {
            assert!(Domain::parse_flag(bad).is_err(), "{bad}");
        }
        for bad in ["[[0,1]]", "[[1,0],[0,1]]", "{}", "[[0,1],[0,\"x\"]]"] {
            assert!(Domain::from_json(bad).is_err(), "{bad}");
        }
    }
}
