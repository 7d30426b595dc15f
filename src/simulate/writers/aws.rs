//! AWS exports: SNS delivery-status log records, the SNS daily usage report, End User Messaging
//! SMS v2 events.

use super::{SimFormat, View};
use crate::schema::Status;
use crate::simulate::model::{Kind, SimMessage};
use crate::timeparse::{civil, iso};
use serde_json::json;
use std::io::{self, Write};

fn sns_time(ms: i64) -> String {
    let c = civil(ms);
    format!("{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}", c.year, c.month, c.day, c.hour, c.minute, c.second, c.milli)
}

fn sms_type(m: &SimMessage) -> &'static str {
    if m.kind == Kind::Otp { "Transactional" } else { "Promotional" }
}

/// `DirectPublishToPhoneNumber[/Failure]` records, one JSON object per line.
pub fn sns_delivery_logs(view: &View, msgs: &[SimMessage], w: &mut dyn Write) -> io::Result<()> {
    for (n, m) in msgs.iter().enumerate() {
        let ok = matches!(m.status, Status::Delivered | Status::Sent);
        let rec = json!({
            "notification": {"messageId": SimFormat::SnsDeliveryLogs.message_id(view.seed, n), "timestamp": sns_time(m.ts)},
            "delivery": {
                "numberOfMessageParts": m.segments,
                "destination": view.e164(m),
                "priceInUSD": view.cost(m),
                "smsType": sms_type(m),
                "providerResponse": view.aws_response(m),
                "dwellTimeMs": 100 + n % 400,
                "dwellTimeMsUntilDeviceAck": 300 + n % 900,
            },
            "status": if ok { "SUCCESS" } else { "FAILURE" },
        });
        serde_json::to_writer(&mut *w, &rec)?;
        writeln!(w)?;
    }
    Ok(())
}

/// The S3 usage report: one row per message part, numbers without `+`.
pub fn sns_usage_report(view: &View, msgs: &[SimMessage], w: &mut dyn Write) -> io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record([
        "PublishTimeUTC",
        "MessageId",
        "DestinationPhoneNumber",
        "MessageType",
        "DeliveryStatus",
        "PriceInUSD",
        "PartNumber",
        "TotalParts",
    ])?;
    for (n, m) in msgs.iter().enumerate() {
        let id = SimFormat::SnsUsageReport.message_id(view.seed, n);
        let part_price = view.cost(m) / f64::from(m.segments.max(1));
        for part in 1..=m.segments.max(1) {
            out.write_record([
                iso(m.ts, true).as_str(),
                &id,
                &m.to.to_string(),
                sms_type(m),
                view.aws_response(m),
                &format!("{part_price:.5}"),
                &part.to_string(),
                &m.segments.max(1).to_string(),
            ])?;
        }
    }
    out.flush()
}

/// End User Messaging SMS events, one per line: a delivered message reports TEXT_SUCCESSFUL
/// (not final) then TEXT_DELIVERED; others one final event.
pub fn eum_events(view: &View, msgs: &[SimMessage], w: &mut dyn Write) -> io::Result<()> {
    for (n, m) in msgs.iter().enumerate() {
        let id = SimFormat::EumEvents.message_id(view.seed, n);
        let fee = if view.cost(m) > 0.0 { 0.001 * f64::from(m.segments) } else { 0.0 };
        let events: &[(&str, &str, bool)] = match m.status {
            Status::Delivered | Status::Sent | Status::Queued | Status::Unknown => {
                &[("TEXT_SUCCESSFUL", "SUCCESSFUL", false), ("TEXT_DELIVERED", "DELIVERED", true)]
            }
            Status::Undelivered => &[("TEXT_CARRIER_UNREACHABLE", "CARRIER_UNREACHABLE", true)],
            Status::Failed => &[("TEXT_UNREACHABLE", "UNREACHABLE", true)],
            // The simulator's blocks are a provider's pumping protection (Twilio 30450): on
            // End User Messaging, a protect configuration's.
            Status::Blocked => &[("TEXT_PROTECT_BLOCKED", "PROTECT_BLOCKED", true)],
        };
        for (i, (event, status, fin)) in events.iter().enumerate() {
            let rec = json!({
                "eventType": event,
                "eventVersion": "1.0",
                "eventTimestamp": m.ts + 800 + 2000 * i as i64,
                "isFinal": fin,
                "originationPhoneNumber": if m.kind == Kind::Otp { "ACMEOTP" } else { "ACMESHOP" },
                "destinationPhoneNumber": view.e164(m),
                "isoCountryCode": view.iso_country(m),
                "messageId": id,
                "messageRequestTimestamp": m.ts,
                "messageEncoding": "GSM",
                "messageType": sms_type(m).to_ascii_uppercase(),
                "messageStatus": status,
                "messageStatusDescription": view.aws_response(m),
                "totalMessageParts": m.segments,
                "totalMessagePrice": ((view.cost(m) - fee) * 1e6).round() / 1e6,
                "totalCarrierFee": fee,
            });
            serde_json::to_writer(&mut *w, &rec)?;
            writeln!(w)?;
        }
    }
    Ok(())
}
