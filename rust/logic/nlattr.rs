// SPDX-License-Identifier: GPL-2.0
//! Netlink attributes (`struct nlattr` streams), read without the kernel.
//!
//! Requests reach the control plane as raw attribute bytes; parsing them
//! here, in safe code tested on the host, keeps every length check in one
//! place. Layout: a 4-byte header (length including the header, then the
//! type whose two top bits are flags), the payload, padding to 4 bytes.

/// Type bits of `nla_type` (the rest are the nested/byte-order flags).
const TYPE_MASK: u16 = 0x3fff;
const HEADER: usize = 4;

/// A malformed attribute stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Malformed;

/// The attributes of a stream, by type: `N` types, 1-based as netlink's,
/// so index 0 is unused. A repeated attribute keeps its last value, as
/// the kernel's `nla_parse` does.
pub struct Attrs<'a, const N: usize>([Option<&'a [u8]>; N]);

impl<'a, const N: usize> Attrs<'a, N> {
    /// Splits `bytes` into attributes; types at or above `N` are ignored.
    pub fn parse(mut bytes: &'a [u8]) -> Result<Self, Malformed> {
        let mut attrs = [None; N];
        while bytes.len() >= HEADER {
            let len = usize::from(u16::from_ne_bytes([bytes[0], bytes[1]]));
            let ty = usize::from(u16::from_ne_bytes([bytes[2], bytes[3]]) & TYPE_MASK);
            if len < HEADER || len > bytes.len() {
                return Err(Malformed);
            }
            if ty < N {
                attrs[ty] = Some(&bytes[HEADER..len]);
            }
            let padded = (len + 3) & !3;
            bytes = &bytes[padded.min(bytes.len())..];
        }
        // Trailing bytes shorter than a header are tolerated, as upstream.
        Ok(Self(attrs))
    }

    /// The payload of attribute `ty`, if present.
    pub fn get(&self, ty: u32) -> Option<&'a [u8]> {
        self.0.get(ty as usize).copied().flatten()
    }

    /// Whether attribute `ty` is present.
    pub fn has(&self, ty: u32) -> bool {
        self.get(ty).is_some()
    }

    /// A `u16` attribute; `Err` if present but too short.
    pub fn u16(&self, ty: u32) -> Result<Option<u16>, Malformed> {
        self.fixed::<2>(ty).map(|v| v.map(u16::from_ne_bytes))
    }

    /// A `u32` attribute; `Err` if present but too short.
    pub fn u32(&self, ty: u32) -> Result<Option<u32>, Malformed> {
        self.fixed::<4>(ty).map(|v| v.map(u32::from_ne_bytes))
    }

    /// A big-endian 16-bit attribute (ports travel so).
    pub fn be16(&self, ty: u32) -> Result<Option<u16>, Malformed> {
        self.fixed::<2>(ty).map(|v| v.map(u16::from_be_bytes))
    }

    /// The first `L` bytes of attribute `ty`; `Err` if it is shorter.
    pub fn fixed<const L: usize>(&self, ty: u32) -> Result<Option<[u8; L]>, Malformed> {
        match self.get(ty) {
            None => Ok(None),
            Some(p) if p.len() < L => Err(Malformed),
            Some(p) => {
                let mut out = [0u8; L];
                out.copy_from_slice(&p[..L]);
                Ok(Some(out))
            }
        }
    }

    /// A NUL-terminated string of at most `max` bytes before its NUL
    /// (the kernel's `NLA_NUL_STRING` with a length limit).
    pub fn nul_str(&self, ty: u32, max: usize) -> Result<Option<&'a str>, Malformed> {
        let Some(p) = self.get(ty) else { return Ok(None) };
        let end = p.iter().position(|&c| c == 0).unwrap_or(p.len());
        if end > max {
            return Err(Malformed);
        }
        core::str::from_utf8(&p[..end]).map(Some).map_err(|_| Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn attr(out: &mut Vec<u8>, ty: u16, payload: &[u8]) {
        out.extend_from_slice(&((payload.len() + 4) as u16).to_ne_bytes());
        out.extend_from_slice(&ty.to_ne_bytes());
        out.extend_from_slice(payload);
        while out.len() % 4 != 0 {
            out.push(0);
        }
    }

    #[test]
    fn parses_types_values_and_nesting() {
        let mut inner = Vec::new();
        attr(&mut inner, 1, &2u16.to_ne_bytes());
        attr(&mut inner, 4, &80u16.to_be_bytes());
        attr(&mut inner, 6, b"rr\0");
        let mut outer = Vec::new();
        attr(&mut outer, 1 | 0x8000, &inner);
        attr(&mut outer, 9, b"ignored: type above N");
        let top = Attrs::<4>::parse(&outer).unwrap();
        let svc = Attrs::<12>::parse(top.get(1).unwrap()).unwrap();
        assert_eq!(svc.u16(1), Ok(Some(2)));
        assert_eq!(svc.be16(4), Ok(Some(80)));
        assert_eq!(svc.nul_str(6, 15), Ok(Some("rr")));
        assert_eq!(svc.nul_str(6, 1), Err(Malformed));
        assert_eq!(svc.u32(1), Err(Malformed));
        assert_eq!(svc.u32(7), Ok(None));
    }

    #[test]
    fn rejects_bad_lengths_and_keeps_the_last_duplicate() {
        assert!(Attrs::<4>::parse(&[3, 0, 1, 0]).is_err());
        assert!(Attrs::<4>::parse(&[200, 0, 1, 0, 0, 0, 0, 0]).is_err());
        let mut b = Vec::new();
        attr(&mut b, 2, &1u32.to_ne_bytes());
        attr(&mut b, 2, &7u32.to_ne_bytes());
        assert_eq!(Attrs::<4>::parse(&b).unwrap().u32(2), Ok(Some(7)));
        assert!(Attrs::<4>::parse(&[1, 2]).is_ok());
    }
}
