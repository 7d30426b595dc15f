//! Parquet row groups encoded and compressed on every core, written in order by one thread.
//!
//! polars' batched writer encodes a batch's columns on its thread pool but compresses the pages
//! while it writes them, on the writing thread: at 9.7M Console rows that thread was busy for
//! 3.8 s of the write's 4.1 s (zstd more than half of it) while the other core built the next
//! batch and then waited. Here each worker builds its batches, encodes and compresses their
//! pages (`array_to_columns` and `Compressor`, what polars' own streaming sink runs), and the
//! writing thread only copies finished pages into the file, batch after batch in input order.
//! The file is the one the batched writer makes: the same pages, statistics and footer; zstd
//! pages are compressed here ([`zstd_page`]), at a level polars does not offer.

use polars::io::parquet::write::{BatchedWriter, StatisticsOptions, get_encodings};
use polars::prelude::*;
use polars_parquet::parquet::CowBuffer;
use polars_parquet::parquet::error::{ParquetError, ParquetResult};
use polars_parquet::parquet::page::{CompressedDataPage, CompressedDictPage, Page};
use polars_parquet::write::{
    CompressedPage, CompressionOptions, Compressor, Encoding, ParquetType, Version, WriteOptions, array_to_columns,
};
use zstd::stream::raw::CParameter;
use zstd::zstd_safe::ParamSwitch;

/// Columns written plain, not offered to polars' dictionary encoding: over [`ALWAYS_TRIED`]
/// rows it first estimates a column's distinct values (hashing every value) and gives up on
/// these when every row has one, message ids being distinct and floats not castable to a
/// dictionary (a column with missing values is left to polars: it counts them as one value and
/// may make a dictionary). The pages are the same (a test checks them against polars' own
/// writer); at 9.7M Console rows the estimates were a tenth of a second of CPU
/// (bench/README.md, export).
const PLAIN: [&str; 2] = ["message_id", "cost"];

/// Up to this many rows polars builds a dictionary without estimating first.
const ALWAYS_TRIED: usize = 128;

/// A batch's row groups: each its rows and, a column after another, its compressed pages.
pub type Encoded = Vec<(u64, Vec<Vec<CompressedPage>>)>;

/// What the workers need of the file: its columns' Parquet types and the pages' options (those
/// [`polars::prelude::ParquetWriter`] gives its batched writer).
#[derive(Clone)]
pub struct Layout {
    fields: Vec<ParquetType>,
    options: WriteOptions,
    /// The zstd level of the pages, when zstd: they are compressed here ([`zstd_page`]), since
    /// polars offers levels 1 to 22 only.
    zstd: Option<i32>,
}

impl Layout {
    pub fn of<W: std::io::Write>(writer: &mut BatchedWriter<W>, compression: ParquetCompression, zstd: Option<i32>) -> Layout {
        let compression: CompressionOptions = compression.into();
        Layout {
            fields: writer.parquet_schema().fields().to_vec(),
            options: WriteOptions { statistics: StatisticsOptions::default(), version: Version::V1, compression, data_page_size: None },
            zstd,
        }
    }

    /// `df`'s row groups (one a chunk; the canonical batches are one chunk), compressed.
    pub fn encode(&self, mut df: DataFrame) -> PolarsResult<Encoded> {
        df.align_chunks();
        let mut groups = Vec::new();
        for batch in df.iter_chunks(CompatLevel::newest(), false) {
            if batch.is_empty() {
                continue;
            }
            let encodings = get_encodings(batch.schema());
            let mut columns = Vec::with_capacity(self.fields.len());
            for ((array, field), encoding) in batch.columns().iter().zip(&self.fields).zip(encodings.iter()) {
                let encoding: &[Encoding] = if batch.len() > ALWAYS_TRIED && array.null_count() == 0 && PLAIN.contains(&field.name()) {
                    &[Encoding::Plain]
                } else {
                    encoding
                };
                for pages in array_to_columns(array, field.clone(), self.options, encoding)? {
                    let pages = pages.map(|p| p.map_err(|e| ParquetError::FeatureNotSupported(format!("{e}"))));
                    let compressed: ParquetResult<Vec<CompressedPage>> = match self.zstd {
                        Some(level) => pages.map(|p| zstd_page(p?, level)).collect(),
                        None => Compressor::new_from_vec(pages, self.options.compression, Vec::new()).collect(),
                    };
                    columns.push(compressed?);
                }
            }
            groups.push((batch.len() as u64, columns));
        }
        Ok(groups)
    }
}

