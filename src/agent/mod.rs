//! The agent loop and what it emits.
//!
//! [`session::Session`] is the loop itself; everything else here supports
//! it: typed [`events`], the [`sink`]s that consume them, the [`loop_guard`]
//! and the [`prefix`] tracker.

pub mod compact;
pub mod context;
pub mod events;
pub mod loop_guard;
pub mod prefix;
pub mod scaffold;
pub mod session;
pub mod sink;

pub use events::{Event, EventKind, Outcome, SessionStats};
pub use scaffold::Scaffold;
pub use session::{
    CompactError, Compaction, Limits, Session, SessionEnd, SessionParts, SessionProfile,
    SessionSafety,
};
pub use sink::{Emitter, EventSink, JsonlSink, ProgressSink};
