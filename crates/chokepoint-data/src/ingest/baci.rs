//! `chokepoint ingest baci`: a CEPII BACI release — its zip, or its CSV files — streamed
//! into the store's `trade` table (DATA.md §2).
//!
//! Input files are recognised by name: `country_codes_*.csv` (country codes),
//! `product_codes_*.csv` (HS6 descriptions) and any other `*.csv` (trade flows with the
//! header `t,i,j,k,v,q`). Zips are read member by member, without unpacking.
//!
//! Each year found replaces that year of the current store's `trade`; other years and the
//! other tables are carried over. A release of another HS revision than the store's trade
//! needs `--replace-all` (mixing revisions across years would break every trend).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use arrow::array::{RecordBatch, StringArray};

use chokepoint_model::{is_baci_product_code, is_hs6};

use super::{IngestSummary, Progress, new_manifest};
use crate::checksum::{HashingReader, sha256_file};
use crate::countries::{Country, CountryTable};
use crate::error::{DataError, IoContext, Result};
use crate::manifest::{SourceInfo, TradeYear};
use crate::parquet_io::{read_parquet, write_parquet};
use crate::parse::{QUANTITY_EXPECTED, VALUE_EXPECTED, baci_quantity_t, baci_value_usd, digits_at, plain_decimal_at};
use crate::schema::Table;
use crate::sources;
use crate::store::{StagedStore, Store, table_path};
use crate::trade::{RowBuffers, TradeRow, write_year};

/// What to do with a trade row that does not validate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnError {
    /// Stop at the first bad row; the store is unchanged.
    #[default]
    Fail,
    /// Leave the row out, count it and report the first ones at the end.
    Skip,
}

/// Options of [`ingest_baci`].
#[derive(Debug, Clone, Default)]
pub struct BaciOptions {
    /// Bad-row policy.
    pub on_error: OnError,
    /// HS revision (`HS92` … `HS22`) when the file names do not tell it.
    pub hs_revision: Option<String>,
    /// Release (`V202401b`) when the file names do not tell it.
    pub release: Option<String>,
    /// Drop every existing year of `trade` (needed to change HS revision).
    pub replace_all: bool,
    /// Show a progress bar.
    pub progress: bool,
    /// Parser and writer threads (0: every core).
    pub threads: usize,
}

/// What [`ingest_baci`] did.
#[derive(Debug)]
pub struct BaciSummary {
    /// The new current store.
    pub ingest: IngestSummary,
    /// Trade rows read and written (before and after merging shared ISO3 codes).
    pub rows_read: u64,
    pub rows_written: u64,
    /// Bytes of CSV read (uncompressed).
    pub bytes_read: u64,
    /// Rows left out with `--on-error skip`, and the first messages.
    pub skipped: u64,
    pub skipped_examples: Vec<String>,
    /// Years written.
    pub years: Vec<i32>,
}

/// How many skipped-row messages are kept for the report.
const SKIP_EXAMPLES: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Countries,
    Products,
    Trade,
}

/// One CSV: a plain file or a zip member.
#[derive(Debug, Clone)]
struct Csv {
    container: PathBuf,
    member: Option<String>,
    kind: Kind,
    size: u64,
}

impl Csv {
    fn label(&self) -> String {
        match &self.member {
            Some(m) => format!("{}!{m}", self.container.display()),
            None => self.container.display().to_string(),
        }
    }

    fn base_name(&self) -> String {
        let name = self.member.clone().unwrap_or_else(|| self.container.display().to_string());
        name.rsplit(['/', '\\']).next().unwrap_or_default().to_owned()
    }

    /// Run `f` on a reader of the file's (uncompressed) bytes.
    fn with_reader<T>(&self, f: impl FnOnce(Box<dyn Read + '_>) -> Result<T>) -> Result<T> {
        let file = std::fs::File::open(&self.container).at(&self.container)?;
        match &self.member {
            None => f(Box::new(file)),
            Some(m) => {
                let zip_err = |source| DataError::Zip { path: self.container.clone(), source };
                let mut archive = zip::ZipArchive::new(file).map_err(zip_err)?;
                let entry = archive.by_name(m).map_err(zip_err)?;
                f(Box::new(entry))
            }
        }
    }
}

fn classify(name: &str) -> Option<Kind> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name).to_ascii_lowercase();
    if !base.ends_with(".csv") {
        return None;
    }
    Some(if base.starts_with("country_codes") {
        Kind::Countries
    } else if base.starts_with("product_codes") {
        Kind::Products
    } else {
        Kind::Trade
    })
}

fn list_inputs(inputs: &[PathBuf]) -> Result<Vec<Csv>> {
    let mut out = Vec::new();
    for input in inputs {
        let md = std::fs::metadata(input).at(input)?;
        if md.is_dir() {
            // In a directory, only the .csv and .zip files are BACI's (a release unpacked
            // next to its Readme.txt, say); a file named on the command line must be one.
            let release_file = |p: &PathBuf| {
                let lower = p.to_string_lossy().to_ascii_lowercase();
                p.is_file() && (lower.ends_with(".csv") || lower.ends_with(".zip"))
            };
            let mut files: Vec<PathBuf> =
                std::fs::read_dir(input).at(input)?.filter_map(|e| e.ok().map(|e| e.path())).filter(release_file).collect();
            files.sort();
            out.extend(list_inputs(&files)?);
            continue;
        }
        let lower = input.to_string_lossy().to_ascii_lowercase();
        if lower.ends_with(".zip") {
            let f = std::fs::File::open(input).at(input)?;
            let mut archive = zip::ZipArchive::new(f).map_err(|source| DataError::Zip { path: input.clone(), source })?;
            let mut names: Vec<String> = archive.file_names().filter_map(|n| n.ok().map(|n| n.into_owned())).collect();
            names.sort();
            for name in names {
                if let Some(kind) = classify(&name) {
                    let size = archive.by_name(&name).map_err(|source| DataError::Zip { path: input.clone(), source })?.size();
                    out.push(Csv { container: input.clone(), member: Some(name), kind, size });
                }
            }
        } else if let Some(kind) = classify(&lower) {
            out.push(Csv { container: input.clone(), member: None, kind, size: md.len() });
        } else {
            return Err(DataError::Invalid(format!(
                "{}: not a BACI release file; expected a .zip or .csv (BACI_HS*_Y*_V*.csv, country_codes_*.csv, product_codes_*.csv)",
                input.display()
            )));
        }
    }
    Ok(out)
}

/// `BACI_HS92_Y2022_V202401b.csv` → (`HS92`, `V202401b`).
fn revision_and_release(name: &str) -> (Option<String>, Option<String>) {
    let stem = name.trim_end_matches(".csv").trim_end_matches(".CSV");
    let mut rev = None;
    let mut rel = None;
    for part in stem.split('_') {
        if part.len() == 4 && part.starts_with("HS") && part[2..].bytes().all(|b| b.is_ascii_digit()) {
            rev = Some(part.to_owned());
        }
        if part.len() > 1 && part.starts_with('V') && part[1..].bytes().next().is_some_and(|b| b.is_ascii_digit()) {
            rel = Some(part.to_owned());
        }
    }
    (rev, rel)
}

/// `BACI_HS92_Y2022_V202401b.csv` → 2022.
fn year_in_name(name: &str) -> Option<i64> {
    name.trim_end_matches(".csv").split('_').find_map(|p| p.strip_prefix('Y').filter(|y| y.len() == 4).and_then(|y| y.parse().ok()))
}

/// The HS revisions CEPII publishes BACI in.
const HS_REVISIONS: [&str; 7] = ["HS92", "HS96", "HS02", "HS07", "HS12", "HS17", "HS22"];

