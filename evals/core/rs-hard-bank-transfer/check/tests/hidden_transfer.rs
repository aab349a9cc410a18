use ledger::{Bank, BankError, Entry};

fn bank_with(balances: &[i64]) -> Bank {
    let mut bank = Bank::new();
    for &b in balances {
        let id = bank.open();
        if b > 0 {
            bank.deposit(id, b).unwrap();
        }
    }
    bank
}

fn balances(bank: &Bank, n: u32) -> Vec<i64> {
    (1..=n)
        .map(|id| bank.account(id).unwrap().balance)
        .collect()
}

#[test]
fn non_positive_amounts_are_rejected() {
    let mut bank = bank_with(&[100]);
    let before = bank.journal().len();
    assert_eq!(bank.withdraw(1, -500), Err(BankError::InvalidAmount(-500)));
    assert_eq!(bank.deposit(1, 0), Err(BankError::InvalidAmount(0)));
    assert_eq!(bank.deposit(1, -1), Err(BankError::InvalidAmount(-1)));
    assert_eq!(bank.withdraw(1, 0), Err(BankError::InvalidAmount(0)));
    assert_eq!(balances(&bank, 1), vec![100]);
    assert_eq!(bank.journal().len(), before);
}

#[test]
fn successful_transfers() {
    let mut bank = bank_with(&[1000, 50]);
    assert_eq!(bank.transfer(1, 2, 300), Ok(1));
    assert_eq!(bank.transfer(2, 1, 350), Ok(2));
    assert_eq!(balances(&bank, 2), vec![1050, 0]);
    assert_eq!(bank.total(), 1050);
    let tail = &bank.journal()[bank.journal().len() - 2..];
    assert_eq!(
        tail,
        &[
            Entry::Transfer {
                id: 1,
                from: 1,
                to: 2,
                amount: 300
            },
            Entry::Transfer {
                id: 2,
                from: 2,
                to: 1,
                amount: 350
            },
        ]
    );
    assert_eq!(bank.journal().len(), 4);
}

#[test]
fn whole_balance_can_move() {
    let mut bank = bank_with(&[70, 0]);
    assert_eq!(bank.transfer(1, 2, 70), Ok(1));
    assert_eq!(balances(&bank, 2), vec![0, 70]);
}

#[test]
fn failures_change_nothing() {
    let mut bank = bank_with(&[500, 100, 0]);
    bank.freeze(3).unwrap();
    let journal = bank.journal().to_vec();
    let cases = [
        (1, 2, 0, BankError::InvalidAmount(0)),
        (1, 2, -5, BankError::InvalidAmount(-5)),
        (1, 1, 10, BankError::SameAccount(1)),
        (9, 2, 10, BankError::UnknownAccount(9)),
        (1, 8, 10, BankError::UnknownAccount(8)),
        (9, 8, 10, BankError::UnknownAccount(9)),
        (1, 3, 10, BankError::Frozen(3)),
        (3, 1, 10, BankError::Frozen(3)),
        (
            2,
            1,
            101,
            BankError::InsufficientFunds {
                needed: 101,
                available: 100,
            },
        ),
        (3, 3, -1, BankError::InvalidAmount(-1)),
    ];
    for (from, to, amount, expected) in cases {
        assert_eq!(
            bank.transfer(from, to, amount),
            Err(expected),
            "{from}->{to} {amount}"
        );
        assert_eq!(balances(&bank, 3), vec![500, 100, 0]);
        assert_eq!(bank.journal(), &journal[..]);
    }
    assert_eq!(bank.transfer(1, 2, 1), Ok(1));
}

#[test]
fn frozen_source_checked_before_frozen_target() {
    let mut bank = bank_with(&[10, 10]);
    bank.freeze(1).unwrap();
    bank.freeze(2).unwrap();
    assert_eq!(bank.transfer(2, 1, 5), Err(BankError::Frozen(2)));
}

#[test]
fn new_errors_display() {
    assert!(!BankError::InvalidAmount(-3).to_string().is_empty());
    assert!(!BankError::SameAccount(1).to_string().is_empty());
}
