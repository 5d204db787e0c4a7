//! Property tests of the suppression rule (proptest, shrinking to the smallest failing table):
//! arbitrary tables of zeros, small counts and large figures, one row or one column among them;
//! linked tables cut from one cube of persons; and what a reader is handed of a protected
//! table (`Shown::display` and the serialiser) never carrying a hidden figure.

use super::tests::{assert_safe, shown_grid, table};
use super::*;
use proptest::prelude::*;
use std::collections::BTreeMap;

/// A count as the months bring them: mostly zeros and small counts, some at the threshold, a
/// few very large (a figure summed over a province and years).
fn count() -> impl Strategy<Value = i64> + Clone {
    prop_oneof![
        3 => Just(0),
        4 => 1..THRESHOLD,
        2 => THRESHOLD..30,
        1 => 30i64..1_000_000_000_000,
    ]
}

/// 1–6 rows of 1–6 columns: 1×1, 1×N and N×1 tables included.
fn values_of<S: Strategy<Value = i64> + Clone>(cell: S) -> impl Strategy<Value = Vec<Vec<i64>>> {
    (1usize..=6, 1usize..=6).prop_flat_map(move |(rows, cols)| {
        prop::collection::vec(prop::collection::vec(cell.clone(), cols), rows)
    })
}

fn values() -> impl Strategy<Value = Vec<Vec<i64>>> {
    values_of(count())
}

fn table_of(values: &[Vec<i64>]) -> Table<i64> {
    let refs: Vec<&[i64]> = values.iter().map(Vec::as_slice).collect();
    table(&refs)
}

/// What a reader gets of every cell: the text and the serialised value agree with the rule,
/// and a hidden cell reads the same whatever its figure.
fn assert_rendered(t: &Table<i64>, p: &Protected<i64>) {
    let truth = t.augmented();
    let shown = shown_grid(p);
    for (i, row) in shown.iter().enumerate() {
        for (j, s) in row.iter().enumerate() {
            let v = truth[i][j];
            match s {
                Shown::Suppressed => assert_eq!(s.display(), SUPPRESSED_MARK),
                Shown::Exact(_) => assert_eq!(s.display(), crate::web::format::number(v)),
            }
        }
    }
    // The serialised table, position by position: "x" exactly where a cell is hidden.
    let json = serde_json::to_value(p).unwrap();
    let expect = |s: Shown, v: i64| match s {
        Shown::Suppressed => serde_json::json!(SUPPRESSED_MARK),
        Shown::Exact(_) => serde_json::json!(v),
    };
    let (n, m) = (t.rows.len(), t.cols.len());
    for i in 0..n {
        for j in 0..m {
            assert_eq!(json["cells"][i][j], expect(shown[i][j], truth[i][j]));
        }
        assert_eq!(json["row_totals"][i], expect(shown[i][m], truth[i][m]));
    }
    for j in 0..m {
        assert_eq!(json["col_totals"][j], expect(shown[n][j], truth[n][j]));
    }
    assert_eq!(json["total"], expect(shown[n][m], truth[n][m]));
}

proptest! {
    /// Every count of 1–4 hidden (margins included), every shown figure the true one, no zero
    /// hidden, no row or column with a lone hidden cell; the same figures hide the same cells.
    #[test]
    fn any_table_is_protected_and_reads_back_the_same(values in values()) {
        let t = table_of(&values);
        let p = suppress(&t);
        assert_safe(&t, &p);
        let truth = t.augmented();
        for (row, shown) in truth.iter().zip(shown_grid(&p)) {
            for (v, s) in row.iter().zip(shown) {
                prop_assert!(!(1..THRESHOLD).contains(v) || s.is_suppressed());
            }
        }
        prop_assert_eq!(shown_grid(&p), shown_grid(&suppress(&t)));
        assert_rendered(&t, &p);
    }

    /// Nothing is hidden in a table of zeros and counts of 5 or more (its margins then have no
    /// small count either): the complementary rule only ever answers a hidden cell.
    #[test]
    fn a_table_without_small_counts_is_shown_whole(
        values in values_of(prop_oneof![Just(0i64), THRESHOLD..1_000_000])
    ) {
        let t = table_of(&values);
        let hidden = shown_grid(&suppress(&t)).iter().flatten().filter(|s| s.is_suppressed()).count();
        prop_assert_eq!(hidden, 0);
    }

    /// The rule on a grid is a fixed point: feeding its answer back as forced cells changes
    /// nothing (forced zeros stay shown, and no line is left with one hidden cell).
    #[test]
    fn the_grid_rule_is_a_fixed_point(values in values()) {
        let grid = table_of(&values).augmented();
        let none = vec![vec![false; grid[0].len()]; grid.len()];
        let hidden = suppress_grid(&grid, &none);
        prop_assert_eq!(suppress_grid(&grid, &hidden), hidden.clone());
        // Forcing every cell hides exactly the non-zero ones.
        let all = vec![vec![true; grid[0].len()]; grid.len()];
        let forced = suppress_grid(&grid, &all);
        for (row, h) in grid.iter().zip(forced) {
            for (v, h) in row.iter().zip(h) {
                prop_assert_eq!(h, *v != 0);
            }
        }
    }

    /// A list with its total (one column, no column dimension), as the support tables are.
    #[test]
    fn a_list_is_protected(counts in prop::collection::vec(count(), 1..10)) {
        let rows: Vec<i64> = (0..counts.len() as i64).collect();
        let mut t = Table::column("support:2024", "type", rows.clone(), 0);
        for (r, n) in rows.iter().zip(&counts) {
            t.add(r, &0, *n);
        }
        let p = suppress(&t);
        assert_safe(&t, &p);
        assert_rendered(&t, &p);
        // The only column's total is the grand total: both read the same.
        prop_assert_eq!(p.col_totals[0], p.total);
    }
}