fn csv_reader(r: Box<dyn Read + '_>) -> csv::Reader<Box<dyn Read + '_>> {
    csv::ReaderBuilder::new().has_headers(false).flexible(true).buffer_capacity(1 << 20).from_reader(r)
}

fn csv_err(label: &str, e: csv::Error) -> DataError {
    let line = e.position().map(|p| p.line()).unwrap_or(0);
    DataError::Invalid(format!("{label}:{line}: cannot read CSV: {e}"))
}

fn header_fields(rec: &csv::StringRecord) -> Vec<String> {
    rec.iter().map(|f| f.trim().trim_start_matches('\u{feff}').to_ascii_lowercase()).collect()
}

fn read_country_codes(csv: &Csv) -> Result<CountryTable> {
    let label = csv.label();
    csv.with_reader(|r| read_country_codes_from(csv_reader(r), label))
}

fn read_country_codes_from(mut rdr: csv::Reader<Box<dyn Read + '_>>, label: String) -> Result<CountryTable> {
    let mut rec = csv::StringRecord::new();
    if !rdr.read_record(&mut rec).map_err(|e| csv_err(&label, e))? {
        return Err(DataError::Invalid(format!("{label}: empty file; expected BACI country codes")));
    }
    let header = header_fields(&rec);
    let find = |names: &[&str]| header.iter().position(|h| names.contains(&h.as_str()));
    let (Some(code), Some(name), Some(iso2), Some(iso3)) = (
        find(&["country_code"]),
        find(&["country_name", "country_name_abbreviation"]),
        find(&["country_iso2", "iso_2digit_alpha"]),
        find(&["country_iso3", "iso_3digit_alpha"]),
    ) else {
        return Err(DataError::Header {
            file: label,
            expected: "country_code,country_name,country_iso2,country_iso3".to_owned(),
            found: rec.iter().collect::<Vec<_>>().join(","),
        });
    };
    let mut rows = Vec::new();
    while rdr.read_record(&mut rec).map_err(|e| csv_err(&label, e))? {
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let get = |i: usize| rec.get(i).unwrap_or("").trim();
        let c: i32 = get(code)
            .parse()
            .map_err(|_| DataError::bad_value(format!("{label}:{line}:{}", code + 1), "country_code", get(code), "an integer"))?;
        if get(iso3).len() != 3 {
            return Err(DataError::bad_value(format!("{label}:{line}:{}", iso3 + 1), "country_iso3", get(iso3), "a 3-character ISO3 code"));
        }
        rows.push(Country::from_baci(c, get(name), get(iso2), get(iso3)));
    }
    CountryTable::new(rows, &label)
}

fn read_product_codes(csv: &Csv, revision: &str) -> Result<Vec<(String, Option<String>)>> {
    let label = csv.label();
    csv.with_reader(|r| read_product_codes_from(csv_reader(r), label, revision))
}

fn read_product_codes_from(
    mut rdr: csv::Reader<Box<dyn Read + '_>>,
    label: String,
    revision: &str,
) -> Result<Vec<(String, Option<String>)>> {
    let mut rec = csv::StringRecord::new();
    if !rdr.read_record(&mut rec).map_err(|e| csv_err(&label, e))? || header_fields(&rec) != ["code", "description"] {
        return Err(DataError::Header {
            file: label,
            expected: "code,description".to_owned(),
            found: rec.iter().collect::<Vec<_>>().join(","),
        });
    }
    let mut out = Vec::new();
    while rdr.read_record(&mut rec).map_err(|e| csv_err(&label, e))? {
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let code = rec.get(0).unwrap_or("").trim();
        if !is_baci_product_code(code.as_bytes()) {
            return Err(DataError::bad_value(
                format!("{label}:{line}:1"),
                "code",
                code,
                format!("an {revision} HS6 code of exactly 6 digits with its leading zeros (e.g. 010111)"),
            ));
        }
        let desc = rec.get(1).map(|d| d.trim().to_owned()).filter(|d| !d.is_empty());
        out.push((code.to_owned(), desc));
    }
    Ok(out)
}

/// Reads and validates the rows of one trade CSV.
struct TradeParser<'a> {
    label: String,
    /// The year the file name announces (`…_Y2022_…`); rows of another year are errors.
    file_year: Option<i64>,
    lookup: &'a [u16],
    on_error: OnError,
    skipped: u64,
    examples: Vec<String>,
}

const UNKNOWN: u16 = u16::MAX;
const FIELDS: [&str; 6] = ["t", "i", "j", "k", "v", "q"];

impl TradeParser<'_> {
    fn loc(&self, line: u64, col: usize) -> String {
        format!("{}:{line}:{}", self.label, col + 1)
    }

    fn bad(&self, line: u64, col: usize, found: &[u8], expected: &str) -> DataError {
        DataError::bad_value(self.loc(line, col), FIELDS[col], String::from_utf8_lossy(found).trim(), expected)
    }

    fn parse(&self, rec: &csv::ByteRecord, line: u64) -> Result<(i32, TradeRow)> {
        if rec.len() != 6 {
            return Err(DataError::RowLength { location: format!("{}:{line}", self.label), expected: 6, found: rec.len() });
        }
        let field = |i: usize| trim_bytes(&rec[i]);
        let year = parse_int(field(0))
            .filter(|y| (1900..=2100).contains(y))
            .ok_or_else(|| self.bad(line, 0, field(0), "a year between 1900 and 2100"))?;
        if let Some(y) = self.file_year
            && y != year
        {
            return Err(self.bad(line, 0, field(0), &format!("{y}, the year in the file's name")));
        }
        let year = year as i32;
        let country = |i: usize| -> Result<(u16, u16)> {
            let code = parse_int(field(i)).ok_or_else(|| self.bad(line, i, field(i), "an integer BACI country code"))?;
            usize::try_from(code)
                .ok()
                .and_then(|c| self.lookup.get(c).copied().map(|x| (x, c as u16)))
                .filter(|&(x, _)| x != UNKNOWN)
                .ok_or_else(|| DataError::UnknownCountry {
                    location: self.loc(line, i),
                    field: FIELDS[i].to_owned(),
                    code: code.to_string(),
                    table: "the release's country_codes file or the store's countries table".to_owned(),
                })
        };
        let (exporter, exporter_code) = country(1)?;
        let (importer, importer_code) = country(2)?;
        if exporter == importer {
            return Err(self.bad(line, 2, field(2), "an importer other than the exporter (BACI has no flows within a country)"));
        }
        let k = field(3);
        if !is_hs6(k) {
            let expected = if !k.is_empty() && k.len() < 6 && k.iter().all(u8::is_ascii_digit) {
                "an HS6 code of exactly 6 digits — this one lost its leading zero(s); keep k as text when writing the CSV"
            } else {
                "an HS6 code of exactly 6 digits (e.g. 010111)"
            };
            return Err(self.bad(line, 3, k, expected));
        }
        let hs6 = k.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
        let value_usd =
            std::str::from_utf8(field(4)).ok().and_then(baci_value_usd).ok_or_else(|| self.bad(line, 4, field(4), VALUE_EXPECTED))?;
        let quantity_t =
            std::str::from_utf8(field(5)).ok().and_then(baci_quantity_t).ok_or_else(|| self.bad(line, 5, field(5), QUANTITY_EXPECTED))?;
        Ok((year, TradeRow { importer, hs6, exporter, importer_code, exporter_code, value_usd, quantity_t, line: line_u32(line) }))
    }

    /// Apply the bad-row policy: `Ok(())` to go on (row skipped), `Err` to stop.
    fn reject(&mut self, e: DataError) -> Result<()> {
        match self.on_error {
            OnError::Fail => Err(e),
            OnError::Skip => {
                self.skipped += 1;
                if self.examples.len() < SKIP_EXAMPLES {
                    self.examples.push(e.to_string());
                }
                Ok(())
            }
        }
    }
}

