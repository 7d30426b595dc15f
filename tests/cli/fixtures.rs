//! The synthetic per-format fixtures in testdata/formats (see testdata/make_fixtures.py).

use crate::util::*;
use pumphound::ingest::InputFormat;
use pumphound::schema::{NumberType, Status};

fn f(name: &str) -> std::path::PathBuf {
    fixture(&format!("formats/{name}"))
}

fn sid(prefix: &str, n: u32) -> String {
    format!("{prefix}{n:032x}")
}

#[test]
fn console_csv_bom_crlf_quoted_newline_and_mixed_currencies() {
    let l = load_paths(&[f("twilio-console.csv")]);
    let s = &l.inputs[0];
    assert_eq!(s.format, Some(InputFormat::TwilioConsoleCsv));
    assert_eq!((s.rows_read, s.rows_used), (6, 5));
    assert_eq!(s.skipped["inbound message (not a send)"].count, 1);
    let m = by_id(&l.store, &sid("SM", 2));
    assert_eq!(m.segments, Some(2));
    assert_eq!(l.store.str(m.body_template), Some("Your code is # Do not share it"), "control characters become spaces");
    assert_eq!(m.status, Status::Undelivered);
    approx(m.cost, 0.08);
    let m = by_id(&l.store, &sid("SM", 3));
    assert_eq!(m.destination, "+37120012345", "a number without + is read as E.164");
    assert_eq!(m.country_str(), Some("LV"));
    assert_eq!(l.store.str(m.sender), Some("ACMEBANK"));
    assert_eq!(m.ts, Some(ms("2019-05-24T16:00:00Z")), "ISO with offset");
    assert_eq!(by_id(&l.store, &sid("SM", 1)).ts, Some(ms("2019-05-24T17:44:46Z")), "RFC 2822");
    let q = by_id(&l.store, &sid("SM", 5));
    assert_eq!((q.cost, q.status), (None, Status::Queued));
    let eur = by_id(&l.store, &sid("SM", 6));
    assert_eq!(l.store.str(eur.currency), Some("EUR"));
    let agg = pumphound::frame::inspect_aggregates(pumphound::frame::messages(&l.store).expect("frame"), &l.store).expect("aggregates");
    let totals: Vec<(Option<String>, f64)> = agg.spend.iter().filter(|s| s.file.is_none()).map(|s| (s.currency.clone(), s.cost)).collect();
    assert_eq!(totals.len(), 2, "EUR and USD are never summed together: {totals:?}");
}

#[test]
fn console_csv_legacy_header_order() {
    let l = load_paths(&[f("twilio-console-legacy.csv")]);
    assert_eq!(l.store.rows.len(), 2);
    assert_eq!(by_id(&l.store, &sid("SM", 102)).status, Status::Failed);
    assert_eq!(by_id(&l.store, &sid("SM", 101)).destination, "+447400200001");
}

#[test]
fn messages_json_concatenated_pages_and_lines() {
    let l = load_paths(&[f("twilio-messages-pages.json"), f("twilio-messages.ndjson")]);
    assert_eq!(l.store.rows.len(), 6);
    assert_eq!(by_id(&l.store, &sid("SM", 202)).status, Status::Blocked, "30450 is SMS Pumping Protection");
    assert_eq!(l.inputs[1].format, Some(InputFormat::TwilioMessagesJson));
}

#[test]
fn bulkexport_gzip_members_and_default_currency() {
    let l = load_paths(&[f("twilio-bulkexport-2019-06-02.json.gz")]);
    let s = &l.inputs[0];
    assert!(s.gzip);
    assert_eq!(s.format, Some(InputFormat::TwilioBulkexport));
    assert_eq!(l.store.rows.len(), 4, "both gzip members are read");
    let m = by_id(&l.store, &sid("SM", 300));
    approx(m.cost, 0.052);
    assert_eq!(l.store.str(m.currency), Some("USD"), "BulkExport has no price_unit: --default-currency");
    assert_eq!(m.ts, Some(ms("2019-06-02T00:00:00Z")));
}

#[test]
fn verify_attempts_conversion_and_channel() {
    let l = load_paths(&[f("twilio-verify-attempts.json")]);
    assert_eq!(l.inputs[0].skipped["channel is not sms"].count, 1);
    let conv: Vec<Option<bool>> = l.store.rows.iter().map(|m| m.converted()).collect();
    assert_eq!(conv, vec![Some(true), Some(false), Some(false)]);
    approx(l.store.raw_cost(&l.store.rows[0]), 0.05);
}

#[test]
fn event_streams_fold_and_expand() {
    let l = load_paths(&[f("twilio-event-streams.json")]);
    assert_eq!(l.inputs[0].container.as_deref(), Some("array"));
    let m = by_id(&l.store, &sid("SM", 401));
    assert_eq!(m.status, Status::Delivered, "sent then delivered fold into delivered");
    assert_eq!(m.ts, Some(ms("2024-05-29T10:57:57.563Z")));
    assert_eq!(by_id(&l.store, &sid("VL", 9)).status, Status::Undelivered);
    assert_eq!(by_id(&l.store, &sid("VL", 10)).converted, Some(true));
    assert_eq!(l.store.rows.len(), 3);
}