thread_local! {
    /// A zstd context a thread, with its level (polars makes one a page: 0.4 % of the CPU).
    static ZSTD: std::cell::RefCell<Option<(i32, zstd::bulk::Compressor<'static>)>> = const { std::cell::RefCell::new(None) };
}

/// `page` compressed as one zstd frame at `level` (below 1: zstd's fast levels), as polars'
/// `Compressor` does it, with Huffman-coded literals at every level.
fn zstd_page(page: Page, level: i32) -> ParquetResult<CompressedPage> {
    let input: &[u8] = match &page {
        Page::Data(p) => p.buffer(),
        Page::Dict(p) => &p.buffer,
    };
    let compressed = ZSTD
        .with_borrow_mut(|slot| -> std::io::Result<Vec<u8>> {
            if slot.as_ref().is_none_or(|(l, _)| *l != level) {
                let mut c = zstd::bulk::Compressor::new(level)?;
                // zstd turns the Huffman coding of literals off at its fast levels: on, as at level 1.
                c.set_parameter(CParameter::LiteralCompressionMode(ParamSwitch::Enable))?;
                *slot = Some((level, c));
            }
            let (_, c) = slot.as_mut().expect("set above");
            c.compress(input)
        })
        .map_err(|e| ParquetError::FeatureNotSupported(format!("zstd: {e}")))?;
    let size = input.len();
    let codec = polars_parquet::parquet::compression::Compression::Zstd;
    Ok(match page {
        Page::Data(p) => {
            let rows = p.num_rows.ok_or_else(|| ParquetError::FeatureNotSupported("a data page without rows".into()))?;
            CompressedPage::Data(CompressedDataPage::new(p.header().clone(), CowBuffer::Owned(compressed), codec, size, p.descriptor, rows))
        }
        Page::Dict(p) => {
            CompressedPage::Dict(CompressedDictPage::new(CowBuffer::Owned(compressed), codec, size, p.num_values, p.is_sorted))
        }
    })
}

/// Write `batches` batches, `make(k)` building and encoding batch `k` on one of `workers`
/// threads (batch `k` on worker `k % workers`, each at most one finished batch ahead), into
/// `writer` in order.
pub fn write_in_order<W: std::io::Write>(
    writer: &mut BatchedWriter<W>,
    batches: usize,
    workers: usize,
    make: impl Fn(usize) -> PolarsResult<Encoded> + Sync,
) -> PolarsResult<()> {
    let workers = workers.clamp(1, batches.max(1));
    std::thread::scope(|s| -> PolarsResult<()> {
        let make = &make;
        let queues: Vec<_> = (0..workers)
            .map(|t| {
                let (tx, rx) = std::sync::mpsc::sync_channel::<PolarsResult<Encoded>>(1);
                s.spawn(move || {
                    for k in (t..batches).step_by(workers) {
                        let encoded = make(k);
                        let failed = encoded.is_err();
                        if tx.send(encoded).is_err() || failed {
                            break;
                        }
                    }
                });
                rx
            })
            .collect();
        for k in 0..batches {
            let encoded = queues[k % workers].recv().map_err(|_| polars_err!(ComputeError: "export: a writer thread ended early"))??;
            for (rows, columns) in &encoded {
                writer.write_row_group(*rows, columns)?;
            }
        }
        Ok(())
    })
}
