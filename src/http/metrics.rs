//! Counters and a latency histogram for `/metrics`, kept in atomics so recording costs no lock.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::routes::{NO_ROUTE, ROUTES};

/// The statuses counted one by one; anything else is counted under its class (2xx, 4xx, 5xx).
const STATUSES: [u16; 16] = [
    200, 201, 202, 204, 301, 303, 400, 401, 403, 404, 405, 409, 413, 422, 500, 503,
];
const SLOTS: usize = STATUSES.len() + 3;

/// Upper bounds of the lookup latency buckets, in microseconds.
const BUCKETS_US: [u64; 12] = [
    100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 1_000_000,
];

pub struct Metrics {
    requests: Vec<[AtomicU64; SLOTS]>,
    lookup_buckets: [AtomicU64; BUCKETS_US.len()],
    lookup_count: AtomicU64,
    lookup_sum_us: AtomicU64,
}

fn slot(status: u16) -> usize {
    match STATUSES.iter().position(|s| *s == status) {
        Some(i) => i,
        None => {
            STATUSES.len()
                + match status {
                    0..=399 => 0,
                    400..=499 => 1,
                    _ => 2,
                }
        }
    }
}

fn slot_label(i: usize) -> String {
    match STATUSES.get(i) {
        Some(s) => s.to_string(),
        None => ["2xx", "4xx", "5xx"][(i - STATUSES.len()).min(2)].to_string(),
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        Metrics {
            requests: (0..=ROUTES.len())
                .map(|_| std::array::from_fn(|_| AtomicU64::new(0)))
                .collect(),
            lookup_buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            lookup_count: AtomicU64::new(0),
            lookup_sum_us: AtomicU64::new(0),
        }
    }

    /// Counts one answered request. Lookup routes also feed the latency histogram.
    pub fn record(&self, route: usize, status: u16, took: Duration) {
        let row = self
            .requests
            .get(route)
            .unwrap_or(&self.requests[ROUTES.len()]);
        row[slot(status)].fetch_add(1, Ordering::Relaxed);
        if ROUTES.get(route).is_some_and(|r| r.lookup) {
            let us = took.as_micros() as u64;
            for (i, b) in BUCKETS_US.iter().enumerate() {
                if us <= *b {
                    self.lookup_buckets[i].fetch_add(1, Ordering::Relaxed);
                    break;
                }
            }
            self.lookup_count.fetch_add(1, Ordering::Relaxed);
            self.lookup_sum_us.fetch_add(us, Ordering::Relaxed);
        }
    }

    /// The Prometheus text exposition of everything counted, plus the gauges passed in.
    pub fn render(&self, gauges: &[(&str, &str, f64)]) -> String {
        let mut out = String::with_capacity(4096);
        out.push_str(
            "# HELP ringbook_http_requests_total Requests answered, by route and status.\n",
        );
        out.push_str("# TYPE ringbook_http_requests_total counter\n");
        for (i, row) in self.requests.iter().enumerate() {
            let name = if i == NO_ROUTE || i >= ROUTES.len() {
                "unmatched"
            } else {
                ROUTES[i].name
            };
            for (s, c) in row.iter().enumerate() {
                let n = c.load(Ordering::Relaxed);
                if n > 0 {
                    let _ = writeln!(
                        out,
                        "ringbook_http_requests_total{{route=\"{name}\",status=\"{}\"}} {n}",
                        slot_label(s)
                    );
                }
            }
        }
        out.push_str(
            "# HELP ringbook_lookup_duration_seconds Time to answer a caller lookup, any format.\n",
        );
        out.push_str("# TYPE ringbook_lookup_duration_seconds histogram\n");
        let mut cumulative = 0;
        for (i, b) in BUCKETS_US.iter().enumerate() {
            cumulative += self.lookup_buckets[i].load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "ringbook_lookup_duration_seconds_bucket{{le=\"{}\"}} {cumulative}",
                *b as f64 / 1e6
            );
        }
        let count = self.lookup_count.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "ringbook_lookup_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            out,
            "ringbook_lookup_duration_seconds_sum {}",
            self.lookup_sum_us.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "ringbook_lookup_duration_seconds_count {count}");
        for (name, help, value) in gauges {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_slots_are_distinct_and_labelled() {
        assert_eq!(slot_label(slot(200)), "200");
        assert_eq!(slot_label(slot(418)), "4xx");
        assert_eq!(slot_label(slot(299)), "2xx");
        assert_eq!(slot_label(slot(599)), "5xx");
    }
}
