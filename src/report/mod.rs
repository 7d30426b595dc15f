//! Report writers. One module per report kind and output format.

pub mod evidence;
pub mod html;
pub mod inspect;
pub mod scan;
pub mod scan_csv;
pub mod scan_markdown;
pub mod scan_table;
pub mod scan_wide;
pub mod text;
