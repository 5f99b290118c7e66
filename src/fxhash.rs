//! rustc's FxHash: a multiply and a rotate per word, for maps whose keys are short and
//! not chosen by a server (or capped where they are). std's SipHash resists flooding,
//! which these maps do not need, and cost ~360 instructions per lookup.

#[derive(Default)]
pub struct FxHasher(u64);

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        // Whole words read as such, the tail byte by byte: copying each chunk into a
        // zeroed word was a memcpy call per 8 bytes (~30 per GET's response headers).
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            self.add(u64::from_le_bytes(word.try_into().unwrap_or_default()));
        }
        let tail = words.remainder();
        if !tail.is_empty() {
            let word = tail
                .iter()
                .rev()
                .fold(0u64, |word, &b| (word << 8) | u64::from(b));
            self.add(word);
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

pub type Fx = std::hash::BuildHasherDefault<FxHasher>;

#[cfg(test)]
mod tests {
    use super::FxHasher;
    use std::hash::Hasher;

    fn hash(bytes: &[u8]) -> u64 {
        let mut h = FxHasher::default();
        h.write(bytes);
        h.finish()
    }

    #[test]
    fn a_tail_hashes_as_its_bytes_in_a_zero_padded_word() {
        // What the byte-by-byte tail must equal: the little-endian word of the bytes,
        // zero-padded, as the whole words are read.
        for len in 0..=24 {
            let bytes: Vec<u8> = (1..=len as u8).collect();
            let mut expected = FxHasher::default();
            for chunk in bytes.chunks(8) {
                let mut word = [0u8; 8];
                word[..chunk.len()].copy_from_slice(chunk);
                expected.add(u64::from_le_bytes(word));
            }
            assert_eq!(hash(&bytes), expected.finish(), "{len} bytes");
        }
        assert_ne!(hash(b"content-type"), hash(b"content-typf"));
    }
}
