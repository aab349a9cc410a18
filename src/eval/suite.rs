//! Finding a suite's tasks, selecting some of them, and the hash that says
//! two runs ran the same tasks.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::task::{Task, TaskError};

/// `--shard i/n`: every n-th task of the sorted selection, from the i-th
/// (1-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}` is not a shard: expected I/N with 1 ≤ I ≤ N, e.g. 2/4");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Self { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// This shard's part of `items` (already sorted).
    pub fn pick<T: Clone>(&self, items: &[T]) -> Vec<T> {
        items
            .iter()
            .skip(self.index - 1)
            .step_by(self.count)
            .cloned()
            .collect()
    }
}

/// `--suite NAME`: a directory, else `evals/NAME` under `root`.
pub fn resolve(root: &Path, suite: &str) -> Result<PathBuf, TaskError> {
    let given = Path::new(suite);
    let dir = if given.is_dir() {
        given.to_path_buf()
    } else {
        root.join("evals").join(suite)
    };
    match dir.is_dir() {
        true => Ok(dir),
        false => Err(TaskError::Invalid {
            path: dir.display().to_string(),
            message: format!("no suite `{suite}`: not a directory"),
        }),
    }
}

/// Every suite under `root/evals/`: its directories that hold tasks.
pub fn all_suites(root: &Path) -> Result<Vec<PathBuf>, TaskError> {
    let evals = root.join("evals");
    let mut suites: Vec<PathBuf> = subdirs(&evals)?
        .into_iter()
        .filter(|d| subdirs(d).is_ok_and(|t| t.iter().any(|t| t.join("task.toml").is_file())))
        .collect();
    suites.sort();
    Ok(suites)
}

/// The tasks of `suite`, sorted by id. Any directory in it is a task, and
/// one that is not valid is an error naming its path.
pub fn load(suite: &Path) -> Result<Vec<Task>, TaskError> {
    let mut tasks = subdirs(suite)?
        .iter()
        .map(|d| Task::load(d))
        .collect::<Result<Vec<_>, _>>()?;
    tasks.sort_by(|a, b| a.id().cmp(b.id()));
    Ok(tasks)
}

fn subdirs(dir: &Path) -> Result<Vec<PathBuf>, TaskError> {
    let io = |error| TaskError::Io {
        path: dir.display().to_string(),
        error,
    };
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.') || n.starts_with('_'));
        if path.is_dir() && !hidden {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

/// Tasks whose id is in `ids` (all when empty) and that carry every tag
/// of `tags`; an id that names no task is an error.
pub fn select(tasks: Vec<Task>, ids: &[String], tags: &[String]) -> Result<Vec<Task>, String> {
    if let Some(missing) = ids.iter().find(|id| !tasks.iter().any(|t| t.id() == *id)) {
        return Err(format!("no task `{missing}` in the suite"));
    }
    Ok(tasks
        .into_iter()
        .filter(|t| ids.is_empty() || ids.iter().any(|id| id == t.id()))
        .filter(|t| tags.iter().all(|tag| t.has_tag(tag)))
        .collect())
}

/// sha256 over the sorted task ids and every file of each task (relative
/// path and bytes), in a fixed order.
pub fn task_set_hash(tasks: &[Task]) -> Result<String, TaskError> {
    let mut sorted: Vec<&Task> = tasks.iter().collect();
    sorted.sort_by(|a, b| a.id().cmp(b.id()));
    let mut hasher = Sha256::new();
    for task in sorted {
        hasher.update(b"task\0");
        hasher.update(task.id().as_bytes());
        hasher.update(b"\0");
        for file in files_under(&task.dir)? {
            let rel = file.strip_prefix(&task.dir).unwrap_or(&file);
            let bytes = std::fs::read(&file).map_err(|error| TaskError::Io {
                path: file.display().to_string(),
                error,
            })?;
            hasher.update(rel.to_string_lossy().as_bytes());
            hasher.update(b"\0");
            hasher.update((bytes.len() as u64).to_le_bytes());
            hasher.update(&bytes);
        }
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Every file under `dir`, sorted, following no symlinks.
pub fn files_under(dir: &Path) -> Result<Vec<PathBuf>, TaskError> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let io = |error| TaskError::Io {
            path: d.display().to_string(),
            error,
        };
        for entry in std::fs::read_dir(&d).map_err(io)? {
            let entry = entry.map_err(io)?;
            let kind = entry.file_type().map_err(io)?;
            if kind.is_dir() {
                stack.push(entry.path());
            } else {
                out.push(entry.path());
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_split_the_selection() {
        let items: Vec<u32> = (1..=7).collect();
        let s: Shard = "2/3".parse().unwrap();
        assert_eq!(s.pick(&items), [2, 5]);
        let all: usize = (1..=3)
            .map(|i| Shard { index: i, count: 3 }.pick(&items).len())
            .sum();
        assert_eq!(all, 7);
        for bad in ["0/3", "4/3", "1", "a/b", "1/0"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        assert_eq!(s.to_string(), "2/3");
    }
}
