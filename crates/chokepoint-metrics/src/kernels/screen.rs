//! The aggregates of the strategic-dependency screen (`crate::screen`) in one pass per year
//! over the sorted store, instead of three DataFusion group-bys.
//!
//! For each row (importer i, HS6 k, exporter j, value v in milli-USD) of a year:
//! - world exports: `W[k, j] += v` (a dense array HS6 × exporter);
//! - for each unit u with i a member: `M_intra[u, k] += v` when j is a member too, else
//!   `M_extra[u, k, j] += v` (dense per unit);
//! - for each unit u with j a member and i not: `X_extra[u, k] += v`.
//!
//! Countries and products get ids in order of first appearance; the dense arrays are laid
//! out `k × C + j` with C a power of two grown when more countries appear. Each thread
//! scans a contiguous chunk of the year into its own arrays; the chunks' arrays are added
//! (ids translated by name) in integer milli-USD, so the totals are exact and equal those
//! of the SQL path (`CAST(value_usd AS DECIMAL(38, 3))` summed), bit for bit once turned
//! into USD.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use super::scan::{KeyIds, Keyed, par_chunks, scan_chunk, year_chunks};
use super::{milli, usd, usd2};
use crate::dependency::DependencyError;
use crate::screen::compute::{Aggregates, UnitProduct};

/// Strings by id, ids in order of first appearance.
#[derive(Default, Clone)]
struct Names {
    names: Vec<String>,
    ids: HashMap<String, u32>,
}

impl Names {
    /// The id of `s` and whether it is new.
    fn id(&mut self, s: &str) -> (u32, bool) {
        if let Some(&i) = self.ids.get(s) {
            return (i, false);
        }
        let i = self.names.len() as u32;
        self.names.push(s.to_owned());
        self.ids.insert(s.to_owned(), i);
        (i, true)
    }
}

/// One unit's sums in milli-USD.
#[derive(Clone)]
struct UnitSums {
    /// `[k × C + j]`: imports of members from non-member j.
    extra: Vec<i64>,
    /// A row contributed to `extra[k × C + j]` (an exporter with a zero sum is still listed).
    extra_seen: Vec<bool>,
    /// `[k]`: imports of members from members.
    intra: Vec<i64>,
    intra_seen: Vec<bool>,
    /// `[k]`: exports of members to non-members.
    exports: Vec<i64>,
}

/// One chunk's (or, merged, one year's) sums.
struct YearSums {
    countries: Names,
    products: Names,
    /// Country capacity C of the `k × C + j` layout (a power of two).
    cap: usize,
    /// `[country]`: bit u set when the country is a member of unit u this year.
    member_bits: Vec<u64>,
    /// `[k]`: the product is screened (in the request's codes, or all).
    wanted: Vec<bool>,
    /// `[k × C + j]`: world exports.
    world: Vec<i64>,
    units: Vec<UnitSums>,
}

/// What one year's scan needs to know.
struct YearSpec<'a> {
    /// Per unit, its members this year.
    members: Vec<&'a BTreeSet<String>>,
    codes: Option<&'a BTreeSet<String>>,
}

impl YearSums {
    fn new(units: usize) -> YearSums {
        YearSums {
            countries: Names::default(),
            products: Names::default(),
            cap: 256,
            member_bits: Vec::new(),
            wanted: Vec::new(),
            world: Vec::new(),
            units: vec![
                UnitSums {
                    extra: Vec::new(),
                    extra_seen: Vec::new(),
                    intra: Vec::new(),
                    intra_seen: Vec::new(),
                    exports: Vec::new()
                };
                units
            ],
        }
    }

    /// Id of a country, registering its membership bits when new (growing C if needed).
    fn country(&mut self, s: &str, spec: &YearSpec<'_>) -> u32 {
        let (id, new) = self.countries.id(s);
        if new {
            let bits = spec.members.iter().enumerate().filter(|(_, m)| m.contains(s)).fold(0u64, |b, (u, _)| b | 1 << u);
            self.member_bits.push(bits);
            if id as usize >= self.cap {
                self.grow(self.cap * 2);
            }
        }
        id
    }

