#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pumphound_fuzz::load(data, Some(pumphound_fuzz::Format::TwilioVerifyAttempts)));
