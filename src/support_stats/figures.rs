//! The figures of a selection (see `data`) as the tables every reader sees: the page, the JSON
//! API and the exports are all built from one [`Report`], so they cannot disagree, and all go
//! through [`suppress`] before anyone without the sensitive capability sees them.

use crate::auth::{Capability, CurrentUser};
use crate::entities::{code, org_unit};
use crate::support_stats::data::{Data, Selection};
use crate::support_stats::lattice::{self, Period};
use crate::support_stats::period::YearMonth;
use crate::support_stats::suppress::{self, Protected, Shown, Table};
use crate::support_stats::tables::{
    Lists, Slot, Spec, by_unit_spec, received_specs, row_unit, single, support_specs,
};
use crate::support_stats::views_model::{TableView, Tr};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Hotline-111 tips: counts of calls, but a call about one victim can identify them, so a small
/// count is hidden like any other (`suppress::lone`).
#[derive(Clone, Debug, Serialize)]
pub struct Hotline {
    pub received: Shown,
    pub handled: Shown,
    pub referred: Shown,
}

#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub received: Shown,
    pub carried_over: Shown,
    pub loans_count: Shown,
    /// The exact total, for readers with exact access only (null for everyone else).
    pub loans_amount: Option<i64>,
    /// For readers without exact access: the band `[low, high)` of `lattice::AMOUNT_BAND` đồng
    /// holding the total, and only when the count is shown (one loan's amount is that
    /// person's loan).
    pub loans_amount_band: Option<[i64; 2]>,
    pub hotline: Hotline,
}

/// A group of persons received, every dimension crossed: only for the compiling office.
#[derive(Clone, Debug, Serialize)]
pub struct DetailLine {
    pub sex: String,
    pub age_band: String,
    pub purpose: String,
    pub manner: String,
    pub trafficked_to: String,
    pub persons: i64,
}

/// Everything one view of a selection shows.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub unit_id: i64,
    pub unit_name: String,
    pub from: YearMonth,
    pub to: YearMonth,
    /// Whether small counts are shown (the compiling office) or hidden.
    pub exact: bool,
    /// The period asked for, when it was not on the publication lattice and `from`–`to` is the
    /// lattice period holding it (readers without exact access; `lattice`).
    pub requested: Option<[YearMonth; 2]>,
    /// Months with figures from at least one unit.
    pub months_with_figures: usize,
    pub summary: Summary,
    /// Persons received, two dimensions at a time.
    pub received: Vec<TableView>,
    /// Persons supported, one table per legal basis.
    pub support: Vec<TableView>,
    /// Whether the period spans two laws (the support tables must not be read as one list).
    pub laws_split: bool,
    pub referrals: TableView,
    /// Persons received by unit below the selected one, when there are any.
    pub by_unit: Option<TableView>,
    pub detail: Option<Vec<DetailLine>>,
}

/// What a view of a selection is built from: its tables to protect, and the totals beside them.
struct Built {
    specs: Vec<Spec>,
    loans_amount: i64,
}

fn build(data: &Data, sel: &Selection, tr: &Tr) -> Built {
    let lists = Lists::of(data);
    let mut hotline = (0i64, 0i64, 0i64);
    let (mut carried, mut loans, mut loans_amount) = (0i64, 0i64, 0i64);
    for m in &data.months {
        // Carried over into the period: each unit's figure for the first month (later months'
        // carried-over persons were received or carried over within the period already).
        if m.year_month == sel.from.key() {
            carried = carried.saturating_add(m.carried_over);
        }
        loans = loans.saturating_add(m.loans_count);
        loans_amount = loans_amount.saturating_add(m.loans_amount);
        hotline.0 = hotline.0.saturating_add(m.hotline_received);
        hotline.1 = hotline.1.saturating_add(m.hotline_handled);
        hotline.2 = hotline.2.saturating_add(m.hotline_referred);
    }
    let mut specs = received_specs(data, &lists, tr);
    specs.extend(support_specs(data, sel, &lists, tr));
    specs.push(single(Slot::Carried, "carried", carried));
    specs.push(single(Slot::Loans, "loans", loans));
    specs.push(single(Slot::Hotline, "hotline_received", hotline.0));
    specs.push(single(Slot::Hotline, "hotline_handled", hotline.1));
    specs.push(single(Slot::Hotline, "hotline_referred", hotline.2));
    specs.extend(by_unit_spec(data, sel, &lists, tr));
    specs.extend(lattice_specs(data, sel));
    Built {
        specs,
        loans_amount,
    }
}

