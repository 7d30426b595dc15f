//! Helpers shared by the human-readable writers.

use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};

/// Strip control characters (and so ANSI / OSC escape sequences' introducers) from text that
/// came from input before it reaches a terminal.
pub fn clean(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// A table with the house style; fixed width when not writing to a terminal, so output is
/// stable in files, pipes and golden tests.
pub fn table(headers: &[&str], tty: bool) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED).set_header(headers.to_vec());
    if tty {
        // Wrap to the terminal only when its width is known and usable: a pty that reports 0
        // columns would otherwise crush every column to one character.
        let usable = t.width().is_some_and(|w| w >= 80);
        t.set_content_arrangement(if usable { ContentArrangement::Dynamic } else { ContentArrangement::Disabled });
    } else {
        t.force_no_tty().set_width(160).set_content_arrangement(ContentArrangement::Disabled);
    }
    t
}

/// Money with enough digits for sub-cent SMS prices.
pub fn money(v: f64) -> String {
    if v.abs() >= 100.0 { format!("{v:.2}") } else { format!("{v:.4}") }
}
