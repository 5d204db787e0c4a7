//! Small-cell suppression: the one function every page, API answer and export of victim figures
//! goes through before a reader without the sensitive-statistics capability sees them.
//!
//! A table is protected together with its margins (row totals, column totals, grand total):
//! 1. *primary*: every count from 1 to 4 is hidden (zero stays zero, it identifies nobody);
//! 2. *complementary*: a row or column (its total included) with exactly one hidden cell would
//!    give that cell away by subtraction, so the smallest non-zero visible cell of that line is
//!    hidden too; this repeats until no line has exactly one hidden cell.
//!
//! Tables shown together share figures (the female total of a sex × age table is the female
//! total of a unit × sex table): [`suppress_linked`] gives every cell a key made of its measure
//! and its dimension values, hides a key everywhere once it is hidden anywhere, and repeats
//! until the tables agree. Hidden cells are all shown the same way, whatever the reason, so a
//! reader cannot tell a small count from its complement.
//!
//! 3. *interval audit*: an attacker ([`attack`]) who knows the rules (so every hidden cell is at
//!    least 1, zeros being never hidden) combines every row and column equation of every table
//!    of the view and tightens each hidden cell's bounds until nothing changes; any hidden count
//!    of 1 to 4 left with a range narrower than [`MIN_RANGE`] gets another complement (the
//!    smallest visible figure of its row, else its column, else a total), and the rule runs
//!    again. This is what stops "a total of 12, 10 visible, two hidden cells: each is 1".
//!
//! Limits (see `docs/privacy.md`): the audit is a relaxation of the linear program (bounds
//! line by line). Tables of several views are protected together by passing them together:
//! `figures::protect_year` does so for a family of units over the periods of a year's
//! publication lattice, tied by the tables of [`period_links`].

use serde::{Serialize, Serializer};
use std::collections::BTreeSet;
use std::fmt::Debug;

/// Counts below this are never shown to readers without the sensitive capability.
pub const THRESHOLD: i64 = 5;

/// What a reader sees of one cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown {
    Exact(i64),
    Suppressed,
}

impl Shown {
    pub fn is_suppressed(self) -> bool {
        self == Shown::Suppressed
    }

    /// The figure as text: `1.234`, or `x` when hidden.
    pub fn display(self) -> String {
        match self {
            Shown::Exact(n) => crate::web::format::number(n),
            Shown::Suppressed => SUPPRESSED_MARK.to_owned(),
        }
    }
}

/// How a hidden cell reads on screen, in the API and in exports: one neutral mark whatever the
/// hidden figure (a complementary cell may hold 5 or more, so `<5` would be a lie), explained
/// by the legend "x — ẩn để bảo vệ nạn nhân".
pub const SUPPRESSED_MARK: &str = "x";

/// A number, or the string `"x"`: the same in the API, the page context and the exports.
impl Serialize for Shown {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Shown::Exact(n) => s.serialize_i64(*n),
            Shown::Suppressed => s.serialize_str(SUPPRESSED_MARK),
        }
    }
}

/// A two-way table of non-negative counts. Rows and columns are keyed; the margins are computed.
/// A one-column table (a list with a total) has `col_dim` empty.
#[derive(Clone, Debug)]
pub struct Table<K> {
    /// What is counted ("received", "support:2011"...): cells of different measures never link.
    pub measure: String,
    pub row_dim: &'static str,
    pub col_dim: &'static str,
    pub rows: Vec<K>,
    pub cols: Vec<K>,
    values: Vec<Vec<i64>>,
    /// Dimensions every cell of the table shares (the unit a table of one unit is about), so
    /// that its figures link with the same figures in a table across units.
    fixed: Vec<(&'static str, K)>,
    /// The value of the row dimension that the total row is (a year is the total of its
    /// quarters), or none when the total row is the dimension summed away.
    whole: Option<K>,
    /// The key of every cell of the augmented grid, given rather than computed: for the tables
    /// that tie a period to its parts ([`period_links`]).
    keys: Option<Vec<Vec<CellKey<K>>>>,
}

impl<K: Clone + Ord + Debug> Table<K> {
    pub fn new(
        measure: impl Into<String>,
        row_dim: &'static str,
        rows: Vec<K>,
        col_dim: &'static str,
        cols: Vec<K>,
    ) -> Self {
        let values = vec![vec![0; cols.len()]; rows.len()];
        Table {
            measure: measure.into(),
            row_dim,
            col_dim,
            rows,
            cols,
            values,
            fixed: Vec::new(),
            whole: None,
            keys: None,
        }
    }

