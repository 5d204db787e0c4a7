//! Rendering an outbox row: subject, text and HTML bodies from `templates/email/<name>/`, in the
//! recipient's language, with the link made absolute from `config.base_url`.

use crate::entities::outbox_email;
use crate::web::i18n::Locale;
use crate::web::templates::Templates;
use lettre::Message;
use lettre::message::{Mailbox, MultiPart};
use minijinja::Value;

pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub fn render(
    templates: &Templates,
    row: &outbox_email::Model,
    base_url: &str,
) -> Result<Rendered, String> {
    let locale = Locale::parse(&row.locale).unwrap_or_default();
    let mut data: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&row.data).map_err(|e| format!("bad data: {e}"))?;
    let path = data
        .get("path")
        .and_then(|p| p.as_str())
        .unwrap_or("/")
        .to_owned();
    let base = base_url.trim_end_matches('/');
    data.insert("link".into(), format!("{base}{path}").into());
    data.insert("preferences_link".into(), format!("{base}/account").into());
    let ctx = Value::from_serialize(&data);
    let name = |part: &str| format!("email/{}/{part}", row.template);
    let r = |part: &str| {
        templates
            .render(&name(part), locale, ctx.clone())
            .map_err(|e| format!("template {}: {e}", name(part)))
    };
    Ok(Rendered {
        // One line, whatever the data held: a subject never carries a line break.
        subject: one_line(&r("subject.txt")?),
        text: r("body.txt")?,
        html: r("body.html")?,
    })
}

fn one_line(s: &str) -> String {
    s.split(|c: char| c.is_control())
        .filter(|p| !p.trim().is_empty())
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Builds the message. An address lettre cannot parse (a line break in it, say) is an error,
/// never a header of its own.
pub fn message(from: Mailbox, to: &str, r: Rendered) -> Result<Message, String> {
    let to: Mailbox = to.parse().map_err(|e| format!("invalid recipient: {e}"))?;
    Message::builder()
        .from(from)
        .to(to)
        .subject(r.subject)
        .multipart(MultiPart::alternative_plain_html(r.text, r.html))
        .map_err(|e| e.to_string())
}