#[test]
fn sns_logs_statuses_and_subscription_payload() {
    let l = load_paths(&[f("sns-delivery-logs.ndjson"), f("sns-subscription.json")]);
    let st: Vec<Status> = l.store.rows.iter().map(|m| m.status).collect();
    assert_eq!(st[..3], [Status::Delivered, Status::Failed, Status::Blocked]);
    assert_eq!(l.inputs[1].container.as_deref(), Some("CloudWatch Logs subscription"));
    assert_eq!(l.store.rows.len(), 5);
    assert_eq!(l.store.rows[1].ts_opt(), Some(ms("2023-01-10T08:00:01.250Z")));
}

#[test]
fn usage_report_parts_fold_once() {
    let l = load_paths(&[f("sns-usage-report.csv"), f("sns-usage-report.csv")]);
    assert_eq!(l.store.rows.len(), 2);
    let m = by_id(&l.store, "00000000-0000-4000-9000-000000000001");
    approx(m.cost, 0.083);
    assert_eq!(m.segments, Some(2));
    assert_eq!(m.country_str(), Some("GB"));
    let b = by_id(&l.store, "00000000-0000-4000-9000-000000000002");
    assert_eq!(b.status, Status::Blocked, "quoted provider text with a comma");
    assert_eq!(b.number_type, NumberType::FixedOrMobile);
}

#[test]
fn eum_events_fold_through_envelopes() {
    let l = load_paths(&[f("eum-events.ndjson")]);
    assert_eq!(l.inputs[0].rows_read, 4);
    assert_eq!(l.store.rows.len(), 3);
    let m = by_id(&l.store, "m-1");
    assert_eq!(m.status, Status::Delivered);
    approx(m.cost, 0.0425);
    assert_eq!(by_id(&l.store, "m-2").status, Status::Blocked, "SNS Notification wrapper");
    assert_eq!(by_id(&l.store, "m-3").status, Status::Delivered, "EventBridge detail");
}

#[test]
fn pinpoint_events() {
    let l = load_paths(&[f("pinpoint-events.ndjson")]);
    assert_eq!(l.store.rows.len(), 2);
    approx(by_id(&l.store, "pp-0").cost, 0.0415);
    assert_eq!(by_id(&l.store, "pp-1").status, Status::Failed);
}

#[test]
fn generic_csv_with_conversions_join() {
    let mut o = opts();
    o.input_format = Some(InputFormat::GenericCsv);
    o.map =
        Some(pumphound::ingest::formats::generic_csv::parse_map("destination=phone,ts=sent_at,message_id=id,cost=cost_usd").expect("map"));
    o.conversions = Some(fixture("app/verifications.csv").display().to_string());
    let l = load_with(&[fixture("app/sends.csv")], &o);
    assert_eq!(by_id(&l.store, "a1").converted, Some(true), "verified 70 s later");
    assert_eq!(by_id(&l.store, "a2").converted, Some(false), "verified 55 min later, outside 15m");
    assert_eq!(by_id(&l.store, "a3").converted, Some(false));
    assert_eq!(l.conversions.as_ref().map(|c| c.sends_judged), Some(3));
}

#[test]
fn the_same_message_in_two_files_is_counted_once() {
    let l = load_paths(&[f("twilio-console.csv"), f("twilio-console.csv")]);
    assert_eq!(l.store.rows.len(), 5);
    assert_eq!(l.store.folded, 5);
}

#[test]
fn conversions_leave_a_non_otp_sender_unknown() {
    // 40 sends from a marketing sender, one of them by coincidence followed by a verification.
    let dir = tempfile::tempdir().expect("tempdir");
    let sends = dir.path().join("sends.csv");
    let verified = dir.path().join("verified.csv");
    let mut s = String::from("id,from,phone,sent_at\n");
    let mut v = String::from("phone,verified_at\n");
    for i in 0..40 {
        s.push_str(&format!("m{i},ACMESHOP,+4474009{i:05},2024-02-01T10:00:00Z\n"));
        s.push_str(&format!("o{i},+12015550100,+4474008{i:05},2024-02-01T10:00:00Z\n"));
        v.push_str(&format!("+4474008{i:05},2024-02-01T10:02:00Z\n"));
    }
    v.push_str("+447400900000,2024-02-01T10:05:00Z\n");
    std::fs::write(&sends, s).expect("write");
    std::fs::write(&verified, v).expect("write");
    let mut o = opts();
    o.input_format = Some(InputFormat::GenericCsv);
    o.map =
        Some(pumphound::ingest::formats::generic_csv::parse_map("destination=phone,ts=sent_at,message_id=id,sender=from").expect("map"));
    o.conversions = Some(verified.display().to_string());
    let l = load_with(&[sends], &o);
    assert_eq!(by_id(&l.store, "o1").converted, Some(true));
    assert_eq!(by_id(&l.store, "m0").converted, None, "1 conversion in 40 sends: not an OTP sender");
    assert_eq!(by_id(&l.store, "m1").converted, None);
    assert_eq!(l.conversions.as_ref().map(|c| c.sends_judged), Some(40));
}
