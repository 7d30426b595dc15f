//! Every real sample under testdata/samples (vendored public samples) loads, with asserted values.

use crate::util::*;
use pumphound::ingest::InputFormat;
use pumphound::schema::{NumberType, Status};

fn one(path: &str) -> pumphound::ingest::Loaded {
    load_paths(&[samples().join(path)])
}

#[test]
fn twilio_message_price_sign_folded_rfc2822_to_utc() {
    let l = one("twilio-messages-api/message_fetch_error_30007.json");
    let m = by_id(&l.store, "SMb7c0a2ce80504485a6f653a7110836f5");
    approx(m.cost, 0.0075);
    assert_eq!(l.store.str(m.currency), Some("USD"));
    assert_eq!(m.ts, Some(ms("2019-05-24T17:18:28Z")));
    assert_eq!(m.country_str(), Some("US"));
    assert_eq!(m.calling_code, Some(1));
    assert_eq!(m.status, Status::Sent);
    assert_eq!(l.store.str(m.error_code), Some("30007"));
    assert_eq!(m.segments, Some(1));
    assert_eq!(l.store.str(m.body_template), Some("testing"));
    assert_eq!(l.inputs[0].format, Some(InputFormat::TwilioMessagesJson));
}

#[test]
fn twilio_queued_message_has_null_price() {
    let l = one("twilio-messages-api/message_create_queued.json");
    let m = l.store.view(&l.store.rows[0]);
    assert_eq!(m.cost, None);
    assert_eq!(m.currency, 0);
    assert_eq!(m.status, Status::Queued);
    assert_eq!(m.ts, Some(ms("2015-07-30T20:12:33Z")));
}

#[test]
fn twilio_list_page_skips_inbound() {
    let l = one("twilio-messages-api/messages_list_page.json");
    let s = &l.inputs[0];
    assert_eq!((s.rows_read, s.rows_used), (2, 1));
    assert_eq!(s.skipped["inbound message (not a send)"].count, 1);
}

