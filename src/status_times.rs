//! When each stored row's status was observed, where that is not its send time: what folding a
//! later record of the same message compares ([`crate::store::Store`]).
//!
//! A map from row to time held an entry a row for exports that give every message a status
//! time of its own (BulkExport's `date_updated`, seconds after `date_sent`): at 9.7M rows its
//! inserts and rehashing were a tenth of the load's CPU samples and the largest part of the
//! peak above the Console's. Now the difference from the send time is kept in a vector of 4 bytes
//! a row, made when the first row needs it; a difference beyond ±24 days (or a row without a
//! send time) goes to a map.

use crate::hash::Map;

#[derive(Default)]
pub struct StatusTimes {
    /// Status time minus send time (ms) by row; [`NONE`]: the send time (or see `far`).
    delta: Vec<i32>,
    far: Map<u32, i64>,
}

const NONE: i32 = i32::MIN;

impl StatusTimes {
    /// The status time of `row`, sent at `ts`, when one was set.
    pub fn get(&self, row: u32, ts: i64) -> Option<i64> {
        match self.delta.get(row as usize) {
            Some(&d) if d != NONE => Some(ts + i64::from(d)),
            _ if self.far.is_empty() => None,
            _ => self.far.get(&row).copied(),
        }
    }

    /// Set the status time of `row`, sent at `ts` (`None`: the send time). `rows`: how many rows
    /// the store expects, for the vector's first allocation.
    pub fn set(&mut self, row: u32, ts: i64, status_ts: Option<i64>, rows: usize) {
        let i = row as usize;
        let near = status_ts.and_then(|s| s.checked_sub(ts)).and_then(|d| i32::try_from(d).ok()).filter(|&d| d != NONE);
        if let Some(d) = near {
            if self.delta.len() <= i {
                if self.delta.capacity() == 0 {
                    self.delta.reserve(rows.max(i + 1));
                }
                self.delta.resize(i + 1, NONE);
            }
            self.delta[i] = d;
        } else if let Some(x) = self.delta.get_mut(i) {
            *x = NONE;
        }
        match status_ts {
            Some(s) if near.is_none() => {
                self.far.insert(row, s);
            }
            _ if !self.far.is_empty() => {
                self.far.remove(&row);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_far_and_cleared_times_read_back() {
        let mut t = StatusTimes::default();
        let day = 86_400_000i64;
        assert_eq!(t.get(0, 1_000), None);
        t.set(3, 1_000, Some(5_000), 10);
        assert_eq!((t.get(3, 1_000), t.get(2, 1_000), t.get(4, 1_000)), (Some(5_000), None, None));
        // Beyond ±24 days, before the send, without a send time (ts 0): kept exactly.
        t.set(5, 1_000, Some(1_000 + 30 * day), 10);
        t.set(6, 10 * day, Some(day), 10);
        t.set(7, 0, Some(1_709_251_200_000), 10);
        assert_eq!(t.get(5, 1_000), Some(1_000 + 30 * day));
        assert_eq!(t.get(6, 10 * day), Some(day));
        assert_eq!(t.get(7, 0), Some(1_709_251_200_000));
        // The edge of the vector's range, both sides.
        t.set(8, 0, Some(i64::from(i32::MAX)), 10);
        t.set(9, 0, Some(i64::from(i32::MIN)), 10);
        t.set(10, 0, Some(i64::from(i32::MIN) + 1), 10);
        assert_eq!(
            (t.get(8, 0), t.get(9, 0), t.get(10, 0)),
            (Some(i64::from(i32::MAX)), Some(i64::from(i32::MIN)), Some(i64::from(i32::MIN) + 1))
        );
        // A near time replacing a far one and the other way round; cleared.
        t.set(5, 1_000, Some(2_000), 10);
        t.set(3, 1_000, Some(1_000 + 40 * day), 10);
        assert_eq!((t.get(5, 1_000), t.get(3, 1_000)), (Some(2_000), Some(1_000 + 40 * day)));
        t.set(3, 1_000, None, 10);
        t.set(5, 1_000, None, 10);
        assert_eq!((t.get(3, 1_000), t.get(5, 1_000)), (None, None));
        // The send time moved (a fold keeps the earlier send): the caller sets it again.
        t.set(6, 9 * day, Some(day), 10);
        assert_eq!(t.get(6, 9 * day), Some(day));
    }
}