/// Tables across the units below the selected one that are shown nowhere but tie each unit's
/// totals to the selected unit's (persons carried over, loans): without them a reader could
/// subtract the units' own views from their parent's.
fn lattice_specs(data: &Data, sel: &Selection) -> Vec<Spec> {
    if data.units.len() < 2 {
        return Vec::new();
    }
    let units: HashMap<i64, &crate::entities::org_unit::Model> =
        data.units.iter().map(|u| (u.id, u)).collect();
    let rows: Vec<i64> = data
        .units
        .iter()
        .filter(|u| row_unit(&units, sel.unit.id, u.id) == u.id)
        .map(|u| u.id)
        .collect();
    let column = |measure: &str| Table::column(measure, "unit", rows.clone(), 0);
    let mut carried = column("carried");
    let mut loans = column("loans");
    let mut hotline = [
        column("hotline_received"),
        column("hotline_handled"),
        column("hotline_referred"),
    ];
    for m in &data.months {
        let row = row_unit(&units, sel.unit.id, m.org_unit_id);
        if m.year_month == sel.from.key() {
            carried.add(&row, &0, m.carried_over);
        }
        loans.add(&row, &0, m.loans_count);
        for (t, n) in
            hotline
                .iter_mut()
                .zip([m.hotline_received, m.hotline_handled, m.hotline_referred])
        {
            t.add(&row, &0, n);
        }
    }
    [carried, loans]
        .into_iter()
        .chain(hotline)
        .map(|table| Spec {
            slot: Slot::Lattice,
            id: format!("lattice_{}", table.measure),
            title: String::new(),
            note: None,
            rows: Vec::new(),
            cols: Vec::new(),
            list: true,
            table,
        })
        .collect()
}

/// The rows of a unit's subtree within its parent's data: what the unit's own view loads.
fn part_of(root: &Data, root_id: i64, unit_id: i64) -> Data {
    let units: HashMap<i64, &crate::entities::org_unit::Model> =
        root.units.iter().map(|u| (u.id, u)).collect();
    let kept: HashSet<i64> = root
        .units
        .iter()
        .filter(|u| row_unit(&units, root_id, u.id) == unit_id)
        .map(|u| u.id)
        .collect();
    restrict(root, &kept)
}

/// The rows of the units in `kept`.
fn restrict(root: &Data, kept: &HashSet<i64>) -> Data {
    let months: Vec<_> = root
        .months
        .iter()
        .filter(|m| kept.contains(&m.org_unit_id))
        .cloned()
        .collect();
    let ids: HashSet<i64> = months.iter().map(|m| m.id).collect();
    Data {
        units: root
            .units
            .iter()
            .filter(|u| kept.contains(&u.id))
            .cloned()
            .collect(),
        months,
        received: root
            .received
            .iter()
            .filter(|r| ids.contains(&r.month_id))
            .cloned()
            .collect(),
        support: root
            .support
            .iter()
            .filter(|r| ids.contains(&r.month_id))
            .cloned()
            .collect(),
        referrals: root
            .referrals
            .iter()
            .filter(|r| ids.contains(&r.month_id))
            .cloned()
            .collect(),
        codes: root.codes.clone(),
    }
}

/// The units whose views are protected together with a unit's: `root` (the unit whose table of
/// units below shows them) and every row of that table.
fn family_units(root: &Data, root_unit: &org_unit::Model) -> Vec<org_unit::Model> {
    let units: HashMap<i64, &org_unit::Model> = root.units.iter().map(|u| (u.id, u)).collect();
    let mut rows: Vec<org_unit::Model> = root
        .units
        .iter()
        .filter(|u| u.id != root_unit.id && row_unit(&units, root_unit.id, u.id) == u.id)
        .cloned()
        .collect();
    rows.sort_by_key(|u| u.id);
    let mut out = vec![root_unit.clone()];
    out.extend(rows);
    out
}

/// Measures that are stocks at the start of a period rather than sums over its months.
const STOCKS: &[&str] = &["carried"];

/// One period of the lattice of the viewed unit, protected.
struct Cut {
    period: Period,
    data: Data,
    sel: Selection,
    specs: Vec<Spec>,
    loans_amount: i64,
    protected: Vec<Protected<i64>>,
    /// Whether the band of the loan amount may be shown (`amount_bands`).
    band: bool,
}

/// What [`protect_year`] gives the viewed unit: every period of its lattice, and its trend by
/// quarter (persons received by sex) when asked for.
struct YearViews {
    cuts: Vec<Cut>,
    trend: Option<(Vec<code::Model>, Protected<i64>)>,
}

/// A unit of the protected tree: the root, a unit below it at any depth (a district before the
/// reform, a commune), or a unit's own figures beside its units below.
struct Node {
    unit: org_unit::Model,
    /// The unit's value in the cell keys: its id, or minus its id for its own figures (a
    /// district office's own entries), which its table by unit shows as a row of their own.
    key: i64,
    /// Its rows for the whole year.
    data: Data,
    /// The nodes whose figures add up to its own: its units below, and its own figures.
    children: Vec<usize>,
    own: bool,
}

