//! `pumphound export`: the canonical message table (every column of `pumphound formats`) as
//! Parquet (zstd) or CSV, one file per input or one directory per UTC day, for Spark, Athena,
//! Trino or DuckDB (`sql/`). Every file is written whole or not at all (a temporary file in the
//! directory, renamed); existing files are refused without `--force`, before anything is written.

use crate::cli::{Compression, ExportArgs, ExportFormat, Partition};
use crate::error::{Error, Outcome};
use crate::frame::TableFormat;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Hive's name for the partition of rows without a value (Spark, Athena and Trino read it).
pub const NO_DAY: &str = "__HIVE_DEFAULT_PARTITION__";

const DAY_MS: i64 = 86_400_000;

/// A file name for an input: its name without compression and format extensions, in safe
/// characters (`stdin` for `-`).
fn stem(path: &str) -> String {
    let name = Path::new(path).file_name().and_then(|n| n.to_str()).unwrap_or("stdin");
    let name = if path == "-" { "stdin" } else { name };
    let mut s = name.to_string();
    for ext in [".gz", ".csv", ".json", ".ndjson", ".jsonl", ".txt", ".log"] {
        if s.len() > ext.len() && s.to_ascii_lowercase().ends_with(ext) {
            s.truncate(s.len() - ext.len());
        }
    }
    let clean: String = s.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect();
    if clean.is_empty() || clean.starts_with('.') { format!("input{clean}") } else { clean }
}

pub fn run(a: &ExportArgs) -> Result<Outcome, Error> {
    let (format, ext) = match a.format {
        ExportFormat::Parquet => (TableFormat::Parquet(a.compression.unwrap_or(Compression::Zstd).into()), "parquet"),
        ExportFormat::Csv if a.compression.is_some() => {
            return Err(Error::Usage("--compression applies to Parquet files (-f parquet)".into()));
        }
        ExportFormat::Csv => (TableFormat::Csv, "csv"),
    };
    // The inputs' SHA-256 is in no export output: not computed.
    let loaded = super::load_with(&a.input, &a.display, |o| o.no_digest = true)?;
    let store = &loaded.store;
    let paths: Vec<String> = loaded.inputs.iter().map(|s| s.path.clone()).collect();
    // The files and their rows, in the store's order: grouped by input number or by day first
    // (a name a row had been 9.7M allocations and path comparisons), named once a group.
    let mut files: BTreeMap<PathBuf, Vec<u32>> = BTreeMap::new();
    match a.partition {
        Partition::Input => {
            // On every core (this pass and the table's countries are what runs on one thread
            // between loading and the first batch), the parts' lists joined in order.
            let parts = crate::parts::in_parts(&store.rows, |_, part| -> Result<Vec<Vec<u32>>, usize> {
                let mut by_input: Vec<Vec<u32>> = vec![Vec::new(); paths.len()];
                for m in crate::memory::ahead(part) {
                    let input = store.attrs(m).source_file as usize;
                    by_input.get_mut(input).ok_or(input)?.push(m.idx);
                }
                Ok(by_input)
            });
            let mut by_input: Vec<Vec<u32>> = vec![Vec::new(); paths.len()];
            for part in parts {
                let part = part.map_err(|input| Error::Other(format!("export: a message of input {input}, of {} read", paths.len())))?;
                by_input.iter_mut().zip(part).for_each(|(all, rows)| all.extend(rows));
            }
            let mut names: Vec<PathBuf> = Vec::new();
            for (p, rows) in paths.iter().zip(by_input) {
                let base = stem(p);
                let mut name = PathBuf::from(format!("{base}.{ext}"));
                let mut n = 1;
                while names.contains(&name) {
                    n += 1;
                    name = PathBuf::from(format!("{base}-{n}.{ext}"));
                }
                names.push(name.clone());
                if !rows.is_empty() {
                    files.insert(name, rows);
                }
            }
        }
        Partition::Day => {
            let mut by_day: BTreeMap<Option<i64>, Vec<u32>> = BTreeMap::new();
            for m in &store.rows {
                by_day.entry(m.ts_opt().map(|t| t.div_euclid(DAY_MS))).or_default().push(m.idx);
            }
            for (day, rows) in by_day {
                let day = day.map_or_else(|| NO_DAY.to_string(), |d| crate::units::time(d.saturating_mul(DAY_MS))[..10].to_string());
                files.entry(PathBuf::from(format!("day={day}")).join(format!("part-0.{ext}"))).or_default().extend(rows);
            }
        }
    }
    let dir = PathBuf::from(&a.out);
    if let Some(existing) = files.keys().map(|f| dir.join(f)).find(|f| f.exists())
        && !a.force
    {
        return Err(Error::OutputExists(existing.display().to_string()));
    }
    // Batches are built and freed over and over from here on: keep freed memory for reuse.
    crate::memory::retain();
    let spinner = crate::progress::stage("writing", !(a.display.quiet || a.display.no_progress));
    let mut written = Vec::new();
    for (name, rows) in &files {
        let path = dir.join(name);
        let parent = path.parent().unwrap_or(&dir).to_path_buf();
        std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
        let tmp = parent.join(format!(".{}.tmp-{}", name.file_name().and_then(|n| n.to_str()).unwrap_or("part"), std::process::id()));
        let result = (|| -> Result<(), Error> {
            let f = std::fs::File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
            let mut w = std::io::BufWriter::new(f);
            crate::frame::write_canonical(store, rows, &paths, format, &mut w)
                .map_err(|e| Error::Other(format!("export: {}: {e}", path.display())))?;
            w.flush().map_err(|e| Error::io(&tmp, e))?;
            std::fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e))
        })();
        if let Err(e) = result {
            let _ = std::fs::remove_file(&tmp);
            spinner.finish_and_clear();
            return Err(e);
        }
        written.push((path, rows.len()));
    }
    spinner.finish_and_clear();
    // stdout: the files written and their rows, for scripts; stderr: what was read.
    let mut out = std::io::stdout().lock();
    for (path, n) in &written {
        writeln!(out, "{}\t{n}", path.display()).map_err(Error::Write)?;
    }
    if !a.display.quiet {
        for s in &loaded.inputs {
            let skipped: Vec<String> = s.skipped.iter().map(|(k, v)| format!("{k}: {}", v.count)).collect();
            eprintln!(
                "pumphound: {}: {} rows read, {} used, {} skipped{}",
                s.path,
                s.rows_read,
                s.rows_used,
                s.rows_skipped(),
                if skipped.is_empty() { String::new() } else { format!(" ({})", skipped.join(", ")) }
            );
        }
        let total: usize = written.iter().map(|w| w.1).sum();
        eprintln!("pumphound: {total} messages in {} file(s) under {}", written.len(), dir.display());
    }
    Ok(Outcome::Clean)
}

#[cfg(test)]
mod tests {
    use super::stem;

    #[test]
    fn file_names_from_inputs() {
        assert_eq!(stem("exports/2024-03-01.json.gz"), "2024-03-01");
        assert_eq!(stem("a/Messages export.csv"), "Messages_export");
        assert_eq!(stem("-"), "stdin");
        assert_eq!(stem("x/.csv"), "input.csv");
        assert_eq!(stem("logs/sns.ndjson"), "sns");
    }
}
