//! Writers for simulated traffic: one module per export format, each writing what the real
//! export looks like (field names and shapes from FORMATS.md). Shared here: ids, prices, bodies
//! and status texts, so every format says the same about a message.

mod aws;
mod twilio;

use super::model::{Kind, SimMessage};
use super::world::{World, mix};
use crate::schema::Status;
use clap::ValueEnum;
use std::io::{self, Write};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SimFormat {
    TwilioConsoleCsv,
    TwilioMessagesJson,
    TwilioBulkexport,
    TwilioVerifyAttempts,
    SnsDeliveryLogs,
    SnsUsageReport,
    EumEvents,
}

impl SimFormat {
    /// Whether the export holds this message (Verify logs only OTP attempts).
    pub fn includes(self, m: &SimMessage) -> bool {
        self != SimFormat::TwilioVerifyAttempts || m.kind == Kind::Otp
    }

    /// The provider's id of message `n` in this format.
    pub fn message_id(self, seed: u64, n: usize) -> String {
        let a = mix(seed, &format!("id:{n}"));
        let b = mix(a, "id2");
        match self {
            SimFormat::TwilioConsoleCsv | SimFormat::TwilioMessagesJson | SimFormat::TwilioBulkexport => format!("SM{a:016x}{b:016x}"),
            SimFormat::TwilioVerifyAttempts => format!("VL{a:016x}{b:016x}"),
            _ => uuid(a, b),
        }
    }
}

fn uuid(a: u64, b: u64) -> String {
    let a = (a & 0xffff_ffff_ffff_0fff) | 0x4000;
    let b = (b & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    format!("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", a >> 32, (a >> 16) & 0xffff, a & 0xffff, b >> 48, b & 0xffff_ffff_ffff)
}

/// Shared facts about a message, as every writer states them.
pub struct View<'a> {
    pub world: &'a World,
    pub seed: u64,
    pub account: String,
}

impl View<'_> {
    pub fn e164(&self, m: &SimMessage) -> String {
        format!("+{}", m.to)
    }

    pub fn iso_country(&self, m: &SimMessage) -> &'static str {
        self.world.countries[m.country as usize].iso
    }

    /// Price per segment, rounded as providers print it (5 decimals).
    pub fn unit_price(&self, m: &SimMessage) -> f64 {
        (self.world.countries[m.country as usize].price * 1e5).round() / 1e5
    }

    /// What the message cost: nothing when it never left (failed, blocked).
    pub fn cost(&self, m: &SimMessage) -> f64 {
        match m.status {
            Status::Failed | Status::Blocked => 0.0,
            _ => self.unit_price(m) * f64::from(m.segments),
        }
    }

    pub fn body(&self, m: &SimMessage, n: usize) -> String {
        match m.kind {
            Kind::Otp => format!("Your Acme verification code is {:06}", mix(self.seed, &format!("code:{n}")) % 1_000_000),
            Kind::Marketing => "Acme spring sale: 20% off everything this weekend, in store and online. Reply STOP to opt out".into(),
        }
    }

    pub fn sender(&self, m: &SimMessage) -> &'static str {
        match m.kind {
            Kind::Otp => "+12015550100",
            Kind::Marketing => "ACMESHOP",
        }
    }

    pub fn twilio_status(&self, m: &SimMessage) -> &'static str {
        match m.status {
            Status::Delivered => "delivered",
            Status::Undelivered => "undelivered",
            Status::Failed | Status::Blocked => "failed",
            Status::Sent => "sent",
            Status::Queued => "queued",
            Status::Unknown => "sent",
        }
    }

    pub fn aws_response(&self, m: &SimMessage) -> &'static str {
        match m.status {
            Status::Delivered | Status::Sent | Status::Queued | Status::Unknown => "Message has been accepted by phone",
            Status::Undelivered => "Phone is currently unreachable/unavailable",
            Status::Failed => "Unknown error attempting to reach phone",
            // SNS has no pumping protection of its own: the simulator's blocks (Twilio 30450)
            // read there as a carrier's spam block, which pumphound does not count as a
            // provider defence (End User Messaging writes PROTECT_BLOCKED: see aws.rs).
            Status::Blocked => "Blocked as spam by phone carrier",
        }
    }
}

pub fn write(format: SimFormat, view: &View, msgs: &[SimMessage], w: &mut dyn Write) -> io::Result<()> {
    match format {
        SimFormat::TwilioConsoleCsv => twilio::console_csv(view, msgs, w),
        SimFormat::TwilioMessagesJson => twilio::messages_json(view, msgs, w),
        SimFormat::TwilioBulkexport => twilio::bulkexport(view, msgs, w),
        SimFormat::TwilioVerifyAttempts => twilio::verify_attempts(view, msgs, w),
        SimFormat::SnsDeliveryLogs => aws::sns_delivery_logs(view, msgs, w),
        SimFormat::SnsUsageReport => aws::sns_usage_report(view, msgs, w),
        SimFormat::EumEvents => aws::eum_events(view, msgs, w),
    }
}

/// `message_id,label,scenario` for every message the export holds.
pub fn write_truth(format: SimFormat, view: &View, msgs: &[SimMessage], w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "message_id,label,scenario")?;
    for (n, m) in msgs.iter().enumerate().filter(|(_, m)| format.includes(m)) {
        let l = &view.world.labels[m.label as usize];
        writeln!(w, "{},{},{}", format.message_id(view.seed, n), l.label, l.scenario)?;
    }
    Ok(())
}

/// The app's own record of verified OTPs (`phone,verified_at`), for `--conversions`.
pub fn write_verifications(view: &View, msgs: &[SimMessage], w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "phone,verified_at")?;
    for (n, m) in msgs.iter().enumerate().filter(|(_, m)| m.converted) {
        let delay = 20_000 + (mix(view.seed, &format!("verify:{n}")) % 180_000) as i64;
        writeln!(w, "{},{}", view.e164(m), crate::timeparse::iso(m.ts + delay, false))?;
    }
    Ok(())
}
