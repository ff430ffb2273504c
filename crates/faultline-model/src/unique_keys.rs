//! A check that a JSON text names no key twice in any object. `serde_json` (and so the
//! safetensors parser) keeps the last of duplicate keys silently; a model file whose
//! header says two things about one tensor or one metadata key is refused instead.

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// The first key found twice in one object of `json`, if any (`Err` for JSON that does
/// not parse: the caller's own parser reports that).
pub fn duplicate_key(json: &str) -> Result<Option<String>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(json);
    let mut found = None;
    Walk { found: &mut found }.deserialize(&mut de)?;
    Ok(found)
}

/// Visits every value, recording the first duplicate key.
struct Walk<'a> {
    found: &'a mut Option<String>,
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(Walk {
                found: &mut *self.found,
            })?
            .is_some()
        {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut keys = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !keys.insert(key.clone()) && self.found.is_none() {
                *self.found = Some(key);
            }
            map.next_value_seed(Walk {
                found: &mut *self.found,
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_duplicates_at_any_depth() {
        assert_eq!(
            duplicate_key(r#"{"a":1,"b":{"c":[1,{"d":2}]}}"#).unwrap(),
            None
        );
        assert_eq!(
            duplicate_key(r#"{"a":1,"a":2}"#).unwrap().as_deref(),
            Some("a")
        );
        assert_eq!(
            duplicate_key(r#"{"m":{"x":"1","y":"2","x":"3"}}"#)
                .unwrap()
                .as_deref(),
            Some("x")
        );
        assert_eq!(
            duplicate_key(r#"[{"k":1},{"k":2}]"#).unwrap(),
            None,
            "one key in two objects"
        );
        assert!(duplicate_key("{").is_err());
    }
}
