//! Twilio Console "Messaging logs" CSV export. Columns are read by name (two header orders are
//! known); `SentDate` may be RFC 2822 or ISO 8601; `Price` negative or positive.
//!
//! The busiest format there is (a day of a large account is millions of rows), so it is read
//! by the parallel block reader ([`crate::ingest::blocks`]): records go straight from the
//! block's bytes into a [`Chunk`], with no string made for a field that is not new.

use super::twilio_message::is_inbound;
use crate::hash::Map;
use crate::ids::IdHasher;
use crate::ingest::chunk::{Chunk, Rec};
use crate::ingest::csv_reader::Header;
use crate::ingest::csv_split::{Next, Pos, Splitter};
use crate::ingest::record::{Skip, body_template_into, cost_field, same_but_digits, segments_field, ts_field_by};
use crate::ingest::stats::Loc;
use crate::ingest::{InputFormat, blocks::BlockParser};
use crate::phone::{Destination, clean_destination};
use crate::schema::Status;
use crate::status;
use crate::store::{Attrs, Sym};
use crate::timeparse::Days;
use std::borrow::Cow;

pub struct Columns {
    from: Option<usize>,
    to: usize,
    body: Option<usize>,
    status: Option<usize>,
    sent: Option<usize>,
    segments: Option<usize>,
    error: Option<usize>,
    account: Option<usize>,
    sid: Option<usize>,
    direction: Option<usize>,
    price: Option<usize>,
    unit: Option<usize>,
}

/// The header looks like a Console export.
pub fn matches(h: &Header) -> bool {
    h.find(&["To"]).is_some() && (h.find(&["SentDate", "DateSent"]).is_some() || h.find(&["Sid", "MessageSid"]).is_some())
}

pub fn columns(h: &Header) -> Result<Columns, String> {
    Ok(Columns {
        from: h.find(&["From"]),
        to: h.find(&["To"]).ok_or("no `To` column")?,
        body: h.find(&["Body"]),
        status: h.find(&["Status"]),
        sent: h.find(&["SentDate", "DateSent", "DateCreated"]),
        segments: h.find(&["NumSegments"]),
        error: h.find(&["ErrorCode"]),
        account: h.find(&["AccountSid"]),
        sid: h.find(&["Sid", "MessageSid"]),
        direction: h.find(&["Direction"]),
        price: h.find(&["Price"]),
        unit: h.find(&["PriceUnit"]),
    })
}

/// The block parser for Console exports.
pub struct Console {
    pub columns: Columns,
    /// `--default-currency`, for prices without a unit.
    pub default_currency: Option<String>,
    /// Work out body templates.
    pub templates: bool,
    /// The store's id hasher: ids are hashed here, ahead of the store.
    pub hasher: IdHasher,
}

/// `+` and 1-15 digits, no leading zero: what nearly every `To` is, read without cleaning.
fn plain_e164(s: &str) -> Option<u64> {
    let d = s.strip_prefix('+')?.as_bytes();
    if d.is_empty() || d.len() > 15 || d[0] == b'0' || !d.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(d.iter().fold(0u64, |n, &b| n * 10 + u64::from(b - b'0')))
}

/// What a record's low-cardinality columns (Direction, Status, ErrorCode, PriceUnit,
/// AccountSid, From, NumSegments) make of it. Together these take few distinct values (an
/// app sends from a handful of senders with a handful of statuses and codes), so a block works
/// each combination out once, keyed by the columns' raw bytes. The same bytes always give the
/// same shape, so the memo changes nothing but the time: the field reads, trims, status
/// parsing, three interner lookups and the attrs lookup of every record had been about a fifth
/// of the parsing time.
#[derive(Debug, Clone, Copy)]
struct Shape {
    inbound: bool,
    status: Status,
    segments: Option<u32>,
    /// The chunk's symbols.
    account: Sym,
    sender: Sym,
    status_raw: Sym,
    error_code: Sym,
    /// The price unit's symbol, when the record has one.
    unit: Option<Sym>,
    /// The last body template's symbol (0 with templates off) and the chunk's attrs index it
    /// gave, by whether the record has a price: a record's attrs are its shape's, its price's
    /// presence and its template (with templates on, a hash of the attrs a record had been 2 %
    /// of `export`).
    attrs: [Option<(Sym, u32)>; 2],
}

impl Shape {
    const INBOUND: Shape = Shape {
        inbound: true,
        status: Status::Unknown,
        segments: None,
        account: 0,
        sender: 0,
        status_raw: 0,
        error_code: 0,
        unit: None,
        attrs: [None; 2],
    };
}

