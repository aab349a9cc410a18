//! The server's configuration file: `key = value` lines, `#` comments.

pub mod config;
