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

/// A malformed attribute (too short for what is read from it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Malformed;

/// What upstream's attribute policy (`struct nla_policy`) asks of one
/// attribute type, checked as the kernel's lax validation checks it
/// (`validate_nla` without the strict flags IPVS opts out of).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// No rule: a type the policy leaves out.
    Any,
    /// `NLA_U8` to `NLA_U64`: at least this many bytes (a longer one
    /// passes; the kernel only warns).
    Int(usize),
    /// `NLA_NUL_STRING` of at most this many characters: a NUL within
    /// them or right after, nothing longer.
    NulString(usize),
    /// `NLA_BINARY` of at most this many bytes.
    Binary(usize),
    /// `NLA_UNSPEC` with a length: at least this many bytes.
    MinLen(usize),
    /// `NLA_NESTED`: empty, or at least an attribute header.
    Nested,
}

/// Why an attribute fails its policy, as the kernel's errno.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyError {
    /// `EINVAL`: a string without its NUL.
    Invalid,
    /// `ERANGE`: a length out of the policy's range.
    Range,
}

impl Policy {
    fn check(self, p: &[u8]) -> Result<(), PolicyError> {
        let fits = match self {
            Policy::Any => true,
            Policy::Int(min) | Policy::MinLen(min) => p.len() >= min,
            Policy::Binary(max) => p.len() <= max,
            Policy::Nested => p.is_empty() || p.len() >= HEADER,
            Policy::NulString(max) => {
                let searched = if max > 0 { p.len().min(max + 1) } else { p.len() };
                if !p[..searched].contains(&0) {
                    return Err(PolicyError::Invalid);
                }
                let chars = if p.last() == Some(&0) { p.len() - 1 } else { p.len() };
                max == 0 || chars <= max
            }
        };
        if fits { Ok(()) } else { Err(PolicyError::Range) }
    }
}

/// The attributes of a stream, by type: `N` types, 1-based as netlink's,
/// so index 0 is unused. A repeated attribute keeps its last value, as
/// the kernel's `nla_parse` does.
pub struct Attrs<'a, const N: usize>([Option<&'a [u8]>; N]);

