//! AWS SNS daily SMS usage report (S3 CSV): one row per message part, numbers without `+`,
//! `DeliveryStatus` is the provider's text. Parts fold into one message per `MessageId` in the
//! store (cost added once per part number).

use crate::ingest::csv_reader::{Header, Row};
use crate::ingest::record::{Draft, Parsed, Skip, cost_field, segments_field, ts_field};
use crate::schema::SmsType;
use crate::status;

pub struct Columns {
    ts: usize,
    id: usize,
    to: usize,
    kind: Option<usize>,
    status: Option<usize>,
    price: Option<usize>,
    part: Option<usize>,
    total: Option<usize>,
}

pub fn matches(h: &Header) -> bool {
    h.find(&["PublishTimeUTC"]).is_some() && h.find(&["DestinationPhoneNumber"]).is_some()
}

pub fn columns(h: &Header) -> Result<Columns, String> {
    Ok(Columns {
        ts: h.find(&["PublishTimeUTC"]).ok_or("no `PublishTimeUTC` column")?,
        id: h.find(&["MessageId"]).ok_or("no `MessageId` column")?,
        to: h.find(&["DestinationPhoneNumber"]).ok_or("no `DestinationPhoneNumber` column")?,
        kind: h.find(&["MessageType"]),
        status: h.find(&["DeliveryStatus"]),
        price: h.find(&["PriceInUSD"]),
        part: h.find(&["PartNumber"]),
        total: h.find(&["TotalParts"]),
    })
}

pub fn parse(c: &Columns, r: &Row) -> Parsed {
    let destination = r.get(Some(c.to)).ok_or_else(|| Skip::missing("DestinationPhoneNumber"))?;
    let ts = ts_field("PublishTimeUTC", r.get(Some(c.ts)).as_deref())?;
    let status_raw = r.get(c.status);
    let part = segments_field("PartNumber", r.get(c.part).as_deref())?;
    let total = segments_field("TotalParts", r.get(c.total).as_deref())?;
    Ok(Draft {
        message_id: Some(r.get(Some(c.id)).ok_or_else(|| Skip::missing("MessageId"))?),
        ts,
        status_ts: ts,
        destination,
        status: status::aws_text(status_raw.as_deref().unwrap_or(""), None),
        status_raw,
        cost: cost_field("PriceInUSD", r.get(c.price).as_deref())?,
        currency: Some("USD".into()),
        sms_type: r.get(c.kind).as_deref().and_then(SmsType::parse),
        part: Some((part.unwrap_or(0), total.unwrap_or(1).max(1))),
        ..Draft::default()
    })
}
