//! Searching and paging the administration lists (units, agencies, tasks) and the pickers of
//! units and agencies on forms.
//!
//! Matching folds the words as the imports do (`text::fold`: "hoa my" finds "Hòa Mỹ"). The
//! lists are small tables (3,334 units and as many agencies at national scale), read whole
//! and filtered in Rust, where folding is exact on both backends; a page is then the rows
//! after a cursor — the id of the last row shown — in the list's fixed order, the keyset of
//! the activity list held in memory: a row added or closed elsewhere never shifts a page.

use serde::{Deserialize, Serialize};

/// Rows on one page of an administration list.
pub const PAGE_SIZE: usize = 50;

/// Past this many choices a form offers a search box instead of a `<select>`.
pub const SELECT_MAX: usize = 60;

/// Suggestions a picker's search returns.
pub const SUGGESTIONS: usize = 20;

/// The query string of a searchable list: words, filters and the cursor.
#[derive(Deserialize, Serialize, Default, Clone, Debug)]
pub struct ListQuery {
    #[serde(default)]
    pub q: Option<String>,
    #[serde(default)]
    pub province: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub after: Option<String>,
}

impl ListQuery {
    /// Refuses a filter the list cannot read, naming it: a province or cursor that is not an
    /// id, a kind or status the list does not offer. Empty values are no filter.
    pub fn check(
        &self,
        kinds: &[&str],
        statuses: &[&str],
    ) -> Result<(), crate::web::query::QueryField> {
        use crate::web::query::{check_id, check_one_of};
        check_id(self.province.as_deref(), "province")?;
        check_one_of(self.kind.as_deref(), "kind", kinds)?;
        check_one_of(self.status.as_deref(), "status", statuses)?;
        check_id(self.after.as_deref(), "after")
    }

    /// Refuses a province filter that is a number but names none of the provinces the list
    /// offers (`provinces`): it would list nothing, as if the province had no units.
    pub fn check_province(
        &self,
        provinces: &[Choice],
    ) -> Result<(), crate::web::query::QueryField> {
        match self.province_id() {
            Some(p) if !provinces.iter().any(|c| c.id == p) => Err(
                crate::web::query::QueryField::new("province", "form.choose"),
            ),
            _ => Ok(()),
        }
    }

    /// The folded words searched for.
    pub fn words(&self) -> Vec<String> {
        words(self.q.as_deref().unwrap_or(""))
    }

    pub fn province_id(&self) -> Option<i64> {
        self.province.as_deref().and_then(|p| p.trim().parse().ok())
    }

    pub fn kind(&self) -> Option<&str> {
        self.kind
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty())
    }

    pub fn status(&self) -> Option<&str> {
        self.status
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty())
    }

    pub fn after_id(&self) -> Option<i64> {
        self.after.as_deref().and_then(|a| a.trim().parse().ok())
    }

    /// Whether anything narrows the list.
    pub fn narrowed(&self) -> bool {
        !self.words().is_empty()
            || self.province_id().is_some()
            || self.kind().is_some()
            || self.status().is_some()
    }

    /// The query string of the next page: these words and filters, after `id`.
    pub fn next_link(&self, path: &str, id: i64) -> String {
        let mut next = self.clone();
        next.after = Some(id.to_string());
        let qs = serde_urlencoded::to_string(&next).unwrap_or_default();
        format!("{path}?{qs}")
    }
}

