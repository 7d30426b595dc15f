//! The polars boundary: every vectorised aggregation goes through here, and nothing outside this
//! module names a polars type. The store's rows become a DataFrame of the columns a query needs;
//! results come back as plain structs.

use crate::store::Store;
use polars::prelude::*;

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

fn messages_frame(store: &Store) -> PolarsResult<DataFrame> {
    let rows = &store.rows;
    let file: Vec<u32> = rows.iter().map(|m| store.attrs(m).source_file).collect();
    let ts: Vec<Option<i64>> = rows.iter().map(|m| m.ts_opt()).collect();
    let dest: Vec<String> = rows.iter().map(|m| store.destination(m)).collect();
    let country: Vec<Option<&str>> = rows.iter().map(|m| m.country_opt()).collect();
    let cost: Vec<Option<f64>> = rows.iter().map(|m| store.raw_cost(m)).collect();
    let currency: Vec<Option<&str>> = rows.iter().map(|m| store.str(store.attrs(m).currency)).collect();
    DataFrame::new_infer_height(vec![
        Series::new("file".into(), file).into(),
        Series::new("ts".into(), ts).into(),
        Series::new("destination".into(), dest).into(),
        Series::new("country".into(), country).into(),
        Series::new("cost".into(), cost).into(),
        Series::new("currency".into(), currency).into(),
    ])
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

fn opt_str(df: &DataFrame, name: &str, i: usize) -> PolarsResult<Option<String>> {
    Ok(df.column(name)?.str()?.get(i).map(str::to_string))
}

fn opt_file(df: &DataFrame, i: usize, by_file: bool) -> PolarsResult<Option<u32>> {
    if by_file { Ok(df.column("file")?.u32()?.get(i)) } else { Ok(None) }
}

/// Everything `inspect` shows, per input and in total.
pub fn inspect_aggregates(store: &Store) -> PolarsResult<InspectAggregates> {
    let mut out = InspectAggregates::default();
    if store.rows.is_empty() {
        return Ok(out);
    }
    let lf = messages_frame(store)?.lazy();
    for by_file in [true, false] {
        let keys = |extra: &str| -> Vec<Expr> {
            let mut k = Vec::new();
            if by_file {
                k.push(col("file"));
            }
            if !extra.is_empty() {
                k.push(col(extra));
            }
            k
        };
        let overview_aggs = [
            len().alias("messages"),
            col("ts").min().alias("first_ts"),
            col("ts").max().alias("last_ts"),
            col("destination").n_unique().alias("destinations"),
        ];
        let df = if by_file {
            lf.clone().group_by(keys("")).agg(overview_aggs).sort(["file"], SortMultipleOptions::default()).collect()?
        } else {
            lf.clone().select(overview_aggs).collect()?
        };
        for i in 0..df.height() {
            out.overview.push(Overview {
                file: opt_file(&df, i, by_file)?,
                messages: u64_at(&df, "messages", i)?,
                first_ts: opt_i64(&df, "first_ts", i)?,
                last_ts: opt_i64(&df, "last_ts", i)?,
                destinations: u64_at(&df, "destinations", i)?,
            });
        }
        let df = lf
            .clone()
            .filter(col("cost").is_not_null())
            .group_by(keys("currency"))
            .agg([len().alias("priced"), col("cost").sum().alias("cost")])
            .collect()?;
        for i in 0..df.height() {
            out.spend.push(Spend {
                file: opt_file(&df, i, by_file)?,
                currency: opt_str(&df, "currency", i)?,
                priced_messages: u64_at(&df, "priced", i)?,
                cost: df.column("cost")?.f64()?.get(i).unwrap_or(0.0),
            });
        }
        let df = lf
            .clone()
            .group_by(keys("country"))
            .agg([len().alias("messages"), col("destination").n_unique().alias("destinations")])
            .collect()?;
        for i in 0..df.height() {
            out.countries.push(CountryCount {
                file: opt_file(&df, i, by_file)?,
                country: opt_str(&df, "country", i)?,
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
