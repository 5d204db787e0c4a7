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

/// Whether free text contains what looks like a phone number or an ID-card number, which the
/// app must not store about anyone (DOMAIN.md §6).
///
/// A phone number is 10–11 digits starting with 0 (or 84 / +84 and 11–12 digits), possibly
/// written in groups separated by spaces, dots or dashes ("0912 345 678", "0912.345.678"). An ID
/// number is an unbroken run of 9 (old ID card) or 12 (citizen card) digits. Money written with
/// thousands separators ("150.000.000") is neither.
pub fn contains_personal_number(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if !chars.get(i).is_some_and(char::is_ascii_digit) {
            i += 1;
            continue;
        }
        let plus = i > 0 && chars.get(i - 1) == Some(&'+');
        // Read digit groups joined by single separators.
        let mut joined = String::new();
        let mut run = String::new();
        let mut longest_run = 0;
        let mut j = i;
        while j < chars.len() {
            match chars.get(j) {
                Some(c) if c.is_ascii_digit() => {
                    joined.push(*c);
                    run.push(*c);
                    j += 1;
                }
                Some(' ' | '.' | '-')
                    if chars.get(j + 1).is_some_and(char::is_ascii_digit) && !run.is_empty() =>
                {
                    longest_run = longest_run.max(run.len());
                    run.clear();
                    j += 1;
                }
                _ => break,
            }
        }
        longest_run = longest_run.max(run.len());
        let n = joined.len();
        let phone = (joined.starts_with('0') && (10..=11).contains(&n))
            || ((plus || joined.starts_with("84"))
                && joined.starts_with("84")
                && (11..=12).contains(&n));
        let id_number = longest_run == 9 || longest_run == 12;
        if phone || id_number {
            return true;
        }
        i = j.max(i + 1);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_ignores_diacritics_case_and_old_style_accents() {
        assert_eq!(fold("Hòa Mỹ Đông"), "hoa my dong");
        assert_eq!(fold("Hoà"), fold("Hòa"));
        assert_eq!(fold("  Sơn   Thành  Tây "), "son thanh tay");
        assert_eq!(fold("ĐẮK LẮK"), "dak lak");
    }

    #[test]
    fn phone_and_id_numbers_are_found_but_money_and_dates_are_not() {
        for bad in [
            "Liên hệ 0912345678",
            "gọi 0912 345 678 nhé",
            "số 0912.345.678",
            "+84 912 345 678",
            "CCCD 079123456789",
            "CMND 123456789",
            "điện thoại: 0257-3861-234",
        ] {
            assert!(contains_personal_number(bad), "{bad}");
        }
        for ok in [
            "Tổ chức ngày 30/07/2024 tại nhà văn hóa",
            "Kinh phí 150.000.000 đồng",
            "1.250 lượt người, trong đó 640 lượt nữ",
            "Tổng đài 111",
            "Kế hoạch số 41/KH-SLĐTBXH ngày 16/4/2024",
            "năm 2024 – 2025",
        ] {
            assert!(!contains_personal_number(ok), "{ok}");
        }
    }
}
