//! `--conversions FILE`: an app-side export of verifications (phone number and verified-at
//! time, CSV or JSON) joined to sends. A send is converted when the same destination verified
//! within the window after it. Only sends inside the period the export covers are judged:
//! outside it the export says nothing, so `converted` stays unknown there.

use super::csv_reader::{Header, Row};
use super::detect::trim_head;
use super::record::{Skip, ts_field};
use super::source::{InputPath, open};
use super::stats::{InputStats, SkipStat};
use super::value::text;
use crate::error::Error;
use crate::hash::Map;
use crate::phone::{Destination, clean_destination};
use crate::store::Store;
use indicatif::ProgressBar;
use serde_json::Value;
use std::io::Read;

const PHONE_KEYS: &[&str] = &["phone", "phone_number", "destination", "to", "number", "msisdn", "e164", "phonenumber"];
const TIME_KEYS: &[&str] = &["verified_at", "verifiedat", "verified", "ts", "timestamp", "time", "created_at", "date"];

/// Judged sends a sender needs before its conversion rate says whether it sends OTPs.
const NOT_OTP_SENDS: u64 = 30;
/// Below this conversion rate a sender is not an OTP sender.
const NOT_OTP_RATE: f64 = 0.10;

pub struct Conversions {
    pub stats: InputStats,
    /// Verifications: E.164 number (its digits as a number, as the store keeps them) and time,
    /// in time order once read ([`Conversions::index`]). (A map of a list a number cost a
    /// random hash probe and an allocation a row: 3.4 s of CPU for 7.4M verifications.)
    times: Vec<(u64, i64)>,
    span: Option<(i64, i64)>,
}

impl Conversions {
    fn add(&mut self, line: u64, phone: Option<&str>, time: Option<&str>) {
        self.stats.rows_read += 1;
        let result = (|| {
            let phone = phone.ok_or_else(|| Skip::missing("phone"))?;
            let ts = ts_field("verified_at", time)?.ok_or_else(|| Skip::missing("verified_at"))?;
            if let Some(n) = plain_e164(phone) {
                return Ok((n, ts));
            }
            match clean_destination(phone, true) {
                Destination::E164(e) => e[1..].parse::<u64>().map(|n| (n, ts)).map_err(|_| Skip::field("phone", "is not a phone number")),
                _ => Err(Skip::field("phone", "is not a phone number").with_value(phone)),
            }
        })();
        match result {
            Ok((e164, ts)) => {
                self.stats.rows_used += 1;
                self.times.push((e164, ts));
                self.span = Some(match self.span {
                    None => (ts, ts),
                    Some((a, b)) => (a.min(ts), b.max(ts)),
                });
            }
            Err(skip) => {
                self.stats.skipped.entry(skip.reason()).or_insert(SkipStat { count: 0, first: format!("line {line}") }).count += 1;
            }
        }
    }

