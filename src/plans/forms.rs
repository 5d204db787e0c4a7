//! Parsing the plan forms into the service's input types, collecting field errors.

use crate::plans::service::{Amendment, ItemInput, PlanHeader, TargetInput};
use crate::web::format::parse_date;
use crate::web::forms::{FieldErrors, RawForm, non_empty};
use chrono::NaiveDate;

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn id(value: &str) -> Option<i64> {
    value.trim().parse().ok()
}

pub fn header(
    form: &RawForm,
    org_unit_id: Option<i64>,
    errors: &mut FieldErrors,
) -> Option<PlanHeader> {
    let start = parse_date(form.get("period_start"));
    let end = parse_date(form.get("period_end"));
    if start.is_none() {
        errors.add("period_start", "form.date");
    }
    if end.is_none() {
        errors.add("period_end", "form.date");
    }
    if let (Some(s), Some(e)) = (start, end)
        && e < s
    {
        errors.add("period_end", "plan.error.period");
    }
    for required in ["title", "place"] {
        if form.get(required).trim().is_empty() {
            errors.add(required, "form.required");
        }
    }
    let unit = org_unit_id.or_else(|| id(form.get("org_unit_id")));
    if unit.is_none() {
        errors.add("org_unit_id", "form.choose");
    }
    Some(PlanHeader {
        title: form.get("title").trim().to_owned(),
        org_unit_id: unit?,
        drafting_agency_id: id(form.get("drafting_agency_id")),
        period_start: start?,
        period_end: end?,
        place: form.get("place").trim().to_owned(),
        preamble: form.get("preamble").trim().to_owned(),
        legal_bases: lines(form.get("legal_bases")),
        signer_authority: form.get("signer_authority").trim().to_owned(),
        signer_title: form.get("signer_title").trim().to_owned(),
        signer_name: form.get("signer_name").trim().to_owned(),
        recipients: lines(form.get("recipients")),
    })
}

pub fn item(form: &RawForm, errors: &mut FieldErrors) -> ItemInput {
    let lead = match form.get("lead_agency_id").trim() {
        "" => None,
        raw => {
            let parsed = id(raw);
            if parsed.is_none() {
                errors.add("lead_agency_id", "form.choose");
            }
            parsed
        }
    };
    ItemInput {
        label: form.get("label").trim().to_owned(),
        heading: form.get("heading").trim().to_owned(),
        body: non_empty(form.get("body")),
        lead_agency_id: lead,
        support_agency_ids: form.all("support").iter().filter_map(|v| id(v)).collect(),
        area_kind: non_empty(form.get("area_kind")),
    }
}

pub fn target(form: &RawForm, errors: &mut FieldErrors) -> Option<TargetInput> {
    let indicator = id(form.get("indicator_id"));
    if indicator.is_none() {
        errors.add("indicator_id", "form.choose");
    }
    let activity_type = match form.get("activity_type_id").trim() {
        "" => None,
        raw => {
            let parsed = id(raw);
            if parsed.is_none() {
                errors.add("activity_type_id", "form.choose");
            }
            parsed
        }
    };
    let value = form
        .get("value")
        .trim()
        .replace('.', "")
        .parse::<i64>()
        .ok();
    if value.is_none_or(|v| v <= 0) {
        errors.add("value", "plan.error.target_value");
    }
    Some(TargetInput {
        indicator_id: indicator?,
        activity_type_id: activity_type,
        value: value?,
        unit: form.get("unit").trim().to_owned(),
    })
}

/// Budget lines `budget_<source id>` = amount in đồng (dots allowed as thousands separators).
pub fn budgets(form: &RawForm, errors: &mut FieldErrors) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    for (k, v) in &form.0 {
        let Some(source) = k
            .strip_prefix("budget_")
            .and_then(|s| s.parse::<i64>().ok())
        else {
            continue;
        };
        let raw = v.trim().replace(['.', ' '], "");
        if raw.is_empty() {
            out.push((source, 0));
            continue;
        }
        match raw.parse::<i64>() {
            Ok(n) if n >= 0 => out.push((source, n)),
            _ => errors.add(k, "plan.error.budget"),
        }
    }
    out
}

/// The amendment fields shown on forms of an issued plan.
pub fn amendment(form: &RawForm, today: NaiveDate) -> Option<Amendment> {
    let reason = non_empty(form.get("reason"))?;
    Some(Amendment {
        on: parse_date(form.get("amended_on")).unwrap_or(today),
        reason,
    })
}