/// The tree of units protected together: `root`, every row of its table by unit, every row of
/// theirs, down to the communes, each with its own figures beside its units below. A unit
/// without a figure all year adds only zeros, which are never hidden and never hide anything:
/// it is left out, with everything below it, unless it holds the viewed unit.
/// A successor in `wide` (`wide_successors`) stands in the tree for its own figures only (keyed
/// minus its id); its view, over its whole scope, is a node after the tree's, whose children
/// are the largest nodes of the tree within that scope (its own figures, its predecessors).
fn tree(
    root: &Data,
    root_unit: &org_unit::Model,
    view_unit: i64,
    wide: &BTreeMap<i64, BTreeSet<i64>>,
) -> Vec<Node> {
    let mut nodes = vec![Node {
        unit: root_unit.clone(),
        key: root_unit.id,
        data: root.clone(),
        children: Vec::new(),
        own: false,
    }];
    let mut at = 0;
    while at < nodes.len() {
        let kids: Vec<Node> = match nodes.get(at) {
            Some(node) if !node.own => {
                let rows = family_units(&node.data, &node.unit);
                if rows.len() < 2 {
                    Vec::new()
                } else {
                    rows.iter()
                        .skip(1)
                        .chain(std::iter::once(&node.unit))
                        .filter_map(|r| {
                            // A successor reaching outside its subtree is, in the tree, only
                            // its own figures: its view is a node of its own (below).
                            let own = r.id == node.unit.id || wide.contains_key(&r.id);
                            let part = part_of(&node.data, node.unit.id, r.id);
                            let holds_view = !own && part.units.iter().any(|u| u.id == view_unit);
                            (!part.months.is_empty() || holds_view).then(|| Node {
                                unit: r.clone(),
                                key: if own { -r.id } else { r.id },
                                data: part,
                                children: Vec::new(),
                                own,
                            })
                        })
                        .collect()
                }
            }
            _ => Vec::new(),
        };
        for kid in kids {
            let index = nodes.len();
            nodes.push(kid);
            if let Some(node) = nodes.get_mut(at) {
                node.children.push(index);
            }
        }
        at += 1;
    }
    // Each successor reaching outside its subtree: its view, the sum of the largest nodes of
    // the tree within its scope (its own figures, and its predecessors under their old
    // parent).
    let parent_of: HashMap<usize, usize> = nodes
        .iter()
        .enumerate()
        .flat_map(|(n, node)| node.children.iter().map(move |c| (*c, n)))
        .collect();
    let tree_len = nodes.len();
    for (s, scope) in wide {
        let Some(unit) = root.units.iter().find(|u| u.id == *s) else {
            continue;
        };
        let kept: HashSet<i64> = scope.iter().copied().collect();
        let data = restrict(root, &kept);
        if data.months.is_empty() && *s != view_unit {
            continue;
        }
        let inside = |n: usize| nodes.get(n).is_some_and(|x| scope.contains(&x.unit.id));
        let children: Vec<usize> = (0..tree_len)
            .filter(|n| inside(*n) && !parent_of.get(n).is_some_and(|p| inside(*p)))
            .collect();
        nodes.push(Node {
            unit: unit.clone(),
            key: *s,
            data,
            children,
            own: false,
        });
    }
    nodes
}

/// The units of `root` below its top whose own view reaches units outside their subtree
/// through the lineage (a commune formed in 2025 from communes of an old district), each with
/// its scope within `root`: its subtree and its predecessors', as `Scope::of_unit` finds it.
/// `lineage` holds `(successor, predecessor)` pairs. Only successors with no unit below them
/// are kept: such a unit is a leaf of the tree, so its own figures can take its place there
/// (`tree`); any other is protected apart (`system_root`).
fn wide_successors(
    root: &Data,
    root_unit: &org_unit::Model,
    lineage: &[(i64, i64)],
) -> BTreeMap<i64, BTreeSet<i64>> {
    let ids: BTreeSet<i64> = root.units.iter().map(|u| u.id).collect();
    let mut out = BTreeMap::new();
    let successors: BTreeSet<i64> = lineage.iter().map(|(s, _)| *s).collect();
    for s in successors {
        if s == root_unit.id || !ids.contains(&s) {
            continue;
        }
        if root.units.iter().any(|u| u.parent_id == Some(s)) {
            continue;
        }
        let mut scope: BTreeSet<i64> = BTreeSet::from([s]);
        let mut todo = vec![s];
        while let Some(u) = todo.pop() {
            let next = root
                .units
                .iter()
                .filter(|x| x.parent_id == Some(u))
                .map(|x| x.id)
                .chain(
                    lineage
                        .iter()
                        .filter(|(a, b)| *a == u && ids.contains(b))
                        .map(|(_, b)| *b),
                )
                .collect::<Vec<_>>();
            for x in next {
                if scope.insert(x) {
                    todo.push(x);
                }
            }
        }
        if scope.len() > 1 {
            out.insert(s, scope);
        }
    }
    out
}

/// Where a node's loans stand in the protected system, for one period.
struct LoanCell {
    node: usize,
    period: usize,
    /// The index of its loans table among the protected tables.
    at: Option<usize>,
    amount: i64,
}

