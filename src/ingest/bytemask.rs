//! Where a CSV block's separators (`,`, `\n`, `\r`) and quotes are, 64 bytes at a time, as
//! bitmasks: one vector compare per byte class instead of a `memchr3` call per field. Fields of a
//! Console export average a dozen bytes, so a search started per field spent most of its time
//! starting (`memchr3`, the field split and the UTF-8 checks had been a quarter of the CPU).
//!
//! SSE2 is part of every x86-64 CPU, so no detection is needed; the vectors are made from byte
//! arrays by `bytemuck`, so no pointer is read. Other targets use the same loop without vectors.

/// The classes of the 64 bytes from `base`: bit `i` of `seps` is set when byte `base + i` is a
/// separator, of `quotes` when it is a quote.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    base: usize,
    seps: u64,
    quotes: u64,
}

impl Default for Window {
    fn default() -> Window {
        Window { base: usize::MAX, seps: 0, quotes: 0 }
    }
}

/// Bit masks of 64 bytes, one per class a structural scan needs ([`super::structure`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Classes {
    pub commas: u64,
    pub newlines: u64,
    pub returns: u64,
    pub quotes: u64,
    /// Bytes outside ASCII (0x80 and up): a block with none is valid UTF-8 without a check of
    /// its own ([`super::structure::Structure::ascii`]).
    pub high: u64,
}

/// The classes of 64 bytes: four compares of the whole window where the processor has
/// AVX-512 (this machine's EPYC has: at 10M rows the classes took 180 profile samples against
/// 695 with the SSE2 lanes), else SSE2 16 bytes at a time.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
pub fn classes(w: &[u8; 64]) -> Classes {
    if std::arch::is_x86_feature_detected!("avx512bw") {
        // SAFETY: the processor has AVX-512BW (checked just above), all the function needs.
        return unsafe { classes_avx512(w) };
    }
    classes_sse2(w)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512bw")]
fn classes_avx512(w: &[u8; 64]) -> Classes {
    use std::arch::x86_64::{__m512i, _mm512_cmpeq_epi8_mask, _mm512_loadu_si512, _mm512_movepi8_mask, _mm512_set1_epi8};
    // SAFETY: `w` is 64 readable bytes, what an unaligned 512-bit load reads.
    let v = unsafe { _mm512_loadu_si512(w.as_ptr().cast::<__m512i>()) };
    let eq = |b: u8| _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b as i8));
    Classes { commas: eq(b','), newlines: eq(b'\n'), returns: eq(b'\r'), quotes: eq(b'"'), high: _mm512_movepi8_mask(v) }
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
fn classes_sse2(w: &[u8; 64]) -> Classes {
    use std::arch::x86_64::{__m128i, _mm_cmpeq_epi8, _mm_movemask_epi8};
    let splat = |b: u8| -> __m128i { bytemuck::cast([b; 16]) };
    let targets = [splat(b','), splat(b'\n'), splat(b'\r'), splat(b'"')];
    let (mut out, mut high) = ([0u64; 4], 0u64);
    for k in 0..4 {
        let lane: [u8; 16] = std::array::from_fn(|i| w[16 * k + i]);
        let v: __m128i = bytemuck::cast(lane);
        for (o, t) in out.iter_mut().zip(targets) {
            // SAFETY: these intrinsics only need SSE2, which this function is compiled for (the
            // cfg above; every x86-64 CPU has it). They read and write nothing but their arguments.
            let m = unsafe { _mm_movemask_epi8(_mm_cmpeq_epi8(v, t)) };
            *o |= u64::from(m as u32 & 0xffff) << (16 * k);
        }
        // SAFETY: as above (the byte's top bit is the mask's bit).
        let m = unsafe { _mm_movemask_epi8(v) };
        high |= u64::from(m as u32 & 0xffff) << (16 * k);
    }
    Classes { commas: out[0], newlines: out[1], returns: out[2], quotes: out[3], high }
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
pub fn classes(w: &[u8; 64]) -> Classes {
    classes_bytes(w)
}

/// The same masks, a byte at a time.
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
fn classes_bytes(w: &[u8; 64]) -> Classes {
    let bits = |c: u8| w.iter().enumerate().fold(0u64, |m, (i, &b)| m | u64::from(b == c) << i);
    let high = w.iter().enumerate().fold(0u64, |m, (i, &b)| m | u64::from(b >= 0x80) << i);
    Classes { commas: bits(b','), newlines: bits(b'\n'), returns: bits(b'\r'), quotes: bits(b'"'), high }
}

/// The classes of the 64 bytes of `buf` from `base` (past its end: bytes of no class).
pub fn classes_at(buf: &[u8], base: usize) -> Classes {
    let bytes = &buf[base.min(buf.len())..(base + 64).min(buf.len())];
    match <&[u8; 64]>::try_from(bytes) {
        Ok(w) => classes(w),
        Err(_) => {
            let mut w = [0u8; 64];
            w[..bytes.len()].copy_from_slice(bytes);
            classes(&w)
        }
    }
}

impl Window {
    fn load(&mut self, buf: &[u8], base: usize) {
        let c = classes_at(buf, base);
        *self = Window { base, seps: c.commas | c.newlines | c.returns, quotes: c.quotes };
    }

    /// The first offset at or after `p` in `buf` holding a separator (or, with `quote`, a
    /// quote); none up to the end of `buf`. `buf` must be the same block on every call.
    pub fn find(&mut self, buf: &[u8], p: usize, quote: bool) -> Option<usize> {
        let mut base = p & !63;
        if base >= buf.len() {
            return None;
        }
        if base != self.base {
            self.load(buf, base);
        }
        let pick = |w: &Window| if quote { w.quotes } else { w.seps };
        let mut m = pick(self) & (!0u64 << (p - base));
        loop {
            if m != 0 {
                return Some(base + m.trailing_zeros() as usize);
            }
            base += 64;
            if base >= buf.len() {
                return None;
            }
            self.load(buf, base);
            m = pick(self);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vector_and_bytewise_masks_agree() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(8);
        for _ in 0..2_000 {
            let mut w = [0u8; 64];
            for b in &mut w {
                *b = match rng.random::<u8>() % 6 {
                    0 => b',',
                    1 => b'\n',
                    2 => b'\r',
                    3 => b'"',
                    _ => rng.random::<u8>(),
                };
            }
            assert_eq!(classes(&w), classes_bytes(&w), "{w:?}");
            #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
            assert_eq!(classes_sse2(&w), classes_bytes(&w), "{w:?}");
        }
    }

    #[test]
    fn finds_the_next_of_a_class_across_windows_and_at_the_end() {
        let mut buf = vec![b'a'; 200];
        buf[3] = b',';
        buf[70] = b'"';
        buf[130] = b'\n';
        buf[199] = b'\r';
        let mut w = Window::default();
        assert_eq!(w.find(&buf, 0, false), Some(3));
        assert_eq!(w.find(&buf, 4, false), Some(130));
        assert_eq!(w.find(&buf, 0, true), Some(70));
        assert_eq!(w.find(&buf, 71, true), None);
        assert_eq!(w.find(&buf, 131, false), Some(199));
        // Back to an earlier window.
        assert_eq!(w.find(&buf, 2, false), Some(3));
        assert_eq!(w.find(&buf, 200, false), None);
        assert_eq!(Window::default().find(&buf[..199], 131, false), None);
    }
}
