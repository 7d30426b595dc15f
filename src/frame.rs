//! The polars boundary: every vectorised aggregation goes through here, and nothing outside this
//! module names a polars type. The store's rows become a DataFrame of the columns a query needs;
//! results come back as plain structs.

use crate::schema::{NumberType, Status};
use crate::store::Store;
use polars::prelude::*;

mod row_groups;

/// What a failed aggregation says.
pub type Error = PolarsError;

/// Per input (or over all inputs when `file` is none).
#[derive(Debug, Clone, Default)]
pub struct Overview {
    pub file: Option<u32>,
    pub messages: u64,
    pub first_ts: Option<i64>,
    pub last_ts: Option<i64>,
    pub destinations: u64,
}

#[derive(Debug, Clone)]
pub struct Spend {
    pub file: Option<u32>,
    /// None: a price without a currency (never summed with a known currency).
    pub currency: Option<String>,
    pub priced_messages: u64,
    pub cost: f64,
}

#[derive(Debug, Clone)]
pub struct CountryCount {
    pub file: Option<u32>,
    pub country: Option<String>,
    pub messages: u64,
    pub destinations: u64,
}

#[derive(Debug, Clone, Default)]
pub struct InspectAggregates {
    pub overview: Vec<Overview>,
    pub spend: Vec<Spend>,
    pub countries: Vec<CountryCount>,
}

/// No currency, in the `currency` column.
const NO_CURRENCY: u32 = u32::MAX;

/// The store's rows as typed columns, in one pass and without a string a row: destinations as
/// integers (E.164 digits; a text destination's symbol with the top bit set), countries as their
/// two ASCII bytes as a u32 (0: unknown; polars has u16 only behind a feature), currencies as symbols. Names come back per group, not per row
/// (at 10M rows, a `String` a destination had been 16 s and 2 GB of `inspect`).
/// The store's rows as a frame (see [`messages`]).
pub struct Messages(DataFrame);