/// The folded words of a search.
pub fn words(q: &str) -> Vec<String> {
    crate::text::fold(q)
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// Whether every word occurs in one of the folded texts.
pub fn matches(words: &[String], folded: &[&str]) -> bool {
    words.iter().all(|w| folded.iter().any(|f| f.contains(w)))
}

/// One page of a list: its rows, the cursor of the next page and how many rows matched.
#[derive(Serialize)]
pub struct Paged<T> {
    pub rows: Vec<T>,
    pub next: Option<String>,
    /// The first page of the same search, when this one is not it.
    pub first: Option<String>,
    pub matched: usize,
}

/// The rows of `ordered` kept by `keep`, from the one after the row whose id is `after`
/// (the list's order decides; a cursor naming no row gives an empty page), at most
/// `PAGE_SIZE` of them, and the link to the next page.
pub fn page<T>(
    ordered: Vec<T>,
    id: impl Fn(&T) -> i64,
    keep: impl Fn(&T) -> bool,
    query: &ListQuery,
    path: &str,
) -> Paged<T> {
    let start = match query.after_id() {
        None => 0,
        Some(after) => ordered
            .iter()
            .position(|r| id(r) == after)
            .map_or(ordered.len(), |p| p + 1),
    };
    let matched = ordered.iter().filter(|r| keep(r)).count();
    let mut rows: Vec<T> = ordered
        .into_iter()
        .skip(start)
        .filter(|r| keep(r))
        .take(PAGE_SIZE + 1)
        .collect();
    let next = (rows.len() > PAGE_SIZE).then(|| {
        rows.truncate(PAGE_SIZE);
        rows.last().map(|r| query.next_link(path, id(r)))
    });
    let first = query.after.is_some().then(|| {
        let mut from_start = query.clone();
        from_start.after = None;
        match serde_urlencoded::to_string(&from_start).unwrap_or_default() {
            qs if qs.is_empty() => path.to_owned(),
            qs => format!("{path}?{qs}"),
        }
    });
    Paged {
        rows,
        next: next.flatten(),
        first,
        matched,
    }
}

/// A choice offered by a picker: its id, what it shows, and the text typed to choose it.
#[derive(Serialize, Clone, Debug)]
pub struct Choice {
    pub id: i64,
    pub label: String,
    /// "Name (CODE)": unique, what the search box holds once chosen.
    pub text: String,
    #[serde(skip)]
    pub code: String,
    /// The label and the text folded, when made from stored folded names (`with_folded`).
    #[serde(skip)]
    folded: Option<(String, String)>,
}

/// A code folded: the ASCII codes of units and agencies need no Unicode folding.
fn fold_code(code: &str) -> String {
    if code.is_ascii() && !code.contains(|c: char| c.is_ascii_whitespace()) {
        code.to_ascii_lowercase()
    } else {
        crate::text::fold(code)
    }
}

impl Choice {
    pub fn new(id: i64, label: String, code: &str) -> Choice {
        Choice {
            id,
            text: format!("{label} ({code})"),
            code: code.to_owned(),
            label,
            folded: None,
        }
    }

    /// The choice whose label, folded, is `folded_label` (built from the stored folded names
    /// of `org_units` and `agencies`, the same text `text::fold` gives): a search then folds
    /// nothing per choice.
    pub fn with_folded(mut self, folded_label: String) -> Choice {
        let text = format!("{folded_label} ({})", fold_code(&self.code));
        self.folded = Some((folded_label, text));
        self
    }

    /// What a search matches: the label and code, folded.
    pub fn folded(&self) -> std::borrow::Cow<'_, str> {
        match &self.folded {
            Some((_, text)) => std::borrow::Cow::Borrowed(text),
            None => std::borrow::Cow::Owned(crate::text::fold(&self.text)),
        }
    }

    /// The label folded.
    fn folded_label(&self) -> std::borrow::Cow<'_, str> {
        match &self.folded {
            Some((label, _)) => std::borrow::Cow::Borrowed(label),
            None => std::borrow::Cow::Owned(crate::text::fold(&self.label)),
        }
    }
}

/// A picker as a form shows it: a `<select>` of every choice when there are few, otherwise a
/// search box (with the suggestions for what it holds).
#[derive(Serialize)]
pub struct Picker {
    pub select: bool,
    pub choices: Vec<Choice>,
    /// The text the search box holds.
    pub text: String,
    /// The chosen id, for a select.
    pub value: String,
}

impl Picker {
    /// An empty search box: what `new` makes of more than `SELECT_MAX` choices and nothing
    /// typed, without the choices.
    pub fn search_box() -> Picker {
        Picker {
            select: false,
            choices: Vec::new(),
            text: String::new(),
            value: String::new(),
        }
    }

