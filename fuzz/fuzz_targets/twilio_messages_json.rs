#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pumphound_fuzz::run("twilio_messages_json", data));
