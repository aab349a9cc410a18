use leaderboard::{render, top_n, GameResult};

fn game(player: &str, points: u32) -> GameResult {
    GameResult {
        player: player.to_string(),
        points,
    }
}

fn board(entries: &[(&str, u32)]) -> Vec<(String, u32)> {
    entries.iter().map(|(p, s)| (p.to_string(), *s)).collect()
}

#[test]
fn points_add_up() {
    let results = [
        game("ada", 10),
        game("bob", 25),
        game("ada", 30),
        game("ada", 5),
    ];
    assert_eq!(top_n(&results, 2), board(&[("ada", 45), ("bob", 25)]));
}

#[test]
fn ties_are_ordered_by_name() {
    let results = [
        game("zoe", 50),
        game("mia", 50),
        game("ada", 20),
        game("bob", 50),
        game("cy", 20),
    ];
    for _ in 0..20 {
        assert_eq!(
            top_n(&results, 5),
            board(&[
                ("bob", 50),
                ("mia", 50),
                ("zoe", 50),
                ("ada", 20),
                ("cy", 20)
            ])
        );
    }
}

#[test]
fn short_lists() {
    let results = [game("ada", 1), game("bob", 2), game("cy", 3)];
    assert_eq!(
        top_n(&results, 10),
        board(&[("cy", 3), ("bob", 2), ("ada", 1)])
    );
    assert_eq!(top_n(&[], 10), board(&[]));
    assert_eq!(top_n(&results, 0), board(&[]));
}

#[test]
fn render_lines() {
    let results = [game("ada", 120), game("bob", 80)];
    assert_eq!(render(&top_n(&results, 5)), vec!["1. ada 120", "2. bob 80"]);
}
