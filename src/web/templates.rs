//! Template rendering with minijinja. Templates are embedded in the binary at build time, end in
//! `.html` or `.txt` (so auto-escaping is on for HTML), and run with strict undefined behaviour.

use crate::web::format;
use crate::web::i18n::{I18n, Locale};
use minijinja::value::Kwargs;
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior, Value};
use std::cell::Cell;
use std::sync::Arc;

pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    /// Builds the environment at start-up. The embedded templates were checked when the binary
    /// was built; one that fails to parse is a build defect, so panicking here is intended.
    #[allow(clippy::expect_used)]
    pub fn new(i18n: Arc<I18n>) -> Self {
        let mut env = Environment::new();
        // SemiStrict: printing or iterating an undefined value is an error (typos fail loudly), but
        // `{% if errors[name] %}` may test a missing key.
        env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
        minijinja_embed::load_templates!(&mut env);
        // HTML escaping of the five significant characters only: minijinja's default also
        // escapes "/", which garbles dates such as 05/12/2024 in the page source.
        env.set_formatter(|out, state, value| {
            if matches!(state.auto_escape(), minijinja::AutoEscape::Html)
                && !value.is_safe()
                && let Some(text) = value.as_str()
            {
                return write_escaped(out, text).map_err(Error::from);
            }
            minijinja::escape_formatter(out, state, value)
        });
        let labels = Arc::clone(&i18n);
        // The name of a form field for an error summary (`field.<name>`), empty when it has none.
        env.add_function("field_label", move |name: &str| -> String {
            let locale = RENDER_LOCALE.with(Cell::get);
            let key = format!("field.{name}");
            labels.table(locale).get(&key).cloned().unwrap_or_default()
        });
        let known = Arc::clone(&i18n);
        // Whether a key has a text (for keys made from data, such as an audit action).
        env.add_function("has_t", move |key: &str| -> bool {
            known.table(RENDER_LOCALE.with(Cell::get)).contains_key(key)
        });
        env.add_function("form_key", crate::web::idempotency::new_form_key);
        env.add_function("t", move |key: &str, kwargs: Kwargs| {
            let locale = RENDER_LOCALE.with(Cell::get);
            let mut text = i18n.t(locale, key).to_owned();
            for name in kwargs.args() {
                let value: Value = kwargs.get(name)?;
                text = text.replace(&format!("{{{name}}}"), &value.to_string());
            }
            Ok::<_, Error>(text)
        });
        env.add_filter("num", |v: Value| -> Result<String, Error> {
            if v.is_none() || v.is_undefined() {
                return Ok(String::new());
            }
            // A suppressed statistic ("x") is shown as it is.
            if let Some(text) = v.as_str() {
                return Ok(text.to_owned());
            }
            let n = i64::try_from(v.clone())
                .map_err(|_| Error::new(ErrorKind::InvalidOperation, "num needs an integer"))?;
            Ok(format::number(n))
        });
        env.add_filter("date", |v: Value| -> String {
            v.as_str()
                .and_then(|s| s.get(..10))
                .and_then(format::parse_date)
                .map(format::date)
                .unwrap_or_default()
        });
        env.add_filter("datetime", |v: Value| -> String {
            v.as_str()
                .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
                .map(|t| format::datetime(t.with_timezone(&chrono::Utc)))
                .unwrap_or_default()
        });
        Self { env }
    }

    /// Renders a template for a reader of `locale`.
    pub fn render(&self, name: &str, locale: Locale, ctx: Value) -> Result<String, Error> {
        let template = self.env.get_template(name)?;
        let previous = RENDER_LOCALE.with(|l| l.replace(locale));
        let result = template.render(ctx);
        RENDER_LOCALE.with(|l| l.set(previous));
        result
    }

    pub fn names(&self) -> Vec<String> {
        self.env.templates().map(|(n, _)| n.to_owned()).collect()
    }
}

thread_local! {
    /// The locale of the render in progress on this thread. Rendering is synchronous, so this
    /// is set and restored around each call; it is how `t()` knows the language inside macros
    /// imported from another template, which do not see the caller's variables.
    static RENDER_LOCALE: Cell<Locale> = const { Cell::new(Locale::Vi) };
}

/// Writes `text` with the five significant HTML characters escaped, copying the runs between
/// them whole (a page writes thousands of short strings; no copy of each is made).
fn write_escaped(out: &mut impl std::fmt::Write, text: &str) -> std::fmt::Result {
    let mut done = 0;
    for (i, b) in text.bytes().enumerate() {
        let entity = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.write_str(&text[done..i])?;
        out.write_str(entity)?;
        done = i + 1;
    }
    out.write_str(&text[done..])
}

#[cfg(test)]
mod tests {
    use super::write_escaped;

    #[test]
    fn escapes_the_five_characters_and_keeps_the_rest() {
        let mut out = String::new();
        write_escaped(&mut out, "Hội nghị <\"30/7\"> & 'tháng 7'").unwrap();
        assert_eq!(
            out,
            "Hội nghị &lt;&quot;30/7&quot;&gt; &amp; &#39;tháng 7&#39;"
        );
        let mut plain = String::new();
        write_escaped(&mut plain, "Xã Hòa Mỹ Đông").unwrap();
        assert_eq!(plain, "Xã Hòa Mỹ Đông");
    }
}