    /// The picker over `choices` holding `raw` (an id from a select, or what was typed).
    pub fn new(choices: Vec<Choice>, raw: &str) -> Picker {
        let raw = raw.trim();
        if choices.len() <= SELECT_MAX {
            return Picker {
                select: true,
                choices,
                text: String::new(),
                value: raw.to_owned(),
            };
        }
        let chosen = raw
            .parse::<i64>()
            .ok()
            .and_then(|id| choices.iter().find(|c| c.id == id));
        let text = chosen.map_or_else(|| raw.to_owned(), |c| c.text.clone());
        let value = chosen.map(|c| c.id.to_string()).unwrap_or_default();
        let suggestions = if raw.is_empty() {
            Vec::new()
        } else {
            suggest(&choices, &text)
        };
        Picker {
            select: false,
            choices: suggestions,
            text,
            value,
        }
    }
}

/// The choices matching what was typed, best first (those whose name starts with it).
pub fn suggest(choices: &[Choice], typed: &str) -> Vec<Choice> {
    let ws = words(typed);
    if ws.is_empty() {
        return Vec::new();
    }
    let joined = ws.join(" ");
    let mut found: Vec<(bool, &Choice)> = choices
        .iter()
        .filter_map(|c| {
            let folded = c.folded();
            matches(&ws, &[&*folded]).then(|| {
                // "dong" puts "Phường Đồng Xuân" first: the name after its kind word.
                let name = crate::text::fold(crate::org_units::split_name(&c.label).1);
                (
                    !(folded.starts_with(&joined) || name.starts_with(&joined)),
                    c,
                )
            })
        })
        .collect();
    found.sort_by_key(|(later, _)| *later);
    found
        .into_iter()
        .take(SUGGESTIONS)
        .map(|(_, c)| c.clone())
        .collect()
}

/// Why what was typed in a picker chose nothing.
#[derive(Debug, PartialEq, Eq)]
pub enum Unresolved {
    Empty,
    /// An id the picker does not offer (another scope's, or none at all).
    NotOffered,
    NoMatch,
    Several,
}

impl Unresolved {
    /// The message key shown at the field.
    pub fn key(&self) -> &'static str {
        match self {
            Unresolved::Empty | Unresolved::NotOffered => "form.choose",
            Unresolved::NoMatch => "picker.no_match",
            Unresolved::Several => "picker.several",
        }
    }
}

/// The choice a picker's value names: an id (from a select or a chosen suggestion), the exact
/// "Name (CODE)" of a suggestion, a code, or words that match exactly one choice (or exactly
/// one label as a whole). Only ids among `choices` are accepted.
pub fn resolve(choices: &[Choice], raw: &str) -> Result<i64, Unresolved> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(Unresolved::Empty);
    }
    if let Ok(id) = raw.parse::<i64>() {
        return choices
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.id)
            .ok_or(Unresolved::NotOffered);
    }
    if let Some(c) = choices
        .iter()
        .find(|c| c.text == raw || c.code.eq_ignore_ascii_case(raw))
    {
        return Ok(c.id);
    }
    let folded = crate::text::fold(raw);
    let whole: Vec<&Choice> = choices
        .iter()
        .filter(|c| c.folded_label() == folded || c.folded() == folded)
        .collect();
    if let [one] = whole.as_slice() {
        return Ok(one.id);
    }
    let ws = words(raw);
    let mut found = choices.iter().filter(|c| matches(&ws, &[&*c.folded()]));
    match (found.next(), found.next()) {
        (Some(one), None) => Ok(one.id),
        (None, _) => Err(Unresolved::NoMatch),
        _ => Err(Unresolved::Several),
    }
}

/// What a form's values hold for a picker's field (an id, or the words typed), as text.
pub fn held(values: &minijinja::Value, name: &str) -> String {
    values
        .get_attr(name)
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_none())
        .map(|v| v.to_string())
        .unwrap_or_default()
}