/// The tables of one view, all cut from one cube of persons (age × unit × sex).
#[derive(Clone, Copy, Debug)]
enum Cut {
    AgeBySex,
    UnitBySex,
    AgeByUnit,
    Ages,
    Units,
    Sexes,
}

const CUTS: [Cut; 6] = [
    Cut::AgeBySex,
    Cut::UnitBySex,
    Cut::AgeByUnit,
    Cut::Ages,
    Cut::Units,
    Cut::Sexes,
];

/// persons[age][unit][sex]
type Cube = Vec<Vec<Vec<i64>>>;

fn cube() -> impl Strategy<Value = Cube> {
    (1usize..=3, 1usize..=3, 1usize..=2).prop_flat_map(|(ages, units, sexes)| {
        // Sparse, as real months are: most crossings empty.
        let cell = prop_oneof![3 => Just(0i64), 2 => count()];
        prop::collection::vec(
            prop::collection::vec(prop::collection::vec(cell, sexes), units),
            ages,
        )
    })
}

fn cut(measure: &str, c: &Cube, how: Cut) -> Table<i64> {
    let ages: Vec<i64> = (0..c.len() as i64).collect();
    let units: Vec<i64> = (100..100 + c[0].len() as i64).collect();
    let sexes: Vec<i64> = (10..10 + c[0][0].len() as i64).collect();
    let mut t = match how {
        Cut::AgeBySex => Table::new(measure, "age", ages.clone(), "sex", sexes.clone()),
        Cut::UnitBySex => Table::new(measure, "unit", units.clone(), "sex", sexes.clone()),
        Cut::AgeByUnit => Table::new(measure, "age", ages.clone(), "unit", units.clone()),
        Cut::Ages => Table::column(measure, "age", ages.clone(), 0),
        Cut::Units => Table::column(measure, "unit", units.clone(), 0),
        Cut::Sexes => Table::column(measure, "sex", sexes.clone(), 0),
    };
    for (a, by_unit) in ages.iter().zip(c) {
        for (u, by_sex) in units.iter().zip(by_unit) {
            for (s, n) in sexes.iter().zip(by_sex) {
                let (row, col) = match how {
                    Cut::AgeBySex => (a, s),
                    Cut::UnitBySex => (u, s),
                    Cut::AgeByUnit => (a, u),
                    Cut::Ages => (a, &0),
                    Cut::Units => (u, &0),
                    Cut::Sexes => (s, &0),
                };
                t.add(row, col, *n);
            }
        }
    }
    t
}

/// Some of the cuts, in any order.
fn cuts() -> impl Strategy<Value = Vec<Cut>> {
    Just(CUTS.to_vec())
        .prop_shuffle()
        .prop_flat_map(|all| (1..=all.len()).prop_map(move |k| all[..k].to_vec()))
}

proptest! {
    /// Linked tables: each is safe on its own, and a figure (a key: measure and dimension
    /// values) reads the same in every table showing it, hidden in all if hidden in one.
    #[test]
    fn linked_tables_agree_on_every_shared_figure(c in cube(), how in cuts()) {
        let tables: Vec<Table<i64>> = how.iter().map(|h| cut("received", &c, *h)).collect();
        let protected = suppress_linked(&tables);
        prop_assert_eq!(protected.len(), tables.len());
        let mut seen: BTreeMap<CellKey<i64>, (i64, Shown)> = BTreeMap::new();
        for (t, p) in tables.iter().zip(&protected) {
            assert_safe(t, p);
            assert_rendered(t, p);
            let truth = t.augmented();
            for (i, row) in shown_grid(p).into_iter().enumerate() {
                for (j, s) in row.into_iter().enumerate() {
                    let v = truth[i][j];
                    let first = *seen.entry(t.key(i, j)).or_insert((v, s));
                    prop_assert_eq!(first.0, v, "the cube gives one figure per key");
                    prop_assert_eq!(first.1, s, "key {:?} in {:?}", t.key(i, j), how);
                }
            }
        }
        // Deterministic.
        let again: Vec<_> = suppress_linked(&tables).iter().map(shown_grid).collect();
        let first: Vec<_> = protected.iter().map(shown_grid).collect();
        prop_assert_eq!(again, first);
    }

    /// Cells of different measures never link: tables of another measure, added to the view,
    /// change nothing in the first ones and are protected as they would be alone.
    #[test]
    fn another_measure_does_not_link(c in cube(), other in cube(), how in cuts()) {
        let received: Vec<Table<i64>> = how.iter().map(|h| cut("received", &c, *h)).collect();
        let support: Vec<Table<i64>> = how.iter().map(|h| cut("support:2011", &other, *h)).collect();
        let together = suppress_linked(&[received.clone(), support.clone()].concat());
        let grids = |ps: &[Protected<i64>]| ps.iter().map(shown_grid).collect::<Vec<_>>();
        prop_assert_eq!(grids(&together[..received.len()]), grids(&suppress_linked(&received)));
        prop_assert_eq!(grids(&together[received.len()..]), grids(&suppress_linked(&support)));
    }
}