/// A block's shapes, by the raw bytes of the shape's columns.
struct Shapes {
    /// Shapes remembered at most: an input whose shape columns rarely repeat (a sender a row,
    /// say) costs a lookup a record, not memory without bound.
    max: usize,
    /// The current record's key.
    key: Vec<u8>,
    index: Map<Box<[u8]>, u32>,
    list: Vec<Shape>,
    /// The last key found or added and its shape: consecutive records often share one.
    last_key: Vec<u8>,
    last: Option<u32>,
}

impl Default for Shapes {
    fn default() -> Shapes {
        Shapes::with_max(4096)
    }
}

impl Shapes {
    fn with_max(max: usize) -> Shapes {
        Shapes { max, key: Vec::new(), index: Map::default(), list: Vec::new(), last_key: Vec::new(), last: None }
    }

    /// The shape of the record's key (`cols`, in order), if known.
    fn find(&mut self, s: &Splitter, cols: &[Option<usize>; 7]) -> Option<u32> {
        self.key.clear();
        for &col in cols {
            match col.and_then(|i| s.raw(i)) {
                // Length-prefixed, so that no two column tuples share a key.
                Some(b) => {
                    self.key.extend_from_slice(&(b.len() as u32).to_le_bytes());
                    self.key.extend_from_slice(b);
                }
                None => self.key.extend_from_slice(&u32::MAX.to_le_bytes()),
            }
        }
        if self.last.is_some() && self.key == self.last_key {
            return self.last;
        }
        let found = self.index.get(&self.key[..]).copied();
        if found.is_some() {
            self.remember(found);
        }
        found
    }

    fn remember(&mut self, shape: Option<u32>) {
        self.last_key.clear();
        self.last_key.extend_from_slice(&self.key);
        self.last = shape;
    }

    /// Add the shape of the key last looked up; its index (none when the memo is full).
    fn add(&mut self, shape: Shape) -> Option<u32> {
        if self.list.len() >= self.max {
            return None;
        }
        let i = self.list.len() as u32;
        self.list.push(shape);
        self.index.insert(self.key.clone().into_boxed_slice(), i);
        self.remember(Some(i));
        Some(i)
    }
}

/// The last body template a block interned ([`Block::last_template`]).
struct LastTemplate {
    body: Vec<u8>,
    template: String,
    sym: Sym,
}

/// What a parser remembers within a block.
#[derive(Default)]
struct Block {
    shapes: Shapes,
    days: Days,
    /// A body template's buffer.
    template: String,
    /// The last template interned, its symbol, and a body it came from: an export's bodies are
    /// mostly one or two kinds, so a record's template is most often the one before it. A body
    /// that differs from that one only in its digits ([`same_but_digits`]) is not templated at
    /// all, and another template is compared with the last, not hashed.
    last_template: Option<LastTemplate>,
}

impl Console {
    /// The columns of a [`Shape`], in key order.
    fn shape_columns(&self) -> [Option<usize>; 7] {
        let c = &self.columns;
        [c.direction, c.status, c.error, c.unit, c.account, c.from, c.segments]
    }

