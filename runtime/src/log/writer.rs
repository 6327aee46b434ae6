//! The writer thread's end of the log queue: standard output, in batches,
//! with the lines a failed write lost counted.

use std::sync::atomic::{AtomicU64, Ordering};

/// Lines whose write to standard output failed.
pub(super) static WRITE_FAILED: AtomicU64 = AtomicU64::new(0);

/// The writer thread's end of the queue: standard output, one `write` for
/// all the lines the queue held, and never an error back to the thread (a
/// failed write counts the lines it lost into `write_failed` and the next
/// batch tries again). Hand-written instead of a `std::io::BufWriter`,
/// which on a failed write cannot tell how many lines were lost.
pub(super) struct Batches<W> {
    out: W,
    buf: Vec<u8>,
}

/// A batch is written when the queue is empty or it reaches this size.
const BATCH_BYTES: usize = 64 * 1024;

impl<W: std::io::Write> Batches<W> {
    pub(super) fn new(out: W) -> Self {
        Self { out, buf: Vec::with_capacity(BATCH_BYTES) }
    }

    fn write_batch(&mut self) {
        let mut written = 0;
        while written < self.buf.len() {
            match self.out.write(&self.buf[written..]) {
                Ok(0) => break,
                Ok(n) => written += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        let lost = &self.buf[written..];
        if !lost.is_empty() {
            let lines = lost.iter().filter(|&&b| b == b'\n').count().max(1);
            WRITE_FAILED.fetch_add(lines as u64, Ordering::Relaxed);
        }
        let _ = self.out.flush();
        self.buf.clear();
    }
}

impl<W: std::io::Write> std::io::Write for Batches<W> {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(line);
        if self.buf.len() >= BATCH_BYTES {
            self.write_batch();
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.write_batch();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Takes `room` bytes, then fails every write (a pipe whose reader went away).
    struct Closing {
        room: usize,
        taken: Vec<u8>,
        writes: usize,
    }

    impl std::io::Write for Closing {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.writes += 1;
            if self.room == 0 {
                return Err(std::io::ErrorKind::BrokenPipe.into());
            }
            let n = buf.len().min(self.room);
            self.room -= n;
            self.taken.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_batch_is_one_write_and_a_failed_write_counts_the_lines_it_lost() {
        use std::io::Write as _;
        let mut out = Batches::new(Closing { room: 1 << 20, taken: Vec::new(), writes: 0 });
        for i in 0..100 {
            out.write_all(format!("line {i}\n").as_bytes()).unwrap();
        }
        assert_eq!(out.out.writes, 0, "nothing is written before the queue is empty");
        out.flush().unwrap();
        assert_eq!(out.out.writes, 1);
        assert_eq!(out.out.taken.iter().filter(|&&b| b == b'\n').count(), 100);

        // The reader takes a line and a half, then goes away: the half line
        // and the two after it are lost, and the next batch too.
        let before = WRITE_FAILED.load(Ordering::Relaxed);
        let mut out = Batches::new(Closing { room: 12, taken: Vec::new(), writes: 0 });
        for line in ["first 1\n", "second 2\n", "third 3\n", "fourth4\n"] {
            out.write_all(line.as_bytes()).unwrap();
        }
        out.flush().unwrap();
        assert_eq!(out.out.taken, b"first 1\nseco");
        // Other tests of this binary may count too; none fail writes.
        assert_eq!(WRITE_FAILED.load(Ordering::Relaxed) - before, 3);
        out.write_all(b"fifth 5\n").unwrap();
        out.flush().expect("a failed write is not the worker's error");
        assert_eq!(WRITE_FAILED.load(Ordering::Relaxed) - before, 4);
        assert!(out.buf.is_empty(), "a lost batch is not kept");
    }
}
