use srvconf::config;

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "server.conf".to_string());
    let text = std::fs::read_to_string(&path).unwrap();
    let cfg = config::parse(&text);
    println!(
        "listening on {}:{} with {} workers",
        cfg.host, cfg.port, cfg.workers
    );
}
