use std::process::Command;

use srvconf::config::{parse, Config, ConfigError};

#[test]
fn valid_file() {
    let cfg = parse("# c\n\nhost = 0.0.0.0\n port=9000 \nworkers = 16\nextra = ignored\n");
    assert_eq!(
        cfg,
        Ok(Config {
            host: "0.0.0.0".into(),
            port: 9000,
            workers: 16
        })
    );
    assert_eq!(parse(""), Ok(Config::default()));
}

#[test]
fn missing_equals_reports_line() {
    let err = parse("# production\nhost = 0.0.0.0\nworkers 16\n").unwrap_err();
    assert_eq!(err.line, 3);
    assert!(!err.message.is_empty());
    assert!(err.to_string().starts_with("line 3: "), "{err}");
}

#[test]
fn bad_values_report_line() {
    let err: ConfigError = parse("port = 99999\n").unwrap_err();
    assert_eq!(err.line, 1);
    let err = parse("host = a\n\nworkers = many\n").unwrap_err();
    assert_eq!(err.line, 3);
    let err = parse("port = -1").unwrap_err();
    assert_eq!(err.line, 1);
}

#[test]
fn binary_reports_instead_of_panicking() {
    let out = Command::new(env!("CARGO_BIN_EXE_srvconf"))
        .arg("server.conf")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert!(
        stderr.starts_with("error: server.conf: line 3: "),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");

    let out = Command::new(env!("CARGO_BIN_EXE_srvconf"))
        .arg("does-not-exist.conf")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn binary_runs_on_a_good_file() {
    let dir = std::env::temp_dir().join(format!("srvconf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("ok.conf");
    std::fs::write(&path, "port = 7000\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_srvconf"))
        .arg(&path)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "listening on 127.0.0.1:7000 with 4 workers"
    );
}
