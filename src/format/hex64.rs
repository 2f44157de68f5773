//! 64-bit checksums in JSON as hexadecimal strings (`"0x45fb3a04e2040001"`):
//! JSON numbers above 2^53 lose precision in most tools (jq, JavaScript),
//! and a checksum is read as bits, not as a quantity. The schema
//! (`schema/esescope.schema.json`, `$defs/hex64`) describes the form.

/// Serializes a `u64` as `0x` and sixteen hexadecimal digits.
///
/// # Errors
/// The serializer's.
pub fn serialize<S: serde::Serializer>(value: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{value:#018x}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_checksum_keeps_every_bit() {
        #[derive(serde::Serialize)]
        struct Doc {
            #[serde(serialize_with = "super::serialize")]
            stored: u64,
        }
        let json = serde_json::to_string(&Doc { stored: 5_042_687_996_789_903_945 }).unwrap_or_default();
        assert_eq!(json, r#"{"stored":"0x45fb3a0409c9d249"}"#);
    }
}