    fn record(&self, s: &Splitter, ch: &mut Chunk, block: &mut Block) -> Result<Rec, Skip> {
        let c = &self.columns;
        let hit = block.shapes.find(s, &self.shape_columns());
        let known = hit.and_then(|i| block.shapes.list.get(i as usize).copied());
        let inbound = match known {
            Some(shape) => shape.inbound,
            None => {
                let inbound = is_inbound(s.field(c.direction).as_deref(), s.field(c.status).as_deref());
                if inbound {
                    block.shapes.add(Shape::INBOUND);
                }
                inbound
            }
        };
        if inbound {
            return Err(Skip::new("inbound message (not a send)"));
        }
        let destination = s.field(Some(c.to)).ok_or_else(|| Skip::missing("To"))?;
        let ts = ts_field_by("SentDate", s.field(c.sent).as_deref(), |t| block.days.parse(t))?;
        let segments = match known {
            Some(shape) => shape.segments,
            None => segments_field("NumSegments", s.field(c.segments).as_deref())?,
        };
        let cost = cost_field("Price", s.field(c.price).as_deref())?;
        let (dest, dest_text) = match plain_e164(&destination) {
            Some(n) => (n, false),
            None => match clean_destination(&destination, true) {
                Destination::E164(t) => match t[1..].parse::<u64>() {
                    Ok(n) => (n, false),
                    Err(_) => (u64::from(ch.strings.intern(Some(&t))), true),
                },
                Destination::Unreadable(t) => (u64::from(ch.strings.intern(Some(&t))), true),
                Destination::OtherChannel(scheme) => {
                    return Err(Skip::field("destination", "is not an SMS address").with_value(&scheme));
                }
            },
        };
        let body_template = match if self.templates { s.field(c.body) } else { None } {
            Some(b) => match &mut block.last_template {
                Some(last) if same_but_digits(&last.body, b.as_bytes()) => last.sym,
                last => {
                    body_template_into(&b, &mut block.template);
                    let last = last.get_or_insert_with(|| LastTemplate { body: Vec::new(), template: String::new(), sym: 0 });
                    if last.template != block.template || last.sym == 0 {
                        last.sym = ch.strings.intern(Some(&block.template));
                        last.template.clone_from(&block.template);
                    }
                    last.body.clear();
                    last.body.extend_from_slice(b.as_bytes());
                    last.sym
                }
            },
            None => 0,
        };
        // A new shape's strings are interned here, in the order they always were (the store's
        // symbols follow the order strings are first seen).
        let (shape, at) = match known {
            Some(shape) => (shape, hit),
            None => {
                let status_raw = s.field(c.status);
                let error_code = s.field(c.error).filter(|e| e != "0");
                let unit =
                    s.field(c.unit).map(|u| if u.bytes().any(|b| b.is_ascii_lowercase()) { Cow::Owned(u.to_ascii_uppercase()) } else { u });
                let shape = Shape {
                    inbound: false,
                    status: status::twilio(status_raw.as_deref().unwrap_or(""), error_code.as_deref()),
                    segments,
                    account: ch.strings.intern(s.field(c.account).as_deref()),
                    sender: ch.strings.intern(s.field(c.from).as_deref()),
                    status_raw: ch.strings.intern(status_raw.as_deref()),
                    error_code: ch.strings.intern(error_code.as_deref()),
                    unit: unit.as_deref().map(|u| ch.strings.intern(Some(u))),
                    attrs: [None; 2],
                };
                (shape, block.shapes.add(shape))
            }
        };
        let currency = match shape.unit {
            Some(unit) => unit,
            None if cost.is_some() => ch.strings.intern(self.default_currency.as_deref()),
            None => 0,
        };
        let priced = usize::from(cost.is_some());
        let cached = at.and(shape.attrs[priced]).filter(|&(t, _)| t == body_template);
        let attrs = match cached {
            Some((_, i)) => i,
            None => {
                let i = ch.attrs(Attrs {
                    account: shape.account,
                    sender: shape.sender,
                    status_raw: shape.status_raw,
                    error_code: shape.error_code,
                    currency,
                    body_template,
                    segments: shape.segments,
                    ..Attrs::new(InputFormat::TwilioConsoleCsv, 0)
                });
                if let Some(known) = at.and_then(|at| block.shapes.list.get_mut(at as usize)) {
                    known.attrs[priced] = Some((body_template, i));
                }
                i
            }
        };
        let id = ch.id(s.field(c.sid).as_deref(), &self.hasher);
        Ok(Rec { ts, cost, ..Rec::new((dest, dest_text), id, attrs, shape.status) })
    }
}

