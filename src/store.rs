//! The canonical message table in memory: one row per message, folded across files and status
//! events by the provider's message id, with phone intelligence filled in once per row.

use crate::hash::Map;
use crate::ids::{IdRef, Ids};
use crate::ingest::InputFormat;
use crate::ingest::record::Draft;
use crate::phone::{Classifier, Destination, Lookup, PhoneInfo};
use crate::schema::{NumberType, Provider, SmsType, Status};

/// Index into the [`Interner`]; 0 means "none".
pub type Sym = u32;

/// Strings that repeat across rows (accounts, senders, carriers, templates) are stored once.
#[derive(Default)]
pub struct Interner {
    map: Map<Box<str>, Sym>,
    strs: Vec<Box<str>>,
}

impl Interner {
    pub fn intern(&mut self, s: Option<&str>) -> Sym {
        let Some(s) = s else { return 0 };
        if self.strs.is_empty() {
            self.strs.push("".into());
        }
        if let Some(&id) = self.map.get(s) {
            return id;
        }
        let id = self.strs.len() as Sym;
        self.strs.push(s.into());
        self.map.insert(s.into(), id);
        id
    }

    pub fn get(&self, id: Sym) -> Option<&str> {
        if id == 0 { None } else { self.strs.get(id as usize).map(|s| &**s) }
    }
}

/// One canonical row. See [`crate::schema::COLUMNS`].
#[derive(Debug, Clone)]
pub struct Message {
    /// The provider's message id (see [`Store::message_id`]); 0 for none.
    pub id: IdRef,
    pub ts: Option<i64>,
    pub status_ts: Option<i64>,
    pub provider: Provider,
    pub source_format: InputFormat,
    pub source_file: u32,
    pub account: Sym,
    pub sender: Sym,
    /// E.164 digits as a number when `e164`, else the [`Sym`] of the text as read (see
    /// [`Store::destination`]).
    pub dest: u64,
    /// Digits in `dest` when `e164`.
    pub dest_len: u8,
    /// The destination parsed as E.164.
    pub e164: bool,
    pub calling_code: Option<u16>,
    pub country: Option<[u8; 2]>,
    pub number_type: NumberType,
    pub status: Status,
    pub status_raw: Sym,
    pub error_code: Sym,
    pub segments: Option<u32>,
    pub cost: Option<f64>,
    pub currency: Sym,
    pub sms_type: Option<SmsType>,
    pub body_template: Sym,
    pub mcc: Sym,
    pub mnc: Sym,
    pub carrier: Sym,
    pub converted: Option<bool>,
}

impl Message {
    pub fn country_str(&self) -> Option<&str> {
        self.country.as_ref().and_then(|c| std::str::from_utf8(c).ok())
    }
}

