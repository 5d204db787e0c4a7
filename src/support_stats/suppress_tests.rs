//! Tests of the suppression rule: worked examples, the subtraction attack, linked tables, and a
//! property check over thousands of generated tables.

use super::*;

pub(super) fn table(values: &[&[i64]]) -> Table<i64> {
    let rows: Vec<i64> = (0..values.len() as i64).collect();
    let cols: Vec<i64> = (0..values.first().map_or(0, |r| r.len()) as i64).collect();
    let mut t = Table::new("received", "row", rows, "col", cols);
    for (i, r) in values.iter().enumerate() {
        for (j, v) in r.iter().enumerate() {
            t.add(&(i as i64), &(j as i64), *v);
        }
    }
    t
}

/// The augmented grid of a protected table: cells with row totals, then the total row.
pub(super) fn shown_grid(p: &Protected<i64>) -> Vec<Vec<Shown>> {
    let mut g: Vec<Vec<Shown>> = p
        .cells
        .iter()
        .zip(&p.row_totals)
        .map(|(r, t)| r.iter().copied().chain([*t]).collect())
        .collect();
    g.push(p.col_totals.iter().copied().chain([p.total]).collect());
    g
}

fn true_grid(t: &Table<i64>) -> Vec<Vec<i64>> {
    t.augmented()
}

/// Every rule a protected table must satisfy, with a message naming the failing line.
pub(super) fn assert_safe(t: &Table<i64>, p: &Protected<i64>) {
    let shown = shown_grid(p);
    let truth = true_grid(t);
    for (i, row) in shown.iter().enumerate() {
        for (j, s) in row.iter().enumerate() {
            let v = truth[i][j];
            match s {
                Shown::Exact(n) => {
                    assert_eq!(*n, v, "a shown figure is the true one at ({i},{j})");
                    assert!(
                        !(1..THRESHOLD).contains(n),
                        "{n} shown at ({i},{j}) in {truth:?}"
                    );
                }
                Shown::Suppressed => {
                    assert_ne!(v, 0, "a zero was hidden at ({i},{j}) in {truth:?}")
                }
            }
        }
    }
    let rows = shown.len();
    let cols = shown[0].len();
    for i in 0..rows {
        let hidden = (0..cols).filter(|&j| shown[i][j].is_suppressed()).count();
        assert_ne!(
            hidden, 1,
            "row {i} has one hidden cell: {truth:?} → {shown:?}"
        );
    }
    for j in 0..cols {
        let hidden = (0..rows).filter(|&i| shown[i][j].is_suppressed()).count();
        assert_ne!(
            hidden, 1,
            "column {j} has one hidden cell: {truth:?} → {shown:?}"
        );
    }
}

#[test]
fn small_counts_are_hidden_and_zero_stays_zero() {
    let t = table(&[&[0, 3], &[10, 20]]);
    let p = suppress(&t);
    assert_eq!(p.cells[0][0], Shown::Exact(0));
    assert_eq!(p.cells[0][1], Shown::Suppressed);
    assert_safe(&t, &p);
    // A table without small counts is shown whole.
    let t = table(&[&[0, 7], &[10, 20]]);
    let p = suppress(&t);
    assert!(shown_grid(&p).iter().flatten().all(|s| !s.is_suppressed()));
}

#[test]
fn a_total_minus_the_visible_cells_does_not_give_a_hidden_one_away() {
    // The naive rule hides the 2 and shows 40, 50 and the total 92: 92 − 40 − 50 = 2.
    let t = table(&[&[2, 40, 50], &[0, 30, 60]]);
    let p = suppress(&t);
    assert_eq!(p.cells[0][0], Shown::Suppressed);
    assert_eq!(
        p.cells[0][1],
        Shown::Suppressed,
        "the next smallest in the row"
    );
    assert_safe(&t, &p);
    // And the column of the 2: its total is 2 itself, hidden as a small count.
    assert_eq!(p.col_totals[0], Shown::Suppressed);
}

#[test]
fn a_one_column_list_hides_a_complement_too() {
    let mut t = Table::column("support", "type", vec![1, 2, 3], 0);
    t.add(&1, &0, 3);
    t.add(&3, &0, 12);
    let p = suppress(&t);
    assert_eq!(p.cells[0][0], Shown::Suppressed);
    assert_eq!(p.cells[1][0], Shown::Exact(0));
    assert_eq!(
        p.cells[2][0],
        Shown::Suppressed,
        "12 hidden: 15 − 0 − 12 would be 3"
    );
    assert_eq!(p.total, Shown::Exact(15));
    assert_safe(&t, &p);
}