/// The store's rows as typed columns without a string a row: destinations as integers (E.164
/// digits; a text destination's symbol with the top bit set), countries as their two ASCII bytes
/// in a u32 (0: unknown; polars has u16 only behind a feature), currencies as symbols. Names come
/// back per group, not per row: at 10M rows a `String` a destination had been 16 s and 2 GB of
/// `inspect`. Once it is made, the caller may drop the store's rows; the frame holds what the
/// aggregations read.
pub fn messages(store: &Store) -> PolarsResult<Messages> {
    let rows = &store.rows;
    // Columns without nulls move their vectors in; the others are built from iterators (no
    // vector of options between). Half the columns on a second thread (at 10M rows, 0.3 s on
    // one core).
    let (file, dest, country, currency) = std::thread::scope(|s| {
        let by_attrs = s.spawn(|| {
            let file: Vec<u32> = rows.iter().map(|m| store.attrs(m).source_file).collect();
            let currency: Vec<u32> = rows
                .iter()
                .map(|m| {
                    let c = store.attrs(m).currency;
                    if store.str(c).is_some() { c } else { NO_CURRENCY }
                })
                .collect();
            (file, currency)
        });
        let dest: Vec<u64> = rows.iter().map(|m| Store::dest_digits(m).unwrap_or(1 << 63 | m.national)).collect();
        let country: Vec<u32> = rows.iter().map(|m| m.country_opt().map_or(0, |_| u32::from(u16::from_be_bytes(m.region)))).collect();
        let (file, currency) = by_attrs.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (file, dest, country, currency)
    });
    let (ts, cost) = std::thread::scope(|s| {
        let cost = s.spawn(|| Float64Chunked::from_iter_options("cost".into(), rows.iter().map(|m| store.raw_cost(m))));
        let ts = Int64Chunked::from_iter_options("ts".into(), rows.iter().map(|m| m.ts_opt()));
        (ts, cost.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
    });
    Ok(Messages(DataFrame::new_infer_height(vec![
        UInt32Chunked::from_vec("file".into(), file).into_column(),
        ts.into_column(),
        UInt64Chunked::from_vec("destination".into(), dest).into_column(),
        UInt32Chunked::from_vec("country".into(), country).into_column(),
        cost.into_column(),
        UInt32Chunked::from_vec("currency".into(), currency).into_column(),
    ])?))
}

fn country_name(code: u32) -> Option<String> {
    (code != 0).then(|| String::from_utf8_lossy(&(code as u16).to_be_bytes()).into_owned())
}

fn currency_name(store: &Store, c: u32) -> Option<String> {
    (c != NO_CURRENCY).then(|| store.str(c)).flatten().map(str::to_string)
}

fn u64_at(df: &DataFrame, name: &str, i: usize) -> PolarsResult<u64> {
    Ok(match df.column(name)?.get(i)? {
        AnyValue::UInt32(v) => u64::from(v),
        AnyValue::UInt64(v) => v,
        AnyValue::Int64(v) => v.max(0) as u64,
        AnyValue::Int32(v) => v.max(0) as u64,
        _ => 0,
    })
}

fn opt_i64(df: &DataFrame, name: &str, i: usize) -> PolarsResult<Option<i64>> {
    Ok(df.column(name)?.i64()?.get(i))
}

/// The grouping key: `column`, with the input's number in the high 32 bits when `by_file` (one
/// integer key: polars groups several keys through a row encoding that had been the peak of
/// memory).
fn key(by_file: bool, column: &str) -> Expr {
    if by_file {
        (col("file").cast(DataType::UInt64) * lit(1u64 << 32) + col(column).cast(DataType::UInt64)).alias("key")
    } else {
        col(column).cast(DataType::UInt64).alias("key")
    }
}

/// (input, value) of a key.
fn split(by_file: bool, key: u64) -> (Option<u32>, u32) {
    (by_file.then_some((key >> 32) as u32), key as u32)
}

/// Everything `inspect` shows, per input and in total. `store`: for the names of currencies.
pub fn inspect_aggregates(messages: Messages, store: &Store) -> PolarsResult<InspectAggregates> {
    let mut out = InspectAggregates::default();
    let df = messages.0;
    if df.height() == 0 {
        return Ok(out);
    }
    // One input: its figures are the totals (every count again over 10M rows had been a second).
    let one_file = df.column("file")?.n_unique()? == 1;
    let lf = df.lazy();
    for by_file in [true, false] {
        if one_file && !by_file {
            out.overview.extend(out.overview.clone().into_iter().map(|o| Overview { file: None, ..o }));
            out.spend.extend(out.spend.clone().into_iter().map(|o| Spend { file: None, ..o }));
            out.countries.extend(out.countries.clone().into_iter().map(|o| CountryCount { file: None, ..o }));
            break;
        }
        let overview_aggs = [
            len().alias("messages"),
            col("ts").min().alias("first_ts"),
            col("ts").max().alias("last_ts"),
            col("destination").n_unique().alias("destinations"),
        ];
        let df = if by_file {
            lf.clone().group_by([col("file")]).agg(overview_aggs).sort(["file"], SortMultipleOptions::default()).collect()?
        } else {
            lf.clone().select(overview_aggs).collect()?
        };
        for i in 0..df.height() {
            out.overview.push(Overview {
                file: if by_file { df.column("file")?.u32()?.get(i) } else { None },
                messages: u64_at(&df, "messages", i)?,
                first_ts: opt_i64(&df, "first_ts", i)?,
                last_ts: opt_i64(&df, "last_ts", i)?,
                destinations: u64_at(&df, "destinations", i)?,
            });
        }
        // Non-null costs counted in the groups, not a filtered copy of the frame first (that copy
        // had been 400 MB at 10M rows).
        let df = lf
            .clone()
            .group_by([key(by_file, "currency")])
            .agg([col("cost").count().alias("priced"), col("cost").sum().alias("cost")])
            .filter(col("priced").gt(lit(0)))
            .collect()?;
        for i in 0..df.height() {
            let (file, currency) = split(by_file, u64_at(&df, "key", i)?);
            out.spend.push(Spend {
                file,
                currency: currency_name(store, currency),
                priced_messages: u64_at(&df, "priced", i)?,
                cost: df.column("cost")?.f64()?.get(i).unwrap_or(0.0),
            });
        }
        let df = lf
            .clone()
            .group_by([key(by_file, "country")])
            .agg([len().alias("messages"), col("destination").n_unique().alias("destinations")])
            .collect()?;
        for i in 0..df.height() {
            let (file, country) = split(by_file, u64_at(&df, "key", i)?);
            out.countries.push(CountryCount {
                file,
                country: country_name(country),
                messages: u64_at(&df, "messages", i)?,
                destinations: u64_at(&df, "destinations", i)?,
            });
        }
    }
    // Deterministic order: by file, then count desc, then key asc.
    out.spend.sort_by(|a, b| a.file.cmp(&b.file).then(a.currency.cmp(&b.currency)));
    out.countries.sort_by(|a, b| a.file.cmp(&b.file).then(b.messages.cmp(&a.messages)).then(a.country.cmp(&b.country)));
    Ok(out)
}

/// What `export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    Parquet(Compression),
    Csv,
}

