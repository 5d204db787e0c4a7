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
//! Limits (see the module docs of `support_stats`): the rule stops subtraction along a row or
//! column; it does not claim to defeat a reader who solves the whole system of equations with
//! non-negativity, nor differencing between two separate views (two overlapping periods).

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

    /// The figure as text: `1.234`, or `<5` when hidden.
    pub fn display(self) -> String {
        match self {
            Shown::Exact(n) => crate::web::format::number(n),
            Shown::Suppressed => SUPPRESSED_MARK.to_owned(),
        }
    }
}

/// How a hidden cell reads on screen, in the API and in exports.
pub const SUPPRESSED_MARK: &str = "<5";

/// A number, or the string `"<5"`: the same in the API, the page context and the exports.
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
        }
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
        let mut dims = Vec::new();
        if let Some(r) = self.rows.get(i) {
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

/// Tables shown together: a figure hidden in one is hidden in all, and each table on its own
/// has no row or column with exactly one hidden cell.
pub fn suppress_linked<K: Clone + Ord + Debug>(tables: &[Table<K>]) -> Vec<Protected<K>> {
    let grids: Vec<Vec<Vec<i64>>> = tables.iter().map(Table::augmented).collect();
    let mut forced: BTreeSet<CellKey<K>> = BTreeSet::new();
    loop {
        let hidden: Vec<Vec<Vec<bool>>> = tables
            .iter()
            .zip(&grids)
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
            return tables
                .iter()
                .zip(&grids)
                .zip(&hidden)
                .map(|((t, g), h)| Protected::from_grid(t, g, h))
                .collect();
        }
        forced = now;
    }
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
