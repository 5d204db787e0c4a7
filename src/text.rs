//! Text rules shared across the app: folding for search ("hoa my" finds "Hòa Mỹ", "Hoà" =
//! "Hòa"), and the personal-data guard for free text (phone and ID numbers are refused).

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Lowercase, without diacritics, đ → d, whitespace collapsed.
pub fn fold(text: &str) -> String {
    let stripped: String = text
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .map(|c| match c {
            'đ' | 'Đ' => 'd',
            other => other,
        })
        .collect::<String>()
        .to_lowercase();
    stripped.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Stores text in Unicode NFC, trimmed.
pub fn nfc(text: &str) -> String {
    text.trim().nfc().collect()
}

/// The first code point (the digit zero) of every run of ten Unicode decimal digits (general
/// category Nd, Unicode 15). NFKC already folds the full-width and mathematical digits to
/// ASCII; these are the scripts it leaves alone (Arabic-Indic ٠١٢, Devanagari, Thai, …).
const DIGIT_ZEROS: [u32; 68] = [
    0x30, 0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66,
    0xDE6, 0xE50, 0xED0, 0xF20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90,
    0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10,
    0x104A0, 0x10D30, 0x11066, 0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0, 0x11650,
    0x116C0, 0x11730, 0x118E0, 0x11950, 0x11C50, 0x11D50, 0x11DA0, 0x11F50, 0x16A60, 0x16AC0,
    0x16B50, 0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E4F0, 0x1E950,
    0x1FBF0,
];

/// The ASCII digit a Unicode decimal digit stands for.
fn ascii_digit(c: char) -> Option<char> {
    let cp = u32::from(c);
    DIGIT_ZEROS
        .iter()
        .find(|zero| (**zero..**zero + 10).contains(&cp))
        .and_then(|zero| char::from_digit(cp - zero, 10))
}

/// Characters that show nothing: format characters (zero-width space and joiners, bidi
/// controls, the byte-order mark, soft hyphen), variation selectors and fillers. A number
/// with one of these between its digits reads as the number.
fn invisible(c: char) -> bool {
    matches!(u32::from(c),
        0x00AD | 0x034F | 0x061C | 0x115F | 0x1160 | 0x17B4 | 0x17B5 | 0x180B..=0x180F
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0x3164 | 0xFE00..=0xFE0F
        | 0xFEFF | 0xFFA0 | 0xFFF9..=0xFFFB | 0x1D173..=0x1D17A | 0xE0000..=0xE0FFF)
}

/// What the guard reads: NFKC (full-width and styled digits become ASCII, odd spaces become
/// spaces), every other decimal digit as ASCII, invisible characters and stray combining marks
/// (NFKC has composed every Vietnamese letter, so what is left sits on digits or punctuation)
/// removed.
pub fn guard_view(text: &str) -> String {
    text.nfkc()
        .filter(|c| !invisible(*c) && !is_combining_mark(*c))
        .map(|c| ascii_digit(c).unwrap_or(c))
        .collect()
}

/// A run of ASCII digits and what separates it from the previous run.
struct Run {
    digits: String,
    /// The characters between the previous run and this one (empty for the first).
    gap: String,
    /// Whether `gap` joins this run to the previous one into one written number.
    joined: bool,
}

/// Characters people put between the groups of one number: spaces, dots, dashes, slashes,
/// brackets, a plus, underscores.
fn joiner(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '.' | ','
                | '-'
                | '/'
                | '\\'
                | '('
                | ')'
                | '['
                | ']'
                | '+'
                | '_'
                | '·'
                | '*'
                | '~'
                | '\u{2010}'..='\u{2015}' | '\u{2212}'
        )
}

/// Whether a gap joins two digit runs: only joiners, at most three of them besides spaces,
/// and not a comma followed by a space (that is a list: "tháng 01, 02, 03").
fn joins(gap: &str) -> bool {
    !gap.is_empty()
        && gap.chars().all(joiner)
        && gap.chars().filter(|c| !c.is_whitespace()).count() <= 3
        && !(gap.contains(',') && gap.contains(char::is_whitespace))
}

fn runs(view: &str) -> Vec<Run> {
    let mut out: Vec<Run> = Vec::new();
    let mut gap = String::new();
    let mut digits = String::new();
    for c in view.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            if !digits.is_empty() {
                let joined = !out.is_empty() && joins(&gap);
                out.push(Run {
                    digits: std::mem::take(&mut digits),
                    gap: std::mem::take(&mut gap),
                    joined,
                });
            }
            gap.push(c);
        }
    }
    if !digits.is_empty() {
        let joined = !out.is_empty() && joins(&gap);
        out.push(Run {
            digits,
            gap,
            joined,
        });
    }
    out
}

