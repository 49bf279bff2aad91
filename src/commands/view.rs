//! The view options the commands that show changes share (`diff`, `show`, `revert-preview`,
//! `revert`, `restore`): one definition, so their names, help and meaning cannot drift.
//! Each command words `--json`'s help for its own document with
//! `#[command(mut_arg("json", …))]`.

use crate::render::Style;
use crate::ui::Ui;

#[derive(Debug, Clone, clap::Args)]
pub struct ViewArgs {
    /// Print JSON
    #[arg(long)]
    pub json: bool,

    /// Stacked view: the old value above the new one (the default below 80 columns)
    #[arg(long)]
    pub unified: bool,

    /// Show secrets (values of keys such as api_key or token, and keys, tokens and URL passwords
    /// inside values) instead of ********
    #[arg(long)]
    pub show_secrets: bool,
}

impl ViewArgs {
    /// The human text view these options ask for on this terminal.
    pub fn text_style(&self, ui: &Ui) -> Style {
        Style::text(ui, self.show_secrets, self.unified)
    }
}
