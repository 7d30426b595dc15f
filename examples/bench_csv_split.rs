//! CSV splitting benchmark: the in-tree splitter (`ingest::csv_split`, with its structural
//! scan) against medialab's `simd-csv` (the reader behind xan), one thread each, over the same
//! bytes in memory: every record, every field unescaped, their lengths summed so that neither
//! can skip work. Run with `bench/csv_split.sh FILE [MB]` (release build); prints records,
//! fields, bytes and the seconds of each, best of three.

use pumphound::ingest::csv_split::{Next, Pos, Splitter, cut};
use std::time::Instant;

const BLOCK: usize = 1 << 20;

/// Ours: 1 MiB blocks cut at a newline that ends a record, as the parallel reader cuts them.
fn ours(data: &[u8]) -> (u64, u64, u64) {
    let (mut records, mut fields, mut bytes) = (0u64, 0u64, 0u64);
    let (mut start, mut pos) = (0usize, Pos::START);
    while start < data.len() {
        let end = (start + BLOCK).min(data.len());
        let eof = end == data.len();
        let block = &data[start..end];
        let (len, next_pos) = match (eof, cut(block)) {
            (true, _) => (block.len(), pos),
            (false, Some(c)) => (c.0, pumphound::ingest::csv_split::pos_after(block, pos, c)),
            (false, None) => (block.len(), pos),
        };
        let mut s = Splitter::new(&block[..len], pos, eof || len == block.len());
        while let Next::Record(_) = s.next_record() {
            records += 1;
            for i in 0..s.len() {
                fields += 1;
                bytes += s.raw(i).map_or(0, |f| f.len() as u64);
            }
        }
        start += len;
        pos = next_pos;
    }
    (records, fields, bytes)
}

/// simd-csv's zero-copy reader over the same bytes (headers counted as a record, as ours does).
fn simd(data: &[u8]) -> (u64, u64, u64) {
    let (mut records, mut fields, mut bytes) = (0u64, 0u64, 0u64);
    let mut reader = simd_csv::ZeroCopyReaderBuilder::new().has_headers(false).flexible(true).from_reader(data);
    while let Ok(Some(record)) = reader.read_byte_record() {
        records += 1;
        for i in 0..record.len() {
            fields += 1;
            bytes += record.unescape(i).map_or(0, |f| f.len() as u64);
        }
    }
    (records, fields, bytes)
}

fn best(f: impl Fn() -> (u64, u64, u64)) -> ((u64, u64, u64), f64) {
    let mut out = ((0, 0, 0), f64::MAX);
    for _ in 0..3 {
        let t = Instant::now();
        let r = f();
        out = (r, out.1.min(t.elapsed().as_secs_f64()));
    }
    out
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: bench_csv_split FILE [MB]");
        std::process::exit(2);
    };
    let limit: usize = args.next().and_then(|s| s.parse().ok()).map_or(usize::MAX, |mb: usize| mb << 20);
    let mut data = match std::fs::read(&path) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("bench_csv_split: {path}: {e}");
            std::process::exit(2);
        }
    };
    if data.len() > limit {
        // Whole records: cut after the last newline before the limit.
        let end = data[..limit].iter().rposition(|&b| b == b'\n').map_or(limit, |i| i + 1);
        data.truncate(end);
    }
    let (a, ta) = best(|| ours(&data));
    let (b, tb) = best(|| simd(&data));
    let mb = data.len() as f64 / (1 << 20) as f64;
    println!("input        {mb:.0} MiB");
    println!("in-tree      {:>10} records {:>11} fields {:>12} bytes  {ta:.3} s  {:.0} MiB/s", a.0, a.1, a.2, mb / ta);
    println!("simd-csv     {:>10} records {:>11} fields {:>12} bytes  {tb:.3} s  {:.0} MiB/s", b.0, b.1, b.2, mb / tb);
    println!("simd-csv / in-tree time: {:.2}", tb / ta);
}
