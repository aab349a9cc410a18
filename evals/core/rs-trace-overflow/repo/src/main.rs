use progress::Progress;

fn main() {
    // The server announced 1000 bytes but sent 1200.
    for done in [0, 500, 1000, 1200] {
        let p = Progress { done, total: 1000 };
        println!("{}", p.render(10));
    }
}
