//! Parquet row groups encoded and compressed on every core, written in order by one thread.
//!
//! polars' batched writer encodes a batch's columns on its thread pool but compresses the pages
//! while it writes them, on the writing thread: at 9.7M Console rows that thread was busy for
//! 3.8 s of the write's 4.1 s (zstd more than half of it) while the other core built the next
//! batch and then waited. Here each worker builds its batches, encodes and compresses their
//! pages (`array_to_columns` and `Compressor`, what polars' own streaming sink runs), and the
//! writing thread only copies finished pages into the file, batch after batch in input order.
//! The file is the one the batched writer makes: the same pages, statistics and footer.

use polars::io::parquet::write::{BatchedWriter, StatisticsOptions, get_encodings};
use polars::prelude::*;
use polars_parquet::parquet::error::{ParquetError, ParquetResult};
use polars_parquet::write::{
    CompressedPage, CompressionOptions, Compressor, Encoding, ParquetType, Version, WriteOptions, array_to_columns,
};

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
}

impl Layout {
    pub fn of<W: std::io::Write>(writer: &mut BatchedWriter<W>, compression: ParquetCompression) -> Layout {
        let compression: CompressionOptions = compression.into();
        Layout {
            fields: writer.parquet_schema().fields().to_vec(),
            options: WriteOptions { statistics: StatisticsOptions::default(), version: Version::V1, compression, data_page_size: None },
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
                    let compressed: ParquetResult<Vec<CompressedPage>> =
                        Compressor::new_from_vec(pages, self.options.compression, Vec::new()).collect();
                    columns.push(compressed?);
                }
            }
            groups.push((batch.len() as u64, columns));
        }
        Ok(groups)
    }
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
