//! Compressed column data and long-value chunks (spec 10.8): the first byte
//! names the scheme (`scheme << 3 | extra`). Decoded here: 7-bit ASCII,
//! 7-bit Unicode, Xpress (the "plain LZ77" coding of [MS-XCA], which the
//! engine calls `DIRECT2`) and LZ4. Xpress9 and Xpress10 are named, not
//! decoded. Output sizes are capped so that a hostile length field cannot
//! make us allocate more than a value can hold.

use super::types::le_u16;
use super::FormatError;

/// The largest value the engine stores (2 GiB − 1); nothing decompresses to more.
pub const MAX_VALUE_LEN: usize = 0x7FFF_FFFF;

/// A compression scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// 0: not compressed.
    None,
    /// 1: 7-bit ASCII.
    SevenBitAscii,
    /// 2: 7-bit Unicode (each 7-bit value is a UTF-16LE code unit).
    SevenBitUnicode,
    /// 3: Xpress (plain LZ77).
    Xpress,
    /// 4: scrubbed data placeholder.
    Scrub,
    /// 5: Xpress9.
    Xpress9,
    /// 6: Xpress10.
    Xpress10,
    /// 7: LZ4.
    Lz4,
    /// Anything else.
    Unknown(u8),
}

impl Scheme {
    /// The scheme of compressed data, from its first byte.
    pub fn of(data: &[u8]) -> Self {
        match data.first().map(|b| b >> 3) {
            None | Some(0) => Self::None,
            Some(1) => Self::SevenBitAscii,
            Some(2) => Self::SevenBitUnicode,
            Some(3) => Self::Xpress,
            Some(4) => Self::Scrub,
            Some(5) => Self::Xpress9,
            Some(6) => Self::Xpress10,
            Some(7) => Self::Lz4,
            Some(other) => Self::Unknown(other),
        }
    }

    /// The scheme's name as the engine's `COMPRESSION_SCHEME` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::SevenBitAscii => "7-bit ASCII",
            Self::SevenBitUnicode => "7-bit Unicode",
            Self::Xpress => "Xpress",
            Self::Scrub => "scrub",
            Self::Xpress9 => "Xpress9",
            Self::Xpress10 => "Xpress10",
            Self::Lz4 => "LZ4",
            Self::Unknown(_) => "unknown",
        }
    }

    fn code(self, data: &[u8]) -> u8 {
        data.first().map_or(0, |b| b >> 3)
    }
}

/// Decompresses `data` (first byte included).
///
/// # Errors
/// [`FormatError::Decompress`] when the stream is damaged,
/// [`FormatError::UnsupportedCompression`] for Xpress9/10, scrubbed and unknown schemes.
pub fn decompress(data: &[u8]) -> Result<Vec<u8>, FormatError> {
    let scheme = Scheme::of(data);
    let body = data.get(1..).unwrap_or_default();
    match scheme {
        Scheme::None => Ok(body.to_vec()),
        Scheme::SevenBitAscii => Ok(seven_bit(data)),
        Scheme::SevenBitUnicode => Ok(seven_bit(data).into_iter().flat_map(|c| [c, 0]).collect()),
        Scheme::Xpress => {
            let size = le_u16(data, 1).ok_or(FormatError::Decompress {
                scheme: "Xpress",
                reason: "no size field",
                offset: 1,
            })?;
            plain_lz77(data.get(3..).unwrap_or_default(), usize::from(size))
        }
        Scheme::Lz4 => {
            let size = le_u16(data, 1).ok_or(FormatError::Decompress {
                scheme: "LZ4",
                reason: "no size field",
                offset: 1,
            })?;
            let mut out = vec![0; usize::from(size)];
            let len = lz4_flex::block::decompress_into(data.get(3..).unwrap_or_default(), &mut out)
                .map_err(|_| FormatError::Decompress { scheme: "LZ4", reason: "damaged block", offset: 3 })?;
            out.truncate(len);
            Ok(out)
        }
        other => Err(FormatError::UnsupportedCompression { scheme: other.code(data), name: other.name() }),
    }
}

/// The 7-bit schemes: byte 0's low 3 bits are the bits used in the last
/// byte minus one; then a little-endian stream of 7-bit characters.
fn seven_bit(data: &[u8]) -> Vec<u8> {
    let Some((&first, stream)) = data.split_first() else { return Vec::new() };
    let used_last = usize::from(first & 7) + 1;
    let bits = match stream.len() {
        0 => 0,
        n => (n - 1) * 8 + used_last,
    };
    let count = bits / 7;
    let mut out = Vec::with_capacity(count);
    let (mut acc, mut have, mut bytes) = (0u32, 0u32, stream.iter());
    while out.len() < count {
        while have < 7 {
            let Some(&b) = bytes.next() else { return out };
            acc |= u32::from(b) << have;
            have += 8;
        }
        out.push((acc & 0x7F) as u8);
        acc >>= 7;
        have -= 7;
    }
    out
}