    /// The same table, its total row being the figure of `whole`, a value of its row dimension
    /// (the year below the rows of its quarters), so that it links with the tables of `whole`.
    pub fn totalled_as(mut self, whole: K) -> Self {
        self.whole = Some(whole);
        self
    }

    /// The same table, its every figure marked as being about one value of a dimension it does
    /// not show (`unit`): unchanged if it already shows that dimension.
    pub fn about(mut self, dim: &'static str, value: K) -> Self {
        if self.row_dim != dim && self.col_dim != dim {
            self.fixed.push((dim, value));
        }
        self
    }

    /// A list of counts with its total: one column, whose key is `col`.
    pub fn column(measure: impl Into<String>, row_dim: &'static str, rows: Vec<K>, col: K) -> Self {
        Self::new(measure, row_dim, rows, "", vec![col])
    }

    /// Adds `n` to a cell; keys that are not rows or columns of the table are ignored, so a
    /// caller can feed every stored row and let the table pick its own.
    pub fn add(&mut self, row: &K, col: &K, n: i64) {
        let (Some(i), Some(j)) = (
            self.rows.iter().position(|r| r == row),
            self.cols.iter().position(|c| c == col),
        ) else {
            return;
        };
        if let Some(cell) = self.values.get_mut(i).and_then(|r| r.get_mut(j)) {
            *cell += n.max(0);
        }
    }

    pub fn value(&self, i: usize, j: usize) -> i64 {
        self.values
            .get(i)
            .and_then(|r| r.get(j))
            .copied()
            .unwrap_or(0)
    }

    /// The table with its margins: `rows + 1` lines of `cols + 1` values, the last row and the
    /// last column being the totals.
    fn augmented(&self) -> Vec<Vec<i64>> {
        let (n, m) = (self.rows.len(), self.cols.len());
        let mut grid = vec![vec![0i64; m + 1]; n + 1];
        for i in 0..n {
            for j in 0..m {
                let v = self.value(i, j);
                for (a, b) in [(i, j), (i, m), (n, j), (n, m)] {
                    if let Some(cell) = grid.get_mut(a).and_then(|r| r.get_mut(b)) {
                        *cell += v;
                    }
                }
            }
        }
        grid
    }

    /// The identity of a cell of the augmented grid, shared by every table showing that figure.
    fn key(&self, i: usize, j: usize) -> CellKey<K> {
        if let Some(k) = self.keys.as_ref().and_then(|k| k.get(i)?.get(j)) {
            return k.clone();
        }
        let mut dims = self.fixed.clone();
        if let Some(r) = self.rows.get(i).or(self.whole.as_ref()) {
            dims.push((self.row_dim, r.clone()));
        }
        if !self.col_dim.is_empty()
            && let Some(c) = self.cols.get(j)
        {
            dims.push((self.col_dim, c.clone()));
        }
        dims.sort();
        CellKey {
            measure: self.measure.clone(),
            dims,
        }
    }

    /// The key of a cell in the same table marked `about(dim, value)`.
    /// A value the table already has for `dim` (a district's tables, marked with the district,
    /// read as the tables of one of its communes) is replaced.
    fn key_about(&self, i: usize, j: usize, dim: &'static str, value: &K) -> CellKey<K> {
        let mut k = self.key(i, j);
        k.dims.retain(|(d, _)| *d != dim);
        k.dims.push((dim, value.clone()));
        k.dims.sort();
        k
    }