fn trim_bytes(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|c| !c.is_ascii_whitespace()).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !c.is_ascii_whitespace()).map_or(start, |e| e + 1);
    &b[start..end]
}

fn parse_int(b: &[u8]) -> Option<i64> {
    if b.is_empty() || b.len() > 12 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0')))
}

/// Rows of one trade CSV, by year, in chunks (in file order).
struct ParsedTrade {
    years: BTreeMap<i32, Vec<Vec<TradeRow>>>,
    rows: u64,
    skipped: u64,
    examples: Vec<String>,
}

/// Bytes of CSV per chunk handed to a parser thread (whole lines).
const CHUNK_BYTES: usize = 4 << 20;

/// Buffers reused across the chunks, files and years of one ingest, so that memory is
/// filled again rather than faulted in afresh: the row buffers (see [`RowBuffers`]) and
/// the CSV chunk buffers the parsers hand back.
struct Buffers {
    rows: RowBuffers,
    bytes: Mutex<Vec<Vec<u8>>>,
}

impl Default for Buffers {
    fn default() -> Buffers {
        Buffers { rows: RowBuffers::new(Self::MAX_ROW_CHUNKS), bytes: Mutex::default() }
    }
}

impl Buffers {
    /// Row buffers kept at most: 4 MiB each, about a year and a half of BACI rows, so the
    /// pool never holds more than the ingest's peak.
    const MAX_ROW_CHUNKS: usize = 160;
    /// CSV chunk buffers kept at most (the chunks in flight are 2 per parser thread).
    const MAX_BYTES: usize = 16;

    fn take_bytes(&self) -> Vec<u8> {
        self.bytes.lock().expect("no panic while holding").pop().unwrap_or_default()
    }

    fn give_bytes(&self, mut bytes: Vec<u8>) {
        bytes.clear();
        let mut kept = self.bytes.lock().expect("no panic while holding");
        if kept.len() < Self::MAX_BYTES {
            kept.push(bytes);
        }
    }
}

/// Lines of a trade CSV for one parser thread.
struct Chunk {
    index: usize,
    /// Line number (1-based, in the file) of the chunk's first line.
    first_line: u64,
    /// Line breaks in `bytes` (the chunk has at most one line more).
    lines: u64,
    bytes: Vec<u8>,
}

/// What a parser thread made of a chunk.
struct ChunkParsed {
    index: usize,
    /// One run of rows per year found in the chunk, each in file order (the years in no
    /// particular order).
    years: Vec<(i32, Vec<TradeRow>)>,
    rows: u64,
    skipped: u64,
    examples: Vec<String>,
    /// In `Fail` mode, the chunk's first bad row; the rows after it are not parsed.
    error: Option<DataError>,
    /// Rows a new run is made room for: the chunk's lines, so that a run never grows.
    run_capacity: usize,
}

/// A line number as stored in [`TradeRow::line`] (saturating).
fn line_u32(line: u64) -> u32 {
    u32::try_from(line).unwrap_or(u32::MAX)
}

/// A cursor over one line for [`parse_plain_at`]: fields are read in one pass, spaces
/// around a field skipped.
struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    #[inline(always)]
    fn spaces(&mut self) {
        while self.i < self.b.len() && self.b[self.i] == b' ' {
            self.i += 1;
        }
    }

    /// An unsigned integer field of 1 to 12 digits, spaces around it skipped.
    #[inline(always)]
    fn uint(&mut self) -> Option<(u64, u32)> {
        self.spaces();
        let (v, n) = digits_at(self.b, &mut self.i, 0);
        self.spaces();
        (1..=12).contains(&n).then_some((v, n))
    }

    /// A plain decimal field (`d…` or `d….d…`, at most 15 digits) × 10^`shift`, by
    /// [`plain_decimal_at`] (the rule and bits of `parse::plain_decimal_scaled`); spaces
    /// around it skipped.
    #[inline(always)]
    fn decimal(&mut self, shift: i32) -> Option<f64> {
        self.spaces();
        let v = plain_decimal_at(self.b, &mut self.i, shift)?;
        self.spaces();
        Some(v)
    }

    #[inline(always)]
    fn comma(&mut self) -> Option<()> {
        (self.b.get(self.i) == Some(&b',')).then(|| self.i += 1)
    }
}

/// The row of one plain trade line, without the `csv` reader: six comma-separated fields,
/// no quotes, numbers as plain decimal text, spaces around fields allowed. `None` for
/// anything else (a bad row, a quoted field, an exponent, a blank line…): the caller then
/// reads the line with the `csv` reader and [`TradeParser::parse`], which accept the same
/// rows with the same figures (unit-tested on the same lines) and give the errors.
///
/// The line starts at `b[start]` and ends at the next `\n` (a `\r` before it is dropped) or
/// at the end of `b`; with the row comes the index after the line (after its `\n`).
#[inline]
fn parse_plain_at(p: &TradeParser<'_>, b: &[u8], start: usize, line: u64) -> Option<(i32, TradeRow, usize)> {
    let mut c = Cursor { b, i: start };
    let (year, _) = c.uint()?;
    let year = year as i64;
    if !(1900..=2100).contains(&year) || p.file_year.is_some_and(|y| y != year) {
        return None;
    }
    let country = |code: u64| -> Option<(u16, u16)> {
        let x = *p.lookup.get(usize::try_from(code).ok()?)?;
        (x != UNKNOWN).then_some((x, code as u16))
    };
    c.comma()?;
    let (exporter, exporter_code) = country(c.uint()?.0)?;
    c.comma()?;
    let (importer, importer_code) = country(c.uint()?.0)?;
    c.comma()?;
    let (hs6, n) = c.uint()?;
    if n != 6 || exporter == importer {
        return None;
    }
    c.comma()?;
    let value_usd = c.decimal(3)?;
    c.comma()?;
    c.spaces();
    let quantity_t = match b.get(c.i) {
        Some(b'N') if b.get(c.i + 1) == Some(&b'A') => {
            c.i += 2;
            c.spaces();
            f64::NAN
        }
        None | Some(b'\n' | b'\r') => f64::NAN,
        _ => c.decimal(0)?,
    };
    let end = match b.get(c.i) {
        None => c.i,
        Some(b'\n') => c.i + 1,
        Some(b'\r') => match b.get(c.i + 1) {
            None => c.i + 1,
            Some(b'\n') => c.i + 2,
            _ => return None,
        },
        _ => return None,
    };
    Some((
        year as i32,
        TradeRow { importer, hs6: hs6 as u32, exporter, importer_code, exporter_code, value_usd, quantity_t, line: line_u32(line) },
        end,
    ))
}

/// [`parse_plain_at`] on one line (`text` without its `\n`).
#[cfg(test)]
fn parse_plain_line(p: &TradeParser<'_>, text: &[u8], line: u64) -> Option<(i32, TradeRow)> {
    parse_plain_at(p, text, 0, line).filter(|r| r.2 == text.len()).map(|(y, row, _)| (y, row))
}

/// Push a parsed row onto the chunk's run of rows of its year.
#[inline]
fn push_row(out: &mut ChunkParsed, year: i32, row: TradeRow, buffers: &Buffers) {
    out.rows += 1;
    match out.years.last_mut() {
        Some((y, run)) if *y == year => run.push(row),
        _ => push_row_to_other_year(out, year, row, buffers),
    }
}

