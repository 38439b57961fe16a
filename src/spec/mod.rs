//! The OCI runtime configuration (config.json): typed view, parser with field-path errors, and the
//! default configuration `rsrun spec` writes.
mod default;
mod fill;
mod parse;
mod types;

pub use default::default_config;
pub use parse::{parse_config, parse_hooks, parse_process, parse_resources};
pub use types::*;

#[cfg(test)]
mod tests;
