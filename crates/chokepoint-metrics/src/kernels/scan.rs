//! Reading one year of the sorted `trade` table in contiguous chunks: the year's part files
//! in numeric order, their row groups cut into `n` runs of about equal row counts, each run
//! read with the parquet crate's arrow reader (projection of importer, hs6, exporter,
//! value_usd; the Utf8 columns as dictionary arrays, so no string is built per row).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, AsArray, DictionaryArray, Float64Array, StringArray};
use arrow::datatypes::{DataType, Field, Float64Type, Int32Type, Schema};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder};
use parquet::errors::ParquetError;

use crate::dependency::DependencyError;

/// Rows per arrow batch handed to a kernel.
const BATCH_ROWS: usize = 65_536;

/// The columns the kernels read, in the order of [`Columns`].
const COLUMNS: [&str; 4] = ["importer", "hs6", "exporter", "value_usd"];

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> DependencyError + '_ {
    move |source| DependencyError::Io { path: path.display().to_string(), source }
}

fn pq_err(path: &Path) -> impl FnOnce(ParquetError) -> DependencyError + '_ {
    move |source| DependencyError::Parquet { path: path.display().to_string(), source }
}

fn invalid(path: &Path, what: String) -> DependencyError {
    DependencyError::Parquet { path: path.display().to_string(), source: ParquetError::General(what) }
}

/// The part files of `trade/year=Y/` in numeric order (`part-0`, `part-1`, …, `part-10`);
/// empty when the year has no directory. Any other `.parquet` file there is an error: the
/// order of the rows would be unknown.
pub(crate) fn year_parts(store_root: &Path, year: i32) -> Result<Vec<PathBuf>, DependencyError> {
    let dir = store_root.join("trade").join(format!("year={year}"));
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut parts = Vec::new();
    for e in std::fs::read_dir(&dir).map_err(io_err(&dir))? {
        let path = e.map_err(io_err(&dir))?.path();
        if path.extension().is_none_or(|x| x != "parquet") {
            continue;
        }
        let n = path
            .file_stem()
            .and_then(|s| s.to_str())
            .and_then(|s| s.strip_prefix("part-"))
            .and_then(|s| s.parse::<u32>().ok())
            .ok_or_else(|| invalid(&path, "expected trade files named part-N.parquet (N = 0, 1, …) in a year partition".into()))?;
        parts.push((n, path));
    }
    parts.sort();
    Ok(parts.into_iter().map(|(_, p)| p).collect())
}

/// A file's metadata with a schema asking for the Utf8 columns as `Dictionary(Int32, Utf8)`.
fn reader_metadata(path: &Path) -> Result<ArrowReaderMetadata, DependencyError> {
    let file = File::open(path).map_err(io_err(path))?;
    let plain = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new()).map_err(pq_err(path))?;
    let fields: Vec<Field> = plain
        .schema()
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            DataType::Utf8 => {
                Field::new(f.name(), DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)), f.is_nullable())
            }
            _ => f.as_ref().clone(),
        })
        .collect();
    let schema = Arc::new(Schema::new_with_metadata(fields, plain.schema().metadata().clone()));
    ArrowReaderMetadata::try_new(plain.metadata().clone(), ArrowReaderOptions::new().with_schema(schema)).map_err(pq_err(path))
}

/// Some row groups (in order) of one part file.
pub(crate) struct Piece {
    path: PathBuf,
    meta: ArrowReaderMetadata,
    row_groups: Vec<usize>,
}

/// A contiguous run of a year's rows: pieces in store order.
pub(crate) type Chunk = Vec<Piece>;

/// Cut the year's row groups into at most `n` contiguous chunks of about equal row counts
/// (fewer when the year has fewer row groups; none when it has no rows).
pub(crate) fn year_chunks(store_root: &Path, year: i32, n: usize) -> Result<Vec<Chunk>, DependencyError> {
    let mut groups = Vec::new(); // (file index, row group, rows)
    let mut metas = Vec::new();
    for path in year_parts(store_root, year)? {
        let meta = reader_metadata(&path)?;
        for (g, rg) in meta.metadata().row_groups().iter().enumerate() {
            if rg.num_rows() > 0 {
                groups.push((metas.len(), g, rg.num_rows() as u64));
            }
        }
        metas.push((path, meta));
    }
    let total: u64 = groups.iter().map(|g| g.2).sum();
    let n = n.max(1) as u64;
    let mut chunks: Vec<Chunk> = Vec::new();
    let mut current: Chunk = Vec::new();
    let mut done = 0u64;
    let mut cut = 1u64;
    for (file, g, rows) in groups {
        match current.last_mut() {
            Some(p) if p.path == metas[file].0 => p.row_groups.push(g),
            _ => current.push(Piece { path: metas[file].0.clone(), meta: metas[file].1.clone(), row_groups: vec![g] }),
        }
        done += rows;
        // Close the chunk once it reaches its share of the rows (the last takes the rest).
        if cut < n && done * n >= total * cut {
            chunks.push(std::mem::take(&mut current));
            while cut < n && done * n >= total * cut {
                cut += 1;
            }
        }
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    Ok(chunks)
}

/// A dictionary-encoded string column of a batch: per-row keys into `dict`.
pub(crate) struct Keyed<'a> {
    pub keys: &'a [i32],
    pub dict: &'a StringArray,
}

