//! Twilio Console "Messaging logs" CSV export. Columns are read by name (two header orders are
//! known); `SentDate` may be RFC 2822 or ISO 8601; `Price` negative or positive.
//!
//! The busiest format there is (a day of a large account is millions of rows), so it is read
//! by the parallel block reader ([`crate::ingest::blocks`]): records go straight from the
//! block's bytes into a [`Chunk`], with no string made for a field that is not new.

use super::twilio_message::is_inbound;
use crate::ids::IdHasher;
use crate::ingest::chunk::{Chunk, Rec};
use crate::ingest::csv_reader::Header;
use crate::ingest::csv_split::{Next, Pos, Splitter};
use crate::ingest::record::{Skip, body_template_into, cost_field, segments_field, ts_field};
use crate::ingest::stats::Loc;
use crate::ingest::{InputFormat, blocks::BlockParser};
use crate::phone::{Destination, clean_destination};
use crate::status;
use crate::store::Attrs;
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

impl Console {
    fn record(&self, s: &Splitter, ch: &mut Chunk, template: &mut String) -> Result<Rec, Skip> {
        let c = &self.columns;
        let status_raw = s.field(c.status);
        if is_inbound(s.field(c.direction).as_deref(), status_raw.as_deref()) {
            return Err(Skip::new("inbound message (not a send)"));
        }
        let destination = s.field(Some(c.to)).ok_or_else(|| Skip::missing("To"))?;
        let error_code = s.field(c.error).filter(|e| e != "0");
        let ts = ts_field("SentDate", s.field(c.sent).as_deref())?;
        let segments = segments_field("NumSegments", s.field(c.segments).as_deref())?;
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
        let unit = s.field(c.unit).map(|u| if u.bytes().any(|b| b.is_ascii_lowercase()) { Cow::Owned(u.to_ascii_uppercase()) } else { u });
        let currency = unit.as_deref().or(if cost.is_some() { self.default_currency.as_deref() } else { None });
        let body_template = match if self.templates { s.field(c.body) } else { None } {
            Some(b) => {
                body_template_into(&b, template);
                ch.strings.intern(Some(template))
            }
            None => 0,
        };
        let a = Attrs {
            account: ch.intern_repeating(0, c.account.and_then(|i| s.raw(i)), || s.field(c.account)),
            sender: ch.intern_repeating(1, c.from.and_then(|i| s.raw(i)), || s.field(c.from)),
            status_raw: ch.strings.intern(status_raw.as_deref()),
            error_code: ch.strings.intern(error_code.as_deref()),
            currency: ch.strings.intern(currency),
            body_template,
            segments,
            ..Attrs::new(InputFormat::TwilioConsoleCsv, 0)
        };
        let (id, has_id, id_text, id_hash) = ch.id(s.field(c.sid).as_deref(), &self.hasher);
        Ok(Rec {
            ts,
            status_ts: None,
            cost,
            dest,
            dest_text,
            id,
            has_id,
            id_text,
            id_hash,
            attrs: ch.attrs(a),
            status: status::twilio(status_raw.as_deref().unwrap_or(""), error_code.as_deref()),
            converted: None,
            country_hint: None,
            part: None,
        })
    }
}

impl BlockParser for Console {
    fn parse(&self, block: &[u8], at: Pos, eof: bool, ch: &mut Chunk) -> Option<(usize, Pos)> {
        let mut s = Splitter::new(block, at, eof);
        let mut template = String::with_capacity(160);
        ch.recs.reserve(block.len() / 160);
        loop {
            match s.next_record() {
                Next::Record(line) => match self.record(&s, ch, &mut template) {
                    Ok(r) => ch.recs.push(r),
                    Err(skip) => ch.skips.push((Loc::Line(line), skip)),
                },
                Next::End => return None,
                Next::Incomplete { at, pos } => return Some((at, pos)),
            }
        }
    }
}
