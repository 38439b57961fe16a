//! The OCI runtime configuration (config.json): typed view, parser with field-path errors, and the
//! default configuration `rsrun spec` writes.
mod types;

pub use types::*;
