//! The in-memory ledger behind the club's prepaid cards.

pub mod account;
pub mod bank;
pub mod error;

pub use account::{Account, AccountId};
pub use bank::{Bank, Entry};
pub use error::BankError;