/// Protects a tree of units over the whole publication lattice of a year at once: every
/// table of every unit of the tree ([`tree`]: the root, its units below, theirs, and each one's
/// own figures) in every period of the lattice (`lattice::year_periods`), each marked with its
/// unit and its period, tied unit to parent by `suppress::period_links("unit", …)` and by the
/// tables across units (`Slot::Lattice`, the table by unit), and period to parts by
/// `suppress::period_links("period", …)`. Every view of the tree and the year computes this
/// same system, so each publishes the same hidden pattern for the figures the views share
/// (`docs/privacy.md`, section 6).
fn protect_year(
    root: &Data,
    root_unit: &org_unit::Model,
    view_unit: i64,
    lineage: &[(i64, i64)],
    year: i32,
    with_trend: bool,
    tr: &Tr,
) -> YearViews {
    let periods = lattice::year_periods(year);
    let wide = wide_successors(root, root_unit, lineage);
    let nodes = tree(root, root_unit, view_unit, &wide);
    let mut all: Vec<Table<i64>> = Vec::new();
    let mut mine: Vec<(usize, usize, Cut)> = Vec::new();
    let mut trend_at: Option<(usize, Vec<code::Model>)> = None;
    let mut loans: Vec<LoanCell> = Vec::new();
    // Each node's tables by period, marked with their unit and period.
    let mut marked_of: Vec<Vec<Vec<Table<i64>>>> = Vec::with_capacity(nodes.len());
    for (n, node) in nodes.iter().enumerate() {
        let is_view = !node.own && node.unit.id == view_unit;
        // A table across the node's units below: its own figures' row takes the key of the
        // node's own figures, and its total row is the node's figure.
        let mark = |mut t: Table<i64>| {
            if t.row_dim == "unit" {
                // A successor reaching outside its subtree is, as a row, its own figures.
                for r in &mut t.rows {
                    if *r == node.unit.id || wide.contains_key(r) {
                        *r = -*r;
                    }
                }
                t = t.totalled_as(node.key);
            }
            t.about("unit", node.key)
        };
        let mut per_period: Vec<Vec<Table<i64>>> = Vec::new();
        let mut marked: Vec<Vec<Table<i64>>> = Vec::new();
        for (pi, p) in periods.iter().enumerate() {
            let data = lattice::within(&node.data, *p);
            let sel = Selection {
                unit: node.unit.clone(),
                from: p.from,
                to: p.to,
            };
            let built = build(&data, &sel, tr);
            let tables: Vec<Table<i64>> =
                built.specs.iter().map(|s| mark(s.table.clone())).collect();
            // Persons carried over into a period are those of its first month: the same figure
            // as the carried-over of the quarter it starts with, so it takes that quarter's key.
            let starts = periods
                .iter()
                .find(|q| q.from == p.from && q.from.span(q.to) == 3)
                .map_or(p.key(), |q| q.key());
            let in_period: Vec<Table<i64>> = tables
                .iter()
                .cloned()
                .map(|t| {
                    let key = if STOCKS.contains(&t.measure.as_str()) {
                        starts
                    } else {
                        p.key()
                    };
                    t.about("period", key)
                })
                .collect();
            let at = all.len();
            all.extend(in_period.iter().cloned());
            loans.push(LoanCell {
                node: n,
                period: pi,
                at: built
                    .specs
                    .iter()
                    .position(|s| s.slot == Slot::Loans)
                    .map(|k| at + k),
                amount: built.loans_amount,
            });
            if is_view {
                mine.push((
                    at,
                    loans.len() - 1,
                    Cut {
                        period: *p,
                        data,
                        sel,
                        specs: built.specs,
                        loans_amount: built.loans_amount,
                        protected: Vec::new(),
                        band: false,
                    },
                ));
            }
            per_period.push(tables);
            marked.push(in_period);
        }
        for (whole, parts) in lattice::GROUPS {
            let key = |i: usize| periods.get(i).map_or(0, |p| p.key());
            let tables = |i: usize| per_period.get(i).map_or(&[][..], Vec::as_slice);
            let parts: Vec<(i64, &[Table<i64>])> =
                parts.iter().map(|i| (key(*i), tables(*i))).collect();
            all.extend(suppress::period_links(
                "period",
                (Some(&key(whole)), tables(whole)),
                &parts,
                STOCKS,
            ));
        }
        if with_trend && is_view {
            let (table, sexes) = trend_table(&node.data, year);
            trend_at = Some((all.len(), sexes));
            all.push(mark(table));
        }
        marked_of.push(marked);
    }
    // Each period's figures of a node are the sums of its children's (its units' and its own).
    for (n, node) in nodes.iter().enumerate() {
        if node.children.is_empty() {
            continue;
        }
        for i in 0..periods.len() {
            let of = |m: usize| {
                marked_of
                    .get(m)
                    .and_then(|t| t.get(i))
                    .map_or(&[][..], Vec::as_slice)
            };
            let parts: Vec<(i64, &[Table<i64>])> = node
                .children
                .iter()
                .filter_map(|c| nodes.get(*c).map(|k| (k.key, of(*c))))
                .collect();
            all.extend(suppress::period_links("unit", (None, of(n)), &parts, &[]));
        }
    }
    let mut protected = suppress::suppress_linked(&all);
    let bands = amount_bands(&nodes, &all, &protected, &loans, periods.len());
    let cuts = mine
        .into_iter()
        .map(|(at, cell, mut cut)| {
            cut.protected = protected
                .get(at..at + cut.specs.len())
                .map(<[_]>::to_vec)
                .unwrap_or_default();
            cut.band = bands.get(cell).copied().unwrap_or(false);
            cut
        })
        .collect();
    let trend = trend_at
        .and_then(|(at, sexes)| (at < protected.len()).then(|| (sexes, protected.swap_remove(at))));
    YearViews { cuts, trend }
}

