//! AWS SNS SMS delivery-status log records (`DirectPublishToPhoneNumber[/Failure]`). Timestamps
//! like `2016-06-28 00:40:34.558` are UTC; `priceInUSD` is positive; mcc/mnc are numbers (0 when
//! unknown).

use crate::ingest::json_value::Json;
use crate::ingest::record::{Draft, Parsed, Skip, cost_number, segments_field, ts_field};
use crate::ingest::value::{number, text, text_ref};
use crate::schema::SmsType;
use crate::status;

pub fn parse<'a, J: Json<'a>>(v: J) -> Parsed {
    // The two objects found once, their fields read in them: a dotted path a field had looked
    // `delivery` up again each time (path and key comparisons were a fifth of SNS's samples).
    let (Some(n), Some(d)) = (v.get("notification"), v.get("delivery")) else {
        return Err(Skip::new("record is not an SNS delivery log"));
    };
    let destination = text(d, "destination").ok_or_else(|| Skip::missing("delivery.destination"))?;
    let outcome = text_ref(v, "status").or_else(|| text_ref(d, "deliveryStatus"));
    let failure = outcome.as_deref().map(|s| s.eq_ignore_ascii_case("failure"));
    let response = text_ref(d, "providerResponse");
    let status = match &response {
        Some(r) => status::aws_text(r, failure),
        None => status::aws_text(outcome.as_deref().unwrap_or(""), failure),
    };
    let price = number(d, "priceInUSD").map_err(|_| Skip::field("delivery.priceInUSD", "is not a price"))?;
    let nonzero = |p: &str| text_ref(d, p).filter(|s| s != "0").map(|s| s.into_owned());
    // Fields only looked at are read in place (`text_ref`), not copied.
    let ts = ts_field("notification.timestamp", text_ref(n, "timestamp").as_deref())?;
    Ok(Draft {
        message_id: text(n, "messageId"),
        ts,
        status_ts: ts,
        destination,
        status,
        status_raw: response.or(outcome).map(|s| s.into_owned()),
        segments: segments_field("delivery.numberOfMessageParts", text_ref(d, "numberOfMessageParts").as_deref())?,
        cost: cost_number("delivery.priceInUSD", price)?,
        currency: Some("USD".into()),
        sms_type: text_ref(d, "smsType").as_deref().and_then(SmsType::parse),
        mcc: nonzero("mcc"),
        mnc: nonzero("mnc"),
        carrier: text(d, "phoneCarrier"),
        ..Draft::default()
    })
}
