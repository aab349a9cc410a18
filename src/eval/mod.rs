//! `kiln eval`: suites of tasks run against one or more models, with the
//! statistics that turn a change of model or profile into an A/B
//! comparison with numbers.
//!
//! The task format is [`task`]; what a run writes is [`record`]. The
//! format is documented for task authors in `evals/README.md`. Running:
//! [`runner`] schedules trials ([`trial`]) of each side ([`sides`]) in
//! fresh repositories ([`workdir`]) and judges them with the hidden check
//! ([`check`]); [`oracle`] is the scripted side that applies the reference
//! solution, which [`validate`] uses to prove each task solvable.

pub mod check;
pub mod import;
pub mod oracle;
pub mod provenance;
pub mod record;
pub mod runner;
pub mod side;
pub mod sides;
pub mod store;
pub mod suite;
pub mod task;
pub mod trial;
pub mod validate;
pub mod workdir;
