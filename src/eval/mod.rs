//! `kiln eval`: suites of tasks run against one or more models, with the
//! statistics that turn a change of model or profile into an A/B
//! comparison with numbers.
//!
//! The task format is [`task`]; what a run writes is [`record`]. The
//! format is documented for task authors in `evals/README.md`.

pub mod record;
pub mod task;
pub mod load;
pub mod stats;
pub mod summary;
#[cfg(test)]
pub(crate) mod testing;
pub mod compare;
pub mod report;
pub mod baseline;
pub mod gate;