/// A Parquet file's page compression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    Zstd,
    Snappy,
    Lz4,
    None,
}

/// A destination's text without a `String` a row: `+` and up to 19 digits on the stack.
struct Digits([u8; 21], u8);

impl Digits {
    fn of(n: u64) -> Digits {
        let mut buf = [0u8; 21];
        let mut i = buf.len();
        let mut v = n;
        loop {
            i -= 1;
            buf[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        i -= 1;
        buf[i] = b'+';
        buf.copy_within(i.., 0);
        Digits(buf, (buf.len() - i) as u8)
    }
}

impl AsRef<str> for Digits {
    fn as_ref(&self) -> &str {
        std::str::from_utf8(&self.0[..usize::from(self.1)]).unwrap_or("")
    }
}

enum DestText<'a> {
    Number(Digits),
    Text(&'a str),
}

impl AsRef<str> for DestText<'_> {
    fn as_ref(&self) -> &str {
        match self {
            DestText::Number(d) => d.as_ref(),
            DestText::Text(t) => t,
        }
    }
}

/// A text column of few distinct values (a provider, a status, a country ...) as polars' Enum:
/// each row holds its value's place in `values` (`None`: null), the file a dictionary page. The
/// Parquet writer then neither estimates the column's cardinality nor hashes every value to
/// build the dictionary, as it does for a text column: at 9.7M Console rows those were a fifth
/// of export's CPU time (bench/README.md, export). `values` must be distinct.
fn enum_column(name: &str, values: &[&str], keys: impl Iterator<Item = Option<u32>>) -> PolarsResult<Column> {
    let dtype = DataType::from_frozen_categories(FrozenCategories::new(values.iter().copied())?);
    let name = PlSmallStr::from(name);
    let series = match dtype.cat_physical()? {
        CategoricalPhysical::U8 => {
            let keys = UInt8Chunked::from_iter_options(name, keys.map(|k| k.and_then(|k| u8::try_from(k).ok())));
            Categorical8Chunked::from_cats_and_dtype(keys, dtype).into_series()
        }
        CategoricalPhysical::U16 => {
            let keys = UInt16Chunked::from_iter_options(name, keys.map(|k| k.and_then(|k| u16::try_from(k).ok())));
            Categorical16Chunked::from_cats_and_dtype(keys, dtype).into_series()
        }
        CategoricalPhysical::U32 => {
            Categorical32Chunked::from_cats_and_dtype(UInt32Chunked::from_iter_options(name, keys), dtype).into_series()
        }
    };
    Ok(series.into_column())
}

/// Distinct texts in the order first met, and each item's place among them.
fn dictionary<'a>(items: impl Iterator<Item = Option<&'a str>>) -> (Vec<&'a str>, Vec<Option<u32>>) {
    let mut places: crate::hash::Map<&str, u32> = crate::hash::Map::default();
    let mut values = Vec::new();
    let keys = items
        .map(|v| {
            v.map(|v| {
                *places.entry(v).or_insert_with(|| {
                    values.push(v);
                    values.len() as u32 - 1
                })
            })
        })
        .collect();
    (values, keys)
}

