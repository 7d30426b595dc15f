//! Phone-intelligence benchmark: classify N distinct E.164 numbers (default 5,000,000) spread
//! over the mobile ranges of 40 countries, through the per-key cache. Run with
//! `bench/phone.sh` (release build). Prints wall time, numbers/s and libphonenumber calls.

use phonenumber::metadata::DATABASE;
use pumphound::phone::Classifier;
use std::collections::HashSet;
use std::time::Instant;

const REGIONS: [&str; 40] = [
    "US", "CA", "GB", "FR", "DE", "ES", "IT", "NL", "BE", "PT", "PL", "SE", "NO", "DK", "FI", "IE", "AT", "CH", "LV", "LT", "EE", "CU",
    "SO", "GN", "GM", "MV", "ZW", "TN", "NG", "PK", "BD", "IN", "BR", "MX", "CO", "ZA", "AU", "JP", "ID", "PH",
];

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(5_000_000);
    // Mobile example numbers from libphonenumber's own metadata: keep the first two national
    // digits, draw the rest (a deterministic LCG), so numbers spread over many ranges.
    let bases: Vec<(u16, String)> = REGIONS
        .iter()
        .filter_map(|r| {
            let m = DATABASE.by_id(*r)?;
            let ex = m.descriptors().mobile().and_then(|d| d.example()).or_else(|| m.descriptors().general().example())?;
            Some((m.country_code(), ex.to_string()))
        })
        .collect();
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut numbers = Vec::with_capacity(n);
    let mut seen = HashSet::with_capacity(n);
    while numbers.len() < n {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let (code, ex) = &bases[(state >> 33) as usize % bases.len()];
        let keep = 2.min(ex.len());
        let mut s = format!("+{code}{}", &ex[..keep]);
        let mut r = state;
        for _ in keep..ex.len() {
            r = r.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            s.push(char::from(b'0' + ((r >> 40) % 10) as u8));
        }
        if seen.insert(s.clone()) {
            numbers.push(s);
        }
    }
    drop(seen);
    let mut c = Classifier::new();
    let start = Instant::now();
    let mut valid = 0u64;
    // As the store does: every number in arrival order, libphonenumber once a new key.
    for num in &numbers {
        let info = c.classify(num);
        valid += u64::from(info.number_type != pumphound::schema::NumberType::Invalid);
    }
    let secs = start.elapsed().as_secs_f64();
    let again = Instant::now();
    for num in &numbers {
        std::hint::black_box(c.classify(num));
    }
    println!("second pass (all cache hits): {:.3} s", again.elapsed().as_secs_f64());
    println!(
        "classified {} distinct numbers in {:.3} s ({:.1} M numbers/s); libphonenumber calls {} (distinct keys); valid {}",
        numbers.len(),
        secs,
        numbers.len() as f64 / secs / 1e6,
        c.misses,
        valid
    );
}
