use std::collections::BTreeMap;

use crate::account::{Account, AccountId};
use crate::error::BankError;

/// What happened, in order; the auditors read this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Deposit { account: AccountId, amount: i64 },
    Withdrawal { account: AccountId, amount: i64 },
}

#[derive(Debug, Default)]
pub struct Bank {
    accounts: BTreeMap<AccountId, Account>,
    journal: Vec<Entry>,
    next_id: AccountId,
}

impl Bank {
    pub fn new() -> Self {
        Self::default()
    }

    /// Opens an empty account and returns its id (1, 2, 3, ...).
    pub fn open(&mut self) -> AccountId {
        self.next_id += 1;
        self.accounts
            .insert(self.next_id, Account::new(self.next_id));
        self.next_id
    }

    pub fn account(&self, id: AccountId) -> Option<&Account> {
        self.accounts.get(&id)
    }

    pub fn freeze(&mut self, id: AccountId) -> Result<(), BankError> {
        self.get_mut(id)?.frozen = true;
        Ok(())
    }

    pub fn deposit(&mut self, id: AccountId, amount: i64) -> Result<(), BankError> {
        self.get_mut(id)?.deposit(amount)?;
        self.journal.push(Entry::Deposit {
            account: id,
            amount,
        });
        Ok(())
    }

    pub fn withdraw(&mut self, id: AccountId, amount: i64) -> Result<(), BankError> {
        self.get_mut(id)?.withdraw(amount)?;
        self.journal.push(Entry::Withdrawal {
            account: id,
            amount,
        });
        Ok(())
    }

    pub fn journal(&self) -> &[Entry] {
        &self.journal
    }

    /// The sum of all balances.
    pub fn total(&self) -> i64 {
        self.accounts.values().map(|a| a.balance).sum()
    }

    fn get_mut(&mut self, id: AccountId) -> Result<&mut Account, BankError> {
        self.accounts
            .get_mut(&id)
            .ok_or(BankError::UnknownAccount(id))
    }
}
