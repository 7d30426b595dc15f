//! The canonical message table in memory: one row per message, folded across files and status
//! events by the provider's message id, with phone intelligence filled in once per row.
//!
//! A row is 48 bytes and is at the same time what the detectors read ([`crate::detect::Row`]),
//! so detection needs no copy of the table. What repeats across rows (account, sender, status
//! text, error code, currency, body template, carrier, source file ...) is one [`Attrs`] stored
//! once per distinct combination; the message id has its own fixed-width column ([`Ids`]).
//! Together about 72 bytes a message, against about 280 when every row held its strings.

use crate::hash::Map;
use crate::ids::{self, Ids};
use crate::ingest::InputFormat;
use crate::ingest::record::Draft;
use crate::phone::{Classifier, Destination, PhoneInfo};
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

    /// Empty, keeping the tables' memory.
    pub fn clear(&mut self) {
        self.map.clear();
        self.strs.clear();
    }

    pub fn get(&self, id: Sym) -> Option<&str> {
        if id == 0 { None } else { self.strs.get(id as usize).map(|s| &**s) }
    }

    /// Symbols handed out so far, the "none" symbol 0 included.
    pub fn len(&self) -> usize {
        self.strs.len().max(1)
    }

    pub fn is_empty(&self) -> bool {
        self.strs.len() <= 1
    }
}

/// What a message shares with many others, stored once per distinct combination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Attrs {
    pub source_format: InputFormat,
    pub source_file: u32,
    pub account: Sym,
    pub sender: Sym,
    pub status_raw: Sym,
    pub error_code: Sym,
    pub currency: Sym,
    pub body_template: Sym,
    pub mcc: Sym,
    pub mnc: Sym,
    pub carrier: Sym,
    pub segments: Option<u32>,
    pub sms_type: Option<SmsType>,
}

impl Attrs {
    pub fn new(source_format: InputFormat, source_file: u32) -> Attrs {
        Attrs {
            source_format,
            source_file,
            account: 0,
            sender: 0,
            status_raw: 0,
            error_code: 0,
            currency: 0,
            body_template: 0,
            mcc: 0,
            mnc: 0,
            carrier: 0,
            segments: None,
            sms_type: None,
        }
    }

    pub fn provider(&self) -> Provider {
        self.source_format.provider()
    }
}

/// What the detectors need of an [`Attrs`], worked out once per combination.
#[derive(Clone, Copy)]
struct Derived {
    /// The error code as a number (0: none or not numeric).
    error: u32,
    /// A provider block code or block text.
    block: bool,
}

#[derive(Default)]
struct AttrsTable {
    map: Map<Attrs, u32>,
    list: Vec<(Attrs, Derived)>,
}

/// Row flags.
pub mod bits {
    /// The row has a send time (`ts`).
    pub const HAS_TS: u8 = 1;
    /// The row has a price (`cost`).
    pub const HAS_COST: u8 = 2;
    /// The destination is E.164: `calling_code` and `national` (`nlen` digits), or, when the
    /// calling code is not known, all its digits in `national` and `nlen` 0.
    pub const E164: u8 = 4;
    /// Whether the send converted is known ([`super::Message::converted`]) ...
    pub const CONVERSION_KNOWN: u8 = 8;
    /// ... and that it did.
    pub const CONVERTED: u8 = 16;
    /// The provider's defences refused it ([`super::Message::provider_block`]).
    pub const PROVIDER_BLOCK: u8 = 32;
}

