//! Every translation key exists in Vietnamese and English, and every key the code and the
//! templates name exists.

use kehoach::web::i18n::{I18n, Locale};
use std::collections::BTreeSet;
use std::path::Path;

fn keys(i18n: &I18n, locale: Locale) -> BTreeSet<String> {
    i18n.table(locale).keys().cloned().collect()
}

#[test]
fn vietnamese_and_english_have_the_same_keys() {
    let i18n = I18n::load().unwrap();
    let vi = keys(&i18n, Locale::Vi);
    let en = keys(&i18n, Locale::En);
    let only_vi: Vec<_> = vi.difference(&en).collect();
    let only_en: Vec<_> = en.difference(&vi).collect();
    assert!(only_vi.is_empty(), "missing in en.toml: {only_vi:?}");
    assert!(only_en.is_empty(), "missing in vi.toml: {only_en:?}");
    for (k, v) in i18n.table(Locale::Vi) {
        assert!(!v.trim().is_empty(), "{k} is empty");
        use unicode_normalization::UnicodeNormalization;
        let nfc: String = v.nfc().collect();
        assert_eq!(&nfc, v, "{k} is not in NFC");
        assert_eq!(
            mixed_tone_style(v),
            None,
            "{k}: write hòa, thủy, khỏe (one style)"
        );
    }
}

/// A word spelled with the other placement of the tone mark ("hoà", "thuỷ", "khoẻ") than the
/// one used everywhere else in the app and in the official names ("Hòa", "Thủy", "khỏe").
fn mixed_tone_style(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_alphabetic())
        .find(|word| {
            let chars: Vec<char> = word.to_lowercase().chars().collect();
            let [before @ .., a, b] = chars.as_slice() else {
                return false;
            };
            // In "quý" the u belongs to the consonant qu: the tone can only sit on the y.
            let qu = before.last() == Some(&'q');
            (*a == 'o' && "àáảãạèéẻẽẹ".contains(*b)) || (*a == 'u' && !qu && "ỳýỷỹỵ".contains(*b))
        })
        .map(str::to_owned)
}

#[test]
fn the_tone_style_check_tells_the_two_styles_apart() {
    assert_eq!(mixed_tone_style("xã Hoà Phong"), Some("Hoà".into()));
    assert_eq!(mixed_tone_style("thuỷ lợi"), Some("thuỷ".into()));
    assert_eq!(
        mixed_tone_style("xã Hòa Phong, hoạt động, thủy lợi, khỏe"),
        None
    );
    assert_eq!(mixed_tone_style("Quý I/2024, theo quý"), None);
}

fn files(dir: &Path, ext: &str, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

/// String literals that look like translation keys: `a.b` or `a.b.c`, lowercase.
fn literal_keys(text: &str, prefixes: &BTreeSet<String>) -> Vec<String> {
    let mut found = Vec::new();
    for quote in ['"', '\''] {
        for part in text.split(quote).skip(1).step_by(2) {
            let is_key = part.contains('.')
                && !part.ends_with(".html")
                && !part.ends_with(".txt")
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.');
            let prefix = part.split('.').next().unwrap_or("");
            if is_key && prefixes.contains(prefix) {
                found.push(part.to_owned());
            }
        }
    }
    found
}

#[test]
fn every_key_named_in_code_and_templates_exists() {
    let i18n = I18n::load().unwrap();
    let vi = keys(&i18n, Locale::Vi);
    let prefixes: BTreeSet<String> = vi
        .iter()
        .map(|k| k.split('.').next().unwrap().to_owned())
        .collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    files(&root.join("src"), "rs", &mut paths);
    files(&root.join("templates"), "html", &mut paths);
    let mut missing = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        for key in literal_keys(&text, &prefixes) {
            // A key that is a prefix completed at run time ("role." ~ r) is fine if some key
            // starts with it.
            let known = vi.contains(&key)
                || vi.iter().any(|k| k.starts_with(&format!("{key}.")))
                || ((key.ends_with('.') || key.ends_with('_'))
                    && vi.iter().any(|k| k.starts_with(&key)));
            if !known {
                missing.push(format!("{}: {key}", path.display()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "unknown translation keys:\n{}",
        missing.join("\n")
    );
}