impl BlockParser for Console {
    fn parse(&self, block: &[u8], at: Pos, eof: bool, ch: &mut Chunk) -> Option<(usize, Pos)> {
        let mut s = Splitter::new(block, at, eof);
        let mut state = Block::default();
        ch.recs.reserve(block.len() / 160);
        loop {
            match s.next_record() {
                Next::Record(line) => match self.record(&s, ch, &mut state) {
                    Ok(r) => ch.recs.push(r),
                    Err(skip) => ch.skips.push((Loc::Line(line), skip)),
                },
                Next::End => return None,
                Next::Incomplete { at, pos } => return Some((at, pos)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::stats::{Emitter, InputStats};
    use crate::ingest::{IngestOptions, csv_reader::Header};
    use crate::store::Store;
    use rand::{RngExt, SeedableRng};

    /// Rows whose shape columns come from small sets (so shapes repeat), with every case that
    /// changes a shape's outcome: inbound by direction or by status, statuses in other cases
    /// and with spaces, error code 0, block codes, lowercase and missing units, prices present,
    /// missing and bad, bad segment counts, missing destinations.
    fn export(rows: usize, seed: u64) -> Vec<u8> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut pick = |xs: &[&'static str]| xs[rng.random_range(0..xs.len())];
        let mut out = String::from("From,To,Body,Status,SentDate,NumSegments,ErrorCode,AccountSid,Sid,Direction,Price,PriceUnit\n");
        for i in 0..rows {
            let from = pick(&["+12015550100", "Acme"]);
            let to = pick(&["+447400100200", "+447400100201", "", "whatsapp:+447400100200", "0044 7400 100200"]);
            let status = pick(&["delivered", " Undelivered ", "failed", "received"]);
            let segments = pick(&["1", "", "x"]);
            let error = pick(&["", "0", "30007", "21610"]);
            let account = "AC00000000000000000000000000000001";
            let direction = pick(&["outbound-api", "inbound", ""]);
            let price = pick(&["-0.05", "", "0.0079", "n/a"]);
            let unit = pick(&["USD", "usd", ""]);
            // Bodies of a few kinds, mostly the same as the record before's.
            // ("cade": as long as "code", another template.)
            let body = match pick(&["long", "none", "first", "other", "short", "short", "short", "short"]) {
                "long" => format!("Your code is {i}. Valid 10 min"),
                "none" => String::new(),
                "first" => format!("{i} is your code"),
                "other" => format!("cade {i}"),
                _ => format!("code {i}"),
            };
            out.push_str(&format!(
                "{from},{to},{body},{status},\"Fri, 01 Mar 2024 00:00:02 +0000\",{segments},{error},{account},SM{i:032x},{direction},{price},{unit}\n"
            ));
        }
        out.into_bytes()
    }

    /// The export's rows and skips, read with a memo of at most `max` shapes (with body
    /// templates when `templates`); with none, each record read with nothing remembered.
    fn read(bytes: &[u8], max: usize, templates: bool) -> (Vec<String>, String) {
        let (mut store, mut stats, opts) = (Store::new(), InputStats::new("export.csv".into()), IngestOptions::default());
        let mut s = Splitter::new(bytes, Pos::START, true);
        assert!(matches!(s.next_record(), Next::Record(_)));
        let console = Console {
            columns: columns(&Header::new(&s.record())).expect("a Console header"),
            default_currency: Some("GBP".into()),
            templates,
            hasher: store.ids.hasher(),
        };
        let mut chunk = Chunk::default();
        let mut block = Block { shapes: Shapes::with_max(max), ..Block::default() };
        while let Next::Record(line) = s.next_record() {
            // Without a memo, nothing remembered from one record to the next: no shape and no
            // template (the baseline the memos must read as).
            if max == 0 {
                block = Block { shapes: Shapes::with_max(0), ..Block::default() };
            }
            match console.record(&s, &mut chunk, &mut block) {
                Ok(r) => chunk.recs.push(r),
                Err(skip) => chunk.skips.push((Loc::Line(line), skip)),
            }
        }
        if max > 0 {
            let n = block.shapes.list.len();
            assert!(n < 1_000, "shapes repeat: {n} shapes for 6,000 rows");
        }
        let mut em = Emitter { format: InputFormat::TwilioConsoleCsv, file: 0, stats: &mut stats, store: &mut store, opts: &opts };
        chunk.merge(&mut em).expect("merges");
        // Each row with its attrs (their symbols too: strings are interned in the same order)
        // and its template's text.
        let row = |m| format!("{:?} {:?} {:?}", store.view(m), store.attrs(m), store.str(store.attrs(m).body_template));
        (store.rows.iter().map(row).collect(), format!("{:?}", stats.skipped))
    }

    #[test]
    fn shapes_read_as_records_read_one_by_one() {
        for (seed, templates) in [(0, false), (1, false), (2, true), (3, true)] {
            let bytes = export(6_000, seed);
            let (rows, skips) = read(&bytes, 0, templates);
            assert!(rows.len() > 500, "{} rows", rows.len());
            for reason in ["inbound", "To is missing", "not an SMS address", "not a segment count", "not a price"] {
                assert!(skips.contains(reason), "seed {seed}: no row skipped as {reason:?}");
            }
            // With templates, the rows carry them (each kind), and the last one's attrs are
            // reused only for the same template.
            for t in ["Your code is #. Valid # min", "# is your code", "code #", "cade #"] {
                assert_eq!(rows.iter().any(|r| r.contains(&format!("{t:?}"))), templates, "seed {seed}: {t}");
            }
            assert_eq!(read(&bytes, 4096, templates), (rows.clone(), skips.clone()), "seed {seed}");
            // A memo that fills up part way reads the same.
            assert_eq!(read(&bytes, 5, templates), (rows, skips), "seed {seed}, a full memo");
        }
    }
}
