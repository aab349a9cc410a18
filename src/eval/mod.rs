//! `kiln eval`: suites of tasks run against one or more models, with the
//! statistics that turn a change of model or profile into an A/B
//! comparison with numbers.
//!
//! The task format is [`task`]; what a run writes is [`record`]. The
//! format is documented for task authors in `evals/README.md`. Running:
//! [`runner`] schedules trials ([`trial`]) of each side ([`sides`]) in
//! fresh repositories ([`workdir`]) and judges them with the hidden check
//! ([`check`]); [`oracle`] is the scripted side that applies the reference
//! solution, which [`validate`] uses to prove each task solvable. Reading
//! runs back: [`load`], folded by [`summary`], with [`stats`] and
//! [`compare`] behind the [`report`], the [`baseline`] and the [`gate`];
//! [`merge`] joins the shards of one run.

pub mod baseline;
pub mod check;
pub mod compare;
pub mod gate;
pub mod import;
pub mod load;
pub mod merge;
pub mod oracle;
pub mod provenance;
pub mod record;
pub mod report;
pub mod runner;
pub mod side;
pub mod sides;
pub mod stats;
pub mod store;
pub mod suite;
pub mod summary;
pub mod task;
#[cfg(test)]
pub(crate) mod testing;
pub mod trial;
pub mod validate;
pub mod workdir;