/// Which loan amount bands may be shown, by entry of `loans`: the band `[low, high)` of a unit
/// and period is published only beside a shown loan count, and no hidden count's amount may be
/// narrowed below one band's width by an attacker who intersects the published bands through
/// "the period is its parts" and "the unit is its units below and its own figures"
/// (`suppress::attack_bounds`; a shown count `c` tells the amount lies in `c` × the entry
/// form's bounds of one loan, a hidden one that it is at least one loan). Where it could be,
/// the smallest other amount in one of the equations that narrow it loses its band too
/// (complementary band suppression), until none can.
fn amount_bands(
    nodes: &[Node],
    tables: &[Table<i64>],
    protected: &[Protected<i64>],
    loans: &[LoanCell],
    periods: usize,
) -> Vec<bool> {
    use crate::support_stats::input::{MAX_LOAN, MIN_LOAN};
    let count = |c: &LoanCell| -> (i64, Shown) {
        c.at.map_or((0, Shown::Exact(0)), |at| {
            (
                tables.get(at).map_or(0, |t| t.value(0, 0)),
                protected.get(at).map_or(Shown::Suppressed, |p| p.total),
            )
        })
    };
    let index: HashMap<(usize, usize), usize> = loans
        .iter()
        .enumerate()
        .map(|(i, c)| ((c.node, c.period), i))
        .collect();
    // Every equation as (parts, whole), by entry of `loans`.
    let mut eqs: Vec<(Vec<usize>, usize)> = Vec::new();
    for (n, node) in nodes.iter().enumerate() {
        for p in 0..periods {
            let parts: Vec<usize> = node
                .children
                .iter()
                .filter_map(|c| index.get(&(*c, p)).copied())
                .collect();
            if let (false, Some(w)) = (parts.is_empty(), index.get(&(n, p))) {
                eqs.push((parts, *w));
            }
        }
        for (whole, parts) in lattice::GROUPS {
            let ps: Vec<usize> = parts
                .iter()
                .filter_map(|p| index.get(&(n, *p)).copied())
                .collect();
            if let Some(w) = index.get(&(n, whole)) {
                eqs.push((ps, *w));
            }
        }
    }
    // A band is shown only beside a shown count, and never for a node's own figures (no view
    // shows them on their own).
    let mut shown: Vec<bool> = loans
        .iter()
        .map(|c| !count(c).1.is_suppressed() && nodes.get(c.node).is_some_and(|n| !n.own))
        .collect();
    let wide = i128::from(lattice::AMOUNT_BAND) - 1;
    loop {
        let mut grids: Vec<suppress::BoundGrid> = Vec::new();
        let mut link: Vec<Vec<Vec<usize>>> = Vec::new();
        for (i, c) in loans.iter().enumerate() {
            let bound = match count(c) {
                (_, Shown::Exact(k)) => {
                    let (mut lo, mut hi) = (
                        i128::from(k) * i128::from(MIN_LOAN),
                        i128::from(k) * i128::from(MAX_LOAN),
                    );
                    if shown.get(i).copied().unwrap_or(false) {
                        let [a, b] = lattice::amount_band(c.amount);
                        lo = lo.max(i128::from(a));
                        hi = hi.min(i128::from(b) - 1);
                    }
                    (lo, hi)
                }
                (_, Shown::Suppressed) => (i128::from(MIN_LOAN), suppress::NO_BOUND),
            };
            grids.push(vec![vec![Some(bound)]]);
            link.push(vec![vec![i]]);
        }
        for (parts, whole) in &eqs {
            let mut g: Vec<Vec<Option<(i128, i128)>>> = Vec::new();
            let mut l: Vec<Vec<usize>> = Vec::new();
            for p in parts.iter().chain(std::iter::once(whole)) {
                g.push(vec![None, None]);
                l.push(vec![*p, *p]);
            }
            grids.push(g);
            link.push(l);
        }
        let ranges = suppress::attack_bounds(&grids, &link, (0, suppress::NO_BOUND));
        let range = |i: usize| {
            ranges
                .get(i)
                .and_then(|g| g.first())
                .and_then(|r| r.first())
                .copied()
                .unwrap_or((0, 0))
        };
        let mut hide: BTreeSet<usize> = BTreeSet::new();
        for (i, c) in loans.iter().enumerate() {
            let (k, s) = count(c);
            let (lo, hi) = range(i);
            if !s.is_suppressed() || k == 0 || hi - lo >= wide {
                continue;
            }
            // The smallest other amount with a band in an equation with this one.
            let pick = eqs
                .iter()
                .filter(|(parts, whole)| *whole == i || parts.contains(&i))
                .flat_map(|(parts, whole)| parts.iter().chain(std::iter::once(whole)))
                .filter(|j| **j != i && shown.get(**j).copied().unwrap_or(false))
                .filter(|j| loans.get(**j).is_some_and(|c| count(c).0 > 0))
                .min_by_key(|j| (loans.get(**j).map_or(0, |c| c.amount), **j));
            if let Some(j) = pick {
                hide.insert(*j);
            }
        }
        if hide.is_empty() {
            return shown;
        }
        for j in hide {
            if let Some(s) = shown.get_mut(j) {
                *s = false;
            }
        }
    }
}

