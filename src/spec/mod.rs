//! The OCI runtime configuration (config.json): typed view, parser with field-path errors, and the
//! default configuration `rsrun spec` writes.
mod default;
mod types;

pub use default::default_config;
pub use types::*;
