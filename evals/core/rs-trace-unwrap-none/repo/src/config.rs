/// Settings read from the config file; unset keys keep their defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub host: String,
    pub port: u16,
    pub workers: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".to_string(),
            port: 8080,
            workers: 4,
        }
    }
}

/// Parses the config file's text. Unknown keys are ignored so that old
/// servers accept newer files.
pub fn parse(text: &str) -> Config {
    let mut cfg = Config::default();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line.split_once('=').unwrap();
        let (key, value) = (key.trim(), value.trim());
        match key {
            "host" => cfg.host = value.to_string(),
            "port" => cfg.port = value.parse().unwrap(),
            "workers" => cfg.workers = value.parse().unwrap(),
            _ => {}
        }
    }
    cfg
}
