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

/// Separator and quote bits of 64 bytes.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
fn classify(w: &[u8; 64]) -> (u64, u64) {
    use std::arch::x86_64::{__m128i, _mm_cmpeq_epi8, _mm_movemask_epi8, _mm_or_si128};
    let splat = |b: u8| -> __m128i { bytemuck::cast([b; 16]) };
    let (comma, lf, cr, quote) = (splat(b','), splat(b'\n'), splat(b'\r'), splat(b'"'));
    let (mut seps, mut quotes) = (0u64, 0u64);
    for k in 0..4 {
        let lane: [u8; 16] = std::array::from_fn(|i| w[16 * k + i]);
        let v: __m128i = bytemuck::cast(lane);
        // SAFETY: these intrinsics only need SSE2, which this function is compiled for (the
        // cfg above; every x86-64 CPU has it). They read and write nothing but their arguments.
        let (s, q) = unsafe {
            let s = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, lf)), _mm_cmpeq_epi8(v, cr));
            (_mm_movemask_epi8(s), _mm_movemask_epi8(_mm_cmpeq_epi8(v, quote)))
        };
        // movemask sets the low 16 bits of an i32: reinterpret, never sign-extend.
        seps |= u64::from(s as u32 & 0xffff) << (16 * k);
        quotes |= u64::from(q as u32 & 0xffff) << (16 * k);
    }
    (seps, quotes)
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
fn classify(w: &[u8; 64]) -> (u64, u64) {
    classify_bytes(w)
}

/// The same bits, a byte at a time (other targets, and the check of the vector code).
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
fn classify_bytes(w: &[u8; 64]) -> (u64, u64) {
    let (mut seps, mut quotes) = (0u64, 0u64);
    for (i, &b) in w.iter().enumerate() {
        seps |= u64::from(b == b',' || b == b'\n' || b == b'\r') << i;
        quotes |= u64::from(b == b'"') << i;
    }
    (seps, quotes)
}

impl Window {
    fn load(&mut self, buf: &[u8], base: usize) {
        let bytes = &buf[base..(base + 64).min(buf.len())];
        let (seps, quotes) = match <&[u8; 64]>::try_from(bytes) {
            Ok(w) => classify(w),
            Err(_) => {
                // The block's last bytes: padded with bytes of no class.
                let mut w = [0u8; 64];
                w[..bytes.len()].copy_from_slice(bytes);
                classify(&w)
            }
        };
        *self = Window { base, seps, quotes };
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
    fn vector_and_bytewise_classes_agree() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for _ in 0..2_000 {
            let mut w = [0u8; 64];
            // Mostly the special bytes, and every byte value now and then (high bytes included:
            // a sign-extending movemask would show there).
            for b in &mut w {
                *b = match rng.random::<u8>() % 6 {
                    0 => b',',
                    1 => b'\n',
                    2 => b'\r',
                    3 => b'"',
                    _ => rng.random::<u8>(),
                };
            }
            assert_eq!(classify(&w), classify_bytes(&w), "{w:?}");
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
