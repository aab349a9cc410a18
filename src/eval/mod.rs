//! `kiln eval`: suites of tasks run against one or more models, with the
//! statistics that turn a change of model or profile into an A/B
//! comparison with numbers.
//!
//! The task format is [`task`]; what a run writes is [`record`]. The
//! format is documented for task authors in `evals/README.md`. Reading
//! runs back: [`load`], folded by [`summary`], with [`stats`] and
//! [`compare`] behind the [`report`], the [`baseline`] and the [`gate`];
//! [`merge`] joins the shards of one run.

pub mod baseline;
pub mod compare;
pub mod gate;
pub mod load;
pub mod merge;
pub mod record;
pub mod report;
pub mod stats;
pub mod summary;
pub mod task;
#[cfg(test)]
pub(crate) mod testing;
