//! Report writers. One module per report kind and output format.

pub mod inspect;
pub mod text;
