//! Finding a wheel through PyPI's JSON API (`/pypi/<name>/<version>/json`).

use std::collections::HashMap;
use std::time::Duration;

use reqwest::Url;
use serde::Deserialize;

use super::error::FetchError;

/// The index used when `KILN_PYPI_URL` is not set.
pub const DEFAULT_INDEX: &str = "https://pypi.org";

/// The index base URL from `KILN_PYPI_URL`, else [`DEFAULT_INDEX`].
pub fn index_from_env() -> String {
    std::env::var("KILN_PYPI_URL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_INDEX.to_string())
}

/// One wheel file of a release.
#[derive(Debug, Clone)]
pub(crate) struct Wheel {
    pub url: Url,
    pub sha256: Option<String>,
    pub size: Option<u64>,
}

/// A JSON API document: a release's (`/pypi/<name>/<version>/json`) has
/// `urls`; a project's (`/pypi/<name>/json`) also has every release.
#[derive(Deserialize)]
struct Document {
    #[serde(default)]
    urls: Vec<FileEntry>,
    #[serde(default)]
    releases: HashMap<String, Vec<FileEntry>>,
    info: Option<Info>,
}

#[derive(Deserialize)]
struct Info {
    version: String,
}

#[derive(Deserialize)]
struct FileEntry {
    url: String,
    packagetype: String,
    #[serde(default)]
    filename: String,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default)]
    digests: Digests,
}

#[derive(Deserialize, Default)]
struct Digests {
    sha256: Option<String>,
}

pub(crate) fn client() -> Result<reqwest::Client, FetchError> {
    // reqwest is built without a default TLS provider; install ours unless
    // someone already did (then this is a harmless no-op).
    let _ = rustls::crypto::ring::default_provider().install_default();
    // No overall timeout: a big wheel on a slow link is fine while bytes flow.
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(30))
        .read_timeout(Duration::from_secs(60))
        .user_agent(concat!("kiln/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| FetchError::Index {
            url: String::new(),
            reason: format!("cannot build the HTTP client: {e}"),
        })
}

/// The wheel of `package` `version` on `index`. A relative `url` in the
/// answer (some mirrors send `../../packages/...`) is resolved against the
/// JSON document's own URL.
pub(crate) async fn find_wheel(
    client: &reqwest::Client,
    index: &str,
    package: &str,
    version: &str,
) -> Result<Wheel, FetchError> {
    let index = index.trim_end_matches('/');
    let versioned = format!("{index}/pypi/{package}/{version}/json");
    match get_document(client, &versioned).await {
        Ok((doc, base)) => pick_wheel(doc.urls, &base, &versioned),
        // Some mirrors serve only the project document; it lists every
        // release, so the pinned version can still be found there.
        Err(FetchError::Http { status: 404, .. }) => {
            let project = format!("{index}/pypi/{package}/json");
            let (doc, base) = get_document(client, &project).await?;
            let files = release_files(doc, version).ok_or_else(|| FetchError::Index {
                url: project.clone(),
                reason: format!("{package} has no release {version}"),
            })?;
            pick_wheel(files, &base, &project)
        }
        Err(e) => Err(e),
    }
}

async fn get_document(client: &reqwest::Client, url: &str) -> Result<(Document, Url), FetchError> {
    let base = Url::parse(url).map_err(|e| FetchError::Index {
        url: url.to_string(),
        reason: format!("not a URL ({e}); KILN_PYPI_URL should look like https://pypi.org"),
    })?;
    let response = client
        .get(base.clone())
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
    let body = response
        .bytes()
        .await
        .map_err(|e| FetchError::network(url, &e))?;
    let doc = serde_json::from_slice(&body).map_err(|e| FetchError::Index {
        url: url.to_string(),
        reason: format!("bad JSON: {e}"),
    })?;
    Ok((doc, base))
}