#[test]
fn exact_shows_everything() {
    let t = table(&[&[1, 2], &[3, 0]]);
    let p = &exact(std::slice::from_ref(&t))[0];
    assert_eq!(p.cells[0][0], Shown::Exact(1));
    assert_eq!(p.total, Shown::Exact(6));
    assert_eq!(p.row_totals[1], Shown::Exact(3));
}

#[test]
fn shown_serialises_as_a_number_or_the_mark() {
    let v = serde_json::to_value([Shown::Exact(1250), Shown::Suppressed]).unwrap();
    assert_eq!(v, serde_json::json!([1250, "x"]));
    assert_eq!(Shown::Exact(1250).display(), "1.250");
}

/// Two tables sharing their column totals (the sexes): a total hidden in one is hidden in the
/// other, or the second would undo the first's protection.
#[test]
fn linked_tables_hide_a_shared_figure_everywhere() {
    // sex × age: a 2 among the men aged 30–49 hides complements up to the sex totals.
    let mut by_age = Table::new("received", "age", vec![1, 2], "sex", vec![10, 20]);
    by_age.add(&1, &10, 19);
    by_age.add(&2, &10, 2);
    by_age.add(&2, &20, 9);
    // unit × sex over the same persons: nothing small in it on its own.
    let mut by_unit = Table::new("received", "unit", vec![100, 200], "sex", vec![10, 20]);
    by_unit.add(&200, &10, 21);
    by_unit.add(&100, &20, 9);
    let alone = suppress(&by_unit);
    assert!(!alone.col_totals.iter().any(|s| s.is_suppressed()));
    let linked = suppress_linked(&[by_age.clone(), by_unit.clone()]);
    for j in 0..2 {
        assert_eq!(
            linked[0].col_totals[j], linked[1].col_totals[j],
            "sex total {j} reads the same in both tables"
        );
    }
    assert_eq!(linked[0].total, linked[1].total);
    assert!(linked[1].col_totals.iter().any(|s| s.is_suppressed()));
    assert_safe(&by_age, &linked[0]);
    assert_safe(&by_unit, &linked[1]);
}

/// A small deterministic generator (a 64-bit LCG), so the property check needs no crate and
/// fails the same way every time.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Mostly zeros and small counts, as in a commune's month, with some large figures.
    fn count(&mut self) -> i64 {
        match self.below(10) {
            0..=3 => 0,
            4..=6 => 1 + self.below(4) as i64,
            7 | 8 => 5 + self.below(20) as i64,
            _ => 25 + self.below(200) as i64,
        }
    }

    fn table(&mut self) -> Table<i64> {
        let rows = 1 + self.below(6) as usize;
        let cols = 1 + self.below(6) as usize;
        let values: Vec<Vec<i64>> = (0..rows)
            .map(|_| (0..cols).map(|_| self.count()).collect())
            .collect();
        let refs: Vec<&[i64]> = values.iter().map(Vec::as_slice).collect();
        table(&refs)
    }
}

#[test]
fn no_generated_table_shows_a_small_count_or_a_lone_hidden_cell() {
    let mut g = Lcg(20_240_630);
    for _ in 0..5000 {
        let t = g.table();
        let p = suppress(&t);
        assert_safe(&t, &p);
        // Deterministic: the same figures always hide the same cells.
        assert_eq!(shown_grid(&p), shown_grid(&suppress(&t)));
    }
}

#[test]
fn generated_linked_tables_agree_and_stay_safe() {
    let mut g = Lcg(7);
    for _ in 0..1000 {
        // Two tables over the same column dimension, rows of different dimensions, whose
        // column totals and grand total describe the same figures: built from one cube.
        let a_rows = 1 + g.below(4) as i64;
        let b_rows = 1 + g.below(4) as i64;
        let cols = 1 + g.below(4) as i64;
        let mut a = Table::new(
            "received",
            "age",
            (0..a_rows).collect(),
            "sex",
            (0..cols).collect(),
        );
        let mut b = Table::new(
            "received",
            "unit",
            (0..b_rows).collect(),
            "sex",
            (0..cols).collect(),
        );
        for s in 0..cols {
            for age in 0..a_rows {
                for unit in 0..b_rows {
                    let n = if g.below(3) == 0 { g.count() } else { 0 };
                    a.add(&age, &s, n);
                    b.add(&unit, &s, n);
                }
            }
        }
        let p = suppress_linked(&[a.clone(), b.clone()]);
        assert_safe(&a, &p[0]);
        assert_safe(&b, &p[1]);
        assert_eq!(p[0].col_totals, p[1].col_totals);
        assert_eq!(p[0].total, p[1].total);
    }
}
