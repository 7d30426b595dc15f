//! The polars boundary: every vectorised aggregation goes through here, and nothing outside this
//! module names a polars type. The store's rows become a DataFrame of the columns a query needs;
//! results come back as plain structs.

use crate::store::Store;
use polars::prelude::*;

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
    // vector of options between).
    let file: Vec<u32> = rows.iter().map(|m| store.attrs(m).source_file).collect();
    let dest: Vec<u64> = rows.iter().map(|m| Store::dest_digits(m).unwrap_or(1 << 63 | m.national)).collect();
    let country: Vec<u32> = rows.iter().map(|m| m.country_opt().map_or(0, |_| u32::from(u16::from_be_bytes(m.region)))).collect();
    let currency: Vec<u32> = rows
        .iter()
        .map(|m| {
            let c = store.attrs(m).currency;
            if store.str(c).is_some() { c } else { NO_CURRENCY }
        })
        .collect();
    Ok(Messages(DataFrame::new_infer_height(vec![
        UInt32Chunked::from_vec("file".into(), file).into_column(),
        Int64Chunked::from_iter_options("ts".into(), rows.iter().map(|m| m.ts_opt())).into_column(),
        UInt64Chunked::from_vec("destination".into(), dest).into_column(),
        UInt32Chunked::from_vec("country".into(), country).into_column(),
        Float64Chunked::from_iter_options("cost".into(), rows.iter().map(|m| store.raw_cost(m))).into_column(),
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
