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
    /// as read; sorted by [`Conversions::apply`]. (A map of a list a number cost a random hash
    /// probe and an allocation a row: 3.4 s of CPU for 7.4M verifications.)
    times: Vec<(u64, i64)>,
    /// Each number's run in the sorted `times`: its start and length.
    runs: Map<u64, (u32, u32)>,
    span: Option<(i64, i64)>,
}

impl Conversions {
    fn add(&mut self, line: u64, phone: Option<String>, time: Option<String>) {
        self.stats.rows_read += 1;
        let result = (|| {
            let phone = phone.ok_or_else(|| Skip::missing("phone"))?;
            let ts = ts_field("verified_at", time.as_deref())?.ok_or_else(|| Skip::missing("verified_at"))?;
            match clean_destination(&phone, true) {
                Destination::E164(e) => e[1..].parse::<u64>().map(|n| (n, ts)).map_err(|_| Skip::field("phone", "is not a phone number")),
                _ => Err(Skip::field("phone", "is not a phone number").with_value(&phone)),
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
        self.times.sort_unstable();
        self.runs = Map::with_capacity_and_hasher(self.times.len() / 2, Default::default());
        let mut start = 0;
        for run in self.times.chunk_by(|a, b| a.0 == b.0) {
            self.runs.insert(run[0].0, (start as u32, run.len() as u32));
            start += run.len();
        }
        let Some((first, last)) = self.span else { return 0 };
        // Each send looked up on every core (the lookups are random reads of a large map).
        let (times, runs) = (&self.times, &self.runs);
        let judge = |at: usize, rows: &mut [crate::store::Message]| -> Vec<usize> {
            let mut judged = Vec::new();
            for (i, m) in rows.iter_mut().enumerate() {
                let (Some(ts), Some(dest)) = (m.ts_opt(), Store::dest_digits(m)) else { continue };
                if m.converted().is_some() || ts < first - window_ms || ts > last {
                    continue;
                }
                judged.push(at + i);
                let verified = runs.get(&dest).is_some_and(|&(s, n)| {
                    let times = &times[s as usize..(s + n) as usize];
                    let i = times.partition_point(|&(_, t)| t < ts);
                    times.get(i).is_some_and(|&(_, t)| t - ts <= window_ms)
                });
                m.set_converted(Some(verified));
            }
            judged
        };
        let half = store.rows.len().div_ceil(2).max(1);
        let judged_rows: Vec<usize> = std::thread::scope(|s| {
            let mut parts = store.rows.chunks_mut(half);
            let (a, b) = (parts.next(), parts.next());
            let other = b.map(|b| s.spawn(move || judge(half, b)));
            let mut all = a.map_or_else(Vec::new, |a| judge(0, a));
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

    /// Each number's first verification (once [`Conversions::apply`] has sorted them).
    pub fn first_verified(&self) -> Map<u64, i64> {
        self.runs.iter().map(|(&n, &(s, _))| (n, self.times[s as usize].1)).collect()
    }
}

fn pick(keys: &[String], wanted: &[&str]) -> Option<usize> {
    wanted.iter().find_map(|w| keys.iter().position(|k| k.eq_ignore_ascii_case(w)))
}

pub fn load(path: &str, bar: &ProgressBar) -> Result<Conversions, Error> {
    let input = if path == "-" { InputPath::Stdin } else { InputPath::File(path.into()) };
    load_input(&input, bar)
}

/// Read app verifications from any input (a file, stdin or bytes in memory).
pub fn load_input(input: &InputPath, bar: &ProgressBar) -> Result<Conversions, Error> {
    let path = &input.display();
    let mut opened = open(input, bar)?;
    let mut c = Conversions { stats: InputStats::new(path.to_string()), times: Vec::new(), runs: Map::default(), span: None };
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
                c.add(n, phone, time);
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
                    c.add(line, row.get(phone_col), row.get(time_col));
                }
                Err(e) => return Err(Error::Other(format!("conversions: {path}: {e}"))),
            }
        }
    }
    Ok(c)
}
