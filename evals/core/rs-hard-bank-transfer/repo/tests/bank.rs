use ledger::{Bank, BankError, Entry};

#[test]
fn deposit_and_withdraw() {
    let mut bank = Bank::new();
    let a = bank.open();
    bank.deposit(a, 500).unwrap();
    bank.withdraw(a, 200).unwrap();
    assert_eq!(bank.account(a).unwrap().balance, 300);
    assert_eq!(
        bank.withdraw(a, 301),
        Err(BankError::InsufficientFunds {
            needed: 301,
            available: 300
        })
    );
    assert_eq!(
        bank.journal(),
        &[
            Entry::Deposit {
                account: a,
                amount: 500
            },
            Entry::Withdrawal {
                account: a,
                amount: 200
            }
        ]
    );
}
