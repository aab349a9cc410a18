//! kiln: a terminal coding-agent harness for models you control.
//!
//! Data flows one way: input (CLI, later the TUI and the eval runner) →
//! [`agent`] loop → [`backend`] → [`agent::events`] → sinks.

pub mod agent;
pub mod approval;
pub mod backend;
pub mod chat;
pub mod checkpoint;
pub mod cli;
pub mod config;
pub mod engine;
pub mod eval;
pub mod fix;
pub mod models;
pub mod profile;
pub mod prompt;
pub mod repomap;
pub mod sandbox;
pub mod sessions;
pub mod template;
pub mod toolcall;
pub mod tools;
pub mod tui;
