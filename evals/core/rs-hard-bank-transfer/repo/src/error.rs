use std::fmt;

use crate::account::AccountId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BankError {
    UnknownAccount(AccountId),
    Frozen(AccountId),
    InsufficientFunds { needed: i64, available: i64 },
}

impl fmt::Display for BankError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BankError::UnknownAccount(id) => write!(f, "no account {id}"),
            BankError::Frozen(id) => write!(f, "account {id} is frozen"),
            BankError::InsufficientFunds { needed, available } => {
                write!(f, "needs {needed} cents, {available} available")
            }
        }
    }
}

impl std::error::Error for BankError {}