/// One canonical row (see [`crate::schema::COLUMNS`]), and what the detectors read. 40 bytes:
/// at ten million rows each byte is 10 MB of memory the kernel must hand over (and, on these
/// VMs, the host back) before it is written. What is the same for every row of an [`Attrs`]
/// (the provider's error code) is read from there; flags share a byte.
#[derive(Debug, Clone, Copy)]
pub struct Message {
    /// Send time (ms UTC); see [`Message::ts_opt`].
    pub ts: i64,
    /// National significant number (see [`bits::E164`]), or the [`Sym`] of a destination that
    /// is not E.164.
    pub national: u64,
    /// Price in the row's currency, 0 when none (see [`Message::cost_opt`]); set to 0 by a scan
    /// for other currencies ([`Store::set_aside_cost`]).
    pub cost: f64,
    /// The row's own index in the store.
    pub idx: u32,
    /// Index of the row's [`Attrs`].
    pub attrs: u32,
    /// 0 when not known.
    pub calling_code: u16,
    /// The ISO country, `[0, 0]` when not known: see [`Message::country`].
    pub region: [u8; 2],
    /// Digits in `national`; 0: no E.164 number with a known calling code.
    pub nlen: u8,
    pub status: Status,
    pub number_type: NumberType,
    /// [`bits`].
    pub bits: u8,
}

impl Message {
    /// A delivered row with nothing else known, for tests and builders.
    pub fn blank(idx: u32) -> Message {
        Message {
            ts: 0,
            national: 0,
            cost: 0.0,
            idx,
            attrs: 0,
            calling_code: 0,
            region: [0; 2],
            nlen: 0,
            status: Status::Delivered,
            number_type: NumberType::Invalid,
            bits: bits::HAS_TS,
        }
    }

    pub fn ts_opt(&self) -> Option<i64> {
        (self.bits & bits::HAS_TS != 0).then_some(self.ts)
    }

    pub fn is_e164(&self) -> bool {
        self.bits & bits::E164 != 0
    }

    /// The ISO country, when known.
    pub fn country(&self) -> Option<[u8; 2]> {
        (self.region != [0; 2]).then_some(self.region)
    }

    pub fn set_country(&mut self, c: Option<[u8; 2]>) {
        self.region = c.unwrap_or([0; 2]);
    }

    /// Whether the send converted (a code verified), when known.
    pub fn converted(&self) -> Option<bool> {
        (self.bits & bits::CONVERSION_KNOWN != 0).then_some(self.bits & bits::CONVERTED != 0)
    }

    pub fn set_converted(&mut self, c: Option<bool>) {
        self.bits &= !(bits::CONVERSION_KNOWN | bits::CONVERTED);
        match c {
            Some(true) => self.bits |= bits::CONVERSION_KNOWN | bits::CONVERTED,
            Some(false) => self.bits |= bits::CONVERSION_KNOWN,
            None => {}
        }
    }

    /// Whether the provider's defences refused it (a defence's error code or status text, see
    /// [`crate::detect::provider_blocks`]; not every `blocked` status).
    pub fn provider_block(&self) -> bool {
        self.bits & bits::PROVIDER_BLOCK != 0
    }

    pub fn set_provider_block(&mut self, b: bool) {
        if b {
            self.bits |= bits::PROVIDER_BLOCK;
        } else {
            self.bits &= !bits::PROVIDER_BLOCK;
        }
    }

    /// The country code, or `??`.
    pub fn country_str(&self) -> String {
        self.country().map(|c| String::from_utf8_lossy(&c).into_owned()).unwrap_or_else(|| "??".into())
    }

    /// The country code, when known.
    pub fn country_opt(&self) -> Option<&str> {
        self.country().is_some().then(|| std::str::from_utf8(&self.region).ok()).flatten()
    }
}

/// One row with everything it shares spelled out: what a row held before [`Attrs`] took the
/// repeated parts out. For tests, debugging and one-off readers, not hot paths.
#[derive(Debug, Clone)]
pub struct View {
    pub id: Option<String>,
    pub destination: String,
    pub ts: Option<i64>,
    pub status_ts: Option<i64>,
    pub cost: Option<f64>,
    pub calling_code: Option<u16>,
    pub country: Option<[u8; 2]>,
    pub status: Status,
    pub number_type: NumberType,
    pub converted: Option<bool>,
    pub provider: Provider,
    /// What the row shares (its fields read as the view's own: `view.sender`).
    pub attrs: Attrs,
}

impl std::ops::Deref for View {
    type Target = Attrs;
    fn deref(&self) -> &Attrs {
        &self.attrs
    }
}