#[test]
fn verify_attempt_price_object_conversion_and_network() {
    for f in ["twilio-verify/verification_attempt_fetch.json", "twilio-verify/verification_attempts_list.json"] {
        let l = one(f);
        let m = by_id(&l.store, "VLaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        approx(m.cost, 0.005);
        assert_eq!(l.store.str(m.currency), Some("USD"));
        assert_eq!(m.converted, Some(false));
        assert_eq!(m.country_str(), Some("CO"));
        assert_eq!(m.number_type, NumberType::Mobile);
        assert_eq!(m.status, Status::Undelivered);
        assert_eq!(l.store.str(m.error_code), Some("30008"));
        assert_eq!((l.store.str(m.mcc), l.store.str(m.mnc)), (Some("732"), Some("103")));
        assert_eq!(l.store.str(m.carrier), Some("Colombia Movil (Tigo)"));
        assert_eq!(m.ts, Some(ms("2020-08-11T18:36:59Z")));
    }
}

#[test]
fn verifications_fold_into_attempts() {
    let dir = samples().join("twilio-verify");
    let l = load_paths(&[dir.join("verification_approved.json"), dir.join("verification_attempt_fetch.json")]);
    assert_eq!(l.store.rows.len(), 1, "the approved verification and the attempt are one message");
    let m = l.store.view(&l.store.rows[0]);
    assert_eq!(m.converted, Some(true), "approved wins over unconverted");
    approx(m.cost, 0.005);
    assert_eq!(l.store.folded, 1);
    let pending = one("twilio-verify/verification_create_pending.json");
    assert_eq!(pending.store.rows[0].converted(), None);
    let check = one("twilio-verify/verification_check.json");
    assert_eq!(check.inputs[0].skipped["verification lists no send attempt"].count, 1);
}

#[test]
fn metadata_files_are_recognised_and_counted() {
    for (f, format, n) in [
        ("twilio-verify/verification_attempts_summary.json", InputFormat::TwilioMetadata, 1),
        ("twilio-bulkexports/days_list.json", InputFormat::TwilioMetadata, 1),
        ("twilio-event-streams/event_types_list.json", InputFormat::TwilioMetadata, 2),
        ("twilio-event-streams/schema_version_messaging_messagestatus.json", InputFormat::TwilioMetadata, 1),
        ("twilio-usage-records/usage_records_list.json", InputFormat::TwilioUsageRecords, 1),
    ] {
        let l = one(f);
        assert_eq!(l.inputs[0].format, Some(format), "{f}");
        assert_eq!((l.inputs[0].rows_read, l.inputs[0].rows_skipped()), (n, n), "{f}");
        assert!(l.store.rows.is_empty());
    }
}

#[test]
fn sns_delivery_logs_raw_records() {
    let l = one("aws-sns-sms-delivery-status-logs/awsdocs_success.json");
    let m = l.store.view(&l.store.rows[0]);
    assert_eq!(m.ts, Some(ms("2016-06-28T00:40:34.558Z")), "SNS timestamps are UTC");
    approx(m.cost, 0.00645);
    assert_eq!(m.status, Status::Sent);
    assert_eq!((l.store.str(m.mcc), l.store.str(m.mnc)), (Some("310"), Some("270")));
    assert_eq!(l.store.str(m.carrier), Some("My Phone Carrier"));
    assert_eq!(m.number_type, NumberType::Invalid, "+1XXX5550100 is a placeholder");
    assert_eq!(m.calling_code, None);
    let f = one("aws-sns-sms-delivery-status-logs/awsdocs_failure.json");
    assert_eq!(f.store.rows[0].status, Status::Failed);
    assert_eq!(f.store.attrs(&f.store.rows[0]).mcc, 0, "mcc 0 means unknown");
}

#[test]
fn sns_filter_log_events_and_ndjson() {
    let l = one("aws-sns-sms-delivery-status-logs/consected_filter_log_events_success.json");
    assert_eq!(l.inputs[0].container.as_deref(), Some("CloudWatch Logs FilterLogEvents"));
    assert_eq!(l.store.rows.len(), 9);
    let m = by_id(&l.store, "e56694a7-cae5-56b6-884c-ce0666d416f8");
    assert_eq!(m.ts, Some(ms("2022-03-08T19:09:37.300Z")), "one fractional digit is tenths");
    assert_eq!(m.status, Status::Delivered);
    assert_eq!(m.country_str(), Some("US"));
    approx(m.cost, 0.00831);
    // The stub's FAILURE records reuse the SUCCESS ids: 18 records, 9 messages.
    let n = one("aws-sns-sms-delivery-status-logs/consected_messages.ndjson");
    assert_eq!((n.inputs[0].rows_read, n.store.rows.len(), n.store.folded), (18, 9, 9));
}

#[test]
fn sns_usage_report_numbers_without_plus() {
    let l = one("aws-sns-sms-usage-report/awsdocs_example_report.csv");
    assert_eq!(l.store.rows.len(), 3);
    let m = by_id(&l.store, "96a298ac-1458-4825-a7eb-7330e0720b72");
    approx(m.cost, 0.90084);
    assert_eq!(m.ts, Some(ms("2016-05-10T03:00:29.476Z")));
    assert_eq!(m.status, Status::Sent);
    assert_eq!(m.sms_type, Some(pumphound::schema::SmsType::Promotional));
}

#[test]
fn pinpoint_millicents() {
    let l = one("aws-pinpoint-sms-event-stream/awsdocs_sms_success.json");
    let m = by_id(&l.store, "1111-2222-3333");
    approx(m.cost, 0.00645);
    assert_eq!(m.ts, Some(1_553_104_954_322));
    assert_eq!(m.country_str(), Some("US"));
    assert_eq!(m.status, Status::Delivered);
    assert_eq!(l.store.str(m.account), Some("123456789012"));
}

#[test]
fn eum_events_price_plus_fee_and_country_fallback() {
    let l = one("aws-eum-sms-v2-events/cds-snc_comment_text_delivered.json");
    let m = by_id(&l.store, "221bc70c-7ee6-4987-b1ba-9684ba25be20");
    approx(m.cost, 0.00581 + 0.006);
    assert_eq!(m.ts, Some(1_712_944_267_685), "the request time, not the event time");
    assert_eq!(m.country_str(), Some("CA"), "from the number +1 613");
    assert_eq!(m.status, Status::Delivered);
    // Mocks with epoch seconds and a placeholder number: the provider's country is used.
    let mock = one("aws-eum-sms-v2-events/cds-snc_pinpoint_failed_callback.json");
    let m = mock.store.view(&mock.store.rows[0]);
    assert_eq!(m.ts, Some(1_467_074_434_000));
    assert_eq!(m.country_str(), Some("CA"));
    assert_eq!(m.status, Status::Failed);
    assert_eq!(m.id, None);
}

#[test]
fn whole_samples_tree_loads() {
    let out = json_out(&["inspect", "--format", "json", samples().to_str().expect("utf-8 path")]);
    let inputs = out["inputs"].as_array().expect("inputs");
    for i in inputs {
        let path = i["path"].as_str().expect("path");
        let skip_ok = path.ends_with("SOURCE.md")
            || path.contains("twilio-console-export-headers")
            || path.contains("aws-cloudtrail")
            || path.ends_with("README.md");
        if !skip_ok {
            assert!(i["format"].is_string(), "{path} was not recognised");
        }
        assert_eq!(i["rows_read"].as_u64(), Some(i["rows_used"].as_u64().unwrap_or(0) + i["rows_skipped"].as_u64().unwrap_or(0)));
    }
    assert!(out["total"]["contents"].is_null(), "contents are flattened");
    assert!(out["total"]["messages"].as_u64().unwrap_or(0) >= 25);
}
