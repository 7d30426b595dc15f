//! The input formats pumphound reads: one registry for the CLI values, detection and listing.

use crate::schema::Provider;
use clap::ValueEnum;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputFormat {
    /// Twilio Console "Messaging logs" CSV export
    TwilioConsoleCsv,
    /// Twilio REST Messages: list pages, single Messages, arrays, one per line
    TwilioMessagesJson,
    /// Twilio BulkExport Messages day files (gzip JSON lines)
    TwilioBulkexport,
    /// Twilio Verify /v2/Attempts pages and single attempts
    TwilioVerifyAttempts,
    /// Twilio Verify Verification resources (status approved = converted)
    TwilioVerifyVerifications,
    /// Twilio Event Streams CloudEvents (message status, Verify events)
    TwilioEventStreams,
    /// Twilio Usage Records (aggregate spend; no messages)
    TwilioUsageRecords,
    /// Twilio listing metadata (BulkExport day lists, event types, schemas, attempt summaries)
    TwilioMetadata,
    /// AWS SNS SMS delivery-status logs (raw, FilterLogEvents, CloudWatch subscription)
    SnsDeliveryLogs,
    /// AWS SNS daily SMS usage report CSV (one row per message part)
    SnsUsageReport,
    /// AWS End User Messaging SMS v2 events (raw, SNS-wrapped, EventBridge)
    EumEvents,
    /// Amazon Pinpoint _SMS.* event stream records
    PinpointEvents,
    /// Any CSV, columns named with --map field=column,...
    GenericCsv,
}

impl InputFormat {
    pub const ALL: [InputFormat; 13] = [
        InputFormat::TwilioConsoleCsv,
        InputFormat::TwilioMessagesJson,
        InputFormat::TwilioBulkexport,
        InputFormat::TwilioVerifyAttempts,
        InputFormat::TwilioVerifyVerifications,
        InputFormat::TwilioEventStreams,
        InputFormat::TwilioUsageRecords,
        InputFormat::TwilioMetadata,
        InputFormat::SnsDeliveryLogs,
        InputFormat::SnsUsageReport,
        InputFormat::EumEvents,
        InputFormat::PinpointEvents,
        InputFormat::GenericCsv,
    ];

    pub fn name(self) -> &'static str {
        match self {
            InputFormat::TwilioConsoleCsv => "twilio-console-csv",
            InputFormat::TwilioMessagesJson => "twilio-messages-json",
            InputFormat::TwilioBulkexport => "twilio-bulkexport",
            InputFormat::TwilioVerifyAttempts => "twilio-verify-attempts",
            InputFormat::TwilioVerifyVerifications => "twilio-verify-verifications",
            InputFormat::TwilioEventStreams => "twilio-event-streams",
            InputFormat::TwilioUsageRecords => "twilio-usage-records",
            InputFormat::TwilioMetadata => "twilio-metadata",
            InputFormat::SnsDeliveryLogs => "sns-delivery-logs",
            InputFormat::SnsUsageReport => "sns-usage-report",
            InputFormat::EumEvents => "eum-events",
            InputFormat::PinpointEvents => "pinpoint-events",
            InputFormat::GenericCsv => "generic-csv",
        }
    }

    pub fn provider(self) -> Provider {
        match self {
            InputFormat::SnsDeliveryLogs | InputFormat::SnsUsageReport | InputFormat::EumEvents | InputFormat::PinpointEvents => {
                Provider::Aws
            }
            InputFormat::GenericCsv => Provider::App,
            _ => Provider::Twilio,
        }
    }

    /// A record a message, as a rule (no status events to fold into earlier rows): a load of
    /// it may defer folding by id ([`crate::store::Store::defer_ids`]).
    pub fn is_record_a_message(self) -> bool {
        matches!(
            self,
            InputFormat::TwilioConsoleCsv | InputFormat::SnsDeliveryLogs | InputFormat::TwilioBulkexport | InputFormat::TwilioMessagesJson
        )
    }

    pub fn is_csv(self) -> bool {
        matches!(self, InputFormat::TwilioConsoleCsv | InputFormat::SnsUsageReport | InputFormat::GenericCsv)
    }

    pub fn description(self) -> String {
        self.to_possible_value().and_then(|v| v.get_help().map(|h| h.to_string())).unwrap_or_default()
    }

    /// How the format is recognised, for `pumphound formats`.
    pub fn detected_by(self) -> &'static str {
        match self {
            InputFormat::TwilioConsoleCsv => "CSV header with To and SentDate or Sid",
            InputFormat::TwilioMessagesJson => "JSON with `messages`, or Message objects with api_version/uri",
            InputFormat::TwilioBulkexport => "JSON lines of Message objects without api_version/uri",
            InputFormat::TwilioVerifyAttempts => "JSON with `attempts`, or objects with conversion_status/channel_data",
            InputFormat::TwilioVerifyVerifications => "JSON objects with sid VE... and to",
            InputFormat::TwilioEventStreams => "CloudEvents with type com.twilio.*",
            InputFormat::TwilioUsageRecords => "JSON with `usage_records`",
            InputFormat::TwilioMetadata => "JSON with `days`, `types`, schema versions or attempt summaries",
            InputFormat::SnsDeliveryLogs => "objects with notification + delivery, or CloudWatch Logs wrappers of them",
            InputFormat::SnsUsageReport => "CSV header with PublishTimeUTC, MessageId, DestinationPhoneNumber",
            InputFormat::EumEvents => "objects with eventType TEXT_* (raw, SNS Notification, EventBridge detail)",
            InputFormat::PinpointEvents => "objects with event_type _SMS.*",
            InputFormat::GenericCsv => "never detected: --input-format generic-csv --map ...",
        }
    }
}

impl std::fmt::Display for InputFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