    /// Id of a product, adding its rows to the arrays when new.
    fn product(&mut self, s: &str, spec: &YearSpec<'_>) -> u32 {
        let (id, new) = self.products.id(s);
        if new {
            self.wanted.push(spec.codes.is_none_or(|c| c.contains(s)));
            let n = self.products.names.len();
            self.world.resize(n * self.cap, 0);
            for u in &mut self.units {
                u.extra.resize(n * self.cap, 0);
                u.extra_seen.resize(n * self.cap, false);
                u.intra.resize(n, 0);
                u.intra_seen.resize(n, false);
                u.exports.resize(n, 0);
            }
        }
        id
    }

    /// Re-lay the `k × C + j` arrays with capacity `cap`.
    fn grow(&mut self, cap: usize) {
        fn relayout<T: Copy + Default>(v: &[T], old: usize, new: usize) -> Vec<T> {
            let rows = v.len() / old;
            let mut out = vec![T::default(); rows * new];
            for k in 0..rows {
                out[k * new..k * new + old].copy_from_slice(&v[k * old..(k + 1) * old]);
            }
            out
        }
        let old = self.cap;
        self.world = relayout(&self.world, old, cap);
        for u in &mut self.units {
            u.extra = relayout(&u.extra, old, cap);
            u.extra_seen = relayout(&u.extra_seen, old, cap);
        }
        self.cap = cap;
    }

    /// Add `other` (a later chunk of the same year) into `self`, translating its ids.
    fn merge(&mut self, other: YearSums, spec: &YearSpec<'_>) {
        let cmap: Vec<usize> = other.countries.names.iter().map(|s| self.country(s, spec) as usize).collect();
        let pmap: Vec<usize> = other.products.names.iter().map(|s| self.product(s, spec) as usize).collect();
        let (oc, c) = (other.cap, self.cap);
        for (ok, &k) in pmap.iter().enumerate() {
            for (oj, &j) in cmap.iter().enumerate() {
                self.world[k * c + j] += other.world[ok * oc + oj];
            }
        }
        for (mine, theirs) in self.units.iter_mut().zip(other.units) {
            for (ok, &k) in pmap.iter().enumerate() {
                mine.intra[k] += theirs.intra[ok];
                mine.intra_seen[k] |= theirs.intra_seen[ok];
                mine.exports[k] += theirs.exports[ok];
                for (oj, &j) in cmap.iter().enumerate() {
                    mine.extra[k * c + j] += theirs.extra[ok * oc + oj];
                    mine.extra_seen[k * c + j] |= theirs.extra_seen[ok * oc + oj];
                }
            }
        }
    }
}

/// Id of dictionary key `k` of one batch, through the key → id slots ([`KeyIds`]).
#[inline]
fn cached(map: &mut [u32], k: i32, col: &Keyed<'_>, intern: impl FnOnce(&str) -> u32) -> u32 {
    let slot = &mut map[k as usize];
    if *slot == u32::MAX {
        *slot = intern(col.dict.value(k as usize));
    }
    *slot
}