/// The columns that are properties of a row's [`crate::store::Attrs`] (provider, source,
/// sender, status text, currency, template ...), one row per attrs entry, as Enum columns
/// ([`enum_column`]): a message's values are gathered by its attrs index, a copy of its keys.
fn attrs_frame(store: &Store, paths: &[String]) -> PolarsResult<DataFrame> {
    let n = store.attrs_len() as u32;
    let list: Vec<crate::store::Attrs> = (0..n).map(|i| *store.attrs_at(i)).collect();
    let sym = |s: u32| store.str(s).filter(|s| !s.is_empty());
    fn column<'s>(list: &[crate::store::Attrs], name: &str, f: impl Fn(&crate::store::Attrs) -> Option<&'s str>) -> PolarsResult<Column> {
        let (values, keys) = dictionary(list.iter().map(f));
        enum_column(name, &values, keys.into_iter())
    }
    DataFrame::new_infer_height(vec![
        column(&list, "provider", |a| Some(a.provider().as_str()))?,
        column(&list, "source_format", |a| Some(a.source_format.name()))?,
        column(&list, "source_file", |a| paths.get(a.source_file as usize).map(String::as_str))?,
        column(&list, "account", |a| sym(a.account))?,
        column(&list, "sender", |a| sym(a.sender))?,
        column(&list, "status_raw", |a| sym(a.status_raw))?,
        column(&list, "error_code", |a| sym(a.error_code))?,
        UInt32Chunked::from_iter_options("segments".into(), list.iter().map(|a| a.segments)).into_column(),
        column(&list, "currency", |a| sym(a.currency))?,
        column(&list, "sms_type", |a| a.sms_type.map(|t| t.as_str()))?,
        column(&list, "body_template", |a| sym(a.body_template))?,
        column(&list, "mcc", |a| sym(a.mcc))?,
        column(&list, "mnc", |a| sym(a.mnc))?,
        column(&list, "carrier", |a| sym(a.carrier))?,
    ])
}

/// The countries of `rows` ([`crate::detect::Countries`]: a table by the code's two bytes), for
/// the country column's Enum: values in the order first met.
fn countries_of(store: &Store, rows: &[u32]) -> crate::detect::Countries {
    // Each part's in the order met, then the parts' in order: the order first met.
    let parts = crate::parts::in_parts(rows, |_, part| {
        let mut countries = crate::detect::Countries::default();
        for m in part.iter().map(|&i| &store.rows[i as usize]).filter(|m| m.country_opt().is_some()) {
            countries.id(m.country());
        }
        countries
    });
    let mut countries = crate::detect::Countries::default();
    for code in parts.iter().flat_map(|p| p.codes.iter()) {
        countries.id(*code);
    }
    countries
}

/// The canonical table (every column of [`crate::schema::COLUMNS`], in that order) of the
/// store's rows `rows`: timestamps as UTC milliseconds (i64), cost as f64, enums as their names.
/// `by_attrs`: [`attrs_frame`].
fn canonical(store: &Store, rows: &[u32], by_attrs: &DataFrame, countries: &crate::detect::Countries) -> PolarsResult<DataFrame> {
    let at = |i: &u32| &store.rows[*i as usize];
    let countries_values: Vec<&str> = countries.codes.iter().flatten().filter_map(|c| std::str::from_utf8(c).ok()).collect();
    let (types, statuses) = (NumberType::ALL.map(NumberType::as_str), Status::ALL.map(Status::as_str));
    // Each value's place in `ALL` (the Enum's key), by its discriminant: a table, not a search a row.
    let mut type_key = [0u32; NumberType::ALL.len()];
    NumberType::ALL.iter().enumerate().for_each(|(k, &t)| type_key[t as usize] = k as u32);
    let mut status_key = [0u32; Status::ALL.len()];
    Status::ALL.iter().enumerate().for_each(|(k, &t)| status_key[t as usize] = k as u32);
    let gathered = by_attrs.take(&IdxCa::from_vec("attrs".into(), rows.iter().map(|i| at(i).attrs).collect()))?;
    // Ids unpacked into one buffer, not a `String` a row.
    let mut ids = StringChunkedBuilder::new("message_id".into(), rows.len());
    let mut buf = String::with_capacity(40);
    for i in rows {
        if store.ids.get_into(at(i).idx, &mut buf) {
            ids.append_value(&buf);
        } else {
            ids.append_null();
        }
    }
    let mut columns: Vec<Column> = gathered.into_columns();
    columns.extend([
        ids.finish().into_column(),
        Int64Chunked::from_iter_options("ts".into(), rows.iter().map(|i| at(i).ts_opt())).into_column(),
        // Every row has one (no validity to build).
        StringChunked::from_iter_values(
            "destination".into(),
            rows.iter().map(|i| {
                let m = at(i);
                match Store::dest_digits(m) {
                    Some(n) => DestText::Number(Digits::of(n)),
                    None => DestText::Text(store.str(m.national as u32).unwrap_or("")),
                }
            }),
        )
        .into_column(),
        UInt32Chunked::from_iter_options(
            "calling_code".into(),
            rows.iter().map(|i| (at(i).calling_code != 0).then(|| u32::from(at(i).calling_code))),
        )
        .into_column(),
        enum_column(
            "country",
            &countries_values,
            rows.iter().map(|i| at(i).country_opt().and(countries.get(at(i).country())).map(|k| k as u32)),
        )?,
        enum_column("number_type", &types, rows.iter().map(|i| Some(type_key[at(i).number_type as usize])))?,
        enum_column("status", &statuses, rows.iter().map(|i| Some(status_key[at(i).status as usize])))?,
        Float64Chunked::from_iter_options("cost".into(), rows.iter().map(|i| store.raw_cost(at(i)))).into_column(),
        BooleanChunked::from_iter_options("converted".into(), rows.iter().map(|i| at(i).converted())).into_column(),
    ]);
    // In the schema's order.
    let mut ordered = Vec::with_capacity(columns.len());
    for c in crate::schema::COLUMNS {
        let i = columns.iter().position(|x| x.name().as_str() == c.name).ok_or_else(|| polars_err!(ColumnNotFound: "{}", c.name))?;
        ordered.push(columns.swap_remove(i));
    }
    DataFrame::new_infer_height(ordered)
}