/// The files of `version` in a project document.
fn release_files(mut doc: Document, version: &str) -> Option<Vec<FileEntry>> {
    if let Some(files) = doc.releases.remove(version) {
        return Some(files);
    }
    let latest = doc.info.is_some_and(|i| i.version == version);
    latest.then_some(doc.urls)
}

/// A pure-Python wheel when there are several, else the first wheel.
fn pick_wheel(files: Vec<FileEntry>, base: &Url, json_url: &str) -> Result<Wheel, FetchError> {
    let mut wheels: Vec<FileEntry> = files
        .into_iter()
        .filter(|f| f.packagetype == "bdist_wheel")
        .collect();
    wheels.sort_by_key(|f| !f.filename.ends_with("-none-any.whl"));
    let entry = wheels.into_iter().next().ok_or_else(|| FetchError::Index {
        url: json_url.to_string(),
        reason: "the release has no wheel".into(),
    })?;
    let url = base.join(&entry.url).map_err(|e| FetchError::Index {
        url: json_url.to_string(),
        reason: format!("bad wheel URL {:?}: {e}", entry.url),
    })?;
    Ok(Wheel {
        url,
        sha256: entry.digests.sha256.map(|s| s.to_ascii_lowercase()),
        size: entry.size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release(json: &str) -> Vec<FileEntry> {
        serde_json::from_str::<Document>(json).unwrap().urls
    }

    #[test]
    fn relative_and_absolute_urls() {
        let base = Url::parse("http://m.example/pypi/p/1.0/json").unwrap();
        let r = release(
            r#"{"urls":[{"url":"../../../packages/a/p.tar.gz","packagetype":"sdist"},
                {"url":"../../../packages/b/p-1.0-py3-none-any.whl","packagetype":"bdist_wheel",
                 "filename":"p-1.0-py3-none-any.whl","size":7,"digests":{"sha256":"AB"}}]}"#,
        );
        let w = pick_wheel(r, &base, "x").unwrap();
        assert_eq!(
            w.url.as_str(),
            "http://m.example/packages/b/p-1.0-py3-none-any.whl"
        );
        assert_eq!(w.sha256.as_deref(), Some("ab"));
        assert_eq!(w.size, Some(7));

        let r = release(
            r#"{"urls":[{"url":"https://files.example/p.whl","packagetype":"bdist_wheel"}]}"#,
        );
        assert_eq!(
            pick_wheel(r, &base, "x").unwrap().url.as_str(),
            "https://files.example/p.whl"
        );
    }

    #[test]
    fn prefers_pure_python_and_needs_a_wheel() {
        let base = Url::parse("http://m.example/pypi/p/1.0/json").unwrap();
        let r = release(
            r#"{"urls":[{"url":"/a.whl","packagetype":"bdist_wheel","filename":"p-1.0-cp312-manylinux.whl"},
                {"url":"/b.whl","packagetype":"bdist_wheel","filename":"p-1.0-py3-none-any.whl"}]}"#,
        );
        assert_eq!(pick_wheel(r, &base, "x").unwrap().url.path(), "/b.whl");
        let r = release(r#"{"urls":[{"url":"/a.tar.gz","packagetype":"sdist"}]}"#);
        assert!(matches!(
            pick_wheel(r, &base, "x"),
            Err(FetchError::Index { .. })
        ));
    }

    #[test]
    fn project_document_releases() {
        let doc = |json: &str| serde_json::from_str::<Document>(json).unwrap();
        let json = r#"{"info":{"version":"2.0"},"urls":[{"url":"/new.whl","packagetype":"bdist_wheel"}],
            "releases":{"1.0":[{"url":"/old.whl","packagetype":"bdist_wheel"}]}}"#;
        assert_eq!(release_files(doc(json), "1.0").unwrap()[0].url, "/old.whl");
        assert_eq!(release_files(doc(json), "2.0").unwrap()[0].url, "/new.whl");
        assert!(release_files(doc(json), "3.0").is_none());
    }
}