    /// Mark sends converted or not; returns how many sends were judged. A sender whose judged
    /// sends (at least `NOT_OTP_SENDS`) convert below `NOT_OTP_RATE` does not send OTPs: it is a
    /// marketing or notification sender, whose recipients sometimes verify a real OTP by
    /// coincidence. Its sends go back to unknown. An OTP sender converts at 65-90 % even while it
    /// is being pumped, because its legit users keep verifying.
    pub fn apply(&mut self, store: &mut Store, window_ms: i64) -> u64 {
        let Some((first, last)) = self.span else { return 0 };
        // Sends in time order (an export's, either way) are judged by a sweep ([`Sweep`]) beside
        // the verifications in time order; others by a lookup of their number's verifications
        // (a random read of a large map a send: 1.75 s of CPU at 9.7M sends and 7.4M
        // verifications, against 0.5 s for the sweep). On every core, half the rows each.
        let half = store.rows.len().div_ceil(2).max(1);
        let orders: Vec<Option<bool>> = store.rows.chunks(half).map(time_order).collect();
        let by_number = orders.iter().any(Option::is_none).then(|| ByNumber::of(&self.times));
        let (times, by_number) = (&self.times, &by_number);
        let judge = |at: usize, rows: &mut [crate::store::Message], order: Option<bool>| -> Vec<usize> {
            let mut judged = Vec::new();
            let mut sweep = Sweep::new(times, window_ms);
            let mut one = |i: usize, m: &mut crate::store::Message| {
                let (Some(ts), Some(dest)) = (m.ts_opt(), Store::dest_digits(m)) else { return };
                if m.converted().is_some() || ts < first - window_ms || ts > last {
                    return;
                }
                judged.push(at + i);
                let verified = match by_number {
                    Some(b) if order.is_none() => b.verified(dest, ts, window_ms),
                    _ => sweep.verified(dest, ts),
                };
                m.set_converted(Some(verified));
            };
            match order {
                Some(false) => rows.iter_mut().enumerate().rev().for_each(|(i, m)| one(i, m)),
                _ => rows.iter_mut().enumerate().for_each(|(i, m)| one(i, m)),
            }
            if order == Some(false) {
                judged.reverse();
            }
            judged
        };
        let half = store.rows.len().div_ceil(2).max(1);
        let judged_rows: Vec<usize> = std::thread::scope(|s| {
            let mut parts = store.rows.chunks_mut(half);
            let (a, b) = (parts.next(), parts.next());
            let order = |k: usize| orders.get(k).copied().flatten();
            let other = b.map(|b| s.spawn(move || judge(half, b, order(1))));
            let mut all = a.map_or_else(Vec::new, |a| judge(0, a, order(0)));
            if let Some(h) = other {
                all.extend(h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
            }
            all
        });
        let mut judged = judged_rows.len() as u64;
        let mut per_sender: Map<u32, (u64, u64)> = Map::default();
        for &i in &judged_rows {
            let m = &store.rows[i];
            let e = per_sender.entry(store.attrs(m).sender).or_default();
            e.0 += 1;
            e.1 += u64::from(m.converted() == Some(true));
        }
        for &i in &judged_rows {
            let sender = store.attrs(&store.rows[i]).sender;
            let m = &mut store.rows[i];
            if per_sender.get(&sender).is_some_and(|&(n, k)| n >= NOT_OTP_SENDS && (k as f64) < NOT_OTP_RATE * n as f64) {
                m.set_converted(None);
                judged -= 1;
            }
        }
        judged
    }

    /// Put the verifications in time order: done where they were read (on the thread that
    /// reads them beside the inputs), not in [`Conversions::apply`] after them.
    fn index(&mut self) {
        self.times.sort_unstable_by_key(|&(n, t)| (t, n));
    }

    /// The verifications, kept for [`Verified::first_before`]; what else was read goes.
    pub fn into_verified(self) -> (InputStats, Verified) {
        (self.stats, Verified { times: self.times })
    }
}

/// The verifications a `--conversions` file holds, in time order. (A map of each number's
/// first verification had been built from them: 0.4 s at 7.4M verifications, on one core, for
/// the few numbers verified before the period.)
#[derive(Debug, Clone, Default)]
pub struct Verified {
    times: Vec<(u64, i64)>,
}

impl Verified {
    /// Verifications (E.164 digits as the store keeps them, time), in any order.
    pub fn of(mut times: Vec<(u64, i64)>) -> Verified {
        times.sort_unstable_by_key(|&(n, t)| (t, n));
        Verified { times }
    }

    /// The numbers first verified before `t`: those of the verifications before it.
    pub fn first_before(&self, t: i64) -> crate::hash::Set<u64> {
        self.times[..self.times.partition_point(|&(_, v)| v < t)].iter().map(|&(n, _)| n).collect()
    }
}

/// Whether the rows with a time are in time order: oldest first (`true`), newest first
/// (`false`, the Console's order), or neither (`None`). One row, or none, is oldest first.
fn time_order(rows: &[crate::store::Message]) -> Option<bool> {
    let (mut up, mut down, mut last) = (true, true, None);
    for ts in rows.iter().filter_map(crate::store::Message::ts_opt) {
        if let Some(l) = last {
            up &= ts >= l;
            down &= ts <= l;
        }
        last = Some(ts);
    }
    if up { Some(true) } else { down.then_some(false) }
}

/// Sends judged oldest first against the verifications in time order: the verifications from
/// the send's time to `window` after it, counted by number, are the ones it may meet; the
/// window moves with the sends, so its map stays small (those of an hour or so) and in cache.
struct Sweep<'a> {
    times: &'a [(u64, i64)],
    /// The verifications `lo..hi` are in `open`.
    lo: usize,
    hi: usize,
    open: Map<u64, u32>,
    window: i64,
}