/// Write the canonical table of `rows` (every column of [`crate::schema::COLUMNS`], in that
/// order: timestamps as UTC milliseconds, cost as f64, enums as their names) as Parquet (zstd)
/// or CSV (header, RFC 4180), batch by batch: Parquet batches built and compressed on every core
/// ([`row_groups`]), CSV batches built on a second thread while the writer formats the last one.
/// `paths`: the inputs' paths, by the store's input number.
pub fn write_canonical(store: &Store, rows: &[u32], paths: &[String], format: TableFormat, w: &mut dyn std::io::Write) -> PolarsResult<()> {
    write_batches(store, rows, paths, format, w, BATCH, ZSTD_LEVEL)
}

fn write_batches(
    store: &Store,
    rows: &[u32],
    paths: &[String],
    format: TableFormat,
    w: &mut dyn std::io::Write,
    batch: usize,
    zstd_level: i32,
) -> PolarsResult<()> {
    let by_attrs = attrs_frame(store, paths)?;
    let countries = countries_of(store, rows);
    // Every batch has the columns and Enum values of the empty one.
    let schema = canonical(store, &[], &by_attrs, &countries)?.schema().clone();
    let make = |b: &[u32]| canonical(store, b, &by_attrs, &countries);
    match format {
        TableFormat::Parquet(c) => {
            let compression = match c {
                // The level written in no file; only [`row_groups`] compresses.
                Compression::Zstd => ParquetCompression::Zstd(None),
                Compression::Snappy => ParquetCompression::Snappy,
                Compression::Lz4 => ParquetCompression::Lz4Raw,
                Compression::None => ParquetCompression::Uncompressed,
            };
            let mut writer = ParquetWriter::new(w).with_compression(compression).batched(&schema)?;
            let layout = row_groups::Layout::of(&mut writer, compression, matches!(c, Compression::Zstd).then_some(zstd_level));
            let workers = workers();
            let batch = even_batches(rows.len(), batch);
            let batches = rows.len().div_ceil(batch);
            row_groups::write_in_order(&mut writer, batches, workers, |k| {
                layout.encode(make(&rows[k * batch..rows.len().min((k + 1) * batch)])?)
            })?;
            writer.finish().map(|_| ())
        }
        TableFormat::Csv => {
            // The next batch is built on a second thread while this one is written.
            let mut writer = CsvWriter::new(w).include_header(true).batched(&schema)?;
            std::thread::scope(|s| -> PolarsResult<()> {
                let (tx, rx) = std::sync::mpsc::sync_channel::<PolarsResult<DataFrame>>(1);
                let make = &make;
                s.spawn(move || {
                    for b in rows.chunks(batch) {
                        if tx.send(make(b)).is_err() {
                            break;
                        }
                    }
                });
                for df in rx {
                    writer.write_batch(&df?)?;
                }
                Ok(())
            })?;
            writer.finish()
        }
    }
}

/// The threads that build and compress Parquet batches: one a core, at most [`WORKERS`].
fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).min(WORKERS)
}

