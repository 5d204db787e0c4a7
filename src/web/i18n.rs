//! The translation layer. Every string a user reads comes from `i18n/vi.toml` or `i18n/en.toml`
//! (Vietnamese first; English second). Keys are dotted paths of the TOML tables.

use serde::Serialize;
use std::collections::HashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    #[default]
    Vi,
    En,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::Vi, Locale::En];

    pub fn code(self) -> &'static str {
        match self {
            Locale::Vi => "vi",
            Locale::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Locale> {
        match code {
            "vi" => Some(Locale::Vi),
            "en" => Some(Locale::En),
            _ => None,
        }
    }
}

pub struct I18n {
    vi: HashMap<String, String>,
    en: HashMap<String, String>,
}

const VI: &str = include_str!("i18n/vi.toml");
const EN: &str = include_str!("i18n/en.toml");

impl I18n {
    pub fn load() -> anyhow::Result<Self> {
        Ok(Self {
            vi: flatten(VI)?,
            en: flatten(EN)?,
        })
    }

    pub fn table(&self, locale: Locale) -> &HashMap<String, String> {
        match locale {
            Locale::Vi => &self.vi,
            Locale::En => &self.en,
        }
    }

    /// The text for `key`; a missing key shows itself (and a test makes sure none is missing).
    pub fn t<'a>(&'a self, locale: Locale, key: &'a str) -> &'a str {
        self.table(locale)
            .get(key)
            .or_else(|| self.vi.get(key))
            .map_or(key, String::as_str)
    }

    /// `t` with `{name}` placeholders filled in.
    pub fn format(&self, locale: Locale, key: &str, args: &[(&str, String)]) -> String {
        let mut text = self.t(locale, key).to_owned();
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }
}

fn flatten(source: &str) -> anyhow::Result<HashMap<String, String>> {
    let root: toml::Table = toml::from_str(source)?;
    let mut out = HashMap::new();
    walk("", &root, &mut out)?;
    Ok(out)
}

fn walk(
    prefix: &str,
    table: &toml::Table,
    out: &mut HashMap<String, String>,
) -> anyhow::Result<()> {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::String(s) => {
                out.insert(key, s.clone());
            }
            toml::Value::Table(t) => walk(&key, t, out)?,
            other => anyhow::bail!("translation {key} is not text: {other:?}"),
        }
    }
    Ok(())
}