/// [`push_row`] when the row's year is not the last row's: onto the chunk's run of that year,
/// moved last, or a new run — the chunk's first in a buffer from `buffers` with room for
/// all its lines, any other (a file of several years) growing from empty, so that a file
/// whose rows alternate between years costs no more memory than its rows.
#[cold]
#[inline(never)]
fn push_row_to_other_year(out: &mut ChunkParsed, year: i32, row: TradeRow, buffers: &Buffers) {
    let last = out.years.len().saturating_sub(1);
    if let Some(p) = out.years.iter().position(|(y, _)| *y == year) {
        out.years.swap(p, last);
        out.years[last].1.push(row);
        return;
    }
    let mut run = if out.years.is_empty() { buffers.rows.take_chunk(out.run_capacity) } else { Vec::new() };
    run.push(row);
    out.years.push((year, run));
}

/// Read `bytes` (whole lines, the first being line `first_line` of the file) with the `csv`
/// reader: each record is parsed into `out`, or rejected per the bad-row policy. For the
/// rows the plain path does not take, and for every line of a chunk with a quote (where a
/// field may hold a line break). False once an error stops the chunk.
///
/// Line numbers are counted from the bytes (the `csv` reader's own count is one short after
/// a CRLF line end). A bad record whose quoted field holds a line break stops the ingest
/// even with `--on-error skip`: it is most likely an unterminated quote, which swallows
/// every following line into one field, and skipping it would drop those rows unreported.
fn parse_by_csv(bytes: &[u8], first_line: u64, parser: &mut TradeParser<'_>, out: &mut ChunkParsed, buffers: &Buffers) -> bool {
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
    let mut rec = csv::ByteRecord::new();
    // The line of a record starting at byte `at` (or at the line breaks just before it);
    // records come in order, so the line breaks are counted once.
    let (mut counted_to, mut line) = (0usize, first_line);
    let mut line_at = |at: usize| -> u64 {
        let mut start = at.clamp(counted_to, bytes.len());
        while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        line += memchr::memchr_iter(b'\n', &bytes[counted_to..start]).count() as u64;
        counted_to = start;
        line
    };
    loop {
        let outcome = match rdr.read_byte_record(&mut rec) {
            Ok(false) => return true,
            // A line of spaces is blank, like an empty one (which the reader skips).
            Ok(true) if rec.len() == 1 && trim_bytes(&rec[0]).is_empty() => continue,
            Ok(true) => {
                let line = line_at(rec.position().map_or(0, |p| p.byte() as usize));
                let parsed = parser.parse(&rec, line);
                if parsed.is_err() && rec.iter().any(|f| f.contains(&b'\n')) {
                    let text = rec.as_slice();
                    let text = &text[..text.iter().rposition(|b| !matches!(b, b'\r' | b'\n')).map_or(0, |p| p + 1)];
                    let spans = memchr::memchr_iter(b'\n', text).count() + 1;
                    out.error = Some(DataError::Invalid(format!(
                        "{}:{line}: a quoted field runs over {spans} lines and the row is not a valid trade row — most likely an unterminated quote (\"), which takes every following line into the field; fix the quote (not skipped even with --on-error skip, since the rows it swallowed would be lost unreported)",
                        parser.label
                    )));
                    return false;
                }
                parsed
            }
            // A malformed record is a bad row like any other (reading a slice cannot fail).
            Err(e) => {
                let line = line_at(e.position().map_or(0, |p| p.byte() as usize));
                Err(DataError::Invalid(format!("{}:{line}: cannot read CSV: {e}", parser.label)))
            }
        };
        match outcome {
            Ok((year, row)) => push_row(out, year, row, buffers),
            Err(e) => {
                if let Err(e) = parser.reject(e) {
                    out.error = Some(e);
                    return false;
                }
            }
        }
    }
}

fn parse_chunk(chunk: &Chunk, label: &str, file_year: Option<i64>, lookup: &[u16], on_error: OnError, buffers: &Buffers) -> ChunkParsed {
    let mut parser = TradeParser { label: label.to_owned(), file_year, lookup, on_error, skipped: 0, examples: Vec::new() };
    let run_capacity = usize::try_from(chunk.lines).unwrap_or(usize::MAX - 1) + 1;
    let mut out =
        ChunkParsed { index: chunk.index, years: Vec::new(), rows: 0, skipped: 0, examples: Vec::new(), error: None, run_capacity };
    let bytes = &chunk.bytes[..];
    if memchr::memchr(b'"', bytes).is_some() {
        parse_by_csv(bytes, chunk.first_line, &mut parser, &mut out, buffers);
    } else {
        let (mut i, mut line_no) = (0, chunk.first_line);
        while i < bytes.len() {
            if let Some((year, row, next)) = parse_plain_at(&parser, bytes, i, line_no) {
                push_row(&mut out, year, row, buffers);
                i = next;
            } else {
                let end = memchr::memchr(b'\n', &bytes[i..]).map_or(bytes.len(), |p| i + p + 1);
                if !parse_by_csv(&bytes[i..end], line_no, &mut parser, &mut out, buffers) {
                    break;
                }
                i = end;
            }
            line_no += 1;
        }
    }
    out.skipped = parser.skipped;
    out.examples = parser.examples;
    out
}

/// Read into `buf` until it holds at least `want` bytes or the input ends; true at the end.
fn fill(r: &mut dyn Read, buf: &mut Vec<u8>, want: usize) -> std::io::Result<bool> {
    while buf.len() < want {
        let len = buf.len();
        buf.resize(want.max(len + 64 * 1024), 0);
        match r.read(&mut buf[len..]) {
            Ok(0) => {
                buf.truncate(len);
                return Ok(true);
            }
            Ok(n) => buf.truncate(len + n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => buf.truncate(len),
            Err(e) => {
                buf.truncate(len);
                return Err(e);
            }
        }
    }
    Ok(false)
}

/// Where the last complete record of `buf` ends (after its line break), or `None`. `buf`
/// starts at a record start. A line break inside a quoted field (`"…\n…"`) does not end a
/// record, as for the `csv` reader; buffers without a quote (nearly all) are searched from
/// the end only.
fn record_end(buf: &[u8]) -> Option<usize> {
    if memchr::memchr(b'"', buf).is_none() {
        return memchr::memrchr(b'\n', buf).map(|p| p + 1);
    }
    // An escaped quote ("") toggles twice, so it leaves the state unchanged.
    let (mut quoted, mut end) = (false, None);
    for (i, &b) in buf.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => end = Some(i + 1),
            _ => {}
        }
    }
    end
}