/// Ids of a dictionary column's keys (`u32::MAX`: not looked up yet), kept from one batch
/// to the next while the batches share their dictionary — the batches of one Parquet
/// column chunk do — so each dictionary string is looked up once per row group rather than
/// once per batch. The previous dictionary is held (a cheap clone of its buffers), so its
/// address cannot be reused by another one while it is compared.
#[derive(Default)]
pub(crate) struct KeyIds {
    dict: Option<StringArray>,
    ids: Vec<u32>,
}

impl KeyIds {
    /// The key → id slots for `col`'s batch: the previous ones when its dictionary is the
    /// same array, else all unset.
    pub fn slots(&mut self, col: &Keyed<'_>) -> &mut [u32] {
        let same = self.dict.as_ref().is_some_and(|d| {
            d.len() == col.dict.len()
                && d.values().as_ptr() == col.dict.values().as_ptr()
                && d.value_offsets().as_ptr() == col.dict.value_offsets().as_ptr()
        });
        if !same {
            self.dict = Some(col.dict.clone());
            self.ids.clear();
            self.ids.resize(col.dict.len(), u32::MAX);
        }
        &mut self.ids
    }
}

/// One batch of trade rows, in store order.
pub(crate) struct Columns<'a> {
    pub importer: Keyed<'a>,
    pub hs6: Keyed<'a>,
    pub exporter: Keyed<'a>,
    /// `value_usd`, USD (non-null).
    pub value: &'a [f64],
}

impl Columns<'_> {
    pub fn len(&self) -> usize {
        self.value.len()
    }
}

fn keyed<'a>(path: &Path, name: &str, col: &'a dyn Array) -> Result<Keyed<'a>, DependencyError> {
    let d: &DictionaryArray<Int32Type> = col
        .as_dictionary_opt::<Int32Type>()
        .ok_or_else(|| invalid(path, format!("column {name}: expected Utf8 (read as a dictionary), found {}", col.data_type())))?;
    if d.null_count() > 0 {
        return Err(invalid(path, format!("column {name} has nulls; the store's trade schema has none")));
    }
    let dict = d.values().as_string_opt::<i32>().ok_or_else(|| invalid(path, format!("column {name}: dictionary values are not Utf8")))?;
    Ok(Keyed { keys: d.keys().values(), dict })
}

/// Feed every batch of `chunk`, in order, to `f`.
pub(crate) fn scan_chunk(chunk: &Chunk, mut f: impl FnMut(&Columns<'_>) -> Result<(), DependencyError>) -> Result<(), DependencyError> {
    for piece in chunk {
        let path = piece.path.as_path();
        let file = File::open(path).map_err(io_err(path))?;
        let builder = ParquetRecordBatchReaderBuilder::new_with_metadata(file, piece.meta.clone());
        let mut roots = Vec::new();
        for name in COLUMNS {
            let i = builder.schema().fields().iter().position(|f| f.name() == name).ok_or_else(|| {
                invalid(path, format!("no column {name}; a trade file has importer, hs6, exporter, value_usd, quantity_t"))
            })?;
            roots.push(i);
        }
        let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
        let reader = builder
            .with_projection(mask)
            .with_row_groups(piece.row_groups.clone())
            .with_batch_size(BATCH_ROWS)
            .build()
            .map_err(pq_err(path))?;
        for batch in reader {
            let batch = batch.map_err(|e| invalid(path, e.to_string()))?;
            let col = |name: &str| batch.column_by_name(name).ok_or_else(|| invalid(path, format!("no column {name}")));
            let value: &Float64Array = col("value_usd")?
                .as_primitive_opt::<Float64Type>()
                .ok_or_else(|| invalid(path, "column value_usd: expected Float64".into()))?;
            if value.null_count() > 0 {
                return Err(invalid(path, "column value_usd has nulls; the store's trade schema has none".into()));
            }
            let cols = Columns {
                importer: keyed(path, "importer", col("importer")?)?,
                hs6: keyed(path, "hs6", col("hs6")?)?,
                exporter: keyed(path, "exporter", col("exporter")?)?,
                value: value.values(),
            };
            f(&cols)?;
        }
    }
    Ok(())
}

/// Run `work` on every chunk, one thread per chunk (the calling thread takes the first),
/// and return the results in chunk order.
pub(crate) fn par_chunks<T: Send>(
    chunks: &[Chunk],
    work: impl Fn(&Chunk) -> Result<T, DependencyError> + Sync,
) -> Result<Vec<T>, DependencyError> {
    let Some((first, rest)) = chunks.split_first() else {
        return Ok(Vec::new());
    };
    std::thread::scope(|s| {
        let handles: Vec<_> = rest.iter().map(|c| s.spawn(|| work(c))).collect();
        let mut out = vec![work(first)?];
        for h in handles {
            out.push(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))?);
        }
        Ok(out)
    })
}