    /// Whether two tables lay out the same figures (for different values of `dim`).
    fn same_layout(&self, other: &Table<K>, dim: &str) -> bool {
        let fixed = |t: &Table<K>| -> Vec<(&'static str, K)> {
            t.fixed.iter().filter(|(d, _)| *d != dim).cloned().collect()
        };
        self.measure == other.measure
            && self.row_dim == other.row_dim
            && self.col_dim == other.col_dim
            && fixed(self) == fixed(other)
    }
}

/// A part's table in the layout of the whole's, with its augmented grid.
type Found<'a, K> = (&'a Table<K>, Vec<Vec<i64>>);

/// Tables shown nowhere that tie every figure of a whole period to the same figure of its parts
/// (a year to its quarters, a half to its two quarters), so that suppression protects the
/// periods together: without them, a year minus its first quarter gives the rest.
///
/// `whole` and every part are the tables of one period, in the same layouts, **not** marked
/// with their period; the tables actually protected are those marked `about(dim, period)`.
/// A whole given without a value of `dim` (a unit's tables, whose parts are its units below,
/// each marked `about("unit", …)`) keeps its own keys.
/// For each table of `whole`, three tables are made: its inner cells, its row totals and its
/// column totals, each with one row per part, so that every column reads "the parts of this
/// figure add up to the whole's" and every row "a part's figures add up to its total".
/// Measures in `stocks` (persons carried over into a period) do not add up over periods and
/// are left out: the caller gives them the key of the part they are the same figure as.
pub fn period_links<K: Clone + Ord + Debug>(
    dim: &'static str,
    whole: (Option<&K>, &[Table<K>]),
    parts: &[(K, &[Table<K>])],
    stocks: &[&str],
) -> Vec<Table<K>> {
    let (whole_key, whole_tables) = whole;
    let mut out = Vec::new();
    // A table across the values of `dim` (the table by unit) is no sum of its parts' tables.
    let summed = |w: &&Table<K>| {
        !stocks.contains(&w.measure.as_str()) && w.row_dim != dim && w.col_dim != dim
    };
    for w in whole_tables.iter().filter(summed) {
        let (n, m) = (w.rows.len(), w.cols.len());
        let inner: Vec<(usize, usize)> = (0..n).flat_map(|i| (0..m).map(move |j| (i, j))).collect();
        let row_totals: Vec<(usize, usize)> = (0..n).map(|i| (i, m)).collect();
        let col_totals: Vec<(usize, usize)> = (0..m).map(|j| (n, j)).collect();
        let found: Vec<(&K, Option<Found<'_, K>>)> = parts
            .iter()
            .map(|(p, tables)| {
                let t = tables.iter().find(|t| t.same_layout(w, dim));
                (p, t.map(|t| (t, t.augmented())))
            })
            .collect();
        // A part's figure at a cell of the whole's grid, found by its row and column keys.
        let figure = |part: Option<&(&Table<K>, Vec<Vec<i64>>)>, (i, j): (usize, usize)| {
            let Some((t, grid)) = part else { return 0 };
            let a = match w.rows.get(i) {
                Some(r) => t.rows.iter().position(|x| x == r),
                None => Some(t.rows.len()),
            };
            let b = match w.cols.get(j) {
                Some(c) => t.cols.iter().position(|x| x == c),
                None => Some(t.cols.len()),
            };
            match (a, b) {
                (Some(a), Some(b)) => grid.get(a).and_then(|r| r.get(b)).copied().unwrap_or(0),
                _ => 0,
            }
        };
        let Some(filler) = w.rows.first().or(w.cols.first()) else {
            continue;
        };
        for cells in [inner, row_totals, col_totals] {
            if cells.is_empty() {
                continue;
            }
            let values: Vec<Vec<i64>> = found
                .iter()
                .map(|(_, part)| cells.iter().map(|c| figure(part.as_ref(), *c)).collect())
                .collect();
            let mut keys: Vec<Vec<CellKey<K>>> = found
                .iter()
                .map(|(p, _)| {
                    let mut row: Vec<CellKey<K>> = cells
                        .iter()
                        .map(|(i, j)| w.key_about(*i, *j, dim, p))
                        .collect();
                    row.push(w.key_about(n, m, dim, p));
                    row
                })
                .collect();
            let whole_cell = |i: usize, j: usize| match whole_key {
                Some(v) => w.key_about(i, j, dim, v),
                None => w.key(i, j),
            };
            let mut total: Vec<CellKey<K>> =
                cells.iter().map(|(i, j)| whole_cell(*i, *j)).collect();
            total.push(whole_cell(n, m));
            keys.push(total);
            out.push(Table {
                measure: w.measure.clone(),
                row_dim: dim,
                col_dim: "cell",
                rows: found.iter().map(|(p, _)| (*p).clone()).collect(),
                // Column values are never read: every key is given.
                cols: vec![filler.clone(); cells.len()],
                values,
                fixed: Vec::new(),
                whole: None,
                keys: Some(keys),
            });
        }
    }
    out
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct CellKey<K> {
    measure: String,
    dims: Vec<(&'static str, K)>,
}

/// A table as a reader sees it.
#[derive(Clone, Debug, Serialize)]
pub struct Protected<K> {
    pub rows: Vec<K>,
    pub cols: Vec<K>,
    pub cells: Vec<Vec<Shown>>,
    pub row_totals: Vec<Shown>,
    pub col_totals: Vec<Shown>,
    pub total: Shown,
}

impl<K: Clone> Protected<K> {
    fn from_grid(table: &Table<K>, grid: &[Vec<i64>], hidden: &[Vec<bool>]) -> Self {
        let (n, m) = (table.rows.len(), table.cols.len());
        let at = |i: usize, j: usize| {
            let hide = hidden
                .get(i)
                .and_then(|r| r.get(j))
                .copied()
                .unwrap_or(true);
            match grid.get(i).and_then(|r| r.get(j)) {
                Some(v) if !hide => Shown::Exact(*v),
                _ => Shown::Suppressed,
            }
        };
        Protected {
            rows: table.rows.clone(),
            cols: table.cols.clone(),
            cells: (0..n).map(|i| (0..m).map(|j| at(i, j)).collect()).collect(),
            row_totals: (0..n).map(|i| at(i, m)).collect(),
            col_totals: (0..m).map(|j| at(n, j)).collect(),
            total: at(n, m),
        }
    }
}

/// A figure shown on its own, in no table and no equation with others shown beside it (the
/// hotline-111 tips): hidden when it is a count from 1 to 4, for readers without exact access.
pub fn lone(value: i64, exact: bool) -> Shown {
    if exact || !(1..THRESHOLD).contains(&value) {
        Shown::Exact(value)
    } else {
        Shown::Suppressed
    }
}

/// Every cell exact: for readers with the sensitive capability, or figures at the compiling
/// level. Going through the same type keeps one rendering path for both.
pub fn exact<K: Clone + Ord + Debug>(tables: &[Table<K>]) -> Vec<Protected<K>> {
    tables
        .iter()
        .map(|t| {
            let grid = t.augmented();
            let hidden = vec![vec![false; t.cols.len() + 1]; t.rows.len() + 1];
            Protected::from_grid(t, &grid, &hidden)
        })
        .collect()
}

/// One table on its own.
pub fn suppress<K: Clone + Ord + Debug>(table: &Table<K>) -> Protected<K> {
    suppress_linked(std::slice::from_ref(table))
        .into_iter()
        .next()
        .unwrap_or_else(|| Protected {
            rows: Vec::new(),
            cols: Vec::new(),
            cells: Vec::new(),
            row_totals: Vec::new(),
            col_totals: Vec::new(),
            total: Shown::Suppressed,
        })
}

/// Tables shown together: a figure hidden in one is hidden in all, each table on its own has
/// no row or column with exactly one hidden cell, and the interval attacker ([`attack`]),
/// combining every row and column of every table, cannot narrow a hidden count of 1 to 4 to
/// fewer than [`MIN_RANGE`] + 1 values.
pub fn suppress_linked<K: Clone + Ord + Debug>(tables: &[Table<K>]) -> Vec<Protected<K>> {
    let grids: Vec<Vec<Vec<i64>>> = tables.iter().map(Table::augmented).collect();
    // Cells with the same key must be the same figure; the callers' wiring is checked here.
    debug_assert!(consistent(tables, &grids));
    let mut forced: BTreeSet<CellKey<K>> = BTreeSet::new();
    loop {
        let hidden = settle(tables, &grids, &mut forced);
        let before = forced.len();
        for key in widen(tables, &grids, &hidden) {
            forced.insert(key);
        }
        if forced.len() == before {
            return tables
                .iter()
                .zip(&grids)
                .zip(&hidden)
                .map(|((t, g), h)| Protected::from_grid(t, g, h))
                .collect();
        }
    }
}

/// Whether every key stands for one figure across the tables: two different values under one
/// key would make the attacker's equations contradict each other.
fn consistent<K: Clone + Ord + Debug>(tables: &[Table<K>], grids: &[Vec<Vec<i64>>]) -> bool {
    let mut seen: std::collections::BTreeMap<CellKey<K>, i64> = Default::default();
    for (t, g) in tables.iter().zip(grids) {
        for (i, row) in g.iter().enumerate() {
            for (j, v) in row.iter().enumerate() {
                if *seen.entry(t.key(i, j)).or_insert(*v) != *v {
                    return false;
                }
            }
        }
    }
    true
}

/// Hides what the line rule and the links between tables demand, starting from `forced` (which
/// grows with every key hidden anywhere), until the tables agree.
fn settle<K: Clone + Ord + Debug>(
    tables: &[Table<K>],
    grids: &[Vec<Vec<i64>>],
    forced: &mut BTreeSet<CellKey<K>>,
) -> Vec<Vec<Vec<bool>>> {
    loop {
        let hidden: Vec<Vec<Vec<bool>>> = tables
            .iter()
            .zip(grids)
            .map(|(t, g)| {
                let force: Vec<Vec<bool>> = (0..g.len())
                    .map(|i| {
                        (0..g.first().map_or(0, Vec::len))
                            .map(|j| forced.contains(&t.key(i, j)))
                            .collect()
                    })
                    .collect();
                suppress_grid(g, &force)
            })
            .collect();
        let mut now = forced.clone();
        for (t, h) in tables.iter().zip(&hidden) {
            for (i, row) in h.iter().enumerate() {
                for (j, hide) in row.iter().enumerate() {
                    if *hide {
                        now.insert(t.key(i, j));
                    }
                }
            }
        }
        if now.len() == forced.len() {
            return hidden;
        }
        *forced = now;
    }
}

/// The narrowest an attacker's range for a hidden count of 1 to 4 may be: its upper bound minus
/// its lower bound is at least this, so at least four values stay possible.
pub const MIN_RANGE: i64 = 3;

/// A published grid: a figure, or `None` where it is hidden.
pub type ShownGrid = Vec<Vec<Option<i64>>>;
/// Which figure (one id per key, shared across grids) each cell of a grid is.
pub type LinkGrid = Vec<Vec<usize>>;
/// What the attacker knows of each cell of a grid beforehand, if anything: its lowest and
/// highest possible value ([`attack_bounds`]).
pub type BoundGrid = Vec<Vec<Option<(i128, i128)>>>;
/// What the attacker knows of each cell of a grid: its lowest and highest possible value.
pub type RangeGrid = Vec<Vec<(i128, i128)>>;

/// An upper bound the attacker cannot improve on.
const UNBOUNDED: i128 = 1 << 100;
/// Bounds from here up count as unbounded: one derived from an unbounded total minus a few
/// figures is no real bound, and sums of many of them must not overflow.
const OPEN: i128 = 1 << 90;

fn is_open(h: i128) -> bool {
    h >= OPEN
}

/// What an interval attacker learns from published grids: for every cell of every grid, the
/// smallest and largest value consistent with every row and column equation of every grid,
/// the figures shown, and the rule that a hidden cell is never zero. Cells of different grids
/// with the same `link` id are the same figure. Bounds are tightened line by line until nothing
/// changes (a relaxation of the linear program: it never claims more than is implied).
pub fn attack(grids: &[ShownGrid], link: &[LinkGrid]) -> Vec<RangeGrid> {
    let known: Vec<BoundGrid> = grids
        .iter()
        .map(|g| {
            g.iter()
                .map(|row| {
                    row.iter()
                        .map(|v| v.map(|v| (i128::from(v), i128::from(v))))
                        .collect()
                })
                .collect()
        })
        .collect();
    attack_bounds(&known, link, (1, UNBOUNDED))
}

/// The attacker's bound for a figure it knows nothing about.
pub const NO_BOUND: i128 = UNBOUNDED;

/// As [`attack`], for figures published as intervals (loan amounts in bands): every cell of a
/// grid may carry what the attacker knows of it beforehand, `(low, high)` inclusive; a cell
/// with none starts at `unknown`. A figure with several bounds takes their intersection.
pub fn attack_bounds(
    bounds: &[BoundGrid],
    link: &[LinkGrid],
    unknown: (i128, i128),
) -> Vec<RangeGrid> {
    let vars = link
        .iter()
        .flatten()
        .flatten()
        .copied()
        .max()
        .map_or(0, |m| m + 1);
    let mut lo = vec![unknown.0; vars];
    let mut hi = vec![unknown.1; vars];
    let mut set = vec![false; vars];
    for (g, l) in bounds.iter().zip(link) {
        for (row, lrow) in g.iter().zip(l) {
            for (v, id) in row.iter().zip(lrow) {
                let Some((a, b)) = v else { continue };
                let first = set.get(*id).is_some_and(|s| !*s);
                if let Some(x) = lo.get_mut(*id) {
                    *x = if first { *a } else { (*x).max(*a) };
                }
                if let Some(x) = hi.get_mut(*id) {
                    *x = if first { *b } else { (*x).min(*b) };
                }
                if let Some(s) = set.get_mut(*id) {
                    *s = true;
                }
            }
        }
    }
    // Every line as (members, total), by variable.
    let mut lines: Vec<(Vec<usize>, usize)> = Vec::new();
    for l in link {
        let rows = l.len();
        let cols = l.first().map_or(0, Vec::len);
        if rows < 2 || cols < 2 {
            continue;
        }
        for row in l {
            let members: Vec<usize> = row.iter().take(cols - 1).copied().collect();
            if let Some(total) = row.last() {
                lines.push((members, *total));
            }
        }
        for j in 0..cols {
            let members: Vec<usize> = l
                .iter()
                .take(rows - 1)
                .filter_map(|r| r.get(j).copied())
                .collect();
            if let Some(total) = l.last().and_then(|r| r.get(j)) {
                lines.push((members, *total));
            }
        }
    }
    let get = |v: &[i128], i: usize| v.get(i).copied().unwrap_or(0);
    // A line whose total is also one of its members (a one-column table's row) says nothing.
    lines.retain(|(members, total)| !members.contains(total));
    for _ in 0..1000 {
        let mut changed = false;
        for (members, total) in &lines {
            let sum = |v: &[i128]| -> i128 {
                members
                    .iter()
                    .map(|m| get(v, *m))
                    .fold(0i128, |a, b| a.saturating_add(b))
                    .min(UNBOUNDED)
            };
            // The sums are read once per line; a member's bounds tightened earlier in the line
            // only make the others' derived bounds looser, never wrong.
            let (all_lo, all_hi) = (sum(&lo), sum(&hi));
            // The upper bounds that are still unbounded, and the sum of the others.
            let open = members.iter().filter(|m| is_open(get(&hi, **m))).count();
            let finite_hi: i128 = members
                .iter()
                .map(|m| get(&hi, *m))
                .filter(|h| !is_open(*h))
                .fold(0i128, i128::saturating_add);
            changed |= tighten(&mut lo, &mut hi, *total, all_lo, all_hi);
            let (t_lo, t_hi) = (get(&lo, *total), get(&hi, *total));
            for m in members {
                let others_lo = all_lo.saturating_sub(get(&lo, *m));
                let own_hi = get(&hi, *m);
                let others_hi = match (open, is_open(own_hi)) {
                    (0, _) if finite_hi < OPEN => finite_hi.saturating_sub(own_hi),
                    (1, true) if finite_hi < OPEN => finite_hi,
                    _ => UNBOUNDED,
                };
                let upper = if is_open(t_hi) {
                    UNBOUNDED
                } else {
                    t_hi.saturating_sub(others_lo)
                };
                let lower = if is_open(others_hi) {
                    0
                } else {
                    t_lo.saturating_sub(others_hi)
                };
                changed |= tighten(&mut lo, &mut hi, *m, lower, upper);
            }
        }
        if !changed {
            break;
        }
    }
    link.iter()
        .map(|l| {
            l.iter()
                .map(|row| {
                    row.iter()
                        .map(|id| (get(&lo, *id), get(&hi, *id)))
                        .collect()
                })
                .collect()
        })
        .collect()
}

/// Raises a lower bound and lowers an upper one where the new ones are tighter; whether any did.
fn tighten(lo: &mut [i128], hi: &mut [i128], id: usize, new_lo: i128, new_hi: i128) -> bool {
    let mut changed = false;
    if let Some(x) = lo.get_mut(id)
        && new_lo > *x
    {
        *x = new_lo;
        changed = true;
    }
    if let Some(x) = hi.get_mut(id)
        && new_hi < *x
    {
        *x = new_hi;
        changed = true;
    }
    changed
}

/// Whether a hidden count is protected from an attacker who narrowed it to `range`.
pub fn protected(value: i64, range: (i128, i128)) -> bool {
    !(1..THRESHOLD).contains(&value) || range.1 - range.0 >= i128::from(MIN_RANGE)
}

/// The grids as a reader gets them and the link between their cells (one id per figure).
fn published<K: Clone + Ord + Debug>(
    tables: &[Table<K>],
    grids: &[Vec<Vec<i64>>],
    hidden: &[Vec<Vec<bool>>],
) -> (Vec<ShownGrid>, Vec<LinkGrid>) {
    let mut ids: std::collections::BTreeMap<CellKey<K>, usize> = Default::default();
    let mut link = Vec::new();
    let mut shown = Vec::new();
    for ((t, g), h) in tables.iter().zip(grids).zip(hidden) {
        let mut l = Vec::new();
        let mut s = Vec::new();
        for (i, row) in g.iter().enumerate() {
            let mut lrow = Vec::new();
            let mut srow = Vec::new();
            for (j, v) in row.iter().enumerate() {
                let next = ids.len();
                lrow.push(*ids.entry(t.key(i, j)).or_insert(next));
                let hide = h.get(i).and_then(|r| r.get(j)).copied().unwrap_or(true);
                srow.push((!hide).then_some(*v));
            }
            l.push(lrow);
            s.push(srow);
        }
        link.push(l);
        shown.push(s);
    }
    (shown, link)
}

/// The keys to hide next because the attacker narrows some hidden small count too far: for each
/// such cell, the smallest visible non-zero figure of its row, else of its column, else its
/// row or column total.
fn widen<K: Clone + Ord + Debug>(
    tables: &[Table<K>],
    grids: &[Vec<Vec<i64>>],
    hidden: &[Vec<Vec<bool>>],
) -> Vec<CellKey<K>> {
    let (shown, link) = published(tables, grids, hidden);
    let ranges = attack(&shown, &link);
    let mut out = Vec::new();
    for (((t, g), s), r) in tables.iter().zip(grids).zip(&shown).zip(&ranges) {
        let rows = g.len();
        let cols = g.first().map_or(0, Vec::len);
        let visible = |i: usize, j: usize| {
            s.get(i)
                .and_then(|row| row.get(j))
                .copied()
                .flatten()
                .filter(|v| *v > 0)
        };
        for (i, row) in g.iter().enumerate() {
            for (j, v) in row.iter().enumerate() {
                let range = r.get(i).and_then(|x| x.get(j)).copied().unwrap_or((0, 0));
                if visible(i, j).is_some() || *v == 0 || protected(*v, range) {
                    continue;
                }
                let in_row = (0..cols.saturating_sub(1)).map(|c| (i, c));
                let in_col = (0..rows.saturating_sub(1)).map(|x| (x, j));
                let smallest = |cells: Vec<(usize, usize)>| {
                    cells
                        .into_iter()
                        .filter_map(|(a, b)| visible(a, b).map(|v| (v, a, b)))
                        .min()
                };
                let pick = smallest(in_row.collect())
                    .or_else(|| smallest(in_col.collect()))
                    .or_else(|| smallest(vec![(i, cols - 1), (rows - 1, j)]))
                    .or_else(|| {
                        smallest(
                            (0..rows)
                                .flat_map(|a| (0..cols).map(move |b| (a, b)))
                                .collect(),
                        )
                    });
                if let Some((_, a, b)) = pick {
                    out.push(t.key(a, b));
                }
            }
        }
    }
    out
}

/// The rule on one augmented grid (totals in the last row and column), by position: which
/// cells to hide, given those that must be hidden already.
pub fn suppress_grid(grid: &[Vec<i64>], forced: &[Vec<bool>]) -> Vec<Vec<bool>> {
    let rows = grid.len();
    let cols = grid.first().map_or(0, Vec::len);
    let value = |i: usize, j: usize| grid.get(i).and_then(|r| r.get(j)).copied().unwrap_or(0);
    let mut hidden: Vec<Vec<bool>> = (0..rows)
        .map(|i| {
            (0..cols)
                .map(|j| {
                    let v = value(i, j);
                    let must = forced
                        .get(i)
                        .and_then(|r| r.get(j))
                        .copied()
                        .unwrap_or(false);
                    (must && v != 0) || (1..THRESHOLD).contains(&v)
                })
                .collect()
        })
        .collect();
    let lines: Vec<Vec<(usize, usize)>> = (0..rows)
        .map(|i| (0..cols).map(|j| (i, j)).collect())
        .chain((0..cols).map(|j| (0..rows).map(|i| (i, j)).collect()))
        .collect();
    loop {
        let mut changed = false;
        for line in &lines {
            let is_hidden = |(i, j): (usize, usize), h: &Vec<Vec<bool>>| {
                h.get(i).and_then(|r| r.get(j)).copied().unwrap_or(false)
            };
            if line.iter().filter(|p| is_hidden(**p, &hidden)).count() != 1 {
                continue;
            }
            // The smallest visible non-zero cell of the line; ties go to the first, so the
            // result never depends on anything but the figures.
            let pick = line
                .iter()
                .filter(|p| !is_hidden(**p, &hidden) && value(p.0, p.1) > 0)
                .min_by_key(|p| value(p.0, p.1));
            if let Some(&(i, j)) = pick
                && let Some(cell) = hidden.get_mut(i).and_then(|r| r.get_mut(j))
            {
                *cell = true;
                changed = true;
            }
        }
        if !changed {
            return hidden;
        }
    }
}

#[cfg(test)]
#[path = "suppress_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "suppress_props.rs"]
mod props;