/// [MS-XCA] 2.4 plain LZ77 decompression, stopping at `size` bytes out.
fn plain_lz77(input: &[u8], size: usize) -> Result<Vec<u8>, FormatError> {
    let err = |reason, offset| FormatError::Decompress { scheme: "Xpress", reason, offset };
    let mut out: Vec<u8> = Vec::with_capacity(size);
    let (mut at, mut flags, mut flag_count, mut half_byte) = (0usize, 0u32, 0u32, None::<usize>);
    let byte = |i: usize| input.get(i).copied().ok_or(err("stream ends inside a match", i));
    while out.len() < size {
        if flag_count == 0 {
            let Some(b) = input.get(at..at + 4).and_then(|b| <[u8; 4]>::try_from(b).ok()) else { break };
            flags = u32::from_le_bytes(b);
            at += 4;
            flag_count = 32;
        }
        flag_count -= 1;
        if flags & (1 << flag_count) == 0 {
            let Some(&literal) = input.get(at) else { break };
            out.push(literal);
            at += 1;
            continue;
        }
        let Some(pair) = le_u16(input, at) else { break };
        at += 2;
        let offset = usize::from(pair / 8) + 1;
        let mut length = usize::from(pair % 8);
        if length == 7 {
            length = match half_byte.take() {
                None => {
                    half_byte = Some(at);
                    at += 1;
                    usize::from(byte(at - 1)? % 16)
                }
                Some(i) => usize::from(byte(i)? / 16),
            };
            if length == 15 {
                length = usize::from(byte(at)?);
                at += 1;
                if length == 255 {
                    length = usize::from(le_u16(input, at).ok_or(err("stream ends inside a length", at))?);
                    at += 2;
                    if length == 0 {
                        let b = input
                            .get(at..at + 4)
                            .and_then(|b| <[u8; 4]>::try_from(b).ok())
                            .ok_or(err("stream ends inside a length", at))?;
                        length = u32::from_le_bytes(b) as usize;
                        at += 4;
                    }
                    length = length.checked_sub(15 + 7).ok_or(err("length below its escape", at))?;
                }
                length += 15;
            }
            length += 7;
        }
        length += 3;
        let start = out.len().checked_sub(offset).ok_or(err("match reaches before the output", at))?;
        let length = length.min(size - out.len());
        for i in 0..length {
            let b = *out.get(start + i).ok_or(err("match reaches before the output", at))?;
            out.push(b);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seven_bit_ascii() {
        // "abc" = 0x61 0x62 0x63 as 7-bit: 21 bits; last byte uses 5 bits.
        let bits: u32 = 0x61 | (0x62 << 7) | (0x63 << 14);
        let bytes = bits.to_le_bytes();
        let data = [0x08 | 4, bytes[0], bytes[1], bytes[2]];
        assert_eq!(decompress(&data).unwrap(), b"abc");
        let data = [0x10 | 4, bytes[0], bytes[1], bytes[2]];
        assert_eq!(decompress(&data).unwrap(), b"a\0b\0c\0");
    }

    #[test]
    fn plain_lz77_literals_and_a_match() {
        // "abcabcabc": literals a b c, then a match (offset 3, length 6).
        let flags: u32 = 1 << 28; // 4th item is a match (items read from the top bit down)
        let mut input = flags.to_le_bytes().to_vec();
        input.extend_from_slice(b"abc");
        let pair: u16 = ((3 - 1) << 3) | (6 - 3);
        input.extend_from_slice(&pair.to_le_bytes());
        assert_eq!(plain_lz77(&input, 9).unwrap(), b"abcabcabc");
        let mut data = vec![0x18];
        data.extend_from_slice(&9u16.to_le_bytes());
        data.extend_from_slice(&input);
        assert_eq!(decompress(&data).unwrap(), b"abcabcabc");
    }

    #[test]
    fn damaged_streams_are_errors() {
        // a match before any output
        let mut input = (1u32 << 31).to_le_bytes().to_vec();
        input.extend_from_slice(&0u16.to_le_bytes());
        assert!(plain_lz77(&input, 10).is_err());
        assert!(matches!(
            decompress(&[0x28, 0, 0]),
            Err(FormatError::UnsupportedCompression { scheme: 5, name: "Xpress9" })
        ));
        // arbitrary garbage never panics
        for seed in 0u32..500 {
            let bytes: Vec<u8> = (0..40).map(|i| (seed.wrapping_mul(2654435761) >> (i % 24)) as u8).collect();
            let _ = plain_lz77(&bytes, 200);
            let _ = decompress(&bytes);
        }
    }
}
