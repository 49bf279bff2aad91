//! User settings from `config.yaml` in the platform's config folder
//! (`~/.config/agentctl/config.yaml` on Linux). Flags and environment variables win over it.

use std::path::PathBuf;

use serde::Deserialize;

use crate::error::{Error, Location, Result};
use crate::ui::ColorChoice;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct UserConfig {
    /// Who publishes, when neither --author nor AGENTCTL_AUTHOR says.
    pub author: Option<String>,
    /// auto, always or never.
    pub color: Option<ColorChoice>,
    /// The pager for long output, when neither AGENTCTL_PAGER nor PAGER says; empty: none.
    pub pager: Option<String>,
}

pub fn path() -> Option<PathBuf> {
    dirs::config_dir().map(|dir| dir.join("agentctl").join("config.yaml"))
}

/// Load the user config; a missing file is an empty config, a broken one an error.
pub fn load() -> Result<UserConfig> {
    let Some(path) = path() else {
        return Ok(UserConfig::default());
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(UserConfig::default()),
        Err(e) => {
            return Err(Error::new(format!("cannot read {}: {e}", path.display())));
        }
    };
    if text.trim().is_empty() {
        return Ok(UserConfig::default());
    }
    serde_yaml::from_str(&text).map_err(|e| {
        let location = e.location();
        Error::new(format!("invalid user config: {e}"))
            .at(Location {
                file: path.display().to_string(),
                line: location.as_ref().map(|l| l.line()),
                column: location.as_ref().map(|l| l.column()),
            })
            .hint("fix or delete the file; it takes `author: NAME`, `color: auto|always|never` and `pager: COMMAND`")
    })
}
