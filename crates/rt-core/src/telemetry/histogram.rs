//! A log-linear histogram of nanosecond durations with atomic buckets: what the telemetry
//! records each stage's time in. Recording is one or a few relaxed atomic operations: real-time
//! safe, never blocks.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use serde::Serialize;

/// Sub-buckets per power of two: 32 gives about 3 % resolution.
const SUB_BITS: u32 = 5;
const SUB: usize = 1 << SUB_BITS;
/// Highest power of two tracked (2^28 ns = 268 ms); larger values land in the last bucket.
const MAX_POW: usize = 28;
const BUCKETS: usize = (MAX_POW + 1) * SUB;

/// A log-linear histogram of nanosecond durations with atomic buckets.
pub struct Histogram {
    buckets: Box<[AtomicU64]>,
    count: AtomicU64,
    sum: AtomicU64,
    min: AtomicU64,
    max: AtomicU64,
}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Histogram")
            .field("count", &self.count.load(Relaxed))
            .finish()
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

fn bucket_of(ns: u64) -> usize {
    if ns < SUB as u64 {
        return ns as usize;
    }
    let pow = 63 - ns.leading_zeros() as usize; // >= SUB_BITS
    let shift = pow - SUB_BITS as usize;
    let sub = ((ns >> shift) as usize) & (SUB - 1);
    let idx = (pow - SUB_BITS as usize + 1) * SUB + sub;
    idx.min(BUCKETS - 1)
}

/// Upper bound (exclusive) of bucket `idx`, in ns.
fn bucket_high(idx: usize) -> u64 {
    if idx < SUB {
        return idx as u64 + 1;
    }
    let group = idx / SUB; // >= 1
    let sub = (idx % SUB) as u64;
    let shift = (group - 1) as u32;
    (SUB as u64 + sub + 1) << shift
}

impl Histogram {
    /// An empty histogram. Not real-time safe (allocates the buckets).
    pub fn new() -> Self {
        Self {
            buckets: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            count: AtomicU64::new(0),
            sum: AtomicU64::new(0),
            min: AtomicU64::new(u64::MAX),
            max: AtomicU64::new(0),
        }
    }

    /// Records one duration. Real-time safe.
    pub fn record(&self, ns: u64) {
        if let Some(b) = self.buckets.get(bucket_of(ns)) {
            b.fetch_add(1, Relaxed);
        }
        self.count.fetch_add(1, Relaxed);
        self.sum.fetch_add(ns, Relaxed);
        self.min.fetch_min(ns, Relaxed);
        self.max.fetch_max(ns, Relaxed);
    }

    /// For exporters: the total count, the sum in ns, and for each of `bounds_ns` (ascending)
    /// how many durations fell at or below it, at this histogram's resolution (a fine bucket
    /// counts under the first bound not below its upper edge). The count is the buckets'
    /// total, so it equals an implicit `+Inf` bucket. Not real-time safe.
    pub fn cumulative(&self, bounds_ns: &[u64]) -> (u64, u64, Vec<u64>) {
        let mut le = vec![0u64; bounds_ns.len()];
        let mut total = 0u64;
        for (i, b) in self.buckets.iter().enumerate() {
            let c = b.load(Relaxed);
            if c == 0 {
                continue;
            }
            total += c;
            let high = bucket_high(i);
            if let Some(first) = bounds_ns.iter().position(|&bound| high <= bound) {
                le[first] += c;
            }
        }
        let mut seen = 0;
        for v in le.iter_mut() {
            seen += *v;
            *v = seen;
        }
        (total, self.sum.load(Relaxed), le)
    }

    /// Summary statistics. Not real-time safe.
    pub fn stats(&self) -> Stats {
        let count = self.count.load(Relaxed);
        let counts: Vec<u64> = self.buckets.iter().map(|b| b.load(Relaxed)).collect();
        let total: u64 = counts.iter().sum();
        let quantile = |q: f64| -> u64 {
            if total == 0 {
                return 0;
            }
            let rank = ((q * total as f64).ceil() as u64).clamp(1, total);
            let mut seen = 0;
            for (i, c) in counts.iter().enumerate() {
                seen += c;
                if seen >= rank {
                    return bucket_high(i);
                }
            }
            bucket_high(BUCKETS - 1)
        };
        let max = self.max.load(Relaxed);
        let clamp = |v: u64| v.min(max);
        Stats {
            count,
            min_ns: if count == 0 {
                0
            } else {
                self.min.load(Relaxed)
            },
            median_ns: clamp(quantile(0.5)),
            p99_ns: clamp(quantile(0.99)),
            p999_ns: clamp(quantile(0.999)),
            max_ns: max,
            mean_ns: self.sum.load(Relaxed).checked_div(count).unwrap_or(0),
        }
    }
}

/// Summary of a histogram (quantiles are bucket upper bounds, within 3 %).
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Stats {
    pub count: u64,
    pub min_ns: u64,
    pub median_ns: u64,
    pub p99_ns: u64,
    pub p999_ns: u64,
    pub max_ns: u64,
    pub mean_ns: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_within_resolution() {
        let h = Histogram::new();
        for v in 1..=10_000u64 {
            h.record(v * 100);
        }
        let s = h.stats();
        assert_eq!(s.count, 10_000);
        assert_eq!(s.min_ns, 100);
        assert_eq!(s.max_ns, 1_000_000);
        let close = |got: u64, want: f64| (got as f64 - want).abs() / want < 0.04;
        assert!(close(s.median_ns, 500_000.0), "{}", s.median_ns);
        assert!(close(s.p99_ns, 990_000.0), "{}", s.p99_ns);
        assert!(close(s.p999_ns, 999_000.0), "{}", s.p999_ns);
    }

    #[test]
    fn bucket_bounds_grow_monotonically() {
        let mut last = 0;
        for i in 0..BUCKETS {
            let h = bucket_high(i);
            assert!(h > last, "bucket {i}");
            last = h;
        }
        for v in [0u64, 1, 31, 32, 33, 1000, 123_456, 10_000_000] {
            assert!(bucket_high(bucket_of(v)) > v, "{v}");
        }
    }

    #[test]
    fn cumulative_buckets_count_at_or_below_each_bound() {
        let h = Histogram::new();
        for v in [10u64, 20, 1_000, 50_000, 5_000_000] {
            h.record(v);
        }
        let (count, sum, le) = h.cumulative(&[100, 100_000, 1_000_000]);
        assert_eq!(count, 5);
        assert_eq!(sum, 5_051_030);
        assert_eq!(le, vec![2, 4, 4], "5 ms lies above every bound (+Inf only)");
    }
}