impl View {
    pub fn country_str(&self) -> Option<&str> {
        self.country.as_ref().and_then(|c| std::str::from_utf8(c).ok())
    }
}

/// A provider-given country (ISO alpha-2, any case) as stored; anything else is ignored.
pub fn hint_country(hint: Option<&str>) -> Option<[u8; 2]> {
    match hint?.trim().as_bytes() {
        [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => Some([a.to_ascii_uppercase(), b.to_ascii_uppercase()]),
        _ => None,
    }
}

/// A cleaned destination as the store takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dest<'a> {
    /// The digits of an E.164 number (1-15, no leading zero).
    E164(u64),
    /// Anything else, as read.
    Text(&'a str),
}

/// One record on its way into the store, its strings already interned into `attrs`.
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a> {
    pub ts: Option<i64>,
    pub status_ts: Option<i64>,
    pub dest: Dest<'a>,
    pub country_hint: Option<[u8; 2]>,
    pub status: Status,
    pub cost: Option<f64>,
    pub converted: Option<bool>,
    /// For providers that bill one row per message part (SNS usage report): (part, total).
    pub part: Option<(u32, u32)>,
    pub attrs: u32,
}

const POW10: [u64; 20] = {
    let mut p = [1u64; 20];
    let mut i = 1;
    while i < 20 {
        p[i] = p[i - 1] * 10;
        i += 1;
    }
    p
};

/// 10^n for n ≤ 19.
pub fn pow10(n: u32) -> u64 {
    POW10[n.min(19) as usize]
}

/// Decimal digits in `n` (1 for 0).
pub fn digits(n: u64) -> u8 {
    n.checked_ilog10().map_or(1, |l| l as u8 + 1)
}

/// All messages of a run.
#[derive(Default)]
pub struct Store {
    pub rows: Vec<Message>,
    pub strings: Interner,
    attrs: AttrsTable,
    pub classifier: Classifier,
    pub ids: Ids,
    /// Parts seen per row, for providers that bill one row per part.
    parts: Map<u32, u64>,
    /// Status times of rows whose status time is not their send time.
    status_ts: crate::status_times::StatusTimes,
    /// Prices set aside by [`Store::set_aside_cost`].
    set_aside: Map<u32, f64>,
    /// While a load defers folding by id ([`Store::defer_ids`]): the hash of each id stored.
    deferred: Option<ids::IdHashes>,
    /// The input being read may go on deferring folding by id where an earlier input left off,
    /// and leaves the end of the deferral ([`Store::end_deferred`]) to the caller, who can read
    /// every input of the run again (`ingest::load`, over a directory of day files).
    pub defer_across: bool,
    /// Records folded into a message seen before (status events, the same message in two files).
    pub folded: u64,
    /// Folded records whose destination differs from the message's first one: the same id with
    /// conflicting content (the first record's destination is kept).
    pub conflicts: u64,
}

impl Store {
    pub fn new() -> Store {
        Store::default()
    }

    /// The index of `a` (stored once).
    pub fn intern_attrs(&mut self, a: Attrs) -> u32 {
        if let Some(&i) = self.attrs.map.get(&a) {
            return i;
        }
        let error_text = self.strings.get(a.error_code).unwrap_or("");
        let derived = Derived {
            error: error_text.parse().unwrap_or(0),
            block: crate::detect::provider_blocks::is_block_code(error_text)
                || crate::detect::provider_blocks::is_block_text(self.strings.get(a.status_raw).unwrap_or("")),
        };
        let i = self.attrs.list.len() as u32;
        self.attrs.list.push((a, derived));
        self.attrs.map.insert(a, i);
        i
    }

    pub fn attrs(&self, m: &Message) -> &Attrs {
        &self.attrs.list[m.attrs as usize].0
    }

    /// How many distinct [`Attrs`] there are (indices `0..attrs_len()`).
    pub fn attrs_len(&self) -> usize {
        self.attrs.list.len()
    }

    pub fn attrs_at(&self, i: u32) -> &Attrs {
        &self.attrs.list[i as usize].0
    }

    /// Add one record read by a format parser. `dest` is the cleaned destination (never
    /// `OtherChannel`: those are skipped before they get here).
    pub fn add(&mut self, d: Draft, dest: Destination, format: InputFormat, file: u32, default_currency: Option<&str>) {
        let currency = crate::ingest::record::currency(d.currency.as_deref())
            .or_else(|| if d.cost.is_some() { default_currency.map(std::borrow::Cow::Borrowed) } else { None });
        let template = d.template();
        let s = &mut self.strings;
        let a = Attrs {
            account: s.intern(d.account.as_deref()),
            sender: s.intern(d.sender.as_deref()),
            status_raw: s.intern(d.status_raw.as_deref()),
            error_code: s.intern(d.error_code.as_deref()),
            currency: s.intern(currency.as_deref()),
            body_template: s.intern(template.as_deref()),
            mcc: s.intern(d.mcc.as_deref()),
            mnc: s.intern(d.mnc.as_deref()),
            carrier: s.intern(d.carrier.as_deref()),
            segments: d.part.map(|(_, total)| total).or(d.segments),
            sms_type: d.sms_type,
            ..Attrs::new(format, file)
        };
        let attrs = self.intern_attrs(a);
        let dest = match &dest {
            Destination::E164(s) => s[1..].parse::<u64>().map_or(Dest::Text(s), Dest::E164),
            Destination::Unreadable(s) | Destination::OtherChannel(s) => Dest::Text(s),
        };
        let inc = Incoming {
            ts: d.ts,
            status_ts: d.status_ts,
            dest,
            country_hint: hint_country(d.country_hint.as_deref()),
            status: d.status,
            cost: d.cost,
            converted: d.converted,
            part: d.part,
            attrs,
        };
        let hasher = self.ids.hasher();
        let id = d.message_id.as_deref().map(|t| {
            let packed = ids::pack(t.as_bytes());
            ids::Incoming { packed, text: t, hash: hasher.hash(&packed, t) }
        });
        self.push(&inc, id);
    }

    /// Add one record: a new row, or folded into the row of the same message id.
    pub fn push(&mut self, inc: &Incoming, id: Option<ids::Incoming>) {
        let idx = self.rows.len() as u32;
        match id {
            None => self.ids.push_none(),
            Some(id) => {
                if let Some(hashes) = &mut self.deferred {
                    hashes.push(id.hash);
                    self.ids.push_unchecked(id, idx);
                } else if let Some(row) = self.ids.find_or_insert(id, idx) {
                    self.folded += 1;
                    if !self.same_destination(&self.rows[row as usize], inc.dest) {
                        self.conflicts += 1;
                    }
                    self.fold(row, inc);
                    return;
                }
            }
        }
        let mut m = Message {
            ts: inc.ts.unwrap_or(0),
            national: 0,
            cost: inc.cost.unwrap_or(0.0),
            idx,
            attrs: inc.attrs,
            calling_code: 0,
            region: [0; 2],
            nlen: 0,
            status: inc.status,
            number_type: NumberType::Invalid,
            bits: if inc.ts.is_some() { bits::HAS_TS } else { 0 } | if inc.cost.is_some() { bits::HAS_COST } else { 0 },
        };
        // An E.164 destination is classified here, on the store thread, in row order (so the
        // first number of each key stands for it): a cache lookup a row, libphonenumber once a
        // key. It had been two parallel passes over the rows after loading with a serial
        // libphonenumber pass between them (0.37 s at 10M rows, against a store thread that now
        // waits for parsed blocks a fifth of the time).
        match inc.dest {
            Dest::E164(n) => {
                m.bits |= bits::E164;
                m.national = n;
            }
            Dest::Text(t) => m.national = u64::from(self.strings.intern(Some(t))),
        }
        m.set_country(inc.country_hint);
        m.set_converted(inc.converted);
        if let Dest::E164(n) = inc.dest {
            let len = digits(n);
            apply_phone(&mut m, self.classifier.classify_digits(n, len), len);
        }
        self.derive(&mut m);
        if let Some(status_ts) = inc.status_ts
            && inc.ts != Some(status_ts)
        {
            self.status_ts.set(idx, m.ts, Some(status_ts), self.rows.capacity());
        }
        if let Some((part, _)) = inc.part {
            self.parts.insert(idx, 1u64 << part.min(63));
        }
        self.rows.push(m);
    }

    /// Provider block, from the row's attrs: a defence's error code or status text
    /// ([`crate::detect::provider_blocks`]), not every `blocked` status (a carrier's filter).
    fn derive(&self, m: &mut Message) {
        m.set_provider_block(self.attrs.list[m.attrs as usize].1.block);
    }

    /// The provider's error code of each [`Attrs`] as a number (0 for none), by attrs index:
    /// what a row's error code is ([`Message::attrs`]).
    pub fn error_codes(&self) -> Vec<u32> {
        self.attrs.list.iter().map(|(_, d)| d.error).collect()
    }

    fn same_destination(&self, m: &Message, dest: Dest) -> bool {
        match dest {
            Dest::E164(n) => m.is_e164() && Store::dest_digits(m) == Some(n),
            Dest::Text(t) => !m.is_e164() && self.str(m.national as Sym) == Some(t),
        }
    }

    /// When the row's status was observed.
    pub fn status_ts(&self, m: &Message) -> Option<i64> {
        self.status_ts.get(m.idx, m.ts).or(m.ts_opt())
    }

    /// Merge a later record of a message already stored: the more final status wins (ties go to
    /// the later event), fields the row lacks are filled, parts add their cost once each.
    fn fold(&mut self, row: u32, inc: &Incoming) {
        let new_part = inc.part.map(|(p, _)| 1u64 << p.min(63));
        let seen = self.parts.get(&row).copied();
        let mut m = self.rows[row as usize];
        let has_cost = m.bits & bits::HAS_COST != 0;
        match (new_part, seen) {
            (Some(bit), Some(mask)) if mask & bit == 0 => {
                if let Some(c) = inc.cost {
                    m.cost = if has_cost { m.cost + c } else { c };
                    m.bits |= bits::HAS_COST;
                }
                self.parts.insert(row, mask | bit);
            }
            _ => {
                if !has_cost && let Some(c) = inc.cost {
                    m.cost = c;
                    m.bits |= bits::HAS_COST;
                }
            }
        }
        let (mut a, new) = (*self.attrs_at(m.attrs), *self.attrs_at(inc.attrs));
        let old_status_ts = self.status_ts(&m);
        // By rank, then by when the status was observed, then by the status itself (a fixed
        // order, so two files that disagree at the same instant fold alike in either order);
        // never by which file came last.
        let new_key = (inc.status.rank(), inc.status_ts.or(inc.ts).unwrap_or(i64::MIN), inc.status);
        let old_key = (m.status.rank(), old_status_ts.unwrap_or(i64::MIN), m.status);
        let mut status_ts = old_status_ts;
        if inc.status != Status::Unknown && new_key >= old_key {
            let newer = new_key > old_key;
            let m_status_before = m.status;
            m.status = inc.status;
            status_ts = inc.status_ts.or(inc.ts).or(old_status_ts);
            if inc.status != m_status_before {
                // Another status: its raw text and error code come with it (none if it has none).
                a.status_raw = new.status_raw;
                a.error_code = new.error_code;
            } else {
                // The same status again: fill what is missing; at one instant the smaller text
                // wins, again whatever the file order.
                let wins = |s: &Store, n: Sym, o: Sym| n != 0 && (newer || o == 0 || s.str(n) < s.str(o));
                if wins(self, new.status_raw, a.status_raw) {
                    a.status_raw = new.status_raw;
                }
                if wins(self, new.error_code, a.error_code) {
                    a.error_code = new.error_code;
                }
            }
        }
        match (m.ts_opt(), inc.ts) {
            (Some(x), Some(y)) => m.ts = x.min(y),
            (None, Some(y)) => {
                m.ts = y;
                m.bits |= bits::HAS_TS;
            }
            _ => {}
        }
        let differs = status_ts.filter(|&s| m.ts_opt() != Some(s));
        self.status_ts.set(row, m.ts, differs, self.rows.capacity());
        for (slot, v) in [
            (&mut a.account, new.account),
            (&mut a.sender, new.sender),
            (&mut a.mcc, new.mcc),
            (&mut a.mnc, new.mnc),
            (&mut a.carrier, new.carrier),
            (&mut a.currency, new.currency),
            (&mut a.body_template, new.body_template),
        ] {
            if *slot == 0 {
                *slot = v;
            }
        }
        a.segments = a.segments.or(new.segments);
        a.sms_type = a.sms_type.or(new.sms_type);
        if m.country().is_none() {
            m.set_country(inc.country_hint);
        }
        m.set_converted(match (m.converted(), inc.converted) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (x, y) => x.or(y),
        });
        m.attrs = self.intern_attrs(a);
        self.derive(&mut m);
        self.rows[row as usize] = m;
    }

    /// All the digits of an E.164 destination.
    pub fn dest_digits(m: &Message) -> Option<u64> {
        if !m.is_e164() {
            None
        } else if m.nlen > 0 {
            Some(u64::from(m.calling_code) * pow10(u32::from(m.nlen)) + m.national)
        } else {
            Some(m.national)
        }
    }

    /// The destination as text: `+` and the digits for E.164, else as it was read.
    pub fn destination(&self, m: &Message) -> String {
        match Store::dest_digits(m) {
            Some(n) => format!("+{n}"),
            None => self.str(m.national as Sym).unwrap_or("").to_string(),
        }
    }

    pub fn message_id(&self, m: &Message) -> Option<String> {
        self.ids.get(m.idx)
    }

    /// The price as read (also when a scan set it aside).
    pub fn raw_cost(&self, m: &Message) -> Option<f64> {
        let aside = if self.set_aside.is_empty() { None } else { self.set_aside.get(&m.idx).copied() };
        aside.or((m.bits & bits::HAS_COST != 0).then_some(m.cost))
    }

    /// Take a row's price out of sums (a currency other than the one summed); [`Store::raw_cost`]
    /// still gives it.
    pub fn set_aside_cost(&mut self, row: u32) {
        let m = &mut self.rows[row as usize];
        if m.bits & bits::HAS_COST != 0 && !self.set_aside.contains_key(&row) {
            self.set_aside.insert(row, m.cost);
            m.cost = 0.0;
        }
    }

    pub fn is_set_aside(&self, row: u32) -> bool {
        self.set_aside.contains_key(&row)
    }

    /// The row spelled out (see [`View`]).
    pub fn view(&self, m: &Message) -> View {
        let a = *self.attrs(m);
        View {
            id: self.message_id(m),
            destination: self.destination(m),
            ts: m.ts_opt(),
            status_ts: self.status_ts(m),
            cost: self.raw_cost(m),
            calling_code: (m.calling_code != 0).then_some(m.calling_code),
            country: m.country(),
            status: m.status,
            number_type: m.number_type,
            converted: m.converted(),
            provider: a.provider(),
            attrs: a,
        }
    }

    /// Try to make room for `n` more rows (and their ids) without regrowing; when the memory
    /// cannot be had, storage grows as rows come instead.
    pub fn reserve(&mut self, n: usize) {
        if self.rows.try_reserve(n).is_ok() {
            self.ids.reserve(n);
        }
    }

    /// [`Store::reserve`] without the id index: for a load that either defers folding by id
    /// ([`Store::defer_ids`]) or reserves the index itself ([`Ids::reserve_index`]).
    /// Exactly `n` (not grown by doubling, as a later input's reservation would be): the readers
    /// reserve the id index for the room there is.
    pub fn reserve_rows(&mut self, n: usize) {
        if self.rows.try_reserve_exact(n).is_ok() {
            self.ids.reserve_columns(n);
        }
    }

    /// Nothing stored yet: no rows, strings or attrs.
    pub fn is_pristine(&self) -> bool {
        self.rows.is_empty() && self.strings.is_empty() && self.attrs.list.is_empty() && self.ids.is_empty()
    }

    /// Store every record from now on as a row of its own, its id unchecked, for
    /// [`Store::end_deferred`] to check afterwards that no id repeats: a load of a file whose
    /// ids are all distinct (a Console export) then never probes the id index, a table far
    /// larger than the caches at 100M rows. Only on a pristine store ([`Store::is_pristine`]),
    /// and only by a reader that can read its input again ([`Store::restart`]) when ids repeat.
    /// `n`: the ids expected.
    pub fn defer_ids(&mut self, n: usize) {
        self.deferred = Some(ids::IdHashes::with_capacity(n));
    }

    /// Whether folding by id is deferred ([`Store::defer_ids`]) and not yet ended.
    pub fn is_deferring(&self) -> bool {
        self.deferred.is_some()
    }

    /// The end of a deferred load: whether any id was stored twice (the load must then be done
    /// again without deferring: the rows are not folded).
    pub fn end_deferred(&mut self) -> bool {
        self.deferred.take().is_some_and(|mut hashes| self.ids.repeats(&mut hashes))
    }

    /// Back to pristine, keeping the id hasher (parsers hash ids with it) and room for as many
    /// rows as before.
    pub fn restart(&mut self) {
        let (hasher, room) = (self.ids.hasher(), self.rows.capacity());
        *self = Store { ids: Ids::with_hasher(hasher), ..Store::default() };
        self.reserve_rows(room);
    }

    pub fn str(&self, s: Sym) -> Option<&str> {
        self.strings.get(s)
    }
}

