//! Twilio exports: Console CSV, Messages API list pages, BulkExport day lines (gzip), Verify
//! Attempts pages.

use super::{SimFormat, View};
use crate::simulate::model::SimMessage;
use crate::timeparse::{iso, rfc2822};
use serde_json::{Value, json};
use std::io::{self, Write};

const PAGE: usize = 1000;

fn price_text(view: &View, m: &SimMessage, sign: f64) -> String {
    format!("{:.5}", sign * view.cost(m))
}

fn error(m: &SimMessage) -> Option<u16> {
    (m.error != 0).then_some(m.error)
}

/// The Console "Messaging logs" export, header in the observed order.
pub fn console_csv(view: &View, msgs: &[SimMessage], w: &mut dyn Write) -> io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record([
        "From",
        "To",
        "Body",
        "Status",
        "SentDate",
        "ApiVersion",
        "NumSegments",
        "ErrorCode",
        "AccountSid",
        "Sid",
        "Direction",
        "Price",
        "PriceUnit",
    ])?;
    for (n, m) in msgs.iter().enumerate() {
        let err = error(m).map(|e| e.to_string()).unwrap_or_default();
        out.write_record([
            view.sender(m),
            &view.e164(m),
            &view.body(m, n),
            view.twilio_status(m),
            &rfc2822(m.ts),
            "2010-04-01",
            &m.segments.to_string(),
            &err,
            &view.account,
            &SimFormat::TwilioConsoleCsv.message_id(view.seed, n),
            "outbound-api",
            &price_text(view, m, -1.0),
            "USD",
        ])?;
    }
    out.flush()
}

fn message(view: &View, m: &SimMessage, n: usize, format: SimFormat) -> Value {
    let sid = format.message_id(view.seed, n);
    let rest = format == SimFormat::TwilioMessagesJson;
    let date = |ms: i64| if rest { rfc2822(ms) } else { iso(ms, false) };
    let mut v = json!({
        "account_sid": view.account,
        "body": view.body(m, n),
        "date_created": date(m.ts),
        "date_sent": date(m.ts),
        "date_updated": date(m.ts + 4000),
        "direction": "outbound-api",
        "error_code": error(m),
        "from": view.sender(m),
        "messaging_service_sid": null,
        "num_media": "0",
        "num_segments": m.segments.to_string(),
        "price": price_text(view, m, -1.0),
        "sid": sid,
        "status": view.twilio_status(m),
        "to": view.e164(m),
    });
    if rest {
        let uri = format!("/2010-04-01/Accounts/{}/Messages/{sid}", view.account);
        v["api_version"] = json!("2010-04-01");
        v["price_unit"] = json!("USD");
        v["error_message"] = json!(match m.error {
            0 => None,
            30003 => Some("Unreachable destination handset"),
            30005 => Some("Unknown destination handset"),
            30006 => Some("Landline or unreachable carrier"),
            30450 => Some("Message delivery blocked"),
            _ => Some("Unknown error"),
        });
        v["uri"] = json!(format!("{uri}.json"));
        v["subresource_uris"] = json!({"media": format!("{uri}/Media.json")});
        v["tags"] = json!({});
    }
    v
}

/// REST list pages of 1,000 messages, one page per line.
pub fn messages_json(view: &View, msgs: &[SimMessage], w: &mut dyn Write) -> io::Result<()> {
    let base = format!("/2010-04-01/Accounts/{}/Messages.json", view.account);
    let pages = msgs.len().div_ceil(PAGE).max(1);
    for p in 0..pages {
        let chunk = &msgs[(p * PAGE).min(msgs.len())..((p + 1) * PAGE).min(msgs.len())];
        let messages: Vec<Value> =
            chunk.iter().enumerate().map(|(i, m)| message(view, m, p * PAGE + i, SimFormat::TwilioMessagesJson)).collect();
        let page = json!({
            "end": p * PAGE + chunk.len().saturating_sub(1),
            "first_page_uri": format!("{base}?PageSize={PAGE}&Page=0"),
            "messages": messages,
            "next_page_uri": if p + 1 < pages { Some(format!("{base}?PageSize={PAGE}&Page={}", p + 1)) } else { None },
            "page": p,
            "page_size": PAGE,
            "previous_page_uri": if p > 0 { Some(format!("{base}?PageSize={PAGE}&Page={}", p - 1)) } else { None },
            "start": p * PAGE,
            "uri": format!("{base}?PageSize={PAGE}&Page={p}"),
        });
        serde_json::to_writer(&mut *w, &page)?;
        writeln!(w)?;
    }
    Ok(())
}

/// A BulkExport day file: gzip, one Message per line, ISO dates, no price_unit.
pub fn bulkexport(view: &View, msgs: &[SimMessage], w: &mut dyn Write) -> io::Result<()> {
    let mut gz = flate2::write::GzEncoder::new(w, flate2::Compression::fast());
    for (n, m) in msgs.iter().enumerate() {
        serde_json::to_writer(&mut gz, &message(view, m, n, SimFormat::TwilioBulkexport))?;
        gz.write_all(b"\n")?;
    }
    gz.finish()?.flush()
}

/// Verify `/v2/Attempts` pages (OTP sends only), one page per line.
pub fn verify_attempts(view: &View, msgs: &[SimMessage], w: &mut dyn Write) -> io::Result<()> {
    let otp: Vec<(usize, &SimMessage)> = msgs.iter().enumerate().filter(|(_, m)| SimFormat::TwilioVerifyAttempts.includes(m)).collect();
    for (p, chunk) in otp.chunks(PAGE).enumerate() {
        let attempts: Vec<Value> = chunk
            .iter()
            .map(|&(n, m)| {
                let sid = SimFormat::TwilioVerifyAttempts.message_id(view.seed, n);
                let ve = format!("VE{}", &sid[2..]);
                json!({
                    "sid": sid,
                    "account_sid": view.account,
                    "service_sid": "VA0000000000000000000000000000acme",
                    "verification_sid": ve,
                    "date_created": iso(m.ts, false),
                    "date_updated": iso(m.ts + 4000, false),
                    "conversion_status": if m.converted { "converted" } else { "unconverted" },
                    "channel": "sms",
                    "price": {"value": format!("{:.5}", view.cost(m)), "currency": "usd"},
                    "channel_data": {
                        "verification_sid": ve,
                        "to": view.e164(m),
                        "status": if m.converted { "confirmed" } else { "unconfirmed" },
                        "message_status": view.twilio_status(m),
                        "error_code": error(m).map(|e| e.to_string()),
                        "country": view.iso_country(m),
                        "code_length": 6,
                        "locale": "en",
                    },
                    "url": format!("https://verify.twilio.com/v2/Attempts/{sid}"),
                })
            })
            .collect();
        let page = json!({
            "attempts": attempts,
            "meta": {"key": "attempts", "page": p, "page_size": PAGE, "url": format!("https://verify.twilio.com/v2/Attempts?PageSize={PAGE}&Page={p}"), "next_page_url": null, "previous_page_url": null, "first_page_url": format!("https://verify.twilio.com/v2/Attempts?PageSize={PAGE}&Page=0")},
        });
        serde_json::to_writer(&mut *w, &page)?;
        writeln!(w)?;
    }
    Ok(())
}
