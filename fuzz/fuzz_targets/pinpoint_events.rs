#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pumphound_fuzz::run("pinpoint_events", data));
