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

/// Joins what must stay on one line (an amount and its currency); written as a space.
pub const GLUE: char = '\u{a0}';
/// `text` laid out from column `prefix.len()` (after `prefix` on the first line, indented on
/// the others), broken only at spaces, each line at most `width` wide unless one token is wider.
pub fn wrap(prefix: &str, text: &str, width: usize) -> String {
    hang(prefix, prefix.chars().count(), text, width)
}

/// `s` as one unit for `wrap` (a path, `UZ 4924`, `min_distinct = 12`): its spaces become `GLUE`.
pub fn glue(s: &str) -> String {
    s.replace(' ', &GLUE.to_string())
}

/// Like `wrap`, but lines after the first start at column `indent` (a hanging indent), so a
/// long item reads as one item: `    min_score = 25: Chernoff score...` then `      continued`.
pub fn hang(prefix: &str, indent: usize, text: &str, width: usize) -> String {
    let mut out = String::from(prefix);
    let mut col = prefix.chars().count();
    let mut first = true;
    let mut gap = 1;
    for word in text.split(' ') {
        if word.is_empty() {
            gap += 1;
            continue;
        }
        let len = word.chars().count();
        if !first && col + gap + len > width {
            out.push('\n');
            out.extend(std::iter::repeat_n(' ', indent));
            col = indent;
            first = true;
        }
        if !first {
            out.extend(std::iter::repeat_n(' ', gap));
            col += gap;
        }
        out.push_str(word);
        col += len;
        first = false;
        gap = 1;
    }
    out.push('\n');
    out.replace(GLUE, " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hang_indents_the_lines_after_the_first_and_keeps_glued_units() {
        let text = format!("{}: distinct destinations a range needs", glue("min_distinct = 12"));
        let out = hang("    ", 6, &text, 30);
        assert_eq!(out, "    min_distinct = 12:\n      distinct destinations a\n      range needs\n");
        assert_eq!(hang("  ", 4, "a +99891445123456789012345 b", 10), "  a\n    +99891445123456789012345\n    b\n");
    }

    #[test]
    fn glued_text_is_never_broken_and_is_written_with_spaces() {
        let out = wrap("", &format!("x {} y", glue("testdata/my exports/a b.csv")), 12);
        assert_eq!(out, "x\ntestdata/my exports/a b.csv\ny\n");
    }
}
