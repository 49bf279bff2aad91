//! The conflicts of a revert: for each, what the reverted publish set, what staging holds,
//! and what the revert would set.

use super::{Paint, Style, clean, mask, side, value_text};
use crate::merge::Conflict;

/// Conflicts of reverting publish `version`, as a list people can act on.
pub fn conflicts_text(conflicts: &[Conflict], version: u64, style: Style) -> String {
    let header = format!("Conflicts ({})", conflicts.len());
    let mut out = format!("  {}\n", style.paint(&header, Paint::Header));
    let labels = [
        format!("v{version} set:"),
        "staging holds:".to_owned(),
        "revert would set:".to_owned(),
    ];
    let width = labels.iter().map(String::len).max().unwrap_or(0);
    for conflict in conflicts {
        out.push_str(&format!(
            "    {} {}\n",
            style.paint("!", Paint::Changed),
            style.paint(&clean(&conflict.path.to_string()), Paint::Path)
        ));
        let values = [
            (&conflict.reverted_value, Paint::Removed),
            (&conflict.staging_value, Paint::Changed),
            (&conflict.would_set, Paint::Added),
        ];
        for (label, (value, paint)) in labels.iter().zip(values) {
            let value = if style.show_secrets {
                value.clone()
            } else {
                mask(&conflict.path, value)
            };
            out.push_str(&side(
                &format!("{label:<width$}"),
                &value_text(&value),
                style,
                paint,
            ));
        }
    }
    out
}