impl<'a> Sweep<'a> {
    fn new(times: &'a [(u64, i64)], window: i64) -> Sweep<'a> {
        Sweep { times, lo: 0, hi: 0, open: Map::default(), window }
    }

    /// Whether `number` verified at `ts` or up to the window after it; `ts` must not go back.
    fn verified(&mut self, number: u64, ts: i64) -> bool {
        let t = self.times;
        if self.lo == self.hi {
            // Nothing open: skip to the first verification at `ts` or after.
            self.lo += t[self.lo..].partition_point(|&(_, v)| v < ts);
            self.hi = self.lo;
        }
        let end = ts.saturating_add(self.window);
        while let Some(&(n, _)) = t.get(self.hi).filter(|&&(_, v)| v <= end) {
            *self.open.entry(n).or_default() += 1;
            self.hi += 1;
        }
        while self.lo < self.hi && t[self.lo].1 < ts {
            let n = t[self.lo].0;
            if let Some(c) = self.open.get_mut(&n) {
                *c -= 1;
                if *c == 0 {
                    self.open.remove(&n);
                }
            }
            self.lo += 1;
        }
        self.open.contains_key(&number)
    }
}

/// The verifications by number, for sends not in time order: each number's run of times.
struct ByNumber {
    times: Vec<(u64, i64)>,
    runs: Map<u64, (u32, u32)>,
}

impl ByNumber {
    fn of(times: &[(u64, i64)]) -> ByNumber {
        let mut times = times.to_vec();
        times.sort_unstable();
        let mut runs = Map::with_capacity_and_hasher(times.len() / 2, Default::default());
        let mut start = 0;
        for run in times.chunk_by(|a, b| a.0 == b.0) {
            runs.insert(run[0].0, (start as u32, run.len() as u32));
            start += run.len();
        }
        ByNumber { times, runs }
    }

