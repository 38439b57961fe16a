//! The container process: credentials, capabilities, limits, environment and the final execve.
