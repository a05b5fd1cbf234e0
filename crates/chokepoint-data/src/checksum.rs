//! sha256 of files and streams.

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::{IoContext, Result};

/// sha256 (lower-case hex) and size in bytes of a file.
pub fn sha256_file(path: &Path) -> Result<(String, u64)> {
    let mut f = std::fs::File::open(path).at(path)?;
    sha256_reader(&mut f).at(path)
}

/// sha256 (lower-case hex) and byte count of everything `r` yields.
pub fn sha256_reader(r: &mut impl Read) -> std::io::Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut n = 0u64;
    loop {
        let k = r.read(&mut buf)?;
        if k == 0 {
            break;
        }
        hasher.update(&buf[..k]);
        n += k as u64;
    }
    Ok((format!("{:x}", hasher.finalize()), n))
}

/// A reader that hashes what passes through it (so a file read anyway is not read twice).
pub struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R) -> Self {
        HashingReader { inner, hasher: Sha256::new(), bytes: 0 }
    }

    /// Read what is left (so the digest is of the whole stream), then the sha256 (hex) and
    /// the byte count.
    pub fn finish(mut self) -> std::io::Result<(String, u64)> {
        std::io::copy(&mut self, &mut std::io::sink())?;
        Ok((format!("{:x}", self.hasher.finalize()), self.bytes))
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// A writer that hashes what passes through it.
pub struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: std::io::Write> HashingWriter<W> {
    pub fn new(inner: W) -> Self {
        HashingWriter { inner, hasher: Sha256::new(), bytes: 0 }
    }

    /// The sha256 (hex), the byte count and the inner writer.
    pub fn finish(self) -> (String, u64, W) {
        (format!("{:x}", self.hasher.finalize()), self.bytes, self.inner)
    }
}

impl<W: std::io::Write> std::io::Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_digest() {
        let (h, n) = super::sha256_reader(&mut &b"abc"[..]).unwrap();
        assert_eq!(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(n, 3);
    }

    #[test]
    fn a_hashing_reader_digests_the_whole_stream() {
        use std::io::Read;
        let mut r = super::HashingReader::new(&b"abcdef"[..]);
        let mut first = [0u8; 3];
        r.read_exact(&mut first).unwrap();
        assert_eq!(&first, b"abc");
        assert_eq!(r.finish().unwrap(), super::sha256_reader(&mut &b"abcdef"[..]).unwrap());
    }
}
