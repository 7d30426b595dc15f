//! The canonical message schema every input format is normalised into.
//!
//! One row per message sent (folded across files and status events). The column list here is the
//! single source for `pumphound formats`, the README and the JSON field names.

use serde::Serialize;

/// Normalised delivery status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[default]
    Unknown,
    Queued,
    Sent,
    Delivered,
    Undelivered,
    Failed,
    Blocked,
}

impl Status {
    pub const ALL: [Status; 7] =
        [Status::Queued, Status::Sent, Status::Delivered, Status::Undelivered, Status::Failed, Status::Blocked, Status::Unknown];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Unknown => "unknown",
            Status::Queued => "queued",
            Status::Sent => "sent",
            Status::Delivered => "delivered",
            Status::Undelivered => "undelivered",
            Status::Failed => "failed",
            Status::Blocked => "blocked",
        }
    }

    /// How far along its life a status is: a later event for the same message wins when its
    /// rank is at least as high. Final outcomes outrank transient ones.
    pub fn rank(self) -> u8 {
        match self {
            Status::Unknown => 0,
            Status::Queued => 1,
            Status::Sent => 2,
            Status::Delivered | Status::Undelivered | Status::Failed | Status::Blocked => 3,
        }
    }
}

/// Number type as libphonenumber classifies the destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum NumberType {
    Mobile,
    FixedLine,
    FixedOrMobile,
    TollFree,
    PremiumRate,
    SharedCost,
    Voip,
    Personal,
    Pager,
    Uan,
    Voicemail,
    NonGeographic,
    #[default]
    Unknown,
    Invalid,
}

impl NumberType {
    pub const ALL: [NumberType; 14] = [
        NumberType::Mobile,
        NumberType::FixedLine,
        NumberType::FixedOrMobile,
        NumberType::TollFree,
        NumberType::PremiumRate,
        NumberType::SharedCost,
        NumberType::Voip,
        NumberType::Personal,
        NumberType::Pager,
        NumberType::Uan,
        NumberType::Voicemail,
        NumberType::NonGeographic,
        NumberType::Unknown,
        NumberType::Invalid,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NumberType::Mobile => "mobile",
            NumberType::FixedLine => "fixed_line",
            NumberType::FixedOrMobile => "fixed_or_mobile",
            NumberType::TollFree => "toll_free",
            NumberType::PremiumRate => "premium_rate",
            NumberType::SharedCost => "shared_cost",
            NumberType::Voip => "voip",
            NumberType::Personal => "personal",
            NumberType::Pager => "pager",
            NumberType::Uan => "uan",
            NumberType::Voicemail => "voicemail",
            NumberType::NonGeographic => "non_geographic",
            NumberType::Unknown => "unknown",
            NumberType::Invalid => "invalid",
        }
    }
}

/// Transactional or promotional, when the provider says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SmsType {
    Transactional,
    Promotional,
}

impl SmsType {
    pub fn parse(s: &str) -> Option<SmsType> {
        if s.eq_ignore_ascii_case("transactional") {
            Some(SmsType::Transactional)
        } else if s.eq_ignore_ascii_case("promotional") {
            Some(SmsType::Promotional)
        } else {
            None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SmsType::Transactional => "transactional",
            SmsType::Promotional => "promotional",
        }
    }
}

/// Who sent the message on the victim's behalf.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    Twilio,
    Aws,
    App,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Twilio => "twilio",
            Provider::Aws => "aws",
            Provider::App => "app",
        }
    }
}

/// One column of the canonical schema, for `pumphound formats` and the README.
pub struct Column {
    pub name: &'static str,
    pub dtype: &'static str,
    pub description: &'static str,
}

pub const COLUMNS: &[Column] = &[
    Column {
        name: "message_id",
        dtype: "string?",
        description: "the provider's own id: Twilio SID (SM/MM), SNS/EUM messageId, Verify attempt sid (VL); null when the export has none",
    },
    Column {
        name: "ts",
        dtype: "timestamp (UTC, ms)",
        description: "when the message was sent (Twilio date_sent, else date_created; AWS request/publish time)",
    },
    Column { name: "provider", dtype: "enum", description: "twilio | aws | app" },
    Column { name: "source_format", dtype: "enum", description: "the input format the row came from (first seen)" },
    Column { name: "source_file", dtype: "string", description: "the input path the row came from (first seen); - for stdin" },
    Column { name: "account", dtype: "string?", description: "Twilio AccountSid or AWS account id" },
    Column { name: "sender", dtype: "string?", description: "From number, short code or alphanumeric sender id" },
    Column {
        name: "destination",
        dtype: "string",
        description: "destination in E.164 (+ and digits) when it parses; the cleaned raw text otherwise",
    },
    Column { name: "calling_code", dtype: "u16?", description: "country calling code from the number" },
    Column {
        name: "country",
        dtype: "string?",
        description: "ISO 3166 alpha-2 from the number; the provider's country only when the number cannot say",
    },
    Column {
        name: "number_type",
        dtype: "enum",
        description: "mobile, fixed_line, fixed_or_mobile, toll_free, premium_rate, shared_cost, voip, personal, pager, uan, voicemail, non_geographic, unknown, invalid",
    },
    Column { name: "status", dtype: "enum", description: "queued, sent, delivered, undelivered, failed, blocked, unknown" },
    Column {
        name: "status_raw",
        dtype: "string?",
        description: "the provider's own status text (e.g. undelivered, TEXT_BLOCKED, provider response)",
    },
    Column { name: "error_code", dtype: "string?", description: "provider error code (Twilio 30007, 30450 ...)" },
    Column { name: "segments", dtype: "u32?", description: "billed segments / message parts" },
    Column {
        name: "cost",
        dtype: "f64?",
        description: "absolute cost of the message (price sign folded; EUM price + carrier fee; Pinpoint millicents converted)",
    },
    Column { name: "currency", dtype: "string?", description: "ISO 4217, upper case; never summed across currencies" },
    Column { name: "sms_type", dtype: "enum?", description: "transactional | promotional, when given" },
    Column {
        name: "body_template",
        dtype: "string?",
        description: "message body with every digit run masked as #; raw bodies are not kept",
    },
    Column { name: "mcc", dtype: "string?", description: "mobile country code, when given" },
    Column { name: "mnc", dtype: "string?", description: "mobile network code, when given" },
    Column { name: "carrier", dtype: "string?", description: "carrier name, when given" },
    Column {
        name: "converted",
        dtype: "bool?",
        description: "the OTP was verified (Verify conversion_status, approved verification, --conversions join); null when unknown",
    },
];
