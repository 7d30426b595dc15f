//! What the simulator generates: one [`SimMessage`] per SMS, with its ground-truth label.

use crate::schema::Status;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A one-time passcode from the sign-up / login form.
    Otp,
    /// A marketing or notification message from another sender.
    Marketing,
}

#[derive(Debug, Clone, Copy)]
pub struct SimMessage {
    /// Send time, ms UTC.
    pub ts: i64,
    /// Destination, E.164 digits.
    pub to: u64,
    /// Index into the run's countries.
    pub country: u16,
    pub kind: Kind,
    pub status: Status,
    /// Twilio-style error code, 0 for none.
    pub error: u16,
    pub segments: u8,
    pub converted: bool,
    /// Index into the run's labels.
    pub label: u16,
}

/// A ground-truth label: `legit`, `control:<name>` or `attack:<name>`, and the scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub label: String,
    pub scenario: String,
}

impl Label {
    pub fn is_attack(&self) -> bool {
        self.label.starts_with("attack:")
    }
}