/// The rows a batch of `n` rows cut into batches of at most `most`: a multiple of [`WORKERS`]
/// batches, as near as the rows allow, so that two or four workers get as many (with 19 batches
/// for two workers, one core had been idle while the other made the last), and the same on
/// every machine (the row groups do not depend on its cores). One batch when `n` is at most
/// `most`.
fn even_batches(n: usize, most: usize) -> usize {
    if n <= most {
        return most;
    }
    n.div_ceil(n.div_ceil(most).next_multiple_of(WORKERS))
}

/// Threads that build and compress Parquet batches at most (each holds two batches' tables).
const WORKERS: usize = 4;

/// The zstd level of exports: -3, one of zstd's fast levels, with literals Huffman-coded as at
/// level 1 ([`row_groups`]). At 9.7M Console rows, interleaved (bench/README.md, export): level
/// 1 wrote 242.1 MB in 4.74-4.84 s, -3 244.3 MB in 4.53-4.68 s (`scan`: 3.59-3.64 s); -3 without
/// Huffman-coded literals (what zstd does by itself) 438.2 MB; polars' default (3) 256.9 MB, slower.
const ZSTD_LEVEL: i32 = -3;

/// Rows a batch: each becomes a Parquet row group; memory holds two batches' tables at a time
/// (the whole table at once had been 5.8 GB at 10M rows).
const BATCH: usize = 1 << 19;

/// A table as text: column names, and rows of cells (null as None).
pub type TextTable = (Vec<String>, Vec<Vec<Option<String>>>);