/// The id a picker's field names among `choices`, with the message at the field when it names
/// none. An empty field is `None` without a message when the field is optional.
pub fn resolve_field(
    choices: &[Choice],
    raw: &str,
    field: &str,
    optional: bool,
    errors: &mut crate::web::forms::FieldErrors,
) -> Option<i64> {
    match resolve(choices, raw) {
        Ok(id) => Some(id),
        Err(Unresolved::Empty) if optional => None,
        Err(why) => {
            errors.add(field, why.key());
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choices() -> Vec<Choice> {
        vec![
            Choice::new(1, "Xã Hòa Mỹ".into(), "HOAMY"),
            Choice::new(2, "Xã Hòa Mỹ Đông".into(), "HOAMYDONG"),
            Choice::new(3, "Phường Đồng Xuân".into(), "DONGXUAN"),
        ]
    }

    #[test]
    fn typed_text_resolves_to_one_choice_or_says_why_not() {
        let c = choices();
        assert_eq!(resolve(&c, "3"), Ok(3));
        assert_eq!(resolve(&c, "99"), Err(Unresolved::NotOffered));
        assert_eq!(resolve(&c, "Xã Hòa Mỹ Đông (HOAMYDONG)"), Ok(2));
        assert_eq!(resolve(&c, "hoamy"), Ok(1));
        assert_eq!(resolve(&c, "xa hoa my"), Ok(1));
        assert_eq!(resolve(&c, "hoa"), Err(Unresolved::Several));
        assert_eq!(resolve(&c, "dong xuan"), Ok(3));
        assert_eq!(resolve(&c, "ha noi"), Err(Unresolved::NoMatch));
        assert_eq!(resolve(&c, "  "), Err(Unresolved::Empty));
    }

    #[test]
    fn a_choice_folded_from_stored_names_folds_as_text_fold() {
        for (label, code) in [
            ("Xã Hòa Mỹ — Huyện Tây Hòa", "HOAMY"),
            ("UBND xã — Xã Ea Tul", "G1-P01-UBND"),
            ("Phường  Đồng Xuân", "Mã 1"),
        ] {
            let plain = Choice::new(1, label.into(), code);
            let stored = Choice::new(1, label.into(), code).with_folded(
                crate::text::fold("Xã Hòa Mỹ") + " — " + &crate::text::fold("Huyện Tây Hòa"),
            );
            if label.starts_with("Xã Hòa") {
                assert_eq!(stored.folded(), plain.folded());
                assert_eq!(stored.folded_label(), plain.folded_label());
            }
            assert_eq!(
                plain.folded(),
                crate::text::fold(&format!("{label} ({code})"))
            );
        }
    }

    #[test]
    fn suggestions_ignore_accents_and_put_prefixes_first() {
        let c = choices();
        let s = suggest(&c, "dong");
        assert_eq!(s.iter().map(|c| c.id).collect::<Vec<_>>(), vec![3, 2]);
        assert!(suggest(&c, "").is_empty());
    }

    #[test]
    fn a_list_query_names_the_filter_it_cannot_read() {
        let q = |s: &str| crate::web::query::parse::<ListQuery>(s).unwrap();
        let check = |s: &str| q(s).check(&["office"], &["active"]).map_err(|f| f.field);
        assert_eq!(
            check("q=x&province=3&kind=office&status=active&after=9"),
            Ok(())
        );
        assert_eq!(check("province=&kind=&status=&after="), Ok(()));
        assert_eq!(check("province=abc"), Err("province".into()));
        assert_eq!(check("kind=bank"), Err("kind".into()));
        assert_eq!(check("status=closed"), Err("status".into()));
        assert_eq!(check("after=x"), Err("after".into()));
    }

    #[test]
    fn a_page_starts_after_the_cursor_and_links_to_the_next() {
        let rows: Vec<i64> = (1..=120).collect();
        let q = ListQuery {
            q: Some("x".into()),
            ..Default::default()
        };
        let first = page(rows.clone(), |r| *r, |r| r % 2 == 0, &q, "/l");
        assert_eq!(first.rows.len(), PAGE_SIZE);
        assert_eq!(first.matched, 60);
        assert_eq!(first.next.as_deref(), Some("/l?q=x&after=100"));
        let q2 = ListQuery {
            after: Some("100".into()),
            ..q
        };
        let second = page(rows, |r| *r, |r| r % 2 == 0, &q2, "/l");
        assert_eq!(
            second.rows,
            vec![102, 104, 106, 108, 110, 112, 114, 116, 118, 120]
        );
        assert!(second.next.is_none());
    }
}
