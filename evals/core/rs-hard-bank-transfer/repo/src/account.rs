use crate::error::BankError;

pub type AccountId = u32;

/// One card's balance, in cents. A frozen account accepts nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: AccountId,
    pub balance: i64,
    pub frozen: bool,
}

impl Account {
    pub fn new(id: AccountId) -> Self {
        Self {
            id,
            balance: 0,
            frozen: false,
        }
    }

    pub fn deposit(&mut self, amount: i64) -> Result<(), BankError> {
        if self.frozen {
            return Err(BankError::Frozen(self.id));
        }
        self.balance += amount;
        Ok(())
    }

    pub fn withdraw(&mut self, amount: i64) -> Result<(), BankError> {
        if self.frozen {
            return Err(BankError::Frozen(self.id));
        }
        if amount > self.balance {
            return Err(BankError::InsufficientFunds {
                needed: amount,
                available: self.balance,
            });
        }
        self.balance -= amount;
        Ok(())
    }
}