/// A provider-given country (ISO alpha-2, any case) as stored; anything else is ignored.
fn hint_country(hint: Option<&str>) -> Option<[u8; 2]> {
    match hint?.trim().as_bytes() {
        [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => Some([a.to_ascii_uppercase(), b.to_ascii_uppercase()]),
        _ => None,
    }
}

/// All messages of a run.
#[derive(Default)]
pub struct Store {
    pub rows: Vec<Message>,
    pub strings: Interner,
    pub classifier: Classifier,
    pub ids: Ids,
    /// Parts seen per row, for providers that bill one row per part.
    parts: Map<u32, u64>,
    /// Records folded into a message seen before (status events, the same message in two files).
    pub folded: u64,
    /// Folded records whose destination differs from the message's first one: the same id with
    /// conflicting content (the first record's destination is kept).
    pub conflicts: u64,
    /// Rows whose number class waits for [`Store::finish`].
    pending: Vec<(u32, u64)>,
}

impl Store {
    pub fn new() -> Store {
        Store::default()
    }

    /// Add one record. `dest` is the cleaned destination (never `OtherChannel`: those are
    /// skipped before they get here).
    pub fn add(&mut self, d: Draft, dest: Destination, format: InputFormat, file: u32, default_currency: Option<&str>) {
        let idx = self.rows.len() as u32;
        let id = match d.message_id.as_deref() {
            None => 0,
            Some(text) => match self.ids.find_or_insert(text, idx) {
                Err(new) => new,
                Ok(row) => {
                    self.folded += 1;
                    let dest_text = match &dest {
                        Destination::E164(s) | Destination::Unreadable(s) | Destination::OtherChannel(s) => s.as_str(),
                    };
                    if self.destination(&self.rows[row as usize]) != dest_text {
                        self.conflicts += 1;
                    }
                    self.fold(row, d);
                    return;
                }
            },
        };
        let mut pending_key = None;
        let (destination, e164, info) = match dest {
            Destination::E164(s) => {
                let info = match crate::timings::time(crate::timings::Stage::Phone, || self.classifier.lookup(&s)) {
                    Lookup::Done(info) => info,
                    Lookup::Pending(key) => {
                        pending_key = Some(key);
                        PhoneInfo::INVALID
                    }
                };
                (s, true, info)
            }
            Destination::Unreadable(s) | Destination::OtherChannel(s) => (s, false, PhoneInfo::INVALID),
        };
        let (dest, dest_len) = match e164.then(|| destination[1..].parse::<u64>().ok()).flatten() {
            Some(n) => (n, (destination.len() - 1) as u8),
            None => (u64::from(self.strings.intern(Some(&destination))), 0),
        };
        let e164 = dest_len > 0;
        let country = info.country.or_else(|| hint_country(d.country_hint.as_deref()));
        let currency = crate::ingest::record::currency(d.currency.as_deref())
            .or_else(|| if d.cost.is_some() { default_currency.map(str::to_string) } else { None });
        let template = d.template();
        let row = Message {
            id,
            ts: d.ts,
            status_ts: d.status_ts.or(d.ts),
            provider: format.provider(),
            source_format: format,
            source_file: file,
            account: self.strings.intern(d.account.as_deref()),
            sender: self.strings.intern(d.sender.as_deref()),
            dest,
            dest_len,
            e164,
            calling_code: info.calling_code,
            country,
            number_type: info.number_type,
            status: d.status,
            status_raw: self.strings.intern(d.status_raw.as_deref()),
            error_code: self.strings.intern(d.error_code.as_deref()),
            segments: d.part.map(|(_, total)| total).or(d.segments),
            cost: d.cost,
            currency: self.strings.intern(currency.as_deref()),
            sms_type: d.sms_type,
            body_template: self.strings.intern(template.as_deref()),
            mcc: self.strings.intern(d.mcc.as_deref()),
            mnc: self.strings.intern(d.mnc.as_deref()),
            carrier: self.strings.intern(d.carrier.as_deref()),
            converted: d.converted,
        };
        if let Some((part, _)) = d.part {
            self.parts.insert(idx, 1u64 << part.min(63));
        }
        if let Some(key) = pending_key {
            self.pending.push((idx, key));
        }
        self.rows.push(row);
    }

    /// Merge a later record of a message already stored: the more final status wins (ties go to
    /// the later event), fields the row lacks are filled, parts add their cost once each.
    fn fold(&mut self, row: u32, d: Draft) {
        let new_part = d.part.map(|(p, _)| 1u64 << p.min(63));
        let seen = self.parts.get(&row).copied();
        let strings = &mut self.strings;
        let m = &mut self.rows[row as usize];
        match (new_part, seen) {
            (Some(bit), Some(mask)) if mask & bit == 0 => {
                m.cost = match (m.cost, d.cost) {
                    (Some(a), Some(b)) => Some(a + b),
                    (a, b) => a.or(b),
                };
                self.parts.insert(row, mask | bit);
            }
            _ => {
                if m.cost.is_none() {
                    m.cost = d.cost;
                }
            }
        }
        let new_key = (d.status.rank(), d.status_ts.or(d.ts).unwrap_or(i64::MIN));
        let old_key = (m.status.rank(), m.status_ts.unwrap_or(i64::MIN));
        if new_key >= old_key && d.status != Status::Unknown {
            m.status = d.status;
            m.status_ts = d.status_ts.or(d.ts).or(m.status_ts);
            if d.status_raw.is_some() {
                m.status_raw = strings.intern(d.status_raw.as_deref());
            }
            if d.error_code.is_some() {
                m.error_code = strings.intern(d.error_code.as_deref());
            }
        }
        m.ts = match (m.ts, d.ts) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let fill = |slot: &mut Sym, v: Option<&str>, strings: &mut Interner| {
            if *slot == 0 {
                *slot = strings.intern(v);
            }
        };
        fill(&mut m.account, d.account.as_deref(), strings);
        fill(&mut m.sender, d.sender.as_deref(), strings);
        fill(&mut m.mcc, d.mcc.as_deref(), strings);
        fill(&mut m.mnc, d.mnc.as_deref(), strings);
        fill(&mut m.carrier, d.carrier.as_deref(), strings);
        if m.currency == 0 {
            m.currency = strings.intern(crate::ingest::record::currency(d.currency.as_deref()).as_deref());
        }
        if m.body_template == 0
            && let Some(t) = d.template()
        {
            m.body_template = strings.intern(Some(&t));
        }
        if m.segments.is_none() {
            m.segments = d.part.map(|(_, t)| t).or(d.segments);
        }
        m.sms_type = m.sms_type.or(d.sms_type);
        if m.country.is_none() {
            m.country = hint_country(d.country_hint.as_deref());
        }
        m.converted = match (m.converted, d.converted) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (a, b) => a.or(b),
        };
    }

    /// Classify the numbers queued during loading and fill in their rows. The number's own
    /// country wins over the provider's (kept on the row until now as a fallback).
    pub fn finish(&mut self) {
        let classifier = &mut self.classifier;
        crate::timings::time(crate::timings::Stage::Phone, || classifier.resolve());
        for (row, key) in std::mem::take(&mut self.pending) {
            let info = self.classifier.get(key);
            let m = &mut self.rows[row as usize];
            m.calling_code = info.calling_code;
            m.number_type = info.number_type;
            m.country = info.country.or(m.country);
        }
    }

    /// The destination as text: `+` and the digits for E.164, else as it was read.
    pub fn destination(&self, m: &Message) -> String {
        if m.e164 { format!("+{}", m.dest) } else { self.str(m.dest as Sym).unwrap_or("").to_string() }
    }

    /// The national significant number and its length in digits, for an E.164 destination
    /// whose calling code is known.
    pub fn national(m: &Message) -> Option<(u64, u8)> {
        let cc = m.calling_code?;
        if !m.e164 {
            return None;
        }
        let cc_len = if cc >= 100 {
            3
        } else if cc >= 10 {
            2
        } else {
            1
        };
        let nlen = m.dest_len.checked_sub(cc_len)?;
        Some((m.dest % 10u64.pow(u32::from(nlen)), nlen))
    }

    pub fn message_id(&self, m: &Message) -> Option<String> {
        self.ids.get(m.id)
    }

    /// Try to make room for `n` more rows (and their ids) without regrowing; when the memory
    /// cannot be had, storage grows as rows come instead.
    pub fn reserve(&mut self, n: usize) {
        if self.rows.try_reserve(n).is_ok() {
            self.ids.reserve(n);
        }
    }

    pub fn str(&self, s: Sym) -> Option<&str> {
        self.strings.get(s)
    }
}