/// Persons received by quarter and sex over a year, its total row being the year's: the
/// trend as readers without exact access get it, linked to the quarters' and the year's tables.
fn trend_table(data: &Data, year: i32) -> (Table<i64>, Vec<code::Model>) {
    let quarters = lattice::quarters(year);
    let used: BTreeSet<i64> = data.received.iter().map(|r| r.sex_id).collect();
    let sexes = data.list("sex", &used);
    let whole = lattice::year_periods(year)
        .last()
        .map_or(0, |p: &Period| p.key());
    let mut t = Table::new(
        "received",
        "period",
        quarters.iter().map(|q| q.key()).collect(),
        "sex",
        sexes.iter().map(|c| c.id).collect(),
    )
    .totalled_as(whole);
    let month_of: HashMap<i64, i32> = data.months.iter().map(|m| (m.id, m.year_month)).collect();
    for r in &data.received {
        let Some(ym) = month_of.get(&r.month_id) else {
            continue;
        };
        if let Some(q) = quarters
            .iter()
            .find(|q| (q.from.key()..=q.to.key()).contains(ym))
        {
            t.add(&q.key(), &r.sex_id, r.persons);
        }
    }
    (t, sexes)
}

/// The report of a selection from its tables, once protected.
fn assemble(
    data: &Data,
    sel: &Selection,
    specs: Vec<Spec>,
    protected: Vec<Protected<i64>>,
    // The loans' total amount, and whether its band may be shown (`amount_bands`).
    (loans_amount, band): (i64, bool),
    exact: bool,
    detail: Option<Vec<DetailLine>>,
) -> Report {
    let views: Vec<(Slot, TableView)> = specs
        .into_iter()
        .zip(protected)
        .map(|(s, p)| {
            (
                s.slot,
                TableView::new(&s.id, s.title, s.note, s.rows, s.cols, p, s.list),
            )
        })
        .collect();
    let take = |slot: Slot| -> Vec<TableView> {
        views
            .iter()
            .filter(|(s, _)| *s == slot)
            .map(|(_, v)| v.clone())
            .collect()
    };
    let total_of = |slot: Slot| take(slot).first().map_or(Shown::Suppressed, |v| v.total);
    let received = take(Slot::Received);
    let support = take(Slot::Support);
    let loans_count = total_of(Slot::Loans);
    let hotline: Vec<Shown> = take(Slot::Hotline).iter().map(|v| v.total).collect();
    let hot = |i: usize| hotline.get(i).copied().unwrap_or(Shown::Suppressed);
    // The rule is proved by the tests of `suppress`; this guards the wiring around it.
    debug_assert!(exact || views.iter().all(|(_, v)| !v.gives_a_cell_away()));
    Report {
        unit_id: sel.unit.id,
        unit_name: sel.unit.name.clone(),
        from: sel.from,
        to: sel.to,
        exact,
        requested: None,
        months_with_figures: data
            .months
            .iter()
            .map(|m| m.year_month)
            .collect::<BTreeSet<_>>()
            .len(),
        summary: Summary {
            received: received.first().map_or(Shown::Exact(0), |t| t.total),
            carried_over: total_of(Slot::Carried),
            loans_count,
            loans_amount: exact.then_some(loans_amount),
            loans_amount_band: (!exact && band && !loans_count.is_suppressed())
                .then(|| lattice::amount_band(loans_amount)),
            hotline: Hotline {
                received: hot(0),
                handled: hot(1),
                referred: hot(2),
            },
        },
        laws_split: support.len() > 1,
        received,
        support,
        referrals: take(Slot::Referrals).into_iter().next().unwrap_or_default(),
        by_unit: take(Slot::ByUnit).into_iter().next(),
        detail,
    }
}

/// The report of a selection with every figure exact: for the compiling office, and for
/// figures at the compiling level only (`Data::exact_for`).
pub fn exact_report(data: &Data, sel: &Selection, user: &CurrentUser, tr: &Tr) -> Report {
    let Built {
        specs,
        loans_amount,
    } = build(data, sel, tr);
    let tables: Vec<Table<i64>> = specs.iter().map(|s| s.table.clone()).collect();
    let detail = user
        .can(Capability::SensitiveStats)
        .then(|| detail_lines(data, tr));
    assemble(
        data,
        sel,
        specs,
        suppress::exact(&tables),
        (loans_amount, false),
        true,
        detail,
    )
}

