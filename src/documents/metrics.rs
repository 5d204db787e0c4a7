//! Approximate printed widths of Times New Roman text, for sizing the short rules that
//! Decree 30 draws under the issuing body, the motto and the subject.
//!
//! Word and LibreOffice cannot draw "a line as long as the text" by themselves: a paragraph
//! border spans the paragraph, not its text. So the renderer measures the text and narrows an
//! empty bordered paragraph to the width it needs.

use unicode_normalization::UnicodeNormalization;

/// Advance widths in 1/1000 em of U+0020..=U+007E in Times New Roman (the same metrics as
/// Liberation Serif, which LibreOffice substitutes for it).
const REGULAR: [u16; 95] = [
    250, 333, 408, 500, 500, 833, 778, 180, 333, 333, 500, 564, 250, 333, 250, 278, //
    500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 278, 278, 564, 564, 564, 444, //
    921, 722, 667, 667, 722, 611, 556, 722, 722, 333, 389, 722, 611, 889, 722, 722, //
    556, 722, 667, 556, 611, 722, 722, 944, 722, 722, 611, 333, 278, 333, 469, 500, //
    333, 444, 500, 444, 500, 444, 333, 500, 500, 278, 278, 500, 278, 778, 500, 500, //
    500, 500, 333, 389, 278, 500, 500, 722, 500, 500, 444, 480, 200, 480, 541,
];

/// The same for Times New Roman Bold.
const BOLD: [u16; 95] = [
    250, 333, 555, 500, 500, 1000, 833, 278, 333, 333, 500, 570, 250, 333, 250, 278, //
    500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 333, 333, 570, 570, 570, 500, //
    930, 722, 667, 722, 722, 667, 611, 778, 778, 389, 500, 778, 667, 944, 722, 778, //
    611, 778, 722, 556, 667, 722, 722, 1000, 722, 722, 667, 333, 278, 333, 581, 500, //
    333, 500, 556, 444, 556, 444, 333, 500, 556, 278, 333, 556, 278, 833, 556, 500, //
    556, 556, 444, 389, 333, 556, 500, 722, 500, 500, 444, 394, 220, 394, 520,
];

/// Width a character that is not in the tables is assumed to have.
const FALLBACK: u16 = 556;
/// What the horn of ơ, ư, Ơ, Ư adds to the base letter (about 30–70 units in the font).
const HORN: u16 = 50;
const COMBINING_HORN: char = '\u{031B}';

/// Width in twips of `text` set in Times New Roman at `half_points` (Word's `w:sz` unit).
pub fn text_width(text: &str, half_points: u32, bold: bool) -> u32 {
    let table = if bold { &BOLD } else { &REGULAR };
    // Vietnamese letters take the width of their base letter: decompose, measure the base,
    // and let the tone and vowel marks (which do not advance) count for nothing.
    let mut units: u32 = 0;
    for c in text.nfd() {
        let width = match c {
            COMBINING_HORN => HORN,
            'Đ' => table[usize::from(b'D' - 0x20)],
            'đ' => table[usize::from(b'd' - 0x20)],
            c if ('\u{0300}'..='\u{036F}').contains(&c) => 0,
            c if (' '..='~').contains(&c) => table[c as usize - 0x20],
            _ => FALLBACK,
        };
        units += u32::from(width);
    }
    // 1 em = the font size; 1 pt = 20 twips, 1 half-point = 10 twips.
    units * half_points * 10 / 1000
}