/// Read and validate one trade CSV with `threads` parser threads.
///
/// The calling thread reads the (uncompressed) stream and cuts it at line ends into chunks
/// of about [`CHUNK_BYTES`]; parser threads turn chunks into rows; the results are put back
/// in file order, so errors name `file:line:column` and the first bad row of the file is
/// the one reported, as with one thread. Memory: the rows of the file plus
/// 2 × `threads` chunks in flight.
fn read_trade_csv(
    r: &mut dyn Read,
    label: &str,
    file_year: Option<i64>,
    lookup: &[u16],
    on_error: OnError,
    threads: usize,
    buffers: &Buffers,
) -> Result<ParsedTrade> {
    let io_err = |line: u64, e: std::io::Error| {
        // A read error (a zip member failing its CRC, a truncated file) is never a bad row to skip.
        DataError::Invalid(format!("{label}: cannot read the file after line {line} ({e}); it is corrupt or truncated"))
    };
    // The header: the first line.
    let mut carry: Vec<u8> = Vec::new();
    let mut eof = false;
    let header_end = loop {
        if let Some(p) = carry.iter().position(|&b| b == b'\n') {
            break p + 1;
        }
        if eof {
            break carry.len();
        }
        let want = carry.len() + 64 * 1024;
        eof = fill(r, &mut carry, want).map_err(|e| io_err(0, e))?;
    };
    let mut hdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(&carry[..header_end]);
    let mut rec = csv::ByteRecord::new();
    let header_ok = hdr.read_byte_record(&mut rec).map_err(|e| csv_err(label, e))?;
    let header: Vec<String> =
        rec.iter().map(|h| String::from_utf8_lossy(trim_bytes(h)).trim_start_matches('\u{feff}').to_owned()).collect();
    if !header_ok || header != FIELDS {
        return Err(DataError::Header { file: label.to_owned(), expected: FIELDS.join(","), found: header.join(",") });
    }
    carry.drain(..header_end);

    let threads = threads.max(1);
    let stop = AtomicBool::new(false);
    let (tx, rx) = std::sync::mpsc::sync_channel::<Chunk>(2 * threads);
    let rx = Mutex::new(rx);
    let (rtx, rrx) = std::sync::mpsc::channel::<ChunkParsed>();
    let (results, read_error) = std::thread::scope(|s| {
        let (tx, rtx) = (tx, rtx);
        for _ in 0..threads {
            let (rx, rtx, stop) = (&rx, rtx.clone(), &stop);
            s.spawn(move || {
                loop {
                    let next = rx.lock().expect("no panic while holding").recv();
                    let Ok(chunk) = next else { break };
                    let parsed = parse_chunk(&chunk, label, file_year, lookup, on_error, buffers);
                    buffers.give_bytes(chunk.bytes);
                    if parsed.error.is_some() {
                        stop.store(true, Ordering::Relaxed);
                    }
                    if rtx.send(parsed).is_err() {
                        break;
                    }
                }
            });
        }
        drop(rtx);
        // This thread reads and cuts.
        let mut next_line = 2u64;
        let mut index = 0;
        let mut read_error = None;
        while !stop.load(Ordering::Relaxed) {
            let mut buf = buffers.take_bytes();
            buf.extend_from_slice(&carry);
            carry.clear();
            if !eof {
                // Normally up to a chunk; more when the carry is already a chunk without a
                // record end (a line longer than a chunk), so that the read always advances.
                let want = if buf.len() >= CHUNK_BYTES { buf.len() + buf.len() / 2 } else { CHUNK_BYTES };
                match fill(r, &mut buf, want) {
                    Ok(e) => eof = e,
                    Err(e) => {
                        read_error = Some(io_err(next_line - 1, e));
                        break;
                    }
                }
            }
            if !eof {
                match record_end(&buf) {
                    Some(p) => {
                        carry.extend_from_slice(&buf[p..]);
                        buf.truncate(p);
                    }
                    None => {
                        // A record longer than a chunk: read on.
                        carry = buf;
                        continue;
                    }
                }
            }
            if buf.is_empty() {
                break;
            }
            let lines = memchr::memchr_iter(b'\n', &buf).count() as u64;
            if tx.send(Chunk { index, first_line: next_line, lines, bytes: buf }).is_err() {
                break;
            }
            next_line += lines;
            index += 1;
            if eof {
                break;
            }
        }
        drop(tx);
        let mut results: Vec<ChunkParsed> = rrx.iter().collect();
        results.sort_by_key(|p| p.index);
        (results, read_error)
    });
    let mut out = ParsedTrade { years: BTreeMap::new(), rows: 0, skipped: 0, examples: Vec::new() };
    for p in results {
        out.skipped += p.skipped;
        if out.examples.len() < SKIP_EXAMPLES {
            out.examples.extend(p.examples);
        }
        if let Some(e) = p.error {
            return Err(e);
        }
        out.rows += p.rows;
        for (year, run) in p.years {
            out.years.entry(year).or_default().push(run);
        }
    }
    if let Some(e) = read_error {
        return Err(e);
    }
    Ok(out)
}