impl<'a, const N: usize> Attrs<'a, N> {
    /// Splits `bytes` into attributes and checks each against `policy`
    /// (indexed by type), as the kernel's lax `nla_parse`: types 0 and
    /// at or above `N` are skipped, and bytes that do not form a whole
    /// attribute end the stream without an error.
    pub fn parse(mut bytes: &'a [u8], policy: &[Policy; N]) -> Result<Self, PolicyError> {
        let mut attrs = [None; N];
        while bytes.len() >= HEADER {
            let len = usize::from(u16::from_ne_bytes([bytes[0], bytes[1]]));
            let ty = usize::from(u16::from_ne_bytes([bytes[2], bytes[3]]) & TYPE_MASK);
            if len < HEADER || len > bytes.len() {
                break;
            }
            if ty != 0 && ty < N {
                let payload = &bytes[HEADER..len];
                policy[ty].check(payload)?;
                attrs[ty] = Some(payload);
            }
            let padded = (len + 3) & !3;
            bytes = &bytes[padded.min(bytes.len())..];
        }
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

    /// Attribute `ty` copied into `L` bytes, zero-filled or cut short
    /// (the kernel's `nla_memcpy`).
    pub fn padded<const L: usize>(&self, ty: u32) -> Option<[u8; L]> {
        self.get(ty).map(|p| {
            let mut out = [0u8; L];
            let n = p.len().min(L);
            out[..n].copy_from_slice(&p[..n]);
            out
        })
    }

    /// A string attribute up to its first NUL (a policy of
    /// [`Policy::NulString`] has made sure there is one).
    pub fn nul_str(&self, ty: u32) -> Option<&'a [u8]> {
        self.get(ty).map(|p| &p[..p.iter().position(|&c| c == 0).unwrap_or(p.len())])
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

    const TOP: [Policy; 4] = [Policy::Any, Policy::Nested, Policy::Int(4), Policy::Any];
    const SVC: [Policy; 8] = [
        Policy::Any,
        Policy::Int(2),
        Policy::Binary(16),
        Policy::Any,
        Policy::Int(2),
        Policy::Any,
        Policy::NulString(15),
        Policy::Any,
    ];

    #[test]
    fn parses_types_values_and_nesting() {
        let mut inner = Vec::new();
        attr(&mut inner, 1, &2u16.to_ne_bytes());
        attr(&mut inner, 4, &80u16.to_be_bytes());
        attr(&mut inner, 6, b"rr\0");
        let mut outer = Vec::new();
        attr(&mut outer, 1 | 0x8000, &inner);
        attr(&mut outer, 9, b"ignored: type above N");
        attr(&mut outer, 0, b"ignored: type 0");
        let top = Attrs::<4>::parse(&outer, &TOP).unwrap();
        let svc = Attrs::<8>::parse(top.get(1).unwrap(), &SVC).unwrap();
        assert_eq!(svc.u16(1), Ok(Some(2)));
        assert_eq!(svc.be16(4), Ok(Some(80)));
        assert_eq!(svc.nul_str(6), Some(&b"rr"[..]));
        assert_eq!(svc.u32(1), Err(Malformed));
        assert_eq!(svc.u32(7), Ok(None));
        assert_eq!(svc.padded::<4>(4), Some([0, 80, 0, 0]));
        assert_eq!(svc.padded::<1>(4), Some([0]));
    }

    #[test]
    fn stops_at_a_broken_attribute_and_keeps_the_last_duplicate() {
        let mut b = Vec::new();
        attr(&mut b, 2, &1u32.to_ne_bytes());
        attr(&mut b, 2, &7u32.to_ne_bytes());
        assert_eq!(Attrs::<4>::parse(&b, &TOP).unwrap().get(2), Some(&7u32.to_ne_bytes()[..]));
        // A length below the header or beyond the stream ends it quietly.
        for tail in [&[3u8, 0, 2, 0][..], &[200, 0, 2, 0, 0, 0, 0, 0], &[1, 2]] {
            let mut broken = Vec::new();
            attr(&mut broken, 2, &5u32.to_ne_bytes());
            broken.extend_from_slice(tail);
            assert_eq!(Attrs::<4>::parse(&broken, &TOP).unwrap().u32(2), Ok(Some(5)));
        }
    }

    #[test]
    fn checks_lengths_as_the_kernels_policy() {
        let one = |ty: u16, payload: &[u8]| {
            let mut b = Vec::new();
            attr(&mut b, ty, payload);
            Attrs::<8>::parse(&b, &SVC).map(|_| ())
        };
        // Integers: too short is ERANGE, longer passes.
        assert_eq!(one(1, &[2]), Err(PolicyError::Range));
        assert_eq!(one(1, &[2, 0, 0, 0]), Ok(()));
        // Binary: at most its length.
        assert_eq!(one(2, &[0; 16]), Ok(()));
        assert_eq!(one(2, &[0; 17]), Err(PolicyError::Range));
        assert_eq!(one(2, &[]), Ok(()));
        // NUL strings: a NUL among the first max + 1 bytes (EINVAL
        // without), then at most max characters besides a last NUL.
        assert_eq!(one(6, b"abcdefghijklmno\0"), Ok(()));
        assert_eq!(one(6, b"abcdefghijklmnop\0"), Err(PolicyError::Invalid));
        assert_eq!(one(6, b"rr"), Err(PolicyError::Invalid));
        assert_eq!(one(6, b""), Err(PolicyError::Invalid));
        assert_eq!(one(6, b"rr\0xxxxxxxxxxxxxx"), Err(PolicyError::Range));
        assert_eq!(one(6, b"rr\0xxxxxxxxxxxx\0"), Ok(()));
        // Nested: empty, or room for a header.
        let nested = |payload: &[u8]| {
            let mut b = Vec::new();
            attr(&mut b, 1, payload);
            Attrs::<4>::parse(&b, &TOP).map(|_| ())
        };
        assert_eq!(nested(&[]), Ok(()));
        assert_eq!(nested(&[1, 2, 3]), Err(PolicyError::Range));
        assert_eq!(nested(&[4, 0, 1, 0]), Ok(()));
    }
}