/// Fill a new row's phone fields from its class: its E.164 destination (`len` digits, in
/// `national`), when its calling code is known, is split into calling code and national number.
/// The number's own country wins over a hint.
fn apply_phone(m: &mut Message, info: PhoneInfo, len: u8) {
    m.number_type = info.number_type;
    m.set_country(info.country.or(m.country()));
    if let Some(cc) = info.calling_code {
        let cc_len = digits(u64::from(cc));
        if len > cc_len {
            let nlen = len - cc_len;
            m.calling_code = cc;
            m.national %= pow10(u32::from(nlen));
            m.nlen = nlen;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digit_counts_and_powers() {
        assert_eq!(digits(0), 1);
        assert_eq!(digits(9), 1);
        assert_eq!(digits(10), 2);
        assert_eq!(digits(447_400_123_456), 12);
        assert_eq!(digits(u64::MAX), 20);
        assert_eq!(pow10(3), 1000);
    }

    #[test]
    fn a_row_is_48_bytes() {
        assert_eq!(std::mem::size_of::<Message>(), 40);
    }

    #[test]
    fn destinations_round_trip_with_leading_zeros() {
        let mut s = Store::new();
        let a = s.intern_attrs(Attrs::new(InputFormat::TwilioConsoleCsv, 0));
        for dest in [Dest::E164(390_612_345_678), Dest::Text("abc"), Dest::E164(99_912), Dest::E164(447_400_123_456)] {
            let inc = Incoming {
                ts: Some(1),
                status_ts: None,
                dest,
                country_hint: None,
                status: Status::Sent,
                cost: None,
                converted: None,
                part: None,
                attrs: a,
            };
            s.push(&inc, None);
        }
        let got: Vec<String> = s.rows.iter().map(|m| s.destination(m)).collect();
        assert_eq!(got, ["+390612345678", "abc", "+99912", "+447400123456"]);
        assert_eq!((s.rows[0].calling_code, s.rows[0].national, s.rows[0].nlen), (39, 612_345_678, 10));
        assert_eq!(s.rows[3].country_opt(), Some("GB"));
        assert_eq!((s.rows[3].calling_code, s.rows[3].national, s.rows[3].nlen), (44, 7_400_123_456, 10));
    }
}