/// Ingest the BACI files `inputs` (zips, CSVs or directories of them) into a new store of
/// `data_dir`, carrying over what the release does not replace.
///
/// Errors: unreadable or corrupt files; a wrong header; in `Fail` mode, the first bad row
/// (`file:line:column`, field, found, expected): a short row, text where a number belongs,
/// a negative value or quantity, an HS code that is not 6 digits, an unknown country code.
/// On error the current store is unchanged.
pub fn ingest_baci(data_dir: &Path, inputs: &[PathBuf], opts: &BaciOptions) -> Result<BaciSummary> {
    if inputs.is_empty() {
        return Err(DataError::Invalid("no input files: give a BACI release zip or its CSV files".to_owned()));
    }
    std::fs::create_dir_all(data_dir).at(data_dir)?;
    let files = list_inputs(inputs)?;
    let trade_files: Vec<&Csv> = files.iter().filter(|f| f.kind == Kind::Trade).collect();
    if trade_files.is_empty() {
        return Err(DataError::Invalid(format!(
            "no trade CSV among {}; expected files like BACI_HS92_Y2022_V202401b.csv with the header t,i,j,k,v,q",
            inputs.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        )));
    }
    // A file's name is its id among the manifest's sources: two inputs of one name (from
    // two directories, or a zip and its unpacked member) could not be told apart there.
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for f in &files {
        if let Some(other) = names.insert(f.base_name(), f.label()) {
            return Err(DataError::Invalid(format!(
                "two inputs are named {}: {other} and {}; a file's name identifies it in the store's sources, so give each file once (rename one if both are needed)",
                f.base_name(),
                f.label()
            )));
        }
    }
    let old = Store::open_existing(data_dir)?;

    // HS revision and release, from the options or the file names.
    let mut revs = BTreeSet::new();
    let mut rels = BTreeSet::new();
    for f in &files {
        let (rev, rel) = revision_and_release(&f.base_name());
        revs.extend(rev);
        rels.extend(rel);
    }
    let hs_revision = match (&opts.hs_revision, revs.len()) {
        (Some(r), _) => r.to_ascii_uppercase(),
        (None, 1) => revs.iter().next().cloned().expect("one"),
        (None, 0) => {
            return Err(DataError::Invalid(
                "cannot tell the HS revision from the file names (BACI_HS92_…); give --hs-revision HS92|HS96|HS02|HS07|HS12|HS17|HS22"
                    .to_owned(),
            ));
        }
        (None, _) => {
            return Err(DataError::Invalid(format!("the files mix HS revisions {revs:?}; ingest one revision at a time")));
        }
    };
    if !HS_REVISIONS.contains(&hs_revision.as_str()) {
        return Err(DataError::Invalid(format!("HS revision {hs_revision:?} is not one of BACI's: {}", HS_REVISIONS.join(", "))));
    }
    let release = opts
        .release
        .clone()
        .or_else(|| (rels.len() == 1).then(|| rels.iter().next().cloned().expect("one")))
        .unwrap_or_else(|| "unknown".to_owned());
    if let Some(old) = &old
        && !opts.replace_all
        && let Some(old_rev) = old.manifest().hs_revision()
        && old_rev != hs_revision
    {
        return Err(DataError::Invalid(format!(
            "the store's trade is {old_rev} and these files are {hs_revision}: mixing HS revisions across years breaks every trend; add --replace-all to replace all trade years"
        )));
    }

    // Countries: the store's, updated by the release's code file.
    let countries = match &old {
        Some(s) => Some(CountryTable::from_batches(&read_parquet(&s.table_path(Table::Countries))?, "store countries")?),
        None => None,
    };
    let mut countries = countries;
    for f in files.iter().filter(|f| f.kind == Kind::Countries) {
        let t = read_country_codes(f)?;
        countries = Some(match countries {
            Some(c) => c.merged_with(&t, &f.label())?,
            None => t,
        });
    }
    let countries = countries.ok_or_else(|| {
        DataError::Invalid(
            "no country codes: give the release's country_codes_V*.csv too, or ingest the default dataset first (chokepoint data setup)"
                .to_owned(),
        )
    })?;
    let max_code = countries.countries().iter().map(|c| c.baci_code).max().unwrap_or(0).max(0) as usize;
    let mut lookup = vec![UNKNOWN; max_code + 1];
    for c in countries.countries() {
        if c.baci_code >= 0 {
            lookup[c.baci_code as usize] = countries.iso3_index(c.baci_code).expect("own code");
        }
    }

    // Checksums of the input files: a plain trade CSV is hashed as it is read for parsing;
    // the others (zips, code files) on another thread while the trade files parse (one hash
    // per file or zip, however many members it has; one file after the other).
    let read_hashed = |f: &Csv| f.kind == Kind::Trade && f.member.is_none();
    let containers: BTreeSet<PathBuf> = files.iter().filter(|f| !read_hashed(f)).map(|f| f.container.clone()).collect();
    let hashing = std::thread::spawn(move || {
        containers.into_iter().map(|p| sha256_file(&p).map(|s| (p, s))).collect::<Result<BTreeMap<PathBuf, (String, u64)>>>()
    });

    let threads = super::worker_threads(opts.threads);
    let progress = Progress::new(opts.progress);
    let staged = StagedStore::begin(data_dir)?;
    let dir = staged.dir().to_owned();
    let mut year_source: BTreeMap<i32, String> = BTreeMap::new();
    let mut trade_years: BTreeMap<i32, TradeYear> = BTreeMap::new();
    let (mut rows_read, mut rows_written, mut bytes_read, mut merged) = (0u64, 0u64, 0u64, 0u64);
    let mut skipped = 0;
    let mut examples = Vec::new();
    let mut new_sources = Vec::new();
    let source_id = format!("baci-{hs_revision}-{release}");
    // Pipeline: while one year is sorted and written (on its own threads), the next file is
    // parsed. At most one year waits to be written, so memory is bounded by about two
    // years' rows whatever the number of years.
    let iso3s = countries.iso3s();
    let buffers = Buffers::default();
    let buffers = &buffers;
    let mut read_sums: BTreeMap<PathBuf, (String, u64)> = BTreeMap::new();
    std::thread::scope(|s| -> Result<()> {
        type Writing<'s> = std::thread::ScopedJoinHandle<'s, Result<(i32, String, crate::trade::YearWritten)>>;
        let mut writing: Option<Writing<'_>> = None;
        let mut finish = |h: Writing<'_>| -> Result<()> {
            let (year, base, w) = h.join().map_err(|_| DataError::Invalid("the trade writer thread panicked".to_owned()))??;
            rows_written += w.rows;
            merged += w.merged;
            trade_years.insert(year, TradeYear { source: format!("{source_id}/{base}"), hs_revision: hs_revision.clone(), rows: w.rows });
            Ok(())
        };
        for f in &trade_files {
            let label = f.label();
            let bar = progress.bytes(f.size, f.base_name());
            let file_year = year_in_name(&f.base_name());
            let parsed = f.with_reader(|r| {
                if read_hashed(f) {
                    let mut r = HashingReader::new(bar.wrap_read(r));
                    let parsed = read_trade_csv(&mut r, &label, file_year, &lookup, opts.on_error, threads, buffers)?;
                    read_sums.insert(f.container.clone(), r.finish().at(&f.container)?);
                    Ok(parsed)
                } else {
                    read_trade_csv(&mut bar.wrap_read(r), &label, file_year, &lookup, opts.on_error, threads, buffers)
                }
            })?;
            if parsed.rows == 0 {
                let skipped = if parsed.skipped > 0 { format!(" ({} bad rows skipped)", parsed.skipped) } else { String::new() };
                return Err(DataError::Invalid(format!(
                    "no trade rows in {label}{skipped}: a BACI trade file has at least one; nothing was ingested, the store is unchanged"
                )));
            }
            rows_read += parsed.rows;
            bar.finish_and_clear();
            bytes_read += f.size;
            skipped += parsed.skipped;
            examples.extend(parsed.examples);
            for (year, chunks) in parsed.years {
                if let Some(prev) = year_source.insert(year, label.clone()) {
                    return Err(DataError::Invalid(format!("year {year} appears in both {prev} and {label}; give each year once")));
                }
                if let Some(h) = writing.take() {
                    finish(h)?;
                }
                let (dir, label, base) = (&dir, label.clone(), f.base_name());
                writing = Some(s.spawn(move || write_year(dir, year, iso3s, chunks, &label, threads, &buffers.rows).map(|w| (year, base, w))));
            }
        }
        if let Some(h) = writing.take() {
            finish(h)?;
        }
        Ok(())
    })?;
    let mut sums = hashing.join().map_err(|_| DataError::Invalid("the checksum thread panicked".to_owned()))??;
    sums.append(&mut read_sums);
    for f in &trade_files {
        new_sources.push(file_source(f, &sums, &source_id, &release, &hs_revision, &[Table::Trade]));
    }
    examples.truncate(SKIP_EXAMPLES);
    if rows_written == 0 {
        return Err(DataError::Invalid(format!(
            "no trade rows in {} ({skipped} skipped); nothing to ingest, the store is unchanged",
            trade_files.iter().map(|f| f.label()).collect::<Vec<_>>().join(", ")
        )));
    }

    // Countries and products.
    for f in files.iter().filter(|f| f.kind != Kind::Trade) {
        let table = if f.kind == Kind::Countries { Table::Countries } else { Table::Products };
        new_sources.push(file_source(f, &sums, &source_id, &release, &hs_revision, &[table]));
    }
    write_parquet(&table_path(&dir, Table::Countries), &Table::Countries.schema(), &[countries.to_batch()?])?;
    let product_files: Vec<&Csv> = files.iter().filter(|f| f.kind == Kind::Products).collect();
    let mut products: BTreeMap<(String, String), Option<String>> = BTreeMap::new();
    if let Some(s) = &old {
        for b in read_parquet(&s.table_path(Table::Products))? {
            use arrow::array::{Array, AsArray};
            let (c, r, d) = (b.column(0).as_string::<i32>(), b.column(1).as_string::<i32>(), b.column(2).as_string::<i32>());
            for i in 0..b.num_rows() {
                products.insert((c.value(i).to_owned(), r.value(i).to_owned()), (!d.is_null(i)).then(|| d.value(i).to_owned()));
            }
        }
    }
    if !product_files.is_empty() {
        products.retain(|(_, rev), _| rev != &hs_revision);
        for f in product_files {
            for (code, desc) in read_product_codes(f, &hs_revision)? {
                products.insert((code, hs_revision.clone()), desc);
            }
        }
    }
    let products_batch = RecordBatch::try_new(
        Table::Products.schema(),
        vec![
            Arc::new(StringArray::from_iter_values(products.keys().map(|k| &k.0))),
            Arc::new(StringArray::from_iter_values(products.keys().map(|k| &k.1))),
            Arc::new(products.values().map(|d| d.as_deref()).collect::<StringArray>()),
        ],
    )?;
    write_parquet(&table_path(&dir, Table::Products), &Table::Products.schema(), &[products_batch])?;

    // Other tables and untouched years come from the previous store.
    let mut sources = Vec::new();
    let mut notes = Vec::new();
    if let Some(s) = &old {
        let replaced: BTreeSet<i32> = trade_years.keys().copied().collect();
        let replace_all = opts.replace_all;
        staged.carry_over(s, Table::Trade, |y| !replace_all && !replaced.contains(&y))?;
        for t in [Table::Materials, Table::Production, Table::Governance] {
            staged.carry_over(s, t, |_| true)?;
        }
        for (y, info) in &s.manifest().trade_years {
            if !replace_all && !replaced.contains(y) {
                trade_years.insert(*y, info.clone());
            }
        }
        sources.extend(s.manifest().sources.iter().cloned());
        notes.extend(s.manifest().notes.iter().cloned());
    } else {
        for t in [Table::Materials, Table::Production, Table::Governance] {
            write_parquet(&table_path(&dir, t), &t.schema(), &[])?;
        }
        notes.push("materials, production and governance are empty: ingest the default dataset for them".to_owned());
    }
    sources.retain(|s: &SourceInfo| !new_sources.iter().any(|n| n.id == s.id));
    sources.extend(new_sources);
    // Trade files whose years have all been replaced no longer back anything.
    let backing: BTreeSet<&str> = trade_years.values().map(|y| y.source.as_str()).collect();
    sources.retain(|s| s.tables != [Table::Trade.name()] || backing.contains(s.id.as_str()));
    if skipped > 0 {
        notes.push(format!(
            "trade ({source_id}): {skipped} bad rows left out (--on-error skip); the first: {}",
            examples.first().map_or("", String::as_str)
        ));
    }
    if merged > 0 {
        notes.push(format!(
            "trade ({source_id}): {merged} rows summed into rows of the same year, exporter, importer and HS6 because two BACI country codes share one ISO3"
        ));
    }
    let mut manifest = new_manifest(sources, trade_years, notes);
    manifest.tables = staged.table_infos()?;
    let store = staged.commit(&manifest)?;
    Ok(BaciSummary {
        ingest: IngestSummary { store },
        rows_read,
        rows_written,
        bytes_read,
        skipped,
        skipped_examples: examples,
        years: year_source.keys().copied().collect(),
    })
}