/// The report of one period of the lattice for a reader without exact access, protected with
/// its whole family and year (`protect_year`). `root` holds the family root's rows for the
/// whole year.
pub fn lattice_report(
    root: &Data,
    root_unit: &org_unit::Model,
    lineage: &[(i64, i64)],
    unit_id: i64,
    period: Period,
    tr: &Tr,
) -> Option<Report> {
    let views = protect_year(
        root,
        root_unit,
        unit_id,
        lineage,
        period.from.year(),
        false,
        tr,
    );
    let cut = views.cuts.into_iter().find(|c| c.period == period)?;
    Some(assemble(
        &cut.data,
        &cut.sel,
        cut.specs,
        cut.protected,
        (cut.loans_amount, cut.band),
        false,
        None,
    ))
}

fn detail_lines(data: &Data, tr: &Tr) -> Vec<DetailLine> {
    let mut sums: BTreeMap<[i64; 5], i64> = BTreeMap::new();
    for r in &data.received {
        *sums
            .entry([
                r.sex_id,
                r.age_band_id,
                r.purpose_id,
                r.return_manner_id,
                r.trafficked_to_id,
            ])
            .or_insert(0) += r.persons;
    }
    let name = |id: &i64| {
        data.codes
            .get(id)
            .map(|c| tr.code(c).label)
            .unwrap_or_default()
    };
    let pos = |id: &i64| data.codes.get(id).map_or((0, 0), |c| (c.position, c.id));
    let mut keys: Vec<([i64; 5], i64)> = sums.into_iter().collect();
    keys.sort_by_key(|(k, _)| k.map(|id| pos(&id)));
    keys.into_iter()
        .map(|([s, a, p, m, w], persons)| DetailLine {
            sex: name(&s),
            age_band: name(&a),
            purpose: name(&p),
            manner: name(&m),
            trafficked_to: name(&w),
            persons,
        })
        .collect()
}

/// The unit whose table of units below shows `sel`'s unit (the unit itself when it has units
/// below it, else its parent), with its rows for the whole `year`: the family a unit is
/// protected with when its own view reaches units outside its subtree (`system_root`).
async fn family_root(
    db: &impl sea_orm::ConnectionTrait,
    data: &Data,
    sel: &Selection,
    year: i32,
) -> crate::error::AppResult<(org_unit::Model, Data)> {
    use sea_orm::EntityTrait;
    let parent = match sel.unit.parent_id {
        Some(p) if data.units.len() < 2 => org_unit::Entity::find_by_id(p).one(db).await?,
        _ => None,
    };
    let root = parent.unwrap_or_else(|| sel.unit.clone());
    Ok((root.clone(), year_of(db, &root, sel, year).await?))
}

/// A unit's rows for the whole `year`.
async fn year_of(
    db: &impl sea_orm::ConnectionTrait,
    unit: &org_unit::Model,
    sel: &Selection,
    year: i32,
) -> crate::error::AppResult<Data> {
    let whole = Selection {
        unit: unit.clone(),
        from: YearMonth::new(year, 1).unwrap_or(sel.from),
        to: YearMonth::new(year, 12).unwrap_or(sel.to),
    };
    crate::support_stats::data::load(db, &whole).await
}

/// The lineage pairs `(successor, predecessor)` whose successor is one of `data`'s units.
async fn lineage_of(
    db: &impl sea_orm::ConnectionTrait,
    data: &Data,
) -> crate::error::AppResult<Vec<(i64, i64)>> {
    use crate::entities::org_lineage;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let ids: Vec<i64> = data.units.iter().map(|u| u.id).collect();
    let mut out = Vec::new();
    for chunk in ids.chunks(crate::support_stats::data::CHUNK) {
        out.extend(
            org_lineage::Entity::find()
                .filter(org_lineage::Column::SuccessorId.is_in(chunk.iter().copied()))
                .order_by_asc(org_lineage::Column::Id)
                .all(db)
                .await?
                .into_iter()
                .map(|l| (l.successor_id, l.predecessor_id)),
        );
    }
    Ok(out)
}

/// The root of the one system a unit's figures are protected in, with its rows for the whole
/// `year` and the lineage within it: the top of its tree (its province, through a district
/// before the reform), and from a closed top unit its successor (tỉnh Phú Yên → tỉnh Đắk Lắk),
/// whose scope reaches it through the lineage. A commune formed in 2025, whose scope holds the
/// communes it was formed from (rows of their old district), is a node of that system of its
/// own, linked to its predecessors (`wide_successors`, `tree`). Only a unit whose view reaches
/// outside its subtree in another way (a successor with units below it) is protected with its
/// own family (`family_root`), as before the three-level system (`docs/privacy.md`, section 7).
async fn system_root(
    db: &impl sea_orm::ConnectionTrait,
    data: &Data,
    sel: &Selection,
    year: i32,
) -> crate::error::AppResult<(org_unit::Model, Data, Vec<(i64, i64)>)> {
    use crate::entities::org_lineage;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let mut top = sel.unit.clone();
    // Bounded: a tree has three levels, and a unit few successors.
    for _ in 0..16 {
        let next = match top.parent_id {
            Some(p) => org_unit::Entity::find_by_id(p).one(db).await?,
            None => match org_lineage::Entity::find()
                .filter(org_lineage::Column::PredecessorId.eq(top.id))
                .order_by_asc(org_lineage::Column::SuccessorId)
                .one(db)
                .await?
            {
                Some(l) => org_unit::Entity::find_by_id(l.successor_id).one(db).await?,
                None => None,
            },
        };
        match next {
            Some(u) if u.id != sel.unit.id => top = u,
            _ => break,
        }
    }
    let root = year_of(db, &top, sel, year).await?;
    let lineage = lineage_of(db, &root).await?;
    if top.id == sel.unit.id {
        return Ok((top, root, lineage));
    }
    // The unit's part of the tree: the units whose parents lead to it.
    let parents: HashMap<i64, Option<i64>> =
        root.units.iter().map(|u| (u.id, u.parent_id)).collect();
    let below = |mut u: i64| {
        for _ in 0..=parents.len() {
            if u == sel.unit.id {
                return true;
            }
            match parents.get(&u).copied().flatten() {
                Some(p) if parents.contains_key(&p) => u = p,
                _ => return false,
            }
        }
        false
    };
    let part: BTreeSet<i64> = root
        .units
        .iter()
        .map(|u| u.id)
        .filter(|u| below(*u))
        .collect();
    let own: BTreeSet<i64> = data.units.iter().map(|u| u.id).collect();
    let wide = wide_successors(&root, &top, &lineage);
    if part == own || wide.get(&sel.unit.id) == Some(&own) {
        Ok((top, root, lineage))
    } else {
        let (unit, data) = family_root(db, data, sel, year).await?;
        Ok((unit, data, Vec::new()))
    }
}

