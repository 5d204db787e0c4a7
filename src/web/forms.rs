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

/// Only same-site paths are followed after login or a language switch. Browsers read a
/// backslash as a slash and remove tabs and line breaks from a URL before following it, so
/// `/\t/evil.example` would lead off-site like `//evil.example`: no control character passes
/// (nor could a CR or LF go into the `Location` header).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.contains('\\')
                && !p.contains(char::is_control) =>
        {
            p.to_owned()
        }
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

    /// The same form with `name` holding `value` (a picker's typed words replaced by the id
    /// they resolved to), added if the form lacked it.
    pub fn with(&self, name: &str, value: &str) -> RawForm {
        let mut pairs = self.0.clone();
        match pairs.iter_mut().find(|(k, _)| k == name) {
            Some((_, v)) => *v = value.to_owned(),
            None => pairs.push((name.to_owned(), value.to_owned())),
        }
        RawForm(pairs)
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Where a browser goes with a `Location` of `next` on this site, by the URL standard: it
    /// strips leading and trailing C0 controls and spaces, removes every tab, CR and LF, and
    /// reads a backslash as a slash. `None` when that leaves the site.
    fn followed(next: &str) -> Option<String> {
        let trimmed = next.trim_matches(|c: char| c <= ' ');
        let path: String = trimmed
            .chars()
            .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
            .map(|c| if c == '\\' { '/' } else { c })
            .collect();
        (path.starts_with('/') && !path.starts_with("//")).then_some(path)
    }

    #[test]
    fn known_tricks_go_home() {
        for next in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            " //evil.example",
            "javascript:alert(1)",
            "",
        ] {
            assert_eq!(safe_next(Some(next)), "/", "{next:?}");
        }
        assert_eq!(safe_next(None), "/");
        assert_eq!(
            safe_next(Some("/activities?q=h%C3%B2a&page=2")),
            "/activities?q=h%C3%B2a&page=2"
        );
    }

    proptest! {
        /// Whatever `next` says, the redirect stays on the site and is a valid header value.
        #[test]
        fn safe_next_never_leaves_the_site(
            prefix in prop_oneof![
                Just(""), Just("/"), Just("//"), Just("/\\"), Just("\\"), Just("/\t/"),
                Just("/\n/"), Just("/\r/"), Just("https:"), Just("https://"), Just(" /"),
            ],
            rest in prop_oneof![any::<String>(), "[a-z./\\\\:\t\r\n ]{0,20}"],
        ) {
            let next = format!("{prefix}{rest}");
            let to = safe_next(Some(&next));
            prop_assert!(to == "/" || to == next);
            prop_assert!(followed(&to).is_some(), "{:?} leaves the site", to);
            prop_assert!(axum::http::HeaderValue::try_from(to.clone()).is_ok(), "{:?}", to);
        }

        /// An ordinary path of the site is followed as it is.
        #[test]
        fn a_site_path_is_kept(path in "/[a-z0-9_-]{1,10}(/[a-z0-9_-]{1,10}){0,3}(\\?[a-z]=[a-z0-9%]{0,8})?") {
            prop_assert_eq!(safe_next(Some(&path)), path);
        }
    }
}