/// The manifest entry of one input. A zip member carries the zip's sha256 and size.
fn file_source(
    f: &Csv,
    sums: &BTreeMap<PathBuf, (String, u64)>,
    source_id: &str,
    release: &str,
    rev: &str,
    tables: &[Table],
) -> SourceInfo {
    let (sha256, bytes) = sums[&f.container].clone();
    SourceInfo {
        id: format!("{source_id}/{}", f.base_name()),
        name: sources::BACI.name.to_owned(),
        release: format!("{rev} {release}"),
        file: f.label(),
        sha256,
        bytes,
        licence: sources::BACI.licence.to_owned(),
        citation: sources::BACI.citation.to_owned(),
        tables: tables.iter().map(|t| t.name().to_owned()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_give_revision_and_release() {
        assert_eq!(revision_and_release("BACI_HS92_Y2022_V202401b.csv"), (Some("HS92".into()), Some("V202401b".into())));
        assert_eq!(revision_and_release("flows.csv"), (None, None));
        assert_eq!(classify("x/country_codes_V202401b.csv"), Some(Kind::Countries));
        assert_eq!(classify("product_codes_HS17_V202401b.csv"), Some(Kind::Products));
        assert_eq!(classify("BACI_HS17_Y2020_V202401b.csv"), Some(Kind::Trade));
        assert_eq!(classify("Readme.txt"), None);
    }

    #[test]
    fn year_from_the_file_name() {
        assert_eq!(year_in_name("BACI_HS92_Y2022_V202401b.csv"), Some(2022));
        assert_eq!(year_in_name("flows.csv"), None);
    }

    /// A chunk of `bytes` starting at line 2 (after the header).
    fn test_chunk(bytes: &[u8]) -> Chunk {
        Chunk { index: 0, first_line: 2, lines: memchr::memchr_iter(b'\n', bytes).count() as u64, bytes: bytes.to_vec() }
    }

    /// Codes 4 (AFG), 12 (DZA), 156 (CHN), 392 (JPN) as indexes 0..4; others unknown.
    fn test_lookup() -> Vec<u16> {
        let mut l = vec![UNKNOWN; 400];
        for (i, c) in [4usize, 12, 156, 392].iter().enumerate() {
            l[*c] = i as u16;
        }
        l
    }

    fn by_csv_reader(p: &TradeParser<'_>, line: &str) -> Result<(i32, TradeRow)> {
        let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(line.as_bytes());
        let mut rec = csv::ByteRecord::new();
        assert!(rdr.read_byte_record(&mut rec).unwrap(), "{line}");
        p.parse(&rec, 2)
    }

    fn bits(r: &(i32, TradeRow)) -> (i32, u16, u32, u16, u16, u16, u64, u64) {
        let t = &r.1;
        (r.0, t.importer, t.hs6, t.exporter, t.importer_code, t.exporter_code, t.value_usd.to_bits(), t.quantity_t.to_bits())
    }

    #[test]
    fn the_plain_path_reads_rows_as_the_csv_reader_does() {
        let lookup = test_lookup();
        let p = TradeParser {
            label: "t.csv".into(),
            file_year: Some(2022),
            lookup: &lookup,
            on_error: OnError::Fail,
            skipped: 0,
            examples: Vec::new(),
        };
        for line in [
            "2022,4,12,030389,0.213,0.025",
            "2022,156,392,280530,88.981,          NA",
            "2022,156,392,280530,88.981,NA",
            "2022, 4 ,12 ,030389,16,",
            "2022,392,156,854231,123456789.123,5\r",
            "2022,12,4,010111,0.001,   1234.5678",
            "2022,12,4,010111,0,0",
        ] {
            let plain = parse_plain_line(&p, line.as_bytes(), 2).unwrap_or_else(|| panic!("plain path refused {line:?}"));
            let general = by_csv_reader(&p, line.trim_end_matches('\r')).unwrap();
            assert_eq!(bits(&plain), bits(&general), "{line}");
        }
        assert_eq!(parse_plain_line(&p, b"2022,4,12,030389,88.981,NA", 2).unwrap().1.value_usd, 88981.0);
        // Left to the csv reader: rows it accepts in other spellings, and every bad row.
        for line in [
            "2022,4,12,030389,.5,1",
            "2022,4,12,030389,1e3,1",
            "2022,4,12,\"030389\",1,1",
            "2022,4,12,030389,1,nan",
            "2022,4,12,030389,29.141000000000002,1",
            "2022,4,12,030389,12345678901234567890123456,1",
            "2022,4,12,30389,1,1",
            "2022,4,4,030389,1,1",
            "2022,4,999,030389,1,1",
            "2021,4,12,030389,1,1",
            "2022,4,12,030389,-1,1",
            "2022,4,12,030389,1,1,7",
            "2022,4,12,030389,1",
            "",
        ] {
            assert!(parse_plain_line(&p, line.as_bytes(), 2).is_none(), "{line:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn plain_and_csv_paths_agree(
            e in 0usize..4, i in 0usize..4, hs6 in 0u32..1_000_000,
            v_int in 0u64..100_000_000, v_frac in 0u32..1000, v_dec in 0usize..4,
            q in proptest::option::of((0u64..1_000_000, 0u32..1000)), pad in 0usize..12,
        ) {
            proptest::prop_assume!(e != i);
            let codes = [4, 12, 156, 392];
            let lookup = test_lookup();
            let p = TradeParser { label: "t.csv".into(), file_year: None, lookup: &lookup, on_error: OnError::Fail, skipped: 0, examples: Vec::new() };
            let v = if v_dec == 0 { v_int.to_string() } else { format!("{v_int}.{:0w$}", v_frac % 10u32.pow(v_dec as u32), w = v_dec) };
            let q = match q { Some((a, b)) => format!("{a}.{b:03}"), None => "NA".to_owned() };
            let line = format!("2022,{},{},{hs6:06},{v},{:>w$}", codes[e], codes[i], q, w = pad + q.len());
            let plain = parse_plain_line(&p, line.as_bytes(), 2);
            proptest::prop_assert!(plain.is_some(), "{}", line);
            let general = by_csv_reader(&p, &line).unwrap();
            proptest::prop_assert_eq!(bits(&plain.unwrap()), bits(&general), "{}", line);
        }
    }

    #[test]
    fn a_chunk_is_read_line_by_line_in_one_pass() {
        let lookup = test_lookup();
        // CRLF and LF endings, a line for the csv reader (.5), an empty quantity before a
        // CRLF, a padded NA, a blank line and a line of spaces and a tab (no rows) and a last
        // line ending with a lone CR.
        let bytes =
            b"2022,4,12,030389,1,1\r\n2022,4,156,030389,.5,NA\n2022,4,392,030389,2,\r\n2022,12,4,030389,3, NA \n\n \t \n2022,12,156,030389,4,5\r";
        let out = parse_chunk(&test_chunk(bytes), "t.csv", Some(2022), &lookup, OnError::Fail, &Buffers::default());
        assert!(out.error.is_none());
        assert_eq!((out.rows, out.skipped), (5, 0));
        let [(2022, rows)] = &out.years[..] else { panic!("{:?}", out.years.len()) };
        let got: Vec<(u32, f64, Option<f64>)> =
            rows.iter().map(|r| (r.line, r.value_usd, (!r.quantity_t.is_nan()).then_some(r.quantity_t))).collect();
        assert_eq!(got, [(2, 1000.0, Some(1.0)), (3, 500.0, None), (4, 2000.0, None), (5, 3000.0, None), (8, 4000.0, Some(5.0))]);
        // A bad line in the middle is reported at its own line.
        let bytes = b"2022,4,12,030389,1,1\n2022,4,12,030389,x,1\n2022,4,156,030389,1,1\n";
        let out = parse_chunk(&test_chunk(bytes), "t.csv", Some(2022), &lookup, OnError::Fail, &Buffers::default());
        let e = out.error.expect("a bad value").to_string();
        assert!(e.contains("t.csv:3:5"), "{e}");
        assert_eq!(out.rows, 1);
    }

    #[test]
    fn a_chunk_of_alternating_years_keeps_one_run_per_year() {
        let lookup = test_lookup();
        let mut text = Vec::new();
        for n in 0..1000 {
            let year = 2021 + n % 2;
            text.extend(format!("{year},4,12,030389,{n},1\n").bytes());
        }
        let out = parse_chunk(&test_chunk(&text), "t.csv", None, &lookup, OnError::Fail, &Buffers::default());
        assert!(out.error.is_none());
        assert_eq!(out.rows, 1000);
        let mut runs: Vec<(i32, Vec<f64>)> =
            out.years.iter().map(|(y, run)| (*y, run.iter().map(|r| r.value_usd / 1000.0).collect())).collect();
        runs.sort_by_key(|r| r.0); // the years come in no particular order
        let odd: Vec<f64> = (0..1000).filter(|n| n % 2 == 1).map(f64::from).collect();
        let even: Vec<f64> = (0..1000).filter(|n| n % 2 == 0).map(f64::from).collect();
        assert_eq!(runs, [(2021, even), (2022, odd)]);
    }

    #[test]
    fn csv_path_lines_are_right_after_crlf_and_an_unterminated_quote_stops() {
        let lookup = test_lookup();
        let parse = |bytes: &[u8], on_error| {
            parse_chunk(&test_chunk(bytes), "t.csv", Some(2022), &lookup, on_error, &Buffers::default())
        };
        // A quote sends the whole chunk to the csv reader; the bad row is on line 3.
        let out = parse(b"2022,4,12,030389,1,1\r\n2022,4,156,030389,-1,1\r\n2022,4,392,030389,\"1\",1\r\n", OnError::Fail);
        let e = out.error.expect("a bad value").to_string();
        assert!(e.contains("t.csv:3:5"), "{e}");
        let out = parse(b"2022,4,12,030389,1,1\r\n\r\n2022,4,156,030389,1,1\r\n2022,4,392,030389,\"1\",1\r\n", OnError::Skip);
        let [(2022, rows)] = &out.years[..] else { panic!() };
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 4, 5]);
        // An unterminated quote on line 3 would swallow lines 4 and 5: an error even in skip mode.
        let out = parse(b"2022,4,12,030389,1,1\n2022,4,156,030389,\"1,1\n2022,4,392,030389,1,1\n2022,12,4,030389,1,1\n", OnError::Skip);
        let e = out.error.expect("an unterminated quote").to_string();
        assert!(e.contains("t.csv:3: a quoted field runs over 3 lines"), "{e}");
        assert_eq!(out.rows, 1);
    }

    #[test]
    fn chunks_end_at_record_ends_outside_quotes() {
        assert_eq!(record_end(b"a,b\nc,d\ne,"), Some(8));
        assert_eq!(record_end(b"a,b"), None);
        // The line break inside "1.5\n" is not a record end; the one before it is.
        assert_eq!(record_end(b"a,b\nc,\"1.5\n\",3"), Some(4));
        assert_eq!(record_end(b"a,\"x\"\"y\"\nc"), Some(9));
    }

    #[test]
    fn a_line_longer_than_a_chunk_and_a_quoted_line_break_at_a_chunk_end_are_read() {
        let lookup = test_lookup();
        let read = |text: &[u8]| {
            let mut r = std::io::Cursor::new(text.to_vec());
            read_trade_csv(&mut r, "t.csv", Some(2022), &lookup, OnError::Fail, 2, &Buffers::default()).map(|p| (p.rows, p.skipped))
        };
        // A quantity padded beyond a chunk (the reader once looped on it).
        let mut long = b"t,i,j,k,v,q\n2022,4,12,030389,1,1\n2022,4,156,030389,1,".to_vec();
        long.extend(std::iter::repeat_n(b' ', CHUNK_BYTES + 10));
        long.extend(b"2\n2022,4,392,030389,1,1\n");
        assert_eq!(read(&long).unwrap(), (3, 0));
        // A quoted value holding a line break that is the last one of the first chunk read
        // (the stream after the 12-byte header, up to CHUNK_BYTES bytes), the record's own
        // end being past it.
        let row = b"2022,4,12,030389,1,1\n";
        let mut text = b"t,i,j,k,v,q\n".to_vec();
        while text.len() + row.len() < CHUNK_BYTES - 40 {
            text.extend(row);
        }
        let before = (text.len() - 12) / row.len();
        text.extend(b"2022,4,156,030389,\"");
        text.extend(std::iter::repeat_n(b' ', CHUNK_BYTES + 8 - text.len()));
        assert!(text.len() < 12 + CHUNK_BYTES && text.len() + 7 >= 12 + CHUNK_BYTES);
        text.extend(b"\n1.5\",3\n2022,4,392,030389,1,1\n");
        // Two rows of another exporter-importer pair after the padding: the quoted one and the last.
        let rows = before as u64 + 2;
        assert_eq!(read(&text).unwrap(), (rows, 0));
    }

    #[test]
    fn bytes_helpers() {
        assert_eq!(trim_bytes(b"   NA "), b"NA");
        assert_eq!(trim_bytes(b"   "), b"");
        assert_eq!(parse_int(b"2022"), Some(2022));
        assert_eq!(parse_int(b"-1"), None);
        assert_eq!(parse_int(b""), None);
    }
}
