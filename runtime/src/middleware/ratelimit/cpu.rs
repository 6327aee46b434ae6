//! The machine's CPU usage, for [`Bbr`](super::Bbr).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The machine's CPU usage from `/proc/stat`, per mille, smoothed.
#[derive(Default)]
pub(super) struct ProcCpu {
    /// When and what was last read: (at, busy ticks, total ticks).
    last: Mutex<Option<(Instant, u64, u64)>>,
    smoothed: AtomicU64,
}

const CPU_SAMPLE_EVERY: Duration = Duration::from_millis(500);
const CPU_DECAY: f64 = 0.95;

impl ProcCpu {
    pub(super) fn usage(&self) -> u32 {
        // One caller samples; the others use the last value.
        if let Ok(mut last) = self.last.try_lock() {
            let now = Instant::now();
            if last.is_none_or(|(at, _, _)| now.saturating_duration_since(at) >= CPU_SAMPLE_EVERY) {
                if let Some((busy, total)) = read_proc_stat() {
                    if let Some((_, busy0, total0)) = *last {
                        if total > total0 && busy >= busy0 {
                            let current = (busy - busy0) as f64 * 1000.0 / (total - total0) as f64;
                            let prev = self.smoothed.load(Ordering::Relaxed) as f64;
                            let next = prev * CPU_DECAY + current * (1.0 - CPU_DECAY);
                            self.smoothed.store(next.round() as u64, Ordering::Relaxed);
                        }
                    }
                    *last = Some((now, busy, total));
                }
            }
        }
        u32::try_from(self.smoothed.load(Ordering::Relaxed)).unwrap_or(u32::MAX)
    }
}

/// (busy, total) CPU ticks of the machine since boot.
fn read_proc_stat() -> Option<(u64, u64)> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    parse_proc_stat(&text)
}

fn parse_proc_stat(text: &str) -> Option<(u64, u64)> {
    let line = text.lines().find(|l| l.starts_with("cpu "))?;
    // user nice system idle iowait irq softirq steal (guest time is already
    // counted in user and nice).
    let ticks: Vec<u64> = line.split_whitespace().skip(1).take(8).map(|t| t.parse().ok()).collect::<Option<_>>()?;
    if ticks.len() < 4 {
        return None;
    }
    let total: u64 = ticks.iter().sum();
    let idle = ticks[3] + ticks.get(4).copied().unwrap_or(0);
    Some((total.saturating_sub(idle), total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::middleware::ratelimit::Bbr;

    #[test]
    fn proc_stat_parsing() {
        let text = "cpu  100 5 50 800 20 3 2 0 0 0\ncpu0 50 2 25 400 10 1 1 0 0 0\n";
        assert_eq!(parse_proc_stat(text), Some((160, 980)));
        assert_eq!(parse_proc_stat("intr 1 2 3"), None);
        assert_eq!(parse_proc_stat("cpu  a b c d"), None);
        if std::path::Path::new("/proc/stat").exists() {
            assert!(read_proc_stat().is_some());
            assert!(Bbr::new().cpu_usage() <= 1000);
        }
    }
}