fn value(digits: &str) -> u32 {
    digits.parse().unwrap_or(u32::MAX)
}

/// The runs `k..` that form a date ("30/7/2024", "30.07.2024", "2024-07-30", "7/2024"), if
/// any: how many runs it takes.
fn date_at(rs: &[Run], k: usize) -> Option<usize> {
    let sep_of = |i: usize| rs.get(i).filter(|r| r.joined).map(|r| r.gap.as_str());
    let day_month = |d: &Run, m: &Run| {
        (1..=2).contains(&d.digits.len())
            && (1..=2).contains(&m.digits.len())
            && (1..=31).contains(&value(&d.digits))
            && (1..=12).contains(&value(&m.digits))
    };
    let year = |y: &Run| y.digits.len() == 4 && (1900..=2199).contains(&value(&y.digits));
    let (a, b, c) = (rs.get(k)?, rs.get(k + 1), rs.get(k + 2));
    // Nothing glued on before it with the same separator.
    let sep = sep_of(k + 1)?;
    if !matches!(sep, "/" | "." | "-") || sep_of(k) == Some(sep) {
        return None;
    }
    let three = match (b, c) {
        (Some(b), Some(c)) if sep_of(k + 2) == Some(sep) && sep_of(k + 3) != Some(sep) => {
            (day_month(a, b) && (year(c) || c.digits.len() == 2)) || (year(a) && day_month(c, b))
        }
        _ => false,
    };
    if three {
        return Some(3);
    }
    match b {
        Some(b)
            if sep == "/"
                && sep_of(k + 2) != Some(sep)
                && (1..=2).contains(&a.digits.len())
                && (1..=12).contains(&value(&a.digits))
                && year(b) =>
        {
            Some(2)
        }
        _ => None,
    }
}

/// The runs `k..` that form an amount written with thousands separators ("30.000.000",
/// "1,250"): a first group of one to three digits not starting with 0, then groups of three,
/// one separator throughout, at most twelve digits, and not a number starting with 84 of a
/// phone number's length.
fn amount_at(rs: &[Run], k: usize) -> Option<usize> {
    let first = rs.get(k)?;
    let sep = rs.get(k + 1).filter(|r| r.joined)?.gap.as_str();
    if !matches!(sep, "." | ",")
        || !(1..=3).contains(&first.digits.len())
        || first.digits.starts_with('0')
        || (k > 0 && rs.get(k).is_some_and(|r| r.joined && r.gap == sep))
    {
        return None;
    }
    let mut n = 1;
    let mut digits = first.digits.clone();
    while let Some(r) = rs.get(k + n).filter(|r| r.joined && r.gap == sep) {
        if r.digits.len() != 3 {
            return None;
        }
        digits.push_str(&r.digits);
        n += 1;
    }
    let phone_like = digits.starts_with("84") && (11..=12).contains(&digits.len());
    (digits.len() <= 12 && !phone_like).then_some(n)
}

/// Whether `digits`, read from `groups` runs, is a Vietnamese phone number or an identity
/// number.
fn personal(digits: &str, groups: &[&Run]) -> bool {
    let n = digits.len();
    let phone = (digits.starts_with('0') && (10..=11).contains(&n))
        || (digits.starts_with("84") && (11..=12).contains(&n));
    let single = groups.len() == 1;
    // A citizen-card number starts with its province code (001–096); an old ID card's nine
    // digits are grouped in pairs or more ("123 456 789"), unlike a list ("tổ 1 2 3 …").
    let id = (n == 12 && (single || digits.starts_with('0')))
        || (n == 9
            && (single || digits.starts_with('0') || groups.iter().all(|r| r.digits.len() >= 2)));
    phone || id || (single && n >= 9)
}

/// Whether free text contains what looks like a phone number or an identity number, which the
/// app must not store about anyone (docs/domain.md, privacy rules). The text is read through [`guard_view`];
/// digit runs joined by spaces, dots, dashes, slashes or brackets count as one number, tried
/// from every run on (so "tổ 5 0905123456" is caught). Dates and amounts with thousands
/// separators are not numbers of a person; an unbroken run of nine digits or more always is.
/// The design and its limits are in `docs/privacy.md`.
pub fn contains_personal_number(text: &str) -> bool {
    let view = guard_view(text);
    let rs = runs(&view);
    // Which runs belong to a date or an amount.
    let mut exempt = vec![false; rs.len()];
    let mut k = 0;
    while k < rs.len() {
        match date_at(&rs, k).or_else(|| amount_at(&rs, k)) {
            Some(n) => {
                for e in exempt.iter_mut().skip(k).take(n) {
                    *e = true;
                }
                k += n;
            }
            None => k += 1,
        }
    }
    for start in 0..rs.len() {
        if exempt.get(start).copied().unwrap_or(true) {
            continue;
        }
        let mut digits = String::new();
        let mut groups: Vec<&Run> = Vec::new();
        for (i, r) in rs.iter().enumerate().skip(start) {
            if exempt.get(i).copied().unwrap_or(true) || (i > start && !r.joined) {
                break;
            }
            digits.push_str(&r.digits);
            groups.push(r);
            if personal(&digits, &groups) {
                return true;
            }
            if digits.len() > 12 {
                break;
            }
        }
    }
    false
}

