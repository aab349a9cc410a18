//! Streaming one wheel to disk, checking it against the index's digest.

use std::future::Future;
use std::path::Path;
use std::time::Duration;

use futures::StreamExt;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncWriteExt, BufWriter};

use super::error::FetchError;
use super::progress::Reporter;
use super::pypi::Wheel;

/// Downloads `wheel` into `dest` (replacing it) and returns its size.
/// The bar advances as bytes arrive and is wound back on failure, so a
/// retry does not count them twice.
pub(crate) async fn wheel_to_file(
    client: &reqwest::Client,
    wheel: &Wheel,
    dest: &Path,
    reporter: &Reporter,
    needed: u64,
) -> Result<u64, FetchError> {
    let mut received = 0;
    let result = stream_to_file(client, wheel, dest, reporter, needed, &mut received).await;
    if result.is_err() {
        reporter.rewind(received);
    }
    result
}

async fn stream_to_file(
    client: &reqwest::Client,
    wheel: &Wheel,
    dest: &Path,
    reporter: &Reporter,
    needed: u64,
    received: &mut u64,
) -> Result<u64, FetchError> {
    let url = wheel.url.as_str();
    let response = client
        .get(wheel.url.clone())
        .send()
        .await
        .map_err(|e| FetchError::network(url, &e))?;
    let status = response.status();
    if !status.is_success() {
        return Err(FetchError::Http {
            url: url.to_string(),
            status: status.as_u16(),
        });
    }
    if wheel.size.is_none() {
        reporter.grow(response.content_length().unwrap_or(0));
    }
    let io = |e| FetchError::io(dest, e, needed);
    let mut out =
        BufWriter::with_capacity(1 << 20, tokio::fs::File::create(dest).await.map_err(io)?);
    let mut hasher = Sha256::new();
    let mut body = response.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| FetchError::network(url, &e))?;
        out.write_all(&chunk).await.map_err(io)?;
        hasher.update(&chunk);
        *received += chunk.len() as u64;
        reporter.advance(chunk.len() as u64);
    }
    out.flush().await.map_err(io)?;
    let actual = hex::encode(hasher.finalize());
    match &wheel.sha256 {
        Some(expected) if *expected != actual => Err(FetchError::WheelChecksum {
            url: url.to_string(),
            expected: expected.clone(),
            actual,
        }),
        _ => Ok(*received),
    }
}

/// Runs `op` up to `attempts` times while it fails transiently, waiting
/// 1 s, 2 s, 4 s… in between.
pub(crate) async fn with_retries<T, F, Fut>(
    attempts: u32,
    reporter: &Reporter,
    mut op: F,
) -> Result<T, FetchError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, FetchError>>,
{
    let mut attempt = 1;
    loop {
        match op().await {
            Err(e) if e.is_transient() && attempt < attempts => {
                let delay = Duration::from_secs(1 << (attempt - 1).min(4));
                reporter.retry(&e.to_string(), attempt + 1, delay);
                tokio::time::sleep(delay).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}