/// What the interval attacker learns from a view: the published tables, linked by key.
fn attacked(tables: &[Table<i64>], protected: &[Protected<i64>]) -> Vec<RangeGrid> {
    let mut ids: BTreeMap<CellKey<i64>, usize> = BTreeMap::new();
    let mut link = Vec::new();
    let mut shown = Vec::new();
    for (t, p) in tables.iter().zip(protected) {
        let grid = shown_grid(p);
        link.push(
            (0..grid.len())
                .map(|i| {
                    (0..grid[i].len())
                        .map(|j| {
                            let next = ids.len();
                            *ids.entry(t.key(i, j)).or_insert(next)
                        })
                        .collect()
                })
                .collect::<Vec<Vec<usize>>>(),
        );
        shown.push(
            grid.iter()
                .map(|row| {
                    row.iter()
                        .map(|s| match s {
                            Shown::Exact(n) => Some(*n),
                            Shown::Suppressed => None,
                        })
                        .collect()
                })
                .collect::<Vec<Vec<Option<i64>>>>(),
        );
    }
    attack(&shown, &link)
}

/// Every hidden count of 1 to 4 keeps at least `MIN_RANGE + 1` possible values, and its true
/// value among them (the attacker never claims what is false).
fn assert_unrecovered(tables: &[Table<i64>], protected: &[Protected<i64>]) {
    let ranges = attacked(tables, protected);
    for ((t, p), r) in tables.iter().zip(protected).zip(&ranges) {
        let truth = t.augmented();
        for (i, row) in shown_grid(p).iter().enumerate() {
            for (j, s) in row.iter().enumerate() {
                let v = truth[i][j];
                let (lo, hi) = r[i][j];
                assert!(
                    lo <= i128::from(v) && i128::from(v) <= hi,
                    "the attacker's range ({lo}, {hi}) misses {v} at ({i},{j}) of {truth:?}"
                );
                if s.is_suppressed() {
                    assert!(
                        protected_range(v, (lo, hi)),
                        "{v} at ({i},{j}) narrowed to ({lo}, {hi}) in {truth:?} → {:?}",
                        shown_grid(p)
                    );
                }
            }
        }
    }
}

fn protected_range(v: i64, range: (i128, i128)) -> bool {
    super::protected(v, range)
}

#[test]
fn the_issue_s_single_view_attacks_fail() {
    // A column total of 12 with 10 visible and two hidden cells of 1: each was recovered.
    let t = table(&[&[10, 9], &[1, 7], &[1, 6]]);
    let p = suppress(&t);
    assert_unrecovered(std::slice::from_ref(&t), std::slice::from_ref(&p));
    // A commune's age × sex table with one small pair.
    let t = table(&[&[0, 2], &[6, 1], &[8, 9]]);
    let p = suppress(&t);
    assert_unrecovered(std::slice::from_ref(&t), std::slice::from_ref(&p));
}

proptest! {
    /// Small worlds (ages × units × sexes of a few counts), every cut of them shown together
    /// as one view: the attacker who combines every row, column and shared margin, knowing that
    /// hidden cells are never zero, recovers no hidden small count and narrows none below its
    /// protection range.
    #[test]
    fn the_interval_attacker_learns_no_small_count(c in cube(), how in cuts()) {
        let tables: Vec<Table<i64>> = how.iter().map(|h| cut("received", &c, *h)).collect();
        let protected = suppress_linked(&tables);
        assert_unrecovered(&tables, &protected);
    }

    /// The same on single tables of any shape.
    #[test]
    fn the_interval_attacker_learns_nothing_from_one_table(values in values()) {
        let t = table_of(&values);
        let p = suppress(&t);
        assert_unrecovered(std::slice::from_ref(&t), std::slice::from_ref(&p));
    }
}
