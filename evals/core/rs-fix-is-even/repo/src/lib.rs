//! Number helpers for the table renderer (zebra striping).

/// True when `n` is even.
pub fn is_even(n: i64) -> bool {
    n % 2 == 1
}

/// The CSS class of table row `index`: even rows are "light", odd rows "dark".
pub fn row_class(index: usize) -> &'static str {
    if is_even(index as i64) {
        "light"
    } else {
        "dark"
    }
}