/// The lattice period a reader without exact access gets for `sel`: the smallest one holding
/// it, or the year of its last month when it spans two years (the pages refuse that before).
pub fn lattice_period(sel: &Selection) -> Period {
    Period::snap(sel.from, sel.to)
        .or_else(|| lattice::year_periods(sel.to.year()).last().copied())
        .unwrap_or(Period {
            from: sel.from,
            to: sel.to,
        })
}

/// The report of a selection for a reader: exact for those entitled; for everyone else, the
/// lattice period holding the selection, protected together with its family of units and the
/// other periods of its year.
pub async fn report_for(
    db: &impl sea_orm::ConnectionTrait,
    data: &Data,
    sel: &Selection,
    user: &CurrentUser,
    tr: &Tr<'_>,
) -> crate::error::AppResult<Report> {
    if data.exact_for(user) {
        return Ok(exact_report(data, sel, user, tr));
    }
    let period = lattice_period(sel);
    let (root_unit, root, lineage) = system_root(db, data, sel, period.from.year()).await?;
    let mut report = lattice_report(&root, &root_unit, &lineage, sel.unit.id, period, tr)
        .ok_or_else(|| crate::error::AppError::NotFound)?;
    if period.from != sel.from || period.to != sel.to {
        report.requested = Some([sel.from, sel.to]);
    }
    Ok(report)
}

/// The trend of a selection for a reader: by month for those entitled; for everyone else, by
/// quarter of the lattice year holding the selection, protected with the whole lattice.
pub async fn trend_for(
    db: &impl sea_orm::ConnectionTrait,
    data: &Data,
    sel: &Selection,
    user: &CurrentUser,
    tr: &Tr<'_>,
) -> crate::error::AppResult<crate::support_stats::trend::TrendReport> {
    use crate::support_stats::trend;
    if data.exact_for(user) {
        return Ok(trend::trend(data, sel, user, tr));
    }
    let year = lattice_period(sel).from.year();
    let (root_unit, root, lineage) = system_root(db, data, sel, year).await?;
    let views = protect_year(&root, &root_unit, sel.unit.id, &lineage, year, true, tr);
    let quarters = lattice::quarters(year);
    let label = |p: &Period| trend::period_label(*p, tr);
    let received = views
        .trend
        .map(|(sexes, p)| {
            TableView::new(
                "trend",
                tr.t("stats.table.trend_quarter"),
                None,
                quarters
                    .iter()
                    .map(|q| crate::support_stats::views_model::Label {
                        code: format!("{}-{}", q.from.iso(), q.to.iso()),
                        label: label(q),
                    })
                    .collect(),
                sexes.iter().map(|c| tr.code(c)).collect(),
                p,
                false,
            )
        })
        .unwrap_or_default();
    let hotline = quarters
        .iter()
        .map(|q| {
            let shown = views
                .cuts
                .iter()
                .find(|c| c.period == *q)
                .map(|c| {
                    c.specs
                        .iter()
                        .zip(&c.protected)
                        .filter(|(s, _)| s.slot == Slot::Hotline)
                        .map(|(_, p)| p.total)
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default();
            let at = |i: usize| shown.get(i).copied().unwrap_or(Shown::Suppressed);
            trend::HotlineMonth {
                month: q.from,
                label: label(q),
                received: at(0),
                handled: at(1),
                referred: at(2),
            }
        })
        .collect();
    Ok(trend::TrendReport {
        unit_id: sel.unit.id,
        unit_name: sel.unit.name.clone(),
        from: quarters.first().map_or(sel.from, |q| q.from),
        to: quarters.last().map_or(sel.to, |q| q.to),
        exact: false,
        by_quarter: true,
        year,
        received,
        hotline,
    })
}
