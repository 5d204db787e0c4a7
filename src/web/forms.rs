//! Form helpers: field errors keyed by field name, shown next to the field in the user's
//! language, and a guard for the `next` parameter of redirects.

use serde::Serialize;
use std::collections::BTreeMap;

/// Field name → translation key of the message.
#[derive(Debug, Default, Serialize, Clone)]
pub struct FieldErrors(pub BTreeMap<String, String>);

impl FieldErrors {
    pub fn add(&mut self, field: &str, key: &str) {
        self.0
            .entry(field.to_owned())
            .or_insert_with(|| key.to_owned());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Only same-site paths are followed after login or a language switch.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p.to_owned(),
        _ => "/".to_owned(),
    }
}

/// Trims and treats an empty field as absent.
pub fn non_empty(value: &str) -> Option<String> {
    let v = value.trim();
    (!v.is_empty()).then(|| v.to_owned())
}

/// A form read as its raw pairs, for forms with repeated fields (checkbox lists) and for
/// forms whose every field is parsed by hand so that no input can make extraction fail.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(transparent)]
pub struct RawForm(pub Vec<(String, String)>);

impl RawForm {
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn checked(&self, name: &str) -> bool {
        matches!(self.get(name), "on" | "true" | "1")
    }

    /// The fields as a map, to show the form again with what was typed.
    pub fn values(&self) -> BTreeMap<String, String> {
        self.0
            .iter()
            .filter(|(k, _)| k != "csrf_token" && !k.contains("password"))
            .cloned()
            .collect()
    }
}

/// What the user typed, for a form shown again. A field never typed reads as empty text, so
/// templates can write `values.name` and compare it without guarding every key.
#[derive(Debug, Default)]
pub struct FormValues(pub BTreeMap<String, String>);

impl minijinja::value::Object for FormValues {
    fn get_value(self: &std::sync::Arc<Self>, key: &minijinja::Value) -> Option<minijinja::Value> {
        let name = key.as_str()?;
        Some(minijinja::Value::from(
            self.0.get(name).map_or("", String::as_str),
        ))
    }
}

impl FormValues {
    pub fn empty() -> minijinja::Value {
        minijinja::Value::from_object(FormValues::default())
    }

    pub fn of(form: &RawForm) -> minijinja::Value {
        minijinja::Value::from_object(FormValues(form.values()))
    }
}