/// The longest a one-line free text may be (titles, places, labels, names of things).
pub const SHORT_TEXT: usize = 300;
/// The longest a free text may be (descriptions, notes, comments, narratives).
pub const LONG_TEXT: usize = 5000;

/// Why a free text was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextRefusal {
    /// It carries what reads as a phone or identity number.
    PersonalNumber,
    /// It is longer than its field allows.
    TooLong,
}

impl TextRefusal {
    /// The translation key of the message shown next to the field.
    pub fn key(self) -> &'static str {
        match self {
            TextRefusal::PersonalNumber => "activity.error.personal_data",
            TextRefusal::TooLong => "activity.error.too_long",
        }
    }
}

/// Free text that passed the guard: in NFC, trimmed, within its length, with no phone or
/// identity number. The only way to build one is [`FreeText::new`], so a value of this type
/// has been checked whichever way it came in (form, JSON, import, command line).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct FreeText(String);

impl FreeText {
    pub fn new(raw: &str, max_chars: usize) -> Result<FreeText, TextRefusal> {
        let text = nfc(raw);
        if text.chars().count() > max_chars {
            return Err(TextRefusal::TooLong);
        }
        if contains_personal_number(&text) {
            return Err(TextRefusal::PersonalNumber);
        }
        Ok(FreeText(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::fmt::Display for FreeText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Builds the [`FreeText`] of a field, or notes under the field's name why it was refused.
pub fn free_text(
    field: &str,
    raw: &str,
    max_chars: usize,
    errors: &mut crate::web::forms::FieldErrors,
) -> Option<FreeText> {
    match FreeText::new(raw, max_chars) {
        Ok(t) => Some(t),
        Err(why) => {
            errors.add(field, why.key());
            None
        }
    }
}

/// Checks free texts that are kept as plain strings: each must make a [`FreeText`].
pub fn check_texts(
    fields: &[(&str, Option<&str>, usize)],
    errors: &mut crate::web::forms::FieldErrors,
) {
    for (field, value, max) in fields {
        if let Some(v) = value {
            free_text(field, v, *max, errors);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_search_names_migration_folds_as_the_app_does() {
        // The migration fills the stored search names of existing rows with its own copy of
        // `fold` (the migration crate cannot depend on the app): they must agree.
        for s in [
            "Xã Hòa Mỹ Đông",
            "Phường  Đồng Xuân ",
            "UBND xã Ea Tul",
            "Hoà Bình — HUYỆN Tây Hoà (VN-123)",
            "Ủy ban nhân dân tỉnh Đắk Lắk",
            "Ａ１ ﬁ ǅ Ωmega ẞ",
            "",
        ] {
            assert_eq!(
                migration::m20261211_000001_search_names::fold(s),
                fold(s),
                "{s:?}"
            );
        }
    }

    #[test]
    fn folding_ignores_diacritics_case_and_old_style_accents() {
        assert_eq!(fold("Hòa Mỹ Đông"), "hoa my dong");
        assert_eq!(fold("Hoà"), fold("Hòa"));
        assert_eq!(fold("  Sơn   Thành  Tây "), "son thanh tay");
        assert_eq!(fold("ĐẮK LẮK"), "dak lak");
    }

    /// Spellings of phone and identity numbers that must be refused, each with what it tries.
    pub const REFUSED: &[(&str, &str)] = &[
        ("Liên hệ 0912345678", "plain mobile"),
        ("gọi 0912 345 678 nhé", "grouped with spaces"),
        ("số 0912.345.678", "grouped with dots"),
        ("+84 912 345 678", "international prefix"),
        ("CCCD 079123456789", "citizen ID"),
        ("CMND 123456789", "old ID"),
        ("điện thoại: 0257-3861-234", "landline with dashes"),
        ("gọi ０９０５１２３４５６", "full-width digits"),
        ("gọi ٠٩٠٥١٢٣٤٥٦", "Arabic-Indic digits"),
        ("gọi ۰۹۰۵۱۲۳۴۵۶", "extended Arabic-Indic digits"),
        ("gọi ०९०५१२३४५६", "Devanagari digits"),
        ("gọi 𝟎𝟗𝟎𝟓𝟏𝟐𝟑𝟒𝟓𝟔", "mathematical digits"),
        ("(+84) 905 123 456", "bracketed prefix"),
        ("(0905) 123 456", "bracketed area"),
        ("CCCD 079 123 456 789", "grouped citizen ID"),
        ("CCCD 0791 2345 6789", "citizen ID in fours"),
        ("CCCD 079.123.456.789", "citizen ID with dots"),
        ("gọi 0905\u{200B}123456", "zero-width space"),
        (
            "gọi 09\u{2060}05\u{FEFF}123\u{00AD}456",
            "joiners and soft hyphen",
        ),
        ("gọi 0905/123/456", "slashes"),
        ("gọi 0905  123  456", "double spaces"),
        ("gọi 0905\u{00A0}123\u{3000}456", "odd spaces"),
        ("tổ 5 0905123456", "a digit before"),
        ("tổ 5 079 123 456 789", "a digit before a grouped ID"),
        ("tổ 5/0905123456", "a digit and a slash before"),
        ("mã 50905123456", "glued to another digit"),
        ("gọi 0905 - 123 - 456", "spaced dashes"),
        ("gọi 0905_123_456", "underscores"),
        ("gọi 84905123456", "84 without plus"),
        ("+84 (0) 905 123 456", "prefix and trunk zero"),
        ("gọi 84.905.123.456", "84 written like an amount"),
        ("gọi 0\u{0301}905123456", "combining mark on a digit"),
        ("ĐT 024 3825 1234", "Hà Nội landline"),
        ("ĐT 0236.3822.123", "Đà Nẵng landline with dots"),
        ("123 456 789", "old ID grouped"),
        ("30/07/2024 0905123456", "after a date"),
        (
            "Kinh phí 30.000.000 đồng, gọi 0905123456",
            "after an amount",
        ),
    ];

    /// Ordinary texts that must pass.
    pub const PASSED: &[&str] = &[
        "Tổ chức ngày 30/07/2024 tại nhà văn hóa",
        "ngày 30/7/2024",
        "từ 01/7/2024 đến 30/9/2024",
        "30/07/2024 10/08/2024",
        "ngày 2024-07-30",
        "tháng 7/2024",
        "Kinh phí 150.000.000 đồng",
        "30.000.000 đồng",
        "Kinh phí 1.250.000.000 đồng",
        "Dự toán 150.000.000.000 đồng",
        "1.250 người",
        "1.250 lượt người, trong đó 640 lượt nữ",
        "Tổng đài 111",
        "Tổng đài 1800 1567",
        "Quyết định 1234/QĐ-UBND",
        "Kế hoạch số 41/KH-SLĐTBXH ngày 16/4/2024",
        "năm 2024 – 2025",
        "các năm 2023, 2024, 2025",
        "Tổ 5",
        "tổ 1, 2, 3, 4, 5, 6, 7, 8, 9",
        "các tháng 01, 02, 03, 04, 05",
        "từ 7 giờ 30 đến 11 giờ",
        "Điều 150, 151 Bộ luật Hình sự 2015",
        "Thông tư số 06/2024/TT-BLĐTBXH",
    ];

    #[test]
    fn phone_and_id_numbers_are_found_however_written_but_ordinary_text_passes() {
        for (bad, how) in REFUSED {
            assert!(contains_personal_number(bad), "not refused ({how}): {bad}");
            assert_eq!(
                FreeText::new(bad, LONG_TEXT),
                Err(TextRefusal::PersonalNumber),
                "{how}"
            );
        }
        for ok in PASSED {
            assert!(!contains_personal_number(ok), "refused: {ok}");
            assert!(FreeText::new(ok, LONG_TEXT).is_ok(), "{ok}");
        }
    }

    #[test]
    fn free_text_is_trimmed_nfc_and_bounded() {
        let t = FreeText::new("  Ho\u{300}a  ", SHORT_TEXT).map(FreeText::into_string);
        assert_eq!(t, Ok("Hòa".to_owned()));
        assert_eq!(
            FreeText::new(&"a".repeat(301), SHORT_TEXT),
            Err(TextRefusal::TooLong)
        );
        assert!(FreeText::new(&"a".repeat(300), SHORT_TEXT).is_ok());
    }

    #[test]
    fn every_unicode_digit_reads_as_its_ascii_digit() {
        for zero in DIGIT_ZEROS {
            for d in 0..10u32 {
                let c = char::from_u32(zero + d).unwrap();
                assert_eq!(
                    guard_view(&c.to_string()),
                    d.to_string(),
                    "U+{:X}",
                    zero + d
                );
            }
        }
    }
}