    /// Whether `number` verified at `ts` or up to `window` after it.
    fn verified(&self, number: u64, ts: i64, window: i64) -> bool {
        self.runs.get(&number).is_some_and(|&(s, n)| {
            let times = &self.times[s as usize..(s + n) as usize];
            let i = times.partition_point(|&(_, t)| t < ts);
            times.get(i).is_some_and(|&(_, t)| t - ts <= window)
        })
    }
}

/// The digits of a number written as E.164 already (`+`, then 1-15 digits, the first not 0), as
/// [`clean_destination`] reads it, without its copies: nearly every verification export's.
fn plain_e164(s: &str) -> Option<u64> {
    let digits = s.strip_prefix('+')?.as_bytes();
    let ok = (1..=15).contains(&digits.len()) && digits[0] != b'0' && digits.iter().all(u8::is_ascii_digit);
    ok.then(|| digits.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0')))
}

fn pick(keys: &[String], wanted: &[&str]) -> Option<usize> {
    wanted.iter().find_map(|w| keys.iter().position(|k| k.eq_ignore_ascii_case(w)))
}

pub fn load(path: &str, bar: &ProgressBar) -> Result<Conversions, Error> {
    let input = if path == "-" { InputPath::Stdin } else { InputPath::File(path.into()) };
    load_input(&input, bar)
}

/// Read app verifications from any input (a file, stdin or bytes in memory), sorted.
pub fn load_input(input: &InputPath, bar: &ProgressBar) -> Result<Conversions, Error> {
    let mut c = read(input, bar)?;
    c.index();
    Ok(c)
}

fn read(input: &InputPath, bar: &ProgressBar) -> Result<Conversions, Error> {
    let path = &input.display();
    let mut opened = open(input, bar)?;
    let mut c = Conversions { stats: InputStats::new(path.to_string()), times: Vec::new(), span: None };
    c.stats.gzip = opened.gzip;
    let head = trim_head(&opened.head);
    if head.first().is_some_and(|b| *b == b'{' || *b == b'[') {
        let mut all = Vec::new();
        (&mut opened.reader).take(super::json_reader::MAX_DOCUMENT + 1).read_to_end(&mut all).map_err(|e| Error::io_input(input, e))?;
        if all.len() as u64 > super::json_reader::MAX_DOCUMENT {
            return Err(Error::Other(format!("conversions: {path}: a JSON document over 256 MiB is refused; use CSV or JSON lines")));
        }
        let mut n = 0u64;
        for item in serde_json::Deserializer::from_slice(trim_head(&all)).into_iter::<Value>() {
            let v = item.map_err(|e| Error::Parse {
                format: "conversions".into(),
                path: path.into(),
                location: format!("{}:{}", e.line(), e.column()),
                what: format!("invalid JSON: {e}"),
            })?;
            let items = match v {
                Value::Array(a) => a,
                Value::Object(ref o) => match o.values().find_map(|x| x.as_array().cloned()) {
                    Some(a) => a,
                    None => vec![v],
                },
                other => vec![other],
            };
            for item in items {
                n += 1;
                let keys: Vec<String> = item.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
                let phone = pick(&keys, PHONE_KEYS).and_then(|i| text(&item, &keys[i]));
                let time = pick(&keys, TIME_KEYS).and_then(|i| text(&item, &keys[i]));
                c.add(n, phone.as_deref(), time.as_deref());
            }
        }
    } else {
        let mut r = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(opened.reader);
        let mut rec = csv::ByteRecord::new();
        if !r.read_byte_record(&mut rec).map_err(|e| Error::Other(format!("conversions: {path}: {e}")))? {
            return Ok(c);
        }
        let header = Header::new(&rec);
        let phone_col = PHONE_KEYS.iter().find_map(|k| header.find(&[k]));
        let time_col = TIME_KEYS.iter().find_map(|k| header.find(&[k]));
        if phone_col.is_none() || time_col.is_none() {
            return Err(Error::Parse {
                format: "conversions".into(),
                path: path.into(),
                location: "1".into(),
                what: format!(
                    "header needs a phone column ({}) and a time column ({}); found {}",
                    PHONE_KEYS.join("|"),
                    TIME_KEYS.join("|"),
                    header.describe()
                ),
            });
        }
        loop {
            match r.read_byte_record(&mut rec) {
                Ok(false) => break,
                Ok(true) => {
                    let line = rec.position().map(|p| p.line()).unwrap_or(0);
                    let row = Row::new(&rec);
                    c.add(line, row.get_str(phone_col).as_deref(), row.get_str(time_col).as_deref());
                }
                Err(e) => return Err(Error::Other(format!("conversions: {path}: {e}"))),
            }
        }
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    /// What [`clean_destination`] and a parse of its digits give.
    fn slow(s: &str) -> Option<u64> {
        match clean_destination(s, true) {
            Destination::E164(e) => e[1..].parse().ok(),
            _ => None,
        }
    }

    #[test]
    fn the_sweep_finds_what_a_lookup_by_number_finds() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        for window in [0, 1, 600_000, 86_400_000] {
            // Few numbers, so that they verify often and near one another; times with ties.
            let times: Vec<(u64, i64)> =
                (0..5_000).map(|_| (rng.random_range(0..300), rng.random_range(0..20_000_000i64) / 1000 * 1000)).collect();
            let verified = Verified::of(times.clone());
            let by_number = ByNumber::of(&times);
            let mut sends: Vec<(u64, i64)> =
                (0..20_000).map(|_| (rng.random_range(0..330), rng.random_range(-1_000_000..21_000_000i64))).collect();
            sends.sort_by_key(|s| s.1);
            let mut sweep = Sweep::new(&verified.times, window);
            let mut found = 0;
            for &(n, ts) in &sends {
                let want = by_number.verified(n, ts, window);
                assert_eq!(sweep.verified(n, ts), want, "window {window}, number {n} at {ts}");
                found += usize::from(want);
            }
            assert!(found > 0 || window < 1000, "window {window}: some sends verified");
        }
    }

    #[test]
    fn sends_in_any_order_are_judged_alike() {
        // The burst fixture's sends in their order (oldest first), newest first, shuffled (the
        // lookup by number), and half oldest first, half shuffled (a sweep and a lookup).
        let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/sim");
        let bar = ProgressBar::hidden();
        let inputs = [InputPath::File(root.join("burst.csv.gz"))];
        let mut store = crate::ingest::load(&inputs, &crate::ingest::LoadOptions::default(), &bar).expect("loads").store;
        let mut c = load_input(&InputPath::File(root.join("burst.verifications.csv.gz")), &bar).expect("reads");
        let window = 600_000;
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let mut results: Vec<(u64, Vec<Option<bool>>)> = Vec::new();
        for arrangement in 0..4 {
            match arrangement {
                1 => store.rows.sort_by_key(|m| std::cmp::Reverse(m.ts)),
                2 => {
                    for i in (1..store.rows.len()).rev() {
                        store.rows.swap(i, rng.random_range(0..=i));
                    }
                }
                3 => {
                    store.rows.sort_by_key(|m| m.ts);
                    let half = store.rows.len().div_ceil(2);
                    store.rows[half..].reverse();
                    let last = store.rows.len() - 1;
                    store.rows.swap(half + 1, last);
                }
                _ => {}
            }
            let order: Vec<Option<bool>> = store.rows.chunks(store.rows.len().div_ceil(2)).map(time_order).collect();
            let want_order = [vec![Some(true), Some(true)], vec![Some(false), Some(false)], vec![None, None], vec![Some(true), None]];
            assert_eq!(order, want_order[arrangement], "arrangement {arrangement}");
            store.rows.iter_mut().for_each(|m| m.set_converted(None));
            let judged = c.apply(&mut store, window);
            let mut by_idx: Vec<(u32, Option<bool>)> = store.rows.iter().map(|m| (m.idx, m.converted())).collect();
            by_idx.sort_by_key(|x| x.0);
            results.push((judged, by_idx.into_iter().map(|x| x.1).collect()));
        }
        let (judged, first) = &results[0];
        assert!(first.contains(&Some(true)) && first.contains(&Some(false)) && *judged > 1000);
        for (k, r) in results.iter().enumerate() {
            assert!(r == &results[0], "arrangement {k} judged otherwise");
        }
    }

    #[test]
    fn rows_in_time_order_either_way_or_neither() {
        let at = |ts: &[i64]| -> Vec<crate::store::Message> {
            ts.iter().enumerate().map(|(i, &t)| crate::store::Message { ts: t, ..crate::store::Message::blank(i as u32) }).collect()
        };
        assert_eq!(time_order(&at(&[1, 1, 2, 5])), Some(true));
        assert_eq!(time_order(&at(&[5, 2, 2, 1])), Some(false));
        assert_eq!(time_order(&at(&[1, 5, 2])), None);
        assert_eq!(time_order(&at(&[3])), Some(true));
        assert_eq!(time_order(&at(&[])), Some(true));
        // A row without a time is passed over.
        let mut rows = at(&[1, 9, 2]);
        rows[1].bits &= !crate::store::bits::HAS_TS;
        assert_eq!(time_order(&rows), Some(true));
    }

    #[test]
    fn the_first_verification_of_each_number_decides_before_when() {
        let v = Verified::of(vec![(7, 50), (8, 10), (7, 5), (9, 60)]);
        let before = |t| {
            let mut n: Vec<u64> = v.first_before(t).into_iter().collect();
            n.sort_unstable();
            n
        };
        assert_eq!(before(5), Vec::<u64>::new());
        assert_eq!(before(6), vec![7]);
        assert_eq!(before(11), vec![7, 8]);
        assert_eq!(before(61), vec![7, 8, 9]);
    }

    #[test]
    fn the_plain_path_reads_what_the_cleaning_one_does() {
        let edges = ["+1", "+0", "+33618774151", "+123456789012345", "+1234567890123456", "+", "+12a4", "+٣٣", "+ 33", "33618774151"];
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        let random = (0..20_000).map(|_| {
            let len = rng.random_range(0..19);
            let mut s = String::from(if rng.random_bool(0.9) { "+" } else { "" });
            s.extend((0..len).map(|_| b"0123456789+ -x"[rng.random_range(0..14)] as char));
            s
        });
        for s in edges.iter().map(|s| s.to_string()).chain(random) {
            // Where the plain path reads a number, it is the one the cleaning path reads.
            if let Some(n) = plain_e164(&s) {
                assert_eq!(Some(n), slow(&s), "{s:?}");
            } else if s.strip_prefix('+').is_some_and(|d| !d.is_empty() && d.len() <= 15 && d.bytes().all(|b| b.is_ascii_digit())) {
                assert_eq!(slow(&s), None, "{s:?}");
            }
        }
        assert_eq!(plain_e164("+123456789012345"), Some(123_456_789_012_345));
        assert_eq!(plain_e164("+1234567890123456"), None);
        assert_eq!(plain_e164("+0123"), None);
    }
}