/// A Parquet file read back, for round-trip checks.
pub fn read_parquet(path: &std::path::Path) -> PolarsResult<TextTable> {
    let df = ParquetReader::new(std::fs::File::open(path)?).finish()?;
    let names: Vec<String> = df.get_column_names().iter().map(|s| s.to_string()).collect();
    let mut rows = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let mut row = Vec::with_capacity(names.len());
        for c in df.columns() {
            row.push(match c.get(i)? {
                AnyValue::Null => None,
                v => Some(v.get_str().map_or_else(|| v.to_string(), str::to_string)),
            });
        }
        rows.push(row);
    }
    Ok((names, rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_even_among_the_workers() {
        // 9.7M rows: 20 batches, not 19 of 1 << 19; just past one batch: four.
        for (n, batches, size) in [(9_682_507, 20, 484_126), ((1 << 19) + 1, 4, 131_073), (4 << 19, 4, 1 << 19), (1000, 1, 1 << 19)] {
            let got = even_batches(n, 1 << 19);
            assert_eq!((n.div_ceil(got), got), (batches, size), "{n} rows");
        }
        // Any count of rows past a batch: a multiple of the workers, none over the most, the
        // last not much smaller than the others.
        for n in ((1 << 19) + 1..100 << 19).step_by(999_983) {
            let size = even_batches(n, 1 << 19);
            let batches = n.div_ceil(size);
            assert!(size <= 1 << 19 && batches % WORKERS == 0, "{n}: {batches} of {size}");
            assert!(n - (batches - 1) * size + batches > size, "{n}: {batches} of {size}");
        }
    }

    #[test]
    fn batches_of_any_size_write_the_same_table() {
        let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/sim/burst.csv.gz");
        let inputs = vec![crate::ingest::source::InputPath::File(path)];
        let opts = crate::ingest::LoadOptions {
            ingest: crate::ingest::IngestOptions { default_currency: Some("USD".into()), ..Default::default() },
            ..Default::default()
        };
        let loaded = crate::ingest::load(&inputs, &opts, &indicatif::ProgressBar::hidden()).expect("load");
        let store = &loaded.store;
        let rows: Vec<u32> = (0..store.rows.len() as u32).collect();
        let paths = vec!["burst.csv.gz".to_string()];
        let write = |batch: usize| {
            let mut out = Vec::new();
            write_batches(store, &rows, &paths, TableFormat::Csv, &mut out, batch, ZSTD_LEVEL).expect("write");
            out
        };
        let whole = write(usize::MAX);
        assert_eq!(String::from_utf8_lossy(&whole).lines().count(), store.rows.len() + 1);
        for batch in [1, 7, 1000] {
            assert!(write(batch) == whole, "batches of {batch}");
        }
    }

    /// The bundled unverified-spread fixture (Twilio Verify attempts: conversions known), loaded,
    /// with every row of its store and its input's path.
    fn spread() -> (crate::ingest::Loaded, Vec<u32>, Vec<String>) {
        let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/sim/unverified-spread.ndjson.gz");
        let inputs = vec![crate::ingest::source::InputPath::File(path)];
        let loaded = crate::ingest::load(&inputs, &Default::default(), &indicatif::ProgressBar::hidden()).expect("load");
        let rows = (0..loaded.store.rows.len() as u32).collect();
        (loaded, rows, vec!["unverified-spread.ndjson.gz".to_string()])
    }

    /// The row groups compressed on worker threads ([`row_groups`]) make the file polars' own
    /// batched writer makes from the same batches, byte for byte: every batch size, no rows.
    #[test]
    fn parquet_from_workers_is_polars_batched_file() {
        let (loaded, all, paths) = spread();
        let store = &loaded.store;
        let by_attrs = attrs_frame(store, &paths).expect("attrs");
        let compression = ParquetCompression::Zstd(Some(polars_parquet::write::ZstdLevel::try_new(1).expect("level")));
        for (rows, batch) in [(&all[..50], 1), (&all[..], 7), (&all[..], 333), (&all[..], usize::MAX), (&all[..0], 333)] {
            let (mut want, countries) = (Vec::new(), countries_of(store, rows));
            let schema = canonical(store, &[], &by_attrs, &countries).expect("schema").schema().clone();
            let mut writer = ParquetWriter::new(&mut want).with_compression(compression).batched(&schema).expect("writer");
            for b in rows.chunks(even_batches(rows.len(), batch).min(rows.len().max(1))) {
                writer.write_batch(&canonical(store, b, &by_attrs, &countries).expect("batch")).expect("write");
            }
            writer.finish().expect("finish");
            let mut got = Vec::new();
            write_batches(store, rows, &paths, TableFormat::Parquet(Compression::Zstd), &mut got, batch, 1).expect("parquet");
            assert!(got == want, "{} rows in batches of {batch}: {} bytes, polars {}", rows.len(), got.len(), want.len());
        }
    }

    /// The Enum columns (one dictionary for the whole file, keys a row) read back as the text the
    /// CSV has, cell by cell, in row groups of any size; the Parquet file's column types are text.
    #[test]
    fn parquet_cells_are_the_csv_cells() {
        let (loaded, rows, paths) = spread();
        let store = &loaded.store;
        let mut csv_text = Vec::new();
        write_batches(store, &rows, &paths, TableFormat::Csv, &mut csv_text, 1000, ZSTD_LEVEL).expect("csv");
        let mut reader = csv::Reader::from_reader(csv_text.as_slice());
        let want: Vec<Vec<Option<String>>> =
            reader.records().map(|r| r.expect("record").iter().map(|c| (!c.is_empty()).then(|| c.to_string())).collect()).collect();
        assert_eq!(want.len(), store.rows.len());
        for batch in [333, usize::MAX] {
            let dir = tempfile::tempdir().expect("tempdir");
            let file = dir.path().join("t.parquet");
            let mut out = std::fs::File::create(&file).expect("create");
            write_batches(store, &rows, &paths, TableFormat::Parquet(Compression::Zstd), &mut out, batch, ZSTD_LEVEL).expect("parquet");
            let (names, got) = read_parquet(&file).expect("read");
            assert_eq!(names, crate::schema::COLUMNS.iter().map(|c| c.name).collect::<Vec<_>>());
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                for (c, name) in names.iter().enumerate() {
                    // Costs as the CSV writes a double and as polars prints one may differ in form only.
                    if name == "cost" {
                        let num = |v: &Option<String>| v.as_deref().map(|v| v.parse::<f64>().expect("a double"));
                        assert_eq!(num(&g[c]), num(&w[c]), "row {i} {name}");
                    } else {
                        assert_eq!(g[c], w[c], "row {i} {name} (row groups of {batch})");
                    }
                }
            }
            let df = ParquetReader::new(std::fs::File::open(&file).expect("open")).finish().expect("frame");
            for name in ["country", "status", "provider", "number_type"] {
                let dtype = df.column(name).expect("column").dtype().clone();
                assert!(matches!(dtype, DataType::String | DataType::Enum(..) | DataType::Categorical(..)), "{name}: {dtype}");
            }
        }
    }
}
