//! The front end of a tiny scripting language used in our game's mods.

pub mod describe;
pub mod lexer;
pub mod token;

pub use lexer::{lex, LexError};
pub use token::Token;