/// Scan one chunk of a year.
fn scan_year_chunk(chunk: &super::scan::Chunk, spec: &YearSpec<'_>) -> Result<YearSums, DependencyError> {
    let mut s = YearSums::new(spec.members.len());
    let (mut icache, mut hcache, mut ecache) = (KeyIds::default(), KeyIds::default(), KeyIds::default());
    scan_chunk(chunk, |c| {
        let (imap, hmap, emap) = (icache.slots(&c.importer), hcache.slots(&c.hs6), ecache.slots(&c.exporter));
        for r in 0..c.len() {
            let i = cached(imap, c.importer.keys[r], &c.importer, |x| s.country(x, spec)) as usize;
            let k = cached(hmap, c.hs6.keys[r], &c.hs6, |x| s.product(x, spec)) as usize;
            if !s.wanted[k] {
                continue;
            }
            let j = cached(emap, c.exporter.keys[r], &c.exporter, |x| s.country(x, spec)) as usize;
            let m = milli(c.value[r]);
            let cap = s.cap;
            s.world[k * cap + j] += m;
            let (mi, mj) = (s.member_bits[i], s.member_bits[j]);
            let mut bits = mi;
            while bits != 0 {
                let u = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let sums = &mut s.units[u];
                if mj & (1 << u) != 0 {
                    sums.intra[k] += m;
                    sums.intra_seen[k] = true;
                } else {
                    sums.extra[k * cap + j] += m;
                    sums.extra_seen[k * cap + j] = true;
                }
            }
            let mut bits = mj & !mi;
            while bits != 0 {
                let u = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                s.units[u].exports[k] += m;
            }
        }
        Ok(())
    })?;
    Ok(s)
}

/// The screen's aggregates for `years` over the store at `store_root`, one pass per year on
/// `threads` threads: the same [`Aggregates`] as the SQL path (`members[u]`: year → members
/// of unit u; `codes`: the HS6 codes screened, all when `None`).
///
/// Errors: unreadable trade files ([`DependencyError::Io`], [`DependencyError::Parquet`]);
/// more than 64 importing units ([`DependencyError::Usage`]).
pub(crate) fn aggregate(
    store_root: &Path,
    members: &[BTreeMap<i32, BTreeSet<String>>],
    years: &BTreeSet<i32>,
    codes: Option<&BTreeSet<String>>,
    threads: usize,
) -> Result<Aggregates, DependencyError> {
    if members.len() > 64 {
        return Err(DependencyError::Usage(format!("the screen takes at most 64 importing units at once, got {}", members.len())));
    }
    let mut out = Aggregates { units: BTreeMap::new(), world: BTreeMap::new() };
    if members.is_empty() || years.is_empty() || codes.is_some_and(BTreeSet::is_empty) {
        return Ok(out);
    }
    let empty = BTreeSet::new();
    for &year in years {
        let spec = YearSpec { members: members.iter().map(|m| m.get(&year).unwrap_or(&empty)).collect(), codes };
        let chunks = year_chunks(store_root, year, threads)?;
        let mut parts = par_chunks(&chunks, |c| scan_year_chunk(c, &spec))?.into_iter();
        let Some(mut sums) = parts.next() else { continue };
        for p in parts {
            sums.merge(p, &spec);
        }
        let cap = sums.cap;
        let nc = sums.countries.names.len();
        for (k, hs6) in sums.products.names.iter().enumerate() {
            if !sums.wanted[k] {
                continue;
            }
            // World exports by exporter: Σx, Σx², count over x > 0.
            let (mut total, mut squares, mut n) = (0i128, 0i128, 0usize);
            for &x in &sums.world[k * cap..k * cap + nc] {
                if x > 0 {
                    total += x as i128;
                    squares += x as i128 * x as i128;
                    n += 1;
                }
            }
            if total > 0 {
                let t = usd(total);
                out.world.insert((year, hs6.clone()), (t, usd2(squares) / (t * t), n));
            }
            for (u, s) in sums.units.iter().enumerate() {
                let mut extra = BTreeMap::new();
                for j in 0..nc {
                    if s.extra_seen[k * cap + j] {
                        extra.insert(sums.countries.names[j].clone(), usd(s.extra[k * cap + j] as i128));
                    }
                }
                let intra = if s.intra_seen[k] { usd(s.intra[k] as i128) } else { 0.0 };
                // Products the unit only exports are not screened (no imports).
                if extra.is_empty() && intra <= 0.0 {
                    continue;
                }
                out.units.insert((u, year, hs6.clone()), UnitProduct { extra, intra, exports: usd(s.exports[k] as i128) });
            }
        }
    }
    Ok(out)
}
