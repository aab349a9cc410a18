//! The weekly leaderboard of the quiz game.

use std::collections::HashMap;

/// One finished game.
#[derive(Debug, Clone)]
pub struct GameResult {
    pub player: String,
    pub points: u32,
}

/// The `n` best players of the week as (player, total points): a player's
/// points from all their games add up. Highest total first; equal totals
/// are ordered by player name (A before B). Fewer than `n` players gives
/// them all.
pub fn top_n(results: &[GameResult], n: usize) -> Vec<(String, u32)> {
    let mut totals: HashMap<&str, u32> = HashMap::new();
    for r in results {
        totals.insert(&r.player, r.points);
    }
    let mut board: Vec<(String, u32)> = totals
        .into_iter()
        .map(|(player, points)| (player.to_string(), points))
        .collect();
    board.sort_by(|a, b| b.1.cmp(&a.1));
    board[..n].to_vec()
}

/// The board as text lines: `1. ada 120`.
pub fn render(board: &[(String, u32)]) -> Vec<String> {
    board
        .iter()
        .enumerate()
        .map(|(i, (player, points))| format!("{}. {player} {points}", i + 1))
        .collect()
}
